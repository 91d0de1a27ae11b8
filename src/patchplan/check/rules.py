"""The checker's rules: their names (:class:`Rule`), what each means, and one function per rule and subject.

Every rule is re-stated from the domain, never from the solver's model. A rule function looks at one
subject (a re-timed stop or round, a carer's week, a visit as the roster lists or serves it, a visit link)
and yields the :class:`Violation` objects it finds. The tuples at the end (:data:`ROUND_OPENING` ...
:data:`LINK_CHECKS`) list every function once, in the order the checker applies them, which is the order
of its output. :data:`RULE_INFO` says what each rule means and which fields its violations carry; the
output-format docs are generated from it.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from patchplan.check.timing import TimedRound, TimedStop
from patchplan.core.model import DAY_MIN, Scenario, Visit, VisitLink

#: Working Time Regulations 1998, reg. 12: a 20-minute rest break when the
#: working day is longer than six hours.
WTR_WORK_MIN = 6 * 60
WTR_BREAK_MIN = 20
#: Reg. 10: 11 consecutive hours' rest between one working day and the next.
WTR_REST_MIN = 11 * 60


class Rule(enum.StrEnum):
    """The name of a checker rule (its value is the string every output shows)."""

    COVERAGE = "coverage"
    SERVED_AND_UNASSIGNED = "served_and_unassigned"
    SERVED_TWICE = "served_twice"
    DOUBLE_UP_INCOMPLETE = "double_up_incomplete"
    DOUBLE_UP_SYNC = "double_up_sync"
    LINK_GAP = "link_gap"
    LINK_SAME_CARER = "link_same_carer"
    WINDOW = "window"
    DURATION = "duration"
    TRAVEL = "travel"
    OVERLAP = "overlap"
    SKILLS = "skills"
    GENDER = "gender"
    PROHIBITED = "prohibited"
    WRONG_PROVIDER = "wrong_provider"
    SHIFT = "shift"
    SHIFT_WORK = "shift_work"
    BREAK = "break"
    WEEKLY_HOURS = "weekly_hours"
    TWO_ROUNDS = "two_rounds"
    CAPACITY = "capacity"
    REST = "rest"


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One broken rule, with enough to find it."""

    rule: Rule
    detail: str
    visit_id: str | None = None
    carer_id: str | None = None
    day: int | None = None
    #: How much (minutes, or count), where that makes sense.
    amount: float = 0.0

    def __str__(self) -> str:
        where = " ".join(
            x
            for x in (
                f"carer {self.carer_id}" if self.carer_id else "",
                f"visit {self.visit_id}" if self.visit_id else "",
                f"day {self.day}" if self.day is not None else "",
            )
            if x
        )
        return f"[{self.rule}] {where}: {self.detail}"


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a rule means, which :class:`Violation` fields it sets and what its ``amount`` measures."""

    meaning: str
    fields: tuple[str, ...]
    amount: str = ""


_STOP = ("carer_id", "visit_id", "day")
_ROUND = ("carer_id", "day")

#: Every rule, what it means and what its violations carry (the docs are generated from this).
RULE_INFO: Mapping[Rule, RuleInfo] = {
    Rule.COVERAGE: RuleInfo("A visit in scope is neither served nor reported unassigned.", ("visit_id", "day")),
    Rule.SERVED_AND_UNASSIGNED: RuleInfo("A visit is both in a round and reported unassigned.", ("visit_id",)),
    Rule.SERVED_TWICE: RuleInfo(
        "A visit is listed unassigned more than once, one carer serves it twice, or more carers serve it "
        "than it needs.",
        ("visit_id",),
    ),
    Rule.DOUBLE_UP_INCOMPLETE: RuleInfo(
        "A visit gets fewer carers than it needs (a double-up half served).", ("visit_id",)
    ),
    Rule.DOUBLE_UP_SYNC: RuleInfo(
        "The carers of a double-up start at different minutes.", ("visit_id",), "minutes between the starts"
    ),
    Rule.LINK_GAP: RuleInfo(
        "The second visit of a link starts too soon or too late after the first.",
        ("visit_id",),
        "minutes outside the allowed gap (nearest bound)",
    ),
    Rule.LINK_SAME_CARER: RuleInfo("One carer serves both visits of a link that needs two.", ("visit_id",)),
    Rule.WINDOW: RuleInfo(
        "A visit starts outside [earliest start, latest start], or in a round on another day.",
        _STOP,
        "minutes outside the window (0 for the wrong day)",
    ),
    Rule.DURATION: RuleInfo(
        "Less care than commissioned (end - start shorter than the visit; an overrun is not a violation).",
        _STOP,
        "minutes of care missing",
    ),
    Rule.TRAVEL: RuleInfo(
        "Less time between two stops (or home and a stop) than the travel model needs.",
        _STOP,
        "minutes short (the way home: no visit_id)",
    ),
    Rule.OVERLAP: RuleInfo("A stop starts before the carer's previous stop has ended.", _STOP, "minutes short"),
    Rule.SKILLS: RuleInfo("The carer lacks a skill the visit needs.", _STOP),
    Rule.GENDER: RuleInfo("The client asked for a carer of another gender.", _STOP),
    Rule.PROHIBITED: RuleInfo("The carer is prohibited for this client.", _STOP),
    Rule.WRONG_PROVIDER: RuleInfo("The package is with another provider than the carer's.", _STOP),
    Rule.SHIFT: RuleInfo(
        "The carer has no shift that day, or the round starts before or ends after it.",
        _ROUND,
        "minutes outside the shift",
    ),
    Rule.SHIFT_WORK: RuleInfo("Longer out than the shift's working limit.", _ROUND, "minutes over the limit"),
    Rule.BREAK: RuleInfo(
        f"More than {WTR_WORK_MIN // 60} hours of work without a {WTR_BREAK_MIN}-minute break (Working Time "
        "Regulations), counted over the carer's day: the gap between two shifts of a split shift is a break if "
        "it is long enough, and two rounds back to back are one stretch of work (shifts past midnight excepted: "
        "night carers rest at the client's home).",
        _ROUND,
        f"minutes of work past {WTR_WORK_MIN // 60} hours",
    ),
    Rule.REST: RuleInfo(
        f"Less than {WTR_REST_MIN // 60} hours between the end of a carer's working day and the start of their "
        "next (Working Time Regulations, reg. 10), across all of their shifts.",
        _ROUND,
        "minutes of rest missing (day: the later working day)",
    ),
    Rule.WEEKLY_HOURS: RuleInfo(
        "A carer works more than their maximum hours over the roster.", ("carer_id",), "minutes over the maximum"
    ),
    Rule.TWO_ROUNDS: RuleInfo(
        "Two rounds for one carer in one shift (a split shift's two shifts may have a round each).", _ROUND
    ),
    Rule.CAPACITY: RuleInfo("More load than the carer's capacity (benchmarks only).", _ROUND, "load over the capacity"),
}


@dataclass(frozen=True, slots=True)
class Context:
    """What every rule may look at besides its subject."""

    scenario: Scenario
    #: A vehicle capacity (benchmarks), or None: no capacity rule.
    capacity: int | None = None


#: A visit as the roster serves it: (carer id, start) for each carer, in roster order.
Served = list[tuple[str, int]]

#: Which rule each check function belongs to (filled by :func:`_checks`).
RULE_OF: dict[Callable[..., Iterator[Violation]], Rule] = {}


def _checks(rule: Rule) -> Callable[[Any], Any]:
    """Mark a function as (one of) the check(s) of ``rule``."""

    def mark(fn: Any) -> Any:
        RULE_OF[fn] = rule
        return fn

    return mark


def _at_stop(x: TimedStop) -> dict[str, Any]:
    return {"carer_id": x.carer.id, "visit_id": x.visit.id, "day": x.day}


def _at_round(x: TimedRound) -> dict[str, Any]:
    return {"carer_id": x.carer.id, "day": x.day}


# -- a round, before its stops ------------------------------------------------------------------------------


@_checks(Rule.TWO_ROUNDS)
def two_rounds(ctx: Context, x: TimedRound) -> Iterator[Violation]:
    # Flag the second round once; a third is the same fault.
    if x.nth_of_day == 2:
        yield Violation(rule=Rule.TWO_ROUNDS, detail="two rounds in one shift", **_at_round(x))


# -- a stop ---------------------------------------------------------------------------------------------


@_checks(Rule.OVERLAP)
def overlap(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    if x.start < x.free:
        yield _too_soon(Rule.OVERLAP, x)


@_checks(Rule.TRAVEL)
def travel_to_stop(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    if x.free <= x.start < x.arrive:
        yield _too_soon(Rule.TRAVEL, x)


def _too_soon(rule: Rule, x: TimedStop) -> Violation:
    return Violation(
        rule=rule,
        detail=f"starts {x.start - x.arrive} min before it can arrive (free at {clock(x.free)}, "
        f"{x.travel_min} min away)",
        amount=x.arrive - x.start,
        **_at_stop(x),
    )


@_checks(Rule.WINDOW)
def window(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    v = x.visit
    if v.day != x.day:
        yield Violation(rule=Rule.WINDOW, detail=f"visit is on day {v.day}, round on day {x.day}", **_at_stop(x))
    if not v.early <= x.start <= v.late:
        amount = v.early - x.start if x.start < v.early else x.start - v.late
        yield Violation(
            rule=Rule.WINDOW,
            detail=f"starts {clock(x.start)}, allowed {clock(v.early)}-{clock(v.late)}",
            amount=amount,
            **_at_stop(x),
        )


@_checks(Rule.DURATION)
def duration(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    # Longer is an overrun (it happens); shorter is care cut short.
    care = x.end - x.start
    if care < x.visit.duration_min:
        yield Violation(
            rule=Rule.DURATION,
            detail=f"{care} min of care, {x.visit.duration_min} commissioned",
            amount=x.visit.duration_min - care,
            **_at_stop(x),
        )


@_checks(Rule.SKILLS)
def skills(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    missing = x.visit.skills - x.carer.skills
    if missing:
        yield Violation(rule=Rule.SKILLS, detail=f"carer lacks {', '.join(sorted(missing))}", **_at_stop(x))


@_checks(Rule.GENDER)
def gender(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    wanted = x.client.gender_preference
    if wanted and x.carer.gender != wanted:
        yield Violation(rule=Rule.GENDER, detail=f"client asked for a {wanted} carer", **_at_stop(x))


@_checks(Rule.PROHIBITED)
def prohibited(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    if x.carer.id in x.client.prohibited_carers:
        yield Violation(rule=Rule.PROHIBITED, detail="carer is prohibited for this client", **_at_stop(x))


@_checks(Rule.WRONG_PROVIDER)
def wrong_provider(ctx: Context, x: TimedStop) -> Iterator[Violation]:
    package = ctx.scenario.package(x.visit.package_id)
    if package.provider_id is not None and package.provider_id != x.carer.provider_id:
        yield Violation(
            rule=Rule.WRONG_PROVIDER,
            detail=f"package is with {package.provider_id}, carer works for {x.carer.provider_id}",
            **_at_stop(x),
        )


# -- a round, after its stops -------------------------------------------------------------------------------


@_checks(Rule.TRAVEL)
def travel_home(ctx: Context, x: TimedRound) -> Iterator[Violation]:
    if x.round.back < x.earliest_back:
        yield Violation(
            rule=Rule.TRAVEL,
            detail=f"back home at {clock(x.round.back)} but cannot be before {clock(x.earliest_back)}",
            amount=x.earliest_back - x.round.back,
            **_at_round(x),
        )


@_checks(Rule.SHIFT)
def shift(ctx: Context, x: TimedRound) -> Iterator[Violation]:
    sh = x.shift
    if sh is None:
        yield Violation(rule=Rule.SHIFT, detail="carer has no shift that day", **_at_round(x))
        return
    leave = x.round.leave
    if leave < sh.start or x.back > sh.end:
        yield Violation(
            rule=Rule.SHIFT,
            detail=f"out {clock(leave)}-{clock(x.back)}, shift {clock(sh.start)}-{clock(sh.end)}",
            amount=max(sh.start - leave, x.back - sh.end),
            **_at_round(x),
        )


@_checks(Rule.SHIFT_WORK)
def shift_work(ctx: Context, x: TimedRound) -> Iterator[Violation]:
    if x.shift is not None and x.out_min > x.shift.work_limit:
        yield Violation(
            rule=Rule.SHIFT_WORK,
            detail=f"{x.out_min} min of work, limit {x.shift.work_limit}",
            amount=x.out_min - x.shift.work_limit,
            **_at_round(x),
        )


@_checks(Rule.CAPACITY)
def capacity(ctx: Context, x: TimedRound) -> Iterator[Violation]:
    if ctx.capacity is not None and x.load > ctx.capacity:
        yield Violation(
            rule=Rule.CAPACITY,
            detail=f"load {x.load} > capacity {ctx.capacity}",
            amount=x.load - ctx.capacity,
            **_at_round(x),
        )


# -- a carer over the roster ----------------------------------------------------------------------------


def _is_night(x: TimedRound) -> bool:
    return x.shift is not None and x.shift.end > (x.shift.day + 1) * DAY_MIN


@_checks(Rule.BREAK)
def break_(ctx: Context, carer_id: str, rounds: Sequence[TimedRound]) -> Iterator[Violation]:
    """Over each day: work stretches are split by idle gaps of at least the
    break length (waiting inside a round, or the time between two rounds);
    the first stretch over the limit is flagged, on the round it ends in."""
    for _, same_day in itertools.groupby(rounds, key=lambda r: r.day):
        day = [r for r in same_day if not _is_night(r)]
        if sum(r.out_min for r in day) <= WTR_WORK_MIN:
            continue
        edge = last_back = None
        for r in day:
            if edge is None or last_back is None or r.round.leave - last_back >= WTR_BREAK_MIN:
                edge = r.round.leave
            rests = sorted(g for g in r.gaps if g[1] - g[0] >= WTR_BREAK_MIN)
            for a, b in [*rests, (r.back, None)]:
                if a - edge > WTR_WORK_MIN:
                    yield Violation(
                        rule=Rule.BREAK,
                        detail=f"{a - edge} min of work from {clock(edge)} without a {WTR_BREAK_MIN}-minute break",
                        amount=a - edge - WTR_WORK_MIN,
                        **_at_round(r),
                    )
                    return
                if b is not None:
                    edge = b
            last_back = r.back


@_checks(Rule.REST)
def rest(ctx: Context, carer_id: str, rounds: Sequence[TimedRound]) -> Iterator[Violation]:
    """Between the last return home of one working day and the first
    departure of the next, at least 11 hours (night shifts included: a night
    round's end is its return)."""
    for a, b in itertools.pairwise(rounds):
        gap = b.round.leave - a.back
        if b.day > a.day and gap < WTR_REST_MIN:
            yield Violation(
                rule=Rule.REST,
                detail=f"back {clock(a.back)} on day {a.day}, out again {clock(b.round.leave)} on day {b.day}: "
                f"{gap / 60:.1f} h of rest, {WTR_REST_MIN // 60} h needed",
                amount=WTR_REST_MIN - gap,
                **_at_round(b),
            )


@_checks(Rule.WEEKLY_HOURS)
def weekly_hours(ctx: Context, carer_id: str, rounds: Sequence[TimedRound]) -> Iterator[Violation]:
    limit = ctx.scenario.carer(carer_id).max_hours_week * 60
    worked_min = sum(r.out_min for r in rounds)
    if worked_min > limit + 1e-9:
        yield Violation(
            rule=Rule.WEEKLY_HOURS,
            detail=f"works {worked_min / 60:.1f} h, maximum {limit / 60:.1f} h a week",
            carer_id=carer_id,
            amount=worked_min - limit,
        )


# -- a visit the roster lists unassigned ---------------------------------------------------------------------


@_checks(Rule.SERVED_TWICE)
def listed_twice(ctx: Context, visit_id: str, times_listed: int, served: Served | None) -> Iterator[Violation]:
    if times_listed > 1:
        yield Violation(rule=Rule.SERVED_TWICE, detail=f"listed unassigned {times_listed} times", visit_id=visit_id)


@_checks(Rule.SERVED_AND_UNASSIGNED)
def served_and_unassigned(ctx: Context, visit_id: str, times_listed: int, served: Served | None) -> Iterator[Violation]:
    if served:
        yield Violation(rule=Rule.SERVED_AND_UNASSIGNED, detail="in a round and unassigned", visit_id=visit_id)


# -- a visit in scope that is neither served nor listed ------------------------------------------------------


@_checks(Rule.COVERAGE)
def coverage(ctx: Context, v: Visit) -> Iterator[Violation]:
    yield Violation(rule=Rule.COVERAGE, detail="neither served nor reported unassigned", visit_id=v.id, day=v.day)


# -- a visit the roster serves --------------------------------------------------------------------------


@_checks(Rule.SERVED_TWICE)
def served_twice(ctx: Context, v: Visit, served: Served) -> Iterator[Violation]:
    ids = [c for c, _ in served]
    if len(set(ids)) < len(ids):
        yield Violation(rule=Rule.SERVED_TWICE, detail="one carer serves it twice", visit_id=v.id)
    if len(served) > v.carers_required:
        yield Violation(
            rule=Rule.SERVED_TWICE, detail=f"{len(served)} carers for a {v.carers_required}-carer visit", visit_id=v.id
        )


@_checks(Rule.DOUBLE_UP_INCOMPLETE)
def double_up_incomplete(ctx: Context, v: Visit, served: Served) -> Iterator[Violation]:
    if len(served) < v.carers_required:
        yield Violation(
            rule=Rule.DOUBLE_UP_INCOMPLETE, detail=f"{len(served)} of {v.carers_required} carers", visit_id=v.id
        )


@_checks(Rule.DOUBLE_UP_SYNC)
def double_up_sync(ctx: Context, v: Visit, served: Served) -> Iterator[Violation]:
    starts = {t for _, t in served}
    if len(starts) > 1:
        yield Violation(
            rule=Rule.DOUBLE_UP_SYNC,
            detail=f"carers start at {sorted(clock(t) for t in starts)}",
            visit_id=v.id,
            amount=max(starts) - min(starts),
        )


# -- a visit link whose two visits are both served ------------------------------------------------------------


@_checks(Rule.LINK_GAP)
def link_gap(ctx: Context, link: VisitLink, first: Served, second: Served) -> Iterator[Violation]:
    gap = second[0][1] - first[0][1]
    if not link.min_gap <= gap <= link.max_gap:
        yield Violation(
            rule=Rule.LINK_GAP,
            detail=f"{link.second} starts {gap} min after {link.first}, allowed {link.min_gap}..{link.max_gap}",
            visit_id=link.second,
            amount=min(abs(gap - link.min_gap), abs(gap - link.max_gap)),
        )


@_checks(Rule.LINK_SAME_CARER)
def link_same_carer(ctx: Context, link: VisitLink, first: Served, second: Served) -> Iterator[Violation]:
    if {c for c, _ in first} & {c for c, _ in second}:
        yield Violation(
            rule=Rule.LINK_SAME_CARER,
            detail=f"{link.first} and {link.second} need two different carers",
            visit_id=link.second,
        )


# -- the registry: every check once, by subject, in the order the checker applies them ----------------------

ROUND_OPENING = (two_rounds,)
STOP_CHECKS = (overlap, travel_to_stop, window, duration, skills, gender, prohibited, wrong_provider)
ROUND_CLOSING = (travel_home, shift, shift_work, capacity)
CARER_CHECKS = (break_, rest, weekly_hours)
LISTED_CHECKS = (listed_twice, served_and_unassigned)
SCOPE_CHECKS = (coverage,)
SERVED_CHECKS = (served_twice, double_up_incomplete, double_up_sync)
LINK_CHECKS = (link_gap, link_same_carer)

ALL_CHECKS: tuple[Callable[..., Iterator[Violation]], ...] = (
    *ROUND_OPENING,
    *STOP_CHECKS,
    *ROUND_CLOSING,
    *CARER_CHECKS,
    *LISTED_CHECKS,
    *SCOPE_CHECKS,
    *SERVED_CHECKS,
    *LINK_CHECKS,
)


def clock(minutes: int) -> str:
    """A minute of the horizon as ``HH:MM`` (``dN HH:MM`` after the first day)."""
    day, rest = divmod(minutes, DAY_MIN)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text if day == 0 else f"d{day} {text}"


__all__ = ["ALL_CHECKS", "RULE_INFO", "RULE_OF", "Context", "Rule", "RuleInfo", "Violation"]
