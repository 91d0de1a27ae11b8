"""Brokerage: which provider to offer a package (or a backlog) to, and why.

For one package, :func:`shortlist` walks the package's lot (district x
service type x cohort) in framework order - tier 1 ranks, then tier 2, then
the spot market - and says of each provider whether it can take it
(capacity in every weekday x time band the package needs), how much extra
travel its carers would need to fit the visits into their existing rounds
(cheapest feasible insertion), whether the client is in a patch it serves,
its rate, and a one-line reason.

A policy picks from the shortlist (:data:`POLICIES`): ``cascade`` (first
feasible in rank order: what brokers do by hand), ``tiered`` (least extra
travel within the best tier that has a feasible provider) or ``weighted``
(quality and cost scored 60/40, as councils do on dynamic purchasing
systems).

For a backlog, :func:`allocate` places all packages jointly with CP-SAT:
most hours placed (urgent first), then the policy's preference, then least
added travel; :func:`cascade_backlog` is the hand-made baseline it is always
compared with.

The insertion cost is an estimate against today's rounds (the scenario's
status-quo roster unless another is given): each visit is inserted on its
own where it is cheapest, honouring windows, skills, gender preference,
prohibitions, double-ups (two carers able to start together) and shifts;
the 20-minute break rule and interactions between two new packages in one
round are left to the rounds planner.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from patchplan.core.errors import InputError
from patchplan.core.model import (
    BAND_NAMES,
    DAY_MIN,
    SPOT_TIER,
    TIME_BANDS,
    URGENCIES,
    WEEKDAYS,
    Location,
    Package,
    Provider,
    Roster,
    Scenario,
    Visit,
    band_minutes,
)
from patchplan.geo.travel import GeodesicTravel, default_travel

log = logging.getLogger("patchplan")

POLICIES = ("cascade", "tiered", "weighted")
#: Weighted policy: share of the score for quality (rank/tier) and for cost
#: (rate and travel), as in councils' 60% quality / 40% cost tenders.
QUALITY_WEIGHT = 0.6
COST_WEIGHT = 0.4
#: Travel is costed at this rate per minute when cost is scored (a carer's
#: time at about the National Living Wage plus on-costs).
TRAVEL_GBP_PER_MIN = 0.25
#: Urgent packages count more in the joint allocation (hospital discharge first).
URGENCY_WEIGHT = {"hospital_discharge": 4, "urgent": 2, "routine": 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer:
    """One provider on a package's shortlist."""

    provider_id: str
    provider_name: str
    tier: int
    rank: int | None
    feasible: bool
    capacity_ok: bool
    fits_rounds: bool
    #: Extra carer travel a week to fit the visits into existing rounds.
    added_travel_min_week: int | None
    added_travel_min_day: float | None
    in_patch: bool | None
    rate_gbp_h: float
    weekly_cost_gbp: float
    reason: str
    short_bands: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    package_id: str
    provider_id: str | None
    hours_week: float
    rule: str
    reason: str
    added_travel_min_week: int = 0
    spot: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """Where each package of a backlog goes (or why it cannot be placed)."""

    policy: str
    method: str
    placements: tuple[Placement, ...]
    runtime_s: float
    #: Lots and bands that ran short, for the packages left unplaced.
    shortages: tuple[str, ...] = ()

    @property
    def hours_placed(self) -> float:
        return round(sum(p.hours_week for p in self.placements if p.provider_id), 2)

    @property
    def spot_hours(self) -> float:
        return round(sum(p.hours_week for p in self.placements if p.spot), 2)

    @property
    def added_travel_min(self) -> int:
        return sum(p.added_travel_min_week for p in self.placements if p.provider_id)

    @property
    def unplaced(self) -> tuple[Placement, ...]:
        return tuple(p for p in self.placements if p.provider_id is None)


