"""Re-planning on the day, and next week's plan from last week's template.

:func:`replan`: a carer goes off sick at 09:40, a visit overruns, a client
goes into hospital, an urgent visit comes in. Everything that has started by
``now`` is pinned; the rest of the day is planned again from where each
carer is, with **minimal disruption**: every visit first tries its original
carer (the solver's first pass only offers that carer), and moves to someone
else only when that carer cannot take it any more. The answer comes with a
diff: which visits moved to whom.

:func:`plan_from_template` (:func:`plan_week_from_template` for the whole
plan): next week from last week's roster, as few changes as possible: each
call first tries the carer who did the same call (client, call, weekday)
last week, each client whose calls and carers are unchanged keeps last
week's care team; new packages are fitted in and ended ones dropped.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from patchplan.core.errors import InputError

# The event types live with the model; re-exported so `from patchplan.rounds.replan import Cancel` keeps working.
from patchplan.core.events import Cancel, CarerOff, Event, NewVisit, Overrun
from patchplan.core.model import DAY_MIN, Reason, Roster, Round, Scenario, Stop, Unassigned, Visit
from patchplan.core.params import RoundsParams
from patchplan.geo.travel import TravelModel, default_travel
from patchplan.rounds.careteams import CareTeams
from patchplan.rounds.plan import RoundsPlan, VehicleStart, _DayBuilder, plan_rounds


@dataclass(frozen=True, slots=True)
class Move:
    """A visit whose carers changed."""

    visit_id: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Replan:
    roster: Roster
    moves: tuple[Move, ...]
    pinned: int
    runtime_s: float
    scenario: Scenario


def replan(
    scenario: Scenario,
    roster: Roster,
    events: Sequence[Event],
    *,
    now: int,
    time_limit_s: float = 10.0,
    travel: TravelModel | None = None,
    params: RoundsParams | None = None,
    seed: int = 0,
) -> Replan:
    """Re-plan the rest of ``now``'s day after some events.

    Parameters
    ----------
    roster
        Today's plan (a provider's roster).
    now
        Minutes from the horizon start; what started before it is pinned.

    Returns
    -------
    Replan
        The new roster (other days unchanged), the moves, and the scenario
        with any new visits added (check the roster against that one).

    Raises
    ------
    InputError
        On events naming unknown carers or visits, or a roster without a
        provider.
    """
    started = time.perf_counter()
    if roster.provider_id is None:
        raise InputError("replan needs a provider's roster (its provider_id is empty)")
    s = _with_new_visits(scenario, [e.visit for e in events if isinstance(e, NewVisit)], roster.provider_id)
    day = now // DAY_MIN
    planned = {s.visit(u.visit_id).day for u in roster.unassigned if s.has("visit", u.visit_id)}
    covered = sorted({r.day for r in roster.rounds} | planned)
    if day not in covered:  # re-planning a day the roster never planned would invent a plan, not repair one
        shown = ", ".join(str(s.date(d)) for d in covered[:7]) or "no day"
        raise InputError(f"now is on {s.date(day)}, a day the roster does not cover (it plans {shown})")
    off = {e.carer_id: e.at for e in events if isinstance(e, CarerOff)}
    overrun = {e.visit_id: e.minutes for e in events if isinstance(e, Overrun)}
    cancelled = {e.visit_id: e.why for e in events if isinstance(e, Cancel)}
    for cid in off:
        if not s.has("carer", cid):
            raise InputError(f"unknown carer {cid!r} in the events")
    for vid in [*overrun, *cancelled]:
        if not s.has("visit", vid):
            raise InputError(f"unknown visit {vid!r} in the events")
    travel = travel or default_travel(dict(s.settings))
    p = params or RoundsParams()
    before = roster.assignments()
    kept: list[Round] = [r for r in roster.rounds if r.day != day]
    # A carer may have several rounds today (a split shift): what started
    # before ``now`` is pinned round by round; the carer sets off again from
    # the last stop they are at.
    pinned: list[tuple[Round, list[Stop]]] = []
    starts: dict[str, VehicleStart] = {}
    today = sorted((r for r in roster.rounds if r.day == day), key=lambda r: (r.carer_id, r.leave))
    for rnd in today:
        cutoff = min(now, off.get(rnd.carer_id, now))
        stops = []
        for stop in rnd.stops:
            if stop.start < cutoff and stop.visit_id not in cancelled:
                extra = overrun.get(stop.visit_id, 0)
                stops.append(dataclasses.replace(stop, end=stop.end + extra))
        pinned.append((rnd, stops))
        if stops:
            last = s.client(s.visit(stops[-1].visit_id).client_id).location
            free = max(now, stops[-1].end)
            starts[rnd.carer_id] = VehicleStart(location=last, earliest=free, worked=free - rnd.leave)
    for carer in s.carers_of(roster.provider_id):
        starts.setdefault(carer.id, VehicleStart(location=carer.home, earliest=now, worked=0))
    done = {st.visit_id for _, stops in pinned for st in stops}
    remaining = [
        v for v in s.visits_of_provider(roster.provider_id, [day]) if v.id not in done and v.id not in cancelled
    ]
    carers = [c for c in s.carers_of(roster.provider_id) if c.id not in off]
    week_left = _week_left(s, roster, day, carers)
    preferred = {vid: frozenset(cs) - set(off) for vid, cs in before.items()}
    preferred = {vid: cs for vid, cs in preferred.items() if cs}
    plan: dict[str, list[str]] = defaultdict(list)
    for r in today:
        if r.carer_id not in off:
            plan[r.carer_id] += [st.visit_id for st in r.stops if st.visit_id not in done]
    # Calls that already ran away from their preferred time keep their full
    # window; any other call may run late with its carer before it moves.
    late = {
        st.visit_id
        for r in today
        for st in r.stops
        if s.visit(st.visit_id).target is not None
        and abs(st.start - s.visit(st.visit_id).preferred) > s.visit(st.visit_id).tolerance_min
    }
    builder = _DayBuilder(
        s,
        roster.provider_id,
        day,
        sorted(remaining, key=lambda v: v.id),
        carers,
        week_left,
        travel,
        p,
        seed,
        None,
        preferred=preferred,
        starts=starts,
        initial=plan,
        wide=late,
        widen_first=True,
    )
    solution = builder.solve(time_limit_s)
    new_rounds, new_unassigned = builder.roster_parts(solution)
    merged = _merge(s, pinned, new_rounds, travel)
    unassigned = [u for u in roster.unassigned if s.visit(u.visit_id).day != day]
    unassigned += [
        Unassigned(visit_id=vid, reason=Reason.CANCELLED, detail=why) for vid, why in sorted(cancelled.items())
    ]
    unassigned += new_unassigned
    out = Roster(
        rounds=tuple(kept + merged),
        unassigned=tuple(unassigned),
        provider_id=roster.provider_id,
        meta=tuple(dict(roster.meta, replanned_at=str(now)).items()),
    )
    after = out.assignments()
    moves = tuple(
        Move(visit_id=vid, before=tuple(sorted(before.get(vid, []))), after=tuple(sorted(after.get(vid, []))))
        for vid in sorted(set(before) | set(after))
        if sorted(before.get(vid, [])) != sorted(after.get(vid, [])) and vid not in cancelled
    )
    return Replan(
        roster=out, moves=moves, pinned=len(done), runtime_s=round(time.perf_counter() - started, 3), scenario=s
    )


def _with_new_visits(s: Scenario, visits: list[Visit], provider: str) -> Scenario:
    if not visits:
        return s
    for v in visits:
        if not s.has("package", v.package_id) or s.package(v.package_id).provider_id != provider:
            raise InputError(f"new visit {v.id!r}: package {v.package_id!r} is not placed with {provider}")
    return s.replace(visits=(*s.visits, *visits))


def _week_left(s: Scenario, roster: Roster, day: int, carers: Iterable) -> dict[str, int]:
    """Weekly minutes left, counting the roster's other days."""
    left = {c.id: int(c.max_hours_week * 60) for c in carers}
    for rnd in roster.rounds:
        if rnd.day != day and rnd.carer_id in left:
            left[rnd.carer_id] -= rnd.back - rnd.leave
    return left


