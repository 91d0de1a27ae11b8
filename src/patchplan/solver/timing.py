"""Route timing on the solver side: the one place that turns a vehicle's
node sequence into start times (arrive = previous end + travel; start =
max(arrive, window opening)), checks a timed route, measures its longest
stretch of work and its cost.

The construction and repair heuristics, the rounds passes and the
benchmark decoders all time routes through here. The independent checker
(:mod:`patchplan.check`) keeps its own timing on purpose: it must not
share the solver's mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from patchplan.solver.problem import Route, RoutingProblem

#: Per node: (earliest, latest) start that overrides the node's window.
Bounds = Mapping[int, tuple[int, int]]


def int_times(p: RoutingProblem) -> list[np.ndarray]:
    """The problem's travel-time matrices as int64 (one per profile)."""
    return [t.astype(np.int64) for t in p.times]


def start_point(p: RoutingProblem, k: int) -> int:
    """Where vehicle ``k`` sets out from (home, or where it is mid-day)."""
    v = p.vehicles[k]
    return v.point if v.start_point is None else v.start_point


def schedule(
    p: RoutingProblem, k: int, route: Sequence[int], times: Sequence[np.ndarray], bounds: Bounds | None = None
) -> tuple[list[int], int] | None:
    """Earliest start of each node of a route, and the time back home; None
    if the route breaks a window, the vehicle's end, working limit or load.
    ``bounds`` narrows some nodes' windows (a timing link to a partner)."""
    timed = timed_route(p, k, route, times, bounds)
    return None if timed is None else (list(timed.starts), timed.back)


def timed_route(
    p: RoutingProblem, k: int, route: Sequence[int], times: Sequence[np.ndarray], bounds: Bounds | None = None
) -> Route | None:
    """The route with every node at its earliest start, leaving home as late
    as the first node allows; None when it is infeasible (see :func:`schedule`)."""
    v = p.vehicles[k]
    t = times[v.profile]
    here = start_point(p, k)
    if not route:
        return Route(vehicle=k, nodes=(), starts=(), leave=v.start, back=v.start)
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
    return Route(vehicle=k, nodes=tuple(route), starts=tuple(starts), leave=leave, back=back)


def route_fits(p: RoutingProblem, route: Route, times: Sequence[np.ndarray]) -> bool:
    """Whether a route with *given* start times keeps every rule of the
    problem: each start after arrival and inside its window, the vehicle out
    no earlier than its start and home by its end, within its working limit
    and load. (Waiting is allowed, so starts later than the earliest - a
    break taken at a client's door - are fine.)"""
    v = p.vehicles[route.vehicle]
    t = times[v.profile]
    here, clock, load = start_point(p, route.vehicle), route.leave, 0
    if route.leave < v.start:
        return False
    for n, at in zip(route.nodes, route.starts, strict=True):
        node = p.nodes[n]
        if at < clock + int(t[here, node.point]) or not node.early <= at <= node.late:
            return False
        if route.vehicle not in node.allowed:
            return False
        clock, here = at + node.duration, node.point
        load += node.load
    back = clock + int(t[here, v.point])
    return (
        back <= route.back <= v.end
        and route.back - route.leave <= v.max_work
        and (v.capacity is None or load <= v.capacity)
    )


def without(
    p: RoutingProblem, route: Route, cut: set[int] | frozenset[int], times: Sequence[np.ndarray]
) -> Route | None:
    """The route with the nodes in ``cut`` taken out, the others keeping
    their start times (so a partner's synchronised start still holds); the
    vehicle goes home after its last remaining node. None when nothing is left."""
    keep = [(n, st) for n, st in zip(route.nodes, route.starts, strict=True) if n not in cut]
    if len(keep) == len(route.nodes):
        return route
    if not keep:
        return None
    v = p.vehicles[route.vehicle]
    last, at = keep[-1]
    back = at + p.nodes[last].duration + int(times[v.profile][p.nodes[last].point, v.point])
    return Route(
        vehicle=route.vehicle,
        nodes=tuple(n for n, _ in keep),
        starts=tuple(st for _, st in keep),
        leave=route.leave,
        back=back,
    )


def longest_stretch(
    p: RoutingProblem, route: Route, times: Sequence[np.ndarray], rest_min: int, carried: int = 0
) -> int:
    """Longest stretch of work (minutes) between idle gaps of at least
    ``rest_min`` (time before leaving and after getting home is rest).
    ``carried``: minutes of work already running at ``route.leave`` (a carer
    out when a day is re-planned), counted with the first stretch."""
    v = p.vehicles[route.vehicle]
    t = times[v.profile]
    here, clock = start_point(p, route.vehicle), route.leave
    rests = []
    for n, at in zip(route.nodes, route.starts, strict=True):
        node = p.nodes[n]
        arrive = clock + int(t[here, node.point])
        if at - arrive >= rest_min:
            rests.append((arrive, at))
        clock, here = at + node.duration, node.point
    back = clock + int(t[here, v.point])
    if route.back - back >= rest_min:
        rests.append((back, route.back))
    edge, longest, extra = route.leave, 0, carried
    for a, b in rests:
        longest, edge, extra = max(longest, a - edge + extra), b, 0
    return max(longest, route.back - edge + extra)


