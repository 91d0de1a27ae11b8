"""Patches: by district, designed, imported and exported; every design is a
partition of the areas into connected patches."""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections import defaultdict
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patchplan as pp
from patchplan.geo import geography as geo
from patchplan.patches import partition as P

HARLOW = "E07000073"


@functools.cache
def county_areas() -> pp.Scenario:
    """The county's 903 areas and 12 districts, without clients."""
    g = geo.essex()
    return pp.Scenario(name="county", start=dt.date(2025, 1, 6), districts=g.districts, areas=g.areas)


@pytest.fixture()
def county() -> pp.Scenario:
    """The county's 903 areas and 12 districts, without clients."""
    return county_areas()


def synthetic_demand(seed: int) -> dict[str, float]:
    """Hours by area: 65+ population x lognormal noise, a tenth of areas empty."""
    rng = np.random.default_rng(seed)
    return {
        a.id: float(a.pop_65_plus * 0.4 * rng.lognormal(0, 0.5)) if rng.random() > 0.1 else 0.0
        for a in geo.essex().areas
    }


@pytest.fixture(scope="module")
def harlows() -> list[pp.Scenario]:
    """Two generated Harlow scenarios at 20% scale."""
    return [pp.essex(district="Harlow", seed=seed, scale=0.2) for seed in (1, 2)]


@pytest.fixture(scope="module")
def harlow(harlows: list[pp.Scenario]) -> pp.Scenario:
    """One generated Harlow scenario at 20% scale."""
    return harlows[0]


def assert_valid(s: pp.Scenario, patches: tuple[pp.Patch, ...], scope: set[str]) -> None:
    """Partition of the scope into connected, non-empty patches (checked
    here independently of check_design), and check_design agrees."""
    seen: list[str] = [a for p in patches for a in p.area_ids]
    assert len(seen) == len(set(seen)) and set(seen) == scope
    graph = geo.essex().graph
    for p in patches:
        assert p.area_ids and nx.is_connected(graph.subgraph(p.area_ids))
    assert len({p.id for p in patches}) == len(patches)
    assert len({p.name for p in patches}) == len(patches)
    assert P.check_design(s, patches, area_ids=sorted(scope)) == []


def relative_hours(
    s: pp.Scenario, patches: tuple[pp.Patch, ...], demand: dict[str, float], within: bool
) -> list[tuple[float, tuple[float, float]]]:
    """Each patch's hours over its part's mean, with the band it must lie in."""
    k = len(patches)
    mean = sum(demand.get(a, 0.0) for p in patches for a in p.area_ids) / k
    parts: dict[str, list[float]] = defaultdict(list)
    for p in patches:
        key = s.area(min(p.area_ids)).district_id if within else "all"
        parts[key].append(sum(demand.get(a, 0.0) for a in p.area_ids))
    out = []
    for hours in parts.values():
        part_mean = sum(hours) / len(hours)
        band = P._band(part_mean, mean, 0.15)
        out += [(h / part_mean, band) for h in hours]
    return out


# -- demand and districts ----------------------------------------------------------------
def test_demand_hours_counts_live_packages(harlow: pp.Scenario) -> None:
    """Demand is the hours of placed, offered and awaiting packages by the
    client's area; every area is listed, those without clients at 0."""
    hours = P.demand_hours(harlow)
    live = sum(p.hours_week for p in harlow.packages if p.status != "ended")
    assert set(hours) == {a.id for a in harlow.areas}
    assert math.isclose(sum(hours.values()), live)
    assert any(v == 0 for v in hours.values())
    client_areas = {c.area_id for c in harlow.clients}
    assert all(v == 0 for a, v in hours.items() if a not in client_areas)


def test_scope_is_the_districts_with_demand(harlow: pp.Scenario, county: pp.Scenario) -> None:
    """A district scenario partitions its own district; a scenario without
    demand partitions every area."""
    assert {harlow.area(a).district_id for a in P.design_scope(harlow)} == {HARLOW}
    assert len(P.design_scope(county)) == 903


