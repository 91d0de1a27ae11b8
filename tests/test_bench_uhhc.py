"""UHHC (Bazirha) reader: hand-built files always run; the published
simulated-annealing solutions need ``PATCHPLAN_BENCH_DATA`` and are skipped
without it."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from patchplan.bench import formats as bf
from patchplan.bench.uhhc import read_uhhc, read_uhhc_solution, uhhc_travel
from patchplan.check.checker import check
from patchplan.core.errors import InputError

OBJECTIVE = {"travel_time": 1, "total_tardiness": "HARD", "total_extra_time": "HARD"}


def _instance(**change: Any) -> dict[str, Any]:
    """Two patients: p1 needs s1 and s2 at once, p2 needs s1; two carers."""
    data: dict[str, Any] = {
        "metadata": {"time_window_met": "at_service_end", "cost_components": dict(OBJECTIVE), "name": "T1"},
        "distances": [[0, 10, 20], [10, 0, 15], [20, 15, 0]],
        "terminal_points": [{"id": "d1", "distance_matrix_index": 0, "location": [0.0, 0.0]}],
        "caregivers": [
            {
                "id": f"c{i}",
                "abilities": abilities,
                "departing_point": "d1",
                "arrival_point": "d1",
                "working_shift": {"start": 0, "end": 600},
            }
            for i, abilities in ((1, ["s1"]), (2, ["s1", "s2"]))
        ],
        "patients": [
            {
                "id": "p1",
                "required_services": [{"service": "s1", "duration": 30}, {"service": "s2", "duration": 20}],
                "distance_matrix_index": 1,
                "time_windows": [{"start": 60.0, "end": 120.0}],
                "location": [10.0, 0.0],
                "synchronization": {"type": "simultaneous"},
            },
            {
                "id": "p2",
                "required_services": [{"service": "s1", "duration": 25}],
                "distance_matrix_index": 2,
                "time_windows": [{"start": 100.0, "end": 200.0}],
                "location": [20.0, 0.0],
            },
        ],
        "services": [{"id": "s1", "type": "s1"}, {"id": "s2", "type": "s2"}],
    }
    data.update(change)
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str = "T1.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_read_maps_windows_links_and_skills(tmp_path: Path) -> None:
    """A service must end by the window's close: latest start = end - duration (x scale 10)."""
    inst = read_uhhc(_write(tmp_path, _instance()))
    s = inst.scenario
    v = {x.id: x for x in s.visits}
    assert (v["p1:s1"].early, v["p1:s1"].late, v["p1:s1"].duration_min) == (600, 900, 300)
    assert (v["p1:s2"].early, v["p1:s2"].late) == (600, 1000)
    assert v["p2:s1"].skills == frozenset({"s1"})
    assert [(lk.first, lk.second, lk.min_gap, lk.max_gap) for lk in s.links] == [("p1:s1", "p1:s2", 0, 0)]
    assert {c.id: c.skills for c in s.carers} == {"c1": frozenset({"s1"}), "c2": frozenset({"s1", "s2"})}
    minutes, _ = inst.travel.matrices(list(inst.locations), "car")
    assert minutes.tolist() == [[0, 100, 200], [100, 0, 150], [200, 150, 0]]


def test_solution_routes_timed_checked_and_scored(tmp_path: Path) -> None:
    """c1: p1:s1 then p2; c2: p1:s2. Travel 10 + 15 + 20 and 10 + 10 = 65, and the checker finds nothing."""
    inst = read_uhhc(_write(tmp_path, _instance()))
    sol = {
        "cost": {"objective": 65},
        "routes": [
            {
                "caregiver_id": "c1",
                "locations": [{"patient": "p1", "service": "s1"}, {"patient": "p2", "service": "s1"}],
            },
            {"caregiver_id": "c2", "locations": [{"patient": "p1", "service": "s2"}]},
        ],
    }
    roster = read_uhhc_solution(_write(tmp_path, sol, "sol.json"), inst)
    assert uhhc_travel(inst, roster) == 65.0
    assert dict(roster.meta)["file_objective"] == "65"
    assert check(inst.scenario, roster, travel=inst.travel) == ()
    starts = {st.visit_id: st.start for rnd in roster.rounds for st in rnd.stops}
    assert starts["p1:s1"] == starts["p1:s2"] == 600


def test_a_late_route_is_caught_by_the_checker(tmp_path: Path) -> None:
    """p2 first then p1 on one carer: p1:s1 cannot end by 120, so the checker reports its window."""
    inst = read_uhhc(_write(tmp_path, _instance()))
    sol = {
        "routes": [
            {
                "caregiver_id": "c1",
                "locations": [{"patient": "p2", "service": "s1"}, {"patient": "p1", "service": "s1"}],
            },
            {"caregiver_id": "c2", "locations": [{"patient": "p1", "service": "s2"}]},
        ]
    }
    roster = read_uhhc_solution(_write(tmp_path, sol, "sol.json"), inst)
    assert {v.visit_id for v in check(inst.scenario, roster, travel=inst.travel) if v.visit_id} >= {"p1:s1"}


@pytest.mark.parametrize(
    ("change", "place"),
    [
        ({"metadata": {"time_window_met": "at_service_end", "cost_components": {"travel_time": 1}}}, "cost_components"),
        ({"services": [{"id": "s1", "type": "s1"}]}, "required_services[1].service"),
        ({"distances": [[0, 1], [1, 0]]}, "distance_matrix_index"),
    ],
)
def test_errors_name_file_and_place(tmp_path: Path, change: dict[str, Any], place: str) -> None:
    with pytest.raises(InputError) as err:
        read_uhhc(_write(tmp_path, _instance(**change), "bad.json"))
    text = str(err.value)
    assert "bad.json" in text and place in text


def test_window_shorter_than_its_service_is_refused(tmp_path: Path) -> None:
    data = _instance()
    data["patients"][1]["time_windows"] = [{"start": 100.0, "end": 110.0}]
    with pytest.raises(InputError) as err:
        read_uhhc(_write(tmp_path, data, "bad.json"))
    assert "bad.json" in str(err.value) and "patients[1]" in str(err.value)


def test_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="broken.json"):
        read_uhhc(path)


@pytest.fixture(scope="module")
def uhhc() -> Path:
    try:
        folder = bf.data_folder() / "hhcrsp" / "uhhc"
    except InputError:
        pytest.skip(f"{bf.BENCH_DATA_ENV} not set")
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    return folder


def test_published_sa_solutions_read_clean_with_their_travel(uhhc: Path) -> None:
    """All 21 simulated-annealing solutions: every service served, no
    violation, travel exactly the file's objective and bks_bazirha.csv's."""
    with (uhhc / "bks_bazirha.csv").open() as fh:
        ref = {r["instance"]: float(r["objective_value"]) for r in csv.DictReader(fh)}
    files = sorted((uhhc / "solutions" / "simulated-annealing" / "bazirha").glob("sol-*.json"))
    assert len(files) == len(ref) == 21
    for path in files:
        name = path.name.split("-")[1]
        inst = read_uhhc(uhhc / "instances" / "bazirha" / f"{name}.json")
        roster = read_uhhc_solution(path, inst)
        assert not roster.unassigned, name
        assert check(inst.scenario, roster, travel=inst.travel) == (), name
        assert uhhc_travel(inst, roster) == ref[name] == float(dict(roster.meta)["file_objective"]), name