# ---------------------------------------------------------------------------
# State: capacity left and today's rounds
# ---------------------------------------------------------------------------
def package_need(s: Scenario, package: Package) -> dict[tuple[int, str], float]:
    """Care hours a package needs by (weekday, band), from its visits."""
    need: dict[tuple[int, str], float] = defaultdict(float)
    for v in s.visits_of_package(package.id):
        day_start = v.day * DAY_MIN
        start = v.preferred - day_start
        for band, minutes in band_minutes(start, start + v.duration_min).items():
            need[(s.weekday(v.day), band)] += minutes * v.carers_required / 60
    return dict(need)


class BrokerState:
    """Capacity left per provider and an index of today's rounds, built once
    and reused by every shortlist (so a shortlist answers in milliseconds).

    Parameters
    ----------
    roster
        Today's rounds; default the scenario's status quo.
    """

    def __init__(self, s: Scenario, roster: Roster | None = None, travel: GeodesicTravel | None = None) -> None:
        self.s = s
        self.travel = travel or default_travel(dict(s.settings))
        self.roster = roster if roster is not None else s.status_quo
        self.remaining: dict[str, dict[tuple[int, str], float]] = {}
        self.weekly_left: dict[str, float] = {}
        self._rounds: dict[tuple[str, int], _RoundIndex] = {}
        self._by_carer_day: dict[tuple[str, int], object] = {}
        if self.roster is not None:
            for rnd in self.roster.rounds:
                self._by_carer_day[(rnd.carer_id, rnd.day)] = rnd
        for p in s.providers:
            self.remaining[p.id] = {(c.weekday, c.band): c.hours for c in p.band_capacity}
            self.weekly_left[p.id] = p.capacity_hours_week
        for pkg in s.packages:
            if pkg.status in ("placed", "offered") and pkg.provider_id:
                self.take(pkg.provider_id, pkg)
        self._needs: dict[str, dict[tuple[int, str], float]] = {}
        self._lot_spot: dict[str, list[Provider]] = defaultdict(list)
        for b in s.branches:
            prov = s.provider(b.provider_id)
            if prov.spot and prov not in self._lot_spot[b.district_id]:
                self._lot_spot[b.district_id].append(prov)

    def need(self, pkg: Package) -> dict[tuple[int, str], float]:
        if pkg.id not in self._needs:
            self._needs[pkg.id] = package_need(self.s, pkg)
        return self._needs[pkg.id]

    def take(self, provider_id: str, pkg: Package) -> None:
        """Book a package's hours against a provider's capacity."""
        prov = self.s.provider(provider_id)
        self.weekly_left[provider_id] = self.weekly_left.get(provider_id, 0.0) - pkg.hours_week
        if prov.band_capacity:
            cap = self.remaining[provider_id]
            for key, hours in package_need(self.s, pkg).items():
                cap[key] = cap.get(key, 0.0) - hours

    def short_bands(self, provider_id: str, pkg: Package) -> list[tuple[int, str]]:
        """(weekday, band) cells where the provider lacks the hours."""
        prov = self.s.provider(provider_id)
        if pkg.hours_week > self.weekly_left.get(provider_id, 0.0) + 1e-9 and not self.need(pkg):
            return [(-1, "week")]
        if not prov.band_capacity:
            return [] if pkg.hours_week <= self.weekly_left.get(provider_id, 0.0) + 1e-9 else [(-1, "week")]
        cap = self.remaining[provider_id]
        return sorted(k for k, h in self.need(pkg).items() if cap.get(k, 0.0) + 1e-9 < h)

    def candidates(self, pkg: Package) -> list[tuple[Provider, int | None]]:
        """(provider, rank) in framework order, then the district's spot providers."""
        client = self.s.client(pkg.client_id)
        lot = self.s.framework.lot(client.district_id, pkg.service_type, client.cohort)
        ranked = [] if lot is None else list(lot.providers)
        out: list[tuple[Provider, int | None]] = [(self.s.provider(pid), i + 1) for i, pid in enumerate(ranked)]
        # Framework order: every tier-1 provider before any tier-2 one.
        out.sort(key=lambda pr: (pr[0].tier, pr[1]))
        out += [(p, None) for p in self._lot_spot.get(client.district_id, []) if p.id not in ranked]
        return out

    def rounds(self, provider_id: str, day: int) -> _RoundIndex:
        key = (provider_id, day)
        if key not in self._rounds:
            self._rounds[key] = _RoundIndex(self, provider_id, day)
        return self._rounds[key]


