"""A routing problem as the solver sees it: integers only, no domain words.

:mod:`patchplan.rounds.plan` builds a :class:`RoutingProblem` from a scenario
(carer shifts become vehicles, visits become nodes; a double-up becomes two
synchronised nodes) and :mod:`patchplan.solver._ortools` solves it. Keeping this
layer free of OR-Tools lets the adapter be swapped, and lets tests build
problems by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collections import defaultdict

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
    one when any can - (a double-up to the best pair able to start together).
    A node tied to another by a timing link (start(b) - start(a) in
    [min, max], different carers) waits, if need be, until the gap from its
    placed partner is met, and is left for the search when it cannot be.

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
    # node -> (partner, lo, hi): start(node) - start(partner) in [lo, hi].
    links: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for sync in p.syncs:
        if sync.both_or_neither and sync.min_gap == 0 and sync.max_gap == 0:
            pair[sync.a], pair[sync.b] = sync.b, sync.a
        else:
            links[sync.a].append((sync.b, -sync.max_gap, -sync.min_gap))
            links[sync.b].append((sync.a, sync.min_gap, sync.max_gap))
    placed: dict[int, tuple[int, int]] = {}  # node -> (vehicle, start)
    order = sorted(range(len(p.nodes)), key=lambda i: (p.nodes[i].early, p.nodes[i].late, i))
    done: set[int] = set()
    for i in order:
        if i in done or (i in links and i in pair):
            continue
        node = p.nodes[i]
        allowed = np.array(node.allowed, dtype=np.int64)
        if not len(allowed):
            continue
        lower, upper, other_carers = node.early, node.late, set()
        for partner, lo, hi in links.get(i, ()):
            if partner in placed:
                vehicle, at = placed[partner]
                lower, upper = max(lower, at + lo), min(upper, at + hi)
                other_carers.add(vehicle)
        t_in = times[prof[allowed], pos[allowed], node.point]
        t_home = times[prof[allowed], node.point, home[allowed]]
        unused = leave[allowed] < 0
        arrive = np.where(unused, np.maximum(start[allowed] + t_in, lower), free[allowed] + t_in)
        begin = np.maximum(arrive, lower)
        out = np.where(unused, np.where(out_already[allowed], start[allowed], begin - t_in), leave[allowed])
        back = begin + node.duration + t_home
        ok = (begin <= upper) & (back <= end[allowed]) & (back - out <= max_work[allowed])
        ok &= load[allowed] + node.load <= cap[allowed]
        if other_carers:
            ok &= ~np.isin(allowed, list(other_carers))
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
            placed[n] = (vehicle, at)
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
                at + node.duration + t_home[k] <= end[allowed[k]]
                and at + node.duration + t_home[k] - out[k] <= max_work[allowed[k]]
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
    by its end, within its working limit and capacity. Synchronised nodes
    (double-ups, links) already served keep their start times (a carer may
    wait for them). A node with a timing link goes where its gap to a served
    partner holds, on another vehicle; when there is no such place, the
    partner is taken out and the two are inserted together. Double-ups
    themselves are left to the search. ``skip_vehicles`` (e.g. those that
    now need a break) are not touched.
    """
    out = [list(r) for r in routes]
    synced = {s.a for s in p.syncs} | {s.b for s in p.syncs}
    doubles = {n for s in p.syncs if s.both_or_neither for n in (s.a, s.b)}
    links: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for s in p.syncs:
        if not s.both_or_neither:
            links[s.a].append((s.b, -s.max_gap, -s.min_gap))
            links[s.b].append((s.a, s.min_gap, s.max_gap))
    times = [t.astype(np.int64) for t in p.times]
    where = {n: k for k, r in enumerate(out) for n in r}
    pinned: dict[int, tuple[int, int]] = {}  # served synced node -> (start, start)
    for k, r in enumerate(out):
        sched = _schedule(p, k, r, times)
        if sched is not None:
            pinned |= {n: (at, at) for n, at in zip(r, sched[0]) if n in synced}
    order = sorted(
        (i for i in range(len(p.nodes)) if i not in where and i not in doubles), key=lambda i: (p.nodes[i].early, i)
    )
    ins = _Inserter(p, out, times, pinned, where, links, skip_vehicles)
    for i in order:
        if not ins.insert(i) and i in links:
            ins.insert_with_partner(i)
    return out


