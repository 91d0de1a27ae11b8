"""A routing problem as the solver sees it: integers only, no domain words.

:mod:`patchplan.rounds.plan` builds a :class:`RoutingProblem` from a scenario
(carer shifts become vehicles, visits become nodes; a double-up becomes two
synchronised nodes) and :mod:`patchplan.solver._ortools` solves it. Keeping this
layer free of OR-Tools lets the adapter be swapped, and lets tests build
problems by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class Node:
    """One visit copy. Times are minutes from the horizon start."""

    key: str
    copy: int
    point: int
    early: int
    late: int
    duration: int
    #: Vehicles that may serve it (skills, gender, prohibitions, shift).
    allowed: tuple[int, ...]
    penalty: int
    target: int | None = None
    tolerance: int = 0
    load: int = 0
    #: Cost starting away from ``target`` (beyond ``tolerance``). Off, the
    #: window is hard and no lateness cost is modelled (much faster search).
    soft: bool = True
    #: Vehicles the greedy start tries first (e.g. the client's carers so far).
    preferred: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Vehicle:
    """One carer-shift: leaves ``home`` no earlier than ``start``, back by
    ``end``, working at most ``max_work`` minutes."""

    key: str
    point: int
    profile: int
    start: int
    end: int
    max_work: int
    #: Minutes of work after which a break of ``break_min`` is due (None: no break rule).
    break_after: int | None = None
    break_min: int = 0
    fixed_cost: int = 0
    capacity: int | None = None
    #: Where the vehicle starts, when not at ``point`` (re-planning mid-day).
    start_point: int | None = None


@dataclass(frozen=True, slots=True)
class Sync:
    """start(b) - start(a) in [min_gap, max_gap], on different vehicles.

    ``both_or_neither``: the two are served together or both dropped (a
    double-up); the solver may end with one served, which the caller then
    drops. Otherwise either may be dropped alone.
    """

    a: int
    b: int
    min_gap: int
    max_gap: int
    both_or_neither: bool


@dataclass(frozen=True, slots=True)
class Weights:
    """Objective weights per unit (see :class:`patchplan.core.params.RoundsParams`)."""

    travel: int
    late: int
    early: int
    span: int
    balance: int
    #: Cost of a node served by a vehicle outside its ``preferred`` ones (continuity).
    outsider: int = 0


@dataclass(frozen=True)
class RoutingProblem:
    """Nodes, vehicles, and one travel-time matrix per profile (between
    points). ``distance`` matrices are for reporting only."""

    nodes: tuple[Node, ...]
    vehicles: tuple[Vehicle, ...]
    times: tuple[np.ndarray, ...]
    distances: tuple[np.ndarray, ...]
    syncs: tuple[Sync, ...] = ()
    weights: Weights = field(default_factory=lambda: Weights(100, 20, 10, 1, 0))
    #: Soft cap on visits per vehicle for balance (None: no balance term).
    balance_visits: int | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """A vehicle's served nodes in order, with start times, and when the
    vehicle leaves and gets back."""

    vehicle: int
    nodes: tuple[int, ...]
    starts: tuple[int, ...]
    leave: int
    back: int


@dataclass(frozen=True, slots=True)
class RoutingSolution:
    routes: tuple[Route, ...]
    dropped: tuple[int, ...]
    objective: int
    status: str
    wall_s: float
