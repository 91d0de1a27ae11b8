"""The checker's own re-timing of a roster: each stop and round as the travel model says it can happen.

On purpose this is not the solver's route timing: the checker recomputes every leg from the travel model,
so a timing bug on the solver side shows up as a violation instead of being copied here. The rules
(:mod:`patchplan.check.rules`) and the KPIs (:mod:`patchplan.check.kpis`) both read these facts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from patchplan.core.model import Carer, Client, Location, Round, Scenario, Shift, Visit

#: (minutes, metres) of one leg from a to b for a travel mode.
Leg = Callable[[Location, Location, str], tuple[int, int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class TimedStop:
    """One stop of a round with the times the travel model allows."""

    visit: Visit
    client: Client
    carer: Carer
    day: int
    start: int
    end: int
    #: When the carer is free to set off: leaving home, or the end of the latest earlier stop.
    free: int
    #: Minutes and metres of the leg that leads here.
    travel_min: int
    travel_m: int

    @property
    def arrive(self) -> int:
        """The earliest minute the carer can be at the door."""
        return self.free + self.travel_min


@dataclass(frozen=True, slots=True, kw_only=True)
class TimedRound:
    """One round re-timed: its stops, the way home and what it adds up to."""

    round: Round
    carer: Carer
    stops: tuple[TimedStop, ...]
    #: Minutes and metres of the way home from the last stop (or home to home).
    home_min: int
    home_m: int
    #: The earliest minute the carer can be home, from the last stop's end and the way home.
    earliest_back: int
    #: Minutes out: from leaving home to the later of the rostered and the earliest return.
    out_min: int
    #: Idle stretches (from, to): waiting before a stop, or time at home's door after the way back.
    gaps: tuple[tuple[int, int], ...]
    load: int
    #: The carer's shift this round is in: of their shifts that day, the one
    #: it overlaps most (a split shift is two), or None.
    shift: Shift | None
    #: 1 for the first round in that shift (or day, without a shift), 2 for a second, and so on.
    nth_of_day: int

    @property
    def day(self) -> int:
        return self.round.day

    @property
    def back(self) -> int:
        """When the round really ends: the later of the rostered and the earliest return."""
        return max(self.round.back, self.earliest_back)


def time_rounds(s: Scenario, rounds: tuple[Round, ...], leg: Leg) -> tuple[TimedRound, ...]:
    """Every round re-timed, in roster order."""
    seen: dict[tuple[str, int, int | None], int] = {}
    out = []
    for rnd in rounds:
        sh = shift_of(s, rnd)
        key = (rnd.carer_id, rnd.day, None if sh is None else sh.start)
        seen[key] = seen.get(key, 0) + 1
        out.append(time_round(s, rnd, leg, nth_of_day=seen[key]))
    return tuple(out)


def shift_of(s: Scenario, rnd: Round) -> Shift | None:
    """The carer's shift on the round's day that the round overlaps most
    (the first of the day when it overlaps none), or None: no shift that day."""
    shifts = [sh for sh in s.shifts_of(rnd.carer_id) if sh.day == rnd.day]
    if not shifts:
        return None
    return max(shifts, key=lambda sh: (min(sh.end, rnd.back) - max(sh.start, rnd.leave), -sh.start))


def time_round(s: Scenario, rnd: Round, leg: Leg, *, nth_of_day: int = 1) -> TimedRound:
    """One round re-timed: arrive = free + travel; a stop may start later (waiting), never earlier."""
    carer = s.carer(rnd.carer_id)
    here = carer.home
    clock = rnd.leave
    load = 0
    stops = []
    gaps: list[tuple[int, int]] = []
    for stop in rnd.stops:
        v = s.visit(stop.visit_id)
        client = s.client(v.client_id)
        minutes, metres = leg(here, client.location, carer.mode)
        timed = TimedStop(
            visit=v,
            client=client,
            carer=carer,
            day=rnd.day,
            start=stop.start,
            end=stop.end,
            free=clock,
            travel_min=minutes,
            travel_m=metres,
        )
        stops.append(timed)
        if stop.start > timed.arrive:
            gaps.append((timed.arrive, stop.start))
        load += v.load
        # A stop that ends before an earlier one (an overlap) does not move the clock back.
        clock = max(clock, stop.end)
        here = client.location
    home_min, home_m = leg(here, carer.home, carer.mode)
    earliest_back = clock + home_min
    if rnd.back > earliest_back:
        gaps.append((earliest_back, rnd.back))
    return TimedRound(
        round=rnd,
        carer=carer,
        stops=tuple(stops),
        home_min=home_min,
        home_m=home_m,
        earliest_back=earliest_back,
        out_min=max(rnd.back, earliest_back) - rnd.leave,
        gaps=tuple(gaps),
        load=load,
        shift=shift_of(s, rnd),
        nth_of_day=nth_of_day,
    )
