"""Recurring calls: :class:`CallPattern` and their expansion to dated visits.

Providers and brokers think in recurring calls ("Mon-Fri 08:00 for 45 min,
double-up"), not dated rows. A call pattern is one such call of a package;
:func:`expand` turns patterns into the dated :class:`~patchplan.core.model.Visit`
objects of any horizon, and :func:`scenario_for_week` re-expands a scenario's
patterns for a later week. Nothing here reads files: ``call_patterns.csv`` is
:mod:`patchplan.io`'s.

Visit ids are stable: they depend only on the package's patterns and the
date, never on the horizon, so the same call on the same date always gets
the same id (a roster, a re-plan or a template week made on one horizon
still names the visits of another). A package's calls of one week are
numbered weekday by weekday (Monday first), and within a day in the order of
the package's patterns, counting every pattern that runs on that weekday
(whatever its ``from``/``until``/fortnight); the id is ``{package}-{nn}`` in
the pattern's first week (``first_week``) and ``{package}-{nn}-w{k}`` k weeks
later. A package whose patterns are edited renumbers its own visits only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from patchplan.core.errors import InputError
from patchplan.core.model import DAY_MIN, WEEKDAYS, Scenario, Shift, Visit, _Checks, _is_id

#: Default window, as the Essex generator draws calls: start from an hour
#: before the preferred time (not before 06:30, unless the call itself is
#: earlier) to an hour after it.
WINDOW_BEFORE_MIN = 60
WINDOW_AFTER_MIN = 60
EARLIEST_DEFAULT_MIN = 6 * 60 + 30
#: Free deviation from the preferred time when none is given (the common
#: "30 minutes either side" of a UK home-care call).
TOLERANCE_DEFAULT_MIN = 30
#: Latest clock time a pattern may give (47:59: the next morning at the latest), as visits.csv.
MAX_CLOCK_MIN = 2 * DAY_MIN - 1
MAX_EVERY_N_WEEKS = 52

_DAY_NAMES = {
    **{name: i for i, name in enumerate(WEEKDAYS)},
    **{
        name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_DAY_GROUPS = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
    "weekend": (5, 6),
}


def parse_weekdays(text: str) -> tuple[int, ...]:
    """Weekdays (0 = Monday) of a pattern, from the text a person writes.

    ``daily``, ``weekdays`` (Mon-Fri), ``weekends`` (Sat-Sun), day names
    (``Mon`` or ``Monday``, any case), ranges (``Mon-Fri``; ``Fri-Mon``
    wraps over the weekend) and lists of these separated by ``,`` or ``;``.

    Raises
    ------
    ValueError
        Saying what was expected (the reader adds file, row and column).
    """
    days: set[int] = set()
    parts = [p.strip().lower() for p in text.replace(";", ",").split(",")]
    if not any(parts):
        raise ValueError("is empty; expected weekdays such as Mon-Fri, Mon,Wed,Fri, daily or Sat-Sun")
    for part in parts:
        days |= set(_weekday_part(part))
    return tuple(sorted(days))


def _weekday_part(part: str) -> tuple[int, ...]:
    compact = part.replace(" ", "")
    if compact in _DAY_GROUPS:
        return _DAY_GROUPS[compact]
    if compact in _DAY_NAMES:
        return (_DAY_NAMES[compact],)
    first, dash, last = compact.partition("-")
    if dash and first in _DAY_NAMES and last in _DAY_NAMES:
        a, b = _DAY_NAMES[first], _DAY_NAMES[last]
        return tuple((a + i) % 7 for i in range((b - a) % 7 + 1))
    raise ValueError(
        f"{part or '(nothing)'!r} is not a weekday; expected e.g. Mon-Fri, Mon,Wed,Fri, daily, weekdays or Sat-Sun"
    )


def format_weekdays(days: Iterable[int]) -> str:
    """The shortest text :func:`parse_weekdays` reads back as these weekdays (``Mon-Fri``, ``daily``)."""
    wanted = sorted(set(days))
    if wanted == list(range(7)):
        return "daily"
    runs: list[list[int]] = []
    for d in wanted:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    names = [WEEKDAYS[r[0]].title() + (f"-{WEEKDAYS[r[-1]].title()}" if len(r) > 1 else "") for r in runs]
    return ",".join(names)


def monday_of(date: dt.date) -> dt.date:
    return date - dt.timedelta(days=date.weekday())


@dataclass(frozen=True, slots=True, kw_only=True)
class CallPattern:
    """One recurring call of a package: on some weekdays, every n weeks.

    Times are minutes from midnight of the call's date (hours past 23 are
    the next morning, as in visits.csv). ``earliest``/``latest`` are the
    window the care happens in (start no earlier than ``earliest``, finish
    no later than ``latest``); None means the default window
    (:func:`window`). A window as long as the call is fixed-time.

    ``first_week`` anchors fortnightly (every n weeks) calls and the visit
    ids: the call runs in the week holding ``first_week`` and every
    ``every_n_weeks`` weeks after it, never before. None means the week the
    expanded horizon starts (ids then depend on the horizon: give a date for
    ids that hold when the horizon moves). ``from_date``/``until`` bound the
    dates (inclusive); ``except_dates`` are single dates the call does not
    happen (a one-off cancellation).
    """

    package_id: str
    client_id: str
    weekdays: tuple[int, ...]
    time: int
    duration_min: int
    tolerance_min: int = TOLERANCE_DEFAULT_MIN
    earliest: int | None = None
    latest: int | None = None
    carers_required: int = 1
    skills: frozenset[str] = frozenset()
    label: str = ""
    every_n_weeks: int = 1
    first_week: dt.date | None = None
    from_date: dt.date | None = None
    until: dt.date | None = None
    except_dates: frozenset[dt.date] = frozenset()

    def __post_init__(self) -> None:
        c = _Checks("call_pattern", f"{self.package_id} {self.label or _clock(self.time)}")
        c.require(_is_id(self.package_id), "package_id", self.package_id, "must be a non-empty id")
        c.require(_is_id(self.client_id), "client_id", self.client_id, "must be a non-empty id")
        c.require(
            bool(self.weekdays)
            and all(0 <= d <= 6 for d in self.weekdays)
            and list(self.weekdays) == sorted(set(self.weekdays)),
            "weekdays",
            self.weekdays,
            "must be distinct weekdays 0 (Monday) to 6 (Sunday), in order",
        )
        c.require(
            0 <= self.time <= MAX_CLOCK_MIN,
            "time",
            _clock(self.time),
            f"must be a time from 00:00 to {_clock(MAX_CLOCK_MIN)}",
        )
        c.require(0 < self.duration_min <= DAY_MIN, "duration_min", self.duration_min, "must be from 1 to 1440 minutes")
        c.require(0 <= self.tolerance_min <= DAY_MIN, "tolerance_min", self.tolerance_min, "must be from 0 to 1440")
        c.require(
            self.carers_required in (1, 2), "carers_required", self.carers_required, "must be 1 or 2 (2 = double-up)"
        )
        c.require(
            1 <= self.every_n_weeks <= MAX_EVERY_N_WEEKS,
            "every_n_weeks",
            self.every_n_weeks,
            f"must be a whole number from 1 to {MAX_EVERY_N_WEEKS}",
        )
        if self.from_date is not None and self.until is not None:
            c.require(
                self.from_date <= self.until, "until", self.until.isoformat(), f"is before from ({self.from_date})"
            )
        for name in ("earliest", "latest"):
            value = getattr(self, name)
            if value is not None:
                c.require(
                    0 <= value <= MAX_CLOCK_MIN,
                    name,
                    _clock(value),
                    f"must be from 00:00 to {_clock(MAX_CLOCK_MIN)}",
                )
        c.done()
        self._check_window()

    def _check_window(self) -> None:
        """The resolved window must hold the call at its preferred time (so every visit it expands to is valid)."""
        c = _Checks("call_pattern", f"{self.package_id} {self.label or _clock(self.time)}")
        earliest, latest = window(self)
        end = self.time + self.duration_min
        if latest - earliest > DAY_MIN:
            c.require(
                False, "latest", _clock(latest), f"the window {_clock(earliest)}-{_clock(latest)} is longer than a day"
            )
        elif earliest > self.time:
            c.require(False, "earliest", _clock(earliest), f"is after the preferred time {_clock(self.time)}")
        elif latest < end:
            c.require(
                False,
                "latest",
                _clock(latest),
                f"is before the call ends ({_clock(self.time)} + {self.duration_min} min = {_clock(end)})",
            )
        c.done()

    @property
    def fixed(self) -> bool:
        """Time-critical: the window is exactly the call."""
        earliest, latest = window(self)
        return latest - earliest == self.duration_min

    def runs_on(self, date: dt.date, anchor: dt.date) -> bool:
        """Whether the call happens on ``date`` (``anchor``: the first week when ``first_week`` is None)."""
        if date.weekday() not in self.weekdays or date in self.except_dates:
            return False
        if (self.from_date and date < self.from_date) or (self.until and date > self.until):
            return False
        week = week_index(self, date, anchor)
        return week >= 0 and week % self.every_n_weeks == 0


def window(p: CallPattern) -> tuple[int, int]:
    """(earliest start, latest finish), minutes from midnight, defaults filled in.

    Default: start from an hour before ``time`` (not before 06:30, unless
    ``time`` itself is earlier) until an hour after it.
    """
    earliest = p.earliest
    if earliest is None:
        earliest = max(0, p.time - WINDOW_BEFORE_MIN, min(p.time, EARLIEST_DEFAULT_MIN))
    latest = p.latest
    if latest is None:
        latest = p.time + WINDOW_AFTER_MIN + p.duration_min
    return earliest, latest


def week_index(p: CallPattern, date: dt.date, anchor: dt.date) -> int:
    """Whole weeks from the pattern's first week (``anchor`` when it has none) to ``date``'s week."""
    first = monday_of(p.first_week or anchor)
    return (monday_of(date) - first).days // 7


def slot_numbers(patterns: Sequence[CallPattern]) -> dict[tuple[int, int], int]:
    """(index in ``patterns``, weekday) -> the call's number in its package's week (from 1).

    Weekday by weekday, in the patterns' order, over every pattern that runs
    on that weekday; ``patterns`` are one package's.
    """
    out: dict[tuple[int, int], int] = {}
    n = 0
    for wd in range(7):
        for i, p in enumerate(patterns):
            if wd in p.weekdays:
                n += 1
                out[(i, wd)] = n
    return out


def visit_id(package_id: str, number: int, week: int) -> str:
    """``{package}-{nn}`` in the first week, ``{package}-{nn}-w{k}`` k weeks later."""
    return f"{package_id}-{number:02d}" + (f"-w{week}" if week else "")


def expand(patterns: Iterable[CallPattern], start_date: dt.date, days: int) -> list[Visit]:
    """The dated visits of ``patterns`` over ``days`` days from ``start_date``.

    Visit times are minutes from ``start_date`` 00:00 (whole days of 1440
    minutes: no clock changes). Visits come package by package (in order of
    first appearance), each package's by date and then call number.

    Raises
    ------
    InputError
        When ``days`` is not a whole number >= 1.
    """
    return [v for _, v in expansion(list(patterns), start_date, days)]


def expansion(patterns: Sequence[CallPattern], start_date: dt.date, days: int) -> list[tuple[int, Visit]]:
    """:func:`expand`, each visit with the index in ``patterns`` of the pattern it comes from."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise InputError(f"days={days!r} must be a whole number >= 1")
    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(patterns):
        groups[p.package_id].append(i)
    out: list[tuple[int, Visit]] = []
    for package_id, members in groups.items():
        slots = slot_numbers([patterns[i] for i in members])
        for day in range(days):
            date = start_date + dt.timedelta(days=day)
            todays = [
                (slots[(j, date.weekday())], i) for j, i in enumerate(members) if patterns[i].runs_on(date, start_date)
            ]
            for number, i in sorted(todays):
                p = patterns[i]
                out.append((i, _visit(p, visit_id(package_id, number, week_index(p, date, start_date)), day)))
    return out


