"""Care teams: before a provider's week is routed, each client gets a small team of carers.

Relationship-centred care means a person sees the same few carers. Routing day by day cannot
promise that: each day's search is free to send anyone. So the week is first cut into teams
(:func:`care_teams`): a CP-SAT assignment over the week's calls and the carers' shifts that

1. covers as many carer-calls as possible with team members who could take them (skills, gender
   preference, prohibitions, a shift that day around the call's window, hours in that part of the
   day and in the week),
2. with at most ``team_cap`` carers per client,
3. preferring carers who know the client (history, last week's roster), who live near the client,
   and filling carers' guaranteed hours before anyone else's.

Week after week (``keep``: last week's teams of the clients whose calls and carers are
unchanged), a client's team is kept as it was (the model may then only choose among its members)
wherever every member is still here and can still take some of the client's calls; the calls it
did not cover last week stay uncovered. Only the other clients are solved afresh, with last week's
members as their strongest candidates.

The days are then routed with each call offered to its client's team first; a call goes to anyone
else only where no team member can take it, and that is reported as a continuity break with its
reason (:func:`continuity_breaks`), never as an unassigned call.

The model is an approximation on purpose: a carer's time is counted per part of the day (a call's
load, its duration plus a travel allowance, against the minutes of the carer's shifts in that
band) and per clock hour (one carer cannot take two 08:00 calls), not routed; the routing that
follows is exact.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from patchplan.core.model import BAND_NAMES, DAY_MIN, Carer, Roster, Scenario, Shift, Visit, band_minutes
from patchplan.geo.travel import TravelModel
from patchplan.solver import _ortools

#: Minutes of travel counted with each call in the team model (the routing measures the real ones).
TRAVEL_ALLOWANCE_MIN = 12
#: Minutes of calls one carer may start in one clock hour (a 30-minute call and a 45-minute one may
#: share an hour at its edges; two 45-minute calls cannot).
HOUR_MIN = 75
#: Share of a carer's shift minutes in a band the team model may fill with calls.
BAND_FILL = 0.8
#: Candidates considered per client besides the carers who know them, and the nearest kept for
#: each call besides.
CANDIDATES = 12
PER_CALL = 2
#: Worth of one carer-call covered by the team: above any change in member scores it could force.
COVER_WEIGHT = 10_000
#: Cost of each team member: a smaller team is better where it covers as much.
MEMBER_COST = 400
#: Score of a member who knows the client, per visit they made (up to five).
KNOWN_SCORE = 60
#: Score lost per minute of travel from the carer's home to the client, for each call they take.
TRAVEL_SCORE = 4
#: Score gained per hour of a carer's guaranteed hours the team's calls fill.
CONTRACT_SCORE = 3
#: Visits a kept team's member counts as having made, for a client whose team is solved again:
#: the most :data:`KNOWN_SCORE` counts, so last week's members outrank anyone else who knows them.
KEPT_VISITS = 5


@dataclass(frozen=True, slots=True)
class CareTeams:
    """Each client's team for the week, and the calls no team member can take."""

    #: client id -> carer ids (at most ``team_cap``), best first.
    teams: Mapping[str, tuple[str, ...]]
    #: visit id -> why no member of the client's team can take it.
    uncovered: Mapping[str, str]
    team_cap: int
    wall_s: float
    #: Clients whose team was kept from last week (``care_teams(keep=...)``) rather than solved.
    kept: frozenset[str] = frozenset()

    def team_of(self, client_id: str) -> frozenset[str]:
        return frozenset(self.teams.get(client_id, ()))


@dataclass(frozen=True, slots=True)
class ContinuityBreak:
    """A served call whose carer is not in the client's team, and why."""

    visit_id: str
    client_id: str
    carer_id: str
    reason: str


