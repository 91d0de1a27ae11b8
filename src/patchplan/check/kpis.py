"""The checker's KPIs: what a roster costs and delivers (:class:`Kpis`), their units and definitions
(:data:`KPI_INFO`, from which the output-format docs are generated), and :func:`compute_kpis`, which
works them out from the checker's own re-timing (:mod:`patchplan.check.timing`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from patchplan.check.rules import Served
from patchplan.check.timing import TimedRound
from patchplan.core.model import Roster, Scenario

METRES_PER_MILE = 1609.344


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
    #: The most distinct carers any client sees in a week, the mean share of
    #: a client's visits by their top two carers, and the share of visits by
    #: a carer who had seen the client before (history or earlier here).
    distinct_carers_per_client_max: int = 0
    top_two_share: float = 0.0
    seen_before_share: float = 0.0
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


@dataclass(frozen=True, slots=True)
class KpiInfo:
    """A KPI's unit and definition."""

    unit: str
    definition: str


#: Every KPI field of :class:`Kpis` (``extra`` aside), its unit and definition.
KPI_INFO: Mapping[str, KpiInfo] = {
    "visits_in_scope": KpiInfo(
        "visits", "Visits the roster is responsible for (its scope), plus any it serves outside it."
    ),
    "visits_served": KpiInfo("visits", "Visits in at least one round."),
    "visits_unassigned": KpiInfo(
        "visits", "Visits reported unassigned, plus visits in scope neither served nor reported."
    ),
    "unassigned_hours": KpiInfo("hours", "Care hours (duration x carers) of the unassigned visits."),
    "travel_min": KpiInfo("minutes", "Travel of every round, home to home, recomputed from the travel model."),
    "travel_km": KpiInfo("km", "Distance of every round, home to home, recomputed from the travel model."),
    "paid_min": KpiInfo(
        "minutes", "Time out of every round: leaving home to the later of rostered and earliest possible return."
    ),
    "care_min": KpiInfo("minutes", "Minutes of care delivered (end - start of every stop, each carer counted)."),
    "travel_share_of_paid": KpiInfo("share (0-1)", "travel_min / paid_min."),
    "utilisation": KpiInfo("share (0-1)", "care_min / paid_min."),
    "on_time": KpiInfo("visits", "Served visits starting within the target time's tolerance (or with no target time)."),
    "late": KpiInfo("visits", "Served visits starting after target + tolerance."),
    "late_min_total": KpiInfo("minutes", "Sum over late visits of the minutes after target + tolerance."),
    "late_min_max": KpiInfo("minutes", "The most minutes any visit starts after target + tolerance."),
    "early": KpiInfo("visits", "Served visits starting before target - tolerance."),
    "on_time_share": KpiInfo("share (0-1)", "on_time / visits_served (1 when nothing is served)."),
    "rounds": KpiInfo("rounds", "Rounds in the roster."),
    "carers_used": KpiInfo("carers", "Distinct carers with at least one round."),
    "distinct_carers_per_client_mean": KpiInfo(
        "carers", "Mean over served client-weeks of the distinct carers the client sees that week."
    ),
    "miles_between_visits": KpiInfo("miles", "Mean length of the legs between two visits (home legs excluded)."),
    "distinct_carers_per_client_p90": KpiInfo(
        "carers", "90th percentile over served client-weeks of the distinct carers the client sees that week."
    ),
    "top_carer_share": KpiInfo(
        "share (0-1)", "Mean over served clients of the share of their carer-visits by their most frequent carer."
    ),
    "familiar_share": KpiInfo(
        "share (0-1)", "Share of carer-visits by a carer who knew the client before (the client's history)."
    ),
    "distinct_carers_per_client_max": KpiInfo("carers", "The most distinct carers any served client sees in a week."),
    "top_two_share": KpiInfo(
        "share (0-1)", "Mean over served clients of the share of their carer-visits by their two most frequent carers."
    ),
    "seen_before_share": KpiInfo(
        "share (0-1)",
        "Share of carer-visits by a carer who had seen the client before: in the client's history or earlier in "
        "this roster.",
    ),
    "hours_per_carer_mean": KpiInfo("hours", "Mean rostered hours (leave to back) per carer used."),
    "hours_per_carer_max": KpiInfo("hours", "Most rostered hours of any carer."),
    "carers_over_max_hours": KpiInfo("carers", "Carers rostered over their maximum hours a week."),
    "carers_under_contracted": KpiInfo(
        "carers",
        "Carers of the roster's provider (all, if none) rostered under their contracted hours, pro rata for a "
        "horizon shorter than a week.",
    ),
    "hours_spread": KpiInfo("hours", "Standard deviation of rostered hours between carers used."),
    "travel_spread_min": KpiInfo("minutes", "Standard deviation between carers used of the travel the roster states."),
}


#: The KPIs a plan is put beside the status quo on (rounds' ``status_quo_<KPI>``
#: keys, the comparison table of the CLI and the service).
COMPARE_KPIS = (
    "travel_min",
    "travel_km",
    "travel_share_of_paid",
    "on_time_share",
    "late",
    "visits_served",
    "visits_unassigned",
    "unassigned_hours",
    "carers_used",
    "utilisation",
    "distinct_carers_per_client_mean",
    "distinct_carers_per_client_p90",
    "distinct_carers_per_client_max",
    "top_two_share",
    "seen_before_share",
    "top_carer_share",
    "familiar_share",
    "hours_per_carer_max",
    "carers_over_max_hours",
    "carers_under_contracted",
    "hours_spread",
    "miles_between_visits",
)


def kpi_names() -> tuple[str, ...]:
    """The KPI fields of :class:`Kpis`, in output order."""
    return tuple(f.name for f in fields(Kpis) if f.name != "extra")


