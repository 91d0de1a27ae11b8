"""One provider-day: the domain turned into a routing problem (carer shifts
become vehicles, visit copies become nodes, a double-up two synchronised
nodes), the search passes, and the answer read back as rounds with a reason
for every visit left out."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from patchplan.core.errors import SolverError
from patchplan.core.model import (
    DAY_MIN,
    MODES,
    Carer,
    Location,
    Reason,
    Round,
    Scenario,
    Shift,
    Stop,
    Unassigned,
    Visit,
)
from patchplan.core.params import RoundsParams
from patchplan.geo.travel import TravelModel
from patchplan.rounds.weekfloor import DayBounds
from patchplan.solver import _ortools, timing
from patchplan.solver.construct import greedy_plan
from patchplan.solver.pairs import improve_pairs, insert_pairs, lone_halves
from patchplan.solver.problem import Node, Route, RoutingProblem, RoutingSolution, Sync, Vehicle, Weights
from patchplan.solver.repair import eliminate_routes, repair_routes, trim_route

log = logging.getLogger("patchplan")

#: With care teams, the floor's second coordinator sends a team member who
#: can start up to this many minutes after the soonest carer (inside the
#: window): the call waits a little for someone the client knows.
TEAM_SLACK_MIN = 90
#: Minutes of extra travel a call is worth moving for, into a round of the
#: client's own team (the last step of a day with continuity).
TEAM_WORTH_MIN = 30
#: The share of a day's budget kept for that step (at most TEAM_STEP_MAX_S).
TEAM_STEP_SHARE = 0.08
TEAM_STEP_MAX_S = 3.0
#: Below this many seconds for the day, team first's start is not checked in a
#: child process before the search (about 0.1 s a check, two at most): the
#: search runs in a child of its own, which gives the start back if OR-Tools
#: rejects it or hangs reading it. Measured on a Maldon week at 4 s (0.5 s a
#: day, as in the patch evaluation's full mode): the checks took 0.94 s of
#: the 4 and the plan ran to 4.0-4.5 s.
CHECK_START_MIN_S = 3.0


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


@dataclass(frozen=True, slots=True)
class Slot:
    """One vehicle of the day: a carer's shift as it can be worked today."""

    carer: Carer
    shift: Shift
    #: Earliest departure: the shift's start, later after the rest owed
    #: since yesterday, a break after an adjacent shift, or a re-plan's now.
    start: int
    #: Where the carer sets off from when not home (re-planning), else None.
    at: Location | None
    #: Minutes already worked in this shift (re-planning).
    worked: int
    #: Minutes of the carer's week this shift may use.
    hours_left: int


def day_slots(
    s: Scenario,
    carers: Sequence[Carer],
    day: int,
    week_left: Mapping[str, int],
    not_before: Mapping[str, int],
    starts: Mapping[str, VehicleStart],
    break_min: int,
    reserved: Mapping[tuple[str, int], int] | None = None,
    return_by: Mapping[str, int] | None = None,
) -> list[Slot]:
    """The day's vehicles, one per carer-shift that can still be worked.

    Working-time rules across a carer's shifts of a day: the day begins no
    earlier than ``not_before`` (11 hours after yesterday's last return,
    Working Time Regulations reg. 10); a shift that starts less than a break
    after the carer's previous one ends starts a break later, so two rounds
    back to back never make one stretch of work without a break; and the
    weekly minutes left are shared between the day's shifts in proportion to
    their working limits. A re-plan's start (``starts``: where the carer is
    now) applies to the shift the carer is in; shifts already over drop out.

    The week's floor (:mod:`patchplan.rounds.weekfloor`) may add bounds:
    ``reserved`` ((carer id, shift start) -> minutes) gives a shift at least
    that share of the weekly minutes, and ``return_by`` (carer id -> minute)
    brings a day shift's end forward, so tomorrow's rest still fits.
    """
    reserved = reserved or {}
    return_by = return_by or {}
    out = []
    for c in carers:
        left = week_left.get(c.id, 0)
        if left <= 0:
            continue
        mine = sorted((sh for sh in s.shifts_of(c.id) if sh.day == day), key=lambda sh: sh.start)
        now = starts.get(c.id)
        earliest = max(not_before.get(c.id, 0), now.earliest if now else 0)
        prev_end: int | None = None
        kept: list[tuple[Shift, int]] = []
        for sh in mine:
            start = max(sh.start, earliest)
            if prev_end is not None and sh.start - prev_end < break_min:
                start = max(start, prev_end + break_min)
            prev_end = sh.end
            end = sh.end if night_shift(sh) else min(sh.end, return_by.get(c.id, sh.end))
            if start < end:
                kept.append((sh if end == sh.end else dataclasses.replace(sh, end=end), start))
        shares = _shares(left, [sh.work_limit for sh, _ in kept], [reserved.get((c.id, sh.start), 0) for sh, _ in kept])
        for i, ((sh, start), share) in enumerate(zip(kept, shares, strict=True)):
            # Where the carer is now counts for the shift they are in (or the
            # day's first); a later shift starts from home.
            live = now is not None and i == 0 and (now.earliest >= sh.start or sh.start == mine[0].start)
            out.append(
                Slot(
                    carer=c,
                    shift=sh,
                    start=start,
                    at=now.location if live and now is not None else None,
                    worked=now.worked if live and now is not None else 0,
                    hours_left=share,
                )
            )
    return out