class _RoundIndex:
    """Every place a visit could be inserted into a provider's rounds on one
    day (between two stops, or into an idle carer's empty shift), as arrays.

    For each gap: where the carer is before (and when they can leave), where
    they must be next (and the latest they may arrive there without making
    any later stop late or overrunning the shift: the forward time slack).
    """

    def __init__(self, state: BrokerState, provider_id: str, day: int) -> None:
        s = state.s
        self.travel = state.travel
        carers = s.carers_of(provider_id)
        # First every carer's points, then all their legs in one vectorised call.
        plans = []
        seg_a: list[Location] = []
        seg_b: list[Location] = []
        seg_mode: list[str] = []
        for k, carer in enumerate(carers):
            shift = next((sh for sh in s.shifts_of(carer.id) if sh.day == day), None)
            if shift is None:
                continue
            rnd = state._by_carer_day.get((carer.id, day))
            stops = [] if rnd is None else list(rnd.stops)  # type: ignore[attr-defined]
            points = [carer.home] + [s.client(s.visit(x.visit_id).client_id).location for x in stops] + [carer.home]
            plans.append((k, carer, shift, rnd, stops, points, len(seg_a)))
            seg_a += points[:-1]
            seg_b += points[1:]
            seg_mode += [carer.mode] * (len(points) - 1)
        legs = _legs(self.travel, seg_a, seg_b, seg_mode)
        rows: list[tuple] = []
        for k, carer, shift, rnd, stops, points, first in plans:
            leg = legs[first : first + len(points) - 1]
            leave = shift.start if rnd is None else rnd.leave  # type: ignore[attr-defined]
            limit_end = min(shift.end, leave + shift.work_limit)
            # Latest arrival at each point (backward pass); a double-up stop
            # is tied to its partner and cannot move.
            latest = [0] * len(points)
            latest[-1] = limit_end
            for i in range(len(stops) - 1, -1, -1):
                v = s.visit(stops[i].visit_id)
                fixed = v.carers_required > 1
                latest[i + 1] = (
                    stops[i].start if fixed else min(v.late, latest[i + 2] - v.duration_min - int(leg[i + 1]))
                )
            # The carer may leave home as early as the shift allows.
            departs = [shift.start] + [x.end for x in stops]
            for i in range(len(points) - 1):
                rows.append((k, points[i], points[i + 1], departs[i], latest[i + 1], int(leg[i])))
        self.carers = carers
        self.n = len(rows)
        self.carer = np.array([r[0] for r in rows], dtype=np.int64)
        self.prev_lat = np.array([r[1].lat for r in rows])
        self.prev_lon = np.array([r[1].lon for r in rows])
        self.prev_urban = np.array([r[1].urban for r in rows])
        self.next_lat = np.array([r[2].lat for r in rows])
        self.next_lon = np.array([r[2].lon for r in rows])
        self.next_urban = np.array([r[2].urban for r in rows])
        self.depart = np.array([r[3] for r in rows], dtype=np.int64)
        self.latest_next = np.array([r[4] for r in rows], dtype=np.int64)
        self.direct = np.array([r[5] for r in rows], dtype=np.int64)
        self.modes = np.array([carers[r[0]].mode for r in rows]) if rows else np.array([], dtype=str)
        self.skills = [carers[r[0]].skills for r in rows]
        self.gender = np.array([carers[r[0]].gender for r in rows]) if rows else np.array([], dtype=str)
        self.carer_ids = np.array([carers[r[0]].id for r in rows]) if rows else np.array([], dtype=str)
        self.home_lat = np.array([carers[r[0]].home.lat for r in rows])
        self.home_lon = np.array([carers[r[0]].home.lon for r in rows])
        self.home_urban = np.array([carers[r[0]].home.urban for r in rows])

    def insertion(self, s: Scenario, v: Visit) -> tuple[int, bool] | None:
        """(extra travel minutes, fits an existing round) to take ``v``.

        The cheapest feasible insertion into a round; failing that, a new
        trip from the nearest eligible carer's home (the provider re-plans
        its rounds when it takes a package). None when no carer of the
        provider is eligible at all (skills, gender, prohibitions, shift).
        """
        found = self.insertion_with_carers(s, v)
        return None if found is None else (found[0], found[1])

    def insertion_with_carers(self, s: Scenario, v: Visit) -> tuple[int, bool, tuple[str, ...]] | None:
        """As :meth:`insertion`, with the carer(s) whose round (or home) the
        visit would go into: one id, or two for a double-up."""
        if self.n == 0:
            return None
        client = s.client(v.client_id)
        ok = np.array([v.skills <= sk for sk in self.skills], dtype=bool)
        if client.gender_preference:
            ok &= self.gender == client.gender_preference
        if client.prohibited_carers:
            ok &= ~np.isin(self.carer_ids, list(client.prohibited_carers))
        if not ok.any() or len(np.unique(self.carer[ok])) < v.carers_required:
            return None
        loc = client.location
        to_new, _ = self.travel.from_point(loc, self.prev_lat, self.prev_lon, self.prev_urban, self.modes)
        from_new, _ = self.travel.from_point(loc, self.next_lat, self.next_lon, self.next_urban, self.modes)
        earliest = np.maximum(self.depart + to_new, v.early)
        # Latest start that still reaches the next point in time.
        latest = np.minimum(v.late, self.latest_next - from_new - v.duration_min)
        fits = ok & (earliest <= latest)
        detour = to_new + from_new - self.direct
        if fits.any():
            if v.carers_required == 1:
                # The first cheapest gap (argmin keeps the lowest index on ties,
                # as min() over the same values would).
                gap = int(np.flatnonzero(fits)[np.argmin(detour[fits])])
                return int(detour[gap]), True, (str(self.carer_ids[gap]),)
            pair = self._pair(detour, earliest, latest, fits)
            if pair is not None:
                cost, a, b = pair
                return cost, True, (str(self.carer_ids[a]), str(self.carer_ids[b]))
        # A new trip: home -> client -> home for the nearest eligible carer(s).
        out_min, _ = self.travel.from_point(loc, self.home_lat, self.home_lon, self.home_urban, self.modes)
        home = (2 * out_min)[ok]
        order = np.argsort(home, kind="stable")
        per_carer: dict[int, int] = {}
        for i in order:
            per_carer.setdefault(int(self.carer[ok][i]), int(home[i]))
            if len(per_carer) == v.carers_required:
                break
        trip = sum(per_carer.values())
        return trip, False, tuple(self.carers[k].id for k in per_carer)

    def _pair(self, detour: np.ndarray, lo: np.ndarray, hi: np.ndarray, ok: np.ndarray) -> tuple[int, int, int] | None:
        """Two different carers whose feasible start intervals overlap:
        (cost, gap of one, gap of the other), the cheapest found."""
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(detour[idx], kind="stable")][:60]
        best: tuple[int, int, int] | None = None
        for a_pos, a in enumerate(idx):
            for b in idx[a_pos + 1 :]:
                if self.carer[a] == self.carer[b]:
                    continue
                if max(lo[a], lo[b]) <= min(hi[a], hi[b]):
                    cost = int(detour[a] + detour[b])
                    if best is None or cost < best[0]:
                        best = (cost, int(a), int(b))
                    break  # idx is sorted: later b only cost more for this a
        return best


