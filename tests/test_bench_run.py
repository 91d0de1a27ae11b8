"""patchplan.bench.run: benchmark objectives as rounds parameters, and one checked run per instance."""

from __future__ import annotations

from pathlib import Path

from patchplan.bench import formats as bf
from patchplan.bench.run import hhcrsp_params, run_hhcrsp, solomon_params

BENCH = Path(__file__).parent / "data" / "bench"


def test_solomon_vehicle_cost_beats_any_distance() -> None:
    """A vehicle costs more than serving every customer alone from the depot (so fewer vehicles always win)."""
    inst = bf.read_solomon(BENCH / "C101.txt")
    p = solomon_params(5.0, inst)
    minutes, _ = inst.travel.matrices(list(inst.locations), "car")
    assert p.vehicle_fixed_cost > 2 * minutes[0].sum()
    assert (p.travel_weight, p.late_weight, p.time_limit_s) == (1, 0, 5.0)


def test_hhcrsp_weighs_travel_and_tardiness_alike() -> None:
    """Travel and tardiness cost the same per unit; no working-time breaks in benchmarks."""
    p = hhcrsp_params(3.0)
    assert p.travel_weight == p.late_weight == 1 and p.break_after_min > 10**6


def test_run_hhcrsp_is_checked_and_consistent() -> None:
    """A run on the 10-patient instance serves everyone, and its objective is the mean of its parts."""
    result = run_hhcrsp(BENCH / "InstanzCPLEX_HCSRP_10_2.txt", time_limit_s=3.0)
    assert result["feasible"] and result["unassigned"] == 0 and result["violations"] == 0
    parts = (result["distance"] + result["total_tardiness"] + result["max_tardiness"]) / 3
    assert abs(result["objective"] - parts) < 1e-3
