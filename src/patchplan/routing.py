"""A routing problem as the solver sees it: integers only, no domain words.

:mod:`patchplan.rounds` builds a :class:`RoutingProblem` from a scenario
(carer shifts become vehicles, visits become nodes; a double-up becomes two
synchronised nodes) and :mod:`patchplan._ortools` solves it. Keeping this
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
    """Objective weights per unit (see :class:`patchplan.params.RoundsParams`)."""

    travel: int
    late: int
    early: int
    span: int
    balance: int


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


def greedy_routes(p: RoutingProblem) -> list[list[int]]:
    """A quick feasible start: nodes in order of their window, each to the
    allowed vehicle that can reach it with the least travel - a preferred
    one when any can - (a double-up to the best pair able to start together). Nodes tied to another by a
    timing link are left for the search to insert.

    Vectorised over vehicles, so a provider-day of 500 visits and 150 carers
    takes well under a second, where OR-Tools' insertion heuristics can take
    longer than the whole time budget.
    """
    nv = len(p.vehicles)
    routes: list[list[int]] = [[] for _ in range(nv)]
    if not p.nodes or not nv:
        return routes
    times = np.stack([t.astype(np.int64) for t in p.times])
    prof = np.array([v.profile for v in p.vehicles])
    home = np.array([v.point for v in p.vehicles])
    pos = np.array([v.point if v.start_point is None else v.start_point for v in p.vehicles])
    start = np.array([v.start for v in p.vehicles], dtype=np.int64)
    end = np.array([v.end for v in p.vehicles], dtype=np.int64)
    max_work = np.array([v.max_work for v in p.vehicles], dtype=np.int64)
    cap = np.array([v.capacity if v.capacity is not None else 2**40 for v in p.vehicles], dtype=np.int64)
    # Carers already out (mid-day re-planning) are on the clock from their start.
    out_already = np.array([v.start_point is not None for v in p.vehicles])
    free = start.copy()
    leave = np.full(nv, -1, dtype=np.int64)
    load = np.zeros(nv, dtype=np.int64)
    pair: dict[int, int] = {}
    linked: set[int] = set()
    for sync in p.syncs:
        if sync.both_or_neither and sync.min_gap == 0 and sync.max_gap == 0:
            pair[sync.a], pair[sync.b] = sync.b, sync.a
        else:
            linked |= {sync.a, sync.b}
    order = sorted(range(len(p.nodes)), key=lambda i: (p.nodes[i].early, p.nodes[i].late, i))
    done: set[int] = set()
    for i in order:
        if i in done or i in linked:
            continue
        node = p.nodes[i]
        allowed = np.array(node.allowed, dtype=np.int64)
        if not len(allowed):
            continue
        t_in = times[prof[allowed], pos[allowed], node.point]
        t_home = times[prof[allowed], node.point, home[allowed]]
        unused = leave[allowed] < 0
        arrive = np.where(unused, np.maximum(start[allowed] + t_in, node.early), free[allowed] + t_in)
        begin = np.maximum(arrive, node.early)
        out = np.where(unused, np.where(out_already[allowed], start[allowed], begin - t_in), leave[allowed])
        back = begin + node.duration + t_home
        ok = (begin <= node.late) & (back <= end[allowed]) & (back - out <= max_work[allowed])
        ok &= load[allowed] + node.load <= cap[allowed]
        if not ok.any():
            continue
        cand = np.flatnonzero(ok)
        cand = cand[np.lexsort((begin[cand], t_in[cand]))]
        if node.preferred:
            mine = np.isin(allowed[cand], node.preferred)
            if mine.sum() >= (2 if i in pair else 1):
                cand = cand[mine]
        if i not in pair:
            k = cand[0]
            chosen = [(int(allowed[k]), int(begin[k]), int(out[k]), i)]
        else:
            chosen = _pair_start(cand, allowed, begin, out, t_home, node, end, max_work, i, pair[i])
            if not chosen:
                continue
        for vehicle, at, left, n in chosen:
            routes[vehicle].append(n)
            if leave[vehicle] < 0:
                leave[vehicle] = left
            free[vehicle] = at + node.duration
            pos[vehicle] = node.point
            load[vehicle] += node.load
            done.add(n)
    return routes


def _pair_start(
    cand: np.ndarray,
    allowed: np.ndarray,
    begin: np.ndarray,
    out: np.ndarray,
    t_home: np.ndarray,
    node: Node,
    end: np.ndarray,
    max_work: np.ndarray,
    a: int,
    b: int,
) -> list[tuple[int, int, int, int]]:
    """Two different vehicles that can both start ``node`` together."""
    top = cand[:25]
    for x_pos, x in enumerate(top):
        for y in top[x_pos + 1 :]:
            vx, vy = int(allowed[x]), int(allowed[y])
            if vx == vy:
                continue
            at = int(max(begin[x], begin[y]))
            if at > node.late:
                continue
            fits = all(
                at + node.duration + t_home[k] <= end[allowed[k]] and at + node.duration + t_home[k] - out[k] <= max_work[allowed[k]]
                for k in (x, y)
            )
            if fits:
                return [(vx, at, int(out[x]), a), (vy, at, int(out[y]), b)]
    return []


def repair_routes(
    p: RoutingProblem, routes: list[list[int]], skip_vehicles: set[int] | frozenset[int] = frozenset()
) -> list[list[int]]:
    """Insert unserved single-carer nodes where they fit cheapest.

    Each unserved node (in order of its window) goes to the position, over
    all allowed vehicles' routes, that adds the least travel while every
    node of that route still starts inside its window, the vehicle is home
    by its end, within its working limit and capacity. Routes holding
    synchronised nodes (double-ups, links) are only changed where those
    nodes keep their start times. Double-ups themselves are left to the
    search. ``skip_vehicles`` (e.g. those that now need a break) are not
    touched.
    """
    out = [list(r) for r in routes]
    synced = {s.a for s in p.syncs} | {s.b for s in p.syncs}
    served = {n for r in out for n in r}
    times = [t.astype(np.int64) for t in p.times]
    sched = {k: _schedule(p, k, r, times) for k, r in enumerate(out)}
    order = sorted((i for i in range(len(p.nodes)) if i not in served and i not in synced), key=lambda i: (p.nodes[i].early, i))
    for i in order:
        node = p.nodes[i]
        best: tuple[int, int, int] | None = None  # (added travel, vehicle, position)
        for k in node.allowed:
            if k in skip_vehicles:
                continue
            route, base = out[k], sched[k]
            if base is None:
                continue
            t = times[p.vehicles[k].profile]
            pts = [_start_point(p, k)] + [p.nodes[n].point for n in route] + [p.vehicles[k].point]
            for pos in range(len(route) + 1):
                added = int(t[pts[pos], node.point] + t[node.point, pts[pos + 1]] - t[pts[pos], pts[pos + 1]])
                if best is not None and added >= best[0]:
                    continue
                trial = route[:pos] + [i] + route[pos:]
                new = _schedule(p, k, trial, times)
                if new is None or any(new[0][j] != base[0][j - (j > pos)] for j, n in enumerate(trial) if n in synced):
                    continue
                best = (added, k, pos)
        if best is not None:
            _, k, pos = best
            out[k].insert(pos, i)
            sched[k] = _schedule(p, k, out[k], times)
    return out


def _start_point(p: RoutingProblem, k: int) -> int:
    v = p.vehicles[k]
    return v.point if v.start_point is None else v.start_point


def _schedule(p: RoutingProblem, k: int, route: list[int], times: list[np.ndarray]) -> tuple[list[int], int] | None:
    """Earliest start of each node of a route, and the time back home; None
    if the route breaks a window, the vehicle's end, working limit or load."""
    v = p.vehicles[k]
    t = times[v.profile]
    here = _start_point(p, k)
    if not route:
        return [], v.start
    first = p.nodes[route[0]]
    out_already = v.start_point is not None
    leave = v.start if out_already else max(v.start, first.early - int(t[here, first.point]))
    clock, starts, load = leave, [], 0
    for n in route:
        node = p.nodes[n]
        begin = max(clock + int(t[here, node.point]), node.early)
        if begin > node.late:
            return None
        starts.append(begin)
        clock, here = begin + node.duration, node.point
        load += node.load
    back = clock + int(t[here, v.point])
    if back > v.end or back - leave > v.max_work or (v.capacity is not None and load > v.capacity):
        return None
    return starts, back


def trim_route(p: RoutingProblem, k: int, route: list[int]) -> list[int]:
    """The longest feasible version of a route kept in order: nodes that can
    no longer start in their window are dropped, then nodes from the end
    until the vehicle is home in time and within its working limit."""
    times = [t.astype(np.int64) for t in p.times]
    kept: list[int] = []
    for n in route:
        if _schedule(p, k, kept + [n], times) is not None:
            kept.append(n)
    while kept and _schedule(p, k, kept, times) is None:
        kept.pop()
    return kept
