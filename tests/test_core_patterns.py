"""patchplan.core.patterns: recurring calls expand to the dated visits of any horizon, with stable ids."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

import patchplan as pp
from patchplan.core.model import DAY_MIN
from patchplan.core.patterns import (
    CallPattern,
    expand,
    format_weekdays,
    parse_weekdays,
    scenario_for_week,
    window,
)

MONDAY = dt.date(2026, 11, 30)


def _p(**changes: object) -> CallPattern:
    """Mon-Fri 08:00 for 45 min, double-up, anchored on MONDAY's week."""
    base: dict[str, object] = {
        "package_id": "PK1",
        "client_id": "C1",
        "weekdays": (0, 1, 2, 3, 4),
        "time": 8 * 60,
        "duration_min": 45,
        "carers_required": 2,
        "label": "morning",
        "first_week": MONDAY,
    }
    base.update(changes)
    return CallPattern(**base)  # type: ignore[arg-type]


# -- the weekdays grammar ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Mon-Fri", (0, 1, 2, 3, 4)),
        ("Mon,Wed,Fri", (0, 2, 4)),
        ("mon; wed ;FRI", (0, 2, 4)),
        ("daily", (0, 1, 2, 3, 4, 5, 6)),
        ("Sat-Sun", (5, 6)),
        ("weekends", (5, 6)),
        ("weekdays", (0, 1, 2, 3, 4)),
        ("Fri-Mon", (0, 4, 5, 6)),
        ("Tuesday,Thurs", (1, 3)),
        ("Mon-Wed,Tue", (0, 1, 2)),
    ],
)
def test_weekdays_grammar(text: str, days: tuple[int, ...]) -> None:
    """Ranges, lists (`,` or `;`), names in any case, daily/weekdays/weekends; Fri-Mon wraps."""
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["", "Mon-Fry", "Mo", "Mon-", "1-5", "Mon,,Fri"])
def test_weekdays_grammar_refuses_what_is_not_a_weekday(text: str) -> None:
    """A misspelt or empty part is an error saying what was expected, never a silent drop."""
    with pytest.raises(ValueError, match="Mon-Fri"):
        parse_weekdays(text)


def test_every_set_of_weekdays_is_written_as_text_that_reads_back() -> None:
    """format_weekdays -> parse_weekdays is the identity on all 127 non-empty sets."""
    for n in range(1, 8):
        for days in itertools.combinations(range(7), n):
            assert parse_weekdays(format_weekdays(days)) == days
    assert format_weekdays(range(7)) == "daily"
    assert format_weekdays((0, 1, 2, 3, 4)) == "Mon-Fri"


# -- expansion --------------------------------------------------------------------------------------
def test_weekly_call_expands_on_its_weekdays_with_the_default_window() -> None:
    """Mon-Fri 08:00 45 min over a week from Monday: five visits; start 07:00..09:00, so finish by 09:45."""
    visits = expand([_p()], MONDAY, 7)
    assert [v.id for v in visits] == ["PK1-01", "PK1-02", "PK1-03", "PK1-04", "PK1-05"]
    assert [v.day for v in visits] == [0, 1, 2, 3, 4]
    v = visits[2]
    base = 2 * DAY_MIN
    assert (v.early, v.late, v.target) == (base + 7 * 60, base + 9 * 60, base + 8 * 60)
    assert (v.duration_min, v.carers_required, v.tolerance_min, v.label) == (45, 2, 30, "morning")


@pytest.mark.parametrize(
    ("time", "earliest"),
    [
        (8 * 60, 7 * 60),
        (7 * 60, 6 * 60 + 30),
        (6 * 60 + 45, 6 * 60 + 30),
        (6 * 60, 6 * 60),
        (30, 30),
        (22 * 60, 21 * 60),
    ],
)
def test_default_window_opens_an_hour_early_but_not_before_0630(time: int, earliest: int) -> None:
    """An hour before `time`, not before 06:30 unless the call itself is earlier; closes an hour after."""
    assert window(_p(time=time)) == (earliest, time + 60 + 45)


def test_fixed_time_call() -> None:
    """A window as long as the call is fixed-time."""
    p = _p(earliest=13 * 60, latest=13 * 60 + 45, time=13 * 60, tolerance_min=0)
    assert p.fixed
    (v, *_) = expand([p], MONDAY, 1)
    assert v.fixed and v.early == v.target == 13 * 60