def _legs(travel: object, a: list, b: list, modes: list[str]) -> np.ndarray:
    """Minutes from a[i] to b[i] (any travel model; vectorised when it can)."""
    if hasattr(travel, "pairwise"):
        return travel.pairwise(a, b, modes)  # type: ignore[attr-defined]
    return np.array(
        [int(travel.matrices([x, y], m)[0][0, 1]) for x, y, m in zip(a, b, modes, strict=True)],  # type: ignore[attr-defined]
        dtype=np.int64,
    )


# ---------------------------------------------------------------------------
# Shortlist
# ---------------------------------------------------------------------------
def shortlist(
    s: Scenario,
    package: str | Package,
    *,
    state: BrokerState | None = None,
) -> tuple[Offer, ...]:
    """The package's providers in framework order, each with a reason.

    Raises
    ------
    InputError
        On an unknown package id.
    """
    pkg = _package(s, package)
    state = state or BrokerState(s)
    client = s.client(pkg.client_id)
    visits = s.visits_of_package(pkg.id)
    patches_of_area = {p.id for p in s.patches if client.area_id in p.area_ids}
    offers = []
    for prov, rank in state.candidates(pkg):
        short = state.short_bands(prov.id, pkg)
        capacity_ok = not short
        added, trips = _added_travel(state, prov.id, visits) if capacity_ok else (None, [])
        eligible = capacity_ok and added is not None
        fits = eligible and not trips
        in_patch = None if not s.patches else bool(prov.patches & patches_of_area)
        days = len({v.day for v in visits}) or 1
        where = f"rank {rank}, tier {prov.tier}" if rank is not None else "spot market"
        if not capacity_ok:
            reason = f"{where}: no capacity {_describe(short)}"
        elif added is None:
            reason = f"{where}: no carer can take the {trips[0]} (skills, gender, prohibitions or shifts)"
        else:
            reason = f"{where}: can take it; +{added / days:.0f} min travel a day"
            if trips:
                reason += f" ({len(trips)} call(s) need a new trip, e.g. {trips[0]})"
            if in_patch is not None:
                reason += "; in its patch" if in_patch else "; outside its patches"
        offers.append(
            Offer(
                provider_id=prov.id,
                provider_name=prov.name,
                tier=prov.tier,
                rank=rank,
                feasible=eligible,
                capacity_ok=capacity_ok,
                fits_rounds=fits,
                added_travel_min_week=added if eligible else None,
                added_travel_min_day=round(added / days, 1) if eligible and added is not None else None,
                in_patch=in_patch,
                rate_gbp_h=prov.rate_gbp_h,
                weekly_cost_gbp=round(prov.rate_gbp_h * pkg.hours_week, 2),
                reason=reason,
                short_bands=tuple(_cell(k) for k in short),
            )
        )
    return tuple(offers)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFit:
    """Where one call of a package would go in a provider's own rounds."""

    visit_id: str
    call: str
    day: int
    start_window: tuple[int, int]
    duration_min: int
    carers_required: int
    #: Extra travel minutes to take the call (None: no carer can take it).
    added_travel_min: int | None
    #: True when it fits into an existing round; False when it needs a new trip.
    fits_round: bool
    #: The carer(s) whose round it goes into (or who would make the new trip).
    carer_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def fit(
    s: Scenario,
    package: str | Package,
    provider_id: str,
    *,
    state: BrokerState | None = None,
) -> tuple[CallFit, ...]:
    """ "Can we fit it?": each call of the package inserted into the
    provider's own rounds where it is cheapest, with the carers it goes to.

    The same insertion estimate as :func:`shortlist` (so the totals agree
    with the shortlist's added travel), call by call.

    Raises
    ------
    InputError
        On an unknown package or provider.
    """
    pkg = _package(s, package)
    if not s.has("provider", provider_id):
        raise InputError(f"unknown provider {provider_id!r}")
    state = state or BrokerState(s)
    out = []
    for v in s.visits_of_package(pkg.id):
        found = state.rounds(provider_id, v.day).insertion_with_carers(s, v)
        out.append(
            CallFit(
                visit_id=v.id,
                call=_call(s, v),
                day=v.day,
                start_window=(v.early - v.day * DAY_MIN, v.late - v.day * DAY_MIN),
                duration_min=v.duration_min,
                carers_required=v.carers_required,
                added_travel_min=None if found is None else found[0],
                fits_round=found is not None and found[1],
                carer_ids=() if found is None else found[2],
            )
        )
    return tuple(out)