def _shares(left: int, limits: Sequence[int], needs: Sequence[int]) -> list[int]:
    """The carer's weekly minutes left, shared between the day's shifts: each
    gets what it needs (``needs``), and the rest in proportion to the shifts'
    working limits; pro rata alone when the needs do not fit."""
    if len(limits) == 1:
        return [left]
    need = sum(needs)
    if need > left:
        needs, need = [0] * len(limits), 0
    total = sum(limits) or 1
    return [n + int((left - need) * lim / total) for n, lim in zip(needs, limits, strict=True)]


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
        not_before: Mapping[str, int] | None = None,
        initial: Mapping[str, Sequence[str]] | None = None,
        wide: Iterable[str] = (),
        widen_first: bool = False,
        week: DayBounds | None = None,
    ) -> None:
        self.s, self.day, self.p, self.capacity = s, day, p, capacity
        #: Re-planning: a call may run later with its carer before it moves.
        self.widen_first = widen_first
        #: carer id -> visit ids in order: a plan to start from (re-planning).
        self.initial = dict(initial or {})
        self.preferred = dict(preferred or {})
        self.required = required or (lambda _v: None)
        rng = np.random.default_rng(seed)
        starts = starts or {}
        #: The week's floor for today (see rounds.weekfloor): the witness's
        #: rounds for today, and bounds that keep its later days possible
        #: where the day is planned again.
        self.week = week
        if week is not None:
            week_left = week.week_left
        slots = day_slots(
            s,
            carers,
            day,
            week_left,
            not_before or {},
            starts,
            p.break_min,
            reserved=None if week is None else week.reserved,
            return_by=None if week is None else week.return_by,
        )
        order = rng.permutation(len(slots)) if seed else np.arange(len(slots))
        slots = [slots[i] for i in order]
        self.shifts = [(sl.carer, sl.shift) for sl in slots]
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
        self.start_point = [self.home_point[k] if sl.at is None else point(sl.at) for k, sl in enumerate(slots)]
        self.start_min = [sl.start for sl in slots]
        self.worked = [sl.worked for sl in slots]
        #: Minutes of the carer's week each vehicle may use (a carer with two
        #: shifts today shares what is left between them).
        self.hours_left = [sl.hours_left for sl in slots]
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
        self.floor_cut: set[str] = set()
        self.greedy_choice: dict[str, set[int]] = {}
        self.provider, self.travel = provider, travel
        #: Visits the floor plan serves (see :meth:`solve`): the search
        #: never gives one of them up.
        self.floor_served: frozenset[str] = frozenset()
        self.drop_base = drop_base(p, self.visits, self.times)
        self.not_before = dict(not_before or {})
        #: Calls the given plan (``initial``) serves with a preferred carer:
        #: offered only that carer until they are left out (see _allowed).
        self.sticky: set[str] = set()
        #: Team first (RoundsParams.team_first): a fresh plan offers each
        #: call only its preferred carers on shift until the search leaves
        #: it out; re-planning keeps its own rule (the carer before).
        self.team_first = p.team_first and bool(self.preferred) and not self.initial

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
            sh = self.shifts[k][1]
            t = self.times[self.profile[k]]
            there, back = int(t[self.start_point[k], cp]), int(t[cp, self.home_point[k]])
            start = max(v.early, self.start_min[k] + there)
            if (
                start <= v.late
                and start + v.duration_min + back <= sh.end
                and there + v.duration_min + back <= min(sh.work_limit - self.worked[k], self.hours_left[k])
            ):
                stage4.append(k)
        if not stage4:
            hours_out = all(self.hours_left[k] < v.duration_min for k in stage3)
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
        """Plan the day, never serving fewer visits than the floor.

        1. **Floor**: the better of two fast constructions on the full
           windows - the status-quo coordinator's rule run on this very day
           and the vectorised greedy (team members tried first, timing links
           kept) - trimmed to keep the WTR break rule. Its visit count is the
           least this plan will serve, at any budget.
        2. **Search from the floor**: OR-Tools starts from the floor's routes,
           with hard preferred-time windows for the visits the floor serves on
           time (fast), full windows with a lateness cost for those it serves
           late, and the break rule for carers whose floor round is long.
           Teams first (``team_first``), each call is offered only its team
           on shift, and the start is the floor with its calls outside the
           team moved into team rounds (:meth:`_team_start`).
        3. **Relax and repeat**: calls left out are relaxed one step at a
           time - first offered to every eligible carer, then given their
           full window - and carers whose rounds need a break get the rule;
           left-out calls are re-inserted where they fit cheapest before each
           pass. Each pass starts from the previous plan.

        Every plan found is put through the same last steps (a half-served
        double-up is no visit; a round that still breaks the break rule loses
        calls off its end) and scored by :class:`~patchplan.solver.timing.PlanScore`
        (visits left out, then travel, then time off the preferred times);
        the best is returned, so no pass can lose a call another plan served.
        """
        started = time.perf_counter()
        # Continuity's last step (_to_teams) gets its share of the budget up
        # front, so the day as a whole keeps to its limit.
        # Under a solution budget (a deterministic plan) it runs to the end.
        deadline = started + time_limit_s if self.p.solution_limit is None else float("inf")
        if self.preferred:
            time_limit_s -= min(TEAM_STEP_MAX_S, TEAM_STEP_SHARE * time_limit_s)
        floor = self._with_pairs(self._floor())
        self.floor_served = frozenset(self.node_visit[n].id for r in floor.routes for n in r.nodes)
        best = _Best(self, floor, started)
        for k_route in floor.routes:
            for n in k_route.nodes:
                self.greedy_choice.setdefault(self.node_visit[n].id, set()).add(k_route.vehicle)
        self.wide |= self._served_late(floor)
        initial = self._from_plan() if self.initial else None
        problem = self.problem(wide=self.wide, breaks=set())
        if initial is None:
            # Otherwise (re-planning, a template) the search starts from the
            # plan being repaired, each call with its carer, even where it
            # serves fewer calls than the floor: the floor stays the best so
            # far and its calls cost the search more than any change.
            initial = (
                self._team_start(floor, problem, checked=time_limit_s >= CHECK_START_MIN_S)
                if self.team_first
                else self._floor_start(floor, problem)
            )
        budget = time_limit_s - (time.perf_counter() - started)
        solution = self._search(problem, initial, budget * 0.5)
        best.offer(solution, "search 1")
        # OR-Tools can run past its limit (it checks the clock between
        # neighbourhoods, which take seconds on a large day); what it took
        # over is held back from the passes that follow, so the plan as a
        # whole keeps to its limit.
        lag = max(0.0, solution.wall_s - budget * 0.5)
        for _ in range(4):
            # A search that gave nothing says nothing about which calls to
            # relax: relax what the best plan so far leaves out.
            dropped = {self.node_visit[n].id for n in (solution.dropped if solution.routes else best.solution.dropped)}
            if self.widen_first:
                to_widen = dropped - self.wide
                to_open = {d for d in dropped & self.wide if d in self.preferred and d not in self.opened}
            else:
                to_open = {d for d in dropped if d in self.preferred and d not in self.opened}
                to_widen = dropped - to_open - self.wide
            # A linked call can only move if its partner can: widen both.
            to_widen |= self._partners(dropped & (self.wide | to_widen)) - self.wide
            # The break rule is kept by the last steps (a wait at a client's
            # door, a cut as a last resort), not by OR-Tools' break intervals:
            # with them a search cannot start from a plan (it fails at once)
            # and reading a start can hang (measured on a Maldon week).
            if not to_open and not to_widen:
                if self.team_first and not self._allows(problem, best.solution):
                    # The team-held passes never reached the best plan's
                    # count (the floor's, at worst): the last pass improves
                    # that plan, each call offered its floor carer again.
                    self.team_first = False
                    problem = self.problem(wide=self.wide, breaks=set())
                remaining = time_limit_s - (time.perf_counter() - started) - lag
                # Linked pairs get the last tenth (see _improve_pairs).
                best.offer(
                    self._improve(problem, best.solution, remaining * (0.9 if problem.syncs else 1.0)), "improve"
                )
                break
            remaining = time_limit_s - (time.perf_counter() - started) - lag
            if remaining <= 0.05:
                break
            self.opened |= to_open
            self.wide |= to_widen
            problem = self.problem(wide=self.wide, breaks=set())
            # Start from a plan the last steps have made whole (no half-served
            # double-up): OR-Tools can hang reading a start that is not.
            # Repairing a plan, the last pass's plan is the start (each call
            # still with its carer; the calls it left out are open now), not
            # a better plan that moved them.
            repairing = (bool(self.sticky) or self.team_first) and bool(solution.routes)
            base = best.solution if best.better_than(solution) and not repairing else best.post(solution)
            routes = self._routes_of(base)
            limit = remaining * (0.5 if to_open else 0.8)
            solution = self._search(problem, routes, limit)
            best.offer(solution, f"search after relaxing {len(to_open)} + {len(to_widen)} calls")
            lag = max(lag, solution.wall_s - limit)
        self._improve_pairs(best, started + time_limit_s - lag)
        self.cut = best.cut
        return self._to_teams(best.solution, deadline)

    def _to_teams(self, solution: RoutingSolution, deadline: float) -> RoutingSolution:
        """Continuity, last: each call a carer outside the client's team
        serves moves to a team member's round where it fits (windows, shift,
        working time, break rule) for at most :data:`TEAM_WORTH_MIN` minutes
        of extra travel. The search weighs travel only, so it hands calls to
        whoever is nearest; this gives the client's own carers back what
        they can take. Calls served stay served (only moves), single-carer
        calls without a timing link only; it stops at ``deadline``."""
        if not self.preferred or not solution.routes:
            return solution
        problem, times = self._last_problem, self._last_times
        synced = {n for sync in problem.syncs for n in (sync.a, sync.b)}
        by_vehicle = {r.vehicle: r for r in solution.routes}
        worth = TEAM_WORTH_MIN * problem.weights.travel
        carrier = {n: r.vehicle for r in solution.routes for n in r.nodes}
        for n in sorted(carrier):
            if time.perf_counter() > deadline:
                break
            v = self.node_visit[n]
            team = self.preferred.get(v.id)
            k_old = carrier[n]
            if not team or n in synced or self.shifts[k_old][0].id in team:
                continue
            members = [k for k in problem.nodes[n].allowed if self.shifts[k][0].id in team and k != k_old]
            if not members:
                continue
            old = by_vehicle[k_old]
            rest = [m for m in old.nodes if m != n]
            pins = {m: (at, at) for m, at in zip(old.nodes, old.starts, strict=True) if m in synced}
            shrunk = timing.timed_route(problem, k_old, rest, times, pins) if rest else None
            if rest and shrunk is None:
                continue
            if shrunk is not None:
                # Re-timed at earliest starts, the round has lost any wait
                # that was its break: give it back, or leave the call where it is.
                shrunk = self._with_break(shrunk)
                if self._longest_stretch(shrunk) > self.p.break_after_min:
                    continue
            saved = timing.score(problem, [old], times).travel - (
                timing.score(problem, [shrunk], times).travel if shrunk else 0
            )
            move = self._cheapest_insertion(n, members, by_vehicle, synced)
            if move is None or move[0] - saved > worth:
                continue
            by_vehicle[move[1].vehicle] = move[1]
            if shrunk is None:
                del by_vehicle[k_old]
            else:
                by_vehicle[k_old] = shrunk
            carrier[n] = move[1].vehicle
        return RoutingSolution(
            routes=tuple(by_vehicle[k] for k in sorted(by_vehicle)),
            dropped=solution.dropped,
            objective=solution.objective,
            status=solution.status,
            wall_s=solution.wall_s,
        )

    def _cheapest_insertion(
        self, n: int, vehicles: Iterable[int], by_vehicle: Mapping[int, Route], synced: set[int]
    ) -> tuple[int, Route] | None:
        """(added travel, new route) of the cheapest place for node ``n`` in
        one of ``vehicles``' rounds that keeps every rule, or None."""
        problem, times = self._last_problem, self._last_times
        best: tuple[int, Route] | None = None
        for k in vehicles:
            route = by_vehicle.get(k)
            old = list(route.nodes) if route else []
            pins = {m: (at, at) for m, at in zip(old, route.starts, strict=True) if m in synced} if route else {}
            before = timing.score(problem, [route], times).travel if route else 0
            for pos in range(len(old) + 1):
                timed = timing.timed_route(problem, k, old[:pos] + [n] + old[pos:], times, pins)
                if timed is None:
                    continue
                timed = self._with_break(timed)
                if self._longest_stretch(timed) > self.p.break_after_min:
                    continue
                added = timing.score(problem, [timed], times).travel - before
                if best is None or added < best[0]:
                    best = (added, timed)
        return best

    def _with_pairs(self, floor: RoutingSolution) -> RoutingSolution:
        """The floor with the linked pairs it leaves out put back together
        (:func:`~patchplan.solver.pairs.insert_pairs`), through the floor's
        own last steps, when that serves more; the floor as it was otherwise.
        The constructions place a pair together only at the end of two
        rounds; this also finds places between calls."""
        problem, times = self._last_problem, self._last_times
        if not floor.dropped or all(s.both_or_neither for s in problem.syncs):
            return floor
        routes = insert_pairs(problem, floor.routes, times)
        served = {n for r in routes for n in r.nodes}
        repaired = RoutingSolution(
            routes=tuple(routes),
            dropped=tuple(n for n in range(len(problem.nodes)) if n not in served),
            objective=0,
            status="floor",
            wall_s=0.0,
        )
        kept, cut = self.enforce_breaks(self.drop_half_pairs(repaired))
        if timing.score(problem, kept.routes, times).unserved >= timing.score(problem, floor.routes, times).unserved:
            return floor
        log.debug("floor: %d visits put back with their linked partner", len(floor.dropped) - len(kept.dropped))
        self.floor_cut = cut
        return kept

    def _improve_pairs(self, best: _Best, deadline: float) -> None:
        """Linked pairs re-inserted together (:mod:`patchplan.solver.pairs`)
        with what is left of the budget, when the day has any."""
        problem = self._last_problem
        if not problem.syncs or time.perf_counter() > deadline or self.p.solution_limit is not None:
            return
        routes = improve_pairs(problem, best.solution.routes, self._last_times, deadline, best.protected)
        best.offer(
            RoutingSolution(
                routes=tuple(routes),
                dropped=best.solution.dropped,
                objective=best.solution.objective,
                status=best.solution.status,
                wall_s=best.solution.wall_s,
            ),
            "linked pairs",
        )

    def _safe_start(self, problem: RoutingProblem, routes: Sequence[Sequence[int]]) -> list[list[int]]:
        """``routes`` as a start OR-Tools can read: each call on a carer the
        problem allows, each round timed by our own engine (trimmed where it
        is not), no half of a synchronised pair alone. OR-Tools can search
        for a very long time, holding the interpreter, when asked to read a
        start that breaks its model, so nothing else reaches it.

        Only a double-up's half is taken off: one visit of a timing link
        served without its partner breaks nothing (the gap binds only when
        both are served). Taking it off too lost both visits of every such
        pair the start had half-served, and protected ones among them, for
        the whole search (measured on Mankowska 300_1: 5 left-out services
        became 10 in every pass)."""
        times = self._last_times
        out = []
        for k, nodes in enumerate(routes):
            kept = [n for n in nodes if k in problem.nodes[n].allowed]
            if kept and timing.timed_route(problem, k, kept, times) is None:
                kept = trim_route(problem, k, kept)
            out.append(kept)
        alone = lone_halves(problem, {n for r in out for n in r})
        return [[n for n in r if n not in alone] for r in out]

    def _search(self, problem: RoutingProblem, routes: Sequence[Sequence[int]] | None, limit: float) -> RoutingSolution:
        """One OR-Tools search from ``routes`` (from its own start when
        OR-Tools does not accept them: the best plan so far is kept anyway)."""
        p = self.p
        if routes is not None:
            routes = self._safe_start(problem, routes)
        time_limit_s = max(0.01, limit)
        try:
            if p.threads >= 2 and routes is not None and limit >= 2.0:
                return _ortools.solve_routing_twice(
                    problem,
                    initial_routes=routes,
                    second_metaheuristic=p.second_metaheuristic,
                    time_limit_s=time_limit_s,
                    solution_limit=p.solution_limit,
                    first_solution=p.first_solution,
                    metaheuristic=p.metaheuristic,
                )
            return _ortools.solve_routing_isolated(
                problem,
                initial_routes=routes,
                time_limit_s=time_limit_s,
                solution_limit=p.solution_limit,
                first_solution=p.first_solution,
                metaheuristic=p.metaheuristic,
            )
        except SolverError as exc:
            # A start OR-Tools does not accept, or a search stopped at its
            # limit: this pass found nothing better than its start (OR-Tools
            # itself keeps the start then, but a stopped search loses it).
            log.debug("search gave nothing: %s", exc)
            start = None if routes is None else self._timed_start(problem, routes, limit)
            return start or RoutingSolution(
                routes=(), dropped=tuple(range(len(problem.nodes))), objective=0, status="stopped", wall_s=limit
            )

    def _timed_start(
        self, problem: RoutingProblem, routes: Sequence[Sequence[int]], wall_s: float
    ) -> RoutingSolution | None:
        """A start (each round feasible alone, see _safe_start) as a plan: each
        round at its earliest starts, a synchronised node no earlier than its
        partner needs, until every served pair keeps its gap; None if a round
        cannot (OR-Tools' times are then the only ones)."""
        times = self._last_times
        at_least: dict[int, int] = {}
        served = {n for r in routes for n in r}
        syncs = [sy for sy in problem.syncs if sy.a in served and sy.b in served]
        for _ in range(2 * len(syncs) + 2):
            bounds = {n: (max(problem.nodes[n].early, lo), problem.nodes[n].late) for n, lo in at_least.items()}
            timed = [timing.timed_route(problem, k, r, times, bounds) for k, r in enumerate(routes) if r]
            if any(t is None for t in timed):
                return None
            start = {n: at for t in timed if t is not None for n, at in zip(t.nodes, t.starts, strict=True)}
            moved = False
            for sy in syncs:
                if start[sy.b] < start[sy.a] + sy.min_gap:
                    at_least[sy.b], moved = start[sy.a] + sy.min_gap, True
                elif start[sy.b] > start[sy.a] + sy.max_gap:
                    at_least[sy.a], moved = start[sy.b] - sy.max_gap, True
            if not moved:
                return RoutingSolution(
                    routes=tuple(t for t in timed if t is not None),
                    dropped=tuple(n for n in range(len(problem.nodes)) if n not in served),
                    objective=0,
                    status="start",
                    wall_s=wall_s,
                )
        return None

    # -- the floor ---------------------------------------------------------------
    def _floor(self) -> RoutingSolution:
        """The plan this day never falls below: the greedy on the full
        windows, or the coordinator's rule where it serves more visits, each
        trimmed to keep the break rule."""
        problem = self.problem(wide=set(), breaks=set(), open_all=True, floor=True)
        times = timing.int_times(problem)
        candidates = [greedy_plan(problem)]
        # With teams, the coordinator's rule once more, sending a team member
        # whenever one can start inside the call's window (continuity first),
        # kept only where it serves as many calls as the rule itself.
        slacks = [TEAM_SLACK_MIN, None] if self.preferred else [None]
        for slack in slacks:
            coordinator = self._coordinator_routes(problem, times, slack)
            if coordinator is not None:
                candidates.append(coordinator)
        # The status quo's own rounds of the day (the week's floor): with the
        # day's bounds they fit, so the week never falls below the status quo.
        if self.week is not None and self._rule_applies(problem):
            candidates.append(self._as_routes(problem, times, self.week.rounds))
        plans: list[tuple[timing.PlanScore, int, RoutingSolution, set[str]]] = []
        for routes in candidates:
            solution = RoutingSolution(
                routes=tuple(routes), dropped=self._unserved(problem, routes), objective=0, status="floor", wall_s=0.0
            )
            kept, cut = self.enforce_breaks(self.drop_half_pairs(solution))
            plans.append((timing.score(problem, kept.routes, times), len(plans), kept, cut))
        # Coverage decides; on a tie the greedy wins: it tries each client's
        # own carers first, and the search wins the travel back from there.
        score, _, chosen, cut = min(plans, key=lambda x: (x[0].unserved, x[1]))
        log.debug(
            "floor: %d visits unserved (candidate %d)",
            score.unserved,
            next(i for i, x in enumerate(plans) if x[2] is chosen),
        )
        self.floor_cut = cut
        return chosen

    @staticmethod
    def _unserved(problem: RoutingProblem, routes: Iterable[Route]) -> tuple[int, ...]:
        served = {n for r in routes for n in r.nodes}
        return tuple(n for n in range(len(problem.nodes)) if n not in served)

    def _coordinator_routes(
        self, problem: RoutingProblem, times: list[np.ndarray], slack: int | None = None
    ) -> list[Route] | None:
        """The status-quo coordinator's rule (:mod:`patchplan.rounds.statusquo`)
        run on this day, from this plan's state (carers' weekly hours left), as
        routes of ``problem``; each kept only if it keeps every rule of the
        problem. None where the rule does not apply: re-planning once carers are out,
        timing links between visits (the rule ignores them), or a travel
        model the rule cannot use."""
        from patchplan.rounds.statusquo import coordinator_day

        if not self._rule_applies(problem):
            return None
        # Each client's carers so far (the continuity team): the rule's own
        # preference for a familiar carer then keeps the team where it can.
        known: dict[str, set[str]] = defaultdict(set)
        for v in self.visits:
            known[v.client_id] |= set(self.preferred.get(v.id, ()))
        rounds = coordinator_day(
            self.s, self.provider, self.day, self.visits, self.travel, self.week_left, known, self.not_before, slack
        )
        return None if rounds is None else self._as_routes(problem, times, rounds)

    def _rule_applies(self, problem: RoutingProblem) -> bool:
        """Whether the coordinator's rule can plan this day: not when carers
        are already out (re-planning) or visits are linked in time (the rule
        ignores the links)."""
        if any(not s.both_or_neither for s in problem.syncs):
            return False
        return not any(self.worked) and all(sp == hp for sp, hp in zip(self.start_point, self.home_point, strict=True))

    def _as_routes(self, problem: RoutingProblem, times: list[np.ndarray], rounds: Iterable[Round]) -> list[Route]:
        """The coordinator's rounds as routes of ``problem``, each kept only
        if it keeps every rule of the problem."""
        copies: dict[str, list[int]] = defaultdict(list)
        for n, v in enumerate(self.node_visit):
            copies[v.id].append(n)
        out = []
        for rnd in rounds:
            k = self.vehicle_for(rnd.carer_id, rnd.leave, rnd.back)
            if k is None:
                continue
            nodes, starts = [], []
            for stop in rnd.stops:
                free = [n for n in copies.get(stop.visit_id, []) if k in problem.nodes[n].allowed]
                if free:
                    copies[stop.visit_id].remove(free[0])
                    nodes.append(free[0])
                    starts.append(stop.start)
            route = Route(vehicle=k, nodes=tuple(nodes), starts=tuple(starts), leave=rnd.leave, back=rnd.back)
            if nodes and timing.route_fits(problem, route, times):
                out.append(route)
        return out

    def _served_late(self, floor: RoutingSolution) -> set[str]:
        """Visits the floor starts after their preferred time + tolerance:
        the search must give them their full window to keep the floor."""
        late = set()
        for r in floor.routes:
            for n, at in zip(r.nodes, r.starts, strict=True):
                v = self.node_visit[n]
                if v.target is not None and at > v.target + v.tolerance_min:
                    late.add(v.id)
        return late

    def _floor_start(self, floor: RoutingSolution, problem: RoutingProblem) -> list[list[int]] | None:
        """The floor's routes as the first pass's start (None, and OR-Tools'
        own start, in the rare case it does not accept them)."""
        routes = self._routes_of(floor)
        if _ortools.routes_feasible(problem, routes):
            return routes
        log.warning("the floor plan is not accepted by the routing model; searching from OR-Tools' own start")
        return None

    def _team_start(
        self, floor: RoutingSolution, problem: RoutingProblem, *, checked: bool = True
    ) -> list[list[int]] | None:
        """The first pass's start with teams first: the floor's rounds
        without the calls it gives a carer outside the client's team, those
        put back where a team member's round takes them cheapest. The floor
        hands a team member's time to whichever call comes first in the day,
        so a client's later call finds its team booked by other clients'
        (measured on a Maldon week: CP-SAT teams cover 81% of the calls, the
        floor-started search served half in the team); held to the team, the
        search must give each member's time to their own clients first, and
        the calls no member can take are offered everyone in the next pass.

        Unless ``checked``, the repaired start goes to the search as it is
        (see :data:`CHECK_START_MIN_S`)."""
        held = self._safe_start(problem, self._routes_of(floor))
        repaired = repair_routes(problem, held)
        if not checked:
            return repaired
        # OR-Tools reads a start or fails at once (a double-up's pinned time
        # the repair moved): the start without the repair, else its own.
        for routes in (repaired, held):
            if _ortools.routes_feasible(problem, routes):
                return routes
        return None

    @staticmethod
    def _allows(problem: RoutingProblem, solution: RoutingSolution) -> bool:
        """Whether every call of ``solution`` is on a carer ``problem`` offers it."""
        return all(r.vehicle in problem.nodes[n].allowed for r in solution.routes for n in r.nodes)

    def _routes_of(self, solution: RoutingSolution) -> list[list[int]]:
        """Each vehicle's node sequence in ``solution`` (empty where unused)."""
        routes: list[list[int]] = [[] for _ in self.shifts]
        for route in solution.routes:
            routes[route.vehicle] = list(route.nodes)
        return routes

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
        started = time.perf_counter()
        routes = self._safe_start(problem, self._routes_of(solution))
        if self.p.vehicle_fixed_cost:
            routes = eliminate_routes(problem, routes, time.perf_counter() + remaining * 0.1)
            routes = self._eliminate_with_search(problem, routes, time.perf_counter() + remaining * 0.4)
        # In a child process, as every search from a start: reading a start
        # can hold the interpreter for minutes (measured: the floor's rounds
        # of a Maldon day as the start of the last pass, teams first).
        try:
            return _ortools.solve_routing_isolated(
                problem,
                time_limit_s=max(0.05, remaining - (time.perf_counter() - started)),
                initial_routes=routes,
                first_solution=self.p.first_solution,
                metaheuristic=self.p.metaheuristic,
            )
        except SolverError as exc:
            log.debug("the last pass gave nothing: %s", exc)
            return solution

    def _eliminate_with_search(
        self, problem: RoutingProblem, routes: list[list[int]], deadline: float
    ) -> list[list[int]]:
        """Route elimination by search: the shortest route's carer is taken
        off (no time on shift), OR-Tools re-inserts its calls from the other
        routes for a few seconds, and the change is kept only if every call
        is served. Shortest routes are tried in turn until ``deadline``."""
        import dataclasses

        failed: set[int] = set()
        while True:
            left = deadline - time.perf_counter()
            used = [k for k, r in enumerate(routes) if r and k not in failed]
            if left < 0.5 or len(used) < 2:
                return routes
            k = min(used, key=lambda j: (len(routes[j]), j))
            off = dataclasses.replace(problem.vehicles[k], end=problem.vehicles[k].start, max_work=0)
            without_k = dataclasses.replace(
                problem, vehicles=tuple(off if j == k else v for j, v in enumerate(problem.vehicles))
            )
            start = [[] if j == k else list(r) for j, r in enumerate(routes)]
            try:
                found = _ortools.solve_routing(
                    without_k,
                    time_limit_s=min(left, max(1.0, left / 3)),
                    initial_routes=start,
                    first_solution=self.p.first_solution,
                    metaheuristic=self.p.metaheuristic,
                )
            except SolverError:
                failed.add(k)
                continue
            if found.dropped:
                failed.add(k)
                continue
            routes = [[] for _ in routes]
            for r in found.routes:
                routes[r.vehicle] = list(r.nodes)

    def _from_plan(self) -> list[list[int]] | None:
        """Routes of the given plan as a feasible start: each carer's visits in
        their old order, trimmed where they no longer fit, then the rest
        inserted where they fit cheapest."""
        problem = self.problem(wide=self.wide, breaks=set())
        copies: dict[str, list[int]] = defaultdict(list)
        for n, v in enumerate(self.node_visit):
            copies[v.id].append(n)
        routes: list[list[int]] = [[] for _ in self.shifts]
        used: set[int] = set()
        visit = {v.id: v for v in self.visits}
        for carer, visit_ids in self.initial.items():
            for vid in visit_ids:
                call = visit.get(vid)
                k = None if call is None else self.vehicle_for(carer, call.early, call.late + call.duration_min)
                if k is None:
                    continue
                free = [n for n in copies.get(vid, []) if n not in used and k in problem.nodes[n].allowed]
                if free:
                    routes[k].append(free[0])
                    used.add(free[0])
        routes = [trim_route(problem, k, r) for k, r in enumerate(routes)]
        repaired = repair_routes(problem, routes)
        # An insertion the routing model does not accept (measured: a linked
        # call, a holiday week) costs the repair, not the whole plan.
        if _ortools.routes_feasible(problem, repaired):
            routes = repaired
        elif not _ortools.routes_feasible(problem, routes):
            return None
        self.sticky = {
            self.node_visit[n].id
            for k, r in enumerate(routes)
            for n in r
            if self.shifts[k][0].id in self.preferred.get(self.node_visit[n].id, ())
        }
        return routes

    def vehicle_for(self, carer_id: str, lo: int, hi: int) -> int | None:
        """The vehicle of ``carer_id`` (one per shift today) whose working
        time overlaps [lo, hi] most, or None when the carer has none today."""
        mine = [k for k, (c, _) in enumerate(self.shifts) if c.id == carer_id]
        if not mine:
            return None
        return max(mine, key=lambda k: (min(self.shifts[k][1].end, hi) - max(self.start_min[k], lo), -k))

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

    def _longest_stretch(self, route: Route) -> int:
        """Longest stretch of work (minutes) between idle gaps of at least
        ``break_min``; 0 for night shifts and rounds within the limit. A
        carer already out (re-planning) brings the minutes worked so far into
        the first stretch: the checker counts the whole day, and without a
        break on record they may all be one stretch."""
        sh = self.shifts[route.vehicle][1]
        carried = self.worked[route.vehicle]
        if night_shift(sh) or route.back - route.leave + carried <= self.p.break_after_min:
            return 0
        return timing.longest_stretch(self._last_problem, route, self._last_times, self.p.break_min, carried)

    def enforce_breaks(self, solution: RoutingSolution) -> tuple[RoutingSolution, set[str]]:
        """Last resort: take visits off the end of a round that still breaks
        the break rule (and the partner copy of a double-up) until it keeps
        it; they are reported unassigned (returned: the visits cut). Rare:
        the passes plan breaks."""
        routes = [self._with_break(r) for r in solution.routes]
        dropped = set(solution.dropped)
        cut_visits: set[str] = set()
        for _ in range(sum(len(r.nodes) for r in routes) + 1):
            bad = [i for i, r in enumerate(routes) if self._longest_stretch(r) > self.p.break_after_min]
            if not bad:
                break
            i = bad[0]
            v = self._visit_to_cut(routes[i])
            cut = {n for n, w in enumerate(self.node_visit) if w.id == v.id}
            cut_visits.add(v.id)
            dropped |= cut
            routes = [r for r in (self._without(r, cut) for r in routes) if r is not None]
        routes, placed = self._reinsert(routes, cut_visits)
        cut_visits -= placed
        dropped -= {n for n, w in enumerate(self.node_visit) if w.id in placed}
        kept = RoutingSolution(
            routes=tuple(routes),
            dropped=tuple(sorted(dropped)),
            objective=solution.objective,
            status=solution.status,
            wall_s=solution.wall_s,
        )
        return kept, cut_visits

    def _reinsert(self, routes: list[Route], visit_ids: set[str]) -> tuple[list[Route], set[str]]:
        """Put calls cut for a break back where they fit cheapest and the
        round can still take its break (single-carer calls with no timing
        link; a double-up or a linked call stays out). Returns the routes and
        the calls placed."""
        problem = self._last_problem
        synced = {n for sync in problem.syncs for n in (sync.a, sync.b)}
        by_vehicle = {r.vehicle: r for r in routes}
        placed: set[str] = set()
        for vid in sorted(visit_ids):
            nodes = [n for n, w in enumerate(self.node_visit) if w.id == vid]
            if len(nodes) != 1 or nodes[0] in synced:
                continue
            best = self._cheapest_insertion(nodes[0], problem.nodes[nodes[0]].allowed, by_vehicle, synced)
            if best is not None:
                by_vehicle[best[1].vehicle] = best[1]
                placed.add(vid)
        return [by_vehicle[k] for k in sorted(by_vehicle)], placed

    def _visit_to_cut(self, route: Route) -> Visit:
        """The call to take off a round that cannot keep the break rule: the
        latest one (not served by the floor, if any such will do) whose
        removal lets the round take its break; else its last call."""
        order = sorted(
            range(len(route.nodes)),
            key=lambda i: (self.node_visit[route.nodes[i]].id in self.floor_served, -i),
        )
        for i in order:
            v = self.node_visit[route.nodes[i]]
            rest = self._without(route, {n for n in route.nodes if self.node_visit[n].id == v.id})
            if rest is not None and self._longest_stretch(self._with_break(rest)) <= self.p.break_after_min:
                return v
        return self.node_visit[route.nodes[-1]]

    def _with_break(self, route: Route) -> Route:
        """The round re-timed to take its breaks at a client's door when it
        needs one and has the slack (see :func:`timing.retime_with_breaks`);
        as it was otherwise."""
        if self._longest_stretch(route) <= self.p.break_after_min:
            return route
        fixed = {n for sync in self._last_problem.syncs for n in (sync.a, sync.b)}
        retimed = timing.retime_with_breaks(
            self._last_problem, route, self._last_times, self.p.break_after_min, self.p.break_min, fixed
        )
        return route if retimed is None else retimed

    def _without(self, route: Route, cut: set[int]) -> Route | None:
        return timing.without(self._last_problem, route, cut, self._last_times)

    def problem(
        self, *, wide: set[str], breaks: set[int], open_all: bool = False, floor: bool = False
    ) -> RoutingProblem:
        """The routing problem. Visits in ``wide`` get their full window with
        a lateness cost; the others a hard window of preferred time +-
        tolerance. Vehicles in ``breaks`` get the WTR break rule. ``floor``:
        every visit may start from its preferred time - tolerance to the end
        of its window (what a coordinator books; the floor's constructions)."""
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
            held = v.id in self.sticky or self.team_first
            relaxed = open_all or v.id in self.opened or (v.id in wide and not held)
            offered = self._allowed(v, el.vehicles, relaxed=relaxed)
            if offered is None:
                self.unassigned.append(
                    Unassigned(
                        visit_id=v.id,
                        reason=Reason.CONTINUITY_CAP,
                        detail=f"none of the client's {self.p.team_cap} carers can take it and the cap is hard",
                    )
                )
                continue
            penalty = self.drop_base + p.drop_per_care_minute * v.duration_min
            if v.id in self.floor_served:
                # No exchange of other visits can be worth dropping one the
                # floor serves: its penalty exceeds all the others together.
                penalty += self.drop_base * (len(self.visits) + 1)
            first_node[v.id] = len(nodes)
            soft = floor or v.id in wide
            early, late = v.early, v.late
            if v.target is not None and (floor or not soft):
                early = max(v.early, v.target - v.tolerance_min)
            if v.target is not None and not soft:
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
                    max_work=max(0, min(sh.work_limit - self.worked[k], self.hours_left[k])),
                    break_after=None if night_shift(sh) or k not in breaks else p.break_after_min,
                    break_min=p.break_min,
                    fixed_cost=p.vehicle_fixed_cost,
                    capacity=self.capacity,
                )
            )
        balance = None
        if p.balance_weight and vehicles:
            balance = max(1, math.ceil(len(nodes) / len(vehicles)))
        problem = RoutingProblem(
            nodes=tuple(nodes),
            vehicles=tuple(vehicles),
            times=tuple(self.times),
            distances=tuple(self.dists),
            syncs=tuple(syncs),
            # Span and balance costs make OR-Tools schedule every route with an
            # LP, which slows the search badly; they are on only when asked.
            weights=Weights(
                p.travel_weight, p.late_weight, p.early_weight, p.span_weight, p.balance_weight, p.continuity_weight
            ),
            balance_visits=balance,
        )
        self._last_problem, self._last_times = problem, timing.int_times(problem)
        return problem

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
        if v.id in self.sticky or self.team_first:
            return members, members
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


