"""patchplan.check.rules: the registry is complete, and rule functions judge their subject alone."""

from __future__ import annotations

import dataclasses

import pytest
from builders import PLANE, carer, checker_roster, checker_scenario, hm, plane, stop, visit

import patchplan as pp
from patchplan.check.rules import (
    ALL_CHECKS,
    RULE_INFO,
    RULE_OF,
    Context,
    Rule,
    Violation,
    break_,
    clock,
    overlap,
    rest,
    travel_to_stop,
    two_rounds,
    window,
)
from patchplan.check.timing import time_round, time_rounds

VIOLATION_FIELDS = {f.name for f in dataclasses.fields(Violation)}


def _leg(a, b, mode):
    minutes, metres = PLANE.matrices([a, b], mode)
    return int(minutes[0, 1]), int(metres[0, 1])


def test_every_rule_is_described_and_checked() -> None:
    """Each rule has its meaning and at least one check function; each function is registered once."""
    assert set(RULE_INFO) == set(Rule)
    assert {RULE_OF[fn] for fn in ALL_CHECKS} == set(Rule)
    assert len(ALL_CHECKS) == len(set(ALL_CHECKS)) == len(RULE_OF)


@pytest.mark.parametrize("rule", list(Rule))
def test_rule_info_names_real_fields(rule: Rule) -> None:
    """The fields a rule says its violations carry are Violation fields."""
    assert set(RULE_INFO[rule].fields) <= VIOLATION_FIELDS - {"rule", "detail", "amount"}
    assert RULE_INFO[rule].meaning.endswith(".")


def test_rule_value_is_the_output_string() -> None:
    """A Rule prints as its plain name, so outputs keep the strings they had."""
    v = Violation(rule=Rule.LINK_GAP, detail="x", visit_id="V1")
    assert str(v) == "[link_gap] visit V1: x"
    assert Rule("double_up_sync") is Rule.DOUBLE_UP_SYNC and Rule.WINDOW == "window"


def test_overlap_and_travel_are_exclusive() -> None:
    """A stop starting before the carer is free is an overlap, not also a travel violation."""
    s = checker_scenario()
    good = checker_roster()
    rnd = good.rounds[0]
    ctx = Context(s)
    for start, expected in ((hm("08:20"), {Rule.OVERLAP}), (hm("08:31"), {Rule.TRAVEL}), (hm("09:00"), set())):
        b = dataclasses.replace(rnd.stops[1], start=start, end=start + 30)
        timed = time_round(s, dataclasses.replace(rnd, stops=(rnd.stops[0], b, rnd.stops[2])), _leg)
        x = timed.stops[1]
        assert {v.rule for fn in (overlap, travel_to_stop) for v in fn(ctx, x)} == expected


def test_window_reports_wrong_day_and_time_separately() -> None:
    """A stop on the wrong day and outside its hours gives two window violations."""
    s = checker_scenario()
    rnd = dataclasses.replace(checker_roster().rounds[0], day=1)
    timed = time_round(s, rnd, _leg)
    found = list(window(Context(s), timed.stops[0]))
    assert [v.detail.split(",")[0] for v in found] == ["visit is on day 0"]
    late = time_round(s, dataclasses.replace(rnd, day=0, stops=(stop("A", hm("09:30")),)), _leg)
    (v,) = window(Context(s), late.stops[0])
    assert v.amount == 30 and "allowed 08:00-09:00" in v.detail


def test_break_is_waived_past_midnight() -> None:
    """Seven and a half hours of care without a break: flagged on a day shift, not on a night shift."""
    visits = [visit("V0", "a", "15:00", "16:00", 450)]
    day = plane({"a": (0, 0)}, visits, [carer("k1", shift=("07:00", "23:00"))])
    night = plane({"a": (0, 0)}, visits, [carer("k1", shift=("14:00", "30:00"))])
    long_round = dataclasses.replace(
        checker_roster().rounds[0], stops=(stop("V0", hm("15:00"), 450, travel=0),), leave=hm("15:00"), back=hm("22:30")
    )
    (v,) = break_(Context(day), "k1", [time_round(day, long_round, _leg)])
    assert v.rule is Rule.BREAK and v.amount == 450 - 360
    assert list(break_(Context(night), "k1", [time_round(night, long_round, _leg)])) == []


