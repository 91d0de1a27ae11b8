"""The embedded Essex scenario: deterministic, realistic, from real geography.

:func:`essex` builds a one-week scenario for the Essex County Council area
(or one district of it) from the embedded open data, calibrated to the
council's published commissioning figures
(:data:`patchplan.essex.facts.PUBLISHED`). This module owns the steps below
and the assembly of the scenario; the carers and shifts of step 2 are
:mod:`patchplan.essex.workforce`, the figures and the weights that spread
demand over areas :mod:`patchplan.essex.facts`, and the working records
(patterns, demand, provider drafts) :mod:`patchplan.essex.drafts`.

1. **Demand.** Clients are placed in small areas in proportion to the 65+
   population (older people) or 16-64 population (working-age adults),
   weighted up where health deprivation is higher, at a real postcode of the
   area. Each gets a package with a realistic weekly call pattern
   (morning / lunch / tea / bed calls with windows, 15-60 minutes, some
   double-ups and time-critical medication calls) or a night / live-in
   service. Package sizes are then nudged, a call at a time, until every
   published total is met within 0.3%. The calls become the scenario's
   call patterns (:class:`~patchplan.core.patterns.CallPattern`, written to
   ``call_patterns.csv``), whose expansion over the week are its visits.
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
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from patchplan.core.errors import InputError
from patchplan.core.model import (
    BAND_NAMES,
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
)
from patchplan.core.patterns import CallPattern, expand
from patchplan.essex.drafts import DEFAULT_START, Call, Demand, Pattern, ProviderDraft, band_need, call_patterns
from patchplan.essex.facts import PUBLISHED, demand_share, demand_weights
from patchplan.essex.workforce import Workforce, framework_workforce, pattern_need, spot_workforce
from patchplan.geo import geography as geo

log = logging.getLogger("patchplan")

NIGHT_SERVICES = ("night_sleeping", "night_awake", "live_in")


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
    staff = Workforce(g, rng)
    step("demand")
    demand = gen.demand()
    step("providers")
    providers = gen.providers(demand)
    step("carers")
    carers, shifts = framework_workforce(staff, providers, demand, gen.areas)
    step("brokerage")
    gen.place(providers, demand)
    spot_carers, spot_shifts = spot_workforce(staff, providers, demand)
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
    """Demand, providers, today's brokerage and the assembled scenario, drawing from one ``rng``."""

    def __init__(self, g: geo.Geography, rng: np.random.Generator, districts: set[str], scale: float, start: dt.date):
        self.g = g
        self.rng = rng
        self.districts = districts
        self.scale = scale
        self.start = start
        self.areas = [a for a in g.areas if a.district_id in districts]
        self.weights = demand_weights(g)
        self.mask = np.array([a.district_id in districts for a in g.areas])
        # Share of the county's demand that falls in the chosen districts.
        self.share = demand_share(g, districts)
        self._ids: dict[str, int] = defaultdict(int)

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

    def demand(self) -> list[Demand]:
        out: list[Demand] = []
        for (group, cohort), (count, hours) in self.targets().items():
            if count == 0:
                continue
            areas = self.sample_areas(cohort, count)
            patterns = [self.pattern(group, cohort) for _ in range(count)]
            self.calibrate(patterns, hours)
            for area, pattern in zip(areas, patterns, strict=True):
                out.append(Demand(client=self.client(area, cohort, pattern), pattern=pattern, area=area))
        order = self.rng.permutation(len(out))
        return [out[i] for i in order]

    def sample_areas(self, cohort: str, count: int, rural_boost: float = 1.0) -> list[Area]:
        w = self.weights[cohort][self.mask].astype(float)
        if rural_boost != 1.0:
            w = w * np.array([1.0 if a.centroid.urban else rural_boost for a in self.areas])
        idx = self.rng.choice(len(self.areas), size=count, p=w / w.sum())
        return [self.areas[i] for i in idx]

    def client(self, area: Area, cohort: str, pattern: Pattern) -> Client:
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

    def pattern(self, group: str, cohort: str) -> Pattern:
        rng = self.rng
        if group == "night":
            kind = rng.choice(NIGHT_SERVICES, p=[0.45, 0.35, 0.20])
            if kind == "live_in":
                return Pattern("live_in", cohort, [], [], live_in_hours=168.0)
            nights = int(rng.choice([7, 5, 4, 3], p=[0.55, 0.2, 0.15, 0.1]))
            days = sorted(rng.choice(7, size=nights, replace=False).tolist())
            length = 600 if kind == "night_sleeping" else 540
            call = Call("night", 22 * 60, length, skills=frozenset({"medication"}))
            return Pattern(str(kind), cohort, days, [call])
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
        return Pattern("personal_care", cohort, days, calls)

    def calibrate(self, patterns: list[Pattern], target: float) -> None:
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

    def _nudge(self, p: Pattern, up: bool) -> bool:
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
    def providers(self, demand: list[Demand]) -> list[ProviderDraft]:
        rng = self.rng
        by_district: dict[str, list[Area]] = defaultdict(list)
        for a in self.areas:
            by_district[a.district_id].append(a)
        hours_by_district: dict[str, float] = defaultdict(float)
        for d in demand:
            hours_by_district[d.area.district_id] += d.pattern.hours
        drafts: list[ProviderDraft] = []
        district_names = {d.id: d.name for d in self.g.districts}
        for did in sorted(by_district):
            n = int(np.clip(round(hours_by_district[did] / 1150), 3, 14))
            for _ in range(n):
                tier = 1 if rng.random() < 0.45 else 2
                rate = round(float(rng.uniform(24.5, 27.0) if tier == 1 else rng.uniform(22.5, 25.0)), 2)
                p = ProviderDraft(f"P{len(drafts) + 1:03d}", "", tier, rate, [did])
                drafts.append(p)
                self.add_branch(p, did, by_district[did], district_names)
            # A spot-market provider per district: dearer, off framework.
            spot = ProviderDraft(f"S{did[-2:]}", "", SPOT_TIER, round(float(rng.uniform(28.0, 33.0)), 2), [did])
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
        self, p: ProviderDraft, did: str, areas: list[Area], names: dict[str, str], spot: bool = False
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

    # -- brokerage today -------------------------------------------------------
    def place(self, providers: list[ProviderDraft], demand: list[Demand]) -> None:
        """The cascade: first provider on the lot's list with capacity in every
        band the package needs; else a spot provider; else it waits."""
        lots = self.lots(providers)
        spot: dict[str, list[ProviderDraft]] = defaultdict(list)
        for p in providers:
            if p.tier == SPOT_TIER:
                for did in p.districts:
                    spot[did].append(p)
        remaining = {p.id: dict(p.capacity) for p in providers}
        # Half-hour capacity too: bands alone would give a rota of morning runs lunch calls.
        slots = {p.id: None if p.slots is None else p.slots.copy() for p in providers}
        live_in = {p.id: p.live_in_slots for p in providers}
        by_id = {p.id: p for p in providers}
        for d in demand:
            need = band_need(d.pattern)
            fine = pattern_need(d.pattern) if d.pattern.service_type == "personal_care" else None
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
                free = slots[p.id]
                fits = all(cap.get(k, 0.0) >= h for k, h in need.items())
                if fits and free is not None and fine is not None:
                    fits = bool((free >= fine - 1e-9).all())
                if p.tier == SPOT_TIER or fits:
                    for k, h in need.items():
                        cap[k] = cap.get(k, 0.0) - h
                    if free is not None and fine is not None:
                        free -= fine
                    d.provider_id = p.id
                    break
            if d.provider_id is None:
                d.status = "awaiting"
                d.received = self.start - dt.timedelta(days=int(self.rng.integers(1, 60)))
        self._lots = lots

    def lots(self, providers: list[ProviderDraft]) -> dict[tuple[str, str, str], tuple[str, ...]]:
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

    def add_backlog(self, demand: list[Demand], backlog: int | None) -> None:
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
                d = Demand(
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
        providers: list[ProviderDraft],
        demand: list[Demand],
        carers: list[Carer],
        shifts: list[Shift],
        seed: int,
        district: str | None,
    ) -> Scenario:
        clients: list[Client] = []
        packages: list[Package] = []
        patterns: list[CallPattern] = []
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
            patterns += self.call_patterns(pkg_id, d)
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
            visits=tuple(expand(patterns, self.start, 7)),
            patterns=tuple(patterns),
            providers=tuple(out_providers),
            branches=tuple(b for p in providers for b in p.branches),
            framework=framework,
            carers=tuple(carers),
            shifts=tuple(shifts),
            settings=(("generator", {"district": district or "", "scale": self.scale, "seed": seed}),),
        )

    def call_patterns(self, pkg_id: str, d: Demand) -> tuple[CallPattern, ...]:
        """The package's recurring calls, anchored on the horizon's first week (so its visits are ``{package}-{nn}``)."""
        return call_patterns(d.pattern, pkg_id, d.client.id, self.start)


#: Preferred start times (minutes) and duration choices per call.
_CALL_SHAPES: dict[str, tuple[list[int], list[int], list[float]]] = {
    "morning": (list(range(7 * 60, 9 * 60 + 31, 15)), [30, 45, 60], [0.35, 0.4, 0.25]),
    "lunch": (list(range(12 * 60, 13 * 60 + 31, 15)), [15, 30, 45], [0.2, 0.65, 0.15]),
    "tea": (list(range(16 * 60 + 30, 18 * 60 + 1, 15)), [15, 30, 45], [0.2, 0.65, 0.15]),
    "bed": (list(range(19 * 60 + 30, 21 * 60 + 31, 15)), [15, 30, 45], [0.15, 0.6, 0.25]),
}
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