def drop_base(p: RoundsParams, visits: Sequence[Visit], times: Sequence[np.ndarray]) -> int:
    """The cost of leaving a visit out (before its per-care-minute part).

    It must exceed anything dropping one visit could save, so that a visit
    any carer can take is never left out to cut travel or lateness: at most
    the round trip to it (``travel_weight`` x twice the longest journey),
    the lateness and earliness it causes every other visit copy
    (``max(late_weight, early_weight)`` x its duration and that round trip,
    for each copy), span and balance terms, a carer's fixed cost, and the
    per-care-minute part of any other visit (so two short visits are never
    dropped to keep one long one). ``RoundsParams.drop_penalty`` is a floor
    under it.
    """
    if not visits:
        return p.drop_penalty
    longest = max((int(t.max()) for t in times if t.size), default=0)
    duration = max(v.duration_min for v in visits)
    copies = sum(v.carers_required for v in visits)
    shift = duration + 2 * longest
    saving = (
        p.travel_weight * 2 * longest
        + copies * max(p.late_weight, p.early_weight) * shift
        + p.span_weight * shift
        + p.balance_weight * copies
        + p.vehicle_fixed_cost
    )
    return max(p.drop_penalty, saving + p.drop_per_care_minute * duration + 1)


class _Best:
    """The best plan of a day so far, by :class:`~patchplan.solver.timing.PlanScore`.

    Every plan offered goes through the same last steps as the answer (a
    half-served double-up is no visit; a round over the break rule loses
    calls off its end) before it is scored, so what is kept is what the
    roster will hold. Scores are taken on the floor's problem (same nodes,
    targets and weights in every pass)."""

    def __init__(self, builder: _DayBuilder, floor: RoutingSolution, started: float | None = None) -> None:
        self.builder = builder
        #: When the day's planning began (for the log of each pass).
        self.started = time.perf_counter() if started is None else started
        self.problem = builder._last_problem
        self.times = timing.int_times(self.problem)
        self.solution, self.cut = floor, set(builder.floor_cut)
        self.protected = frozenset(builder.node_visit[n].id for r in floor.routes for n in r.nodes)
        self.score = timing.score(self.problem, floor.routes, self.times, self.protected)
        log.debug("floor at %.1f s: score %s", time.perf_counter() - self.started, self.score)

    def _post(self, solution: RoutingSolution) -> tuple[RoutingSolution, set[str], timing.PlanScore]:
        kept, cut = self.builder.enforce_breaks(self.builder.drop_half_pairs(solution))
        return kept, cut, timing.score(self.problem, kept.routes, self.times, self.protected)

    def post(self, solution: RoutingSolution) -> RoutingSolution:
        """``solution`` after the last steps."""
        return self._post(solution)[0]

    def offer(self, solution: RoutingSolution, label: str = "plan") -> None:
        kept, cut, score = self._post(solution)
        better = score < self.score
        # Counts and scores only (no personal data): where a day's coverage
        # and time go, pass by pass (benchmarks/hhcrsp.py --log-passes).
        log.debug(
            "%s at %.1f s: serves %d visits (the raw search %d), score %s: %s",
            label,
            time.perf_counter() - self.started,
            len({self.problem.nodes[n].key for n in range(len(self.problem.nodes))}) - score.unserved,
            len({self.problem.nodes[n].key for r in solution.routes for n in r.nodes}),
            score,
            "kept" if better else "not kept",
        )
        if better:
            self.solution, self.cut, self.score = kept, cut, score

    def better_than(self, solution: RoutingSolution) -> bool:
        """Whether the best so far beats ``solution`` (after the last steps)."""
        return self.score < self._post(solution)[2]
