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
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from patchplan.solver import _ortools
from patchplan.core.errors import InputError
from patchplan.core.model import (
    DAY_MIN,
    MODES,
    Carer,
    Location,
    Reason,
    Round,
    Roster,
    Scenario,
    Shift,
    Stop,
    Unassigned,
    Visit,
)
from patchplan.core.params import RoundsParams
from patchplan.solver.problem import (
    Node,
    Route,
    RoutingProblem,
    RoutingSolution,
    Sync,
    Vehicle,
    Weights,
    greedy_routes,
    repair_routes,
    trim_route,
)
from patchplan.geo.travel import TravelModel, default_travel

log = logging.getLogger("patchplan")


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
    progress: Callable[[int, int], None] | None = None,
) -> Roster:
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
    progress
        Called with (days done, days) after each day.

    Returns
    -------
    Roster
        Every visit in scope is in exactly one round (two for a double-up)
        or in ``unassigned`` with a reason.

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
    deadline = time.perf_counter() + p.time_limit_s
    for n_done, day in enumerate(plan_days):
        day_visits = sorted(by_day.get(day, []), key=lambda v: v.id)
        remaining = max(0.05, deadline - time.perf_counter())
        share = remaining * len(day_visits) / max(1, sum(len(by_day.get(d, [])) for d in plan_days[n_done:]))
        wish = {v.id: given[v.id] for v in day_visits if v.id in given}
        for v in day_visits:
            team = teams.preferred(v)
            if team is not None and v.id not in wish:
                wish[v.id] = team
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
        )
        solution = builder.solve(max(0.05, share))
        objective += solution.objective
        day_rounds, day_unassigned = builder.roster_parts(solution)
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
    return Roster(rounds=tuple(rounds), unassigned=tuple(unassigned), provider_id=provider, meta=meta)


class _Teams:
    """Each client's carers so far (continuity) and, in team mode, the one
    neighbourhood team allowed to serve them."""

    def __init__(self, s: Scenario, carers: Sequence[Carer], p: RoundsParams) -> None:
        self.s, self.p = s, p
        self.mine = {c.id for c in carers}
        self.seen: dict[str, dict[str, int]] = defaultdict(dict)
        if p.prefer_known:
            for client in s.clients:
                for carer, count in client.history:
                    if carer in self.mine:
                        self.seen[client.id][carer] = count
        self.client_team: dict[str, str] = {}
        if p.teams_mode:
            self._assign_teams(carers)

    def _assign_teams(self, carers: Sequence[Carer]) -> None:
        """A client's team: the one most of their known carers belong to,
        else the team whose carers live nearest on average."""
        members: dict[str, list[Carer]] = defaultdict(list)
        for c in carers:
            if c.team_id:
                members[c.team_id].append(c)
        if not members:
            raise InputError("teams mode needs carers with a team (carers.csv column 'team')")
        centre = {
            t: (float(np.mean([c.home.lat for c in cs])), float(np.mean([c.home.lon for c in cs])))
            for t, cs in members.items()
        }
        team_of = {c.id: c.team_id for c in carers}
        for client in self.s.clients:
            votes: dict[str, int] = defaultdict(int)
            for carer, count in client.history:
                if team_of.get(carer):
                    votes[team_of[carer]] += count
            if votes:
                self.client_team[client.id] = max(sorted(votes), key=lambda t: votes[t])
            else:
                lat, lon = client.location.lat, client.location.lon
                self.client_team[client.id] = min(
                    sorted(centre), key=lambda t: (centre[t][0] - lat) ** 2 + (centre[t][1] - lon) ** 2
                )
        self.team_of = team_of

    def required(self, v: Visit) -> frozenset[str] | None:
        """Carers who alone may serve ``v`` (team mode), or None."""
        if not self.p.teams_mode:
            return None
        team = self.client_team.get(v.client_id)
        return frozenset(c for c, t in self.team_of.items() if t == team)

    def preferred(self, v: Visit) -> frozenset[str] | None:
        """The client's team so far, when continuity is on and it has one."""
        if not self.p.team_cap:
            return None
        seen = self.seen.get(v.client_id)
        return frozenset(seen) if seen else None

    def full(self, client_id: str) -> bool:
        return bool(self.p.team_cap) and len(self.seen.get(client_id, {})) >= self.p.team_cap

    def record(self, rnd: Round) -> None:
        for stop in rnd.stops:
            client = self.s.visit(stop.visit_id).client_id
            self.seen[client][rnd.carer_id] = self.seen[client].get(rnd.carer_id, 0) + 1


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
        if p.status == "placed" and p.provider_id and not s.provider(p.provider_id).spot:
            if district is None or s.client(p.client_id).district_id == district:
                hours[p.provider_id] += p.hours_week
    if not hours:
        raise InputError("no framework provider has placed packages here")
    return max(sorted(hours), key=lambda k: hours[k])