def _merge(
    s: Scenario,
    pinned: list[tuple[Round, list[Stop]]],
    fresh: list[Round],
    travel: TravelModel,
) -> list[Round]:
    """Each of today's rounds with stops pinned, followed by the re-planned
    round of the same carer and shift (if any); the other re-planned rounds
    as they are (a carer's later shift)."""
    out = []
    left = sorted(fresh, key=lambda r: (r.carer_id, r.leave))
    for rnd, head in pinned:
        if not head:
            continue
        shift = _shift_at(s, rnd.carer_id, rnd.day, head[-1].start)
        tail = next(
            (f for f in left if f.carer_id == rnd.carer_id and _shift_at(s, f.carer_id, f.day, f.leave) == shift),
            None,
        )
        if tail is not None:
            left.remove(tail)
            out.append(
                Round(
                    carer_id=rnd.carer_id,
                    day=tail.day,
                    stops=tuple(head) + tail.stops,
                    leave=rnd.leave,
                    back=tail.back,
                    return_min=tail.return_min,
                    return_m=tail.return_m,
                )
            )
            continue
        # Only pinned stops: the carer goes home after the last one.
        carer = s.carer(rnd.carer_id)
        last = s.client(s.visit(head[-1].visit_id).client_id).location
        minutes, metres = travel.matrices([last, carer.home], carer.mode)
        out.append(
            Round(
                carer_id=rnd.carer_id,
                day=rnd.day,
                stops=tuple(head),
                leave=rnd.leave,
                back=head[-1].end + int(minutes[0, 1]),
                return_min=int(minutes[0, 1]),
                return_m=int(metres[0, 1]),
            )
        )
    return sorted(out + left, key=lambda r: (r.carer_id, r.leave))