def choose(offers: Sequence[Offer], policy: str = "cascade") -> Offer | None:
    """The offer a policy picks (None when nobody can take the package)."""
    _check_policy(policy)
    feasible = [o for o in offers if o.feasible]
    if not feasible:
        return None
    if policy == "cascade":
        return feasible[0]
    if policy == "tiered":
        best_tier = min(o.tier for o in feasible)
        return min(
            (o for o in feasible if o.tier == best_tier), key=lambda o: (o.added_travel_min_week or 0, _order(o))
        )
    return max(feasible, key=lambda o: (weighted_score(o, feasible), -_order(o)))


def weighted_score(offer: Offer, field_: Sequence[Offer]) -> float:
    """0..1: quality (tier, then rank) 60%, cost (rate + travel) 40%."""
    ranks = [o.rank or 99 for o in field_]
    quality = (SPOT_TIER - offer.tier) / (SPOT_TIER - 1) * 0.7 + (1 - ((offer.rank or 99) - 1) / max(ranks)) * 0.3
    costs = [o.weekly_cost_gbp + (o.added_travel_min_week or 0) * TRAVEL_GBP_PER_MIN for o in field_]
    mine = offer.weekly_cost_gbp + (offer.added_travel_min_week or 0) * TRAVEL_GBP_PER_MIN
    lo, hi = min(costs), max(costs)
    cost = 1.0 if hi == lo else (hi - mine) / (hi - lo)
    return QUALITY_WEIGHT * quality + COST_WEIGHT * cost