def care_teams(
    s: Scenario,
    visits: Sequence[Visit],
    carers: Sequence[Carer],
    travel: TravelModel,
    *,
    team_cap: int = 3,
    known: Mapping[str, Mapping[str, int]] | None = None,
    keep: Mapping[str, Sequence[str]] | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    deterministic: bool = False,
) -> CareTeams:
    """Each client's care team for ``visits`` (one provider's, over several days).

    Parameters
    ----------
    known
        client id -> carer id -> visits they made (history, last week's roster): preferred members.
    keep
        client id -> last week's team, for clients whose calls and carers have not changed (the
        caller knows last week). A client keeps that team (the model chooses only among its
        members) when every member is among ``carers`` with a shift in these days and can take
        one of its calls at least, and the team has at most ``team_cap``; the others are solved
        again, last week's members first.
    time_limit_s
        CP-SAT's budget; it returns its best teams so far.
    deterministic
        Bound CP-SAT by its deterministic time instead (same teams whatever
        the machine's load; used when the plan has a solution budget).
    """
    started = time.perf_counter()
    known = _with_kept(known or {}, keep or {})
    model = _TeamModel(s, visits, carers, travel, known)
    model.fixed = model.keepable(keep or {}, team_cap)
    members, calls, capacity, hint = model.build()
    start_teams, start_calls = greedy_teams(members, calls, capacity, team_cap, hint)
    found = _ortools.solve_teams(
        members,
        calls,
        capacity,
        team_cap=team_cap,
        cover_weight=COVER_WEIGHT,
        time_limit_s=time_limit_s if deterministic else max(0.1, time_limit_s - (time.perf_counter() - started)),
        seed=seed,
        hint=start_teams,
        hint_calls=start_calls,
        deterministic=deterministic,
    )
    if found is None:  # CP-SAT found nothing in time: the greedy teams stand
        found = start_teams, [len(c) >= calls[j][1] for j, c in enumerate(start_calls)]
    teams_idx, covered = found
    teams: dict[str, tuple[str, ...]] = {}
    for i, client_id in enumerate(model.clients):
        chosen = [model.carers[k] for k in teams_idx[i]]
        # Best first: the member who can take most of the client's calls.
        take = {c.id: sum(1 for j in model.calls_of[i] if model.index[c.id] in dict(calls[j][2])) for c in chosen}
        teams[client_id] = tuple(sorted(take, key=lambda c: (-take[c], c)))
    uncovered = {
        model.visits[j].id: model.why_uncovered(j, teams.get(model.visits[j].client_id, ()), team_cap)
        for j, ok in enumerate(covered)
        if not ok
    }
    return CareTeams(
        teams=teams,
        uncovered=uncovered,
        team_cap=team_cap,
        wall_s=time.perf_counter() - started,
        kept=frozenset(model.clients[i] for i in model.fixed),
    )


def _with_kept(known: Mapping[str, Mapping[str, int]], keep: Mapping[str, Sequence[str]]) -> dict[str, dict[str, int]]:
    """``known`` with each kept team's members counted as :data:`KEPT_VISITS` visits at least."""
    out = {client: dict(row) for client, row in known.items()}
    for client, team in keep.items():
        row = out.setdefault(client, {})
        for carer in team:
            row[carer] = max(row.get(carer, 0), KEPT_VISITS)
    return out


def greedy_teams(
    members: Sequence[Sequence[tuple[int, int]]],
    calls: Sequence[tuple[int, int, Sequence[tuple[int, int]], Sequence[tuple[object, int]]]],
    capacity: Mapping[tuple[int, object], int],
    team_cap: int,
    hint: Sequence[Sequence[int]],
) -> tuple[list[list[int]], list[list[int]]]:
    """A feasible start for the team model: clients with the fewest
    candidates first, each taking (known carers first) the candidate who can
    take most of its calls still open within their remaining time, up to
    ``team_cap``. Returns per client its team, per call the carers taking it."""
    left = dict(capacity)
    calls_of: dict[int, list[int]] = defaultdict(list)
    for j, (i, *_rest) in enumerate(calls):
        calls_of[i].append(j)
    taken: list[list[int]] = [[] for _ in calls]
    teams: list[list[int]] = [[] for _ in members]

    def fits(k: int, j: int) -> bool:
        return all(left.get((k, key), amount) >= amount for key, amount in calls[j][3])

    order = sorted(range(len(members)), key=lambda i: (len(members[i]), i))
    for i in order:
        cands = [k for k, _ in members[i]]
        for _ in range(team_cap):
            open_calls = [j for j in calls_of[i] if len(taken[j]) < calls[j][1]]
            if not open_calls:
                break
            gain = {
                k: sum(1 for j in open_calls if k in dict(calls[j][2]) and k not in taken[j] and fits(k, j))
                for k in cands
                if k not in teams[i]
            }
            if not gain or max(gain.values()) == 0:
                break
            best = max(sorted(gain), key=lambda k: (gain[k], k in hint[i], -k))
            teams[i].append(best)
            for j in open_calls:
                if best in dict(calls[j][2]) and best not in taken[j] and fits(best, j):
                    taken[j].append(best)
                    for key, amount in calls[j][3]:
                        if (best, key) in left:
                            left[(best, key)] -= amount
    # A double-up half covered is not covered: give its time back.
    for j, ks in enumerate(taken):
        if 0 < len(ks) < calls[j][1]:
            for k in ks:
                for key, amount in calls[j][3]:
                    if (k, key) in left:
                        left[(k, key)] += amount
            taken[j] = []
    return teams, taken


