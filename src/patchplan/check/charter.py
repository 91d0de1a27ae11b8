"""UNISON's Ethical Care Charter: the rules a roster can show.

Many councils (Newham among them) make their framework providers sign
UNISON's Ethical Care Charter. :func:`charter` reports, for any roster (ours,
the status quo or a coordinator's), the Charter's rules that a roster and its
inputs can evidence, each with who fails, how and by how much:

``no_15_minute_visits`` (*input*)
    Stage 1: "In general, 15-minute visits will not be used". A
    personal-care visit of 15 minutes or less fails. This is commissioning:
    the council sets call lengths, so no roster can fix it and the report
    marks the rule as an input rule.
``time_to_travel`` (*roster*)
    Stage 1: "Visits will be scheduled so that homecare workers are not
    forced to rush their time with clients or leave their clients early to
    get to the next one on time". Judged by the independent checker
    (:func:`patchplan.check.checker.check`): no visit shortened (``duration``), no
    travel squeezed below what the travel model needs (``travel``,
    ``overlap``).
``travel_time_paid`` (*roster and pay terms*)
    Stage 1: "Homecare workers will be paid for their travel time", and
    stage 3: the Living Wage. Each carer's effective hourly pay over the
    roster's horizon, pay for contact, travel and waiting over the minutes
    that count as working time, against a floor (:data:`FLOORS`). Unpaid
    travel between visits fails the rule outright.
``continuity`` (*roster*)
    Stage 2: "Clients will be allocated the same homecare worker(s)
    wherever possible": distinct carers per client (mean and 90th
    percentile, the checker's continuity KPIs) and the clients who see more
    than a threshold a week (default 3; twice that for a double-up client).
``guaranteed_hours`` (*roster*)
    Stage 2: "Zero hour contracts will not be used in place of permanent
    contracts": a carer's rostered hours (pro rata for a horizon shorter
    than a week) below their contracted hours.

Nothing here is shared with the solver: times are recomputed from the
travel model, and the checker is the independent one.
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from patchplan.check.checker import Kpis, Violation, check_and_score
from patchplan.check.rules import Rule
from patchplan.core.errors import InputError
from patchplan.core.model import WEEKDAYS, Location, Roster, Scenario
from patchplan.geo.travel import TravelModel, default_travel


@dataclass(frozen=True, slots=True, kw_only=True)
class PayFloor:
    """An hourly pay floor, with where its value comes from."""

    name: str
    label: str
    gbp_h: float
    source: str


# Pay floors, checked with public material on the date below (the stored
# copies the project's search tool reaches; no live page was fetched):
#
# - National Living Wage (21 and over) from 1 April 2026: £12.71 an hour
#   (up 50p from £12.21), the Low Pay Commission's recommendation accepted by
#   the Chancellor (Autumn Budget, November 2025). Confirmed by several news
#   reports (particle.news "UK sets National Living Wage at £12.71 from April
#   2026"; fashion-mag.co.uk) and a gov.uk-based rates service listing "April
#   2026 (£12.71 for 21 and over)". The gov.uk page itself
#   (https://www.gov.uk/national-minimum-wage-rates) was not in the stored
#   copies, so the figure is confirmed only at second hand.
# - Real Living Wage 2025-26: £13.45 across the UK and £14.80 in London,
#   announced by the Living Wage Foundation on 22 October 2025 (up 85p and
#   95p; employers to pay it by 1 May 2026). Confirmed by The Independent
#   (2025-10-22, "Workers at these companies could get £5k pay rise as living
#   wage increases") and uktaxcalculators.co.uk ("Announced on 22 October
#   2025"). The Foundation's own page was not in the stored copies.
#
# All three change every year: pass ``PayParams(floors=...)`` or a number
# to ``floor`` to use other values.
FLOORS: tuple[PayFloor, ...] = (
    PayFloor(
        name="national_living_wage",
        label="National Living Wage (21+), from 1 April 2026",
        gbp_h=12.71,
        source="Low Pay Commission recommendation accepted November 2025; gov.uk/national-minimum-wage-rates",
    ),
    PayFloor(
        name="real_living_wage",
        label="Real Living Wage (UK) 2025-26",
        gbp_h=13.45,
        source="Living Wage Foundation announcement, 22 October 2025",
    ),
    PayFloor(
        name="london_living_wage",
        label="London Living Wage 2025-26",
        gbp_h=14.80,
        source="Living Wage Foundation announcement, 22 October 2025",
    ),
)
FLOOR_NAMES = tuple(f.name for f in FLOORS)

#: Contact pay a care worker gets by default: Skills for Care put the median
#: independent-sector care worker at £12.60 an hour in December 2025, 39p
#: above that year's National Living Wage (Homecare Association response,
#: 25 February 2026); carried to April 2026 as £12.71 + 39p. An assumption:
#: set the provider's own terms in :class:`PayParams`.
DEFAULT_CONTACT_GBP_H = 13.10
#: A gap between visits at least this long is the carer's own time (a split
#: shift), neither paid nor working time; shorter gaps are waiting time. The
#: Haringey employment tribunal (2017, Kaamil Education and others) counted
#: waiting of up to 60 minutes between visits as working time for the
#: National Minimum Wage.
DEFAULT_OWN_TIME_GAP_MIN = 60
#: Continuity: a client seeing more distinct carers than this a week fails.
DEFAULT_MAX_CARERS_WEEK = 3
#: A personal-care visit this long or shorter is a "15-minute visit".
SHORT_VISIT_MIN = 15


@dataclass(frozen=True, slots=True, kw_only=True)
class PayParams:
    """How carers are paid, and the floor their effective pay is held to.

    Attributes
    ----------
    contact_gbp_h
        Pay per hour of care (contact time).
    travel_paid, travel_gbp_h
        Whether travel between visits is paid, and at what rate (None: the
        contact rate).
    waiting_paid, waiting_gbp_h
        Whether waiting between visits is paid, and at what rate (None: the
        contact rate).
    commute_counts
        Whether travel from home to the first visit and from the last visit
        home is working time (paid as travel when travel is paid). HMRC's
        National Minimum Wage manual (NMWM08490) counts travel between
        assignments, not home-to-work travel, so the default is False.
    own_time_gap_min
        Gaps between visits at least this long are the carer's own time;
        None counts every gap as waiting.
    floor
        A name from ``floors`` or a rate in £ an hour.
    floors
        The named floors (default :data:`FLOORS`).

    Raises
    ------
    InputError
        On a negative rate, an unknown floor name or a floor that is not > 0.
    """

    contact_gbp_h: float = DEFAULT_CONTACT_GBP_H
    travel_paid: bool = True
    travel_gbp_h: float | None = None
    waiting_paid: bool = False
    waiting_gbp_h: float | None = None
    commute_counts: bool = False
    own_time_gap_min: int | None = DEFAULT_OWN_TIME_GAP_MIN
    floor: str | float = "national_living_wage"
    floors: tuple[PayFloor, ...] = FLOORS

    def __post_init__(self) -> None:
        for name in ("contact_gbp_h", "travel_gbp_h", "waiting_gbp_h"):
            value = getattr(self, name)
            if value is not None and not (value >= 0 and math.isfinite(value)):
                raise InputError(f"pay: {name}={value} must be a number >= 0")
        if self.own_time_gap_min is not None and self.own_time_gap_min <= 0:
            raise InputError(f"pay: own_time_gap_min={self.own_time_gap_min} must be > 0 (or None)")
        parse_floor(self.floor, self.floors)

    @property
    def travel_rate(self) -> float:
        return self.contact_gbp_h if self.travel_gbp_h is None else self.travel_gbp_h

    @property
    def waiting_rate(self) -> float:
        return self.contact_gbp_h if self.waiting_gbp_h is None else self.waiting_gbp_h

    @property
    def pay_floor(self) -> PayFloor:
        """The floor as a :class:`PayFloor` (a number becomes a custom floor)."""
        return parse_floor(self.floor, self.floors)

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("floors", "floor")}
        out["floor"] = _floor_dict(self.pay_floor)
        return out


def parse_floor(floor: str | float, floors: tuple[PayFloor, ...] = FLOORS) -> PayFloor:
    """A floor from its name (``real_living_wage``, ``real-living-wage``) or
    a rate in £ an hour (``13`` or ``"13.00"``).

    Raises
    ------
    InputError
        When the name is unknown or the rate is not > 0.
    """
    value: float | None = None
    if isinstance(floor, (int, float)) and not isinstance(floor, bool):
        value = float(floor)
    else:
        text = str(floor).strip().lower().lstrip("£").replace("-", "_").replace(" ", "_")
        for f in floors:
            if f.name == text:
                return f
        try:
            value = float(text)
        except ValueError:
            names = ", ".join(f.name for f in floors)
            raise InputError(f"unknown pay floor {floor!r}; expected one of {names} or a rate in £ an hour") from None
    if not (value > 0 and math.isfinite(value)):
        raise InputError(f"pay floor {floor!r} must be a rate > 0 in £ an hour")
    return PayFloor(name="custom", label=f"£{value:.2f} an hour", gbp_h=value, source="given")


def _floor_dict(f: PayFloor) -> dict[str, Any]:
    return {"name": f.name, "label": f.label, "gbp_h": f.gbp_h, "source": f.source}


class Failure(NamedTuple):
    """Who fails a rule, how (for people) and by how much (the rule's unit)."""

    who: str
    detail: str
    amount: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CharterRule:
    """One Charter rule's result.

    ``scope`` is ``"input"`` when only the commissioning can fix a failure
    (no roster can), ``"roster"`` otherwise. ``unit`` is what each failure's
    ``amount`` counts; ``measures`` are the rule's headline numbers.
    """

    name: CharterRuleName
    title: str
    scope: str
    passed: bool
    failures: tuple[Failure, ...] = ()
    unit: str = ""
    measures: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "scope": self.scope,
            "passed": self.passed,
            "unit": self.unit,
            "measures": dict(self.measures),
            "failures": [f._asdict() for f in self.failures],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CharterReport:
    """Every rule's result for one roster."""

    rules: tuple[CharterRule, ...]
    pay: PayParams
    provider_id: str | None = None
    days: int = 7

    @property
    def passed(self) -> bool:
        """Every rule passes (inputs and roster)."""
        return all(r.passed for r in self.rules)

    @property
    def roster_passed(self) -> bool:
        """Every rule a roster can fix passes."""
        return all(r.passed for r in self.rules if r.scope != "input")

    def rule(self, name: str) -> CharterRule:
        """One rule by name.

        Raises
        ------
        KeyError
            On an unknown rule name.
        """
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "roster_passed": self.roster_passed,
            "failed_rules": [r.name for r in self.rules if not r.passed],
            "provider_id": self.provider_id,
            "days": self.days,
            "floor": _floor_dict(self.pay.pay_floor),
            "pay": self.pay.as_dict(),
            "rules": [r.as_dict() for r in self.rules],
        }