def _order(o: Offer) -> int:
    """Framework order: tier first, then rank (spot last)."""
    return o.tier * 1000 + (o.rank or 999)


def _added_travel(state: BrokerState, provider_id: str, visits: Sequence[Visit]) -> tuple[int | None, list[str]]:
    """Weekly extra travel to take every visit (None if some visit has no
    eligible carer), and the calls that need a new trip."""
    total = 0
    new_trips = []
    for v in visits:
        found = state.rounds(provider_id, v.day).insertion(state.s, v)
        if found is None:
            return None, [_call(state.s, v)]
        extra, fits = found
        total += extra
        if not fits:
            new_trips.append(_call(state.s, v))
    return total, new_trips


def _call(s: Scenario, v: Visit) -> str:
    return f"{v.label or 'call'} on {WEEKDAYS[s.weekday(v.day)].title()}"


def _describe(short: list[tuple[int, str]]) -> str:
    """'Mon-Fri morning (07:00-10:30)' style text for short cells."""
    if short == [(-1, "week")]:
        return "(weekly hours)"
    by_band: dict[str, list[int]] = defaultdict(list)
    for wd, band in short:
        by_band[band].append(wd)
    parts = []
    for band in BAND_NAMES:
        if band in by_band:
            tb = next(b for b in TIME_BANDS if b.name == band)
            parts.append(f"{_days(by_band[band])} {band} ({_hhmm(tb.start)}-{_hhmm(tb.end)})")
    return ", ".join(parts)


def _days(days: list[int]) -> str:
    days = sorted(set(days))
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAYS[days[0]].title()}-{WEEKDAYS[days[-1]].title()}"
    return ",".join(WEEKDAYS[d].title() for d in days)


def _hhmm(minutes: int) -> str:
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


