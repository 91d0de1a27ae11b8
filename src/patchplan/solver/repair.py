"""Repair: put left-out nodes back into a plan where they fit cheapest, and
trim a route that no longer fits down to its longest feasible part."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from patchplan.solver.problem import RoutingProblem
from patchplan.solver.timing import int_times, schedule, start_point


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
    times = int_times(p)
    where = {n: k for k, r in enumerate(out) for n in r}
    pinned: dict[int, tuple[int, int]] = {}  # served synced node -> (start, start)
    for k, r in enumerate(out):
        sched = schedule(p, k, r, times)
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
            pts = [start_point(p, k)] + [p.nodes[n].point for n in route] + [p.vehicles[k].point]
            for pos in range(len(route) + 1):
                added = int(t[pts[pos], node.point] + t[node.point, pts[pos + 1]] - t[pts[pos], pts[pos + 1]])
                if best is not None and added >= best[0]:
                    continue
                new = schedule(p, k, route[:pos] + [i] + route[pos:], self.times, self.pinned | extra)
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


def trim_route(p: RoutingProblem, k: int, route: list[int]) -> list[int]:
    """The longest feasible version of a route kept in order: nodes that can
    no longer start in their window are dropped, then nodes from the end
    until the vehicle is home in time and within its working limit."""
    times = int_times(p)
    kept: list[int] = []
    for n in route:
        if schedule(p, k, kept + [n], times) is not None:
            kept.append(n)
    while kept and schedule(p, k, kept, times) is None:
        kept.pop()
    return kept


def eliminate_routes(p: RoutingProblem, routes: list[list[int]], deadline: float) -> list[list[int]]:
    """Fewer vehicles for the same nodes: empty a short route and put its
    nodes into the others where they fit cheapest; keep the change only if
    every node found a place. Shortest routes are tried first, again and
    again until none can go or ``deadline`` (a ``time.perf_counter()``
    value) passes. Synchronised nodes are never moved (their partner's start
    would have to move too), so a route holding one is never emptied.
    Where a carer's fixed cost (a benchmark's fleet size) is the first goal,
    OR-Tools' own moves rarely empty a whole route: this does."""
    import time

    synced = {n for s in p.syncs for n in (s.a, s.b)}
    out = [list(r) for r in routes]
    failed: set[int] = set()
    while time.perf_counter() < deadline:
        candidates = [k for k, r in enumerate(out) if r and k not in failed and not synced & set(r)]
        if len(candidates) < 1 or sum(1 for r in out if r) < 2:
            break
        k = min(candidates, key=lambda j: (len(out[j]), j))
        trial = [list(r) if j != k else [] for j, r in enumerate(out)]
        repaired = repair_routes(p, trial, skip_vehicles={k})
        served = {n for r in repaired for n in r}
        if all(n in served for r in out for n in r):
            out = repaired
        else:
            failed.add(k)
    return out