def test_fortnightly_runs_every_other_week_from_its_first_week() -> None:
    """every_n_weeks=2 over four weeks: weeks 0 and 2; a mid-week first_week anchors its whole week."""
    p = _p(weekdays=(2,), every_n_weeks=2, first_week=MONDAY + dt.timedelta(days=3))
    visits = expand([p], MONDAY, 28)
    assert [(v.id, v.day) for v in visits] == [("PK1-01", 2), ("PK1-01-w2", 16)]
    later = expand([dataclasses.replace(p, first_week=MONDAY + dt.timedelta(days=7))], MONDAY, 28)
    assert [(v.id, v.day) for v in later] == [("PK1-01", 9), ("PK1-01-w2", 23)]


def test_from_until_and_except_dates_bound_the_dates() -> None:
    """from/until are inclusive; an except date is a one-off cancellation."""
    p = _p(weekdays=tuple(range(7)), from_date=MONDAY + dt.timedelta(days=2), until=MONDAY + dt.timedelta(days=9))
    assert [v.day for v in expand([p], MONDAY, 14)] == [2, 3, 4, 5, 6, 7, 8, 9]
    skip = dataclasses.replace(p, except_dates=frozenset({MONDAY + dt.timedelta(days=4)}))
    assert [v.day for v in expand([skip], MONDAY, 14)] == [2, 3, 5, 6, 7, 8, 9]


def test_calls_of_a_package_are_numbered_weekday_by_weekday_in_row_order() -> None:
    """08:00 daily and 20:00 Mon/Wed: Mon 01 (08:00), 02 (20:00); Tue 03; Wed 04, 05; Thu 06."""
    rows = [_p(weekdays=tuple(range(7)), time=8 * 60), _p(weekdays=(0, 2), time=20 * 60, label="bed")]
    visits = expand(rows, MONDAY, 4)
    assert [(v.id, v.day, v.label) for v in visits] == [
        ("PK1-01", 0, "morning"),
        ("PK1-02", 0, "bed"),
        ("PK1-03", 1, "morning"),
        ("PK1-04", 2, "morning"),
        ("PK1-05", 2, "bed"),
        ("PK1-06", 3, "morning"),
    ]
    other = expand([dataclasses.replace(rows[0], package_id="PK2", client_id="C2"), *rows], MONDAY, 1)
    assert [v.id for v in other] == ["PK2-01", "PK1-01", "PK1-02"]  # package by package, in first appearance


def test_ids_do_not_depend_on_the_horizon() -> None:
    """The same call on the same date gets the same id (and clock time) from a 4-week horizon, from
    week 2 alone, and from a horizon that starts on a Thursday."""
    rows = [_p(weekdays=tuple(range(7))), _p(weekdays=(5,), time=18 * 60, every_n_weeks=2, label="tea")]

    def by_date(start: dt.date, days: int) -> dict[tuple[dt.date, str], int]:
        return {(start + dt.timedelta(days=v.day), v.id): v.target - v.day * DAY_MIN for v in expand(rows, start, days)}

    whole = by_date(MONDAY, 28)
    assert len(whole) == 28 + 2
    for start, days in ((MONDAY + dt.timedelta(days=14), 7), (MONDAY + dt.timedelta(days=3), 10)):
        part = by_date(start, days)
        assert part and part.items() <= whole.items()


def test_minutes_are_whole_days_across_a_clock_change() -> None:
    """UK clocks go forward on 2026-03-29: the horizon still counts 1440 minutes a day."""
    start = dt.date(2026, 3, 23)
    for v in expand([_p(weekdays=tuple(range(7)), first_week=start)], start, 14):
        assert v.target == v.day * DAY_MIN + 8 * 60


def test_days_must_be_a_whole_number() -> None:
    """An empty horizon is refused, not an empty list."""
    with pytest.raises(pp.InputError, match="days=0"):
        expand([_p()], MONDAY, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": ()}, "weekdays"),
        ({"weekdays": (7,)}, "weekdays"),
        ({"earliest": 8 * 60 + 1}, "earliest"),
        ({"latest": 8 * 60 + 30}, "latest"),
        ({"earliest": 60, "latest": 26 * 60}, "latest"),
        ({"every_n_weeks": 0}, "every_n_weeks"),
        ({"carers_required": 3}, "carers_required"),
        ({"duration_min": 0}, "duration_min"),
        ({"from_date": MONDAY, "until": MONDAY - dt.timedelta(days=1)}, "until"),
        ({"package_id": " PK1"}, "package_id"),
    ],
)
def test_a_call_pattern_checks_its_fields(changes: dict[str, object], field: str) -> None:
    """Each broken field is a problem naming the entity, the field and the value."""
    with pytest.raises(pp.InputError) as info:
        _p(**changes)
    (problem,) = info.value.problems
    assert (problem.entity, problem.field) == ("call_pattern", field)
    assert "call_pattern 'PK1 morning'" in problem.message or field == "package_id"