def test_by_district_on_the_county(county: pp.Scenario) -> None:
    """by_district gives the county's 12 districts, valid, named and with
    district ids."""
    patches = P.by_district(county, synthetic_demand(0))
    assert len(patches) == 12
    assert {p.name for p in patches} == {d.name for d in county.districts}
    assert all(p.id == f"D-{county.area(min(p.area_ids)).district_id}" for p in patches)
    assert_valid(county, patches, {a.id for a in county.areas})


# -- design properties -----------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.integers(0, 1),
    k=st.integers(1, 8),
    seed=st.integers(0, 10_000),
    within=st.booleans(),
    tolerance=st.sampled_from([0.1, 0.15, 0.25]),
)
def test_design_small_district_is_valid(
    harlows: list[pp.Scenario], which: int, k: int, seed: int, within: bool, tolerance: float
) -> None:
    """Property: on generated Harlow scenarios any k and seed give exactly k
    connected patches that partition Harlow's areas."""
    s = harlows[which]
    patches = P.design(s, k=k, seed=seed, within_districts=within, tolerance=tolerance)
    assert len(patches) == k
    assert_valid(s, patches, set(P.design_scope(s)))


@settings(max_examples=5, deadline=None, derandomize=True)
@given(
    k=st.sampled_from([15, 24, 40, 60, 90]),
    seed=st.integers(0, 10_000),
    demand_seed=st.integers(0, 3),
    within=st.booleans(),
)
def test_design_county_is_valid_and_balanced(k: int, seed: int, demand_seed: int, within: bool) -> None:
    """Property: on the county's area graph with synthetic demand, a design
    is a partition into k connected patches whose hours lie within ±15% of
    the target (of the district's mean and, where the district's mean
    allows it, of the county's mean too), and stays inside districts when
    asked to. The band is a penalty, not a constraint: at k=90 (10 areas a
    patch, some areas a third of a patch) a few patches may miss it
    slightly. Derandomized, so CI runs the same examples."""
    county = county_areas()
    demand = synthetic_demand(demand_seed)
    patches = P.design(county, k=k, seed=seed, demand=demand, within_districts=within, starts=2)
    assert len(patches) == k
    assert_valid(county, patches, {a.id for a in county.areas})
    if within:
        assert all(len({county.area(a).district_id for a in p.area_ids}) == 1 for p in patches)
    rel = relative_hours(county, patches, demand, within)
    slack = 0.01 if k <= 60 else 0.1
    assert all(lo - slack <= r <= hi + slack for r, (lo, hi) in rel)
    assert sum(lo - 1e-9 <= r <= hi + 1e-9 for r, (lo, hi) in rel) >= 0.9 * k


def test_design_county_k60_balance_and_compactness(county: pp.Scenario) -> None:
    """At k=60 inside districts every patch is within ±15% of the county's
    mean hours, and patches are compact: demand-weighted mean under 10 car
    minutes to the centre, where one patch per district needs over 10."""
    demand = synthetic_demand(0)
    patches = P.design(county, k=60, demand=demand)
    kpis = P.design_kpis(county, patches, demand=demand)
    assert all(0.85 - 1e-3 <= r["balance"] <= 1.15 + 1e-3 for r in kpis)

    def mean_minutes(rows: list[dict]) -> float:
        hours = np.array([r["demand_hours"] for r in rows])
        return float(hours @ np.array([r["compactness_min"] for r in rows]) / hours.sum())

    by_district = P.design_kpis(county, P.by_district(county, demand), demand=demand)
    assert mean_minutes(kpis) < 10 < mean_minutes(by_district)


def test_design_is_deterministic_for_a_seed(county: pp.Scenario, harlow: pp.Scenario) -> None:
    """The same seed gives the same design."""
    demand = synthetic_demand(1)
    one = P.design(county, k=30, seed=5, demand=demand, starts=2)
    two = P.design(county, k=30, seed=5, demand=demand, starts=2)
    assert one == two
    assert P.design(harlow, k=4, seed=9) == P.design(harlow, k=4, seed=9)