class CharterRuleName(enum.StrEnum):
    """The name of a Charter rule (its value is the string every output shows)."""

    NO_15_MINUTE_VISITS = "no_15_minute_visits"
    TIME_TO_TRAVEL = "time_to_travel"
    TRAVEL_TIME_PAID = "travel_time_paid"
    CONTINUITY = "continuity"
    GUARANTEED_HOURS = "guaranteed_hours"


@dataclass(frozen=True, slots=True)
class CharterRuleInfo:
    """A Charter rule's title, scope (``input`` or ``roster``) and the unit of its failures' ``amount``."""

    title: str
    scope: str
    unit: str


#: Every Charter rule, in report order (the docs are generated from this).
CHARTER_RULES: Mapping[CharterRuleName, CharterRuleInfo] = {
    CharterRuleName.NO_15_MINUTE_VISITS: CharterRuleInfo("No 15-minute personal-care visits", "input", "visits"),
    CharterRuleName.TIME_TO_TRAVEL: CharterRuleInfo(
        "Travel time scheduled between visits (nobody leaves a client early)", "roster", "minutes"
    ),
    CharterRuleName.TRAVEL_TIME_PAID: CharterRuleInfo(
        "Travel time paid; effective hourly pay at least the floor", "roster", "£ an hour (travel: hours unpaid)"
    ),
    CharterRuleName.CONTINUITY: CharterRuleInfo(
        "The same carer(s) for a client wherever possible", "roster", "carers over the threshold"
    ),
    CharterRuleName.GUARANTEED_HOURS: CharterRuleInfo(
        "Carers' guaranteed hours honoured (no zero-hours-style under-allocation)", "roster", "hours short"
    ),
}
#: Checker rules that mean care was cut short or travel squeezed.
_SQUEEZE_RULES = (Rule.DURATION, Rule.TRAVEL, Rule.OVERLAP)