def _without_id(v: pp.Visit) -> dict[str, object]:
    return {k: getattr(v, k) for k in v.__slots__ if k != "id"}  # type: ignore[attr-defined]


# -- later weeks of a scenario ---------------------------------------------------------------------------
def test_week_zero_is_the_scenario_itself(maldon: pp.Scenario) -> None:
    """Re-expanding the week a generated scenario covers changes nothing."""
    w0 = scenario_for_week(maldon, 0)
    assert w0.visits == maldon.visits and w0.shifts == maldon.shifts and w0.status_quo == maldon.status_quo


def test_a_later_week_has_the_same_calls_with_stable_ids(maldon: pp.Scenario) -> None:
    """Week 2: a week later by 14 days, every call again at the same clock time on the same weekday,
    ids `{id}-w2`, the rota repeated, no status quo (it was last week's)."""
    w2 = scenario_for_week(maldon, 2)
    assert (w2.start, w2.days) == (maldon.start + dt.timedelta(days=14), 7)
    assert [v.id for v in w2.visits] == [f"{v.id}-w2" for v in maldon.visits]
    assert [_without_id(v) for v in w2.visits] == [_without_id(v) for v in maldon.visits]
    assert w2.shifts == maldon.shifts and w2.status_quo is None
    four = expand(maldon.patterns, maldon.start, 28)
    assert {v.id for v in w2.visits} == {v.id for v in four if 14 <= v.day < 21}


def test_days_the_scenario_covers_keep_their_overrides(maldon: pp.Scenario) -> None:
    """A changed and a cancelled visit on day 8 of a 14-day scenario stay in its week 1; week 2 is the
    patterns' own (an override is dated: it does not repeat)."""
    s = maldon.replace(days=14, visits=tuple(expand(maldon.patterns, maldon.start, 14)))
    day8 = [v for v in s.visits if v.day == 8]
    changed = dataclasses.replace(day8[0], duration_min=day8[0].duration_min + 15)
    s = s.replace(visits=tuple(changed if v.id == changed.id else v for v in s.visits if v.id != day8[1].id))
    w1 = scenario_for_week(s, 1)
    assert w1.visit(changed.id).duration_min == changed.duration_min
    assert not w1.has("visit", day8[1].id)
    w2 = scenario_for_week(s, 2)
    assert w2.visit(changed.id.replace("-w1", "-w2")).duration_min == day8[0].duration_min


def test_four_weeks_from_one(maldon: pp.Scenario) -> None:
    """weeks=4: week 0 as generated (status quo kept), then three weeks of the patterns' visits and
    the rota repeated; each week equals scenario_for_week of that week, moved by whole weeks."""
    four = scenario_for_week(maldon, 0, weeks=4)
    assert (four.start, four.days) == (maldon.start, 28) and four.status_quo == maldon.status_quo
    assert len(four.visits) == 4 * len(maldon.visits) and len(four.shifts) == 4 * len(maldon.shifts)
    assert tuple(v for v in four.visits if v.day < 7) == maldon.visits
    for k in (1, 3):
        week = scenario_for_week(four, k)
        assert week.visits == scenario_for_week(maldon, k).visits
        assert week.shifts == maldon.shifts


def test_week_beyond_a_scenario_without_patterns_is_refused(tiny: pp.Scenario) -> None:
    """A dated-only scenario cannot be expanded; a negative week is refused."""
    assert scenario_for_week(tiny, 0).visits == tiny.visits
    with pytest.raises(pp.InputError, match="no call patterns"):
        scenario_for_week(tiny, 1)
    with pytest.raises(pp.InputError, match="week=-1"):
        scenario_for_week(tiny, -1)
    with pytest.raises(pp.InputError, match="weeks=0"):
        scenario_for_week(tiny, 0, weeks=0)
