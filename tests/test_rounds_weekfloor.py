"""The week's floor (issue 12's first rule over a week): a plan of several
days never serves fewer calls than the status quo's week on the same calls,
though each day is planned on its own and the plan spends carers' hours
differently from the coordinator."""

from __future__ import annotations

import dataclasses

from builders import PLANE, carer, hm, plane, visit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patchplan as pp
from patchplan.rounds.day import day_slots
from patchplan.rounds.statusquo import REST_MIN, coordinator_week
from patchplan.rounds.weekfloor import WeekFloor


def _served(roster: pp.Roster) -> set[str]:
    return {vid for vid, carers in roster.assignments().items() if carers}


def _served_with_and_without_the_floor(s: pp.Scenario) -> tuple[set[str], set[str]]:
    """The calls served with the week's floor and without it, each plan checked."""
    out = []
    for on in (True, False):
        params = pp.RoundsParams(solution_limit=50, week_floor=on)
        roster = pp.plan_rounds(s, "P", travel=PLANE, params=params, time_limit_s=10).roster
        assert pp.check(s, roster, travel=PLANE) == ()
        out.append(_served(roster))
    return out[0], out[1]


def _hours_trap() -> pp.Scenario:
    """k1 lives next to both clients but has 96 minutes a week; k2 lives 50
    minutes away and starts an hour earlier, and works day 0 only.

    The coordinator sends k2 on day 0 (soonest) and k1 on day 1 (the only
    one on shift): both calls served. Travel alone would send k1 on day 0
    (20 minutes of travel against 100), and then k1 has 16 minutes left for
    day 1's hour-long call."""
    return plane(
        {"a": (0, 10), "b": (0, -10)},
        [
            visit("mon", "a", "07:00", "11:00", 60, day=0),
            visit("tue", "b", "07:00", "11:00", 60, day=1),
        ],
        [
            carer("k1", at=(0, 0), shift=("08:00", "16:00"), days=(0, 1), max_hours_week=1.6),
            carer("k2", at=(50, 10), shift=("07:00", "15:00"), days=(0,)),
        ],
        days=2,
    )


def test_the_week_keeps_the_call_the_status_quo_serves_on_a_later_day() -> None:
    s = _hours_trap()
    status_quo = coordinator_week(s, "P", s.visits, PLANE)
    assert status_quo is not None
    assert {st.visit_id for r in status_quo for st in r.stops} == {"mon", "tue"}
    # Without the week's floor the first day's travel costs the second day's call.
    assert _served_with_and_without_the_floor(s) == ({"mon", "tue"}, {"mon"})


def test_a_late_return_that_would_cut_tomorrows_first_call_is_not_planned() -> None:
    """k1 lives near both clients, works 19:00-22:00 on day 0 and from 06:00
    on day 1, when only they can do the 07:10 call; k2 lives 40 minutes away
    and is free from 17:00 on day 0.

    The coordinator sends k2 to the evening call (soonest: 18:00 against
    k1's 19:10) and k1 out at 07:00 on day 1: both served. Travel alone would
    send k1 in the evening (20 minutes against 80), home at 20:20, and then
    their 11 hours' rest runs past 07:10."""
    s = plane(
        {"late": (0, 10), "early": (0, -10)},
        [
            visit("eve", "late", "18:00", "20:30", 60, day=0),
            visit("dawn", "early", "07:10", "07:20", 30, day=1),
        ],
        [
            carer("k1", at=(0, 0), shift=("19:00", "22:00"), days=(0,)),
            carer("k2", at=(0, 40), shift=("17:00", "23:00"), days=(0,)),
        ],
        days=2,
    )
    s = dataclasses.replace(
        s, shifts=(*s.shifts, pp.Shift(carer_id="k1", day=1, start=hm("06:00", 1), end=hm("12:00", 1)))
    )
    status_quo = coordinator_week(s, "P", s.visits, PLANE)
    assert status_quo is not None and {st.visit_id for r in status_quo for st in r.stops} == {"eve", "dawn"}
    assert _served_with_and_without_the_floor(s) == ({"eve", "dawn"}, {"eve"})