def night_shift(shift: Shift) -> bool:
    """A shift that runs past midnight (sleep-in / waking night): its rest
    rules differ, the carer rests at the client's home."""
    return shift.end > (shift.day + 1) * DAY_MIN


@dataclass(frozen=True, slots=True)
class VehicleStart:
    """Where and when a carer is free mid-day (re-planning): at ``location``
    from minute ``earliest``, having already worked ``worked`` minutes."""

    location: Location
    earliest: int
    worked: int


@dataclass
class _Eligible:
    """Carers who could take a visit, and why others could not."""

    vehicles: list[int]
    reason: Reason | None
    detail: str


class _DayBuilder:
    """Builds one provider-day's routing problem and reads its solution."""

    def __init__(
        self,
        s: Scenario,
        provider: str,
        day: int,
        visits: list[Visit],
        carers: Sequence[Carer],
        week_left: dict[str, int],
        travel: TravelModel,
        p: RoundsParams,
        seed: int,
        capacity: int | None,
        *,
        preferred: Mapping[str, frozenset[str]] | None = None,
        required: Callable[[Visit], frozenset[str] | None] | None = None,
        starts: Mapping[str, VehicleStart] | None = None,
        initial: Mapping[str, Sequence[str]] | None = None,
        wide: Iterable[str] = (),
        widen_first: bool = False,
    ) -> None:
        self.s, self.day, self.p, self.capacity = s, day, p, capacity
        #: Re-planning: a call may run later with its carer before it moves.
        self.widen_first = widen_first
        #: carer id -> visit ids in order: a plan to start from (re-planning).
        self.initial = dict(initial or {})
        self.preferred = dict(preferred or {})
        self.required = required or (lambda _v: None)
        rng = np.random.default_rng(seed)
        shifts = []
        for c in carers:
            for sh in s.shifts_of(c.id):
                if sh.day == day and week_left[c.id] > 0:
                    shifts.append((c, sh))
        order = rng.permutation(len(shifts)) if seed else np.arange(len(shifts))
        self.shifts = [shifts[i] for i in order]
        vorder = rng.permutation(len(visits)) if seed else np.arange(len(visits))
        self.visits = [visits[i] for i in vorder]
        self.week_left = week_left
        # Points: carers' homes, then clients' homes (deduplicated).
        points: list[Location] = []
        index: dict[tuple[float, float, bool], int] = {}

        def point(loc: Location) -> int:
            key = (loc.lat, loc.lon, loc.urban)
            if key not in index:
                index[key] = len(points)
                points.append(loc)
            return index[key]

        self.home_point = [point(c.home) for c, _ in self.shifts]
        starts = starts or {}
        self.start_point = [
            point(starts[c.id].location) if c.id in starts else self.home_point[k]
            for k, (c, _) in enumerate(self.shifts)
        ]
        self.start_min = [max(sh.start, starts[c.id].earliest) if c.id in starts else sh.start for c, sh in self.shifts]
        self.worked = [starts[c.id].worked if c.id in starts else 0 for c, _ in self.shifts]
        self.client_point = {v.client_id: point(s.client(v.client_id).location) for v in self.visits}
        self.points = points
        self.modes = sorted({c.mode for c, _ in self.shifts}, key=MODES.index)
        self.times: list[np.ndarray] = []
        self.dists: list[np.ndarray] = []
        for mode in self.modes:
            t, d = travel.matrices(points, mode) if points else (np.zeros((0, 0)), np.zeros((0, 0)))
            self.times.append(t)
            self.dists.append(d)
        self.profile = [self.modes.index(c.mode) for c, _ in self.shifts]
        self.unassigned: list[Unassigned] = []
        self.node_visit: list[Visit] = []
        self.wide: set[str] = set(wide)
        self.opened: set[str] = set()
        self.cut: set[str] = set()
        self.greedy_choice: dict[str, set[int]] = {}

    # -- eligibility ---------------------------------------------------------
    def eligible(self, v: Visit) -> _Eligible:
        """Vehicles that may serve ``v``; when none (or too few for a
        double-up), the first rule that ruled them out."""
        client = self.s.client(v.client_id)
        cp = self.client_point[v.client_id]
        all_carers = [c for c, _ in self.shifts]
        provider_carers = self.s.carers_of(self.s.package(v.package_id).provider_id or "")
        if v.skills and not any(v.skills <= c.skills for c in provider_carers):
            return _Eligible(
                [], Reason.NO_SKILLED_CARER, f"no carer of the provider holds {', '.join(sorted(v.skills))}"
            )
        stage = [k for k, c in enumerate(all_carers) if v.skills <= c.skills]
        if not stage:
            return _Eligible([], Reason.NO_CARER_ON_SHIFT, "no carer with the skills is on shift that day")
        if client.gender_preference:
            stage2 = [k for k in stage if all_carers[k].gender == client.gender_preference]
            if not stage2:
                return _Eligible(
                    [], Reason.GENDER_PREFERENCE, f"no {client.gender_preference} carer with the skills on shift"
                )
            stage = stage2
        stage3 = [k for k in stage if all_carers[k].id not in client.prohibited_carers]
        if not stage3:
            return _Eligible([], Reason.PROHIBITED, "every suitable carer on shift is prohibited for this client")
        team = self.required(v)
        if team is not None:
            stage3 = [k for k in stage3 if all_carers[k].id in team]
            if not stage3:
                return _Eligible([], Reason.TEAM, "no carer of the client's team with the skills is on shift")
        stage4 = []
        for k in stage3:
            c, sh = self.shifts[k]
            t = self.times[self.profile[k]]
            there, back = int(t[self.start_point[k], cp]), int(t[cp, self.home_point[k]])
            start = max(v.early, self.start_min[k] + there)
            if (
                start <= v.late
                and start + v.duration_min + back <= sh.end
                and there + v.duration_min + back <= min(sh.work_limit - self.worked[k], self.week_left[c.id])
            ):
                stage4.append(k)
        if not stage4:
            hours_out = all(self.week_left[self.shifts[k][0].id] < v.duration_min for k in stage3)
            if hours_out:
                return _Eligible([], Reason.WEEKLY_HOURS, "suitable carers have used their weekly hours")
            return _Eligible(
                [], Reason.UNREACHABLE_IN_WINDOW, "no suitable carer's shift can reach the client inside the window"
            )
        if len(stage4) < v.carers_required:
            return _Eligible(stage4, Reason.NO_DOUBLE_UP_PARTNER, "only one suitable carer for a double-up")
        return _Eligible(stage4, None, "")

    # -- the problem -----------------------------------------------------------
    def solve(self, time_limit_s: float) -> RoutingSolution:
        """Passes (see the module docstring): preferred-time windows made
        hard and calls offered to their preferred carers first; then, from
        each plan, calls left out are relaxed one step at a time - first
        offered to every eligible carer (still hard windows: fast), then
        given their full window with a lateness cost - and carers whose
        rounds need a WTR break get the break rule. A last resort keeps any
        round inside the break rule."""
        started = time.perf_counter()
        p = self.p
        initial = None
        if self.initial:
            initial = self._from_plan()
        elif self.preferred:
            # Greedy start with preferred carers tried first, then offer each
            # visit its preferred carers plus the one the greedy chose.
            everyone = self.problem(wide=set(), breaks=set(), open_all=True)
            initial = greedy_routes(everyone)
            for k, route in enumerate(initial):
                for n in route:
                    self.greedy_choice.setdefault(self.node_visit[n].id, set()).add(k)
        problem = self.problem(wide=self.wide, breaks=set())
        solution = _ortools.solve_routing(
            problem,
            time_limit_s=time_limit_s * 0.5,
            initial_routes=initial,
            solution_limit=p.solution_limit,
            first_solution=p.first_solution,
            metaheuristic=p.metaheuristic,
        )
        # OR-Tools can run past its limit (it checks the clock between
        # neighbourhoods, which take seconds on a large day); what it took
        # over is held back from the passes that follow, so the plan as a
        # whole keeps to its limit.
        lag = max(0.0, solution.wall_s - time_limit_s * 0.5)
        breaks: set[int] = set()
        for _ in range(4):
            dropped = {self.node_visit[n].id for n in solution.dropped}
            if self.widen_first:
                to_widen = dropped - self.wide
                to_open = {d for d in dropped & self.wide if d in self.preferred and d not in self.opened}
            else:
                to_open = {d for d in dropped if d in self.preferred and d not in self.opened}
                to_widen = dropped - to_open - self.wide
            # A linked call can only move if its partner can: widen both.
            to_widen |= self._partners(dropped & (self.wide | to_widen)) - self.wide
            violators = self.break_violators(solution) - breaks
            if not to_open and not to_widen and not violators:
                solution = self._improve(problem, solution, time_limit_s - (time.perf_counter() - started) - lag)
                break
            breaks |= violators
            self.opened |= to_open
            self.wide |= to_widen
            routes = [[] for _ in self.shifts]
            for route in solution.routes:
                if route.vehicle not in breaks:
                    routes[route.vehicle] = list(route.nodes)
            remaining = time_limit_s - (time.perf_counter() - started) - lag
            if remaining <= 0.05:
                break
            problem = self.problem(wide=self.wide, breaks=breaks)
            repaired = repair_routes(problem, routes, skip_vehicles=breaks)
            if _ortools.routes_feasible(problem, repaired):
                routes = repaired
            limit = remaining * (0.5 if to_open else 0.8)
            solution = _ortools.solve_routing(
                problem,
                time_limit_s=limit,
                initial_routes=routes,
                solution_limit=p.solution_limit,
                first_solution=p.first_solution,
                metaheuristic=p.metaheuristic,
            )
            lag = max(lag, solution.wall_s - limit)
        return self.enforce_breaks(self.drop_half_pairs(solution))

    def _partners(self, visit_ids: set[str]) -> set[str]:
        """Visits tied by a timing link to any of ``visit_ids``."""
        out = set()
        for link in self.s.links:
            if link.first in visit_ids:
                out.add(link.second)
            if link.second in visit_ids:
                out.add(link.first)
        return out

    def _improve(self, problem: RoutingProblem, solution: RoutingSolution, remaining: float) -> RoutingSolution:
        """Nothing left to relax: spend the rest of the budget improving
        ``solution`` on the ``problem`` it solves (the passes above keep half
        of the budget in reserve for relaxing). Not under a solution budget
        (that is the whole budget by definition), nor when re-planning from a
        plan, where an answer in seconds matters more than the last minutes
        of travel."""
        if self.p.solution_limit is not None or self.initial or remaining < 1.0:
            return solution
        routes: list[list[int]] = [[] for _ in self.shifts]
        for route in solution.routes:
            routes[route.vehicle] = list(route.nodes)
        better = _ortools.solve_routing(
            problem,
            time_limit_s=remaining,
            initial_routes=routes,
            first_solution=self.p.first_solution,
            metaheuristic=self.p.metaheuristic,
        )
        return better if better.objective <= solution.objective else solution

    def _from_plan(self) -> list[list[int]] | None:
        """Routes of the given plan as a feasible start: each carer's visits in
        their old order, trimmed where they no longer fit, then the rest
        inserted where they fit cheapest."""
        problem = self.problem(wide=self.wide, breaks=set())
        copies: dict[str, list[int]] = defaultdict(list)
        for n, v in enumerate(self.node_visit):
            copies[v.id].append(n)
        vehicle_of = {c.id: k for k, (c, _) in enumerate(self.shifts)}
        routes: list[list[int]] = [[] for _ in self.shifts]
        used: set[int] = set()
        for carer, visit_ids in self.initial.items():
            k = vehicle_of.get(carer)
            if k is None:
                continue
            for vid in visit_ids:
                free = [n for n in copies.get(vid, []) if n not in used and k in problem.nodes[n].allowed]
                if free:
                    routes[k].append(free[0])
                    used.add(free[0])
        routes = [trim_route(problem, k, r) for k, r in enumerate(routes)]
        routes = repair_routes(problem, routes)
        return routes if _ortools.routes_feasible(problem, routes) else None

    def drop_half_pairs(self, solution: RoutingSolution) -> RoutingSolution:
        """A double-up with only one carer is no visit: take that copy off."""
        served: dict[str, list[int]] = defaultdict(list)
        for route in solution.routes:
            for n in route.nodes:
                served[self.node_visit[n].id].append(n)
        cut = {
            n for vid, nodes in served.items() for n in nodes if len(nodes) < self.node_visit[nodes[0]].carers_required
        }
        if not cut:
            return solution
        routes = tuple(r for r in (self._without(r, cut) for r in solution.routes) if r is not None)
        return RoutingSolution(
            routes=routes,
            dropped=tuple(sorted(set(solution.dropped) | cut)),
            objective=solution.objective,
            status=solution.status,
            wall_s=solution.wall_s,
        )

    def break_violators(self, solution: RoutingSolution) -> set[int]:
        """Vehicles whose route has more than ``break_after`` minutes of
        work without an idle gap of ``break_min``."""
        return {r.vehicle for r in solution.routes if self._longest_stretch(r) > self.p.break_after_min}

    def _longest_stretch(self, route: Route) -> int:
        """Longest stretch of work (minutes) between idle gaps of at least
        ``break_min``; 0 for night shifts and rounds within the limit."""
        sh = self.shifts[route.vehicle][1]
        if night_shift(sh) or route.back - route.leave <= self.p.break_after_min:
            return 0
        t = self.times[self.profile[route.vehicle]]
        home = self.home_point[route.vehicle]
        here, clock = self.start_point[route.vehicle], route.leave
        rests = []
        for node, start in zip(route.nodes, route.starts, strict=True):
            v = self.node_visit[node]
            pt = self.client_point[v.client_id]
            arrive = clock + int(t[here, pt])
            if start - arrive >= self.p.break_min:
                rests.append((arrive, start))
            clock, here = start + v.duration_min, pt
        back = clock + int(t[here, home])
        if route.back - back >= self.p.break_min:
            rests.append((back, route.back))
        edge, longest = route.leave, 0
        for a, b in rests:
            longest, edge = max(longest, a - edge), b
        return max(longest, route.back - edge)

    def enforce_breaks(self, solution: RoutingSolution) -> RoutingSolution:
        """Last resort: take visits off the end of a round that still breaks
        the break rule (and the partner copy of a double-up) until it keeps
        it; they are reported unassigned. Rare: pass 2 plans breaks."""
        routes = list(solution.routes)
        dropped = set(solution.dropped)
        for _ in range(len(routes) + 1):
            bad = [i for i, r in enumerate(routes) if self._longest_stretch(r) > self.p.break_after_min]
            if not bad:
                break
            i = bad[0]
            cut = {routes[i].nodes[-1]}
            v = self.node_visit[routes[i].nodes[-1]]
            cut |= {n for n, w in enumerate(self.node_visit) if w.id == v.id}
            self.cut.add(v.id)
            dropped |= cut
            routes = [r for r in (self._without(r, cut) for r in routes) if r is not None]
        return RoutingSolution(
            routes=tuple(routes),
            dropped=tuple(sorted(dropped)),
            objective=solution.objective,
            status=solution.status,
            wall_s=solution.wall_s,
        )

    def _without(self, route: Route, cut: set[int]) -> Route | None:
        keep = [(n, st) for n, st in zip(route.nodes, route.starts, strict=True) if n not in cut]
        if len(keep) == len(route.nodes):
            return route
        if not keep:
            return None
        t = self.times[self.profile[route.vehicle]]
        last = keep[-1]
        pt = self.client_point[self.node_visit[last[0]].client_id]
        back = last[1] + self.node_visit[last[0]].duration_min + int(t[pt, self.home_point[route.vehicle]])
        return Route(
            vehicle=route.vehicle,
            nodes=tuple(n for n, _ in keep),
            starts=tuple(st for _, st in keep),
            leave=route.leave,
            back=back,
        )

    def problem(self, *, wide: set[str], breaks: set[int], open_all: bool = False) -> RoutingProblem:
        """The routing problem. Visits in ``wide`` get their full window with
        a lateness cost; the others a hard window of preferred time +-
        tolerance. Vehicles in ``breaks`` get the WTR break rule."""
        p = self.p
        self.node_visit = []
        self.unassigned = []
        nodes: list[Node] = []
        syncs: list[Sync] = []
        first_node: dict[str, int] = {}
        for v in self.visits:
            el = self.eligible(v)
            if el.reason is not None:
                self.unassigned.append(Unassigned(visit_id=v.id, reason=el.reason, detail=el.detail))
                continue
            offered = self._allowed(v, el.vehicles, relaxed=open_all or v.id in self.opened or v.id in wide)
            if offered is None:
                self.unassigned.append(
                    Unassigned(
                        visit_id=v.id,
                        reason=Reason.CONTINUITY_CAP,
                        detail=f"none of the client's {self.p.team_cap} carers can take it and the cap is hard",
                    )
                )
                continue
            penalty = p.drop_penalty + p.drop_per_care_minute * v.duration_min
            first_node[v.id] = len(nodes)
            soft = v.id in wide
            early, late = v.early, v.late
            if not soft and v.target is not None:
                early = max(v.early, v.target - v.tolerance_min)
                late = min(v.late, v.target + v.tolerance_min)
            for copy in range(v.carers_required):
                nodes.append(
                    Node(
                        key=v.id,
                        copy=copy,
                        point=self.client_point[v.client_id],
                        early=early,
                        late=late,
                        duration=v.duration_min,
                        allowed=tuple(offered[0]),
                        preferred=tuple(offered[1]),
                        penalty=penalty,
                        target=v.target,
                        tolerance=v.tolerance_min,
                        load=v.load,
                        soft=soft,
                    )
                )
                self.node_visit.append(v)
            if v.carers_required == 2:
                a = first_node[v.id]
                syncs.append(Sync(a=a, b=a + 1, min_gap=0, max_gap=0, both_or_neither=True))
        for link in self.s.links:
            if link.first in first_node and link.second in first_node:
                syncs.append(
                    Sync(
                        a=first_node[link.first],
                        b=first_node[link.second],
                        min_gap=link.min_gap,
                        max_gap=link.max_gap,
                        both_or_neither=False,
                    )
                )
        vehicles = []
        for k, (c, sh) in enumerate(self.shifts):
            vehicles.append(
                Vehicle(
                    key=c.id,
                    point=self.home_point[k],
                    start_point=self.start_point[k] if self.start_point[k] != self.home_point[k] else None,
                    profile=self.profile[k],
                    start=self.start_min[k],
                    end=sh.end,
                    max_work=max(0, min(sh.work_limit - self.worked[k], self.week_left[c.id])),
                    break_after=None if night_shift(sh) or k not in breaks else p.break_after_min,
                    break_min=p.break_min,
                    fixed_cost=p.vehicle_fixed_cost,
                    capacity=self.capacity,
                )
            )
        balance = None
        if p.balance_weight and vehicles:
            balance = max(1, math.ceil(len(nodes) / len(vehicles)))
        return RoutingProblem(
            nodes=tuple(nodes),
            vehicles=tuple(vehicles),
            times=tuple(self.times),
            distances=tuple(self.dists),
            syncs=tuple(syncs),
            # Span and balance costs make OR-Tools schedule every route with an
            # LP, which slows the search badly; they are on only when asked.
            weights=Weights(p.travel_weight, p.late_weight, p.early_weight, p.span_weight, p.balance_weight),
            balance_visits=balance,
        )

    def _allowed(self, v: Visit, eligible: list[int], *, relaxed: bool) -> tuple[list[int], list[int]] | None:
        """(vehicles offered to the solver, vehicles preferred) for ``v``.

        With preferred carers (a continuity team, last week's carer, the
        carer before a re-plan), the solver is offered those on shift plus
        whoever the greedy start gave the visit to (it tries them first), so
        the start is complete and continuity is kept; a relaxed (left-out)
        visit is offered everyone eligible. None when a hard continuity cap
        forbids anyone outside the team.
        """
        pref = self.preferred.get(v.id)
        if pref is None:
            return eligible, []
        members = [k for k in eligible if self.shifts[k][0].id in pref]
        enough = len({self.shifts[k][0].id for k in members}) >= v.carers_required
        team_full = bool(self.p.team_cap) and len(pref) >= self.p.team_cap
        if self.p.cap_hard and team_full:
            return (members, members) if enough else None
        if relaxed or not enough:
            return eligible, members
        extra = [k for k in self.greedy_choice.get(v.id, ()) if k in eligible and k not in members]
        return members + extra, members

    # -- the answer --------------------------------------------------------------
    def roster_parts(self, solution: RoutingSolution) -> tuple[list[Round], list[Unassigned]]:
        rounds = []
        for route in solution.routes:
            k = route.vehicle
            carer = self.shifts[k][0]
            t, d = self.times[self.profile[k]], self.dists[self.profile[k]]
            prev_point, prev_end = self.start_point[k], route.leave
            stops = []
            for node, start in zip(route.nodes, route.starts, strict=True):
                v = self.node_visit[node]
                pt = self.client_point[v.client_id]
                travel_min, travel_m = int(t[prev_point, pt]), int(d[prev_point, pt])
                stops.append(
                    Stop(
                        visit_id=v.id,
                        arrival=prev_end + travel_min,
                        start=start,
                        end=start + v.duration_min,
                        travel_min=travel_min,
                        travel_m=travel_m,
                    )
                )
                prev_point, prev_end = pt, start + v.duration_min
            home = self.home_point[k]
            rounds.append(
                Round(
                    carer_id=carer.id,
                    day=self.day,
                    stops=tuple(stops),
                    leave=route.leave,
                    back=route.back,
                    return_min=int(t[prev_point, home]),
                    return_m=int(d[prev_point, home]),
                )
            )
        dropped_visits = []
        seen = set()
        for node in solution.dropped:
            v = self.node_visit[node]
            if v.id not in seen:
                seen.add(v.id)
                dropped_visits.append(v)
        unassigned = list(self.unassigned)
        served = {stop.visit_id for r in rounds for stop in r.stops}
        for v in dropped_visits:
            unassigned.append(self._why_dropped(v, served))
        return rounds, unassigned

    def _why_dropped(self, v: Visit, served: set[str]) -> Unassigned:
        for link in self.s.links:
            other = link.second if link.first == v.id else link.first if link.second == v.id else None
            if other is not None and other not in served:
                return Unassigned(
                    visit_id=v.id, reason=Reason.LINKED_VISIT, detail=f"linked visit {other} is not served"
                )
        if v.id in self.cut:
            return Unassigned(
                visit_id=v.id,
                reason=Reason.NO_TIME_LEFT,
                detail="taken off a round that had no room for its 20-minute break",
            )
        if v.carers_required == 2:
            return Unassigned(
                visit_id=v.id,
                reason=Reason.NO_DOUBLE_UP_PARTNER,
                detail="no two suitable carers free at the same time",
            )
        return Unassigned(
            visit_id=v.id, reason=Reason.NO_TIME_LEFT, detail="every suitable carer is busy or out of working time then"
        )