def charter(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    pay: PayParams = PayParams(),  # frozen, so a shared default is safe
    max_carers_week: int = DEFAULT_MAX_CARERS_WEEK,
) -> CharterReport:
    """Check a roster against the Ethical Care Charter's rules.

    Parameters
    ----------
    scenario
        The scenario the roster is for.
    roster
        Any roster: ours, the status quo or hand-made. Its scope is the
        checker's: the placed visits of its provider (every provider when it
        has none) on the days it covers.
    travel
        Travel model (default: the scenario's).
    pay
        Pay terms and the floor effective pay is held to.
    max_carers_week
        Continuity: most distinct carers a client should see in a week.

    Returns
    -------
    CharterReport
        One :class:`CharterRule` per rule, in the order of the module doc.

    Raises
    ------
    InputError
        When ``max_carers_week`` is below 1.
    """
    if max_carers_week < 1:
        raise InputError(f"max_carers_week={max_carers_week} must be >= 1")
    travel = travel or default_travel(dict(scenario.settings))
    violations, kpis = check_and_score(scenario, roster, travel=travel)
    days = _roster_days(scenario, roster)
    rules = (
        _short_visits(scenario, roster, days),
        _time_to_travel(violations),
        _pay(scenario, roster, travel, pay),
        _continuity(scenario, roster, kpis, max_carers_week),
        _guaranteed_hours(scenario, roster),
    )
    return CharterReport(rules=rules, pay=pay, provider_id=roster.provider_id, days=len(days) or 1)


