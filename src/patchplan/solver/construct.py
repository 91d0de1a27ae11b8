"""Construction: a quick feasible first plan for a routing problem.

Vectorised over vehicles, so a provider-day of 500 visits and 150 carers
takes well under a second, where OR-Tools' insertion heuristics can take
longer than the whole time budget. It is also the engine's floor: the
search starts from it (or from the status-quo coordinator's plan, when that
serves more) and only accepts improvements.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from patchplan.solver.problem import Node, Route, RoutingProblem
from patchplan.solver.timing import int_times, score


def greedy_routes(p: RoutingProblem) -> list[list[int]]:
    """The node sequence of each vehicle in :func:`greedy_plan`."""
    routes: list[list[int]] = [[] for _ in p.vehicles]
    for r in greedy_plan(p):
        routes[r.vehicle] = list(r.nodes)
    return routes


def greedy_plan(p: RoutingProblem) -> list[Route]:
    """A quick feasible start: nodes in order of their window, each to the
    allowed vehicle that can reach it with the least travel - a preferred
    one when any can - (a double-up to the best pair able to start together).
    A node tied to another by a timing link (start(b) - start(a) in
    [min, max], different carers) waits, if need be, until the gap from its
    placed partner is met, and is left for the search when it cannot be.

    With timing links the construction is run four ways:

    * each linked visit placed on its own, as above, or placed together with
      its partner when the partner is not placed yet (:func:`_joint_start`):
      alone, the second visit of a pair can find every able carer busy by
      the time its gap allows (measured: 5 of the 400 services of Mankowska
      300_1 left out, 1-5 on 6 of 13 instances tried), together it cannot;
    * vehicles chosen by travel alone, or by travel plus the lateness the
      call would have there (``timely``): on soft windows the nearest carer
      can be far behind (Mankowska 300_1, pairs placed together: total
      tardiness 243,894 by travel alone, 740 with lateness counted, for
      travel of 7,465 and 7,281).

    The first way's plan is returned whenever it serves as many visits as
    any (the search was measured to end worse from another start of the
    same coverage on Mankowska 25_3); otherwise the plan serving the most,
    on a tie the one with the least weighted travel plus time off the
    preferred times (the search's own objective). Without links the first
    way only (a provider-day's floor is unchanged).

    Vectorised over vehicles, so a provider-day of 500 visits and 150 carers
    takes well under a second, where OR-Tools' insertion heuristics can take
    longer than the whole time budget.
    """
    if not p.nodes or not p.vehicles:
        return []
    alone = _greedy(p, joint=False)
    if not any(not s.both_or_neither for s in p.syncs):
        return alone
    times = int_times(p)
    plans = [alone] + [_greedy(p, joint=j, timely=t) for j, t in ((True, False), (False, True), (True, True))]

    def rank(routes: list[Route]) -> tuple[int, bool, int]:
        value = score(p, routes, times)
        return value.unserved, routes is not alone, value.travel + value.off_time

    return min(plans, key=rank)


@dataclass
class _Options:
    """Where one node could go next, per allowed vehicle (arrays aligned
    with ``allowed``): travel there and home, earliest start, the time the
    vehicle leaves home, and whether every rule holds."""

    allowed: np.ndarray
    t_in: np.ndarray
    t_home: np.ndarray
    begin: np.ndarray
    out: np.ndarray
    ok: np.ndarray
    #: What choosing each vehicle costs: travel there (weighted, plus the
    #: weighted lateness it causes when the fleet is ``timely``).
    cost: np.ndarray


class _Fleet:
    """The vehicles' state while the greedy appends nodes to their rounds."""

    def __init__(self, p: RoutingProblem, timely: bool = False) -> None:
        nv = len(p.vehicles)
        self.p, self.timely = p, timely
        self.routes: list[list[int]] = [[] for _ in range(nv)]
        self.times = np.stack([t.astype(np.int64) for t in p.times])
        self.prof = np.array([v.profile for v in p.vehicles])
        self.home = np.array([v.point for v in p.vehicles])
        self.pos = np.array([v.point if v.start_point is None else v.start_point for v in p.vehicles])
        self.start = np.array([v.start for v in p.vehicles], dtype=np.int64)
        self.end = np.array([v.end for v in p.vehicles], dtype=np.int64)
        self.max_work = np.array([v.max_work for v in p.vehicles], dtype=np.int64)
        self.cap = np.array([v.capacity if v.capacity is not None else 2**40 for v in p.vehicles], dtype=np.int64)
        # Carers already out (mid-day re-planning) are on the clock from their start.
        self.out_already = np.array([v.start_point is not None for v in p.vehicles])
        self.free = self.start.copy()
        self.leave = np.full(nv, -1, dtype=np.int64)
        self.load = np.zeros(nv, dtype=np.int64)
        self.placed: dict[int, tuple[int, int]] = {}  # node -> (vehicle, start)

    def options(self, node: Node, lower: int, upper: int, exclude: set[int]) -> _Options:
        """Each allowed vehicle appending ``node`` at its earliest start in
        [lower, upper]; vehicles in ``exclude`` (a linked partner's) are not ok."""
        allowed = np.array(node.allowed, dtype=np.int64)
        t_in = self.times[self.prof[allowed], self.pos[allowed], node.point]
        t_home = self.times[self.prof[allowed], node.point, self.home[allowed]]
        unused = self.leave[allowed] < 0
        start = self.start[allowed]
        arrive = np.where(unused, np.maximum(start + t_in, lower), self.free[allowed] + t_in)
        begin = np.maximum(arrive, lower)
        out = np.where(unused, np.where(self.out_already[allowed], start, begin - t_in), self.leave[allowed])
        back = begin + node.duration + t_home
        ok = (begin <= upper) & (back <= self.end[allowed]) & (back - out <= self.max_work[allowed])
        ok &= self.load[allowed] + node.load <= self.cap[allowed]
        if exclude:
            ok &= ~np.isin(allowed, list(exclude))
        return _Options(allowed, t_in, t_home, begin, out, ok, self.cost(node, t_in, begin))

    def cost(self, node: Node, t_in: np.ndarray, begin: np.ndarray) -> np.ndarray:
        """Travel there, or (``timely``) the objective's share of the move:
        weighted travel plus weighted minutes late past the preferred time."""
        if not self.timely:
            return t_in
        w = self.p.weights
        late = 0 if node.target is None else np.maximum(0, begin - node.target - node.tolerance)
        return w.travel * t_in + w.late * late

    def commit(self, vehicle: int, at: int, left: int, n: int) -> None:
        """Append node ``n`` to ``vehicle``'s round, starting at ``at``."""
        node = self.p.nodes[n]
        self.routes[vehicle].append(n)
        if self.leave[vehicle] < 0:
            self.leave[vehicle] = left
        self.free[vehicle] = at + node.duration
        self.pos[vehicle] = node.point
        self.load[vehicle] += node.load
        self.placed[n] = (vehicle, at)


def _greedy(p: RoutingProblem, *, joint: bool, timely: bool = False) -> list[Route]:
    """One run of the construction (see :func:`greedy_plan`)."""
    fleet = _Fleet(p, timely)
    pair: dict[int, int] = {}
    # node -> (partner, lo, hi): start(node) - start(partner) in [lo, hi].
    links: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for sync in p.syncs:
        if sync.both_or_neither and sync.min_gap == 0 and sync.max_gap == 0:
            pair[sync.a], pair[sync.b] = sync.b, sync.a
        else:
            links[sync.a].append((sync.b, -sync.max_gap, -sync.min_gap))
            links[sync.b].append((sync.a, sync.min_gap, sync.max_gap))
    order = sorted(range(len(p.nodes)), key=lambda i: (p.nodes[i].early, p.nodes[i].late, i))
    placed = fleet.placed
    for i in order:
        if i in placed or (i in links and i in pair):
            continue
        node = p.nodes[i]
        if not node.allowed:
            continue
        if joint:
            mate = next(((j, lo, hi) for j, lo, hi in links.get(i, ()) if j not in placed and p.nodes[j].allowed), None)
            if mate is not None:
                both = _joint_start(fleet, links, i, *mate)
                if both:
                    for vehicle, at, left, n in both:
                        fleet.commit(vehicle, at, left, n)
                    continue
        lower, upper, other_carers = _bounds(fleet, links, i)
        opt = fleet.options(node, lower, upper, other_carers)
        if not opt.ok.any():
            continue
        cand = np.flatnonzero(opt.ok)
        cand = cand[np.lexsort((opt.begin[cand], opt.cost[cand]))]
        if node.preferred:
            mine = np.isin(opt.allowed[cand], node.preferred)
            if mine.sum() >= (2 if i in pair else 1):
                cand = cand[mine]
        if i not in pair:
            k = cand[0]
            chosen = [(int(opt.allowed[k]), int(opt.begin[k]), int(opt.out[k]), i)]
        else:
            chosen = _pair_start(
                cand, opt.allowed, opt.begin, opt.out, opt.t_home, node, fleet.end, fleet.max_work, i, pair[i]
            )
            if not chosen:
                continue
        for vehicle, at, left, n in chosen:
            fleet.commit(vehicle, at, left, n)
    return _timed(p, fleet.routes, placed, fleet.leave, fleet.times)


def _bounds(fleet: _Fleet, links: dict[int, list[tuple[int, int, int]]], i: int) -> tuple[int, int, set[int]]:
    """Node ``i``'s start bounds from its placed link partners, and their vehicles."""
    node = fleet.p.nodes[i]
    lower, upper, others = node.early, node.late, set()
    for partner, lo, hi in links.get(i, ()):
        if partner in fleet.placed:
            vehicle, at = fleet.placed[partner]
            lower, upper = max(lower, at + lo), min(upper, at + hi)
            others.add(vehicle)
    return lower, upper, others


def _joint_start(
    fleet: _Fleet, links: dict[int, list[tuple[int, int, int]]], i: int, j: int, lo: int, hi: int
) -> list[tuple[int, int, int, int]]:
    """Linked nodes ``i`` and ``j`` (start(i) - start(j) in [lo, hi]) on two
    different vehicles at once: every pair of vehicles that can each take its
    node, the earlier side waiting until the gap holds; the pair that costs
    least (:meth:`_Fleet.cost`, then the earliest starts) wins. [] when no pair fits.
    [(vehicle, start, leave, node)] for both otherwise."""
    p = fleet.p
    lower_i, upper_i, others_i = _bounds(fleet, links, i)
    lower_j, upper_j, others_j = _bounds(fleet, links, j)
    a = fleet.options(p.nodes[i], lower_i, upper_i, others_i)
    b = fleet.options(p.nodes[j], lower_j, upper_j, others_j)
    ca, cb = np.flatnonzero(a.ok), np.flatnonzero(b.ok)
    if not len(ca) or not len(cb):
        return []
    bi, bj = a.begin[ca][:, None], b.begin[cb][None, :]
    # Earliest starts with start(i) - start(j) in [lo, hi]: i waits for
    # j + lo, then j waits for i - hi (the gap then holds on both sides).
    si = np.maximum(bi, bj + lo)
    sj = np.maximum(bj, si - hi)
    ok = (si <= upper_i) & (sj <= upper_j) & (a.allowed[ca][:, None] != b.allowed[cb][None, :])
    for side, starts, node in ((a, si, p.nodes[i]), (b, sj, p.nodes[j])):
        c = ca if side is a else cb
        shape = (slice(None), None) if side is a else (None, slice(None))
        veh = side.allowed[c][shape]
        t_in, t_home, out = side.t_in[c][shape], side.t_home[c][shape], side.out[c][shape]
        # A vehicle not out yet leaves later when its node waits.
        fresh = (fleet.leave[veh] < 0) & ~fleet.out_already[veh]
        out = np.where(fresh, starts - t_in, out)
        back = starts + node.duration + t_home
        ok &= (back <= fleet.end[veh]) & (back - out <= fleet.max_work[veh])
    if not ok.any():
        return []
    xs, ys = np.nonzero(ok)
    # Costs at the starts the gap imposes (a wait can make a side late).
    cost = fleet.cost(p.nodes[i], a.t_in[ca][xs], si[xs, ys]) + fleet.cost(p.nodes[j], b.t_in[cb][ys], sj[xs, ys])
    best = np.lexsort((si[xs, ys] + sj[xs, ys], cost))[0]
    x, y = int(xs[best]), int(ys[best])
    at_i, at_j = int(si[x, y]), int(sj[x, y])
    vi, vj = int(a.allowed[ca[x]]), int(b.allowed[cb[y]])
    out_i = at_i - int(a.t_in[ca[x]]) if fleet.leave[vi] < 0 and not fleet.out_already[vi] else int(a.out[ca[x]])
    out_j = at_j - int(b.t_in[cb[y]]) if fleet.leave[vj] < 0 and not fleet.out_already[vj] else int(b.out[cb[y]])
    return [(vi, at_i, out_i, i), (vj, at_j, out_j, j)]


def _timed(
    p: RoutingProblem,
    routes: list[list[int]],
    placed: dict[int, tuple[int, int]],
    leave: np.ndarray,
    times: np.ndarray,
) -> list[Route]:
    """The greedy's routes with the start times it chose (a double-up's
    copies start together, a linked visit keeps its gap: re-timing them at
    their earliest would undo that)."""
    out = []
    for k, nodes in enumerate(routes):
        if not nodes:
            continue
        v, last = p.vehicles[k], p.nodes[nodes[-1]]
        back = placed[nodes[-1]][1] + last.duration + int(times[v.profile, last.point, v.point])
        starts = tuple(placed[n][1] for n in nodes)
        out.append(Route(vehicle=k, nodes=tuple(nodes), starts=starts, leave=int(leave[k]), back=back))
    return out


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