def _shift_at(s: Scenario, carer_id: str, day: int, minute: int) -> int | None:
    """The start of the carer's shift that day holding ``minute`` (the
    nearest, if none holds it), or None without a shift."""
    shifts = [sh for sh in s.shifts_of(carer_id) if sh.day == day]
    if not shifts:
        return None
    return min(
        shifts,
        key=lambda sh: (
            0 if sh.start <= minute <= sh.end else min(abs(minute - sh.start), abs(minute - sh.end)),
            sh.start,
        ),
    ).start


@dataclass(frozen=True)
class TemplatePlan:
    """This week's plan from last week's roster, and what it kept."""

    plan: RoundsPlan
    #: The calls whose carers differ from the template's (last week's carers of the same call).
    moves: tuple[Move, ...]
    #: Clients whose calls are the same as last week's (same calls, times, durations, carers needed).
    unchanged: frozenset[str]
    #: Client id -> last week's team offered to the team model to keep (the unchanged clients').
    offered_teams: Mapping[str, tuple[str, ...]]


def plan_from_template(
    scenario: Scenario,
    template: Roster,
    provider: str,
    *,
    days: Iterable[int] | None = None,
    time_limit_s: float = 30.0,
    params: RoundsParams | None = None,
    seed: int = 0,
    travel: TravelModel | None = None,
    template_scenario: Scenario | None = None,
    teams: CareTeams | Mapping[str, Sequence[str]] | None = None,
) -> tuple[Roster, tuple[Move, ...]]:
    """This week's rounds from last week's, with as few changes as possible
    (:func:`plan_week_from_template`, its roster and moves)."""
    out = plan_week_from_template(
        scenario,
        template,
        provider,
        days=days,
        time_limit_s=time_limit_s,
        params=params,
        seed=seed,
        travel=travel,
        template_scenario=template_scenario,
        teams=teams,
    )
    return out.plan.roster, out.moves


def plan_week_from_template(
    scenario: Scenario,
    template: Roster,
    provider: str,
    *,
    days: Iterable[int] | None = None,
    time_limit_s: float = 30.0,
    params: RoundsParams | None = None,
    seed: int = 0,
    travel: TravelModel | None = None,
    template_scenario: Scenario | None = None,
    teams: CareTeams | Mapping[str, Sequence[str]] | None = None,
) -> TemplatePlan:
    """This week's rounds from last week's, with as few changes as possible.

    A call is matched to last week's by (client, call label, weekday) and
    first offered to the carer(s) who did it; new packages' calls are open
    to anyone; calls of ended packages are simply not in scope. With care
    teams (``params.team_cap``), each client whose calls are unchanged and
    whose team members still work the days of the calls they did keeps last
    week's team; the team model solves only the others (a new client, a
    member on holiday).

    template_scenario
        The scenario the template was made for (last week's); default this one.
    teams
        Last week's care teams (``RoundsPlan.care_teams``, or client id ->
        carers); default each client's ``team_cap`` carers who made most of
        their visits in the template.
    """
    p = params or RoundsParams()
    last = template_scenario or scenario
    template_visits = {v.id: v for v in last.visits}
    by_slot: dict[tuple[str, str, int], set[str]] = defaultdict(set)
    for rnd in template.rounds:
        for stop in rnd.stops:
            v = template_visits.get(stop.visit_id)
            if v is not None:
                by_slot[_slot(last, v)].add(rnd.carer_id)
    scope = scenario.visits_of_provider(provider, days)
    # Last week's carer of the call, where they work that day: a call whose
    # carer is off (a holiday) is left to the client's care team instead.
    on_shift = {(sh.carer_id, sh.day) for sh in scenario.shifts}
    last_carers = {v.id: frozenset(by_slot[_slot(scenario, v)]) for v in scope if _slot(scenario, v) in by_slot}
    preferred = {}
    for v in scope:
        mine = frozenset(c for c in last_carers.get(v.id, ()) if (c, v.day) in on_shift)
        if mine:
            preferred[v.id] = mine
    # Last week's rounds as each day's start: the same carer, the same order,
    # for this week's call in the same slot (client, call, weekday).
    this_week: dict[tuple[str, str, int], list[Visit]] = defaultdict(list)
    for v in scope:
        this_week[_slot(scenario, v)].append(v)
    initial: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for rnd in sorted(template.rounds, key=lambda r: (r.carer_id, r.leave)):
        for stop in rnd.stops:
            old = template_visits.get(stop.visit_id)
            if old is None:
                continue
            for v in this_week.get(_slot(last, old), [])[:1]:
                if v.id not in initial[v.day][rnd.carer_id]:
                    initial[v.day][rnd.carer_id].append(v.id)
    last_scope = [template_visits[vid] for vid in _template_visit_ids(template) if vid in template_visits]
    unchanged = _unchanged_clients(last, last_scope, scenario, scope)
    # A team is offered to keep where the client's calls are last week's and
    # each member still works the days of the calls they did last week.
    offered = {
        c: t
        for c, t in _last_teams(template, last, teams, p.team_cap).items()
        if c in unchanged and _team_still_works(t, [v for v in scope if v.client_id == c], last_carers, preferred)
    }
    plan = plan_rounds(
        scenario,
        provider,
        days,
        params=p,
        time_limit_s=time_limit_s,
        seed=seed,
        travel=travel,
        preferred=preferred,
        initial=initial,
        keep_teams=offered,
    )
    after = plan.roster.assignments()
    moves = tuple(
        Move(visit_id=vid, before=tuple(sorted(want)), after=tuple(sorted(after.get(vid, []))))
        for vid, want in sorted(last_carers.items())
        if set(after.get(vid, [])) != set(want)
    )
    return TemplatePlan(plan=plan, moves=moves, unchanged=frozenset(unchanged), offered_teams=offered)