def _roster_days(s: Scenario, roster: Roster) -> set[int]:
    """The days a roster covers (as the checker decides its scope)."""
    meta = dict(roster.meta)
    if meta.get("days"):
        return {int(d) for d in meta["days"].split(",")}
    return {r.day for r in roster.rounds} | {s.visit(u.visit_id).day for u in roster.unassigned}


def _rule(name: CharterRuleName, failures: list[Failure], measures: dict[str, float]) -> CharterRule:
    info = CHARTER_RULES[name]
    return CharterRule(
        name=name,
        title=info.title,
        scope=info.scope,
        passed=not failures,
        failures=tuple(failures),
        unit=info.unit,
        measures=measures,
    )


# ---------------------------------------------------------------------------
# The rules
# ---------------------------------------------------------------------------
def _short_visits(s: Scenario, roster: Roster, days: set[int]) -> CharterRule:
    pid = roster.provider_id
    placed = {
        p.id
        for p in s.packages
        if p.status == "placed" and p.service_type == "personal_care" and (pid is None or p.provider_id == pid)
    }
    short: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    personal = 0
    for v in s.visits:
        if v.package_id not in placed or v.day not in days:
            continue
        personal += 1
        if v.duration_min <= SHORT_VISIT_MIN:
            short[v.package_id].append((v.day, v.duration_min, v.label))
    failures = []
    for pkg_id in sorted(short):
        calls = sorted(short[pkg_id])
        day, minutes, label = calls[0]
        example = f"{label or 'call'} on {WEEKDAYS[s.weekday(day)].title()}"
        failures.append(
            Failure(
                who=f"package {pkg_id}",
                detail=f"{len(calls)} personal-care call(s) of {SHORT_VISIT_MIN} min or less "
                f"(e.g. {minutes}-min {example}); commissioned so, a roster cannot lengthen them",
                amount=float(len(calls)),
            )
        )
    n_short = sum(len(c) for c in short.values())
    return _rule(
        CharterRuleName.NO_15_MINUTE_VISITS,
        failures,
        {
            "personal_care_visits": personal,
            "short_visits": n_short,
            "short_share": round(n_short / personal, 4) if personal else 0.0,
            "packages_with_short_visits": len(short),
        },
    )


