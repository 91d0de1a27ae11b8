"""Patch designs as GeoJSON: :func:`to_geojson` writes one, :func:`from_geojson` reads one someone drew.

Reading understands area-code files and polygon files, reports every bad
feature with the file, the feature's index and the property, and repairs
patches that end up in pieces (:func:`_repair`); the design it returns is one
:func:`patchplan.patches.partition.check_design` passes.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from patchplan.core.errors import DataQualityWarning, InputError, Problem, ProblemCollector
from patchplan.core.model import Patch, Scenario
from patchplan.geo import geography as geo
from patchplan.patches.partition import SIMPLIFY_DEG, _named, check_design, demand_hours, design_scope

log = logging.getLogger("patchplan")


def to_geojson(
    scenario: Scenario,
    patches: Sequence[Patch],
    path: str | Path,
    *,
    demand: Mapping[str, float] | None = None,
) -> Path:
    """Write a design as GeoJSON: one feature per patch.

    Parameters
    ----------
    scenario
        The scenario (an Essex one: its areas have polygons).
    patches
        The design.
    path
        File to write (WGS84, RFC 7946).
    demand
        Hours by area; :func:`demand_hours` when omitted.

    Returns
    -------
    Path
        The file written. Each feature's geometry is the union of its small
        areas' polygons, simplified by about 5 m; properties are ``id``,
        ``name``, ``lead_provider_id``, ``areas`` (count), ``demand_hours``
        and ``area_ids`` (the codes, so :func:`from_geojson` reads the
        design back exactly).

    Raises
    ------
    InputError
        When an area has no polygon (not an Essex area).
    """
    from shapely import union_all
    from shapely.geometry import mapping, shape

    hours = demand_hours(scenario) if demand is None else demand
    polys = geo.area_polygons()
    features = []
    for p in patches:
        missing = sorted(a for a in p.area_ids if a not in polys)
        if missing:
            raise InputError(f"patch '{p.id}': no polygon for areas {', '.join(missing[:10])}")
        shape_ = union_all([shape(polys[a]) for a in sorted(p.area_ids)])
        shape_ = shape_.simplify(SIMPLIFY_DEG, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(mapping(shape_)),
                "properties": {
                    "id": p.id,
                    "name": p.name,
                    "lead_provider_id": p.lead_provider_id,
                    "areas": len(p.area_ids),
                    "demand_hours": round(sum(hours.get(a, 0.0) for a in p.area_ids), 2),
                    "area_ids": sorted(p.area_ids),
                },
            }
        )
    out = Path(path)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump({"type": "FeatureCollection", "features": features}, fh)
        fh.write("\n")
    return out


def _rounded(geom: Any) -> Any:
    """Coordinates rounded to 6 decimals (~0.1 m), as lists."""
    if isinstance(geom, dict):
        return {k: _rounded(v) for k, v in geom.items()}
    if isinstance(geom, (list, tuple)):
        if geom and isinstance(geom[0], float):
            return [round(x, 6) for x in geom]
        return [_rounded(x) for x in geom]
    return geom


_ID_KEYS = ("id", "patch_id", "patch")


def from_geojson(scenario: Scenario, path: str | Path) -> tuple[Patch, ...]:
    """Read patches someone drew (or :func:`to_geojson` wrote).

    Two kinds of file are understood:

    a. **Area codes.** Every feature is a small area with properties
       ``lsoa21cd`` and ``patch_id`` (or ``patch``), optionally
       ``patch_name`` and ``lead_provider_id``; or every feature is a patch
       with an ``area_ids`` list and ``id`` (or ``patch_id``/``patch``),
       optionally ``name`` and ``lead_provider_id``. Geometry is ignored.
       The areas being partitioned (:func:`design_scope`) must each be in
       exactly one patch; areas of other districts are left out.
    b. **Polygons.** Features with Polygon/MultiPolygon geometry and
       optional ``id`` (or ``patch_id``/``patch``), ``name`` and
       ``lead_provider_id`` properties. Each area goes to the first polygon
       holding its postcode-weighted centroid; areas in none go to the
       nearest polygon. A patch that ends up in pieces in the area graph
       keeps its piece with most demand; each other piece joins the
       adjacent patch it shares most border with. Polygons that get no
       area are dropped.

    Patches without a name are named after their neighbourhoods
    (:func:`patch_names`); without an id they get ``P01``...

    Parameters
    ----------
    scenario
        The Essex scenario the patches are for.
    path
        The GeoJSON file.

    Returns
    -------
    tuple of Patch
        A design :func:`check_design` passes.

    Raises
    ------
    InputError
        For an unreadable file or bad features, each problem naming the
        file, the feature's index and the property.
    """
    file = str(path)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise InputError([Problem(file=file, message=f"cannot read the file: {exc.strerror or exc}")]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError([Problem(file=file, message=f"not valid JSON: {exc}")]) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(features, list):
        raise InputError(
            [
                Problem(
                    file=file,
                    column="type",
                    value=_type_of(data),
                    message="expected a GeoJSON FeatureCollection with a list of features",
                )
            ]
        )
    if not features:
        raise InputError([Problem(file=file, column="features", message="the FeatureCollection has no features")])
    bad = ProblemCollector()
    props: list[dict[str, Any]] = []
    for i, f in enumerate(features):
        p = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(f, dict) or f.get("type") != "Feature":
            bad.add(file=file, column="type", value=_type_of(f), message=f"feature {i}: not a GeoJSON Feature")
            p = {}
        elif p is None:
            p = {}
        elif not isinstance(p, dict):
            bad.add(
                file=file, column="properties", value=_type_of(p), message=f"feature {i}: properties must be an object"
            )
            p = {}
        props.append(p)
    bad.raise_if_any()
    hours = demand_hours(scenario)
    scope = design_scope(scenario, hours)
    coded = any("lsoa21cd" in p or "area_ids" in p for p in props)
    if coded:
        return _from_codes(scenario, file, props, scope, hours)
    return _from_polygons(scenario, file, features, props, scope, hours)


def _type_of(value: object) -> object:
    return value.get("type") if isinstance(value, dict) else type(value).__name__


def _text(p: Mapping[str, Any], keys: Sequence[str]) -> tuple[str | None, str | None, object]:
    """(key, stripped text, raw) of the first key present; text None when
    the value is not a usable id."""
    for key in keys:
        if key in p and p[key] is not None:
            raw = p[key]
            if isinstance(raw, bool) or not isinstance(raw, (str, int)):
                return key, None, raw
            text = str(raw).strip()
            return key, (text or None), raw
    return None, None, None


def _lead(scenario: Scenario, file: str, i: int, p: Mapping[str, Any], bad: ProblemCollector) -> str | None:
    lead = p.get("lead_provider_id")
    if lead is None or lead == "":
        return None
    if not isinstance(lead, str) or not scenario.has("provider", lead):
        bad.add(file=file, column="lead_provider_id", value=lead, message=f"feature {i}: unknown provider")
        return None
    return lead


def _from_codes(
    scenario: Scenario, file: str, props: list[dict[str, Any]], scope: Sequence[str], hours: Mapping[str, float]
) -> tuple[Patch, ...]:
    bad = ProblemCollector()
    in_scope = set(scope)
    areas: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    leads: dict[str, str | None] = {}
    where: dict[str, int] = {}
    for i, p in enumerate(props):
        if "area_ids" in p:
            key, pid, raw = _text(p, _ID_KEYS)
            codes = p["area_ids"]
            if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
                bad.add(file=file, column="area_ids", value=codes, message=f"feature {i}: must be a list of area codes")
                codes = []
            name = p.get("name")
        elif "lsoa21cd" in p:
            key, pid, raw = _text(p, ("patch_id", "patch"))
            code = p["lsoa21cd"]
            if not isinstance(code, str):
                bad.add(file=file, column="lsoa21cd", value=code, message=f"feature {i}: must be an area code")
                code = None
            codes = [code] if code else []
            name = p.get("patch_name")
        else:
            bad.add(
                file=file,
                column="lsoa21cd",
                message=f"feature {i}: no area code (lsoa21cd or area_ids) while other features have one",
            )
            continue
        if pid is None:
            bad.add(
                file=file,
                column=key or "patch_id",
                value=raw,
                message=f"feature {i}: no patch id (patch_id or patch)"
                if key is None
                else f"feature {i}: not a usable patch id",
            )
            continue
        lead = _lead(scenario, file, i, p, bad)
        if pid in leads and leads[pid] != lead and lead is not None:
            bad.add(
                file=file,
                column="lead_provider_id",
                value=lead,
                message=f"feature {i}: patch '{pid}' already has lead provider {leads[pid]!r}",
            )
        if leads.get(pid) is None:
            leads[pid] = lead
        if isinstance(name, str) and name.strip() and pid not in names:
            names[pid] = name.strip()
        for code in codes:
            if not scenario.has("area", code):
                bad.add(
                    file=file,
                    column="lsoa21cd" if "lsoa21cd" in p else "area_ids",
                    value=code,
                    message=f"feature {i}: unknown area code",
                )
            elif code in where:
                bad.add(
                    file=file,
                    column="lsoa21cd" if "lsoa21cd" in p else "area_ids",
                    value=code,
                    message=f"feature {i}: area already in feature {where[code]}",
                )
            else:
                where[code] = i
                if code in in_scope:
                    areas[pid].add(code)
    missing = [a for a in scope if a not in where]
    if missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        bad.add(
            file=file, column="lsoa21cd", message=f"{len(missing)} areas of the scenario are in no feature: {shown}"
        )
    bad.raise_if_any()
    pids = [pid for pid in areas if areas[pid]]
    if not pids:
        raise InputError([Problem(file=file, message="no feature has an area of this scenario's districts")])
    patches = _named(
        scenario,
        [frozenset(areas[pid]) for pid in pids],
        hours,
        ids=pids,
        names=[names.get(pid) for pid in pids],
        leads=[leads.get(pid) for pid in pids],
    )
    problems = check_design(scenario, patches, area_ids=scope)
    if problems:
        raise InputError([Problem(file=file, message=msg) for msg in problems])
    return patches


def _from_polygons(
    scenario: Scenario,
    file: str,
    features: list[Any],
    props: list[dict[str, Any]],
    scope: Sequence[str],
    hours: Mapping[str, float],
) -> tuple[Patch, ...]:
    from shapely import STRtree
    from shapely.errors import GEOSException
    from shapely.geometry import Point, shape
    from shapely.validation import explain_validity, make_valid

    bad = ProblemCollector()
    shapes: list[Any] = []
    ids: list[str | None] = []
    names: list[str | None] = []
    leads: list[str | None] = []
    grid = _british_national_grid(file, features, bad)
    for i, (f, p) in enumerate(zip(features, props, strict=True)):
        geom = f.get("geometry")
        if not isinstance(geom, dict) or geom.get("type") not in ("Polygon", "MultiPolygon"):
            bad.add(
                file=file,
                column="geometry",
                value=_type_of(geom) if geom is not None else None,
                message=f"feature {i}: needs a Polygon or MultiPolygon geometry (or an lsoa21cd property)",
            )
            continue
        if grid:
            geom = _to_wgs84(geom)
        try:
            g = shape(geom)
            if not g.is_valid:  # a self-crossing ring: repaired, but never silently
                warnings.warn(
                    f"{file}: feature {i}: invalid polygon ({explain_validity(g)}); repaired before use",
                    DataQualityWarning,
                    stacklevel=3,
                )
                g = make_valid(g)
        except (GEOSException, ValueError, TypeError, IndexError, AttributeError) as exc:
            bad.add(
                file=file, column="geometry", value=geom.get("type"), message=f"feature {i}: bad coordinates ({exc})"
            )
            continue
        if g.is_empty:
            bad.add(file=file, column="geometry", value=geom.get("type"), message=f"feature {i}: empty geometry")
            continue
        key, pid, raw = _text(p, _ID_KEYS)
        if key is not None and pid is None:
            bad.add(file=file, column=key, value=raw, message=f"feature {i}: not a usable patch id")
            continue
        if pid is None and isinstance(f.get("id"), (str, int)) and not isinstance(f.get("id"), bool):
            pid = str(f["id"]).strip() or None
        if pid is not None and pid in ids:
            bad.add(file=file, column=key or "id", value=pid, message=f"feature {i}: patch id used by another feature")
            continue
        name = p.get("name")
        shapes.append(g)
        ids.append(pid)
        names.append(name.strip() if isinstance(name, str) and name.strip() else None)
        leads.append(_lead(scenario, file, i, p, bad))
    bad.raise_if_any()
    tree = STRtree(shapes)
    assign: dict[str, int] = {}
    inside = 0
    for a in scope:
        c = scenario.area(a).centroid
        pt = Point(c.lon, c.lat)
        hits = tree.query(pt, predicate="intersects")
        if len(hits):
            assign[a] = int(min(hits))
            inside += 1
        else:
            assign[a] = int(tree.nearest(pt))
    if scope and not inside:  # every area "nearest" to one polygon would make a one-patch county
        raise InputError(
            [
                Problem(
                    file=file,
                    column="geometry",
                    message=f"no polygon holds any of the {len(scope)} areas being partitioned: the polygons lie "
                    "elsewhere (are the coordinates longitude/latitude, and in the scenario's districts?)",
                )
            ]
        )
    groups: dict[int, set[str]] = defaultdict(set)
    for a, j in assign.items():
        groups[j].add(a)
    groups = _repair(scenario, groups, hours)
    keep = sorted(j for j in groups if groups[j])
    dropped = len(shapes) - len(keep)
    if dropped:
        log.info("%s: %d polygons hold no area of the scenario's districts and were dropped", file, dropped)
    width = max(2, len(str(len(shapes))))
    patches = _named(
        scenario,
        [frozenset(groups[j]) for j in keep],
        hours,
        ids=[ids[j] if j < len(ids) and ids[j] else f"P{j + 1:0{width}d}" for j in keep],
        names=[names[j] if j < len(names) else None for j in keep],
        leads=[leads[j] if j < len(leads) else None for j in keep],
    )
    problems = check_design(scenario, patches, area_ids=scope)
    if problems:
        raise InputError([Problem(file=file, message=msg) for msg in problems])
    return patches


def _repair(scenario: Scenario, groups: dict[int, set[str]], hours: Mapping[str, float]) -> dict[int, set[str]]:
    """Make every group connected: stray pieces join the neighbouring group
    they share most border with (or become groups of their own)."""
    full = geo.essex().graph
    fresh = max(groups, default=-1) + 1
    changed = True
    rounds = 0
    while changed and rounds < 10 * (len(groups) + 1):
        changed = False
        rounds += 1
        owner = {a: j for j, g in groups.items() for a in g}
        for j in sorted(groups):
            pieces = [set(c) for c in nx.connected_components(full.subgraph(groups[j]))]
            if len(pieces) < 2:
                continue
            pieces.sort(key=lambda c: (-sum(hours.get(a, 0.0) for a in c), -len(c), min(c)))
            for piece in pieces[1:]:
                border: dict[int, float] = defaultdict(float)
                for a in piece:
                    for b, data in full.adj[a].items():
                        if b in owner and owner[b] != j:
                            border[owner[b]] += data.get("border_m", 0.0) + 1.0
                groups[j] -= piece
                if border:
                    to = max(sorted(border), key=lambda q: border[q])
                    groups[to] |= piece
                else:
                    groups[fresh] = piece
                    fresh += 1
            changed = True
            break
    return groups


#: British National Grid (EPSG:27700) eastings and northings, in metres.
_BNG_X, _BNG_Y = (0.0, 700_000.0), (0.0, 1_300_000.0)


def _vertices(coords: object) -> list[tuple[object, object]]:
    """Every (x, y) of a GeoJSON coordinates array, however deeply nested."""
    if isinstance(coords, (list, tuple)) and len(coords) >= 2 and not isinstance(coords[0], (list, tuple)):
        return [(coords[0], coords[1])]
    if isinstance(coords, (list, tuple)):
        return [v for c in coords for v in _vertices(c)]
    return []


def _british_national_grid(file: str, features: list[Any], bad: ProblemCollector) -> bool:
    """Whether the polygons are in British National Grid metres (then they are converted).

    Checks every vertex is a finite number; coordinates outside longitude and
    latitude ranges that fit the National Grid are taken as EPSG:27700 (the
    usual export of a council's GIS); any others are refused with the reason.
    """
    xs, ys = [], []
    for i, f in enumerate(features):
        geom = f.get("geometry") if isinstance(f, dict) else None
        if not isinstance(geom, dict):
            continue
        for k, (x, y) in enumerate(_vertices(geom.get("coordinates"))):
            ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y))
            if not ok:
                bad.add(
                    file=file,
                    column="geometry",
                    value=f"[{x}, {y}]",
                    message=f"feature {i}: vertex {k} is not a pair of finite numbers (NaN or infinite)",
                )
                return False
            xs.append(float(x))  # type: ignore[arg-type]
            ys.append(float(y))  # type: ignore[arg-type]
    if not xs or (max(map(abs, xs)) <= 180 and max(map(abs, ys)) <= 90):
        return False
    if _BNG_X[0] <= min(xs) and max(xs) <= _BNG_X[1] and _BNG_Y[0] <= min(ys) and max(ys) <= _BNG_Y[1]:
        log.info("%s: coordinates read as British National Grid metres (EPSG:27700) and converted", file)
        return True
    bad.add(
        file=file,
        column="geometry",
        value=f"x {min(xs):g}..{max(xs):g}, y {min(ys):g}..{max(ys):g}",
        message="coordinates are neither longitude/latitude degrees (RFC 7946) nor British National Grid metres; "
        "export the layer as WGS84 (EPSG:4326)",
    )
    return False


def _to_wgs84(geom: dict[str, Any]) -> dict[str, Any]:
    """A geometry's British National Grid coordinates as longitude/latitude."""
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)

    def convert(coords: Any) -> Any:
        if coords and not isinstance(coords[0], (list, tuple)):
            lon, lat = to_wgs84.transform(coords[0], coords[1])
            return [lon, lat]
        return [convert(c) for c in coords]

    return {**geom, "coordinates": convert(geom["coordinates"])}