@dataclass(frozen=True, slots=True, order=True)
class PlanScore:
    """How good a plan is, compared lexicographically: fewer protected
    visits left out (those a floor plan serves), then fewer visits left out,
    then less travel, then less time outside preferred times. Counts are of
    visits (a double-up is one visit), not node copies."""

    lost: int
    unserved: int
    travel: int
    off_time: int


def score(
    p: RoutingProblem,
    routes: Sequence[Route],
    times: Sequence[np.ndarray],
    protected: frozenset[str] | set[str] = frozenset(),
) -> PlanScore:
    """The :class:`PlanScore` of timed routes: ``protected`` visits (node
    keys) with a node left out, all visits with a node left out, travel
    minutes (weighted as the problem weighs them) plus the fixed cost of
    each vehicle used, and weighted minutes late or early beyond each
    node's tolerance."""
    served = {n for r in routes for n in r.nodes}
    short = {p.nodes[n].key for n in range(len(p.nodes)) if n not in served}
    travel = off = outside = 0
    for r in routes:
        v = p.vehicles[r.vehicle]
        t = times[v.profile]
        here = start_point(p, r.vehicle)
        for n, at in zip(r.nodes, r.starts, strict=True):
            node = p.nodes[n]
            if node.preferred and r.vehicle not in node.preferred:
                outside += 1
            travel += int(t[here, node.point])
            here = node.point
            if node.target is not None:
                off += p.weights.late * max(0, at - node.target - node.tolerance)
                off += p.weights.early * max(0, node.target - node.tolerance - at)
        travel += int(t[here, v.point])
    # A vehicle's fixed cost (a benchmark's fleet size) and the cost of a
    # call outside its preferred carers count with travel, as in the solver's objective.
    fixed = sum(p.vehicles[r.vehicle].fixed_cost for r in routes if r.nodes)
    cost = travel * p.weights.travel + fixed + outside * p.weights.outsider
    return PlanScore(lost=len(short & set(protected)), unserved=len(short), travel=cost, off_time=off)


def retime_with_breaks(
    p: RoutingProblem,
    route: Route,
    times: Sequence[np.ndarray],
    limit: int,
    rest: int,
    fixed: frozenset[int] | set[int] = frozenset(),
) -> Route | None:
    """The route re-timed so that no stretch of work exceeds ``limit``
    minutes without an idle gap of ``rest`` (the carer waits ``rest`` at a
    client's door before a call), keeping the order, every window, the
    vehicle's end and working limit; ``fixed`` nodes (synchronised with
    another carer) keep their start. None when no such timing exists here.

    Each step finds where the first over-long stretch ends and opens a gap
    before the latest call of that stretch that can take the delay; later
    calls move only as much as they must."""
    v = p.vehicles[route.vehicle]
    t = times[v.profile]
    starts = list(route.starts)
    for _ in range(len(route.nodes) + 1):
        current = _with_starts(p, route, starts, t)
        if current is None:
            return None
        if longest_stretch(p, current, times, rest) <= limit:
            return current
        end = _first_overlong(p, current, t, limit, rest)
        for i in range(end, 0, -1):
            moved = _delay_before(p, route, starts, t, i, rest, fixed)
            if moved is not None:
                starts = moved
                break
        else:
            return None
    return None


def _with_starts(p: RoutingProblem, route: Route, starts: list[int], t: np.ndarray) -> Route | None:
    v = p.vehicles[route.vehicle]
    last = p.nodes[route.nodes[-1]]
    back = starts[-1] + last.duration + int(t[last.point, v.point])
    if back > v.end or back - route.leave > v.max_work:
        return None
    return Route(vehicle=route.vehicle, nodes=route.nodes, starts=tuple(starts), leave=route.leave, back=back)


def _first_overlong(p: RoutingProblem, route: Route, t: np.ndarray, limit: int, rest: int) -> int:
    """Index of the first call that ends an over-long stretch (len(nodes)
    when it is the way home)."""
    here, clock, edge = start_point(p, route.vehicle), route.leave, route.leave
    for i, (n, at) in enumerate(zip(route.nodes, route.starts, strict=True)):
        node = p.nodes[n]
        arrive = clock + int(t[here, node.point])
        if at - arrive >= rest:
            edge = at
        if at + node.duration - edge > limit:
            return i
        clock, here = at + node.duration, node.point
    return len(route.nodes)


def _delay_before(
    p: RoutingProblem,
    route: Route,
    starts: list[int],
    t: np.ndarray,
    i: int,
    rest: int,
    fixed: frozenset[int] | set[int],
) -> list[int] | None:
    """Starts with a gap of ``rest`` opened before call ``i`` (index into the
    route; ``len(nodes)`` is not a call, so i is at most len - 1), later
    calls pushed as far as they must; None if a window or a fixed call breaks."""
    if i >= len(route.nodes):
        return None
    out = list(starts)
    prev = p.nodes[route.nodes[i - 1]]
    arrive = out[i - 1] + prev.duration + int(t[prev.point, p.nodes[route.nodes[i]].point])
    for j in range(i, len(route.nodes)):
        n = route.nodes[j]
        node = p.nodes[n]
        if j == i:
            wanted = max(out[j], arrive + rest)
        else:
            before = p.nodes[route.nodes[j - 1]]
            wanted = max(out[j], out[j - 1] + before.duration + int(t[before.point, node.point]))
        if wanted == out[j]:
            return out
        if n in fixed or wanted > node.late:
            return None
        out[j] = wanted
    return out