def test_target_hours_sets_k(harlow: pp.Scenario, county: pp.Scenario) -> None:
    """target_hours gives ceil(total / target) patches, at least one per district."""
    total = sum(P.demand_hours(harlow).values())
    assert len(P.design(harlow, target_hours=total / 3.5)) == 4
    assert len(P.design(county, target_hours=1e9, demand=synthetic_demand(0))) == 12
    assert len(P.design(county, target_hours=1e9, demand=synthetic_demand(0), within_districts=False)) == 1
    with pytest.raises(pp.InputError, match="no demand"):
        P.design(county, target_hours=100.0)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({}, "exactly one of k and target_hours"),
        ({"k": 3, "target_hours": 100.0}, "exactly one of k and target_hours"),
        ({"k": 0}, "k=0"),
        ({"target_hours": -1.0}, "target_hours=-1.0"),
        ({"k": 3, "tolerance": 1.5}, "tolerance"),
        ({"k": 59}, "more than the 58 areas"),
    ],
)
def test_design_rejects_bad_arguments(harlow: pp.Scenario, kwargs: dict, words: str) -> None:
    """Bad arguments raise InputError saying what is wrong."""
    with pytest.raises(pp.InputError, match=words):
        P.design(harlow, **kwargs)


def test_design_needs_a_patch_per_district(county: pp.Scenario) -> None:
    """Inside districts, k below the number of districts is refused."""
    with pytest.raises(pp.InputError, match="fewer than the 12 districts"):
        P.design(county, k=5, demand=synthetic_demand(0))
    assert len(P.design(county, k=5, demand=synthetic_demand(0), within_districts=False)) == 5


# -- names -------------------------------------------------------------------------------------------
def test_names_come_from_neighbourhoods(harlow: pp.Scenario) -> None:
    """Each patch is named after the neighbourhood holding most of its demand
    (or a compass-suffixed variant of it); ids are N01.. in name order."""
    patches = P.design(harlow, k=8, seed=3)
    hours = P.demand_hours(harlow)
    assert [p.id for p in patches] == [f"N{i:02d}" for i in range(1, 9)]
    assert [p.name for p in patches] == sorted(p.name for p in patches)
    for p in patches:
        share: dict[str, float] = defaultdict(float)
        for a in p.area_ids:
            share[harlow.area(a).neighbourhood] += hours[a]
        top = max(share.values())
        assert any(p.name.startswith(nb) for nb, h in share.items() if h == top)


def test_shared_neighbourhood_names_get_a_compass_suffix(harlow: pp.Scenario) -> None:
    """Two patches whose demand lies mostly in one neighbourhood: the one with
    more demand there keeps the plain name, the other adds its direction."""
    hours = P.demand_hours(harlow)
    areas: dict[str, list[str]] = defaultdict(list)
    for a in P.design_scope(harlow):
        areas[harlow.area(a).neighbourhood].append(a)
    nb, ids = max(sorted(areas.items()), key=lambda kv: len(kv[1]))
    ids.sort(key=lambda a: harlow.area(a).centroid.lat)
    south, north = frozenset(ids[:1]), frozenset(ids[1:])
    demand = {a: 0.0 for a in hours} | {ids[0]: 1.0} | {a: 10.0 for a in north}
    assert P.patch_names(harlow, [south, north], demand) == [f"{nb} South", nb]


# -- checking ------------------------------------------------------------------------------------------
def test_check_design_finds_every_kind_of_problem(harlow: pp.Scenario) -> None:
    """Missing, duplicated, unknown and outside areas, empty and
    disconnected patches and reused ids are all reported."""
    scope = sorted(P.design_scope(harlow))
    graph = geo.essex().graph
    a, b = next((x, y) for x in scope for y in scope if x < y and not graph.has_edge(x, y))
    outside = next(x.id for x in harlow.areas if x.district_id != HARLOW)
    patches = [
        pp.Patch(id="A", name="A", area_ids=frozenset({a, b})),
        pp.Patch(id="B", name="B", area_ids=frozenset({a, "E99999999", outside})),
        pp.Patch(id="B", name="C", area_ids=frozenset()),
    ]
    problems = "\n".join(P.check_design(harlow, patches))
    for words in (
        "patch 'A' is not connected",
        f"area '{a}' is in patches 'A' and 'B'",
        "unknown area 'E99999999'",
        f"area '{outside}' is outside",
        "patch 'B' has no areas",
        "patch id 'B' is used twice",
        f"{len(scope) - 2} areas are in no patch",
    ):
        assert words in problems


