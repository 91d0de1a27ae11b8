"""A provider's rounds: who visits whom, when, in what order.

One vehicle per carer-shift (carers start and end at home), one node per
visit copy (a double-up is two synchronised nodes on different carers),
allowed vehicles from skills, gender preference, prohibitions and shift
reachability, hard windows with a soft preferred time, working-time limits
and breaks. Visits nobody can take are dropped with a large penalty and
reported with the reason. :mod:`patchplan.solver._ortools` does the solving.

Days are planned in order; each carer's weekly hours left carry from one
day to the next.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from patchplan.core.errors import InputError
from patchplan.core.model import Carer, Roster, Round, Scenario, Unassigned, Visit
from patchplan.core.params import RoundsParams
from patchplan.geo.travel import TravelModel, default_travel
from patchplan.rounds.careteams import CareTeams, ContinuityBreak, care_teams, continuity_breaks
from patchplan.rounds.day import (
    VehicleStart,  # noqa: F401 - re-exported for rounds.replan
    _DayBuilder,
    night_shift,  # noqa: F401 - re-exported
)
from patchplan.rounds.teams import _Teams, client_history
from patchplan.rounds.weekfloor import DayBounds, WeekFloor
from patchplan.solver.problem import RoutingSolution

log = logging.getLogger("patchplan")

#: Seconds kept back from the search for reading the answer (rounds,
#: reasons): measured 0.1-0.3 s on a 500-visit day on a loaded machine.
SAFETY_S = 0.3
#: Working Time Regulations reg. 10: 11 hours' rest between working days.
REST_MIN = 11 * 60


def plan_rounds(
    scenario: Scenario,
    provider: str | None = None,
    days: Iterable[int] | None = None,
    *,
    travel: TravelModel | None = None,
    params: RoundsParams | None = None,
    time_limit_s: float | None = None,
    seed: int = 0,
    capacity: int | None = None,
    visits: Sequence[Visit] | None = None,
    preferred: Mapping[str, Iterable[str]] | None = None,
    initial: Mapping[int, Mapping[str, Sequence[str]]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    keep_teams: Mapping[str, Sequence[str]] | None = None,
) -> RoundsPlan:
    """Plan a provider's rounds for some days.

    Parameters
    ----------
    provider
        Provider id; may be omitted when the scenario's visits belong to one
        provider only.
    days
        Day indices (0 = the scenario's start); default every day with visits.
    travel
        Travel model; default the scenario's offline model.
    params
        Weights and search settings (:class:`RoundsParams`).
    time_limit_s
        Overrides ``params.time_limit_s``: the wall-clock budget of the whole
        call, shared between days in proportion to their visits.
    seed
        Orders carers and visits in the model, so runs with different
        seeds search differently; the same seed and a ``solution_limit``
        give the same plan.
    capacity
        Load capacity of every carer (benchmark instances with loads).
    visits
        Plan these visits instead of all the provider's placed visits.
    preferred
        Visit id -> carers to try first (e.g. last week's carer for that
        call); the visit goes to another carer only if none of them can.
    initial
        Day -> carer id -> visit ids in order: a plan to start each day from
        (last week's rounds, matched to this week's calls): the search starts
        from it wherever the routing model accepts it (the floor stays the
        best plan so far), and a call it serves with a ``preferred`` carer is
        offered only that carer until it is left out.
    progress
        Called with (days done, days) after each day.
    keep_teams
        Client id -> last week's care team (clients whose calls and carers
        are unchanged), kept where every member is still here and can take
        one of the calls (see :func:`~patchplan.rounds.careteams.care_teams`).

    Returns
    -------
    RoundsPlan
        The roster (every visit in scope is in exactly one round, two for a
        double-up, or in ``unassigned`` with a reason), the scope planned,
        and per day the solver's status and the visits the floor served
        beside those the plan serves (never fewer).

    Raises
    ------
    InputError
        On an unknown provider or a provider that cannot be inferred.
    """
    p = params or RoundsParams()
    if time_limit_s is not None:
        p = p.replace(time_limit_s=time_limit_s)
    provider = _resolve_provider(scenario, provider)
    travel = travel or default_travel(dict(scenario.settings))
    scope = list(visits) if visits is not None else list(scenario.visits_of_provider(provider))
    wanted = None if days is None else set(days)
    if wanted is not None:
        bad = sorted(d for d in wanted if not 0 <= d < scenario.days)
        if bad:
            raise InputError(f"day {bad[0]} is outside the scenario's {scenario.days} days")
        scope = [v for v in scope if v.day in wanted]
    by_day: dict[int, list[Visit]] = defaultdict(list)
    for v in scope:
        by_day[v.day].append(v)
    plan_days = sorted(by_day if wanted is None else wanted)
    carers = scenario.carers_of(provider)
    week_left = {c.id: int(c.max_hours_week * 60) for c in carers}
    teams = _Teams(scenario, carers, p)
    given = {vid: frozenset(cs) for vid, cs in (preferred or {}).items()}
    rounds: list[Round] = []
    unassigned: list[Unassigned] = []
    objective = 0
    outcomes: list[DayOutcome] = []
    started = time.perf_counter()
    deadline = started + p.time_limit_s
    week_teams = None
    if p.team_cap and p.care_teams and not p.teams_mode and len(plan_days) > 1:
        week_teams = care_teams(
            scenario,
            [v for d in plan_days for v in by_day.get(d, [])],
            carers,
            travel,
            team_cap=p.team_cap,
            known=_known_carers(scenario, carers, preferred),
            keep=keep_teams,
            time_limit_s=min(p.care_teams_time_s, 0.1 * p.time_limit_s),
            seed=seed,
            # Under a solution budget the plan is deterministic: so are its teams.
            deterministic=p.solution_limit is not None,
        )
    # Over several days, the status quo's week on the same calls is the first
    # witness (rounds.weekfloor): the week never serves fewer calls than it.
    witness = WeekFloor.of(scenario, provider, scope, travel) if p.week_floor and len(plan_days) > 1 else None
    required = {v.id: v.carers_required for v in scope}
    for n_done, day in enumerate(plan_days):
        later = plan_days[n_done + 1 :]
        day_visits = sorted(by_day.get(day, []), key=lambda v: v.id)
        day_started = time.perf_counter()
        wish = {v.id: given[v.id] for v in day_visits if v.id in given}
        for v in day_visits:
            team = teams.preferred(v)
            if week_teams is not None:
                # The week's care team first, and whoever has already served
                # the client this week (a break's carer is known by then):
                # measured on the Maldon week (90 s), 6.4 distinct carers a
                # client against 8.7 with the team alone and 7.0 growing the
                # team from the first days (no team model).
                team = (week_teams.team_of(v.client_id) | (team or frozenset())) or None
            if team is not None and v.id not in wish:
                wish[v.id] = team

        rest_owed = rest_until(rounds)

        # Called in this iteration only (once, or twice with the week's floor).
        def plan_day(
            week: DayBounds | None,
            day: int = day,
            day_visits: list[Visit] = day_visits,
            wish: dict[str, frozenset[str]] = wish,
            todo: list[int] = plan_days[n_done:],
            rest_owed: dict[str, int] = rest_owed,
        ) -> tuple[_DayBuilder, RoutingSolution]:
            builder = _DayBuilder(
                scenario,
                provider,
                day,
                day_visits,
                carers,
                week_left,
                travel,
                p,
                seed,
                capacity,
                preferred=wish,
                required=teams.required,
                not_before=rest_owed,
                initial=(initial or {}).get(day),
                week=week,
            )
            # The day's share of what is left, after building its model (travel
            # matrices, eligibility), which counts against the limit too.
            remaining = max(0.05, deadline - time.perf_counter() - SAFETY_S)
            share = remaining * len(day_visits) / max(1, sum(len(by_day.get(d, [])) for d in todo))
            return builder, builder.solve(max(0.05, share))

        builder, solution = plan_day(None if witness is None else witness.candidate(day, week_left))
        day_rounds, day_unassigned = builder.roster_parts(solution)
        if witness is not None and later:
            # The rest of the week from the state this day leaves: the new
            # witness where it serves as many calls as the old one's rest;
            # otherwise the day again, bounded so the old witness stays possible.
            left_after = dict(week_left)
            for rnd in day_rounds:
                left_after[rnd.carer_id] -= rnd.back - rnd.leave
            rest = [v for d in later for v in by_day.get(d, [])]
            following = WeekFloor.from_state(
                scenario, provider, rest, travel, left_after, rest_until([*rounds, *day_rounds])
            )
            if following is not None and following.served_from(later[0], required) >= witness.served_from(
                later[0], required
            ):
                witness = following
            else:
                log.info("rounds %s day %d: planned again within the week's floor", provider, day)
                builder, solution = plan_day(witness.bounds(day, later, week_left))
                day_rounds, day_unassigned = builder.roster_parts(solution)
        objective += solution.objective
        outcomes.append(
            DayOutcome(
                day=day,
                visits=len(day_visits),
                floor_served=builder.floor_served,
                served=len(day_visits) - len(day_unassigned),
                status=solution.status,
                wall_s=time.perf_counter() - day_started,
            )
        )
        for rnd in day_rounds:
            week_left[rnd.carer_id] -= rnd.back - rnd.leave
            teams.record(rnd)
        rounds += day_rounds
        unassigned += day_unassigned
        if progress:
            progress(n_done + 1, len(plan_days))
        log.info("rounds %s day %d: %d visits, %d unassigned", provider, day, len(day_visits), len(day_unassigned))
    meta = (
        ("days", ",".join(str(d) for d in plan_days)),
        ("objective", str(objective)),
        ("seed", str(seed)),
        ("solver", "ortools-routing"),
        ("time_limit_s", str(p.time_limit_s)),
    )
    roster = Roster(rounds=tuple(rounds), unassigned=tuple(unassigned), provider_id=provider, meta=meta)
    breaks = () if week_teams is None else tuple(continuity_breaks(scenario, roster, week_teams))
    return RoundsPlan(
        roster=roster,
        provider=provider,
        days=tuple(plan_days),
        visit_ids=tuple(sorted(v.id for v in scope)),
        objective=objective,
        runtime_s=time.perf_counter() - started,
        time_limit_s=p.time_limit_s,
        seed=seed,
        day_outcomes=tuple(outcomes),
        care_teams=week_teams,
        continuity_breaks=breaks,
    )


def _known_carers(
    s: Scenario, carers: Sequence[Carer], preferred: Mapping[str, Iterable[str]] | None
) -> dict[str, dict[str, int]]:
    """client id -> this provider's carers who know them -> visits: the
    client's history, plus the carers ``preferred`` names for their calls
    (last week's roster)."""
    mine = {c.id for c in carers}
    out = client_history(s, mine)
    for vid, names in (preferred or {}).items():
        if s.has("visit", vid):
            row = out[s.visit(vid).client_id]
            for carer in names:
                if carer in mine:
                    row[carer] = row.get(carer, 0) + 1
    return out


def rest_until(rounds: Iterable[Round]) -> dict[str, int]:
    """carer id -> the earliest minute they may set off again: 11 hours
    (Working Time Regulations reg. 10) after their last return home so far.
    Days are planned in order, so this binds each day to the one before."""
    back: dict[str, int] = {}
    for rnd in rounds:
        back[rnd.carer_id] = max(back.get(rnd.carer_id, 0), rnd.back)
    return {c: b + REST_MIN for c, b in back.items()}


@dataclass(frozen=True, slots=True)
class DayOutcome:
    """How one provider-day went: visits in scope, visits the floor (the
    coordinator's rule or the greedy, whichever served more) served, visits
    the plan serves, the last solver status and the wall time."""

    day: int
    visits: int
    #: The visits the floor plan serves (all of them are in the plan too).
    floor_served: frozenset[str]
    served: int
    status: str
    wall_s: float

    @property
    def start_served(self) -> int:
        return len(self.floor_served)


@dataclass(frozen=True)
class RoundsPlan:
    """A provider's rounds for some days, and how they were made."""

    roster: Roster
    provider: str
    #: Day indices planned (0 = the scenario's start).
    days: tuple[int, ...]
    #: The visits planned (the scope the roster answers for).
    visit_ids: tuple[str, ...]
    objective: int
    runtime_s: float
    time_limit_s: float
    seed: int
    day_outcomes: tuple[DayOutcome, ...]
    #: Each client's care team, when the plan made them (``team_cap`` over several days).
    care_teams: CareTeams | None = None
    #: Served calls whose carer is outside the client's team, with the reason.
    continuity_breaks: tuple[ContinuityBreak, ...] = ()

    @property
    def start_served(self) -> int:
        """Visits the floor plans served, over all days."""
        return sum(d.start_served for d in self.day_outcomes)

    @property
    def served(self) -> int:
        """Visits the plan serves, over all days."""
        return sum(d.served for d in self.day_outcomes)

    @property
    def status(self) -> str:
        """The solver statuses of the days, e.g. ``"success"`` or ``"success,fail_timeout"``."""
        return ",".join(sorted({d.status for d in self.day_outcomes})) or "empty"

    def summary(self) -> dict[str, object]:
        """The typed fields as plain values (for ``--json`` and reports)."""
        return {
            "provider": self.provider,
            "days_planned": len(self.days),
            "visits_planned": len(self.visit_ids),
            "start_served": self.start_served,
            "served": self.served,
            "solver_status": self.status,
            "objective": self.objective,
            "time_limit_s": self.time_limit_s,
            "seed": self.seed,
            "care_teams": None if self.care_teams is None else len(self.care_teams.teams),
            "continuity_breaks": len(self.continuity_breaks),
        }


def _resolve_provider(s: Scenario, provider: str | None) -> str:
    if provider is not None:
        if not s.has("provider", provider):
            raise InputError(f"unknown provider {provider!r}; e.g. {', '.join(p.id for p in s.providers[:5])}")
        return provider
    placed = {p.provider_id for p in s.packages if p.status == "placed" and p.provider_id}
    if len(placed) != 1:
        raise InputError(f"give a provider: the scenario's visits belong to {len(placed)} providers")
    return placed.pop()


def largest_provider(s: Scenario, district: str | None = None) -> str:
    """The provider with the most placed hours (in a district, if given)."""
    hours: dict[str, float] = defaultdict(float)
    for p in s.packages:
        pid = p.provider_id
        if p.status != "placed" or pid is None or s.provider(pid).spot:
            continue  # only framework providers' placed packages count
        if district is None or s.client(p.client_id).district_id == district:
            hours[pid] += p.hours_week
    if not hours:
        raise InputError("no framework provider has placed packages here")
    return max(sorted(hours), key=lambda k: hours[k])
