"""The status quo: rounds a care coordinator could have made by hand.

Every claim of "x% less travel" is measured against this roster, so it
follows a plain, documented rule that is neither random nor deliberately
bad. For each provider and day, visits are taken in order of preferred
start time, and each goes to an eligible carer (skills, gender preference,
not prohibited, hours left this week) who can start it soonest:

- a carer starts a visit at the earliest of: when they can arrive, the
  window's opening, and ``tolerance`` before the preferred time (a
  coordinator books calls near the time the client expects);
- among carers who can start within :data:`FAMILIAR_SLACK_MIN` of the
  soonest, one who has visited the client before this week wins; ties go
  to the carer with the shortest journey;
- a double-up goes to the two soonest carers, starting together;
- a carer who would work more than 6 hours since their last rest of 20
  minutes takes a 20-minute break first (night shifts excepted);
- a carer with two shifts in a day (a split shift) has a round in each,
  sharing their week's hours; nobody sets off less than 11 hours after
  their last return home (Working Time Regulations reg. 10);
- a visit no carer can reach inside its window, inside their shift and
  working-time limits, is left unassigned with the reason.

Travel comes from the scenario's travel model, exactly as the independent
checker recomputes it.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from patchplan.core.model import Client, Reason, Roster, Round, Scenario, Stop, Unassigned, Visit
from patchplan.geo.travel import GeodesicTravel, default_travel

#: A familiar carer wins if they can start within this many minutes of the soonest.
FAMILIAR_SLACK_MIN = 15
#: Working Time Regulations: a rest break of 20 minutes in a day over 6 hours.
BREAK_AFTER_MIN = 6 * 60
BREAK_MIN = 20
#: Working Time Regulations reg. 10: 11 hours' rest between working days.
REST_MIN = 11 * 60


def status_quo_roster(s: Scenario, travel: GeodesicTravel | None = None) -> Roster:
    """The greedy coordinator's roster for every provider and day."""
    travel = travel or default_travel(dict(s.settings))
    by_provider: dict[str, list[Visit]] = defaultdict(list)
    placed = {p.id: p.provider_id for p in s.packages if p.status == "placed" and p.provider_id}
    for v in s.visits:
        if v.package_id in placed:
            by_provider[placed[v.package_id]].append(v)
    rounds: list[Round] = []
    unassigned: list[Unassigned] = []
    for pid in sorted(by_provider):
        r, u = _Week(s, pid, travel).plan(by_provider[pid])
        rounds += r
        unassigned += u
    return Roster(rounds=tuple(rounds), unassigned=tuple(unassigned), meta=(("made_by", "status quo greedy rule"),))


def coordinator_week(
    s: Scenario,
    provider: str,
    visits: Iterable[Visit],
    travel: object,
    week_left: Mapping[str, int] | None = None,
    not_before: Mapping[str, int] | None = None,
) -> list[Round] | None:
    """The coordinator's rounds for one provider's ``visits`` over their
    days: from a fresh week (every carer's weekly hours, no rest owed), the
    status quo on exactly these calls; or from a plan's state part-way
    through the week (each carer's weekly minutes left, the earliest minute
    they may set off). None when ``travel`` cannot be asked point-to-many
    (see :func:`coordinator_day`)."""
    if not hasattr(travel, "from_point"):
        return None
    week = _Week(s, provider, travel)  # type: ignore[arg-type]
    if week_left is not None:
        week.start_from(week_left, not_before or {})
    rounds, _ = week.plan(list(visits))
    return rounds


def coordinator_day(
    s: Scenario,
    provider: str,
    day: int,
    visits: Iterable[Visit],
    travel: object,
    week_left: Mapping[str, int],
    known: Mapping[str, Iterable[str]] | None = None,
    not_before: Mapping[str, int] | None = None,
    familiar_slack: int | None = None,
) -> list[Round] | None:
    """The coordinator's rounds for one provider-day, from a given state
    (each carer's weekly minutes left; ``known``: client id -> the carers
    who have seen them, whom the rule prefers when they can start within
    :data:`FAMILIAR_SLACK_MIN` of the soonest): the floor the rounds engine
    never falls below. None when ``travel`` cannot be asked point-to-many
    (the rule needs :meth:`GeodesicTravel.from_point`)."""
    if not hasattr(travel, "from_point"):
        return None
    week = _Week(s, provider, travel)  # type: ignore[arg-type]
    week.start_from(week_left, not_before or {})
    if familiar_slack is not None:
        week.familiar_slack = familiar_slack
    for client_id, carers in (known or {}).items():
        for carer in carers:
            if carer in week.index:
                week.seen[client_id][week.index[carer]] += 1
    rounds, _ = week.day(day, sorted((v for v in visits if v.day == day), key=lambda v: (v.preferred, v.id)))
    return rounds


