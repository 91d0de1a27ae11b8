"""The Essex workforce: carers, their shifts and how many a provider needs.

:class:`Workforce` makes carers (home near the branch, travel mode, skills, contracted hours) and
their shifts (the day shift mix, night shifts, five days in seven on a rota), and adds what the
shifts can deliver to the provider's capacity by weekday and time band. The generator staffs
framework providers for their share of the demand (:func:`framework_workforce`) and spot providers
for what they were given (:func:`spot_workforce`); the patch evaluation staffs one provider's work
in a patch with :func:`task_workforce`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from patchplan.core.model import BAND_NAMES, DAY_MIN, SPOT_TIER, Area, Branch, Carer, Location, Shift, band_minutes
from patchplan.essex.drafts import Demand, ProviderDraft, band_need
from patchplan.geo import geography as geo

SKILLS = ("medication", "moving_handling", "dementia", "catheter", "peg_feeding")
#: Share of carers holding each skill.
SKILL_SHARE = {"medication": 0.88, "moving_handling": 0.9, "dementia": 0.6, "catheter": 0.4, "peg_feeding": 0.15}
#: Care hours a carer delivers per hour of shift (the rest is travel and waiting).
PRODUCTIVITY = 0.6
#: Day shift types: (name, start, end, max work minutes, share of carers).
SHIFT_TYPES = (
    ("early", 7 * 60, 14 * 60 + 30, None, 0.38),
    ("flex", 7 * 60, 22 * 60, 8 * 60, 0.17),
    ("late", 15 * 60, 22 * 60 + 30, None, 0.37),
    ("day", 9 * 60, 17 * 60, None, 0.08),
)


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
        self, p: ProviderDraft, branch: Branch, peak: np.ndarray, per_night: float
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

    def day_carers(self, p: ProviderDraft, branch: Branch, peak: np.ndarray) -> tuple[list[Carer], list[Shift]]:
        """Enough day carers for the busiest band of this provider's share.

        ``peak`` is care hours by weekday x band. Each shift type covers
        bands in proportion to its overlap with them; carers work five days
        in seven on a rota, so every day is equally staffed.
        """
        rng = self.rng
        types = SHIFT_TYPES
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

    def carer(self, p: ProviderDraft, branch: Branch, night: bool = False) -> Carer:
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
        peak = np.zeros((7, len(BAND_NAMES)))
        night = np.zeros(7)
        for d in mine:
            if d.pattern.service_type == "personal_care":
                for (wd, band), h in band_need(d.pattern).items():
                    peak[wd, BAND_NAMES.index(band)] += h * 1.15
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

    ``peak`` is care hours by weekday x band; ``per_night`` the night visits on the busiest night.
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
    "PRODUCTIVITY",
    "SHIFT_TYPES",
    "SKILLS",
    "SKILL_SHARE",
    "Workforce",
    "framework_workforce",
    "spot_workforce",
    "task_workforce",
]
