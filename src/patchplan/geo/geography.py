"""Embedded geography: small areas, their graph, and postcodes, offline.

The data are the Essex open data in ``data/essex`` (ONS, OS, MHCLG; OGL v3,
see :data:`ATTRIBUTION`). Postcodes resolve from the Code-Point Open table
without a network; :func:`geocode_online` (geopy's Nominatim) is an opt-in
fallback for postcodes outside the table and is never needed by tests.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from patchplan.core.errors import InputError
from patchplan.core.model import Area, District, Location

log = logging.getLogger("patchplan")

#: Required attribution for the embedded data (shown by ``patchplan about``
#: and in every report).
ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v3.0.",
    "Contains OS data © Crown copyright and database right 2025.",
    "Contains Royal Mail data © Royal Mail copyright and database right 2025.",
    "Contains National Statistics data © Crown copyright and database right 2025.",
    (
        "Contains public sector information licensed under the Open Government Licence v3.0 "
        "(English Indices of Deprivation 2019, MHCLG)."
    ),
    "MSOA names: House of Commons Library MSOA Names, Open Parliament Licence.",
    "OGL v3.0: https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
)

#: Loose bounding box of the United Kingdom (incl. Northern Ireland, Shetland).
UK_LAT = (49.8, 60.95)
UK_LON = (-8.7, 1.8)

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})$")


def data_dir() -> Path:
    """Folder of the embedded Essex data."""
    return Path(str(resources.files("patchplan.data").joinpath("essex")))


def normalise_postcode(text: str) -> str | None:
    """'cm11aa' -> 'CM1 1AA'; None when it is not shaped like a UK postcode."""
    match = _POSTCODE.match(text.strip().upper())
    return f"{match.group(1)} {match.group(2)}" if match else None


def in_uk(lat: float, lon: float) -> bool:
    return UK_LAT[0] <= lat <= UK_LAT[1] and UK_LON[0] <= lon <= UK_LON[1]


@dataclass(frozen=True)
class Geography:
    """The embedded small areas, districts, area graph and postcodes."""

    districts: tuple[District, ...]
    areas: tuple[Area, ...]
    graph: nx.Graph
    #: postcode -> (lat, lon, area id)
    postcodes: pd.DataFrame

    @functools.cached_property
    def area_by_id(self) -> dict[str, Area]:
        return {a.id: a for a in self.areas}

    def locate_postcode(self, postcode: str) -> tuple[Location, str] | None:
        """(location, area id) of a postcode in the table, or None."""
        norm = normalise_postcode(postcode)
        if norm is None or norm not in self.postcodes.index:
            return None
        row = self.postcodes.loc[norm]
        area = self.area_by_id.get(row["lsoa21cd"])
        urban = area.centroid.urban if area else True
        return Location(float(row["lat"]), float(row["lon"]), urban), str(row["lsoa21cd"])

    @functools.cached_property
    def _polygons(self) -> tuple[list[str], object]:
        from shapely import STRtree
        from shapely.geometry import shape

        polys = area_polygons()
        ids = [a.id for a in self.areas if a.id in polys]
        return ids, STRtree([shape(polys[i]) for i in ids])

    @functools.cached_property
    def _centroids(self) -> np.ndarray:
        return np.array([[a.centroid.lat, a.centroid.lon] for a in self.areas])

    def area_of_point(self, lat: float, lon: float) -> Area:
        """The small area a point lies in; off the polygons (e.g. just off
        the generalised coast), the area with the nearest centroid."""
        from shapely.geometry import Point

        ids, tree = self._polygons
        hits = tree.query(Point(lon, lat), predicate="intersects")  # type: ignore[attr-defined]
        if len(hits):
            return self.area_by_id[ids[int(min(hits))]]
        cos = np.cos(np.radians(lat))
        d2 = (self._centroids[:, 0] - lat) ** 2 + ((self._centroids[:, 1] - lon) * cos) ** 2
        return self.areas[int(np.argmin(d2))]

    def postcodes_in(self, area_id: str) -> pd.DataFrame:
        return self._postcodes_by_area.get(area_id, self.postcodes.iloc[:0])

    @functools.cached_property
    def _postcodes_by_area(self) -> dict[str, pd.DataFrame]:
        return {k: g for k, g in self.postcodes.groupby("lsoa21cd", sort=False)}


@functools.cache
def essex() -> Geography:
    """The embedded Essex geography (loaded once per process)."""
    folder = data_dir()
    attrs = pd.read_csv(folder / "lsoa21_attributes.csv", dtype={"lad_cd": str})
    districts = tuple(
        District(id=code, name=name) for code, name in sorted(set(zip(attrs["lad_cd"], attrs["lad_nm"], strict=True)))
    )
    areas = tuple(_area(row) for row in attrs.itertuples(index=False))
    graph = _area_graph(folder / "lsoa21_adjacency.csv", areas)
    postcodes = pd.read_csv(folder / "postcodes_essex.csv", usecols=["postcode", "lat", "lon", "lsoa21cd"]).set_index(
        "postcode"
    )
    return Geography(districts=districts, areas=areas, graph=graph, postcodes=postcodes)


def _area(row: Any) -> Area:
    """An area from one row of the embedded LSOA table."""
    r = row  # a namedtuple from itertuples (its fields are the table's columns)
    return Area(
        id=r.lsoa21cd,
        name=r.lsoa21nm,
        district_id=r.lad_cd,
        neighbourhood=str(r.msoa_hcl_nm),
        centroid=Location(float(r.pcw_lat), float(r.pcw_lon), r.urban_rural == "Urban"),
        pop_total=int(r.pop_total),
        pop_16_64=int(r.pop_16_24 + r.pop_25_34 + r.pop_35_49 + r.pop_50_64),
        pop_65_plus=int(r.pop_65_plus),
        health_decile=int(r.imd2019_health_decile),
        area_km2=float(r.area_km2),
    )


def _area_graph(path: Path, areas: tuple[Area, ...]) -> nx.Graph:
    """Areas that touch are neighbours; edges carry border length and the
    centroid distance."""
    graph = nx.Graph()
    for a in areas:
        graph.add_node(a.id, district=a.district_id)
    adj = pd.read_csv(path)
    for r in adj.itertuples(index=False):
        graph.add_edge(
            r.lsoa21cd_a,
            r.lsoa21cd_b,
            border_m=float(r.shared_border_m),
            centroid_m=float(r.pcw_centroid_dist_m),
            same_district=bool(r.same_lad),
        )
    return graph


def area_graph(areas: tuple[Area, ...] | None = None) -> nx.Graph:
    """The area graph (embedded Essex), optionally restricted to some areas."""
    graph = essex().graph
    if areas is None:
        return graph
    return graph.subgraph(a.id for a in areas).copy()


@functools.cache
def area_polygons() -> dict[str, dict]:
    """GeoJSON geometry of each small area (for maps and imported patches)."""
    with open(data_dir() / "lsoa21_boundaries.geojson", encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    return {f["properties"]["lsoa21cd"]: f["geometry"] for f in features}


def geocode_online(postcode: str, timeout_s: float = 10.0) -> Location:
    """Look a postcode up with OpenStreetMap Nominatim (needs a network).

    Raises
    ------
    InputError
        When the service cannot find it or cannot be reached.
    """
    from geopy.exc import GeopyError
    from geopy.geocoders import Nominatim

    try:
        found = Nominatim(user_agent="patchplan", timeout=timeout_s).geocode(
            {"postalcode": postcode, "country": "United Kingdom"}
        )
    except GeopyError as exc:
        raise InputError(f"online geocoder failed for {postcode!r}: {exc}") from exc
    if found is None:
        raise InputError(f"online geocoder does not know postcode {postcode!r}")
    return Location(found.latitude, found.longitude)