def _cell(key: tuple[int, str]) -> str:
    return "week" if key[0] < 0 else f"{WEEKDAYS[key[0]]} {key[1]}"


def _package(s: Scenario, package: str | Package) -> Package:
    if isinstance(package, Package):
        return package
    if not s.has("package", package):
        raise InputError(f"unknown package {package!r}")
    return s.package(package)


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise InputError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")


# ---------------------------------------------------------------------------
# Backlog
# ---------------------------------------------------------------------------
def backlog(s: Scenario) -> tuple[Package, ...]:
    """Packages awaiting a provider, most urgent and oldest first."""
    waiting = [p for p in s.packages if p.status == "awaiting"]
    return tuple(sorted(waiting, key=_priority))


def _priority(p: Package) -> tuple:
    return (URGENCIES.index(p.urgency), p.received or p.start, p.start, p.id)


def cascade_backlog(
    s: Scenario,
    packages: Iterable[Package] | None = None,
    *,
    policy: str = "cascade",
    state: BrokerState | None = None,
) -> Allocation:
    """One package at a time, most urgent first, each to the provider the
    policy picks from its shortlist; capacity is booked as it goes."""
    _check_policy(policy)
    started = time.perf_counter()
    state = state or BrokerState(s)
    placements = []
    for pkg in packages if packages is not None else backlog(s):
        offers = shortlist(s, pkg, state=state)
        pick = choose(offers, policy)
        if pick is None:
            placements.append(_unplaced(pkg, policy, _why_unplaced(offers)))
            continue
        state.take(pick.provider_id, pkg)
        placements.append(_placed(pkg, pick, policy))
    return _allocation(s, policy, "one at a time", placements, started)


def _unplaced(pkg: Package, rule: str, reason: str) -> Placement:
    """A package no provider takes under ``rule``, and why."""
    return Placement(package_id=pkg.id, provider_id=None, hours_week=pkg.hours_week, rule=rule, reason=reason)


def _placed(pkg: Package, offer: Offer, rule: str) -> Placement:
    """A package placed with the provider of ``offer`` under ``rule`` (the policy, and how it was applied)."""
    return Placement(
        package_id=pkg.id,
        provider_id=offer.provider_id,
        hours_week=pkg.hours_week,
        rule=f"{rule}: {offer.reason}",
        reason=offer.reason,
        added_travel_min_week=offer.added_travel_min_week or 0,
        spot=offer.tier == SPOT_TIER,
    )


def _allocation(s: Scenario, policy: str, method: str, placements: list[Placement], started: float) -> Allocation:
    """The allocation made, timed from ``started``, with the shortages behind what stayed unplaced."""
    return Allocation(
        policy=policy,
        method=method,
        placements=tuple(placements),
        runtime_s=round(time.perf_counter() - started, 3),
        shortages=_shortages(s, [p for p in placements if p.provider_id is None]),
    )


def _why_unplaced(offers: Sequence[Offer]) -> str:
    if not offers:
        return "no provider in the lot and no spot provider in the district"
    return "no provider can take it: " + "; ".join(o.reason for o in offers[:4])