def _visit(p: CallPattern, ident: str, day: int) -> Visit:
    base = day * DAY_MIN
    earliest, latest = window(p)
    return Visit(
        id=ident,
        package_id=p.package_id,
        client_id=p.client_id,
        day=day,
        early=base + earliest,
        late=base + latest - p.duration_min,
        duration_min=p.duration_min,
        target=base + p.time,
        tolerance_min=p.tolerance_min,
        carers_required=p.carers_required,
        skills=p.skills,
        label=p.label,
    )


def anchored(patterns: Iterable[CallPattern], start_date: dt.date) -> tuple[CallPattern, ...]:
    """The patterns with every missing ``first_week`` set to ``start_date``'s week (ids stop depending on the horizon)."""
    week = monday_of(start_date)
    return tuple(p if p.first_week is not None else dataclasses.replace(p, first_week=week) for p in patterns)


def scenario_for_week(s: Scenario, week: int, *, weeks: int = 1, shifts: Sequence[Shift] | None = None) -> Scenario:
    """The scenario of ``weeks`` weeks from week ``week`` (0 = the week ``s`` starts), visits from ``s``'s patterns.

    Days the scenario already covers keep their visits and shifts (overrides
    and one-off visits included); later days get the patterns' visits
    (overrides and one-offs are dated, so they do not repeat) and, unless
    ``shifts`` (of the new horizon, days from 0) are given, the shifts of the
    same day a whole number of weeks earlier in ``s`` (the rota repeats
    weekly). Ids stay stable: a pattern without ``first_week`` is anchored on
    ``s``'s first week. Links between visits both in the new horizon are
    kept; the status-quo roster only when the new horizon starts with ``s``
    and holds all of it.

    Raises
    ------
    InputError
        When ``week`` is not a whole number >= 0 or ``weeks`` one >= 1, or
        the new horizon lies wholly beyond the scenario's and it has no call
        patterns.
    """
    for name, value, least in (("week", week, 0), ("weeks", weeks, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise InputError(f"{name}={value!r} must be a whole number >= {least}")
    offset, span = 7 * week, 7 * weeks
    start = s.start + dt.timedelta(days=offset)
    covered = [d for d in range(span) if offset + d < s.days]
    if not covered and not s.patterns:
        raise InputError(
            f"scenario '{s.name}' has no call patterns (call_patterns.csv) to expand, and week {week} "
            f"({start} to {start + dt.timedelta(days=span - 1)}) lies beyond its horizon "
            f"({s.days} days from {s.start})"
        )
    patterns = anchored(s.patterns, s.start)
    # In the order a folder is read in: the patterns' visits (the scenario's own on the days it covers,
    # overrides included, cancelled ones left out), then its one-off visits.
    kept = {v.id: _moved(v, -offset) for v in s.visits if offset <= v.day < offset + span}
    expanded = expand(patterns, start, span)
    visits = [kept.get(v.id, v) for v in expanded if v.day >= len(covered) or v.id in kept]
    patterned = {v.id for v in expanded}
    visits += [v for v in kept.values() if v.id not in patterned]
    if shifts is None:
        new_shifts = [_moved_shift(sh, sh.day, sh.day - offset) for sh in s.shifts if offset <= sh.day < offset + span]
        new_shifts += _repeated_shifts(s, offset, list(range(len(covered), span)))
    else:
        new_shifts = list(shifts)
    ids = {v.id for v in visits}
    links = tuple(link for link in s.links if link.first in ids and link.second in ids)
    status_quo = s.status_quo if week == 0 and s.days <= span else None
    return s.replace(
        start=start,
        days=span,
        visits=tuple(visits),
        links=links,
        shifts=tuple(new_shifts),
        status_quo=status_quo,
        patterns=patterns,
    )


def _repeated_shifts(s: Scenario, offset: int, days: list[int]) -> list[Shift]:
    """Shifts of the new week's ``days`` (``offset`` days after ``s`` starts), each copied from the
    last day of ``s`` a whole number of weeks earlier (none when ``s`` is shorter than that weekday);
    in ``s``'s order."""
    targets: dict[int, list[int]] = defaultdict(list)
    for day in days:
        source = offset + day
        while source >= s.days:
            source -= 7
        if source >= 0:
            targets[source].append(day)
    return [_moved_shift(sh, sh.day, day) for sh in s.shifts for day in targets.get(sh.day, ())]


def _moved_shift(sh: Shift, source: int, day: int) -> Shift:
    """A shift of day ``source`` copied to day ``day`` (times are minutes from the horizon start)."""
    m = (day - source) * DAY_MIN
    return dataclasses.replace(sh, day=day, start=sh.start + m, end=sh.end + m)


def _moved(v: Visit, days: int) -> Visit:
    """A visit moved by whole days (its times are minutes from the horizon start)."""
    m = days * DAY_MIN
    return dataclasses.replace(
        v,
        day=v.day + days,
        early=v.early + m,
        late=v.late + m,
        target=None if v.target is None else v.target + m,
    )


def _clock(minutes: int) -> str:
    """HH:MM as the files write it (a negative number of minutes stays a number: it is no clock time)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}" if minutes >= 0 else f"{minutes} min"


__all__ = [
    "CallPattern",
    "anchored",
    "expand",
    "expansion",
    "format_weekdays",
    "parse_weekdays",
    "scenario_for_week",
    "slot_numbers",
    "visit_id",
    "window",
]
