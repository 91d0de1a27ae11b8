"""patchplan.check.timing: the checker's own re-timing of a round, by hand on the plane."""

from __future__ import annotations

import dataclasses

from builders import PLANE, checker_roster, checker_scenario, hm, stop

from patchplan.check.timing import time_round, time_rounds


def _leg(a, b, mode):
    minutes, metres = PLANE.matrices([a, b], mode)
    return int(minutes[0, 1]), int(metres[0, 1])


def test_arrive_is_free_plus_travel() -> None:
    """k1 leaves 07:50, A is 10 min away; B is 10 min from A and A ends 08:30."""
    s = checker_scenario()
    r = time_round(s, checker_roster().rounds[0], _leg)
    a, b, c = r.stops
    assert (a.free, a.travel_min, a.arrive) == (hm("07:50"), 10, hm("08:00"))
    assert (b.free, b.arrive) == (hm("08:30"), hm("08:40"))
    assert (c.free, c.arrive) == (hm("09:30"), hm("09:40"))
    # Home is 30 min from C, which ends 11:30.
    assert (r.home_min, r.earliest_back, r.back) == (30, hm("12:00"), hm("12:00"))
    assert r.out_min == hm("12:00") - hm("07:50")
    assert r.shift is not None and r.shift.start == hm("07:00")


def test_waiting_is_a_gap_and_an_overlap_does_not_move_the_clock_back() -> None:
    """Waiting before a stop is an idle gap; a stop that ends early leaves the clock where it was."""
    s = checker_scenario()
    rnd = checker_roster().rounds[0]
    r = time_round(s, rnd, _leg)
    assert r.gaps == ((hm("08:40"), hm("09:00")), (hm("09:40"), hm("11:00")))
    inner = dataclasses.replace(
        rnd, stops=(stop("A", hm("08:00"), 60), stop("B", hm("08:20"), 5), stop("C", hm("11:00")))
    )
    _a, b, c = time_round(s, inner, _leg).stops
    assert b.free == hm("09:00") and c.free == hm("09:00")


def test_late_return_is_a_gap_and_rounds_are_counted_per_day() -> None:
    """Coming home later than needed adds a gap; a carer's second round that day is numbered 2."""
    s = checker_scenario()
    rnd = dataclasses.replace(checker_roster().rounds[0], back=hm("12:30"))
    r = time_round(s, rnd, _leg)
    assert r.gaps[-1] == (hm("12:00"), hm("12:30")) and r.back == hm("12:30")
    twice = time_rounds(s, (rnd, rnd, checker_roster().rounds[1]), _leg)
    assert [x.nth_of_day for x in twice] == [1, 2, 1]