class _TeamModel:
    """The CP-SAT model's data: who may be in whose team and take which call, and the capacities."""

    def __init__(
        self,
        s: Scenario,
        visits: Sequence[Visit],
        carers: Sequence[Carer],
        travel: TravelModel,
        known: Mapping[str, Mapping[str, int]],
    ) -> None:
        self.s, self.known = s, known
        self.visits = sorted(visits, key=lambda v: v.id)
        self.carers = list(carers)
        self.index = {c.id: k for k, c in enumerate(self.carers)}
        self.clients = sorted({v.client_id for v in self.visits})
        self.client_index = {c: i for i, c in enumerate(self.clients)}
        self.calls_of: list[list[int]] = [[] for _ in self.clients]
        for j, v in enumerate(self.visits):
            self.calls_of[self.client_index[v.client_id]].append(j)
        self.shifts: dict[int, list[Shift]] = defaultdict(list)
        for c in self.carers:
            self.shifts[self.index[c.id]] = sorted(s.shifts_of(c.id), key=lambda sh: sh.start)
        self.minutes = self._travel_minutes(travel)
        self.able_of = [self.able(j) for j in range(len(self.visits))]
        #: client index -> carer indices of a kept team (see :meth:`keepable`).
        self.fixed: dict[int, list[int]] = {}

    def keepable(self, keep: Mapping[str, Sequence[str]], team_cap: int) -> dict[int, list[int]]:
        """client index -> last week's team, for the clients whose team (at most ``team_cap``)
        has every member here and able to take one of their calls at least (skills, preferences,
        a shift around it). Which calls it covers, and time, are left to the model."""
        out: dict[int, list[int]] = {}
        days = {v.day for v in self.visits}
        here = {k for k in range(len(self.carers)) if any(sh.day in days for sh in self.shifts[k])}
        for client_id, team in keep.items():
            i = self.client_index.get(client_id)
            members = [self.index[c] for c in team if self.index.get(c) in here]
            if i is None or not members or len(members) < len(team) or len(members) > team_cap:
                continue  # no calls this week, or a member is off all week or gone: solve it again
            if all(any(k in self.able_of[j] for j in self.calls_of[i]) for k in members):
                out[i] = sorted(members)
        return out

    def _travel_minutes(self, travel: TravelModel) -> np.ndarray:
        """Minutes from each carer's home to each client (by the carer's mode)."""
        out = np.zeros((len(self.carers), len(self.clients)))
        if not self.carers or not self.clients:
            return out
        client_locs = [self.s.client(c).location for c in self.clients]
        by_mode: dict[str, list[int]] = defaultdict(list)
        for k, c in enumerate(self.carers):
            by_mode[c.mode].append(k)
        for mode, ks in by_mode.items():
            points = [self.carers[k].home for k in ks] + client_locs
            t, _ = travel.matrices(points, mode)
            out[ks, :] = t[: len(ks), len(ks) :]
        return out

    def able(self, j: int) -> list[int]:
        """Carers who could take call ``j`` alone: rules of the client and a shift around it."""
        v = self.visits[j]
        client = self.s.client(v.client_id)
        i = self.client_index[v.client_id]
        out = []
        for k, c in enumerate(self.carers):
            if not v.skills <= c.skills or c.id in client.prohibited_carers:
                continue
            if client.gender_preference and c.gender != client.gender_preference:
                continue
            there = int(self.minutes[k, i])
            if any(
                sh.day == v.day and sh.start + there <= v.late and v.early + v.duration_min + there <= sh.end
                for sh in self.shifts[k]
            ):
                out.append(k)
        return out

    def build(
        self,
    ) -> tuple[
        list[list[tuple[int, int]]],
        list[tuple[int, int, list[tuple[int, int]], list[tuple[object, int]]]],
        dict[tuple[int, object], int],
        list[list[int]],
    ]:
        able = self.able_of
        members: list[list[tuple[int, int]]] = []
        hint: list[list[int]] = []
        self.candidates: list[list[int]] = []
        for i, client_id in enumerate(self.clients):
            mine = self.known.get(client_id, {})
            counts: dict[int, int] = defaultdict(int)
            for j in self.calls_of[i]:
                for k in able[j]:
                    counts[k] += 1
            ranked = sorted(counts, key=lambda k: (-counts[k], self.minutes[k, i], k))
            keep = set(ranked[:CANDIDATES]) | {self.index[c] for c in mine if self.index.get(c) in counts}
            # Every call keeps a few who could take it (the top carers may all work mornings).
            for j in self.calls_of[i]:
                near = sorted(able[j], key=lambda k: (self.minutes[k, i], k))
                keep |= set(near[: PER_CALL + self.visits[j].carers_required - 1])
            # A kept team: the model chooses among last week's members only.
            cands = self.fixed.get(i) or sorted(keep)
            self.candidates.append(cands)
            members.append([(k, self._score(k, i, mine)) for k in cands])
            hint.append([self.index[c] for c in sorted(mine, key=lambda c: -mine[c]) if self.index.get(c) in cands][:3])
        calls = []
        for j, v in enumerate(self.visits):
            i = self.client_index[v.client_id]
            cand = set(self.candidates[i])
            load = v.duration_min + TRAVEL_ALLOWANCE_MIN
            hour = (v.target if v.target is not None else v.early) // 60
            # The clock hour: one carer cannot start two calls of 45 minutes in it.
            uses: list[tuple[object, int]] = [
                (("band", v.day, _band(v)), load),
                (("hour", hour), min(v.duration_min, HOUR_MIN)),
                ("week", load),
            ]
            takers = [(k, -TRAVEL_SCORE * int(self.minutes[k, i])) for k in able[j] if k in cand]
            calls.append((i, v.carers_required, takers, uses))
        capacity: dict[tuple[int, object], int] = {}
        for k, c in enumerate(self.carers):
            capacity[(k, "week")] = int(c.max_hours_week * 60 * BAND_FILL)
            for sh in self.shifts[k]:
                base = sh.day * DAY_MIN
                for band, minutes in band_minutes(sh.start - base, sh.end - base).items():
                    key = (k, ("band", sh.day, band))
                    capacity[key] = capacity.get(key, 0) + int(minutes * BAND_FILL)
        for _, _, takers, uses in calls:
            for k, _ in takers:
                capacity.setdefault((k, uses[1][0]), HOUR_MIN)
                capacity.setdefault((k, uses[0][0]), 0)
        return members, calls, capacity, hint

    def _score(self, k: int, i: int, mine: Mapping[str, int]) -> int:
        c = self.carers[k]
        score = KNOWN_SCORE * min(5, mine.get(c.id, 0)) - MEMBER_COST
        # Guaranteed hours: a carer on a contract is worth more to the rota than one on zero hours.
        return score + int(CONTRACT_SCORE * min(c.contracted_hours_week, 40) / 10)

    def why_uncovered(self, j: int, team: Sequence[str], cap: int) -> str:
        v = self.visits[j]
        able = {self.carers[k].id for k in self.able_of[j]}
        if len(able) < v.carers_required:
            return "no carer of the provider can take it (skills, preferences or shifts)"
        if not able & set(team):
            return f"no member of the client's team of {len(team)} can take it (off shift or lacking a skill)"
        if v.carers_required == 2 and len(able & set(team)) < 2:
            return "a double-up needs a second team member on shift"
        return f"the team members' time in that part of the day is full (team cap {cap})"


