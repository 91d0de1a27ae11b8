"""The other ways in, beyond the bad-input corpus: what is legitimate is applied
correctly (events on the re-planned day, night calls past midnight, GeoJSON in
British National Grid metres), surprising data warns in the terminal and in
--json, and readers fed random bytes end in exit 0 or 2, never 1 (issue 13)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import patchplan as pp
from patchplan.cli.app import app
from patchplan.core.events import CarerOff, NewVisit, Overrun
from patchplan.core.model import DAY_MIN, Location
from patchplan.core.params import FIRST_SOLUTIONS, METAHEURISTICS, RoundsParams
from patchplan.geo.travel import MAX_MATRIX_POINTS, default_travel
from patchplan.io import read_events, read_roster
from patchplan.io.geojson import from_geojson

DATA = Path(__file__).parent / "data"
TINY = DATA / "tiny"
ROSTER = DATA / "tiny_roster"
runner = CliRunner(env={"COLUMNS": "2000"})


def _two_days(tmp_path: Path) -> Path:
    folder = tmp_path / "two"
    shutil.copytree(TINY, folder)
    toml = folder / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("days = 1", "days = 2"), encoding="utf-8")
    return folder


# -- events ---------------------------------------------------------------------------------------
def test_event_times_are_on_the_replanned_day(tmp_path: Path) -> None:
    """HH:MM is on the day re-planned (not the horizon's first day); a night
    call's latest finish past midnight is written as visits.csv writes it."""
    s = pp.read_scenario(_two_days(tmp_path))
    events = tmp_path / "events.csv"
    events.write_text(
        "type,carer_id,visit_id,time,minutes,package_id,earliest,latest,duration_min\n"
        "carer_off,K1,,09:40,,,,,\n"
        "new_visit,,NIGHT-1,,,PK1,23:30,25:00,30\n",
        encoding="utf-8",
    )
    off, night = read_events(events, s, day=1)
    assert off == CarerOff("K1", DAY_MIN + 9 * 60 + 40)
    assert isinstance(night, NewVisit)
    assert (night.visit.day, night.visit.early) == (1, DAY_MIN + 23 * 60 + 30)
    assert night.visit.late + night.visit.duration_min == 2 * DAY_MIN + 60  # 01:00 the next morning


def test_overrun_and_roster_provider_are_checked(tmp_path: Path) -> None:
    s = pp.read_scenario(TINY)
    roster = read_roster(ROSTER, s)
    events = tmp_path / "events.csv"
    events.write_text("type,visit_id,minutes\noverrun,V1,25\n", encoding="utf-8")
    assert read_events(events, s, day=0, roster=roster) == [Overrun("V1", 25)]
    events.write_text("type,visit_id,package_id,earliest,latest,duration_min\nnew_visit,U1,PK4,14:00,15:00,30\n")
    with pytest.raises(pp.InputError, match="is not placed with the roster's provider 'P1'"):
        read_events(events, s, day=0, roster=roster)


def test_a_roster_file_is_read_without_its_siblings(tmp_path: Path) -> None:
    """A roster named as a file is that file: rounds.csv beside it is not read."""
    shutil.copytree(ROSTER, tmp_path / "r")
    mine = tmp_path / "r" / "mine.csv"
    shutil.copyfile(tmp_path / "r" / "roster.csv", mine)
    (tmp_path / "r" / "roster.csv").write_text("carer_id,date,visit_id,start\nK9,2026-11-30,V9,08:00\n")
    s = pp.read_scenario(TINY)
    roster = read_roster(mine, s)
    assert {st.visit_id for r in roster.rounds for st in r.stops} == {"V1", "V2", "V3"}


# -- options and params ---------------------------------------------------------------------------
def test_strategy_names_are_the_ones_or_tools_knows() -> None:
    from ortools.constraint_solver import routing_enums_pb2 as enums

    known = set(enums.FirstSolutionStrategy.Value.keys())
    assert set(FIRST_SOLUTIONS) <= known and "PARALLEL_CHEAPEST_INSERTION" in FIRST_SOLUTIONS
    adapter_only = {"ITERATED_LOCAL_SEARCH"}  # the OR-Tools adapter's own name (solver/_ortools.py)
    assert set(METAHEURISTICS) - adapter_only <= set(enums.LocalSearchMetaheuristic.Value.keys())
    with pytest.raises(pp.InputError, match="metaheuristic"):
        RoundsParams(metaheuristic="FASTEST")
    with pytest.raises(pp.InputError, match="time_limit_s"):
        RoundsParams(time_limit_s=float("inf"))


def test_params_toml_outside_the_rounds_table_is_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("seed = 3\n[rounds]\ntravel_weight = 10\n", encoding="utf-8")
    with pytest.raises(pp.InputError, match="p.toml, column 'seed': is outside the \\[rounds\\] table"):
        RoundsParams.from_toml(path)
    path.write_text("[rounds]\ntravel_weight = 10\nfirst_solution = 'SAVINGS'\n", encoding="utf-8")
    assert RoundsParams.from_toml(path).first_solution == "SAVINGS"


def test_absurd_matrix_is_refused_before_allocation() -> None:
    points = [Location(51.0, 0.5)] * (MAX_MATRIX_POINTS + 1)
    with pytest.raises(pp.InputError, match="too large"):
        default_travel().matrices(points, "car")


# -- warnings in the terminal and in --json ----------------------------------------------------------
def test_surprising_data_warns_in_terminal_and_json(tmp_path: Path) -> None:
    """A client who has prohibited every carer of their provider is legal, and said."""
    folder = tmp_path / "s"
    shutil.copytree(TINY, folder)
    (folder / "client_carers.csv").write_text(
        "client_id,carer_id,relation,visits\nC1,K1,prohibited,\nC1,K2,prohibited,\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["scenario", "facts", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert any("prohibited every carer of their provider" in w for w in payload["warnings"]), payload
    assert "warning:" in result.stderr and "client 'C1'" in result.stderr


def test_week_past_the_horizon_says_how_many_days(tmp_path: Path) -> None:
    result = runner.invoke(app, ["rounds", str(TINY), "--week", "2026-11-30", "--time-limit", "2", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["days_planned"], payload["days_requested"]) == (1, 7)
    assert any("planned 1 of 7 days" in w and "ends on 2026-11-30" in w for w in payload["warnings"])


# -- GeoJSON --------------------------------------------------------------------------------------------
def _halves(scenario: pp.Scenario) -> list[list[list[float]]]:
    """Two rectangles splitting the scenario's areas west/east, as lon/lat rings."""
    from patchplan.patches import design_scope

    cs = [scenario.area(a).centroid for a in design_scope(scenario)]
    lons, lats = [c.lon for c in cs], [c.lat for c in cs]
    w, e, s, n = min(lons) - 0.05, max(lons) + 0.05, min(lats) - 0.05, max(lats) + 0.05
    mid = float(np.median(lons))
    return [
        [[w, s], [mid, s], [mid, n], [w, n], [w, s]],
        [[mid, s], [e, s], [e, n], [mid, n], [mid, s]],
    ]


def _collection(rings: list[list[list[float]]]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"id": f"P{i}"}, "geometry": {"type": "Polygon", "coordinates": [r]}}
            for i, r in enumerate(rings, start=1)
        ],
    }