def _slot(s: Scenario, v: Visit) -> tuple[str, str, int]:
    """What makes a call the same call from one week to the next: client, call label, weekday."""
    return (v.client_id, v.label, s.weekday(v.day))


def _call(s: Scenario, v: Visit) -> tuple[object, ...]:
    """A call as its client's demand: its slot, times of day, duration and carers needed."""
    base = v.day * DAY_MIN
    return (v.label, s.weekday(v.day), v.early - base, v.late - base, v.duration_min, v.carers_required)


def _template_visit_ids(template: Roster) -> set[str]:
    """Every call the template answers for: served or unassigned."""
    return {st.visit_id for r in template.rounds for st in r.stops} | {u.visit_id for u in template.unassigned}


def _unchanged_clients(last: Scenario, last_scope: Iterable[Visit], now: Scenario, scope: Iterable[Visit]) -> set[str]:
    """Clients whose calls this week are exactly last week's (as :func:`_call` sees them)."""
    before: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    after: dict[str, list[tuple[object, ...]]] = defaultdict(list)
    for v in last_scope:
        before[v.client_id].append(_call(last, v))
    for v in scope:
        after[v.client_id].append(_call(now, v))
    return {c for c, calls in after.items() if sorted(calls) == sorted(before.get(c, []))}


def _team_still_works(
    team: Sequence[str],
    calls: Iterable[Visit],
    last_carers: Mapping[str, frozenset[str]],
    working: Mapping[str, frozenset[str]],
) -> bool:
    """Whether every team member who did one of ``calls`` last week works
    its day this week (``working``: the call's last-week carers on shift)."""
    return all((last_carers.get(v.id, frozenset()) & set(team)) <= working.get(v.id, frozenset()) for v in calls)


def _last_teams(
    template: Roster,
    last: Scenario,
    teams: CareTeams | Mapping[str, Sequence[str]] | None,
    team_cap: int,
) -> dict[str, tuple[str, ...]]:
    """Client id -> last week's team: as given, else the ``team_cap`` carers
    who made most of the client's visits in the template (none without a cap)."""
    if isinstance(teams, CareTeams):
        return {c: tuple(t) for c, t in teams.teams.items() if t}
    if teams is not None:
        return {c: tuple(t) for c, t in teams.items() if t}
    if not team_cap:
        return {}
    visits: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for rnd in template.rounds:
        for stop in rnd.stops:
            if last.has("visit", stop.visit_id):
                visits[last.visit(stop.visit_id).client_id][rnd.carer_id] += 1
    return {client: tuple(sorted(row, key=lambda c: (-row[c], c))[:team_cap]) for client, row in sorted(visits.items())}


__all__ = [
    "Cancel",
    "CarerOff",
    "Move",
    "NewVisit",
    "Overrun",
    "Replan",
    "TemplatePlan",
    "plan_from_template",
    "plan_week_from_template",
    "replan",
]
