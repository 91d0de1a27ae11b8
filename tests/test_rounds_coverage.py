"""Never below the coordinator (issue 12): on random small provider-days,
with a solution budget instead of a clock, the plan serves every visit its
floor serves and at least as many as the status-quo coordinator's rule,
and the independent checker finds nothing wrong."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import patchplan as pp
from patchplan.rounds.day import drop_base
from patchplan.rounds.statusquo import coordinator_day

from builders import PLANE, carer, plane, visit
from test_rounds_property import scenarios


def _served(roster: pp.Roster) -> set[str]:
    return {stop.visit_id for r in roster.rounds for stop in r.stops}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_plan_serves_everything_its_floor_serves(s: pp.Scenario) -> None:
    for budget in (1, 30):
        planned = pp.plan_rounds(s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=budget), time_limit_s=30)
        roster = planned.roster
        assert pp.check(s, roster, travel=PLANE) == ()
        served = {vid for vid, carers in roster.assignments().items() if carers}
        (day,) = planned.day_outcomes
        assert day.floor_served <= served
        left = {c.id: int(c.max_hours_week * 60) for c in s.carers}
        coordinator = coordinator_day(s, "P", 0, s.visits, PLANE, left) or []
        by_visit: dict[str, int] = {}
        for rnd in coordinator:
            for stop in rnd.stops:
                by_visit[stop.visit_id] = by_visit.get(stop.visit_id, 0) + 1
        full = {v.id for v in s.visits if by_visit.get(v.id, 0) == v.carers_required}
        assert len(served) >= len(full)


def test_with_no_search_at_all_the_coordinators_plan_is_kept() -> None:
    """One solution (the start) is all the search may find: every call the
    coordinator can cover is still covered."""
    clients = {f"c{i}": (10 * i, 0) for i in range(6)}
    visits = [visit(f"v{i}", f"c{i}", "08:00", "12:00", 45, target="09:00", tolerance=30) for i in range(6)]
    s = plane(clients, visits, [carer("k1", shift=("07:00", "13:00")), carer("k2", at=(50, 0))])
    planned = pp.plan_rounds(s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=1), time_limit_s=10)
    assert pp.check(s, planned.roster, travel=PLANE) == ()
    assert _served(planned.roster) == {v["id"] for v in visits}
    assert planned.start_served == planned.served == 6


def test_a_far_call_is_served_though_dropping_it_would_save_travel() -> None:
    """The drop penalty exceeds any saving: a call 170 minutes away, which
    one carer can still reach, is served."""
    s = plane(
        {"near": (5, 0), "far": (170, 0)},
        [visit("n", "near", "08:00", "09:00"), visit("f", "far", "08:00", "14:00")],
        [carer("k", shift=("07:00", "19:00"))],
    )
    planned = pp.plan_rounds(s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=50), time_limit_s=10)
    assert _served(planned.roster) == {"n", "f"}
    p = pp.RoundsParams()
    import numpy as np

    times = [np.array([[0, 170], [170, 0]])]
    saving = p.travel_weight * 2 * 170  # the round trip a drop would save
    assert drop_base(p, list(s.visits), times) > saving


def test_a_long_day_keeps_every_call_and_its_break() -> None:
    """A 7-hour day of calls for one carer: the plan keeps every call and
    takes its 20-minute break at a client's door where the windows allow."""
    clients = {f"c{i}": (1, 0) for i in range(7)}
    visits = [visit(f"v{i}", f"c{i}", f"{8 + i:02d}:00", f"{8 + i:02d}:30", 55) for i in range(7)]
    s = plane(clients, visits, [carer("k", shift=("07:30", "16:30"))])
    planned = pp.plan_rounds(s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=20), time_limit_s=10)
    assert pp.check(s, planned.roster, travel=PLANE) == ()
    assert planned.served == 7