def test_geojson_in_british_national_grid_is_converted(tmp_path: Path) -> None:
    """The same two polygons in WGS84 and in EPSG:27700 metres give the same patches."""
    from pyproj import Transformer

    s = pp.read_scenario(TINY)
    rings = _halves(s)
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    grid = [[list(to_grid.transform(x, y)) for x, y in ring] for ring in rings]
    assert grid[0][0][0] > 1000  # metres, not degrees
    (tmp_path / "wgs84.geojson").write_text(json.dumps(_collection(rings)))
    (tmp_path / "bng.geojson").write_text(json.dumps(_collection(grid)))
    a = from_geojson(s, tmp_path / "wgs84.geojson")
    b = from_geojson(s, tmp_path / "bng.geojson")
    assert [p.area_ids for p in a] == [p.area_ids for p in b]
    assert len(a) >= 1 and sum(len(p.area_ids) for p in a) == sum(len(p.area_ids) for p in b)


def test_invalid_ring_is_repaired_with_a_warning(tmp_path: Path) -> None:
    s = pp.read_scenario(TINY)
    west, east = _halves(s)
    (w, south), (_, n), e = west[0], west[2], east[1][0]
    bowtie = [[w, south], [e, n], [e, south], [w, n], [w, south]]  # crosses itself
    (tmp_path / "p.geojson").write_text(json.dumps(_collection([bowtie])))
    with pytest.warns(pp.DataQualityWarning, match="invalid polygon"):
        from_geojson(s, tmp_path / "p.geojson")