# -- GeoJSON -------------------------------------------------------------------------------------------
def test_geojson_round_trip(harlow: pp.Scenario, tmp_path: Path) -> None:
    """to_geojson then from_geojson gives the same design, exactly through the
    area codes and the same partition through the polygons alone."""
    patches = P.design(harlow, k=5, seed=2)
    path = P.to_geojson(harlow, patches, tmp_path / "patches.geojson")
    data = json.loads(path.read_text())
    assert len(data["features"]) == 5
    first = data["features"][0]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert set(first["properties"]) >= {"id", "name", "lead_provider_id", "areas", "demand_hours"}
    assert P.from_geojson(harlow, path) == patches
    for f in data["features"]:
        del f["properties"]["area_ids"]
    (tmp_path / "outlines.geojson").write_text(json.dumps(data))
    back = P.from_geojson(harlow, tmp_path / "outlines.geojson")
    assert {p.id: (p.name, p.area_ids) for p in back} == {p.id: (p.name, p.area_ids) for p in patches}


def test_geojson_round_trip_county(county: pp.Scenario, tmp_path: Path) -> None:
    """The county at k=60: the dissolved outlines alone give the partition back."""
    demand = synthetic_demand(2)
    patches = P.design(county, k=60, demand=demand, starts=1)
    path = P.to_geojson(county, patches, tmp_path / "county.geojson", demand=demand)
    data = json.loads(path.read_text())
    for f in data["features"]:
        del f["properties"]["area_ids"]
    path.write_text(json.dumps(data))
    back = P.from_geojson(county, path)
    assert {p.area_ids for p in back} == {p.area_ids for p in patches}


def _box(lon0: float, lat0: float, lon1: float, lat1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


def test_polygon_import_assigns_areas_by_centroid(harlow: pp.Scenario, tmp_path: Path) -> None:
    """Two boxes split Harlow west/east at a longitude: areas go to the box
    holding their centroid; areas in neither box go to the nearer one; a box
    over another district holds nothing and is dropped; a lead provider is kept."""
    scope = P.design_scope(harlow)
    lons = sorted(harlow.area(a).centroid.lon for a in scope)
    lats = [harlow.area(a).centroid.lat for a in scope]
    split = (lons[len(lons) // 2 - 1] + lons[len(lons) // 2]) / 2
    mid_lat = (min(lats) + max(lats)) / 2
    provider = harlow.providers[0].id
    features = [
        {
            "type": "Feature",
            "properties": {"id": "W", "name": "West", "lead_provider_id": provider},
            "geometry": _box(lons[0] - 0.1, min(lats) - 0.1, split, max(lats) + 0.1),
        },
        # the east box leaves out the north-east: those areas are in no box
        {
            "type": "Feature",
            "properties": {"id": "E"},
            "geometry": _box(split, min(lats) - 0.1, lons[-1] + 0.1, mid_lat),
        },
        {"type": "Feature", "properties": {"id": "SEA"}, "geometry": _box(1.5, 51.0, 1.6, 51.1)},
    ]
    path = tmp_path / "boxes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    patches = {p.id: p for p in P.from_geojson(harlow, path)}
    assert set(patches) == {"W", "E"}
    assert patches["W"].name == "West" and patches["W"].lead_provider_id == provider
    assert patches["E"].name  # named after its neighbourhoods
    west = {a for a in scope if harlow.area(a).centroid.lon < split}
    assert patches["W"].area_ids >= west
    assert patches["E"].area_ids | patches["W"].area_ids == set(scope)
    assert P.check_design(harlow, tuple(patches.values())) == []


def test_area_code_import(harlow: pp.Scenario, tmp_path: Path) -> None:
    """One feature per area with lsoa21cd and patch: areas of other districts
    are left out; names come from patch_name or the neighbourhoods."""
    design = P.design(harlow, k=3, seed=1)
    outside = next(a.id for a in harlow.areas if a.district_id != HARLOW)
    features = [
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"lsoa21cd": a, "patch": p.id, **({"patch_name": "Mine"} if p.id == "N01" else {})},
        }
        for p in design
        for a in sorted(p.area_ids)
    ] + [{"type": "Feature", "geometry": None, "properties": {"lsoa21cd": outside, "patch": "N01"}}]
    path = tmp_path / "codes.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    back = {p.id: p for p in P.from_geojson(harlow, path)}
    assert {k: v.area_ids for k, v in back.items()} == {p.id: p.area_ids for p in design}
    assert back["N01"].name == "Mine" and back["N02"].name == design[1].name


def _write(tmp_path: Path, body: object) -> Path:
    path = tmp_path / "bad.geojson"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def _fc(*features: dict) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


def _area(code: str, **props: object) -> dict:
    return {"type": "Feature", "geometry": None, "properties": {"lsoa21cd": code, **props}}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "not valid JSON"),
        ({"type": "Feature"}, "column 'type'"),
        (_fc(), "no features"),
        (_fc(["not a feature"]), "feature 0: not a GeoJSON Feature"),
        (_fc({"type": "Feature", "properties": {"id": "X"}, "geometry": None}), "feature 0: needs a Polygon"),
        (
            _fc({"type": "Feature", "properties": {"id": "X"}, "geometry": {"type": "Polygon", "coordinates": [[1]]}}),
            "feature 0: bad coordinates",
        ),
        (_fc(_area("E01021819", patch="A"), _area("E99999999", patch="A")), "feature 1: unknown area code"),
        (_fc(_area("E01021819")), "feature 0: no patch id"),
        (_fc(_area("E01021819", patch="A"), _area("E01021819", patch="B")), "feature 1: area already in feature 0"),
        (_fc(_area("E01021819", patch="A")), "57 areas of the scenario are in no feature"),
        (_fc(_area("E01021819", patch="A", lead_provider_id="NOPE")), "feature 0: unknown provider"),
        (
            _fc({"type": "Feature", "geometry": None, "properties": {"area_ids": "E01021819", "id": "A"}}),
            "feature 0: must be a list",
        ),
    ],
)
def test_bad_geojson_is_an_input_error(harlow: pp.Scenario, tmp_path: Path, body: object, words: str) -> None:
    """Bad files raise InputError naming the file, the feature and the property."""
    path = _write(tmp_path, body)
    with pytest.raises(pp.InputError) as info:
        P.from_geojson(harlow, path)
    text = str(info.value)
    assert "bad.geojson" in text and words in text


