"""Live demand: packages awaiting a provider, summarised and published safely.

The brokerage team's feed of packages still awaiting a provider (the
"live demand") is read by :mod:`patchplan.io.feed` (re-exported here) from a
scenario folder, a CSV or JSON file in the format of ``docs/demand-feed.md``,
a folder of such files, or an http(s) URL; the items are
:mod:`patchplan.core.demand` values. :func:`summary` counts hours awaiting by district, service type,
cohort and time band with their ageing; :func:`publish` writes the version
providers may see to plan their business: no names, ids, postcodes, exact
points or dates, locations coarsened to a small area (MSOA), postcode
sector or district, and small cells merged or suppressed.

The feed is personal data. Nothing here logs an id, a postcode or a point;
error messages name the file, row, field and offending value so the feed's
owner can fix it.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from patchplan.core.demand import AGE_BUCKETS, ALL_DAY, BANDS, DemandItem, WeeklyCall
from patchplan.core.errors import InputError
from patchplan.core.model import (
    SERVICE_TYPES,
)
from patchplan.geo import geography as geo
from patchplan.io.feed import CALL_KEYS, FEED_COLUMNS, default_today, from_scenario, read_feed, write_feed

#: Re-exported: the feed reader and the demand items moved to io.feed and core.demand.
__all__ = [
    "AGE_BUCKETS",
    "ALL_DAY",
    "BANDS",
    "CALL_KEYS",
    "DEFAULT_K",
    "FEED_COLUMNS",
    "LEVELS",
    "PUBLISHED_COLUMNS",
    "DemandItem",
    "PublishReport",
    "WeeklyCall",
    "default_today",
    "from_scenario",
    "publish",
    "read_feed",
    "summary",
    "totals",
    "write_feed",
]

log = logging.getLogger("patchplan")

#: Units locations are coarsened to when publishing.
LEVELS = ("msoa", "sector", "district")
#: Default smallest number of clients a published cell may describe.
DEFAULT_K = 5

# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
_AGE_COLUMNS = {label: "age_" + label.replace("-", "_").replace("+", "_plus") for label, _, _ in AGE_BUCKETS}
_AGE_COLUMNS["unknown"] = "age_unknown"


def summary(items: Iterable[DemandItem], today: dt.date) -> pd.DataFrame:
    """Hours awaiting and packages by district x service type x cohort x band.

    Parameters
    ----------
    items
        The feed (:func:`read_feed`).
    today
        The date ageing and deadlines are judged at.

    Returns
    -------
    pandas.DataFrame
        One row per district, service type, cohort and band (:data:`BANDS`)
        with any hours: ``district_id``, ``district``, ``service_type``,
        ``cohort``, ``band``, ``packages`` (packages with hours in the band:
        a package with morning and evening calls counts in both rows),
        ``hours_week`` (these add up to the feed's total), ageing counts
        ``age_0_7``, ``age_8_14``, ``age_15_28``, ``age_29_plus``,
        ``age_unknown``, and ``overdue`` (past the response deadline). The
        headline numbers (:func:`totals`) are in ``frame.attrs["totals"]``.
    """
    items = tuple(items)
    cells: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for item in items:
        bucket = _AGE_COLUMNS[item.age_bucket(today)]
        late = item.overdue(today)
        for band, hours in item.hours_in_band().items():
            key = (item.district_id, item.district_name or item.district_id, item.service_type, item.cohort, band)
            cell = cells.setdefault(
                key, {"packages": 0, "hours_week": 0.0, **dict.fromkeys(_AGE_COLUMNS.values(), 0), "overdue": 0}
            )
            cell["packages"] += 1
            cell["hours_week"] += hours
            cell[bucket] += 1
            cell["overdue"] += int(late)
    columns = [
        "district_id",
        "district",
        "service_type",
        "cohort",
        "band",
        "packages",
        "hours_week",
        *_AGE_COLUMNS.values(),
        "overdue",
    ]
    rows = [dict(zip(columns[:5], key, strict=True)) | value for key, value in cells.items()]
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame["_band"] = frame["band"].map(BANDS.index)
        frame = frame.sort_values(["district", "service_type", "cohort", "_band"]).drop(columns="_band")
        frame = frame.reset_index(drop=True)
    frame.attrs["totals"] = totals(items, today)
    return frame


def totals(items: Iterable[DemandItem], today: dt.date) -> dict[str, Any]:
    """Headline numbers of the feed, overall and by district (JSON-ready).

    Returns
    -------
    dict
        ``packages``, ``clients``, ``hours_awaiting``, ``overdue``,
        ``ageing`` (packages per bucket), ``by_band`` (hours), ``by_service``
        (hours), and ``by_district``: a list of the same per district.
    """
    items = tuple(items)

    def block(group: Sequence[DemandItem]) -> dict[str, Any]:
        ageing = dict.fromkeys([label for label, _, _ in AGE_BUCKETS], 0)
        by_band: dict[str, float] = dict.fromkeys(BANDS, 0.0)
        by_service: dict[str, float] = defaultdict(float)
        for item in group:
            bucket = item.age_bucket(today)
            ageing[bucket] = ageing.get(bucket, 0) + 1
            for band, hours in item.hours_in_band().items():
                by_band[band] += hours
            by_service[item.service_type] += item.hours_week
        return {
            "packages": len(group),
            "clients": len({item.client.id for item in group}),
            "hours_awaiting": round(sum(item.hours_week for item in group), 2),
            "overdue": sum(item.overdue(today) for item in group),
            "ageing": ageing,
            "by_band": {band: round(h, 2) for band, h in by_band.items() if h > 0},
            "by_service": {s: round(h, 2) for s, h in sorted(by_service.items())},
        }

    districts: dict[str, list[DemandItem]] = defaultdict(list)
    for item in items:
        districts[item.district_id].append(item)
    by_district = [
        {"district_id": did, "district": group[0].district_name or did, **block(group)}
        for did, group in sorted(districts.items(), key=lambda kv: kv[1][0].district_name or kv[0])
    ]
    return {"today": today.isoformat(), **block(items), "by_district": by_district}


# ---------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------
#: Columns of the published table (``demand.csv``; properties in GeoJSON).
PUBLISHED_COLUMNS = (
    "level",
    "unit",
    "unit_name",
    "district_code",
    "district",
    "service_type",
    "cohort",
    "band",
    "packages",
    "hours_week",
    "suppressed",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishReport:
    """What :func:`publish` wrote and how much it had to merge or suppress.

    Hours are exact (the files round each cell to 0.1 h). ``hours_total ==
    hours_fine + hours_merged + suppressed_hours`` up to float rounding.
    """

    out: str
    level: str
    k: int
    packages: int
    hours_total: float
    #: Published cells (rows of demand.csv other than suppressed totals).
    cells: int
    #: Cells published as they were (unit x service x cohort x band).
    cells_fine: int
    hours_fine: float
    #: Cells published after merging (bands into all_day, units into district).
    cells_merged: int
    hours_merged: float
    #: Fine cells whose hours went into a merged cell.
    merged_from: int
    #: Fine cells still under k after every merge: hours only in a district total.
    suppressed_cells: int
    suppressed_hours: float
    #: Districts with a "suppressed" total row.
    suppressed_districts: int
    files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (hours rounded to 0.01)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = (
                round(value, 2) if isinstance(value, float) else list(value) if isinstance(value, tuple) else value
            )
        return out


@dataclass(frozen=True, slots=True)
class _Part:
    """One package's hours in one band, at its coarsened unit."""

    package: str
    client: str
    level: str
    unit: str
    district: str
    service: str
    cohort: str
    band: str
    hours: float


def publish(
    items: Iterable[DemandItem],
    out_dir: str | Path,
    k: int = DEFAULT_K,
    level: str = "msoa",
) -> PublishReport:
    """Write the providers' version of the live demand: no personal data.

    Writes ``demand.csv``, ``demand.geojson`` and ``demand.html`` (a map)
    to ``out_dir``. Each row is one cell: a unit (MSOA, postcode sector or
    district) x service type x cohort x band with its packages and hours a
    week. Nothing identifies a client: no ids, postcodes, points, dates or
    names; only units of thousands of residents.

    The small-cell rule: a cell counts distinct clients, and no cell of
    fewer than ``k`` is published. Within each district, each step working
    only on hours not yet published: (1) unit x service x cohort x band
    cells with at least ``k`` clients are published; (2) the rest of a
    unit's bands are merged into one ``all_day`` cell of that unit; (3) the
    rest is merged across the district's units, band by band (level
    ``district``); (4) then into one district ``all_day`` cell per service
    and cohort; (5) then across cohorts (``cohort`` = ``all``); (6) what is
    still under ``k`` is suppressed: its hours appear only in one
    ``suppressed`` total row per district (no packages count). Every hour is
    in exactly one row, so the rows add up to the feed's total.

    Parameters
    ----------
    items
        The feed (:func:`read_feed`).
    out_dir
        Folder to write to (created if needed).
    k
        Smallest number of clients a published cell may describe (>= 1).
    level
        ``msoa`` (ONS middle-layer small areas), ``sector`` (postcode
        sector, e.g. ``CM9 4``; drawn from the Code-Point Open postcodes)
        or ``district``.

    Returns
    -------
    PublishReport

    Raises
    ------
    InputError
        On a bad ``k`` or ``level``.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k={k!r} must be a whole number >= 1")
    if level not in LEVELS:
        raise InputError(f"level={level!r}: expected one of {', '.join(LEVELS)}")
    items = tuple(items)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    names = {item.district_id: item.district_name or item.district_id for item in items}
    parts = _parts(items, level)
    rows, stats = _cascade(parts, k)
    unit_names = _unit_names(rows, names)
    table = _table(rows, unit_names, names)
    files = (out / "demand.csv", out / "demand.geojson", out / "demand.html")
    table.to_csv(files[0], index=False, lineterminator="\n")
    features = _features(table)
    files[1].write_text(
        json.dumps({"type": "FeatureCollection", "name": "patchplan_live_demand", "features": features}),
        encoding="utf-8",
    )
    _map(table, features, k, level).save(str(files[2]))
    report = PublishReport(
        out=str(out),
        level=level,
        k=k,
        packages=len(items),
        hours_total=float(sum(item.hours_week for item in items)),
        files=tuple(str(f) for f in files),
        **stats,
    )
    log.info(
        "published live demand: %d cells (%d merged), %d fine cells suppressed (%.1f h)",
        report.cells,
        report.cells_merged,
        report.suppressed_cells,
        report.suppressed_hours,
    )
    return report


def _parts(items: Sequence[DemandItem], level: str) -> list[_Part]:
    msoa = _msoa_of_lsoa() if level == "msoa" else {}
    out = []
    for item in items:
        unit_level, unit = "district", item.district_id
        if level == "msoa" and item.area_id in msoa:
            unit_level, unit = "msoa", msoa[item.area_id]
        elif level == "sector":
            sector = _sector_of(item)
            if sector is not None:
                unit_level, unit = "sector", sector
        for band, hours in item.hours_in_band().items():
            if hours > 0:
                out.append(
                    _Part(
                        package=item.package.id,
                        client=item.client.id,
                        level=unit_level,
                        unit=unit,
                        district=item.district_id,
                        service=item.service_type,
                        cohort=item.cohort,
                        band=band,
                        hours=hours,
                    )
                )
    return out


#: The small-cell rule's steps: the key of the cell a part falls in at each
#: step (level, unit, service type, cohort, band). See :func:`publish`.
_STAGES = (
    lambda p: (p.level, p.unit, p.service, p.cohort, p.band),
    lambda p: (p.level, p.unit, p.service, p.cohort, ALL_DAY),
    lambda p: ("district", p.district, p.service, p.cohort, p.band),
    lambda p: ("district", p.district, p.service, p.cohort, ALL_DAY),
    lambda p: ("district", p.district, p.service, "all", ALL_DAY),
)


def _cascade(parts: Sequence[_Part], k: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The small-cell rule (see :func:`publish`): published rows and counts."""
    by_district: dict[str, list[_Part]] = defaultdict(list)
    for p in parts:
        by_district[p.district].append(p)
    rows: list[dict[str, Any]] = []
    suppressed: dict[str, float] = {}
    stats = dict.fromkeys(("cells_fine", "cells_merged", "merged_from", "suppressed_cells"), 0)
    hours = {"fine": 0.0, "merged": 0.0}
    for district, remaining in sorted(by_district.items()):
        for stage, key_of in enumerate(_STAGES):
            buckets: dict[tuple[str, ...], list[_Part]] = defaultdict(list)
            for p in remaining:
                buckets[key_of(p)].append(p)
            remaining = []
            for (unit_level, unit, service, cohort, band), members in sorted(buckets.items()):
                if len({p.client for p in members}) < k:
                    remaining += members
                    continue
                cell_hours = sum(p.hours for p in members)
                rows.append(
                    {
                        "level": unit_level,
                        "unit": unit,
                        "district_code": district,
                        "service_type": service,
                        "cohort": cohort,
                        "band": band,
                        "packages": len({p.package for p in members}),
                        "hours_week": cell_hours,
                        "suppressed": False,
                    }
                )
                if stage == 0:
                    stats["cells_fine"] += 1
                    hours["fine"] += cell_hours
                else:
                    stats["cells_merged"] += 1
                    stats["merged_from"] += len({_STAGES[0](p) for p in members})
                    hours["merged"] += cell_hours
        if remaining:
            suppressed[district] = sum(p.hours for p in remaining)
            stats["suppressed_cells"] += len({_STAGES[0](p) for p in remaining})
            rows.append(
                {
                    "level": "district",
                    "unit": district,
                    "district_code": district,
                    "service_type": "all",
                    "cohort": "all",
                    "band": "all",
                    "packages": None,
                    "hours_week": suppressed[district],
                    "suppressed": True,
                }
            )
    return rows, {
        **stats,
        "cells": stats["cells_fine"] + stats["cells_merged"],
        "hours_fine": hours["fine"],
        "hours_merged": hours["merged"],
        "suppressed_hours": float(sum(suppressed.values())),
        "suppressed_districts": len(suppressed),
    }


def _unit_names(rows: Sequence[dict[str, Any]], districts: Mapping[str, str]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    msoa = _msoa_names()
    for row in rows:
        key = (row["level"], row["unit"])
        if row["level"] == "msoa":
            names[key] = msoa.get(row["unit"], row["unit"])
        elif row["level"] == "district":
            names[key] = districts.get(row["unit"], row["unit"])
        else:
            names[key] = row["unit"]
    return names


def _table(
    rows: Sequence[dict[str, Any]], unit_names: Mapping[tuple[str, str], str], districts: Mapping[str, str]
) -> pd.DataFrame:
    level_order = {"msoa": 0, "sector": 0, "district": 1}
    service_order = {s: i for i, s in enumerate(SERVICE_TYPES)}
    records = []
    for row in rows:
        records.append(
            {
                **row,
                "unit_name": unit_names[(row["level"], row["unit"])],
                "district": districts.get(row["district_code"], row["district_code"]),
                "hours_week": round(row["hours_week"], 1),
                "_sort": (
                    districts.get(row["district_code"], row["district_code"]),
                    row["suppressed"],
                    level_order[row["level"]],
                    row["unit"],
                    service_order.get(row["service_type"], 99),
                    row["cohort"],
                    BANDS.index(row["band"]) if row["band"] in BANDS else 99,
                ),
            }
        )
    records.sort(key=lambda r: r["_sort"])
    frame = pd.DataFrame(records, columns=[*PUBLISHED_COLUMNS])
    frame["packages"] = frame["packages"].astype("Int64")
    frame["suppressed"] = frame["suppressed"].astype(int)
    return frame


@functools.cache
def _lsoa_table() -> pd.DataFrame:
    return pd.read_csv(
        geo.data_dir() / "lsoa21_attributes.csv", usecols=["lsoa21cd", "msoa21cd", "msoa21nm", "msoa_hcl_nm"]
    )


@functools.cache
def _msoa_of_lsoa() -> dict[str, str]:
    t = _lsoa_table()
    return dict(zip(t["lsoa21cd"], t["msoa21cd"], strict=True))


@functools.cache
def _msoa_names() -> dict[str, str]:
    t = _lsoa_table().drop_duplicates("msoa21cd")
    return {
        code: f"{hcl} ({name})" for code, hcl, name in zip(t["msoa21cd"], t["msoa_hcl_nm"], t["msoa21nm"], strict=True)
    }


def _sector_of(item: DemandItem) -> str | None:
    """Postcode sector ('CM9 4') of the client's postcode, else of the
    nearest postcode in the client's small area (or anywhere in the table)."""
    postcode = item.client.postcode and geo.normalise_postcode(item.client.postcode)
    if postcode is None:
        g = geo.essex()
        candidates = g.postcodes_in(item.area_id)
        if not len(candidates):
            candidates = g.postcodes
        if not len(candidates):
            return None
        lat, lon = item.client.location.lat, item.client.location.lon
        cos = math.cos(math.radians(lat))
        d2 = (candidates["lat"].to_numpy() - lat) ** 2 + ((candidates["lon"].to_numpy() - lon) * cos) ** 2
        postcode = str(candidates.index[int(np.argmin(d2))])
    return postcode[:-2].strip()


@functools.cache
def _boundaries(name: str, key: str) -> dict[str, dict]:
    with open(geo.data_dir() / name, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    return {f["properties"][key]: f["geometry"] for f in features}


def msoa_polygons() -> dict[str, dict]:
    """GeoJSON geometry of each Essex MSOA 2021 (ONS; OGL v3)."""
    return _boundaries("msoa21_boundaries.geojson", "msoa21cd")


def district_polygons() -> dict[str, dict]:
    """GeoJSON geometry of each Essex district (ONS ultra-generalised; OGL v3)."""
    return _boundaries("lad24_boundaries_buc.geojson", "lad_cd")


@functools.cache
def _voronoi() -> tuple[dict[str, np.ndarray], Any, Any]:
    """Voronoi cells of the Code-Point Open postcode points, by sector, and
    the county outline to clip them to."""
    import shapely
    from shapely.geometry import shape

    pcs = geo.essex().postcodes
    frame = pd.DataFrame({"lat": pcs["lat"].to_numpy(), "lon": pcs["lon"].to_numpy(), "postcode": pcs.index})
    frame = frame.drop_duplicates(["lat", "lon"]).reset_index(drop=True)
    frame["sector"] = frame["postcode"].str[:-2].str.strip()
    outline = shapely.union_all(
        [shape(g) for g in _boundaries("lad_boundaries_from_lsoa21.geojson", "lad_cd").values()]
    )
    points = shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline.envelope, ordered=True)
    )
    by_sector = {s: np.asarray(idx) for s, idx in frame.groupby("sector").indices.items()}
    return by_sector, cells, outline


@functools.cache
def sector_polygon(sector: str) -> dict | None:
    """GeoJSON geometry of a postcode sector ('CM9 4') in Essex, drawn as
    the union of the Voronoi cells of its postcodes (Code-Point Open), cut
    to the county; None when the table has no postcode in it.

    The drawing depends only on public postcode points, never on a feed.
    """
    import shapely
    from shapely.geometry import mapping

    by_sector, cells, outline = _voronoi()
    idx = by_sector.get(sector)
    if idx is None:
        return None
    poly = shapely.intersection(shapely.union_all(cells[idx]), outline)
    poly = shapely.make_valid(shapely.simplify(poly, 0.0002))
    return _rounded(mapping(poly))


def _rounded(geometry: Any, digits: int = 5) -> Any:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, digits)
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(geometry)