def _time_to_travel(violations: tuple[Violation, ...]) -> CharterRule:
    failures = []
    counts = dict.fromkeys(_SQUEEZE_RULES, 0)
    for v in violations:
        if v.rule not in _SQUEEZE_RULES:
            continue
        counts[v.rule] += 1
        where = " ".join(
            x for x in (f"visit {v.visit_id}" if v.visit_id else "", f"day {v.day}" if v.day is not None else "") if x
        )
        what = "care cut short" if v.rule is Rule.DURATION else "travel squeezed"
        failures.append(
            Failure(
                who=f"carer {v.carer_id}" if v.carer_id else (f"visit {v.visit_id}" if v.visit_id else "roster"),
                detail=f"{what}: {where}: {v.detail}",
                amount=float(v.amount),
            )
        )
    return _rule(
        CharterRuleName.TIME_TO_TRAVEL,
        failures,
        {
            "visits_cut_short": counts[Rule.DURATION],
            "travel_squeezed": counts[Rule.TRAVEL] + counts[Rule.OVERLAP],
            "minutes_short": float(sum(f.amount for f in failures)),
        },
    )


@dataclass(slots=True)
class _Time:
    """One carer's minutes over the horizon."""

    care: int = 0
    travel: int = 0
    commute: int = 0
    waiting: int = 0
    own: int = 0


def carer_minutes(
    s: Scenario, roster: Roster, travel: TravelModel, own_time_gap_min: int | None = DEFAULT_OWN_TIME_GAP_MIN
) -> dict[str, dict[str, int]]:
    """Per carer: minutes of care, travel between visits, commute (home to
    the first visit and back), waiting between visits, and own time (gaps
    of at least ``own_time_gap_min``), recomputed from the travel model.

    Parameters
    ----------
    s, roster, travel
        The scenario, any roster of it, and the travel model.
    own_time_gap_min
        Gaps at least this long are the carer's own time (None: none are).

    Returns
    -------
    dict
        carer id -> {"care", "travel", "commute", "waiting", "own"}.
    """
    legs: dict[tuple, int] = {}

    def leg(a: Location, b: Location, mode: str) -> int:
        key = (a.lat, a.lon, a.urban, b.lat, b.lon, b.urban, mode)
        if key not in legs:
            minutes, _ = travel.matrices([a, b], mode)
            legs[key] = int(minutes[0, 1])
        return legs[key]

    out: dict[str, _Time] = defaultdict(_Time)
    for rnd in roster.rounds:
        carer = s.carer(rnd.carer_id)
        t = out[carer.id]
        here = carer.home
        clock: int | None = None
        for i, stop in enumerate(rnd.stops):
            there = s.client(s.visit(stop.visit_id).client_id).location
            minutes = leg(here, there, carer.mode)
            t.care += max(0, stop.end - stop.start)
            if i == 0:
                t.commute += minutes
            else:
                t.travel += minutes
                gap = stop.start - (clock + minutes)  # type: ignore[operator]
                if gap > 0:
                    if own_time_gap_min is not None and gap >= own_time_gap_min:
                        t.own += gap
                    else:
                        t.waiting += gap
            clock = stop.end if clock is None else max(clock, stop.end)
            here = there
        if rnd.stops:
            t.commute += leg(here, carer.home, carer.mode)
    return {
        c: {"care": t.care, "travel": t.travel, "commute": t.commute, "waiting": t.waiting, "own": t.own}
        for c, t in out.items()
    }


def _pay(s: Scenario, roster: Roster, travel: TravelModel, pay: PayParams) -> CharterRule:
    floor = pay.pay_floor
    minutes = carer_minutes(s, roster, travel, pay.own_time_gap_min)
    failures: list[Failure] = []
    unpaid_travel = 0
    effective: list[float] = []
    for carer_id in sorted(minutes):
        m = minutes[carer_id]
        travelled = m["travel"] + (m["commute"] if pay.commute_counts else 0)
        worked = m["care"] + travelled + m["waiting"]
        if worked <= 0:
            continue
        # Effective pay = total pay / working minutes x 60 (rates are per hour).
        gbp = m["care"] * pay.contact_gbp_h / 60
        gbp += travelled * pay.travel_rate / 60 if pay.travel_paid else 0.0
        gbp += m["waiting"] * pay.waiting_rate / 60 if pay.waiting_paid else 0.0
        hourly = round(gbp / worked * 60, 2)
        effective.append(hourly)
        if not pay.travel_paid:
            unpaid_travel += travelled
        if hourly + 1e-9 < floor.gbp_h:
            failures.append(
                Failure(
                    who=f"carer {carer_id}",
                    detail=f"effective £{hourly:.2f}/h over {worked / 60:.1f} h worked "
                    f"(care {m['care'] / 60:.1f} h, travel {travelled / 60:.1f} h, waiting {m['waiting'] / 60:.1f} h), "
                    f"£{floor.gbp_h - hourly:.2f}/h below the {floor.label} (£{floor.gbp_h:.2f})",
                    amount=round(floor.gbp_h - hourly, 2),
                )
            )
    if not pay.travel_paid and unpaid_travel:
        failures.insert(
            0,
            Failure(
                who="pay terms",
                detail=f"travel between visits is not paid: {unpaid_travel / 60:.1f} h of travel unpaid in this roster",
                amount=round(unpaid_travel / 60, 2),
            ),
        )
    measures: dict[str, float] = {
        "floor_gbp_h": floor.gbp_h,
        "carers": len(effective),
        "carers_below_floor": sum(1 for f in failures if f.who != "pay terms"),
        "effective_gbp_h_min": min(effective) if effective else 0.0,
        "effective_gbp_h_median": round(float(np.median(effective)), 2) if effective else 0.0,
    }
    return _rule(CharterRuleName.TRAVEL_TIME_PAID, failures, measures)