def test_disconnected_patch_in_codes_is_an_input_error(harlow: pp.Scenario, tmp_path: Path) -> None:
    """A listed patch in two pieces is refused with the check's sentence."""
    scope = sorted(P.design_scope(harlow))
    graph = geo.essex().graph
    a, b = next((x, y) for x in scope for y in scope if x < y and not graph.has_edge(x, y))
    features = [_area(x, patch="A" if x in (a, b) else "B") for x in scope]
    with pytest.raises(pp.InputError, match="patch 'A' is not connected"):
        P.from_geojson(harlow, _write(tmp_path, _fc(*features)))


def test_missing_file_is_an_input_error(harlow: pp.Scenario, tmp_path: Path) -> None:
    """A file that does not exist is an InputError naming it."""
    with pytest.raises(pp.InputError, match="nowhere.geojson"):
        P.from_geojson(harlow, tmp_path / "nowhere.geojson")


# -- KPIs ---------------------------------------------------------------------------------------------------
def test_design_kpis(harlow: pp.Scenario) -> None:
    """KPIs per patch: counts and hours add up, balance averages 1, the
    centre is in the patch, compactness is at most the diameter."""
    patches = P.design(harlow, k=4, seed=1)
    kpis = P.design_kpis(harlow, patches)
    assert [r["id"] for r in kpis] == [p.id for p in patches]
    assert sum(r["areas"] for r in kpis) == len(P.design_scope(harlow))
    assert math.isclose(sum(r["demand_hours"] for r in kpis), sum(P.demand_hours(harlow).values()), abs_tol=0.05)
    assert math.isclose(float(np.mean([r["balance"] for r in kpis])), 1.0, abs_tol=1e-3)
    for r, p in zip(kpis, patches, strict=True):
        assert r["centre"] in p.area_ids
        assert 0 < r["compactness_min"] <= r["diameter_min"]
