"""A neighbourhood for linked pairs: take both visits of a double-up (or of a
min/max-gap dependency) out of their rounds and put them back together.

OR-Tools moves one node at a time, and moving one visit of a synchronised
pair alone is never feasible (its partner's start pins it), so a pair that
the first solution placed badly - late, or far from both carers' other calls
- stays there. Here each pair is removed and re-inserted as one move: every
cheap position for the first visit is combined with every cheap position
for the second on another vehicle, both starts are set to the earliest
common time the gap allows, and the move is kept when the plan's
:class:`~patchplan.solver.timing.PlanScore` improves.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from patchplan.solver.problem import Route, RoutingProblem, Sync
from patchplan.solver.timing import Bounds, score, start_point, timed_route, without

#: Positions tried per visit of a pair (the cheapest by added travel).
POSITIONS = 8


def improve_pairs(
    p: RoutingProblem,
    routes: Sequence[Route],
    times: Sequence[np.ndarray],
    deadline: float,
    protected: frozenset[str] = frozenset(),
) -> list[Route]:
    """One pass over the served pairs (latest first), each re-inserted
    together where that improves the plan; stops at ``deadline`` (a
    ``time.perf_counter()`` value)."""
    by_vehicle = {r.vehicle: r for r in routes}
    where = {n: r.vehicle for r in routes for n in r.nodes}
    pairs = [s for s in p.syncs if s.a in where and s.b in where]
    current = score(p, list(by_vehicle.values()), times, protected)
    for sync in sorted(pairs, key=lambda s: -_lateness(p, by_vehicle, where, s)):
        if time.perf_counter() > deadline:
            break
        trial = _reinsert(p, by_vehicle, where, sync, times)
        if trial is None:
            continue
        candidate = {**by_vehicle, **trial}
        new = score(p, [r for r in candidate.values() if r.nodes], times, protected)
        if new < current:
            by_vehicle = {k: r for k, r in candidate.items() if r.nodes}
            where = {n: r.vehicle for r in by_vehicle.values() for n in r.nodes}
            current = new
    return [by_vehicle[k] for k in sorted(by_vehicle)]


def insert_pairs(p: RoutingProblem, routes: Sequence[Route], times: Sequence[np.ndarray]) -> list[Route]:
    """Linked pairs with a visit left out, put back together: for each
    (in the order of the problem's syncs), the visit of it that is served is
    taken out, and both go where they fit together (as in
    :func:`improve_pairs`: the cheapest places, the gap kept by waiting on
    one side), which serves one or two visits more. A pair that fits
    nowhere stays as it was. Served visits stay served. Timing links only:
    a double-up is one visit, placed whole by the constructions and the
    search."""
    by_vehicle = {r.vehicle: r for r in routes}
    where = {n: r.vehicle for r in routes for n in r.nodes}
    for sync in p.syncs:
        if sync.both_or_neither or (sync.a in where and sync.b in where):
            continue
        trial = _reinsert(p, by_vehicle, where, sync, times)
        if trial is None:
            continue
        by_vehicle = {k: r for k, r in {**by_vehicle, **trial}.items() if r.nodes}
        where = {n: r.vehicle for r in by_vehicle.values() for n in r.nodes}
    return [by_vehicle[k] for k in sorted(by_vehicle)]


def lone_halves(p: RoutingProblem, served: set[int] | frozenset[int]) -> set[int]:
    """Nodes of a double-up (a both-or-neither sync) served without their
    partner: no visit, and a start OR-Tools may not read. One visit of a
    timing link served alone is not among them: it is a visit (the gap
    binds only when both are served)."""
    return {
        n
        for sync in p.syncs
        if sync.both_or_neither
        for n, m in ((sync.a, sync.b), (sync.b, sync.a))
        if n in served and m not in served
    }


def _lateness(p: RoutingProblem, by_vehicle: dict[int, Route], where: dict[int, int], sync: Sync) -> int:
    out = 0
    for n in (sync.a, sync.b):
        node = p.nodes[n]
        route = by_vehicle[where[n]]
        at = route.starts[route.nodes.index(n)]
        if node.target is not None:
            out += max(0, at - node.target - node.tolerance)
    return out


def _pins(p: RoutingProblem, route: Route | None, skip: set[int]) -> dict[int, tuple[int, int]]:
    """Synchronised nodes of a route keep their starts when it is re-timed."""
    if route is None:
        return {}
    synced = {n for s in p.syncs for n in (s.a, s.b)} - skip
    return {n: (at, at) for n, at in zip(route.nodes, route.starts, strict=True) if n in synced}


def _positions(
    p: RoutingProblem, by_vehicle: dict[int, Route], n: int, times: Sequence[np.ndarray], skip: set[int]
) -> list[tuple[int, int, int]]:
    """(added travel, vehicle, position) of the cheapest places for ``n``
    where its round can still be timed."""
    out = []
    for k in p.nodes[n].allowed:
        route = by_vehicle.get(k)
        nodes = list(route.nodes) if route else []
        t = times[p.vehicles[k].profile]
        pts = [start_point(p, k)] + [p.nodes[m].point for m in nodes] + [p.vehicles[k].point]
        pins = _pins(p, route, skip)
        for pos in range(len(nodes) + 1):
            if timed_route(p, k, nodes[:pos] + [n] + nodes[pos:], times, pins) is None:
                continue
            added = int(t[pts[pos], p.nodes[n].point] + t[p.nodes[n].point, pts[pos + 1]] - t[pts[pos], pts[pos + 1]])
            out.append((added, k, pos))
    out.sort()
    return out[:POSITIONS]


def _reinsert(
    p: RoutingProblem, by_vehicle: dict[int, Route], where: dict[int, int], sync: Sync, times: Sequence[np.ndarray]
) -> dict[int, Route] | None:
    """The changed rounds of the best joint (re-)insertion of a pair, or
    None: the visits of the pair that are served are taken out first."""
    pair = {sync.a, sync.b}
    base = dict(by_vehicle)
    for n in pair & set(where):
        k = where[n]
        base[k] = without(p, base[k], {n}, times) or Route(k, (), (), p.vehicles[k].start, p.vehicles[k].start)
    best: tuple[int, dict[int, Route]] | None = None
    for _, ka, pa in _positions(p, base, sync.a, times, pair):
        for _, kb, pb in _positions(p, base, sync.b, times, pair):
            if ka == kb:
                continue
            changed = _place_both(p, base, sync, ka, pa, kb, pb, times)
            if changed is None:
                continue
            delta = _cost(p, list(changed.values()), times) - _cost(p, [base[k] for k in changed if k in base], times)
            if best is None or delta < best[0]:
                best = (delta, changed)
    if best is None:
        return None
    return {**{where[n]: base[where[n]] for n in pair if n in where}, **best[1]}


def _cost(p: RoutingProblem, routes: Sequence[Route], times: Sequence[np.ndarray]) -> int:
    value = score(p, [r for r in routes if r.nodes], times)
    return value.travel + value.off_time


def _soft_timed(p: RoutingProblem, k: int, seq: list[int], times: Sequence[np.ndarray], bounds: Bounds) -> Route | None:
    """The round timed with each call no earlier than its preferred time -
    tolerance where that still fits (what OR-Tools' soft windows would do),
    else at its earliest."""
    soft: dict[int, tuple[int, int]] = {}
    for n in seq:
        node = p.nodes[n]
        if n in bounds:
            soft[n] = bounds[n]
        elif node.target is not None:
            soft[n] = (max(node.early, node.target - node.tolerance), node.late)
    return timed_route(p, k, seq, times, soft) or timed_route(p, k, seq, times, bounds)


def _place_both(
    p: RoutingProblem,
    base: dict[int, Route],
    sync: Sync,
    ka: int,
    pa: int,
    kb: int,
    pb: int,
    times: Sequence[np.ndarray],
) -> dict[int, Route] | None:
    """Both visits in place, starting at the earliest times that keep
    start(b) - start(a) within the gap; None when no such timing fits."""
    pair = {sync.a, sync.b}
    ra, rb = base.get(ka), base.get(kb)
    na = list(ra.nodes) if ra else []
    nb = list(rb.nodes) if rb else []
    seq_a, seq_b = na[:pa] + [sync.a] + na[pa:], nb[:pb] + [sync.b] + nb[pb:]
    pins_a, pins_b = _pins(p, ra, pair), _pins(p, rb, pair)
    first_a = timed_route(p, ka, seq_a, times, pins_a)
    first_b = timed_route(p, kb, seq_b, times, pins_b)
    if first_a is None or first_b is None:
        return None
    ta, tb = _not_early(p, sync.a, first_a.starts[pa]), _not_early(p, sync.b, first_b.starts[pb])
    # Earliest ta with ta + min_gap <= tb' and tb' >= tb: wait on one side.
    ta = max(ta, tb - sync.max_gap)
    tb = max(tb, ta + sync.min_gap)
    bounds_a: Bounds = {**pins_a, sync.a: (ta, ta)}
    bounds_b: Bounds = {**pins_b, sync.b: (tb, tb)}
    timed_a = _soft_timed(p, ka, seq_a, times, bounds_a)
    timed_b = _soft_timed(p, kb, seq_b, times, bounds_b)
    if timed_a is None or timed_b is None:
        return None
    if not sync.min_gap <= timed_b.starts[pb] - timed_a.starts[pa] <= sync.max_gap:
        return None
    return {ka: timed_a, kb: timed_b}


def _not_early(p: RoutingProblem, n: int, at: int) -> int:
    """A start no earlier than the node's preferred time - tolerance."""
    node = p.nodes[n]
    return at if node.target is None else max(at, node.target - node.tolerance)
