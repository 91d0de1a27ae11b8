"""The solver package on hand-built routing problems: timing, construction,
repair, and the OR-Tools adapter's contract (no scenario, no domain words).

One profile; points on a line, travel minutes = distance between indices x 10.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from patchplan.core.errors import SolverError
from patchplan.solver import _ortools, timing
from patchplan.solver.construct import _greedy, greedy_plan, greedy_routes
from patchplan.solver.pairs import improve_pairs, insert_pairs, lone_halves
from patchplan.solver.problem import Node, Route, RoutingProblem, Sync, Vehicle, Weights
from patchplan.solver.repair import eliminate_routes, repair_routes, trim_route


def line(n: int, step: int = 10) -> np.ndarray:
    idx = np.arange(n)
    return np.abs(idx[:, None] - idx[None, :]) * step


def node(key: str, point: int, early: int, late: int, duration: int = 30, allowed=(0,), **kw) -> Node:
    return Node(
        key=key,
        copy=kw.pop("copy", 0),
        point=point,
        early=early,
        late=late,
        duration=duration,
        allowed=tuple(allowed),
        penalty=kw.pop("penalty", 10**9),
        **kw,
    )


def vehicle(key: str, point: int = 0, start: int = 0, end: int = 1000, max_work: int = 1000, **kw) -> Vehicle:
    return Vehicle(key=key, point=point, profile=0, start=start, end=end, max_work=max_work, **kw)


def problem(nodes, vehicles, n_points=6, syncs=()) -> RoutingProblem:
    t = line(n_points)
    return RoutingProblem(
        nodes=tuple(nodes),
        vehicles=tuple(vehicles),
        times=(t,),
        distances=(t * 100,),
        syncs=tuple(syncs),
        weights=Weights(100, 100, 50, 0, 0),
    )


# -- timing -----------------------------------------------------------------
def test_timed_route_waits_for_windows_and_leaves_late() -> None:
    p = problem([node("a", 1, 100, 200), node("b", 3, 0, 500)], [vehicle("k")])
    r = timing.timed_route(p, 0, [0, 1], timing.int_times(p))
    # leaves at 90 to arrive at 100; a ends 130; b is 20 min on: 150; home 30 min later.
    assert r == Route(vehicle=0, nodes=(0, 1), starts=(100, 150), leave=90, back=210)


def test_timed_route_refuses_a_missed_window_and_a_late_return() -> None:
    p = problem([node("a", 1, 0, 5), node("b", 5, 0, 500)], [vehicle("k", end=100)])
    times = timing.int_times(p)
    assert timing.timed_route(p, 0, [1, 0], times) is None  # b first: a is reached after 5
    assert timing.timed_route(p, 0, [0, 1], times) is None  # home at 10+30+40+30+50 = 160 > 100


def test_route_fits_accepts_waiting_but_not_an_early_start() -> None:
    p = problem([node("a", 1, 100, 200)], [vehicle("k")])
    times = timing.int_times(p)
    assert timing.route_fits(p, Route(0, (0,), (120,), 90, 160), times)  # waits 20 at the door
    assert not timing.route_fits(p, Route(0, (0,), (95,), 90, 135), times)  # before the window
    assert not timing.route_fits(p, Route(0, (0,), (100,), 95, 140), times)  # arrives at 105


def test_longest_stretch_counts_idle_gaps_of_the_rest_length() -> None:
    p = problem([node("a", 1, 0, 1000, 200), node("b", 1, 0, 1000, 200)], [vehicle("k")])
    times = timing.int_times(p)
    no_gap = Route(0, (0, 1), (10, 210), 0, 420)
    gap = Route(0, (0, 1), (10, 230), 0, 440)
    assert timing.longest_stretch(p, no_gap, times, 20) == 420
    assert timing.longest_stretch(p, gap, times, 20) == 210  # 0-210, rest, 230-440
    # A carer out for 160 minutes when the day is re-planned: the first stretch carries them.
    assert timing.longest_stretch(p, gap, times, 20, carried=160) == 370
    assert timing.longest_stretch(p, no_gap, times, 20, carried=160) == 580


def test_retime_with_breaks_opens_a_gap_where_the_windows_allow() -> None:
    """Two 200-minute calls back to back break a 360-minute rule; the second
    can start 20 minutes later, so the carer rests at the door."""
    p = problem([node("a", 1, 0, 1000, 200), node("b", 1, 0, 1000, 200)], [vehicle("k")])
    times = timing.int_times(p)
    tight = Route(0, (0, 1), (10, 210), 0, 420)
    fixed = timing.retime_with_breaks(p, tight, times, limit=360, rest=20)
    assert fixed is not None and fixed.starts == (10, 230) and timing.longest_stretch(p, fixed, times, 20) <= 360
    # A synchronised second call cannot move: no timing keeps the rule.
    assert timing.retime_with_breaks(p, tight, times, limit=360, rest=20, fixed={1}) is None


def test_score_orders_lost_then_unserved_then_travel() -> None:
    p = problem([node("a", 1, 0, 500), node("b", 5, 0, 500, allowed=(0, 1))], [vehicle("k"), vehicle("j", point=5)])
    times = timing.int_times(p)
    only_a = [Route(0, (0,), (10,), 0, 50)]
    both = [Route(0, (0,), (10,), 0, 50), Route(1, (1,), (0,), 0, 30)]
    assert timing.score(p, both, times) < timing.score(p, only_a, times)
    # Losing a protected visit is worse than leaving two others out.
    assert timing.score(p, only_a, times, protected={"b"}).lost == 1


# -- construction ------------------------------------------------------------
def test_greedy_starts_a_double_up_together_on_two_carers() -> None:
    nodes = [node("d", 2, 60, 120, copy=0, allowed=(0, 1)), node("d", 2, 60, 120, copy=1, allowed=(0, 1))]
    p = problem(
        nodes,
        [vehicle("k", point=0), vehicle("j", point=5)],
        syncs=[Sync(a=0, b=1, min_gap=0, max_gap=0, both_or_neither=True)],
    )
    plan = greedy_plan(p)
    assert sorted(r.vehicle for r in plan) == [0, 1]
    assert {r.starts[0] for r in plan} == {60}
    assert greedy_routes(p) == [[0], [1]] or greedy_routes(p) == [[1], [0]]


def test_greedy_leaves_out_what_nobody_can_reach() -> None:
    p = problem([node("a", 5, 0, 20)], [vehicle("k")])  # 50 minutes away, must start by 20
    assert greedy_plan(p) == []


def test_greedy_places_a_linked_visit_with_its_partner_when_alone_it_finds_no_carer() -> None:
    """b must start 60-90 minutes after a, on carer j only. Placed alone,
    a goes to k (nearest, starts 10), then c (window from 20) to j, its
    nearest, which keeps j busy until 220: b's gap closes at 100 and b is
    left out. Placed together, a and b go first (a at 10 on k, b at 70 on
    j), and c still fits on k: every call served."""
    nodes = [
        node("a", 1, 0, 1000, 30, allowed=(0, 1)),
        node("b", 1, 30, 1000, 30, allowed=(1,)),
        node("c", 5, 20, 200, 200, allowed=(0, 1)),
    ]
    p = problem(nodes, [vehicle("k", point=0), vehicle("j", point=5)], syncs=[Sync(0, 1, 60, 90, False)])
    alone = {n for r in _greedy(p, joint=False) for n in r.nodes}
    assert alone == {0, 2}
    plan = greedy_plan(p)
    starts = {n: (r.vehicle, at) for r in plan for n, at in zip(r.nodes, r.starts)}
    assert set(starts) == {0, 1, 2}
    assert starts[0] == (0, 10) and starts[1] == (1, 70)
    times = timing.int_times(p)
    assert all(timing.route_fits(p, r, times) for r in plan)


def test_timely_greedy_weighs_the_lateness_of_the_nearest_carer() -> None:
    """x is due at 0 (no tolerance): carer k is nearest (at x's door after a
    5-hour call, 310 minutes late), j is 40 minutes away (40 late). By
    travel alone x goes to k; counting lateness (late weight = travel
    weight) to j: travel 100 x 100 and 50 minutes late, against 20 x 100
    and 320 late."""
    nodes = [node("a", 1, 0, 1000, 300, allowed=(0, 1), target=0), node("x", 1, 0, 1000, 30, allowed=(0, 1), target=0)]
    p = problem(nodes, [vehicle("k", point=0), vehicle("j", point=5)])
    times = timing.int_times(p)
    by_travel = _greedy(p, joint=False)
    assert {n: r.vehicle for r in by_travel for n in r.nodes} == {0: 0, 1: 0}
    timely = _greedy(p, joint=False, timely=True)
    assert {n: (r.vehicle, at) for r in timely for n, at in zip(r.nodes, r.starts)} == {0: (0, 10), 1: (1, 40)}
    before, after = timing.score(p, by_travel, times), timing.score(p, timely, times)
    assert (before.travel, before.off_time) == (2000, 100 * 320)
    assert (after.travel, after.off_time) == (10000, 100 * 50)


# -- repair -------------------------------------------------------------------
def test_repair_inserts_where_it_adds_least_travel() -> None:
    nodes = [node("a", 1, 0, 500), node("c", 3, 0, 500), node("b", 2, 0, 500)]
    p = problem(nodes, [vehicle("k")])
    assert repair_routes(p, [[0, 1]]) == [[0, 2, 1]]  # b between a and c: no detour


def test_trim_route_keeps_the_longest_feasible_prefix_in_order() -> None:
    p = problem([node("a", 1, 0, 500), node("late", 2, 0, 15), node("c", 3, 0, 500)], [vehicle("k")])
    assert trim_route(p, 0, [0, 1, 2]) == [0, 2]


# -- the OR-Tools adapter's contract --------------------------------------------
def test_adapter_serves_what_fits_and_reports_the_rest_dropped() -> None:
    nodes = [node("a", 1, 0, 500), node("far", 5, 0, 20, allowed=(0,))]
    p = problem(nodes, [vehicle("k")])
    sol = _ortools.solve_routing(p, time_limit_s=2, solution_limit=20)
    assert [r.nodes for r in sol.routes] == [(0,)] and sol.dropped == (1,)
    assert timing.route_fits(p, sol.routes[0], timing.int_times(p))


def test_adapter_keeps_a_double_up_synchronised_on_two_vehicles() -> None:
    nodes = [node("d", 2, 60, 120, copy=0, allowed=(0, 1)), node("d", 2, 60, 120, copy=1, allowed=(0, 1))]
    p = problem(
        nodes,
        [vehicle("k", point=0), vehicle("j", point=5)],
        syncs=[Sync(a=0, b=1, min_gap=0, max_gap=0, both_or_neither=True)],
    )
    sol = _ortools.solve_routing(p, time_limit_s=2, solution_limit=20)
    assert sorted(r.vehicle for r in sol.routes) == [0, 1]
    assert len({r.starts[0] for r in sol.routes}) == 1


def test_adapter_refuses_infeasible_initial_routes() -> None:
    p = problem([node("a", 5, 0, 20)], [vehicle("k")])
    assert not _ortools.routes_feasible(p, [[0]])
    with pytest.raises(SolverError):
        _ortools.solve_routing(p, time_limit_s=1, initial_routes=[[0]])


def test_adapter_is_deterministic_under_a_solution_budget() -> None:
    nodes = [node(f"n{i}", 1 + i % 5, 0, 600, allowed=(0, 1)) for i in range(8)]
    p = problem(nodes, [vehicle("k"), vehicle("j", point=5)])
    a = _ortools.solve_routing(p, time_limit_s=5, solution_limit=30)
    b = _ortools.solve_routing(p, time_limit_s=5, solution_limit=30)
    assert a.routes == b.routes and a.objective == b.objective


def test_route_elimination_saves_a_vehicle_when_every_call_fits_elsewhere() -> None:
    """Three vehicles each with one call on a line; two carers have room for
    all three calls, so one route goes and no call is lost."""
    nodes = [node(f"n{i}", 1 + i, 0, 600, allowed=(0, 1, 2)) for i in range(3)]
    p = problem(nodes, [vehicle("a"), vehicle("b"), vehicle("c")])
    out = eliminate_routes(p, [[0], [1], [2]], deadline=time.perf_counter() + 5)
    assert sorted(n for r in out for n in r) == [0, 1, 2]
    assert sum(1 for r in out if r) == 1  # all three fit on one carer's round
    tight = problem(
        [node(f"n{i}", 1 + i, 100, 110, allowed=(0, 1, 2)) for i in range(3)],
        [vehicle("a"), vehicle("b"), vehicle("c")],
    )
    assert eliminate_routes(tight, [[0], [1], [2]], deadline=time.perf_counter() + 5) == [[0], [1], [2]]


def test_a_left_out_linked_visit_goes_back_with_its_partner_moved() -> None:
    """a and b must start together; b only on j, which is busy with y until
    100 and then 10 minutes from b. a is served at 10 on k, b is left out:
    b alone cannot start at 10. Taking a out and placing both together
    starts them at 110 (a waits on k): every call served."""
    nodes = [node("a", 1, 0, 1000, allowed=(0, 1)), node("b", 4, 0, 1000, allowed=(1,)), node("y", 5, 0, 10, 100, (1,))]
    p = problem(nodes, [vehicle("k", point=0), vehicle("j", point=5)], syncs=[Sync(0, 1, 0, 0, False)])
    times = timing.int_times(p)
    plan = [Route(0, (0,), (10,), 0, 50), Route(1, (2,), (0,), 0, 100)]
    out = insert_pairs(p, plan, times)
    where = {n: (r.vehicle, at) for r in out for n, at in zip(r.nodes, r.starts)}
    assert where == {0: (0, 110), 1: (1, 110), 2: (1, 0)}
    assert all(timing.route_fits(p, r, times) for r in out)
    # Nothing to do when every pair is whole.
    assert insert_pairs(p, out, times) == out


def test_lone_halves_are_double_up_copies_only() -> None:
    """Served alone, a double-up's copy is no visit; one visit of a timing
    link is (the search start used to drop it too, and with it every such
    visit the floor served)."""
    nodes = [node("d", 1, 0, 500, copy=0), node("d", 1, 0, 500, copy=1), node("a", 2, 0, 500), node("b", 3, 0, 500)]
    p = problem(nodes, [vehicle("k"), vehicle("j")], syncs=[Sync(0, 1, 0, 0, True), Sync(2, 3, 0, 60, False)])
    assert lone_halves(p, {0, 2}) == {0}
    assert lone_halves(p, {0, 1, 3}) == set()


def test_a_late_double_up_moves_as_a_pair_and_its_lateness_goes() -> None:
    """Two carers each do a 2-hour call then a double-up together, which
    starts 90 minutes after its time. Moving one copy earlier alone is never
    feasible (its partner pins it); moving both before the long calls is,
    at the same travel, and removes the lateness."""
    nodes = [
        node("x", 1, 0, 1000, 120, allowed=(0,)),
        node("y", 3, 0, 1000, 120, allowed=(1,)),
        node("d", 2, 0, 1000, 30, copy=0, allowed=(0, 1), target=60, tolerance=0),
        node("d", 2, 0, 1000, 30, copy=1, allowed=(0, 1), target=60, tolerance=0),
    ]
    p = problem(nodes, [vehicle("k"), vehicle("j", point=5)], syncs=[Sync(2, 3, 0, 0, True)])
    times = timing.int_times(p)
    late = [Route(0, (0, 2), (10, 150), 0, 200), Route(1, (1, 3), (20, 150), 0, 210)]
    before = timing.score(p, late, times)
    after_routes = improve_pairs(p, late, times, deadline=time.perf_counter() + 5)
    after = timing.score(p, after_routes, times)
    assert before.off_time == 2 * 90 * 100 and after.off_time == 0
    assert after.travel <= before.travel and after < before
    starts = {n: at for r in after_routes for n, at in zip(r.nodes, r.starts)}
    assert starts[2] == starts[3] == 60


def test_a_call_stays_with_its_preferred_carer_when_the_outsider_cost_exceeds_the_travel_saved() -> None:
    """Points on a line 10 minutes apart: the call at 2 is 20 minutes from k0
    (at 4: its preferred carer, e.g. the client's team) there and back 40,
    and 10 from k1 (at 1), 20 there and back. Travel alone sends k1; an
    outsider cost above the 20 minutes (2,000 at 100 a minute) sends k0."""
    nodes = [node("call", 2, 0, 500, allowed=(0, 1), preferred=(0,))]
    vehicles = [vehicle("k0", point=4), vehicle("k1", point=1)]
    carers = {}
    for outsider in (0, 1500, 2500):
        p = dataclasses.replace(problem(nodes, vehicles), weights=Weights(100, 100, 50, 0, 0, outsider))
        sol = _ortools.solve_routing(p, time_limit_s=5, solution_limit=50)
        (route,) = sol.routes
        carers[outsider] = route.vehicle
        # The plan's own score counts the outsider cost with travel, as the search does.
        outside = 0 if route.vehicle == 0 else outsider
        assert (
            timing.score(p, sol.routes, timing.int_times(p)).travel
            == 100 * (40 if route.vehicle == 0 else 20) + outside
        )
    assert carers == {0: 1, 1500: 1, 2500: 0}


def test_a_start_not_read_in_time_is_not_accepted(monkeypatch) -> None:
    """OR-Tools can take minutes to read a start: routes_feasible gives up
    after its wait (here the reading is made to hang) and says no, rather
    than hold the plan; a start read in time is judged as read."""
    p = problem([node("a", 1, 0, 500)], [vehicle("k0", point=0)])
    assert _ortools.routes_feasible(p, [[0]]) is True
    # Read at last (after 30 s) it would be accepted: only giving up says no.
    monkeypatch.setattr(_ortools, "_read_start", lambda _p, _r: time.sleep(30) or True)
    assert _ortools.routes_feasible(p, [[0]], wait_s=0.5) is False