def _split_day(second_start: str, *, second_day: int = 0) -> tuple[pp.Scenario, list[pp.Round]]:
    """Carer k1 on a split shift 07:00-11:00 and 11:00-22:00 (days 0 and 1), at client a's door (no travel):
    four hours of care 07:00-11:00, then four more from ``second_start``."""
    visits = [visit("M", "a", "07:00", "07:00", 240), visit("E", "a", second_start, second_start, 240, day=second_day)]
    s = plane({"a": (0, 0)}, visits, [carer("k1", shift=(("07:00", "11:00"), ("11:00", "22:00")), days=(0, 1))], days=2)
    first = pp.Round(
        carer_id="k1", day=0, stops=(stop("M", hm("07:00"), 240, travel=0),), leave=hm("07:00"), back=hm("11:00")
    )
    at = hm(second_start, second_day)
    second = pp.Round(carer_id="k1", day=second_day, stops=(stop("E", at, 240, travel=0),), leave=at, back=at + 240)
    return s, [first, second]


def two_rounds_of(s: pp.Scenario, timed: list) -> list[Violation]:
    return [v for r in timed for v in two_rounds(Context(s), r)]


def _rules(s: pp.Scenario, timed: list) -> list[Violation]:
    return [*break_(Context(s), "k1", timed), *rest(Context(s), "k1", timed)]


def test_split_shift_two_rounds_are_allowed_and_the_gap_is_a_break() -> None:
    """Two rounds in a carer's two shifts of a day are no fault; eight hours of work with a
    20-minute gap between the shifts' rounds is fine, back to back it is one stretch without a break."""
    s, rounds = _split_day("11:20")
    timed = sorted(time_rounds(s, tuple(rounds), _leg), key=lambda r: r.round.leave)
    assert [r.shift.start for r in timed] == [hm("07:00"), hm("11:00")]
    assert two_rounds_of(s, timed) == [] and _rules(s, timed) == []
    s, rounds = _split_day("11:00")
    timed = sorted(time_rounds(s, tuple(rounds), _leg), key=lambda r: r.round.leave)
    (v,) = _rules(s, timed)
    assert v.rule is Rule.BREAK and v.amount == 480 - 360 and v.day == 0


def test_rest_between_working_days_is_eleven_hours() -> None:
    """Rest runs from the last return of a working day (the split shift's evening round, back 18:00)
    to the first departure of the next: out at 04:59 is one minute short of 11 hours, 05:00 is fine."""
    s, rounds = _split_day("14:00")  # day 0: 07:00-11:00 and 14:00-18:00
    morning = pp.Round(
        carer_id="k1",
        day=1,
        stops=(stop("M", hm("04:59", 1), 60, travel=0),),
        leave=hm("04:59", 1),
        back=hm("05:59", 1),
    )
    timed = sorted(time_rounds(s, (*rounds, morning), _leg), key=lambda r: r.round.leave)
    (v,) = rest(Context(s), "k1", timed)
    assert v.rule is Rule.REST and v.day == 1 and v.amount == 1
    ok = dataclasses.replace(morning, leave=hm("05:00", 1))
    timed = sorted(time_rounds(s, (*rounds, ok), _leg), key=lambda r: r.round.leave)
    assert list(rest(Context(s), "k1", timed)) == []


def test_two_rounds_flags_the_second_round_only() -> None:
    """The first round of a day is fine; the second is flagged."""
    s = checker_scenario()
    rnd = checker_roster().rounds[0]
    assert list(two_rounds(Context(s), time_round(s, rnd, _leg, nth_of_day=1))) == []
    assert [v.rule for v in two_rounds(Context(s), time_round(s, rnd, _leg, nth_of_day=2))] == [Rule.TWO_ROUNDS]


@pytest.mark.parametrize(("minute", "text"), [(0, "00:00"), (8 * 60 + 5, "08:05"), (24 * 60 + 61, "d1 01:01")])
def test_clock(minute: int, text: str) -> None:
    """Minutes of the horizon print as HH:MM, with the day after the first."""
    assert clock(minute) == text