def compute_kpis(
    s: Scenario, roster: Roster, scope: set[str], timed: tuple[TimedRound, ...], served: Mapping[str, Served]
) -> Kpis:
    """The roster's KPIs from its re-timed rounds and who served each visit (carer, start)."""
    paid = sum(r.out_min for r in timed)
    travel_min = sum(x.travel_min for r in timed for x in r.stops) + sum(r.home_min for r in timed)
    travel_m = sum(x.travel_m for r in timed for x in r.stops) + sum(r.home_m for r in timed)
    care = sum(x.end - x.start for r in timed for x in r.stops)
    legs_between = [x.travel_m for r in timed for x in r.stops[1:]]
    on_time, late, early, late_total, late_max = _punctuality(s, served)
    unassigned = {u.visit_id for u in roster.unassigned} | (scope - set(served))
    unassigned_hours = sum(s.visit(v).care_minutes for v in unassigned) / 60
    c = _continuity(s, served)
    distinct, top_share, familiar, total_carer_visits = c.distinct, c.top_share, c.familiar, c.total
    hours, travel_by = _hours(roster)
    over = sum(1 for c, h in hours.items() if h > s.carer(c).max_hours_week + 1e-9)
    n_served = len(served)
    return Kpis(
        visits_in_scope=len(scope | set(served)),
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
        rounds=len(roster.rounds),
        carers_used=len({r.carer_id for r in roster.rounds}),
        distinct_carers_per_client_mean=round(float(np.mean(distinct)), 3) if distinct else 0.0,
        miles_between_visits=round(float(np.mean(legs_between)) / METRES_PER_MILE, 3) if legs_between else 0.0,
        distinct_carers_per_client_p90=round(float(np.percentile(distinct, 90)), 2) if distinct else 0.0,
        top_carer_share=round(float(np.mean(top_share)), 4) if top_share else 0.0,
        familiar_share=round(familiar / total_carer_visits, 4) if total_carer_visits else 0.0,
        distinct_carers_per_client_max=max(distinct, default=0),
        top_two_share=round(float(np.mean(c.top_two)), 4) if c.top_two else 0.0,
        seen_before_share=round(c.seen_before / total_carer_visits, 4) if total_carer_visits else 0.0,
        hours_per_carer_mean=round(float(np.mean(list(hours.values()))), 2) if hours else 0.0,
        hours_per_carer_max=round(max(hours.values()), 2) if hours else 0.0,
        carers_over_max_hours=over,
        carers_under_contracted=_under_contracted(s, roster, hours),
        hours_spread=round(float(np.std(list(hours.values()))), 2) if hours else 0.0,
        travel_spread_min=round(float(np.std(list(travel_by.values()))), 1) if travel_by else 0.0,
    )


def _punctuality(s: Scenario, served: Mapping[str, Served]) -> tuple[int, int, int, int, int]:
    """(on time, late, early, late minutes in total, most late minutes), judged on the first carer's start."""
    on_time = late = early = late_total = late_max = 0
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
    return on_time, late, early, late_total, late_max


@dataclass(frozen=True, slots=True)
class _Continuity:
    distinct: list[int]
    top_share: list[float]
    top_two: list[float]
    familiar: int
    seen_before: int
    total: int


def _continuity(s: Scenario, served: Mapping[str, Served]) -> _Continuity:
    """Distinct carers per client-week, top carer's and top two's share per client, carer-visits by
    a carer known from history, by one seen before (history or earlier here), and all carer-visits."""
    per_week: dict[tuple[str, int], set[str]] = defaultdict(set)
    per_client: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    familiar = seen_before = total = 0
    met: dict[str, set[str]] = defaultdict(set)
    for vid, carers in sorted(served.items(), key=lambda kv: (min(t for _, t in kv[1]), kv[0])):
        v = s.visit(vid)
        client = s.client(v.client_id)
        known = client.known_carers
        for c, _ in carers:
            per_client[client.id][c] += 1
            per_week[(client.id, v.day // 7)].add(c)
            familiar += c in known
            seen_before += c in known or c in met[client.id]
            total += 1
        met[client.id] |= {c for c, _ in carers}
    counts = [sorted(x.values(), reverse=True) for x in per_client.values()]
    return _Continuity(
        distinct=[len(x) for x in per_week.values()],
        top_share=[x[0] / sum(x) for x in counts],
        top_two=[sum(x[:2]) / sum(x) for x in counts],
        familiar=familiar,
        seen_before=seen_before,
        total=total,
    )


def _hours(roster: Roster) -> tuple[dict[str, float], dict[str, float]]:
    """Rostered hours and stated travel minutes per carer used."""
    hours: dict[str, float] = defaultdict(float)
    travel_by: dict[str, float] = defaultdict(float)
    for rnd in roster.rounds:
        hours[rnd.carer_id] += (rnd.back - rnd.leave) / 60
        travel_by[rnd.carer_id] += rnd.travel_min
    return hours, travel_by


def _under_contracted(s: Scenario, roster: Roster, hours: Mapping[str, float]) -> int:
    # Guaranteed hours are judged over a week; shorter horizons pro rata.
    days = len({r.day for r in roster.rounds}) or 1
    pid = roster.provider_id
    carers = {x.id for x in s.carers if x.provider_id == pid or pid is None}
    return sum(1 for c in carers if hours.get(c, 0.0) + 1e-9 < s.carer(c).contracted_hours_week * min(1.0, days / 7))


__all__ = ["COMPARE_KPIS", "KPI_INFO", "KpiInfo", "Kpis", "compute_kpis", "kpi_names"]
