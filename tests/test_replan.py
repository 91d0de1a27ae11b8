"""Re-planning on the day (pinning, minimal disruption) and templates."""

from __future__ import annotations

import dataclasses

import pytest
from builders import PLANE, carer, hm, plane, solve, starts, visit

import patchplan as pp
from patchplan.rounds.replan import Cancel, CarerOff, NewVisit, Overrun, plan_from_template, replan


def _day() -> tuple[pp.Scenario, pp.Roster]:
    """Two carers, each with a morning and a late-morning call near home."""
    s = plane(
        {"a": (0, 5), "b": (0, 8), "c": (0, 45), "d": (0, 48)},
        [
            visit("A", "a", "08:00", "08:00", 30),
            visit("B", "b", "11:00", "13:00", 30),
            visit("C", "c", "08:00", "08:00", 30),
            visit("D", "d", "11:00", "11:30", 30),
        ],
        [carer("k1"), carer("k2", at=(0, 50))],
    )
    roster = solve(s)
    assert starts(roster)["A"][0][0] == "k1" and starts(roster)["C"][0][0] == "k2"
    return s, roster


def _check(result) -> None:
    assert pp.check(result.scenario, result.roster, travel=PLANE) == ()


def test_sick_carer_hands_over_only_what_is_left() -> None:
    """k1 goes off sick at 10:00 after A: only B moves (to k2); A stays pinned."""
    s, roster = _day()
    result = replan(s, roster, [CarerOff("k1", hm("10:00"))], now=hm("10:00"), travel=PLANE, time_limit_s=3)
    _check(result)
    assert [(m.visit_id, m.before, m.after) for m in result.moves] == [("B", ("k1",), ("k2",))]
    assert result.pinned == 2  # A and C had started
    new = starts(result.roster)
    assert new["A"] == starts(roster)["A"]


def test_minimal_disruption_keeps_other_carers_rounds() -> None:
    """Cancelling B moves nothing else: every other visit keeps its carer and time."""
    s, roster = _day()
    result = replan(s, roster, [Cancel("B", "hospital")], now=hm("09:00"), travel=PLANE, time_limit_s=3)
    _check(result)
    assert result.moves == ()
    assert {u.visit_id: u.reason for u in result.roster.unassigned} == {"B": pp.Reason.CANCELLED}
    for vid in "ACD":
        assert starts(result.roster)[vid][0][0] == starts(roster)[vid][0][0]


def test_overrun_is_absorbed() -> None:
    """A runs 60 minutes over: k1 still does B, later in its window."""
    s, roster = _day()
    result = replan(s, roster, [Overrun("A", 60)], now=hm("08:40"), travel=PLANE, time_limit_s=3)
    _check(result)
    (stop_a,) = [st for r in result.roster.rounds for st in r.stops if st.visit_id == "A"]
    assert stop_a.end == hm("09:30")
    assert starts(result.roster)["B"][0][0] == "k1"


def test_urgent_new_visit_is_fitted_in() -> None:
    """An urgent call for client a at 12:30 is served the same day."""
    s, roster = _day()
    urgent = pp.Visit(
        id="U", package_id="PK-a", client_id="a", day=0, early=hm("12:30"), late=hm("13:00"), duration_min=20
    )
    result = replan(s, roster, [NewVisit(urgent)], now=hm("09:00"), travel=PLANE, time_limit_s=3)
    _check(result)
    assert "U" in starts(result.roster)


def test_unknown_carer_in_events_is_bad_input() -> None:
    """Events must name real carers and visits."""
    s, roster = _day()
    with pytest.raises(pp.InputError, match="unknown carer 'ghost'"):
        replan(s, roster, [CarerOff("ghost", 0)], now=hm("09:00"), travel=PLANE)


def test_template_with_no_changes_moves_nothing() -> None:
    """Planning again from last week's roster keeps every call's carer."""
    s, roster = _day()
    again, moves = plan_from_template(
        s, roster, "P", travel=PLANE, time_limit_s=3, params=pp.RoundsParams(solution_limit=100)
    )
    assert pp.check(s, again, travel=PLANE) == ()
    assert moves == ()


def test_template_absorbs_a_new_package() -> None:
    """A new client's call is added; the existing calls keep their carers."""
    s, roster = _day()
    client = dataclasses.replace(s.clients[0], id="e", location=pp.Location(6, 0))
    pkg = dataclasses.replace(s.packages[0], id="PK-e", client_id="e")
    new = pp.Visit(
        id="E", package_id="PK-e", client_id="e", day=0, early=hm("09:00"), late=hm("10:00"), duration_min=30
    )
    s2 = s.replace(clients=(*s.clients, client), packages=(*s.packages, pkg), visits=(*s.visits, new))
    again, moves = plan_from_template(
        s2, roster, "P", travel=PLANE, time_limit_s=3, params=pp.RoundsParams(solution_limit=100)
    )
    assert pp.check(s2, again, travel=PLANE) == ()
    assert moves == () and "E" in starts(again)