def _shortages(s: Scenario, unplaced: Sequence[Placement]) -> tuple[str, ...]:
    """Hours short per lot and band, for the packages nobody could take."""
    short: dict[tuple[str, str, str, str], float] = defaultdict(float)
    names = {d.id: d.name for d in s.districts}
    for pl in unplaced:
        pkg = s.package(pl.package_id)
        client = s.client(pkg.client_id)
        need = package_need(s, pkg)
        bands = {b for (_, b) in need} or {"week"}
        for band in bands:
            hours = sum(h for (_, b), h in need.items() if b == band) if need else pkg.hours_week
            short[(names.get(client.district_id, client.district_id), pkg.service_type, client.cohort, band)] += hours
    return tuple(
        f"{d} / {st} / {co} / {band}: {h:.1f} h a week unplaced"
        # Ties in the order of their names: the bands come from a set, whose order varies between runs.
        for (d, st, co, band), h in sorted(short.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def allocate(
    s: Scenario,
    policy: str = "cascade",
    *,
    packages: Iterable[Package] | None = None,
    time_limit_s: float = 10.0,
    seed: int = 0,
    state: BrokerState | None = None,
    progress: Callable[[str], None] | None = None,
) -> Allocation:
    """Place a backlog jointly (CP-SAT).

    Lexicographic goals, as weights: (1) most hours placed, urgent packages
    weighted up; (2) the policy's preference (rank order for ``cascade``,
    tier for ``tiered``, the 60/40 score for ``weighted``); (3) least added
    travel. Capacity is respected per provider, weekday and band.
    """
    from patchplan.solver import _ortools

    _check_policy(policy)
    started = time.perf_counter()
    state = state or BrokerState(s)
    pkgs = list(packages) if packages is not None else list(backlog(s))
    step = progress or (lambda _n: None)
    step("shortlists")
    options: list[list[tuple[int, int]]] = []  # per package: (provider index, score)
    providers = [p.id for p in s.providers]
    pindex = {pid: i for i, pid in enumerate(providers)}
    offers_of: list[dict[str, Offer]] = []
    for pkg in pkgs:
        offers = [o for o in shortlist(s, pkg, state=state) if o.feasible]
        offers_of.append({o.provider_id: o for o in offers})
        hours_min = round(pkg.hours_week * 60)
        weight = URGENCY_WEIGHT[pkg.urgency]
        opts = []
        for o in offers:
            pref = _preference_penalty(o, offers, policy)
            # Placed minutes dominate (x 10^6), preference next (x 10^3), travel last.
            score = hours_min * weight * 1_000_000 - pref * 1_000 - (o.added_travel_min_week or 0)
            opts.append((pindex[o.provider_id], score))
        options.append(opts)
    step("joint allocation")
    needs = [
        {key: round(h * 60) for key, h in state.need(pkg).items()} or {(-1, "week"): round(pkg.hours_week * 60)}
        for pkg in pkgs
    ]
    capacity: dict[tuple[int, tuple[int, str]], int] = {}
    for i, pid in enumerate(providers):
        prov = s.provider(pid)
        for key, hours in state.remaining[pid].items():
            capacity[(i, key)] = max(0, int(np.floor(hours * 60)))
        capacity[(i, (-1, "week"))] = max(0, int(np.floor(state.weekly_left[pid] * 60)))
        if not prov.band_capacity:
            for pkg_need in needs:
                for key in pkg_need:
                    capacity.setdefault((i, key), 10**9)
    chosen = _ortools.solve_allocation(options, needs, capacity, time_limit_s=time_limit_s, seed=seed)
    placements = []
    for pkg, pick, by_provider in zip(pkgs, chosen, offers_of, strict=True):
        if pick is None:
            why = (
                _why_unplaced(shortlist(s, pkg, state=state))
                if not by_provider
                else "capacity went to more hours or more urgent packages"
            )
            placements.append(_unplaced(pkg, f"joint {policy}", why))
            continue
        placements.append(_placed(pkg, by_provider[providers[pick]], f"joint {policy}"))
    return _allocation(s, policy, "joint (CP-SAT)", placements, started)


def _preference_penalty(o: Offer, feasible: Sequence[Offer], policy: str) -> int:
    """How far an option is from the policy's favourite (0 = favourite)."""
    if policy == "cascade":
        order = sorted(feasible, key=_order)
        return order.index(o) * 10
    if policy == "tiered":
        return (o.tier - min(x.tier for x in feasible)) * 10
    return round((1 - weighted_score(o, feasible)) * 100)


__all__ = [
    "POLICIES",
    "Allocation",
    "BrokerState",
    "CallFit",
    "Offer",
    "Placement",
    "allocate",
    "backlog",
    "cascade_backlog",
    "choose",
    "fit",
    "package_need",
    "shortlist",
]