# -- property: random bytes into every reader -------------------------------------------------------
_CELLS = st.sampled_from(
    ["", "V1", "K1", "PK1", "carer_off", "overrun", "cancel", "new_visit", "09:00", "25:30", "99:99", "-5", "nan",
     "2026-11-30T10:00", "2026-11-29T10:00", "1e400", '"', "\x00", "é", ",", "Infinity"]
)  # fmt: skip
_HEADERS = st.lists(
    st.sampled_from(["type", "carer_id", "visit_id", "time", "minutes", "package_id", "earliest", "latest",
                     "duration_min", "reason", "start", "date", "extra"]),
    min_size=1, max_size=6,
)  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=_HEADERS, rows=st.lists(st.lists(_CELLS, min_size=0, max_size=7), max_size=4))
def test_random_events_and_rosters_exit_0_or_2(header: list[str], rows: list[list[str]], tmp_path: Path) -> None:
    """Random events files (through `replan`, stopped before any solve by a
    bad --now day when they read cleanly) and random rosters (through `check`)
    never end in an internal error."""
    text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    (tmp_path / "events.csv").write_text(text, encoding="utf-8")
    two = tmp_path / "two" if (tmp_path / "two").is_dir() else _two_days(tmp_path)
    argv = ["replan", str(two), str(ROSTER), "--events", str(tmp_path / "events.csv"), "--now", "2026-12-01T09:00"]
    result = runner.invoke(app, [*argv, "--time-limit", "1"])
    assert result.exit_code in (0, 2), result.output
    (tmp_path / "r").mkdir(exist_ok=True)
    (tmp_path / "r" / "roster.csv").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(TINY), str(tmp_path / "r")])
    assert result.exit_code in (0, 2), result.output


_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**7), 10**7), st.text(max_size=3), st.none()
)


@pytest.mark.filterwarnings("ignore::patchplan.core.errors.DataQualityWarning")  # random data: surprising
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    coords=st.lists(st.lists(st.tuples(_NUMBERS, _NUMBERS), min_size=0, max_size=6), min_size=1, max_size=3),
    kind=st.sampled_from(["Polygon", "MultiPolygon", "Point", None]),
)
def test_random_geojson_exit_0_or_2(coords: list, kind: str | None, tmp_path: Path) -> None:
    """Random polygons (NaN, huge, text, empty rings) into from_geojson: a patch
    design or an InputError, never a crash."""
    s = pp.read_scenario(TINY)
    rings = [[list(p) for p in ring] for ring in coords]
    geometry = {"type": kind, "coordinates": [rings] if kind == "MultiPolygon" else rings}
    (tmp_path / "p.geojson").write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": geometry}]}
        )
    )
    try:
        patches = from_geojson(s, tmp_path / "p.geojson")
    except pp.InputError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
    else:
        assert patches


_FEED_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "CM0 7RH", "Maldon", "personal_care", "older_people", "2026-11-02", "02/11/2026",
                     "daily 07:00-09:00 45", "mon-fri 25:00-09:00 45x3", "nan", "1e400", "\x00"]),
    st.lists(st.dictionaries(st.sampled_from(["weekday", "earliest", "latest", "duration_min", "x"]),
                             st.sampled_from(["mon", "07:00", "09:00", "45", -1, None]), max_size=4), max_size=2),
)  # fmt: skip
_FEED_KEYS = st.sampled_from(
    ["package_id", "client_id", "postcode", "lat", "lon", "district", "service_type", "cohort", "urgency",
     "received", "start_date", "hours_week", "visits", "other"]
)  # fmt: skip


@pytest.mark.filterwarnings("ignore::patchplan.core.errors.DataQualityWarning")  # random data: surprising
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.dictionaries(_FEED_KEYS, _FEED_VALUES, max_size=14), max_size=3))
def test_random_feed_records_never_crash(records: list[dict], tmp_path: Path) -> None:
    """Random JSON feed records: demand items or an InputError naming file and row, never a crash."""
    from patchplan.io.feed import read_feed

    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"packages": records}), encoding="utf-8")
    try:
        items = read_feed(path)
    except pp.InputError as exc:
        assert all(p.file for p in exc.problems)
    else:
        assert len(items) <= len(records)
