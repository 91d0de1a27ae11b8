"""The Essex workforce: carers, their rota and how many a provider needs.

:class:`Workforce` makes carers (home near the branch, travel mode, skills, contract) and their
shifts, and adds what the shifts can deliver to the provider's capacity by weekday and time band.
The generator staffs framework providers for their share of the demand (:func:`framework_workforce`)
and spot providers for what they were given (:func:`spot_workforce`); the patch evaluation staffs
one provider's work in a patch with :func:`task_workforce`.

The rota is the one UK domiciliary providers use, calibrated to published figures where they exist:

- **Hours.** Of staff in domiciliary care services, 47% work full time, 38% part time and 15% have no
  set hours (Skills for Care, *The state of the adult social care sector and workforce in England*,
  2019, domiciliary care services; quoted in the British Journal of Nursing's "We need to talk about
  adult social care"). :data:`HOURS_CLASSES` uses these shares.
- **Contracts.** 43% of domiciliary care staff are on zero-hours contracts (Skills for Care, *The
  state of the adult social care sector and workforce in England*, 2023). Everyone with no set hours
  is on one; so are 33% of the others (0.15 + 0.85 x 0.33 = 0.43). Guaranteed hours for the rest are
  an assumption (no published figure): three quarters of the hours their pattern rosters, to the
  half hour.
- **Split shifts.** 296 of the 417 home care workers who answered the Community Care / Unison survey
  of 2015 worked split shifts (71%; a self-selected sample, so an upper bound): a morning run and a
  tea/bed run with an unpaid gap. Here a split shift is 07:00-11:00 and 16:30-20:00, which keeps the
  11 hours' daily rest of the Working Time Regulations (reg. 10) between 20:00 and 07:00; the
  survey's 7am-to-10pm days do not (care may claim the continuity-of-service exception with
  compensatory rest, reg. 21-24, which patchplan does not model). Full-day, morning-only and
  evening-only shifts make up the rest (:data:`DAY_SHIFTS`; the mix within each hours class is an
  assumption).
- **Weekends.** Full- and part-time carers work alternate weekends (half of them this week,
  staggered on the rota; an assumption, the common pattern in providers' job adverts, no national
  figure); weekend-only part-timers fill what the weekend still lacks. Full-time carers work five
  days in seven, part-timers three or four, carers with no set hours two to six ("7 day and 6 day
  working is common": Rubery et al., Manchester Business School, for the Resolution Foundation, 2014).
- **Night carers** work 21:00-09:00, five nights in seven.

Day ``d`` of the horizon is weekday ``d % 7`` (the generator's weeks start on a Monday).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from patchplan.core.model import DAY_MIN, SPOT_TIER, Area, Branch, Carer, Location, Shift, band_minutes
from patchplan.essex.drafts import Demand, Pattern, ProviderDraft
from patchplan.geo import geography as geo

SKILLS = ("medication", "moving_handling", "dementia", "catheter", "peg_feeding")
#: Share of carers holding each skill.
SKILL_SHARE = {"medication": 0.88, "moving_handling": 0.9, "dementia": 0.6, "catheter": 0.4, "peg_feeding": 0.15}
#: Care hours a carer delivers per hour of shift (the rest is travel and waiting).
PRODUCTIVITY = 0.6
#: Day shifts a carer works on each of their working days: name -> ((start, end), ...) in minutes
#: from midnight. A split shift is two shifts with an unpaid gap between them.
DAY_SHIFTS: dict[str, tuple[tuple[int, int], ...]] = {
    "split": ((7 * 60, 10 * 60 + 30), (17 * 60, 20 * 60)),
    "early": ((7 * 60, 14 * 60 + 30),),
    "late": ((15 * 60, 22 * 60 + 30),),
    "day": ((9 * 60, 17 * 60),),
    "morning": ((7 * 60, 11 * 60),),
    "evening": ((17 * 60, 22 * 60 + 30),),
}
#: Hours classes: name -> (share of carers, {day shift: share within the class}, working days a week
#: (choices), works alternate weekends). Shares of the classes: Skills for Care 2019 (see above); a
#: small weekend-only class covers what alternate weekends leave (drawn only while weekends are short).
HOURS_CLASSES: dict[str, tuple[float, dict[str, float], tuple[int, ...], bool]] = {
    "full_time": (0.47, {"split": 0.55, "early": 0.2, "late": 0.2, "day": 0.05}, (5,), True),
    "part_time": (0.38, {"morning": 0.35, "evening": 0.35, "split": 0.3}, (3, 4), True),
    "no_set_hours": (
        0.15,
        {"split": 0.4, "early": 0.15, "late": 0.15, "morning": 0.15, "evening": 0.15},
        (2, 3, 4, 5, 6),
        False,
    ),
}
#: Weekend-only part-timers: Saturday and Sunday, on these shifts.
WEEKEND_SHIFTS = {"split": 0.5, "early": 0.25, "late": 0.25}
#: Zero-hours contracts among carers with set hours (43% of all, with every no-set-hours carer).
ZERO_HOURS_WITH_SET_HOURS = 0.33
#: Guaranteed hours as a share of what the pattern rosters (an assumption).
GUARANTEED_SHARE = 0.75
#: Care hours a carer delivers per hour of shift (the rest is travel and waiting).
PRODUCTIVITY = 0.6
WEEKEND = (5, 6)
#: Rota lines drawn for each hire; the one that fills most of the gap per hour is taken.
DRAWS = 3
#: Draws from the mix that fill nothing before a gap-filling zero-hours line is made instead.
MISSES = 10


SLOT_MIN = 30
SLOTS = DAY_MIN // SLOT_MIN


def _slot_minutes(start: int, end: int) -> np.ndarray:
    """Minutes of [start, end) (minutes from midnight, within a day) in each half hour."""
    edges = np.arange(SLOTS) * SLOT_MIN
    return np.clip(np.minimum(edges + SLOT_MIN, end) - np.maximum(edges, start), 0, None).astype(float)


#: Half hours some day shift covers (the rest is the night carers').
COVERABLE = (np.sum([_slot_minutes(a, b) for parts in DAY_SHIFTS.values() for a, b in parts], axis=0) > 0).astype(float)


def add_call(need: np.ndarray, weekday: int, start: int, duration: int, carers: float = 1) -> None:
    """Add a call's care hours to ``need`` (weekday x half hour); ``start``
    is minutes from that day's midnight (past midnight spills to the next day)."""
    for offset in (0, DAY_MIN):
        minutes = _slot_minutes(start - offset, start + duration - offset)
        need[(weekday + offset // DAY_MIN) % 7] += minutes * carers / 60


#: Calls may start up to an hour either side of their preferred time (the generator's windows), so a
#: half hour's need can be met in the half hours around it.
SPREAD_SLOTS = 2


def _spread(need: np.ndarray) -> np.ndarray:
    """Each half hour's need averaged with the :data:`SPREAD_SLOTS` either side (same total)."""
    width = 2 * SPREAD_SLOTS + 1
    kernel = np.ones(width) / width
    return np.array([np.convolve(row, kernel, mode="same") for row in need])


def pattern_need(pattern: Pattern) -> np.ndarray:
    """A weekly pattern's care hours by weekday x half hour, spread over its calls' windows and
    limited to the half hours day carers work: what :meth:`Workforce.day_carers` sizes for."""
    need = np.zeros((7, SLOTS))
    for wd in pattern.weekdays:
        for call in pattern.calls:
            add_call(need, wd, call.preferred, call.duration, call.carers)
    return _spread(need) * COVERABLE


def _gap_lines(gap: np.ndarray) -> list[RotaLine]:
    """For each day shift, a no-set-hours line on the (up to six) days where it fills most gap."""
    out = []
    for name in DAY_SHIFTS:
        per_day = (line_capacity(RotaLine("no_set_hours", name, tuple(range(7)))) > 0) * gap
        score = per_day.sum(axis=1)
        days = tuple(sorted(int(d) for d in np.argsort(-score, kind="stable")[:6] if score[d] > 0))
        if days:
            out.append(RotaLine("no_set_hours", name, days))
    return out or [RotaLine("no_set_hours", "day", tuple(range(6)))]


@functools.lru_cache(maxsize=4096)
def line_capacity(line: RotaLine) -> np.ndarray:
    """Care hours a rota line delivers by weekday x half hour (cached: do not modify the array)."""
    out = np.zeros((7, SLOTS))
    for day in line.days:
        for a, b in DAY_SHIFTS[line.shift]:
            out[day % 7] += _slot_minutes(a, b) / 60 * PRODUCTIVITY
    return out


@dataclass(frozen=True, slots=True)
class RotaLine:
    """One carer's week on the rota: their hours class, day shift and working days."""

    hours_class: str
    shift: str
    days: tuple[int, ...]

    @property
    def hours_week(self) -> float:
        return len(self.days) * sum(b - a for a, b in DAY_SHIFTS[self.shift]) / 60


class Workforce:
    """Makes carers and shifts, drawing from ``rng`` (shared with the generator, so a seed fixes all).

    Parameters
    ----------
    g
        The geography carers live in.
    rng
        The random generator.
    id_prefix, id_digits
        Carer ids are ``{id_prefix}K{n}`` with ``n`` zero-padded to ``id_digits``.
    home_areas
        Where carers live (a patch: the local-workforce premise); None: within ~10 km of the branch.
    """

    def __init__(
        self,
        g: geo.Geography,
        rng: np.random.Generator,
        *,
        id_prefix: str = "",
        id_digits: int = 5,
        home_areas: list[Area] | None = None,
    ) -> None:
        self.g = g
        self.rng = rng
        self.id_prefix = id_prefix
        self.id_digits = id_digits
        self.home_areas = home_areas or None
        self._ids: dict[str, int] = defaultdict(int)
        self._rota = 0  # staggers carers' days off across providers

    def next_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return f"{self.id_prefix}{prefix}{self._ids[prefix]:0{self.id_digits}d}"

    def staff(
        self, p: ProviderDraft, branch: Branch, need: np.ndarray, per_night: float
    ) -> tuple[list[Carer], list[Shift]]:
        """Day carers for ``need`` (care hours by weekday x half hour) and night
        carers for ``per_night`` nights at once, each only when there is such work."""
        carers: list[Carer] = []
        shifts: list[Shift] = []
        if need.any():
            c, s = self.day_carers(p, branch, need)
            carers += c
            shifts += s
        if per_night > 0:
            c, s = self.night_carers(p, branch, per_night)
            carers += c
            shifts += s
        return carers, shifts

    def day_carers(self, p: ProviderDraft, branch: Branch, need: np.ndarray) -> tuple[list[Carer], list[Shift]]:
        """Day carers until every weekday and half hour of ``need`` (care
        hours by weekday x half hour, :func:`add_call`) is covered at
        :data:`PRODUCTIVITY`; at least two.

        Half hours, not time bands: a split shift's morning run ends at
        11:00 and cannot take a lunch call at 12:30 that a band from 10:30
        to 14:00 would count it for. Rota lines are drawn from the published
        mix (:data:`HOURS_CLASSES`) and kept when they add to a half hour
        still short, so the mix bends only as far as the demand's shape
        needs; weekend-only part-timers are drawn once only weekends are
        short. Half hours no day shift covers (before 07:00, after 22:00)
        are left to the night carers.
        """
        need = _spread(need) * COVERABLE
        have = np.zeros_like(need)
        carers: list[Carer] = []
        shifts: list[Shift] = []
        weekdays = [d for d in range(7) if d not in WEEKEND]
        misses = 0
        for _ in range(10_000):
            short = have < need - 1e-9
            if not short.any() and len(carers) >= 2:
                break
            weekend_only = bool(short.any()) and not short[weekdays].any()
            # A coordinator hires for the gap: of a few lines drawn from the
            # mix, the one whose hours fill most of what is still short; when
            # the mix keeps missing it (a gap only a rare shift covers), a
            # zero-hours carer on the shift and days that fill it best.
            gap = np.clip(need - have, 0, None)
            drawn = [self._rota_line(weekend_only) for _ in range(DRAWS)] if misses < MISSES else _gap_lines(gap)
            fill = [float(np.minimum(line_capacity(x), gap).sum()) / max(1.0, x.hours_week) for x in drawn]
            best = int(np.argmax(fill))
            line = drawn[best]
            gain = line_capacity(line)
            if short.any() and fill[best] <= 0:
                misses += 1
                continue
            misses = 0
            have += gain
            carer = self.carer(p, branch, contracted=self._contract(line))
            for day in line.days:
                for a, b in DAY_SHIFTS[line.shift]:
                    base = day * DAY_MIN
                    shifts.append(Shift(carer_id=carer.id, day=day, start=base + a, end=base + b))
            carers.append(carer)
        self._add_usable(p, np.where(need > 0, have, 0.0))
        p.slots = have if p.slots is None else p.slots + have
        return carers, shifts

    @staticmethod
    def _add_usable(p: ProviderDraft, usable: np.ndarray) -> None:
        """Add to the provider's band capacity what the rota delivers in the
        half hours where there is demand of the kind it was sized for: a
        band's capacity is the sum over those half hours of what the carers
        on shift deliver. Counting every minute of shift instead would say a
        morning run that ends at 10:30 can take midday work, and the
        placement would give the provider lunch calls nobody on its rota
        can reach."""
        for slot in range(SLOTS):
            (band,) = band_minutes(slot * SLOT_MIN, (slot + 1) * SLOT_MIN)
            for day in range(7):
                if usable[day, slot] > 0:
                    p.capacity[(day, band)] = p.capacity.get((day, band), 0.0) + float(usable[day, slot])

    def _rota_line(self, weekend_only: bool) -> RotaLine:
        """A carer's week drawn from the published mix; their days off are
        staggered along the rota so every weekday is staffed alike."""
        rng = self.rng
        self._rota += 1
        if weekend_only:
            names, shares = zip(*WEEKEND_SHIFTS.items(), strict=True)
            return RotaLine("weekend", str(rng.choice(names, p=np.array(shares) / sum(shares))), WEEKEND)
        classes = list(HOURS_CLASSES)
        cls = classes[int(rng.choice(len(classes), p=[HOURS_CLASSES[c][0] for c in classes]))]
        _, mix, day_counts, alternate = HOURS_CLASSES[cls]
        names, shares = zip(*mix.items(), strict=True)
        shift = str(rng.choice(names, p=np.array(shares) / sum(shares)))
        n = int(rng.choice(day_counts))
        weekdays = [(self._rota + k) % 5 for k in range(5)]
        if alternate and self._rota % 2 == 0:
            # This week is their weekend on: Saturday and Sunday, the rest in the week.
            days = sorted({*WEEKEND, *weekdays[: max(0, n - 2)]})
        elif alternate:
            days = sorted(weekdays[:n])
        else:
            days = sorted(int(d) for d in rng.choice(7, size=n, replace=False))
        return RotaLine(cls, shift, tuple(days))

    def _contract(self, line: RotaLine) -> float:
        """Guaranteed hours a week: none on a zero-hours contract."""
        zero = line.hours_class in ("no_set_hours", "weekend") or self.rng.random() < ZERO_HOURS_WITH_SET_HOURS
        return 0.0 if zero else round(GUARANTEED_SHARE * line.hours_week * 2) / 2

    def night_carers(self, p: ProviderDraft, branch: Branch, per_night: float) -> tuple[list[Carer], list[Shift]]:
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

    def _add_capacity(self, p: ProviderDraft, day: int, start: int, end: int, max_work: int | None) -> None:
        factor = PRODUCTIVITY * (1.0 if max_work is None else min(1.0, max_work / (end - start)))
        for band, minutes in band_minutes(start, end).items():
            key = (day % 7, band)
            p.capacity[key] = p.capacity.get(key, 0.0) + minutes / 60 * factor

    def carer(self, p: ProviderDraft, branch: Branch, night: bool = False, contracted: float | None = None) -> Carer:
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
        if contracted is None:
            # Night carers: the old mix (no published split for night workers).
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
        if self.home_areas:
            # In the patch, weighted by working-age population.
            w = np.array([max(a.pop_16_64, 1) for a in self.home_areas], dtype=float)
            return self.home_areas[int(self.rng.choice(len(self.home_areas), p=w / w.sum()))]
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


def framework_workforce(
    wf: Workforce, providers: list[ProviderDraft], demand: list[Demand], areas: list[Area]
) -> tuple[list[Carer], list[Shift]]:
    """Carers and shifts for the framework providers, sized to each one's share of the demand in
    its districts (``areas``: the chosen districts' areas), times a supply factor that is lower in
    rural areas."""
    rng = wf.rng
    # Expected demand by district x weekday x band, in care hours.
    band_demand: dict[str, np.ndarray] = defaultdict(lambda: np.zeros((7, SLOTS)))
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
                add_call(band_demand[did], wd, call.preferred, call.duration, call.carers)
    rural = _rural_share(areas)
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
            c, s = wf.day_carers(p, branch, peak)
            carers += c
            shifts += s
            if "night_sleeping" in p.services or "night_awake" in p.services:
                night_lists = [q for q in local if "night_awake" in q.services or "night_sleeping" in q.services]
                nshare = share / max(1e-9, sum(w for q, w in groups if q in night_lists))
                c, s = wf.night_carers(p, branch, float(night_visits[did].max()) * supply * nshare)
                carers += c
                shifts += s
            if "live_in" in p.services:
                n_live = [q for q in local if "live_in" in q.services]
                p.live_in_slots += math.ceil(live_in[did] * supply / max(1, len(n_live)))
        del spot  # spot providers are staffed after placement (spot_workforce)
    return carers, shifts


def spot_workforce(
    wf: Workforce, providers: list[ProviderDraft], demand: list[Demand]
) -> tuple[list[Carer], list[Shift]]:
    """Spot providers take what the framework could not: staff them for
    the packages they were given (they bought the capacity at a price)."""
    carers: list[Carer] = []
    shifts: list[Shift] = []
    for p in providers:
        if p.tier != SPOT_TIER:
            continue
        mine = [d for d in demand if d.provider_id == p.id]
        peak = np.zeros((7, SLOTS))
        night = np.zeros(7)
        for d in mine:
            if d.pattern.service_type == "personal_care":
                for wd in d.pattern.weekdays:
                    for call in d.pattern.calls:
                        add_call(peak, wd, call.preferred, call.duration, call.carers * 1.15)
            elif d.pattern.service_type != "live_in":
                night[d.pattern.weekdays] += 1
            else:
                p.live_in_slots += 1
        c, s = wf.staff(p, p.branches[0], peak, float(night.max()))
        carers += c
        shifts += s
    return carers, shifts


def _rural_share(areas: list[Area]) -> dict[str, float]:
    """Share of each district's 65+ population in rural areas."""
    pop: dict[str, float] = defaultdict(float)
    rural: dict[str, float] = defaultdict(float)
    for a in areas:
        pop[a.district_id] += a.pop_65_plus
        if not a.centroid.urban:
            rural[a.district_id] += a.pop_65_plus
    return {d: rural[d] / pop[d] for d in pop if pop[d]}


def task_workforce(
    rng: np.random.Generator,
    provider_id: str,
    branch: Branch,
    peak: np.ndarray,
    per_night: float,
    *,
    id_prefix: str,
    home_area_ids: Iterable[str] | None = None,
) -> tuple[list[Carer], list[Shift]]:
    """Carers and shifts for one provider's work, by the generator's workforce rules.

    ``peak`` is care hours by weekday x half hour (:func:`add_call`); ``per_night`` the night visits
    on the busiest night.
    Carer ids start ``{id_prefix}-K``; with ``home_area_ids`` (a patch) the carers live there.
    """
    g = geo.essex()
    wanted = None if home_area_ids is None else set(home_area_ids)
    local = None if wanted is None else [a for a in g.areas if a.id in wanted]
    wf = Workforce(g, rng, id_prefix=f"{id_prefix}-", id_digits=4, home_areas=local)
    draft = ProviderDraft(provider_id, "", 2, 0.0, [branch.district_id])
    return wf.staff(draft, branch, peak, per_night)


def geo_km(a: Location, b: Location) -> float:
    """Great-circle km between two locations."""
    from patchplan.geo.travel import haversine_m

    return float(haversine_m(a.lat, a.lon, np.array([b.lat]), np.array([b.lon]))[0]) / 1000


__all__ = [
    "DAY_SHIFTS",
    "HOURS_CLASSES",
    "PRODUCTIVITY",
    "SKILLS",
    "SKILL_SHARE",
    "RotaLine",
    "Workforce",
    "add_call",
    "framework_workforce",
    "line_capacity",
    "pattern_need",
    "spot_workforce",
    "task_workforce",
]
