"""Public benchmark instances through patchplan's own planner and checker.

``run_solomon``, ``run_hhcrsp`` and ``run_uhhc`` read an instance (:mod:`patchplan.bench.formats`),
plan it with :func:`patchplan.rounds.plan.plan_rounds` under the literature's
objective, check the result with the independent checker, and score it as
the literature does (real-valued distances, not our rounded integers).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
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
from patchplan.bench.uhhc import read_uhhc, uhhc_travel
from patchplan.check.checker import Violation, check
from patchplan.core.model import Roster
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


def hhcrsp_params(time_limit_s: float, solution_limit: int | None = None) -> RoundsParams:
    """(travel + total tardiness + max tardiness) / 3: travel and tardiness
    weigh the same per unit (max tardiness is not modelled, only reported).
    ``solution_limit``: each search stops after that many solutions (a
    deterministic run, as long as ``time_limit_s`` is not reached first)."""
    return RoundsParams(
        travel_weight=1,
        late_weight=1,
        early_weight=0,
        break_after_min=_NO_BREAKS,
        time_limit_s=time_limit_s,
        solution_limit=solution_limit,
    )


def uhhc_params(time_limit_s: float) -> RoundsParams:
    """Travel time only (the Bazirha instances' objective); windows and
    shifts are hard in the instance itself, so nothing else is weighed."""
    return RoundsParams(
        travel_weight=1,
        late_weight=0,
        early_weight=0,
        break_after_min=_NO_BREAKS,
        time_limit_s=time_limit_s,
    )


def run_solomon(path: str | Path, *, time_limit_s: float = 10.0, seed: int = 0) -> dict[str, Any]:
    """Solve one Solomon VRPTW instance; the literature's headline numbers."""
    inst = read_solomon(path)
    roster, violations, runtime = _solve_and_check(inst, solomon_params(time_limit_s, inst), seed)
    distance = solomon_distance(inst, roster)
    score = {"distance": distance, "objective": distance, "total_tardiness": 0.0, "max_tardiness": 0.0}
    return _result(inst, roster, violations, runtime, score, digits=2)


def run_hhcrsp(
    path: str | Path, *, time_limit_s: float = 10.0, seed: int = 0, solution_limit: int | None = None
) -> dict[str, Any]:
    """Solve one Mankowska et al. (2014) HHCRSP instance (``solution_limit``:
    see :func:`hhcrsp_params`)."""
    inst = read_hhcrsp(path)
    roster, violations, runtime = _solve_and_check(inst, hhcrsp_params(time_limit_s, solution_limit), seed)
    return _result(inst, roster, violations, runtime, hhcrsp_objective(inst, roster), digits=3)


def run_uhhc(path: str | Path, *, time_limit_s: float = 10.0, seed: int = 0) -> dict[str, Any]:
    """Solve one UHHC (Bazirha) instance: total travel, hard windows."""
    inst = read_uhhc(path)
    roster, violations, runtime = _solve_and_check(inst, uhhc_params(time_limit_s), seed)
    travel = uhhc_travel(inst, roster)
    score = {"distance": travel, "objective": travel, "total_tardiness": 0.0, "max_tardiness": 0.0}
    return _result(inst, roster, violations, runtime, score, digits=2)


def _solve_and_check(
    inst: BenchInstance, params: RoundsParams, seed: int
) -> tuple[Roster, tuple[Violation, ...], float]:
    """The planned roster, the independent checker's violations of it and the planning time (s)."""
    started = time.perf_counter()
    roster = plan_rounds(
        inst.scenario, PROVIDER_ID, travel=inst.travel, params=params, seed=seed, capacity=inst.capacity
    ).roster
    runtime = time.perf_counter() - started
    return roster, check(inst.scenario, roster, travel=inst.travel, capacity=inst.capacity), runtime


def _result(
    inst: BenchInstance,
    roster: Roster,
    violations: tuple[Violation, ...],
    runtime: float,
    score: Mapping[str, float],
    *,
    digits: int,
) -> dict[str, Any]:
    """The headline numbers the literature reports, the instance's own metrics rounded to ``digits``."""
    return {
        "instance": inst.name,
        "vehicles": len(roster.rounds),
        "distance": round(score["distance"], digits),
        "objective": round(score["objective"], digits),
        "total_tardiness": round(score["total_tardiness"], digits),
        "max_tardiness": round(score["max_tardiness"], digits),
        "runtime_s": round(runtime, 2),
        "feasible": not violations and not roster.unassigned,
        "unassigned": len(roster.unassigned),
        "violations": len(violations),
    }