def test_the_bounds_reserve_later_days_and_tomorrows_rest() -> None:
    s = _hours_trap()
    mon = pp.Round(carer_id="k2", day=0, stops=(), leave=hm("07:00"), back=hm("09:40"))
    tue = pp.Round(carer_id="k1", day=1, stops=(), leave=hm("08:00", 1), back=hm("09:20", 1))
    floor = WeekFloor(s, [mon, tue])
    today = floor.bounds(0, [1], {"k1": 96, "k2": 2880})
    assert today.week_left == {"k1": 96 - 80, "k2": 2880}
    assert today.return_by == {"k1": hm("08:00", 1) - REST_MIN}
    assert today.reserved == {("k2", hm("07:00")): 160}
    assert today.rounds == (mon,)
    # The last day reserves nothing and bounds no return.
    last = floor.bounds(1, [], {"k1": 16, "k2": 2720})
    assert last.week_left == {"k1": 16, "k2": 2720} and last.return_by == {}


def test_a_reserved_shift_gets_its_minutes_and_a_return_bound_ends_a_shift_early() -> None:
    s = plane(
        {"a": (0, 10)},
        [visit("v", "a", "08:00", "09:00")],
        [carer("k", shift=(("07:00", "10:00"), ("17:00", "20:00")), max_hours_week=4)],
    )
    (k,) = s.carers
    even = day_slots(s, [k], 0, {"k": 240}, {}, {}, 20)
    assert [sl.hours_left for sl in even] == [120, 120]
    reserved = day_slots(s, [k], 0, {"k": 240}, {}, {}, 20, reserved={("k", hm("17:00")): 170})
    assert [sl.hours_left for sl in reserved] == [35, 205]
    cut = day_slots(s, [k], 0, {"k": 240}, {}, {}, 20, return_by={"k": hm("18:30")})
    assert [(sl.shift.start, sl.shift.end) for sl in cut] == [(hm("07:00"), hm("10:00")), (hm("17:00"), hm("18:30"))]
    # A bound before the shift starts takes the shift out.
    gone = day_slots(s, [k], 0, {"k": 240}, {}, {}, 20, return_by={"k": hm("12:00")})
    assert [sl.shift.start for sl in gone] == [hm("07:00")]


@st.composite
def weeks(draw: st.DrawFn) -> pp.Scenario:
    """Small provider-weeks of three days where weekly hours bind."""
    n_clients = draw(st.integers(1, 5))
    clients = {f"c{i}": (draw(st.integers(-40, 40)), draw(st.integers(-40, 40))) for i in range(n_clients)}
    visits = []
    for i in range(draw(st.integers(2, 10))):
        day = draw(st.integers(0, 2))
        start = draw(st.integers(7 * 60, 18 * 60))
        width = draw(st.sampled_from([15, 60, 120]))
        early = f"{start // 60:02d}:{start % 60:02d}"
        late = f"{(start + width) // 60:02d}:{(start + width) % 60:02d}"
        visits.append(
            visit(
                f"v{i}",
                f"c{draw(st.integers(0, n_clients - 1))}",
                early,
                late,
                draw(st.sampled_from([30, 45, 60])),
                day=day,
                carers=draw(st.sampled_from([1, 1, 1, 2])),
            )
        )
    carers = []
    for k in range(draw(st.integers(2, 3))):
        begin = draw(st.integers(6, 12))
        carers.append(
            carer(
                f"k{k}",
                at=(draw(st.integers(-40, 40)), draw(st.integers(-40, 40))),
                shift=(f"{begin:02d}:00", f"{begin + draw(st.integers(4, 10)):02d}:00"),
                days=tuple(sorted(draw(st.sets(st.integers(0, 2), min_size=1)))),
                max_hours_week=draw(st.sampled_from([2.0, 3.0, 5.0, 48.0])),
            )
        )
    return plane(clients, visits, carers, days=3)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weeks())
def test_a_week_serves_at_least_the_status_quos_calls(s: pp.Scenario) -> None:
    status_quo = coordinator_week(s, "P", s.visits, PLANE) or []
    copies: dict[str, int] = {}
    for rnd in status_quo:
        for stop in rnd.stops:
            copies[stop.visit_id] = copies.get(stop.visit_id, 0) + 1
    by_status_quo = {v.id for v in s.visits if copies.get(v.id, 0) == v.carers_required}
    for budget in (1, 30):
        planned = pp.plan_rounds(s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=budget), time_limit_s=30)
        assert pp.check(s, planned.roster, travel=PLANE) == ()
        assert len(_served(planned.roster)) >= len(by_status_quo)