class _Week:
    """One provider's week, day by day; carer state is kept in arrays so
    each visit compares all carers at once."""

    def __init__(self, s: Scenario, pid: str, travel: GeodesicTravel) -> None:
        self.s = s
        self.travel = travel
        self.carers = s.carers_of(pid)
        c = self.carers
        self.n = len(c)
        self.index = {x.id: i for i, x in enumerate(c)}
        self.home_lat = np.array([x.home.lat for x in c])
        self.home_lon = np.array([x.home.lon for x in c])
        self.home_urban = np.array([x.home.urban for x in c])
        self.modes = np.array([x.mode for x in c])
        self.gender = np.array([x.gender for x in c])
        self.week_left = np.array([x.max_hours_week * 60 for x in c], dtype=np.int64)
        #: Each carer's earliest departure: 11 hours after their last return.
        self.rest_until = np.zeros(self.n, dtype=np.int64)
        self.familiar_slack = FAMILIAR_SLACK_MIN
        self._skill_masks: dict[frozenset[str], np.ndarray] = {}
        self._back: dict[str, np.ndarray] = {}
        self.seen: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))

    def start_from(self, week_left: Mapping[str, int], not_before: Mapping[str, int]) -> None:
        """A plan's state part-way through the week: each carer's weekly
        minutes left and the earliest minute they may set off."""
        self.week_left = np.array([week_left.get(c.id, 0) for c in self.carers], dtype=np.int64)
        self.rest_until = np.array([not_before.get(c.id, 0) for c in self.carers], dtype=np.int64)

    def skilled(self, skills: frozenset[str]) -> np.ndarray:
        if skills not in self._skill_masks:
            self._skill_masks[skills] = np.array([skills <= x.skills for x in self.carers], dtype=bool)
        return self._skill_masks[skills]

    def from_client(
        self, client: Client, lat: np.ndarray, lon: np.ndarray, urban: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minutes and metres between a client and each carer's point, by
        each carer's mode (travel is symmetric in the default model)."""
        return self.travel.from_point(client.location, lat, lon, urban, self.modes)

    def back_home(self, client: Client) -> np.ndarray:
        if client.id not in self._back:
            self._back[client.id] = self.from_client(client, self.home_lat, self.home_lon, self.home_urban)[0]
        return self._back[client.id]

    def plan(self, visits: list[Visit]) -> tuple[list[Round], list[Unassigned]]:
        for client in {self.s.client(v.client_id) for v in visits}:
            for carer, count in client.history:
                if carer in self.index:
                    self.seen[client.id][self.index[carer]] += count
        by_day: dict[int, list[Visit]] = defaultdict(list)
        for v in visits:
            by_day[v.day].append(v)
        rounds: list[Round] = []
        unassigned: list[Unassigned] = []
        for day in sorted(by_day):
            r, u = self.day(day, sorted(by_day[day], key=lambda v: (v.preferred, v.id)))
            rounds += r
            unassigned += u
        return rounds, unassigned

    def slots(self, day: int) -> tuple[np.ndarray, list[tuple[int, int, int, bool]]]:
        """The day's carer-shifts: slot -> carer index, and per slot (earliest
        departure, end, working limit, night). A carer may have several
        shifts a day (a split shift); the day starts no earlier than 11 hours
        after their last return (Working Time Regulations reg. 10), and a
        shift that starts less than a break after the previous one ends
        starts a break later (two rounds back to back would be one stretch)."""
        carer_of: list[int] = []
        info: list[tuple[int, int, int, bool]] = []
        for i, c in enumerate(self.carers):
            prev_end: int | None = None
            for sh in sorted((x for x in self.s.shifts_of(c.id) if x.day == day), key=lambda x: x.start):
                start = max(sh.start, int(self.rest_until[i]))
                if prev_end is not None and sh.start - prev_end < BREAK_MIN:
                    start = max(start, prev_end + BREAK_MIN)
                prev_end = sh.end
                if start < sh.end:
                    carer_of.append(i)
                    # Night shifts: the carer rests at the client's home.
                    info.append((start, sh.end, sh.work_limit, sh.end > (day + 1) * 24 * 60))
        return np.array(carer_of, dtype=np.int64), info

    def day(self, day: int, visits: list[Visit]) -> tuple[list[Round], list[Unassigned]]:
        ci, info = self.slots(day)
        n = len(ci)
        on = np.ones(n, dtype=bool)
        sh_start = np.array([x[0] for x in info], dtype=np.int64)
        sh_end = np.array([x[1] for x in info], dtype=np.int64)
        limit = np.array([x[2] for x in info], dtype=np.int64)
        night = np.array([x[3] for x in info], dtype=bool)
        modes, gender = self.modes[ci], self.gender[ci]
        started = np.zeros(n, dtype=bool)
        # End of each slot's last rest (leaving home counts as one).
        rest_end = np.zeros(n, dtype=np.int64)
        t_free = sh_start.copy()
        leave = np.zeros(n, dtype=np.int64)
        # Minutes out so far per slot, and per carer today (their slots share the week's minutes).
        out_now = np.zeros(n, dtype=np.int64)
        used_today = np.zeros(self.n, dtype=np.int64)
        pos_lat, pos_lon, pos_urban = self.home_lat[ci], self.home_lon[ci], self.home_urban[ci]
        stops: dict[int, list[Stop]] = defaultdict(list)
        last_client: dict[int, Client] = {}
        unassigned: list[Unassigned] = []
        for v in visits:
            client = self.s.client(v.client_id)
            skilled = self.skilled(v.skills)[ci]
            ok = on & skilled
            if client.gender_preference:
                ok &= gender == client.gender_preference
            for carer in client.prohibited_carers:
                if carer in self.index:
                    ok &= ci != self.index[carer]
            if not ok.any():
                unassigned.append(_why_not(v, on, skilled, client.gender_preference, gender))
                continue
            t_min, t_m = self.travel.from_point(client.location, pos_lat, pos_lon, pos_urban, modes)
            back_min = self.back_home(client)[ci]
            left = self.week_left[ci] - (used_today[ci] - out_now)
            wanted = max(v.early, v.preferred - v.tolerance_min)
            arrival = np.where(started, t_free + t_min, np.maximum(sh_start + t_min, wanted))
            start = np.maximum(arrival, wanted)
            lv = np.where(started, leave, arrival - t_min)
            rested = np.where(started, rest_end, lv)
            natural = start - arrival >= BREAK_MIN
            rested = np.where(natural, start, rested)
            due = started & ~night & (start + v.duration_min + back_min - rested > BREAK_AFTER_MIN)
            start = np.where(due, np.maximum(start, arrival + BREAK_MIN), start)
            # A first visit that would open a stretch over 6 hours: leave 20
            # minutes earlier and rest at the door (if the shift allows).
            due0 = ~started & ~night & (start + v.duration_min + back_min - lv > BREAK_AFTER_MIN)
            arrival = np.where(due0, np.minimum(arrival, start - BREAK_MIN), arrival)
            lv = np.where(due0, arrival - t_min, lv)
            ok &= ~due0 | (lv >= sh_start)
            back = start + v.duration_min + back_min
            ok &= (start <= v.late) & (back <= sh_end) & (back - lv <= limit) & (back - lv <= left)
            self._rested = np.where(started, rest_end, lv)
            self._left = left
            chosen = self.choose(v, client, np.flatnonzero(ok), start, arrival, lv, back_min, sh_end, limit, t_min, ci)
            if not chosen:
                double = v.carers_required == 2 and ok.any()
                unassigned.append(
                    Unassigned(
                        visit_id=v.id,
                        reason=Reason.NO_DOUBLE_UP_PARTNER if double else Reason.NO_TIME_LEFT,
                        detail="status quo: no second carer free at the same time"
                        if double
                        else "status quo: no carer could fit it in",
                    )
                )
                continue
            for i, st in chosen:
                if not started[i]:
                    started[i] = True
                    leave[i] = arrival[i] - t_min[i]
                    rest_end[i] = leave[i]
                if st - arrival[i] >= BREAK_MIN:
                    rest_end[i] = st
                stops[i].append(
                    Stop(
                        visit_id=v.id,
                        arrival=int(arrival[i]),
                        start=st,
                        end=st + v.duration_min,
                        travel_min=int(t_min[i]),
                        travel_m=int(t_m[i]),
                    )
                )
                t_free[i] = st + v.duration_min
                pos_lat[i], pos_lon[i], pos_urban[i] = client.location.lat, client.location.lon, client.location.urban
                last_client[i] = client
                self.seen[client.id][int(ci[i])] += 1
                now = int(t_free[i] + back_min[i] - leave[i])
                used_today[ci[i]] += now - out_now[i]
                out_now[i] = now
        rounds = []
        for i in sorted(stops):
            k = int(ci[i])
            home = self.carers[k].home
            last = last_client[i].location
            mins, metres = self.travel.from_point(
                home, np.array([last.lat]), np.array([last.lon]), np.array([last.urban]), self.carers[k].mode
            )
            back = int(t_free[i] + mins[0])
            self.week_left[k] -= back - int(leave[i])
            self.rest_until[k] = max(int(self.rest_until[k]), back + REST_MIN)
            rounds.append(
                Round(
                    carer_id=self.carers[k].id,
                    day=day,
                    stops=tuple(stops[i]),
                    leave=int(leave[i]),
                    back=back,
                    return_min=int(mins[0]),
                    return_m=int(metres[0]),
                )
            )
        return rounds, unassigned

    def choose(
        self,
        v: Visit,
        client: Client,
        feasible: np.ndarray,
        start: np.ndarray,
        arrival: np.ndarray,
        leave: np.ndarray,
        back_min: np.ndarray,
        sh_end: np.ndarray,
        limit: np.ndarray,
        travel: np.ndarray,
        carer_of: np.ndarray,
    ) -> list[tuple[int, int]]:
        """(slot, start) for the carer-shift or pair that takes ``v``: soonest
        start, then shortest travel (a coordinator sends the nearest); two
        slots of one carer are never a pair."""
        if len(feasible) < v.carers_required:
            return []
        order = feasible[np.lexsort((feasible, travel[feasible], start[feasible]))]
        if v.carers_required == 1:
            best = start[order[0]]
            seen = self.seen[client.id]
            close = [int(i) for i in order if start[i] <= best + self.familiar_slack]
            pick = min(close, key=lambda i: (-seen.get(int(carer_of[i]), 0), start[i], travel[i], i))
            return [(pick, int(start[pick]))]
        # Double-up: the first pair (by start) that can both start together.
        for a in range(len(order)):
            for b in range(a + 1, len(order)):
                i, j = int(order[a]), int(order[b])
                if carer_of[i] == carer_of[j]:
                    continue
                together = int(max(start[i], start[j]))
                back_ok = all(
                    together + v.duration_min + back_min[k]
                    <= min(sh_end[k], leave[k] + limit[k], leave[k] + self._left[k])
                    and (
                        together - arrival[k] >= BREAK_MIN
                        or together + v.duration_min + back_min[k] - self._rested[k] <= BREAK_AFTER_MIN
                    )
                    for k in (i, j)
                )
                if together <= v.late and back_ok:
                    return [(i, together), (j, together)]
        return []


def _why_not(v: Visit, on: np.ndarray, skilled: np.ndarray, pref: str | None, gender: np.ndarray) -> Unassigned:
    if not on.any():
        return Unassigned(visit_id=v.id, reason=Reason.NO_CARER_ON_SHIFT, detail="no carer on shift that day")
    if not (on & skilled).any():
        return Unassigned(
            visit_id=v.id,
            reason=Reason.NO_SKILLED_CARER,
            detail=f"no carer on shift holds {', '.join(sorted(v.skills))}",
        )
    if pref and not (on & skilled & (gender == pref)).any():
        return Unassigned(visit_id=v.id, reason=Reason.GENDER_PREFERENCE, detail=f"no {pref} carer with the skills")
    return Unassigned(visit_id=v.id, reason=Reason.PROHIBITED, detail="every suitable carer is prohibited")


def with_history(s: Scenario, roster: Roster, keep: int = 3) -> Scenario:
    """The scenario with each client's history set from a roster: the
    ``keep`` carers who visited them most, with their visit counts."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    client_of = {v.id: v.client_id for v in s.visits}
    for rnd in roster.rounds:
        for stop in rnd.stops:
            counts[client_of[stop.visit_id]][rnd.carer_id] += 1
    clients = []
    for c in s.clients:
        seen = sorted(counts.get(c.id, {}).items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
        clients.append(c if not seen else _replace_history(c, tuple(seen)))
    return s.replace(clients=tuple(clients))


def _replace_history(c: Client, history: tuple[tuple[str, int], ...]) -> Client:
    return dataclasses.replace(c, history=history)


def consecutive_distance_miles(s: Scenario, roster: Roster) -> float:
    """Mean road miles between consecutive visits of a round (home legs
    excluded), the figure UK studies of care rounds report."""
    legs = [stop.travel_m for rnd in roster.rounds for stop in rnd.stops[1:]]
    return float(np.mean(legs)) / 1609.344 if legs else 0.0


def status_quo_for(s: Scenario, provider: str, days: Iterable[int] | None = None) -> Roster:
    """The scenario's status-quo roster restricted to one provider and days
    (all days by default), ready to be scored beside our plan."""
    sq = s.status_quo or Roster()
    wanted = set(range(s.days)) if days is None else set(days)
    mine = {c.id for c in s.carers_of(provider)}
    return Roster(
        rounds=tuple(r for r in sq.rounds if r.carer_id in mine and r.day in wanted),
        unassigned=tuple(
            u
            for u in sq.unassigned
            if s.package(s.visit(u.visit_id).package_id).provider_id == provider and s.visit(u.visit_id).day in wanted
        ),
        provider_id=provider,
        meta=(("days", ",".join(str(d) for d in sorted(wanted))),),
    )
