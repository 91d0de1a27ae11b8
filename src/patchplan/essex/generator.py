"""The embedded Essex scenario: deterministic, realistic, from real geography.

:func:`essex` builds a one-week scenario for the Essex County Council area
(or one district of it) from the embedded open data, calibrated to the
council's published commissioning figures (:data:`PUBLISHED`):

1. **Demand.** Clients are placed in small areas in proportion to the 65+
   population (older people) or 16-64 population (working-age adults),
   weighted up where health deprivation is higher, at a real postcode of the
   area. Each gets a package with a realistic weekly call pattern
   (morning / lunch / tea / bed calls with windows, 15-60 minutes, some
   double-ups and time-critical medication calls) or a night / live-in
   service. Package sizes are then nudged, a call at a time, until every
   published total is met within 0.3%.
2. **Supply.** Each district has framework providers (tier 1 = higher
   quality) with branches in its towns; some also work in a neighbouring
   district. Their carers live near the branch, mostly drive, some walk in
   towns, and work early, late, split or night shifts on five days a week.
   A provider's capacity by weekday and time band is what its carers'
   shifts can deliver (60% of paid time; the rest is travel and waiting).
   Rural districts have less supply for their demand than towns.
3. **Today's brokerage.** Packages are placed the way brokers do by hand:
   down the lot's ranked list to the first provider with capacity in every
   band the package needs, regardless of where its other clients are;
   failing that, a spot provider; failing that, the package waits.
4. **Live demand.** A backlog of packages awaiting a provider (new
   requests, more of them in rural areas), plus any the cascade could not
   place.
5. **Status quo roster.** :mod:`patchplan.rounds.statusquo` makes the rounds a
   coordinator could have made by hand; the carers who saw each client in it
   are the client's history.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from patchplan.geo import geography as geo
from patchplan.core.errors import InputError
from patchplan.core.model import (
    BAND_NAMES,
    DAY_MIN,
    SPOT_TIER,
    Area,
    BandCapacity,
    Branch,
    Carer,
    Client,
    Framework,
    Location,
    Lot,
    Package,
    Provider,
    Scenario,
    Shift,
    Visit,
    band_minutes,
)

log = logging.getLogger("patchplan")

#: Essex County Council, Provider Hub commissioning intentions (long-term
#: home care): people, weekly hours and their split.
PUBLISHED = {
    "districts": 12,
    "clients": 7465,
    "hours_week": 128_000,
    "personal_care_hours": 115_000,
    "night_live_in_hours": 13_000,
    "personal_care_older_hours": 79_000,
    "personal_care_working_age_hours": 36_000,
    "night_live_in_older_hours": 0.15 * 13_000,
    "night_live_in_working_age_hours": 0.85 * 13_000,
}
#: Mean distance between consecutive visits found in a UK study of
#: domiciliary care rounds (Bristol and Cornwall), as a sanity anchor.
STUDY_MILES_BETWEEN_VISITS = 4.3

DEFAULT_START = dt.date(2026, 11, 30)  # a Monday
SKILLS = ("medication", "moving_handling", "dementia", "catheter", "peg_feeding")
#: Share of carers holding each skill.
SKILL_SHARE = {"medication": 0.88, "moving_handling": 0.9, "dementia": 0.6, "catheter": 0.4, "peg_feeding": 0.15}
#: Care hours a carer delivers per hour of shift (the rest is travel and waiting).
PRODUCTIVITY = 0.6
NIGHT_SERVICES = ("night_sleeping", "night_awake", "live_in")


@dataclass(frozen=True, slots=True)
class Call:
    """One call of a weekly pattern (times are minutes from midnight)."""

    label: str
    preferred: int
    duration: int
    carers: int = 1
    fixed: bool = False
    skills: frozenset[str] = frozenset()


@dataclass
class _Pattern:
    service_type: str
    cohort: str
    weekdays: list[int]
    calls: list[Call]
    #: live-in hours (no visits)
    live_in_hours: float = 0.0

    @property
    def hours(self) -> float:
        if self.service_type == "live_in":
            return self.live_in_hours
        return len(self.weekdays) * sum(c.duration * c.carers for c in self.calls) / 60


@dataclass
class _Demand:
    client: Client
    pattern: _Pattern
    area: Area
    status: str = "placed"
    urgency: str = "routine"
    start: dt.date = DEFAULT_START
    received: dt.date | None = None
    provider_id: str | None = None


@dataclass
class _ProviderDraft:
    id: str
    name: str
    tier: int
    rate: float
    districts: list[str]
    branches: list[Branch] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    capacity: dict[tuple[int, str], float] = field(default_factory=dict)
    live_in_slots: int = 0


def essex(
    *,
    district: str | None = None,
    seed: int = 1,
    scale: float = 1.0,
    start: dt.date = DEFAULT_START,
    backlog: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Scenario:
    """Generate the embedded Essex scenario.

    Parameters
    ----------
    district
        One district (name or code) instead of the whole county.
    seed
        Everything random comes from this seed: same seed, same scenario.
    scale
        Multiplies every published total (0.1 = a tenth of the demand).
    start
        First day (a Monday) of the one-week horizon.
    backlog
        Number of new packages awaiting a provider; default about 4% of the
        clients receiving care.
    progress
        Called with the name of each step, for progress bars.

    Raises
    ------
    InputError
        On an unknown district or a scale outside (0, 5].
    """
    if not 0 < scale <= 5:
        raise InputError(f"scale={scale} must be in (0, 5]")
    if start.weekday() != 0:
        raise InputError(f"start={start} must be a Monday (weekly call patterns start on Mondays)")
    step = progress or (lambda _name: None)
    g = geo.essex()
    rng = np.random.default_rng(seed)
    districts = g.districts
    if district is not None:
        wanted = [d for d in districts if district in (d.id,) or d.name.lower() == district.lower()]
        if not wanted:
            raise InputError(f"unknown district {district!r}; known: {', '.join(d.name for d in districts)}")
        chosen = {wanted[0].id}
    else:
        chosen = {d.id for d in districts}
    gen = _Generator(g, rng, chosen, scale, start)
    step("demand")
    demand = gen.demand()
    step("providers")
    providers = gen.providers(demand)
    step("carers")
    carers, shifts = gen.workforce(providers, demand)
    step("brokerage")
    gen.place(providers, demand)
    spot_carers, spot_shifts = gen.spot_workforce(providers, demand)
    carers += spot_carers
    shifts += spot_shifts
    gen.add_backlog(demand, backlog)
    step("scenario")
    scenario = gen.scenario(providers, demand, carers, shifts, seed, district)
    step("status quo")
    from patchplan.rounds.statusquo import status_quo_roster, with_history

    roster = status_quo_roster(scenario)
    scenario = with_history(scenario.replace(status_quo=roster), roster)
    return scenario


class _Generator:
    def __init__(self, g: geo.Geography, rng: np.random.Generator, districts: set[str], scale: float, start: dt.date):
        self.g = g
        self.rng = rng
        self.districts = districts
        self.scale = scale
        self.start = start
        self.areas = [a for a in g.areas if a.district_id in districts]
        # Share of the county's demand that falls in the chosen districts.
        self.weights = {
            "older_people": np.array([a.pop_65_plus * _deprivation(a) for a in g.areas]),
            "working_age": np.array([a.pop_16_64 * _deprivation(a) for a in g.areas]),
        }
        mask = np.array([a.district_id in districts for a in g.areas])
        self.mask = mask
        self.share = {k: float(w[mask].sum() / w.sum()) for k, w in self.weights.items()}
        self._ids: dict[str, int] = defaultdict(int)
        self._rota = 0  # staggers carers' days off across providers

    def next_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{prefix}{self._ids[prefix]:05d}"

    # -- demand ------------------------------------------------------------
    def targets(self) -> dict[tuple[str, str], tuple[int, float]]:
        """(count, hours) per (service group, cohort) for the chosen area."""
        f = self.scale
        s_old, s_work = self.share["older_people"], self.share["working_age"]
        hours = {
            ("personal_care", "older_people"): PUBLISHED["personal_care_older_hours"] * f * s_old,
            ("personal_care", "working_age"): PUBLISHED["personal_care_working_age_hours"] * f * s_work,
            ("night", "older_people"): PUBLISHED["night_live_in_older_hours"] * f * s_old,
            ("night", "working_age"): PUBLISHED["night_live_in_working_age_hours"] * f * s_work,
        }
        # Mean package sizes (hours/week) chosen so the four groups add up to
        # the published 7,465 people: older people's personal care is
        # smaller than working-age adults' (learning disability packages
        # are long); night / live-in packages are the largest.
        mean = {
            ("personal_care", "older_people"): 13.9,
            ("personal_care", "working_age"): 22.4,
            ("night", "older_people"): 68.0,
            ("night", "working_age"): 77.0,
        }
        counts = {k: max(1, round(h / mean[k])) if h > 0 else 0 for k, h in hours.items()}
        total_published = PUBLISHED["clients"] * f * (0.7 * s_old + 0.3 * s_work)
        # Nudge personal-care counts so the head count meets the published figure.
        gap = round(total_published) - sum(counts.values())
        key = ("personal_care", "older_people")
        counts[key] = max(1, counts[key] + gap)
        return {k: (counts[k], hours[k]) for k in hours}

    def demand(self) -> list[_Demand]:
        out: list[_Demand] = []
        for (group, cohort), (count, hours) in self.targets().items():
            if count == 0:
                continue
            areas = self.sample_areas(cohort, count)
            patterns = [self.pattern(group, cohort) for _ in range(count)]
            self.calibrate(patterns, hours)
            for area, pattern in zip(areas, patterns, strict=True):
                out.append(_Demand(client=self.client(area, cohort, pattern), pattern=pattern, area=area))
        order = self.rng.permutation(len(out))
        return [out[i] for i in order]

    def sample_areas(self, cohort: str, count: int, rural_boost: float = 1.0) -> list[Area]:
        w = self.weights[cohort][self.mask].astype(float)
        if rural_boost != 1.0:
            w = w * np.array([1.0 if a.centroid.urban else rural_boost for a in self.areas])
        idx = self.rng.choice(len(self.areas), size=count, p=w / w.sum())
        return [self.areas[i] for i in idx]

    def client(self, area: Area, cohort: str, pattern: _Pattern) -> Client:
        pcs = self.g.postcodes_in(area.id)
        if len(pcs):
            j = int(self.rng.integers(len(pcs)))
            postcode = str(pcs.index[j])
            loc = Location(float(pcs["lat"].iloc[j]), float(pcs["lon"].iloc[j]), area.centroid.urban)
        else:  # no postcode in the area: use its centroid
            postcode, loc = None, area.centroid
        female = self.rng.random() < (0.62 if cohort == "older_people" else 0.45)
        pref = None
        if female and self.rng.random() < 0.18:
            pref = "female"
        elif not female and self.rng.random() < 0.04:
            pref = "male"
        return Client(
            id=self.next_id("C"),
            location=loc,
            postcode=postcode,
            area_id=area.id,
            district_id=area.district_id,
            cohort=cohort,
            gender="female" if female else "male",
            gender_preference=pref,
        )

    def pattern(self, group: str, cohort: str) -> _Pattern:
        rng = self.rng
        if group == "night":
            kind = rng.choice(NIGHT_SERVICES, p=[0.45, 0.35, 0.20])
            if kind == "live_in":
                return _Pattern("live_in", cohort, [], [], live_in_hours=168.0)
            nights = int(rng.choice([7, 5, 4, 3], p=[0.55, 0.2, 0.15, 0.1]))
            days = sorted(rng.choice(7, size=nights, replace=False).tolist())
            length = 600 if kind == "night_sleeping" else 540
            call = Call("night", 22 * 60, length, skills=frozenset({"medication"}))
            return _Pattern(str(kind), cohort, days, [call])
        days = (
            list(range(7))
            if rng.random() < 0.86
            else sorted(rng.choice(7, size=int(rng.integers(3, 6)), replace=False).tolist())
        )
        older = cohort == "older_people"
        n_calls = int(rng.choice([1, 2, 3, 4], p=[0.12, 0.22, 0.30, 0.36] if older else [0.05, 0.15, 0.35, 0.45]))
        labels = {
            1: ["morning"],
            2: ["morning", "bed"],
            3: ["morning", "lunch", "bed"],
            4: ["morning", "lunch", "tea", "bed"],
        }[n_calls]
        double = rng.random() < (0.11 if older else 0.06)
        needs = set()
        if older and rng.random() < 0.22:
            needs.add("dementia")
        if rng.random() < 0.05:
            needs.add("catheter")
        if rng.random() < 0.02:
            needs.add("peg_feeding")
        calls = []
        for label in labels:
            preferred, durations, probs = _CALL_SHAPES[label]
            dur = int(rng.choice(durations, p=probs))
            if not older:
                dur = min(90, dur + 15)
            pref = int(rng.choice(preferred))
            carers = 2 if double and label in ("morning", "bed") else 1
            skills = set(needs)
            if carers == 2:
                skills.add("moving_handling")
            fixed = label in ("lunch", "tea") and rng.random() < 0.04
            if fixed or rng.random() < 0.5:
                skills.add("medication")
            calls.append(Call(label, pref, dur, carers, fixed, frozenset(skills)))
        return _Pattern("personal_care", cohort, days, calls)

    def calibrate(self, patterns: list[_Pattern], target: float) -> None:
        """Nudge package sizes until the group's hours are within 0.3% of
        the target (or 2 h for tiny groups): a call 15 minutes longer or
        shorter (kept in 15-90 min), and for night services a night more or
        less, or a live-in package turned into a sleeping night and back."""
        total = sum(p.hours for p in patterns)
        tolerance = max(0.003 * target, 2.0)
        guard = 0
        while abs(total - target) > tolerance and patterns and guard < 200_000:
            guard += 1
            p = patterns[int(self.rng.integers(len(patterns)))]
            before = p.hours
            if self._nudge(p, up=total < target):
                total += p.hours - before
        if abs(total - target) > tolerance:
            log.info("calibration stopped %.1f h from target %.1f h", total - target, target)

    def _nudge(self, p: _Pattern, up: bool) -> bool:
        """Make one pattern a step bigger (``up``) or smaller; False if it
        cannot move that way."""
        if p.service_type == "live_in":
            if up:
                return False
            p.service_type, p.live_in_hours = "night_sleeping", 0.0
            p.weekdays, p.calls = list(range(7)), [Call("night", 22 * 60, 600, skills=frozenset({"medication"}))]
            return True
        if p.service_type == "personal_care":
            i = int(self.rng.integers(len(p.calls)))
            call = p.calls[i]
            new = call.duration + (15 if up else -15)
            if not 15 <= new <= 90:
                return False
            p.calls[i] = Call(call.label, call.preferred, new, call.carers, call.fixed, call.skills)
            return True
        # Night services: a night more or less, or 30 minutes on each night.
        if self.rng.random() < 0.5:
            if up and len(p.weekdays) < 7:
                p.weekdays = sorted(set(range(7)) - set(p.weekdays))[:1] + p.weekdays
                p.weekdays.sort()
                return True
            if not up and len(p.weekdays) > 2:
                p.weekdays = p.weekdays[:-1]
                return True
            return False
        call = p.calls[0]
        new = call.duration + (30 if up else -30)
        if not 420 <= new <= 720:
            return False
        p.calls[0] = Call(call.label, call.preferred, new, call.carers, call.fixed, call.skills)
        return True

    # -- supply --------------------------------------------------------------
    def providers(self, demand: list[_Demand]) -> list[_ProviderDraft]:
        rng = self.rng
        by_district: dict[str, list[Area]] = defaultdict(list)
        for a in self.areas:
            by_district[a.district_id].append(a)
        hours_by_district: dict[str, float] = defaultdict(float)
        for d in demand:
            hours_by_district[d.area.district_id] += d.pattern.hours
        drafts: list[_ProviderDraft] = []
        district_names = {d.id: d.name for d in self.g.districts}
        for did in sorted(by_district):
            n = int(np.clip(round(hours_by_district[did] / 1150), 3, 14))
            for _ in range(n):
                tier = 1 if rng.random() < 0.45 else 2
                rate = round(float(rng.uniform(24.5, 27.0) if tier == 1 else rng.uniform(22.5, 25.0)), 2)
                p = _ProviderDraft(f"P{len(drafts) + 1:03d}", "", tier, rate, [did])
                drafts.append(p)
                self.add_branch(p, did, by_district[did], district_names)
            # A spot-market provider per district: dearer, off framework.
            spot = _ProviderDraft(f"S{did[-2:]}", "", SPOT_TIER, round(float(rng.uniform(28.0, 33.0)), 2), [did])
            drafts.append(spot)
            self.add_branch(spot, did, by_district[did], district_names, spot=True)
        # Some providers also work in a neighbouring district.
        neighbours = self._district_neighbours()
        for p in drafts:
            if p.tier != SPOT_TIER and rng.random() < 0.25:
                options = sorted(neighbours.get(p.districts[0], set()) & set(by_district))
                if options:
                    other = options[int(rng.integers(len(options)))]
                    p.districts.append(other)
                    self.add_branch(p, other, by_district[other], district_names)
        for p in drafts:
            p.services = {"personal_care"}
            if p.tier == SPOT_TIER or rng.random() < 0.45:
                p.services |= {"night_sleeping", "night_awake"}
            if p.tier == SPOT_TIER or rng.random() < 0.3:
                p.services.add("live_in")
            if rng.random() < 0.3:
                p.services.add("carer_support")
        # Every district needs at least two framework providers per service.
        for did in by_district:
            local = [p for p in drafts if did in p.districts and p.tier != SPOT_TIER]
            for service in ("night_sleeping", "night_awake", "live_in", "carer_support"):
                have = [p for p in local if service in p.services]
                for p in local[: max(0, 2 - len(have))]:
                    p.services.add(service)
        return drafts

    def add_branch(
        self, p: _ProviderDraft, did: str, areas: list[Area], names: dict[str, str], spot: bool = False
    ) -> None:
        # Branches sit in towns: urban areas, weighted by population.
        urban = [a for a in areas if a.centroid.urban] or areas
        w = np.array([a.pop_total for a in urban], dtype=float)
        area = urban[int(self.rng.choice(len(urban), p=w / w.sum()))]
        town = area.neighbourhood.split(" ")[0] if area.neighbourhood else names[did]
        if not p.name:
            p.name = _provider_name(self.rng, town, spot)
        pcs = self.g.postcodes_in(area.id)
        if len(pcs):
            j = int(self.rng.integers(len(pcs)))
            loc = Location(float(pcs["lat"].iloc[j]), float(pcs["lon"].iloc[j]), area.centroid.urban)
            postcode: str | None = str(pcs.index[j])
        else:
            loc, postcode = area.centroid, None
        p.branches.append(
            Branch(
                id=f"{p.id}-B{len(p.branches) + 1}",
                provider_id=p.id,
                name=f"{p.name} ({town})",
                location=loc,
                district_id=did,
                postcode=postcode,
            )
        )

    def _district_neighbours(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for a, b, data in self.g.graph.edges(data=True):
            if not data["same_district"]:
                da, db = self.g.graph.nodes[a]["district"], self.g.graph.nodes[b]["district"]
                out[da].add(db)
                out[db].add(da)
        return out

    def workforce(self, providers: list[_ProviderDraft], demand: list[_Demand]) -> tuple[list[Carer], list[Shift]]:
        """Carers and shifts sized to each provider's share of the demand in
        its districts, times a supply factor that is lower in rural areas."""
        rng = self.rng
        # Expected demand by district x weekday x band, in care hours.
        band_demand: dict[str, np.ndarray] = defaultdict(lambda: np.zeros((7, len(BAND_NAMES))))
        night_visits: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(7))
        live_in: dict[str, int] = defaultdict(int)
        for d in demand:
            did = d.area.district_id
            if d.pattern.service_type == "live_in":
                live_in[did] += 1
                continue
            if d.pattern.service_type != "personal_care":
                night_visits[did][d.pattern.weekdays] += 1
                continue
            for wd in d.pattern.weekdays:
                for call in d.pattern.calls:
                    for band, minutes in band_minutes(call.preferred, call.preferred + call.duration).items():
                        band_demand[did][wd, BAND_NAMES.index(band)] += minutes * call.carers / 60
        rural = self._rural_share()
        carers: list[Carer] = []
        shifts: list[Shift] = []
        for did in sorted(band_demand.keys() | night_visits.keys() | live_in.keys()):
            supply = 1.25 - 0.5 * rural.get(did, 0.0)
            local = [p for p in providers if did in p.districts and p.tier != SPOT_TIER]
            spot = [p for p in providers if did in p.districts and p.tier == SPOT_TIER]
            weights = rng.lognormal(0, 0.45, size=len(local))
            weights = weights / weights.sum() * supply
            groups = [(p, float(w)) for p, w in zip(local, weights, strict=True)]
            for p, share in groups:
                branch = next(b for b in p.branches if b.district_id == did)
                peak = band_demand[did] * share
                c, s = self.day_carers(p, branch, peak)
                carers += c
                shifts += s
                if "night_sleeping" in p.services or "night_awake" in p.services:
                    night_lists = [q for q in local if "night_awake" in q.services or "night_sleeping" in q.services]
                    nshare = share / max(1e-9, sum(w for q, w in groups if q in night_lists))
                    c, s = self.night_carers(p, branch, float(night_visits[did].max()) * supply * nshare)
                    carers += c
                    shifts += s
                if "live_in" in p.services:
                    n_live = [q for q in local if "live_in" in q.services]
                    p.live_in_slots += math.ceil(live_in[did] * supply / max(1, len(n_live)))
            del spot  # spot providers are staffed after placement (spot_workforce)
        return carers, shifts

    def spot_workforce(self, providers: list[_ProviderDraft], demand: list[_Demand]) -> tuple[list[Carer], list[Shift]]:
        """Spot providers take what the framework could not: staff them for
        the packages they were given (they bought the capacity at a price)."""
        carers: list[Carer] = []
        shifts: list[Shift] = []
        for p in providers:
            if p.tier != SPOT_TIER:
                continue
            mine = [d for d in demand if d.provider_id == p.id]
            peak = np.zeros((7, len(BAND_NAMES)))
            night = np.zeros(7)
            for d in mine:
                if d.pattern.service_type == "personal_care":
                    for (wd, band), h in _band_need(d.pattern).items():
                        peak[wd, BAND_NAMES.index(band)] += h * 1.15
                elif d.pattern.service_type != "live_in":
                    night[d.pattern.weekdays] += 1
                else:
                    p.live_in_slots += 1
            c, s = self.staff(p, p.branches[0], peak, float(night.max()))
            carers += c
            shifts += s
        return carers, shifts

    def staff(
        self, p: _ProviderDraft, branch: Branch, peak: np.ndarray, per_night: float
    ) -> tuple[list[Carer], list[Shift]]:
        """Day carers for ``peak`` (hours by weekday x band) and night carers
        for ``per_night`` nights at once, each only when there is such work."""
        carers: list[Carer] = []
        shifts: list[Shift] = []
        if peak.any():
            c, s = self.day_carers(p, branch, peak)
            carers += c
            shifts += s
        if per_night > 0:
            c, s = self.night_carers(p, branch, per_night)
            carers += c
            shifts += s
        return carers, shifts

    def _rural_share(self) -> dict[str, float]:
        pop: dict[str, float] = defaultdict(float)
        rural: dict[str, float] = defaultdict(float)
        for a in self.areas:
            pop[a.district_id] += a.pop_65_plus
            if not a.centroid.urban:
                rural[a.district_id] += a.pop_65_plus
        return {d: rural[d] / pop[d] for d in pop if pop[d]}

    def day_carers(self, p: _ProviderDraft, branch: Branch, peak: np.ndarray) -> tuple[list[Carer], list[Shift]]:
        """Enough day carers for the busiest band of this provider's share.

        ``peak`` is care hours by weekday x band. Each shift type covers
        bands in proportion to its overlap with them; carers work five days
        in seven on a rota, so every day is equally staffed.
        """
        rng = self.rng
        types = _SHIFT_TYPES
        shares = np.array([t[4] for t in types])
        per_carer = np.zeros(len(BAND_NAMES))
        for _, start, end, max_work, share in types:
            factor = PRODUCTIVITY * (1.0 if max_work is None else min(1.0, max_work / (end - start)))
            for band, minutes in band_minutes(start, end).items():
                per_carer[BAND_NAMES.index(band)] += share * minutes / 60 * factor * 5 / 7
        day_bands = [i for i, b in enumerate(BAND_NAMES) if b != "night"]
        need = max(float(peak[:, i].max()) / per_carer[i] for i in day_bands if per_carer[i] > 0)
        n = max(2, math.ceil(need))
        carers, shifts = [], []
        kinds = rng.choice(len(types), size=n, p=shares / shares.sum())
        for k in range(n):
            carer = self.carer(p, branch)
            t = types[int(kinds[k])]
            off = {(k + self._rota) % 7, (k + self._rota + 1) % 7}
            for day in range(7):
                if day in off:
                    continue
                base = day * DAY_MIN
                shifts.append(Shift(carer_id=carer.id, day=day, start=base + t[1], end=base + t[2], max_work_min=t[3]))
                self._add_capacity(p, day, t[1], t[2], t[3])
            carers.append(carer)
        self._rota += n
        return carers, shifts

    def night_carers(self, p: _ProviderDraft, branch: Branch, per_night: float) -> tuple[list[Carer], list[Shift]]:
        """Night carers for ``per_night`` night visits on the busiest night,
        five nights in seven on a rota, with 10% cover."""
        n = max(1, math.ceil(per_night * 7 / 5 * 1.1))
        carers, shifts = [], []
        for k in range(n):
            carer = self.carer(p, branch, night=True)
            off = {(k + self._rota) % 7, (k + self._rota + 1) % 7}
            for day in range(7):
                if day in off:
                    continue
                base = day * DAY_MIN
                shifts.append(Shift(carer_id=carer.id, day=day, start=base + 21 * 60, end=base + 33 * 60))
                self._add_capacity(p, day, 21 * 60, 33 * 60, None)
            carers.append(carer)
        self._rota += n
        return carers, shifts

    def _add_capacity(self, p: _ProviderDraft, day: int, start: int, end: int, max_work: int | None) -> None:
        factor = PRODUCTIVITY * (1.0 if max_work is None else min(1.0, max_work / (end - start)))
        for band, minutes in band_minutes(start, end).items():
            key = (day % 7, band)
            p.capacity[key] = p.capacity.get(key, 0.0) + minutes / 60 * factor

    def carer(self, p: _ProviderDraft, branch: Branch, night: bool = False) -> Carer:
        rng = self.rng
        home_area = self._home_area(branch)
        pcs = self.g.postcodes_in(home_area.id)
        if len(pcs):
            j = int(rng.integers(len(pcs)))
            home = Location(float(pcs["lat"].iloc[j]), float(pcs["lon"].iloc[j]), home_area.centroid.urban)
            postcode: str | None = str(pcs.index[j])
        else:
            home, postcode = home_area.centroid, None
        near = geo_km(home, branch.location) < 2.5
        mode = "car"
        u = rng.random()
        if branch.location.urban and near and not night:
            mode = "walk" if u < 0.35 else "bike" if u < 0.42 else "public" if u < 0.5 else "car"
        skills = {s for s in SKILLS if rng.random() < SKILL_SHARE[s]}
        contracted = float(rng.choice([0.0, 16.0, 20.0, 25.0, 30.0, 37.5], p=[0.3, 0.1, 0.15, 0.15, 0.15, 0.15]))
        return Carer(
            id=self.next_id("K"),
            provider_id=p.id,
            branch_id=branch.id,
            home=home,
            postcode=postcode,
            mode=mode,
            skills=frozenset(skills),
            gender="female" if rng.random() < 0.82 else "male",
            contracted_hours_week=contracted,
            max_hours_week=48.0,
        )

    def _home_area(self, branch: Branch) -> Area:
        # Carers live within ~10 km of the branch, weighted by population.
        if not hasattr(self, "_area_xy"):
            self._area_xy = np.array([[a.centroid.lat, a.centroid.lon] for a in self.g.areas])
            self._area_pop = np.array([a.pop_16_64 for a in self.g.areas], dtype=float)
        lat, lon = branch.location.lat, branch.location.lon
        d = np.hypot(
            (self._area_xy[:, 0] - lat) * 111.0, (self._area_xy[:, 1] - lon) * 111.0 * math.cos(math.radians(lat))
        )
        w = self._area_pop * np.exp(-d / 3.5) * (d < 12)
        return self.g.areas[int(self.rng.choice(len(w), p=w / w.sum()))]

    # -- brokerage today -------------------------------------------------------
    def place(self, providers: list[_ProviderDraft], demand: list[_Demand]) -> None:
        """The cascade: first provider on the lot's list with capacity in every
        band the package needs; else a spot provider; else it waits."""
        lots = self.lots(providers)
        spot = defaultdict(list)
        for p in providers:
            if p.tier == SPOT_TIER:
                for d in p.districts:
                    spot[d].append(p)
        remaining = {p.id: dict(p.capacity) for p in providers}
        live_in = {p.id: p.live_in_slots for p in providers}
        by_id = {p.id: p for p in providers}
        for d in demand:
            need = _band_need(d.pattern)
            key = (d.area.district_id, d.pattern.service_type, d.pattern.cohort)
            options = [by_id[i] for i in lots.get(key, ())] + spot[d.area.district_id]
            for p in options:
                if d.pattern.service_type not in p.services:
                    continue
                if d.pattern.service_type == "live_in":
                    if live_in[p.id] > 0 or p.tier == SPOT_TIER:
                        live_in[p.id] -= 1
                        d.provider_id = p.id
                        break
                    continue
                cap = remaining[p.id]
                if p.tier == SPOT_TIER or all(cap.get(k, 0.0) >= h for k, h in need.items()):
                    for k, h in need.items():
                        cap[k] = cap.get(k, 0.0) - h
                    d.provider_id = p.id
                    break
            if d.provider_id is None:
                d.status = "awaiting"
                d.received = self.start - dt.timedelta(days=int(self.rng.integers(1, 60)))
        self._lots = lots

    def lots(self, providers: list[_ProviderDraft]) -> dict[tuple[str, str, str], tuple[str, ...]]:
        """Ranked lists: tier 1 first, each tier in order of a quality score;
        the working-age list is ranked separately (providers specialise)."""
        out = {}
        for did in sorted({d for p in providers for d in p.districts}):
            local = [p for p in providers if did in p.districts and p.tier != SPOT_TIER]
            for service in ("personal_care", "night_awake", "night_sleeping", "live_in", "carer_support"):
                members = [p for p in local if service in p.services]
                for cohort in ("older_people", "working_age"):
                    score = self.rng.random(len(members))
                    ranked = sorted(zip(members, score, strict=True), key=lambda ps: (ps[0].tier, -ps[1]))
                    out[(did, service, cohort)] = tuple(p.id for p, _ in ranked)
        return out

    def add_backlog(self, demand: list[_Demand], backlog: int | None) -> None:
        """New requests awaiting a provider, more of them in rural areas."""
        placed = sum(1 for d in demand if d.status == "placed")
        n = round(0.04 * placed) if backlog is None else backlog
        if n <= 0:
            return
        cohorts = self.rng.choice(["older_people", "working_age"], size=n, p=[0.72, 0.28])
        for cohort in ("older_people", "working_age"):
            count = int((cohorts == cohort).sum())
            if not count:
                continue
            areas = self.sample_areas(cohort, count, rural_boost=2.5)
            for area in areas:
                group = "night" if self.rng.random() < 0.03 else "personal_care"
                pattern = self.pattern(group, cohort)
                urgency = str(self.rng.choice(["hospital_discharge", "urgent", "routine"], p=[0.2, 0.25, 0.55]))
                d = _Demand(
                    client=self.client(area, cohort, pattern),
                    pattern=pattern,
                    area=area,
                    status="awaiting",
                    urgency=urgency,
                    start=self.start + dt.timedelta(days=int(self.rng.integers(0, 7))),
                    received=self.start - dt.timedelta(days=int(self.rng.integers(0, 21))),
                )
                demand.append(d)

    # -- assemble ------------------------------------------------------------
    def scenario(
        self,
        providers: list[_ProviderDraft],
        demand: list[_Demand],
        carers: list[Carer],
        shifts: list[Shift],
        seed: int,
        district: str | None,
    ) -> Scenario:
        clients, packages, visits = [], [], []
        for d in demand:
            clients.append(d.client)
            pkg_id = "PK" + d.client.id[1:]
            status = d.status
            start = d.start if status == "awaiting" else self.start - dt.timedelta(days=int(self.rng.integers(14, 900)))
            packages.append(
                Package(
                    id=pkg_id,
                    client_id=d.client.id,
                    service_type=d.pattern.service_type,
                    hours_week=round(d.pattern.hours, 4),
                    start=start,
                    urgency=d.urgency,
                    status=status,
                    provider_id=d.provider_id if status == "placed" else None,
                    received=d.received,
                )
            )
            visits += self.visits(pkg_id, d)
        out_providers = []
        for p in providers:
            bands = tuple(
                BandCapacity(weekday=wd, band=b, hours=round(p.capacity.get((wd, b), 0.0), 2))
                for wd in range(7)
                for b in BAND_NAMES
            )
            total = round(sum(x.hours for x in bands) + 168.0 * p.live_in_slots, 2)
            out_providers.append(
                Provider(
                    id=p.id,
                    name=p.name,
                    tier=p.tier,
                    rate_gbp_h=p.rate,
                    capacity_hours_week=total,
                    band_capacity=bands,
                )
            )
        framework = Framework(
            lots=tuple(
                Lot(district_id=k[0], service_type=k[1], cohort=k[2], providers=v)
                for k, v in sorted(self._lots.items())
            )
        )
        g = self.g
        return Scenario(
            name="essex" if district is None else f"essex-{district.lower().replace(' ', '-')}",
            start=self.start,
            days=7,
            seed=seed,
            geography="essex",
            districts=g.districts,
            areas=g.areas,
            clients=tuple(clients),
            packages=tuple(packages),
            visits=tuple(visits),
            providers=tuple(out_providers),
            branches=tuple(b for p in providers for b in p.branches),
            framework=framework,
            carers=tuple(carers),
            shifts=tuple(shifts),
            settings=(("generator", {"district": district or "", "scale": self.scale, "seed": seed}),),
        )

    def visits(self, pkg_id: str, d: _Demand) -> list[Visit]:
        out = []
        n = 0
        for wd in d.pattern.weekdays:
            base = wd * DAY_MIN
            for call in d.pattern.calls:
                n += 1
                if call.fixed:
                    early, late, tol = call.preferred, call.preferred, 0
                elif call.label == "night":
                    early, late, tol = call.preferred - 30, call.preferred + 30, 30
                else:
                    early = max(6 * 60 + 30, call.preferred - 60)
                    late = call.preferred + 60
                    tol = 30
                out.append(
                    Visit(
                        id=f"{pkg_id}-{n:02d}",
                        package_id=pkg_id,
                        client_id=d.client.id,
                        day=wd,
                        early=base + early,
                        late=base + late,
                        duration_min=call.duration,
                        target=base + call.preferred,
                        tolerance_min=tol,
                        carers_required=call.carers,
                        skills=call.skills,
                        label=call.label,
                    )
                )
        return out


#: Preferred start times (minutes) and duration choices per call.
_CALL_SHAPES: dict[str, tuple[list[int], list[int], list[float]]] = {
    "morning": (list(range(7 * 60, 9 * 60 + 31, 15)), [30, 45, 60], [0.35, 0.4, 0.25]),
    "lunch": (list(range(12 * 60, 13 * 60 + 31, 15)), [15, 30, 45], [0.2, 0.65, 0.15]),
    "tea": (list(range(16 * 60 + 30, 18 * 60 + 1, 15)), [15, 30, 45], [0.2, 0.65, 0.15]),
    "bed": (list(range(19 * 60 + 30, 21 * 60 + 31, 15)), [15, 30, 45], [0.15, 0.6, 0.25]),
}
#: Day shift types: (name, start, end, max work minutes, share of carers).
_SHIFT_TYPES = (
    ("early", 7 * 60, 14 * 60 + 30, None, 0.38),
    ("flex", 7 * 60, 22 * 60, 8 * 60, 0.17),
    ("late", 15 * 60, 22 * 60 + 30, None, 0.37),
    ("day", 9 * 60, 17 * 60, None, 0.08),
)


def _band_need(p: _Pattern) -> dict[tuple[int, str], float]:
    need: dict[tuple[int, str], float] = defaultdict(float)
    for wd in p.weekdays:
        for call in p.calls:
            for band, minutes in band_minutes(call.preferred, call.preferred + call.duration).items():
                need[(wd, band)] += minutes * call.carers / 60
    return need


def _deprivation(a: Area) -> float:
    # Decile 1 (most health-deprived) gets ~1.5x the need of decile 10.
    return 1.0 + 0.055 * (10 - a.health_decile)


def geo_km(a: Location, b: Location) -> float:
    from patchplan.geo.travel import haversine_m

    return float(haversine_m(a.lat, a.lon, np.array([b.lat]), np.array([b.lon]))[0]) / 1000


_NAME_PARTS = (
    "{t} Home Care",
    "Caring Hands {t}",
    "{t} Community Care",
    "Bluebell Care ({t})",
    "Home Instead {t}",
    "{t} Care at Home",
    "Oakleaf Care {t}",
    "Kindred Homecare {t}",
    "Willow Domiciliary Care {t}",
    "Heritage Home Support {t}",
    "Riverside Care Services {t}",
    "Bridgewell Care {t}",
)


def _provider_name(rng: np.random.Generator, town: str, spot: bool) -> str:
    if spot:
        return f"{town} Agency Care (spot)"
    return str(_NAME_PARTS[int(rng.integers(len(_NAME_PARTS)))]).format(t=town)


# ---------------------------------------------------------------------------
# Facts
# ---------------------------------------------------------------------------
def facts(s: Scenario) -> dict[str, Any]:
    """Totals of a scenario next to the published figures they aim at.

    ``expected`` figures are the published ones times the scenario's scale
    and, for one district, its share of the county's weighted population.
    """
    placed = [p for p in s.packages if p.status == "placed"]
    waiting = [p for p in s.packages if p.status == "awaiting"]
    clients = {p.client_id for p in placed}

    def hours(pred: Callable[[Package], bool]) -> float:
        return sum(p.hours_week for p in placed if pred(p))

    cohort = {c.id: c.cohort for c in s.clients}
    night = {"night_awake", "night_sleeping", "live_in"}
    out: dict[str, Any] = {
        "districts": len({s.client(c).district_id for c in clients}),
        "clients": len(clients),
        "hours_week": hours(lambda p: True),
        "personal_care_hours": hours(lambda p: p.service_type == "personal_care"),
        "night_live_in_hours": hours(lambda p: p.service_type in night),
        "personal_care_older_hours": hours(
            lambda p: p.service_type == "personal_care" and cohort[p.client_id] == "older_people"
        ),
        "personal_care_working_age_hours": hours(
            lambda p: p.service_type == "personal_care" and cohort[p.client_id] == "working_age"
        ),
        "night_live_in_older_hours": hours(lambda p: p.service_type in night and cohort[p.client_id] == "older_people"),
        "night_live_in_working_age_hours": hours(
            lambda p: p.service_type in night and cohort[p.client_id] == "working_age"
        ),
    }
    rural = {a.id for a in s.areas if not a.centroid.urban}
    framework = [p for p in s.providers if not p.spot]
    extra = {
        "visits_week": sum(1 for v in s.visits if s.package(v.package_id).status == "placed"),
        "double_up_visits_week": sum(
            1 for v in s.visits if v.carers_required == 2 and s.package(v.package_id).status == "placed"
        ),
        "providers_tier1": sum(1 for p in framework if p.tier == 1),
        "providers_tier2": sum(1 for p in framework if p.tier == 2),
        "providers_spot": sum(1 for p in s.providers if p.spot),
        "framework_lots": len(s.framework.lots),
        "spot_hours": sum(p.hours_week for p in placed if s.provider(p.provider_id).spot),  # type: ignore[arg-type]
        "carers": len(s.carers),
        "backlog_packages": len(waiting),
        "backlog_hours": sum(p.hours_week for p in waiting),
        "backlog_rural_share": (
            sum(1 for p in waiting if s.client(p.client_id).area_id in rural) / len(waiting) if waiting else 0.0
        ),
        "clients_rural_share": (
            sum(1 for c in clients if s.client(c).area_id in rural) / len(clients) if clients else 0.0
        ),
    }
    if s.status_quo is not None:
        from patchplan.rounds.statusquo import consecutive_distance_miles

        extra["status_quo_miles_between_visits"] = consecutive_distance_miles(s, s.status_quo)
        extra["status_quo_unassigned_visits"] = len(s.status_quo.unassigned)
    gen = s.setting("generator", {}) or {}
    expected = expected_figures(gen.get("district") or None, float(gen.get("scale", 1.0))) if gen else {}
    return {"figures": out, "expected": expected, "extra": extra}


def expected_figures(district: str | None, scale: float) -> dict[str, float]:
    """Published figures scaled to a district and scale factor."""
    g = geo.essex()
    gen = _Generator(
        g,
        np.random.default_rng(0),
        {d.id for d in g.districts if district is None or district in (d.id,) or d.name.lower() == district.lower()},
        scale,
        DEFAULT_START,
    )
    s_old, s_work = gen.share["older_people"], gen.share["working_age"]
    pub = PUBLISHED
    return {
        "districts": pub["districts"] if district is None else 1,
        "clients": pub["clients"] * scale * (0.7 * s_old + 0.3 * s_work),
        "hours_week": (pub["personal_care_older_hours"] + pub["night_live_in_older_hours"]) * scale * s_old
        + (pub["personal_care_working_age_hours"] + pub["night_live_in_working_age_hours"]) * scale * s_work,
        "personal_care_hours": pub["personal_care_older_hours"] * scale * s_old
        + pub["personal_care_working_age_hours"] * scale * s_work,
        "night_live_in_hours": pub["night_live_in_older_hours"] * scale * s_old
        + pub["night_live_in_working_age_hours"] * scale * s_work,
        "personal_care_older_hours": pub["personal_care_older_hours"] * scale * s_old,
        "personal_care_working_age_hours": pub["personal_care_working_age_hours"] * scale * s_work,
        "night_live_in_older_hours": pub["night_live_in_older_hours"] * scale * s_old,
        "night_live_in_working_age_hours": pub["night_live_in_working_age_hours"] * scale * s_work,
    }
