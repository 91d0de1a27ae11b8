"""The week's floor: over a week, never fewer calls than the status quo.

A week is planned day by day, and each day never serves fewer calls than
the coordinator's rule run from the plan's own state (see
:meth:`patchplan.rounds.day._DayBuilder.solve`). Over a week that state
drifts from the status quo's: the plan spends a carer's weekly hours on
other days than the coordinator would, or brings them home later so their
11 hours' rest ends later, and a later day can then fall short of the
status quo's (measured at stop 11: one Basildon provider-week one call
short, the demo week two).

So a week that serves at least the status quo's calls is kept within reach
every day: a *witness*, first the status quo's own week. Each day is planned
freely, with the witness's rounds for the day as one more floor candidate;
then the coordinator's rule is run over the rest of the week from the plan's
new state, and where it serves as many calls as the witness's rest, it is the
new witness (about a second a week). Only where it serves fewer is the day
planned again, bounded to use only what leaves the witness's later days
possible:

- of a carer's weekly minutes, what the status quo does not use after today;
- of each shift's share, at least what the status quo's round in it needs;
- a return home at least 11 hours before the status quo sends the carer out
  tomorrow (Working Time Regulations reg. 10).

With those bounds the witness's rounds for the day fit the day's vehicles,
and its later days stay possible. By induction every day serves at least the
witness's calls for the day, and the week at least the status quo's. Planned
freely first, because the bounds hold each carer to the status quo's hours
day by day, and continuity puts more of a client's calls on fewer carers:
always bounded, a Maldon week at 180 s saw 7.3 distinct carers a client
against 6.4 unbounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from patchplan.core.model import Round, Scenario, Shift, Visit
from patchplan.rounds.statusquo import REST_MIN, coordinator_week


@dataclass(frozen=True, slots=True)
class DayBounds:
    """What one day may use so that the witness's later days stay possible
    (no bounds at all for a day planned freely), and the witness's rounds."""

    #: Minutes of each carer's week today may use.
    week_left: dict[str, int]
    #: (carer id, shift start) -> minutes the status quo's round in that shift needs.
    reserved: dict[tuple[str, int], int]
    #: Carer id -> the latest minute they may be back home today.
    return_by: dict[str, int]
    #: The witness's rounds of the day: a floor candidate.
    rounds: tuple[Round, ...]


class WeekFloor:
    """A witness week (the status quo's, or the rule's from a plan's state), day by day."""

    def __init__(self, s: Scenario, rounds: Sequence[Round]) -> None:
        self.by_day: dict[int, list[Round]] = defaultdict(list)
        #: day -> carer id -> minutes out (leave to back) in the witness.
        self.use: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        #: day -> (carer id, shift start) -> minutes of that shift's round.
        self.shift_use: dict[int, dict[tuple[str, int], int]] = defaultdict(lambda: defaultdict(int))
        #: day -> carer id -> first departure.
        self.first_leave: dict[int, dict[str, int]] = defaultdict(dict)
        #: visit id -> (day, carers who serve it).
        self.copies: dict[str, tuple[int, int]] = {}
        for rnd in rounds:
            for stop in rnd.stops:
                _, n = self.copies.get(stop.visit_id, (rnd.day, 0))
                self.copies[stop.visit_id] = (rnd.day, n + 1)
            minutes = rnd.back - rnd.leave
            self.by_day[rnd.day].append(rnd)
            self.use[rnd.day][rnd.carer_id] += minutes
            sh = _shift_of(s, rnd)
            if sh is not None:
                self.shift_use[rnd.day][(rnd.carer_id, sh.start)] += minutes
            first = self.first_leave[rnd.day]
            first[rnd.carer_id] = min(first.get(rnd.carer_id, rnd.leave), rnd.leave)

    @classmethod
    def of(cls, s: Scenario, provider: str, visits: Iterable[Visit], travel: object) -> WeekFloor | None:
        """The status quo's week on ``visits``: the coordinator's rule run on
        them, or the scenario's own status-quo rounds for them where those
        serve more (the generator makes them before the clients' history,
        which the rule then reads); None where the rule cannot run (a travel
        model it cannot ask point-to-many)."""
        scope = list(visits)
        rounds = coordinator_week(s, provider, scope, travel)
        if rounds is None:
            return None
        rule, stored = cls(s, rounds), cls(s, _stored_rounds(s, provider, scope))
        required = {v.id: v.carers_required for v in scope}
        return stored if stored.served_from(0, required) > rule.served_from(0, required) else rule

    @classmethod
    def from_state(
        cls,
        s: Scenario,
        provider: str,
        visits: Iterable[Visit],
        travel: object,
        week_left: Mapping[str, int],
        not_before: Mapping[str, int],
    ) -> WeekFloor | None:
        """The coordinator's rule over the days still to plan (``visits``),
        from the plan's state after the days planned so far."""
        rounds = coordinator_week(s, provider, visits, travel, week_left, not_before)
        return None if rounds is None else cls(s, rounds)

    def served_from(self, day: int, required: Mapping[str, int]) -> int:
        """Calls of day ``day`` and later this week serves with every carer
        they need (``required``: visit id -> carers)."""
        return sum(1 for vid, (d, n) in self.copies.items() if d >= day and n >= required.get(vid, 1))

    def candidate(self, day: int, week_left: Mapping[str, int]) -> DayBounds:
        """Today's rounds as a floor candidate, with no bounds on the day."""
        return DayBounds(week_left=dict(week_left), reserved={}, return_by={}, rounds=tuple(self.by_day.get(day, ())))

    def bounds(self, day: int, later: Iterable[int], week_left: Mapping[str, int]) -> DayBounds:
        """Today's bounds, given each carer's weekly minutes left now and the
        days still to plan after today."""
        still = [d for d in later if d > day]
        reserve: dict[str, int] = defaultdict(int)
        for d in still:
            for carer, minutes in self.use.get(d, {}).items():
                reserve[carer] += minutes
        # Only tomorrow's first departure can bind today's return: a day
        # later is more than 11 hours after any return today.
        tomorrow = self.first_leave.get(day + 1, {}) if day + 1 in still else {}
        return DayBounds(
            week_left={c: left - reserve.get(c, 0) for c, left in week_left.items()},
            reserved=dict(self.shift_use.get(day, {})),
            return_by={c: leave - REST_MIN for c, leave in tomorrow.items()},
            rounds=tuple(self.by_day.get(day, ())),
        )


def _shift_of(s: Scenario, rnd: Round) -> Shift | None:
    """The carer's shift that holds the round: the coordinator leaves no
    earlier than a shift's start and is home by its end."""
    return next(
        (sh for sh in s.shifts_of(rnd.carer_id) if sh.day == rnd.day and sh.start <= rnd.leave and rnd.back <= sh.end),
        None,
    )


def _stored_rounds(s: Scenario, provider: str, scope: Sequence[Visit]) -> list[Round]:
    """The scenario's status-quo rounds of this provider's carers that visit
    only calls in ``scope`` (none if any round strays outside it: a roster
    made for other calls is no floor for these)."""
    if s.status_quo is None:
        return []
    ids = {v.id for v in scope}
    days = {v.day for v in scope}
    mine = {c.id for c in s.carers_of(provider)}
    rounds = [r for r in s.status_quo.rounds if r.carer_id in mine and r.day in days]
    if any(stop.visit_id not in ids for r in rounds for stop in r.stops):
        return []
    return rounds
