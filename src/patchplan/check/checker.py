"""Independent roster checker and KPIs (plan mode, as in VROOM's ``check``).

Nothing here is shared with the solver's model building: every time is
recomputed from the travel model and every rule is re-stated from the
domain, so a bug in :mod:`patchplan.rounds.plan` shows up as a violation. The
same code scores any roster: ours, the status quo, or one a coordinator made
by hand.

Rules (the ``rule`` of each :class:`Violation`):

- ``coverage``: a visit in scope is neither served nor reported unassigned;
  ``served_and_unassigned``; ``served_twice`` (more carers than required,
  or one carer twice); ``double_up_incomplete``; ``double_up_sync``
  (the two carers start at different minutes); ``link_gap`` and
  ``link_same_carer`` (visit links);
- ``window``: start outside [earliest start, latest start];
  ``duration``: end - start shorter than the visit's duration (care cut
  short; an overrun is not a violation);
- ``travel``: less time between two stops (or home and the first stop)
  than the travel model needs; ``overlap``: stops overlap;
- ``skills``, ``gender``, ``prohibited``, ``wrong_provider``;
- ``shift``: no shift that day, or the round starts before / ends after it;
  ``shift_work``: longer out than the shift's working limit;
  ``break``: more than 6 hours of work without a 20-minute break (shifts
  past midnight excepted: night carers rest at the client's home);
  ``weekly_hours``: over the carer's maximum hours in the week;
  ``two_rounds``: two rounds for one carer on one day;
- ``capacity``: more load than the carer's capacity (benchmarks).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from patchplan.core.model import DAY_MIN, Location, Roster, Scenario, Visit
from patchplan.geo.travel import TravelModel, default_travel

#: Working Time Regulations 1998, reg. 12: a 20-minute rest break when the
#: working day is longer than six hours.
WTR_WORK_MIN = 6 * 60
WTR_BREAK_MIN = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """One broken rule, with enough to find it."""

    rule: str
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


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpis:
    """What a roster costs and delivers, recomputed from the travel model."""

    visits_in_scope: int
    visits_served: int
    visits_unassigned: int
    unassigned_hours: float
    travel_min: int
    travel_km: float
    paid_min: int
    care_min: int
    travel_share_of_paid: float
    utilisation: float
    on_time: int
    late: int
    late_min_total: int
    late_min_max: int
    early: int
    on_time_share: float
    rounds: int
    carers_used: int
    distinct_carers_per_client_mean: float
    miles_between_visits: float
    #: Continuity: 90th percentile of distinct carers per client, mean share
    #: of a client's visits by their most frequent carer, share of visits by
    #: a carer who knew the client before (history).
    distinct_carers_per_client_p90: float = 0.0
    top_carer_share: float = 0.0
    familiar_share: float = 0.0
    #: Working time over the horizon: hours per carer used, how many are
    #: over their maximum or under their guaranteed hours, and the spread
    #: (standard deviation) of hours and of travel between carers.
    hours_per_carer_mean: float = 0.0
    hours_per_carer_max: float = 0.0
    carers_over_max_hours: int = 0
    carers_under_contracted: int = 0
    hours_spread: float = 0.0
    travel_spread_min: float = 0.0
    extra: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        out.update(self.extra)
        return out


def check(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    capacity: int | None = None,
    scope: Iterable[str] | None = None,
) -> tuple[Violation, ...]:
    """Every rule the roster breaks; ``()`` when it is clean.

    Parameters
    ----------
    scope
        Visit ids the roster is responsible for (each must be served or
        unassigned). Default: the placed visits of the roster's provider (all
        providers if it has none) on the days the roster covers.
    """
    return _Checker(scenario, roster, travel, capacity, scope).run()[0]


def score(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    scope: Iterable[str] | None = None,
) -> Kpis:
    """The roster's KPIs, recomputed from the travel model."""
    return _Checker(scenario, roster, travel, None, scope).run()[1]


def check_and_score(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    capacity: int | None = None,
    scope: Iterable[str] | None = None,
) -> tuple[tuple[Violation, ...], Kpis]:
    """Both at once (one pass)."""
    return _Checker(scenario, roster, travel, capacity, scope).run()