class _Inserter:
    """Cheapest feasible insertion into routes, keeping synchronised starts."""

    def __init__(
        self,
        p: RoutingProblem,
        out: list[list[int]],
        times: list[np.ndarray],
        pinned: dict[int, tuple[int, int]],
        where: dict[int, int],
        links: dict[int, list[tuple[int, int, int]]],
        skip: set[int] | frozenset[int],
    ) -> None:
        self.p, self.out, self.times, self.pinned, self.where, self.links, self.skip = (
            p,
            out,
            times,
            pinned,
            where,
            links,
            skip,
        )

    def bounds(self, i: int, without: int | None = None) -> tuple[tuple[int, int] | None, set[int]]:
        """Start bounds for ``i`` from its served link partners, and their vehicles."""
        lower, upper, vehicles = self.p.nodes[i].early, self.p.nodes[i].late, set()
        for partner, lo, hi in self.links.get(i, ()):
            if partner != without and partner in self.pinned and partner in self.where:
                at = self.pinned[partner][0]
                lower, upper = max(lower, at + lo), min(upper, at + hi)
                vehicles.add(self.where[partner])
        return ((lower, upper) if vehicles else None), vehicles

    def best(self, i: int, without: int | None = None) -> tuple[int, int, int, list[int]] | None:
        """(added travel, vehicle, position, new starts) of the cheapest place."""
        p, node = self.p, self.p.nodes[i]
        window, others = self.bounds(i, without)
        if window is not None and window[0] > window[1]:
            return None
        extra = {i: window} if window else {}
        best = None
        for k in node.allowed:
            if k in self.skip or k in others:
                continue
            route = self.out[k]
            t = self.times[p.vehicles[k].profile]
            pts = [_start_point(p, k)] + [p.nodes[n].point for n in route] + [p.vehicles[k].point]
            for pos in range(len(route) + 1):
                added = int(t[pts[pos], node.point] + t[node.point, pts[pos + 1]] - t[pts[pos], pts[pos + 1]])
                if best is not None and added >= best[0]:
                    continue
                new = _schedule(p, k, route[:pos] + [i] + route[pos:], self.times, self.pinned | extra)
                if new is not None:
                    best = (added, k, pos, new[0])
        return best

    def place(self, i: int, k: int, pos: int, starts: list[int]) -> None:
        self.out[k].insert(pos, i)
        self.where[i] = k
        if i in self.links:
            self.pinned[i] = (starts[pos], starts[pos])

    def remove(self, i: int) -> int:
        k = self.where.pop(i)
        self.out[k].remove(i)
        self.pinned.pop(i, None)
        return k

    def insert(self, i: int) -> bool:
        found = self.best(i)
        if found is None:
            return False
        self.place(i, found[1], found[2], found[3])
        return True

    def insert_with_partner(self, i: int) -> bool:
        """Take a served partner out, place ``i`` freely, then the partner
        where the gap holds; undo if either does not fit."""
        for partner, _, _ in self.links[i]:
            if partner not in self.where:
                continue
            k, at, pos = self.where[partner], self.pinned.get(partner), self.out[self.where[partner]].index(partner)
            self.remove(partner)
            first = self.best(i, without=partner)
            if first is not None:
                self.place(i, first[1], first[2], first[3])
                second = self.best(partner)
                if second is not None:
                    self.place(partner, second[1], second[2], second[3])
                    return True
                self.remove(i)
            self.out[k].insert(pos, partner)
            self.where[partner] = k
            if at is not None:
                self.pinned[partner] = at
        return False


def _start_point(p: RoutingProblem, k: int) -> int:
    v = p.vehicles[k]
    return v.point if v.start_point is None else v.start_point


def _schedule(
    p: RoutingProblem,
    k: int,
    route: list[int],
    times: list[np.ndarray],
    bounds: dict[int, tuple[int, int]] | None = None,
) -> tuple[list[int], int] | None:
    """Earliest start of each node of a route, and the time back home; None
    if the route breaks a window, the vehicle's end, working limit or load.
    ``bounds`` narrows some nodes' windows (a timing link to a partner)."""
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
        early, late = bounds[n] if bounds and n in bounds else (node.early, node.late)
        begin = max(clock + int(t[here, node.point]), early)
        if begin > late:
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