def _geometry(level: str, unit: str) -> dict | None:
    if level == "msoa":
        return msoa_polygons().get(unit)
    if level == "district":
        return district_polygons().get(unit)
    return sector_polygon(unit)


def _features(table: pd.DataFrame) -> list[dict[str, Any]]:
    features = []
    for record in table.to_dict("records"):
        props = {k: _plain(v) for k, v in record.items()}
        features.append(
            {"type": "Feature", "properties": props, "geometry": _geometry(record["level"], record["unit"])}
        )
    return features


def _plain(value: Any) -> Any:
    if value is pd.NA or value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


_LEVEL_LABELS = {
    "msoa": "Small areas (MSOA)",
    "sector": "Postcode sectors",
    "district": "Districts (merged cells and suppressed totals)",
}


def _map(table: pd.DataFrame, features: Sequence[dict[str, Any]], k: int, level: str) -> Any:
    """A folium map of the published cells, one shape per unit, coloured by
    its published hours, with the cells in its popup."""
    import branca.colormap as cm
    import folium
    import shapely
    from branca.element import Figure
    from shapely.geometry import shape

    units: dict[tuple[str, str], dict[str, Any]] = {}
    for feature, record in zip(features, table.to_dict("records"), strict=True):
        if feature["geometry"] is None:
            continue
        unit = units.setdefault(
            (record["level"], record["unit"]),
            {"geometry": feature["geometry"], "name": record["unit_name"], "hours": 0.0, "rows": []},
        )
        unit["hours"] += float(record["hours_week"])
        unit["rows"].append(record)
    top = max((u["hours"] for u in units.values()), default=1.0) or 1.0
    colours = cm.LinearColormap(["#ffffcc", "#fd8d3c", "#bd0026"], vmin=0, vmax=top)
    colours.caption = "Care hours a week awaiting a provider"
    shapes = [shape(u["geometry"]) for u in units.values()]
    if shapes:
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(shapes))
        # No centre: the view is fitted to the published shapes' own bounds.
        fmap = folium.Map(location=None, tiles="OpenStreetMap", control_scale=True)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    else:  # nothing to draw: the county
        fmap = folium.Map(location=[51.8, 0.6], zoom_start=9, tiles="OpenStreetMap", control_scale=True)
    groups = {}
    for lvl in ("district", level):
        if any(key[0] == lvl for key in units):
            groups[lvl] = folium.FeatureGroup(name=_LEVEL_LABELS[lvl], show=True)
    for (lvl, _), unit in sorted(units.items(), key=lambda kv: kv[0][0] != "district"):
        colour = colours(unit["hours"])
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": unit["geometry"]},
            style_function=lambda _f, c=colour, d=(lvl == "district"): {
                "fillColor": c,
                "color": "#555555",
                "weight": 2 if d else 1,
                "fillOpacity": 0.35 if d else 0.7,
            },
            tooltip=f"{html.escape(unit['name'])}: {unit['hours']:.1f} h a week",
            # folium accepts a plain Popup here (its stubs name only GeoJsonPopup).
            popup=folium.Popup(_popup(unit["name"], unit["rows"]), max_width=460),  # type: ignore[arg-type]
        ).add_to(groups[lvl])
    for group in groups.values():
        group.add_to(fmap)
    colours.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    attribution = "<br>".join(html.escape(line) for line in geo.ATTRIBUTION)
    note = (
        f"<b>Home care awaiting a provider</b> (patchplan). Hours a week by {html.escape(_LEVEL_LABELS[level].lower())}, "
        f"service, cohort and time band. Cells describing fewer than {k} people are merged into larger "
        "cells or counted only in a district's suppressed total. No personal data."
    )
    root = fmap.get_root()
    assert isinstance(root, Figure)  # a folium Map's root is its Figure
    root.html.add_child(
        folium.Element(
            '<div style="position:fixed;bottom:10px;left:10px;z-index:1000;max-width:520px;'
            'background:rgba(255,255,255,0.9);padding:6px 8px;font:11px sans-serif;border-radius:4px">'
            f"{note}<br><br>{attribution}</div>"
        )
    )
    return fmap


def _popup(name: str, rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"<b>{html.escape(name)}</b>",
        "<table><tr><th>service</th><th>cohort</th><th>band</th><th>packages</th><th>hours/week</th></tr>",
    ]
    for r in rows:
        packages = "" if _plain(r["packages"]) is None else str(r["packages"])
        what = ("suppressed total", "", "") if r["suppressed"] else (r["service_type"], r["cohort"], r["band"])
        cells = "".join(f"<td>{html.escape(str(c))}</td>" for c in (*what, packages, f"{r['hours_week']:.1f}"))
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</table>")
    return "".join(lines)