def _band(v: Visit) -> str:
    start = (v.target if v.target is not None else v.early) - v.day * DAY_MIN
    minutes = band_minutes(start, start + 1)
    return next(iter(minutes), BAND_NAMES[0])


def continuity_breaks(s: Scenario, roster: Roster, teams: CareTeams) -> list[ContinuityBreak]:
    """Served calls whose carer is not in the client's team, with the reason the team could not."""
    out = []
    on_shift: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for sh in s.shifts:
        on_shift[(sh.carer_id, sh.day)].append((sh.start, sh.end))
    for rnd in roster.rounds:
        for stop in rnd.stops:
            v = s.visit(stop.visit_id)
            team = teams.team_of(v.client_id)
            if not team or rnd.carer_id in team:
                continue
            out.append(
                ContinuityBreak(
                    visit_id=v.id,
                    client_id=v.client_id,
                    carer_id=rnd.carer_id,
                    reason=_break_reason(s, v, team, on_shift),
                )
            )
    return out


def _break_reason(
    s: Scenario, v: Visit, team: Iterable[str], on_shift: Mapping[tuple[str, int], list[tuple[int, int]]]
) -> str:
    members = [s.carer(c) for c in team]
    if not any(v.skills <= c.skills for c in members):
        return "team_lacks_skill"
    there = [
        c for c in members if any(a <= v.late and b >= v.early + v.duration_min for a, b in on_shift[(c.id, v.day)])
    ]
    if len(there) < v.carers_required:
        return "team_off_shift"
    return "team_fully_booked"


__all__ = ["CareTeams", "ContinuityBreak", "care_teams", "continuity_breaks"]
