"""Public benchmark instances through patchplan's own planner and checker.

``run_solomon`` and ``run_hhcrsp`` read an instance (:mod:`patchplan.bench.formats`),
plan it with :func:`patchplan.rounds.plan.plan_rounds` under the literature's
objective, check the result with the independent checker, and score it as
the literature does (real-valued distances, not our rounded integers).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from patchplan.bench.formats import (
    PROVIDER_ID,
    BenchInstance,
    hhcrsp_objective,
    read_hhcrsp,
    read_solomon,
    solomon_distance,
)
from patchplan.check.checker import check
from patchplan.core.params import RoundsParams
from patchplan.rounds.plan import plan_rounds

#: Benchmarks have no working-time rules: no breaks, no weekly limit.
_NO_BREAKS = 10**9


def solomon_params(time_limit_s: float, inst: BenchInstance) -> RoundsParams:
    """Hierarchical objective: fewest vehicles, then distance.

    A vehicle costs more than any route's distance can (the scaled sum of
    all depot round trips), so using one fewer always wins.
    """
    minutes, _ = inst.travel.matrices(list(inst.locations), "car")
    fixed = int(2 * minutes[0].sum()) + 1  # every customer served alone: an upper bound
    return RoundsParams(
        travel_weight=1,
        late_weight=0,
        early_weight=0,
        vehicle_fixed_cost=fixed,
        break_after_min=_NO_BREAKS,
        time_limit_s=time_limit_s,
    )


def hhcrsp_params(time_limit_s: float) -> RoundsParams:
    """(travel + total tardiness + max tardiness) / 3: travel and tardiness
    weigh the same per unit (max tardiness is not modelled, only reported)."""
    return RoundsParams(
        travel_weight=1,
        late_weight=1,
        early_weight=0,
        break_after_min=_NO_BREAKS,
        time_limit_s=time_limit_s,
    )


def run_solomon(path: str | Path, *, time_limit_s: float = 10.0, seed: int = 0) -> dict[str, Any]:
    """Solve one Solomon VRPTW instance; the literature's headline numbers."""
    inst = read_solomon(path)
    started = time.perf_counter()
    roster = plan_rounds(
        inst.scenario,
        PROVIDER_ID,
        travel=inst.travel,
        params=solomon_params(time_limit_s, inst),
        seed=seed,
        capacity=inst.capacity,
    ).roster
    runtime = time.perf_counter() - started
    violations = check(inst.scenario, roster, travel=inst.travel, capacity=inst.capacity)
    distance = solomon_distance(inst, roster)
    return {
        "instance": inst.name,
        "vehicles": len(roster.rounds),
        "distance": round(distance, 2),
        "objective": round(distance, 2),
        "total_tardiness": 0.0,
        "max_tardiness": 0.0,
        "runtime_s": round(runtime, 2),
        "feasible": not violations and not roster.unassigned,
        "unassigned": len(roster.unassigned),
        "violations": len(violations),
    }


def run_hhcrsp(path: str | Path, *, time_limit_s: float = 10.0, seed: int = 0) -> dict[str, Any]:
    """Solve one Mankowska et al. (2014) HHCRSP instance."""
    inst = read_hhcrsp(path)
    started = time.perf_counter()
    roster = plan_rounds(
        inst.scenario,
        PROVIDER_ID,
        travel=inst.travel,
        params=hhcrsp_params(time_limit_s),
        seed=seed,
    ).roster
    runtime = time.perf_counter() - started
    violations = check(inst.scenario, roster, travel=inst.travel)
    score = hhcrsp_objective(inst, roster)
    return {
        "instance": inst.name,
        "vehicles": len(roster.rounds),
        "distance": round(score["distance"], 3),
        "objective": round(score["objective"], 3),
        "total_tardiness": round(score["total_tardiness"], 3),
        "max_tardiness": round(score["max_tardiness"], 3),
        "runtime_s": round(runtime, 2),
        "feasible": not violations and not roster.unassigned,
        "unassigned": len(roster.unassigned),
        "violations": len(violations),
    }