def _continuity(s: Scenario, roster: Roster, kpis: Kpis, max_carers_week: int) -> CharterRule:
    carers_of: dict[str, set[str]] = defaultdict(set)
    pair_of: dict[str, int] = defaultdict(lambda: 1)
    for rnd in roster.rounds:
        for stop in rnd.stops:
            v = s.visit(stop.visit_id)
            carers_of[v.client_id].add(rnd.carer_id)
            pair_of[v.client_id] = max(pair_of[v.client_id], v.carers_required)
    failures = []
    for client_id in sorted(carers_of):
        allowed = max_carers_week * pair_of[client_id]
        n = len(carers_of[client_id])
        if n > allowed:
            failures.append(
                Failure(
                    who=f"client {client_id}",
                    detail=f"{n} different carers this week, at most {allowed} expected"
                    + (" (double-up calls)" if pair_of[client_id] > 1 else ""),
                    amount=float(n - allowed),
                )
            )
    return _rule(
        CharterRuleName.CONTINUITY,
        failures,
        {
            "max_carers_week": max_carers_week,
            "distinct_carers_per_client_mean": kpis.distinct_carers_per_client_mean,
            "distinct_carers_per_client_p90": kpis.distinct_carers_per_client_p90,
            "clients": len(carers_of),
            "clients_over": len(failures),
        },
    )


def _guaranteed_hours(s: Scenario, roster: Roster) -> CharterRule:
    pid = roster.provider_id
    hours: dict[str, float] = defaultdict(float)
    for rnd in roster.rounds:
        hours[rnd.carer_id] += (rnd.back - rnd.leave) / 60
    # As the checker's KPI: a week's guarantee, pro rata for fewer days.
    days = len({r.day for r in roster.rounds}) or 1
    share = min(1.0, days / 7)
    carers = [c for c in s.carers if pid is None or c.provider_id == pid]
    failures = []
    for c in carers:
        want = c.contracted_hours_week * share
        got = hours.get(c.id, 0.0)
        if c.contracted_hours_week > 0 and got + 1e-9 < want:
            failures.append(
                Failure(
                    who=f"carer {c.id}",
                    detail=f"rostered {got:.1f} h, guaranteed {want:.1f} h"
                    + ("" if share == 1 else f" ({c.contracted_hours_week:g} h a week pro rata for {days} day(s))"),
                    amount=round(want - got, 2),
                )
            )
    return _rule(
        CharterRuleName.GUARANTEED_HOURS,
        failures,
        {
            "carers": len(carers),
            "carers_with_guaranteed_hours": sum(1 for c in carers if c.contracted_hours_week > 0),
            # Zero-hours contracts themselves are an employment term, not a
            # roster matter: reported, not failed.
            "carers_without_guaranteed_hours": sum(1 for c in carers if c.contracted_hours_week <= 0),
            "carers_under": len(failures),
            "hours_short": round(sum(f.amount for f in failures), 2),
        },
    )


__all__ = [
    "CHARTER_RULES",
    "FLOORS",
    "FLOOR_NAMES",
    "CharterReport",
    "CharterRule",
    "CharterRuleInfo",
    "CharterRuleName",
    "Failure",
    "PayFloor",
    "PayParams",
    "carer_minutes",
    "charter",
    "parse_floor",
]