class _Checker:
    def __init__(
        self,
        s: Scenario,
        roster: Roster,
        travel: TravelModel | None,
        capacity: int | None,
        scope: Iterable[str] | None,
    ) -> None:
        self.s = s
        self.roster = roster
        self.travel = travel or default_travel(dict(s.settings))
        self.capacity = capacity
        self.out: list[Violation] = []
        self.scope = set(scope) if scope is not None else self._default_scope()

    def _default_scope(self) -> set[str]:
        meta = dict(self.roster.meta)
        if "days" in meta and meta["days"]:
            days = {int(d) for d in meta["days"].split(",")}
        else:
            days = {r.day for r in self.roster.rounds} | {self.s.visit(u.visit_id).day for u in self.roster.unassigned}
        pid = self.roster.provider_id
        placed = {p.id for p in self.s.packages if p.status == "placed" and (pid is None or p.provider_id == pid)}
        return {v.id for v in self.s.visits if v.package_id in placed and v.day in days}

    def flag(self, rule: str, detail: str, **where: Any) -> None:
        self.out.append(Violation(rule=rule, detail=detail, **where))

    def leg(self, a: Location, b: Location, mode: str) -> tuple[int, int]:
        """(minutes, metres) from a to b, straight from the travel model."""
        key = (a.lat, a.lon, a.urban, b.lat, b.lon, b.urban, mode)
        cache = self.__dict__.setdefault("_legs", {})
        if key not in cache:
            minutes, metres = self.travel.matrices([a, b], mode)
            cache[key] = (int(minutes[0, 1]), int(metres[0, 1]))
        return cache[key]

    def run(self) -> tuple[tuple[Violation, ...], Kpis]:
        s = self.s
        served: dict[str, list[tuple[str, int]]] = defaultdict(list)  # visit -> (carer, start)
        paid = travel_min = travel_m = care = 0
        legs_between: list[int] = []
        worked: dict[str, int] = defaultdict(int)
        rounds_of: dict[tuple[str, int], int] = defaultdict(int)
        for rnd in self.roster.rounds:
            carer = s.carer(rnd.carer_id)
            rounds_of[(carer.id, rnd.day)] += 1
            if rounds_of[(carer.id, rnd.day)] == 2:
                self.flag("two_rounds", "two rounds on one day", carer_id=carer.id, day=rnd.day)
            here = carer.home
            clock = rnd.leave
            load = 0
            gaps: list[tuple[int, int]] = []  # idle stretches (from, to)
            for i, stop in enumerate(rnd.stops):
                v = s.visit(stop.visit_id)
                client = s.client(v.client_id)
                served[v.id].append((carer.id, stop.start))
                minutes, metres = self.leg(here, client.location, carer.mode)
                travel_min += minutes
                travel_m += metres
                if i > 0:
                    legs_between.append(metres)
                arrive = clock + minutes
                if stop.start < arrive:
                    rule = "overlap" if stop.start < clock else "travel"
                    self.flag(
                        rule,
                        f"starts {stop.start - arrive} min before it can arrive "
                        f"(free at {_t(clock)}, {minutes} min away)",
                        carer_id=carer.id,
                        visit_id=v.id,
                        day=rnd.day,
                        amount=arrive - stop.start,
                    )
                elif stop.start > arrive:
                    gaps.append((arrive, stop.start))
                self._visit_rules(v, stop.start, stop.end, carer.id, rnd.day)
                care += stop.end - stop.start
                load += v.load
                clock = max(clock, stop.end)
                here = client.location
            minutes, metres = self.leg(here, carer.home, carer.mode)
            travel_min += minutes
            travel_m += metres
            back = clock + minutes
            if rnd.back < back:
                self.flag(
                    "travel",
                    f"back home at {_t(rnd.back)} but cannot be before {_t(back)}",
                    carer_id=carer.id,
                    day=rnd.day,
                    amount=back - rnd.back,
                )
            out_min = max(rnd.back, back) - rnd.leave
            paid += out_min
            worked[carer.id] += out_min
            if rnd.back > back:
                gaps.append((back, rnd.back))
            self._shift_rules(rnd, carer.id, out_min, max(rnd.back, back), gaps)
            if self.capacity is not None and load > self.capacity:
                self.flag(
                    "capacity",
                    f"load {load} > capacity {self.capacity}",
                    carer_id=carer.id,
                    day=rnd.day,
                    amount=load - self.capacity,
                )
        for carer_id, minutes in worked.items():
            limit = s.carer(carer_id).max_hours_week * 60
            if minutes > limit + 1e-9:
                self.flag(
                    "weekly_hours",
                    f"works {minutes / 60:.1f} h, maximum {limit / 60:.1f} h a week",
                    carer_id=carer_id,
                    amount=minutes - limit,
                )
        self._coverage(served)
        self._links(served)
        return tuple(self.out), self._kpis(served, paid, travel_min, travel_m, care, legs_between)

    def _visit_rules(self, v: Visit, start: int, end: int, carer_id: str, day: int) -> None:
        s = self.s
        carer = s.carer(carer_id)
        client = s.client(v.client_id)
        where = {"carer_id": carer_id, "visit_id": v.id, "day": day}
        if v.day != day:
            self.flag("window", f"visit is on day {v.day}, round on day {day}", **where)
        if not v.early <= start <= v.late:
            amount = v.early - start if start < v.early else start - v.late
            self.flag("window", f"starts {_t(start)}, allowed {_t(v.early)}-{_t(v.late)}", amount=amount, **where)
        if end - start < v.duration_min:
            # Longer is an overrun (it happens); shorter is care cut short.
            self.flag(
                "duration",
                f"{end - start} min of care, {v.duration_min} commissioned",
                amount=v.duration_min - (end - start),
                **where,
            )
        missing = v.skills - carer.skills
        if missing:
            self.flag("skills", f"carer lacks {', '.join(sorted(missing))}", **where)
        if client.gender_preference and carer.gender != client.gender_preference:
            self.flag("gender", f"client asked for a {client.gender_preference} carer", **where)
        if carer.id in client.prohibited_carers:
            self.flag("prohibited", "carer is prohibited for this client", **where)
        package = s.package(v.package_id)
        if package.provider_id is not None and package.provider_id != carer.provider_id:
            self.flag(
                "wrong_provider", f"package is with {package.provider_id}, carer works for {carer.provider_id}", **where
            )

    def _shift_rules(self, rnd: Any, carer_id: str, out_min: int, back: int, gaps: list[tuple[int, int]]) -> None:
        shifts = [sh for sh in self.s.shifts_of(carer_id) if sh.day == rnd.day]
        where = {"carer_id": carer_id, "day": rnd.day}
        if not shifts:
            self.flag("shift", "carer has no shift that day", **where)
            return
        sh = shifts[0]
        if rnd.leave < sh.start or back > sh.end:
            self.flag(
                "shift",
                f"out {_t(rnd.leave)}-{_t(back)}, shift {_t(sh.start)}-{_t(sh.end)}",
                amount=max(sh.start - rnd.leave, back - sh.end),
                **where,
            )
        if out_min > sh.work_limit:
            self.flag(
                "shift_work", f"{out_min} min of work, limit {sh.work_limit}", amount=out_min - sh.work_limit, **where
            )
        night = sh.end > (sh.day + 1) * DAY_MIN
        if night or out_min <= WTR_WORK_MIN:
            return
        # Work stretches are split by idle gaps of at least the break length.
        rests = sorted(g for g in gaps if g[1] - g[0] >= WTR_BREAK_MIN)
        edge = rnd.leave
        for a, b in rests + [(back, back)]:
            if a - edge > WTR_WORK_MIN:
                self.flag(
                    "break",
                    f"{a - edge} min of work from {_t(edge)} without a {WTR_BREAK_MIN}-minute break",
                    amount=a - edge - WTR_WORK_MIN,
                    **where,
                )
                return
            edge = b

    def _coverage(self, served: dict[str, list[tuple[str, int]]]) -> None:
        s = self.s
        unassigned: dict[str, int] = defaultdict(int)
        for u in self.roster.unassigned:
            unassigned[u.visit_id] += 1
        for vid, n in unassigned.items():
            if n > 1:
                self.flag("served_twice", f"listed unassigned {n} times", visit_id=vid)
            if vid in served:
                self.flag("served_and_unassigned", "in a round and unassigned", visit_id=vid)
        for vid in sorted(self.scope):
            if vid not in served and vid not in unassigned:
                self.flag("coverage", "neither served nor reported unassigned", visit_id=vid, day=s.visit(vid).day)
        for vid, carers in served.items():
            v = s.visit(vid)
            ids = [c for c, _ in carers]
            if len(set(ids)) < len(ids):
                self.flag("served_twice", "one carer serves it twice", visit_id=vid)
            if len(carers) > v.carers_required:
                self.flag("served_twice", f"{len(carers)} carers for a {v.carers_required}-carer visit", visit_id=vid)
            elif len(carers) < v.carers_required:
                self.flag("double_up_incomplete", f"{len(carers)} of {v.carers_required} carers", visit_id=vid)
            starts = {t for _, t in carers}
            if len(starts) > 1:
                self.flag(
                    "double_up_sync",
                    f"carers start at {sorted(_t(t) for t in starts)}",
                    visit_id=vid,
                    amount=max(starts) - min(starts),
                )

    def _links(self, served: dict[str, list[tuple[str, int]]]) -> None:
        for link in self.s.links:
            a, b = served.get(link.first), served.get(link.second)
            if not a or not b:
                continue
            gap = b[0][1] - a[0][1]
            if not link.min_gap <= gap <= link.max_gap:
                self.flag(
                    "link_gap",
                    f"{link.second} starts {gap} min after {link.first}, allowed {link.min_gap}..{link.max_gap}",
                    visit_id=link.second,
                    amount=min(abs(gap - link.min_gap), abs(gap - link.max_gap)),
                )
            if {c for c, _ in a} & {c for c, _ in b}:
                self.flag(
                    "link_same_carer", f"{link.first} and {link.second} need two different carers", visit_id=link.second
                )

    def _kpis(
        self,
        served: dict[str, list[tuple[str, int]]],
        paid: int,
        travel_min: int,
        travel_m: int,
        care: int,
        legs_between: list[int],
    ) -> Kpis:
        s = self.s
        on_time = late = early = 0
        late_total = late_max = 0
        for vid, carers in served.items():
            v = s.visit(vid)
            start = carers[0][1]
            if v.target is None:
                on_time += 1
                continue
            if start > v.target + v.tolerance_min:
                late += 1
                minutes = start - v.target - v.tolerance_min
                late_total += minutes
                late_max = max(late_max, minutes)
            elif start < v.target - v.tolerance_min:
                early += 1
            else:
                on_time += 1
        unassigned = {u.visit_id for u in self.roster.unassigned} | (self.scope - set(served))
        unassigned_hours = sum(s.visit(v).care_minutes for v in unassigned) / 60
        per_client: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        familiar = total_carer_visits = 0
        for vid, carers in served.items():
            client = s.client(s.visit(vid).client_id)
            known = client.known_carers
            for c, _ in carers:
                per_client[client.id][c] += 1
                familiar += c in known
                total_carer_visits += 1
        distinct = [len(x) for x in per_client.values()]
        top_share = [max(x.values()) / sum(x.values()) for x in per_client.values()]
        hours: dict[str, float] = defaultdict(float)
        travel_by: dict[str, float] = defaultdict(float)
        for rnd in self.roster.rounds:
            hours[rnd.carer_id] += (rnd.back - rnd.leave) / 60
            travel_by[rnd.carer_id] += rnd.travel_min
        over = sum(1 for c, h in hours.items() if h > s.carer(c).max_hours_week + 1e-9)
        # Guaranteed hours are judged over a week; shorter horizons pro rata.
        days = len({r.day for r in self.roster.rounds}) or 1
        under = sum(
            1
            for c in {
                x.id for x in s.carers if x.provider_id == self.roster.provider_id or self.roster.provider_id is None
            }
            if hours.get(c, 0.0) + 1e-9 < s.carer(c).contracted_hours_week * min(1.0, days / 7)
        )
        n_served = len(served)
        return Kpis(
            visits_in_scope=len(self.scope | set(served)),
            visits_served=n_served,
            visits_unassigned=len(unassigned),
            unassigned_hours=round(unassigned_hours, 2),
            travel_min=travel_min,
            travel_km=round(travel_m / 1000, 2),
            paid_min=paid,
            care_min=care,
            travel_share_of_paid=round(travel_min / paid, 4) if paid else 0.0,
            utilisation=round(care / paid, 4) if paid else 0.0,
            on_time=on_time,
            late=late,
            late_min_total=late_total,
            late_min_max=late_max,
            early=early,
            on_time_share=round(on_time / n_served, 4) if n_served else 1.0,
            rounds=len(self.roster.rounds),
            carers_used=len({r.carer_id for r in self.roster.rounds}),
            distinct_carers_per_client_mean=round(float(np.mean(distinct)), 3) if distinct else 0.0,
            miles_between_visits=round(float(np.mean(legs_between)) / 1609.344, 3) if legs_between else 0.0,
            distinct_carers_per_client_p90=round(float(np.percentile(distinct, 90)), 2) if distinct else 0.0,
            top_carer_share=round(float(np.mean(top_share)), 4) if top_share else 0.0,
            familiar_share=round(familiar / total_carer_visits, 4) if total_carer_visits else 0.0,
            hours_per_carer_mean=round(float(np.mean(list(hours.values()))), 2) if hours else 0.0,
            hours_per_carer_max=round(max(hours.values()), 2) if hours else 0.0,
            carers_over_max_hours=over,
            carers_under_contracted=under,
            hours_spread=round(float(np.std(list(hours.values()))), 2) if hours else 0.0,
            travel_spread_min=round(float(np.std(list(travel_by.values()))), 1) if travel_by else 0.0,
        )


def _t(minutes: int) -> str:
    day, rest = divmod(minutes, DAY_MIN)
    text = f"{rest // 60:02d}:{rest % 60:02d}"
    return text if day == 0 else f"d{day} {text}"


__all__ = ["Kpis", "Violation", "check", "check_and_score", "score"]
