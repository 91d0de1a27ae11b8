"""Evaluate a patch design end to end: broker, workforce, rounds, KPIs.

A :class:`Design` is "today" (no patches: the framework cascade), or patches
with a lead provider each (optionally subcontracting a share), or a prime
provider per district. :func:`evaluate` then:

1. **brokers** every package under the design's rules: today, placed
   packages stay where they are and the backlog goes down the ranked lists
   (:func:`patchplan.broker.brokerage.cascade_backlog`); with patches, each package goes
   to its patch's lead provider (a deterministic share to the subcontractor),
   the workforce following the contract (carers transfer with it), so the
   cost shows as carer hours needed rather than as a capacity cap;
2. gives each **task** - one provider in one patch (today: in one
   district) - a workforce sized to its peak demand the way the scenario
   generator sizes providers; with patches the carers live in the patch
   (the local-workforce premise of neighbourhood models), today near the
   provider's branch;
3. plans each task's **week** (continuity on, team cap 3) with the rounds
   solver (``mode="full"``) or with the status-quo greedy rule
   (``mode="fast"``: seconds for the county; its error against the full
   evaluation is measured in ``benchmarks/county.py``);
4. scores every task with the **independent checker** and adds up travel
   hours and miles, travel cost and CO2, carer hours, continuity, unplaced
   and spot hours and provider load, per patch and in total.

Tasks are independent, so cost grows linearly with the county; they run on
local processes by default or on a Dask cluster (``scheduler=ADDRESS``), with
the same results either way (each task is seeded on its own).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from patchplan.core.errors import InputError
from patchplan.core.model import (
    DAY_MIN,
    Area,
    Branch,
    Framework,
    Location,
    Package,
    Patch,
    Provider,
    Scenario,
)
from patchplan.essex.workforce import SLOTS, add_call, task_workforce

log = logging.getLogger("patchplan")

#: HMRC approved mileage allowance for cars (45p a mile), per km.
MILEAGE_GBP_PER_KM = 0.45 / 1.609344
#: Travel time paid at the National Living Wage from April 2026 (£12.71/h).
TRAVEL_PAY_GBP_PER_H = 12.71
#: DESNZ 2024 conversion factor, average car (unknown fuel): 0.16638 kg CO2e/km.
CO2_KG_PER_KM = 0.16638
#: Newham's trusted-assessor effect: a package cut from 12.25 to 8.75 h/week.
REABLEMENT_FACTOR = 8.75 / 12.25


@dataclass(frozen=True, slots=True, kw_only=True)
class Levers:
    """What-if levers a commissioner can pull on top of a design."""

    #: Share of packages reviewed by a trusted assessor / reablement, each
    #: cut by :data:`REABLEMENT_FACTOR`.
    reablement_share: float = 0.0
    #: Carers walk in dense urban patches (>= 4,000 residents per km2).
    walking: bool = False
    #: Rural patches (most demand in rural areas) are led by a local
    #: micro-enterprise with carers from the patch.
    micro_enterprise: bool = False
    #: Share of each patch's packages the lead subcontracts to a second provider.
    subcontract_share: float = 0.0

    def __post_init__(self) -> None:
        for name in ("reablement_share", "subcontract_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise InputError(f"lever {name}={value} must be in [0, 1]")


@dataclass(frozen=True, slots=True, kw_only=True)
class Design:
    """A way of organising the county: patches (or none) and who leads them."""

    name: str
    patches: tuple[Patch, ...] = ()
    #: patch id -> (lead provider, second provider or None)
    leads: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)
    levers: Levers = field(default_factory=Levers)

    @property
    def today(self) -> bool:
        return not self.patches


@dataclass(frozen=True, slots=True, kw_only=True)
class Task:
    """One provider in one patch (or district): a sub-scenario to plan."""

    key: str
    provider_id: str
    patch_id: str
    scenario: Scenario
    mode: str
    time_limit_s: float
    solution_limit: int | None
    seed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskResult:
    key: str
    provider_id: str
    patch_id: str
    kpis: Mapping[str, float]
    violations: int
    runtime_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignResult:
    """KPIs of one design, per patch and in total."""

    design: str
    patches: int
    totals: Mapping[str, float]
    per_patch: tuple[Mapping[str, Any], ...]
    per_provider: tuple[Mapping[str, Any], ...]
    runtime_s: float

    def headline(self) -> dict[str, Any]:
        t = self.totals
        return {
            "design": self.design,
            "patches": self.patches,
            "travel_hours_week": t["travel_hours_week"],
            "travel_km_week": t["travel_km_week"],
            "travel_miles_week": t["travel_miles_week"],
            "travel_cost_gbp_week": t["travel_cost_gbp_week"],
            "co2_kg_week": t["co2_kg_week"],
            "carer_hours_week": t["carer_hours_week"],
            "carers_needed": t["carers_needed"],
            "care_hours_week": t["care_hours_week"],
            "unplaced_hours": t["unplaced_hours"],
            "spot_hours": t["spot_hours"],
            "distinct_carers_per_client_mean": t["distinct_carers_per_client_mean"],
            "distinct_carers_per_client_max": t["distinct_carers_per_client_max"],
            "top_two_share": t["top_two_share"],
            "seen_before_share": t["seen_before_share"],
            "provider_load_cv": t["provider_load_cv"],
            "violations": t["violations"],
            "runtime_s": self.runtime_s,
        }


# ---------------------------------------------------------------------------
# Designs
# ---------------------------------------------------------------------------
def build_design(s: Scenario, spec: str, *, levers: Levers | None = None, seed: int = 0) -> Design:
    """A design from its command-line name.

    ``today`` (no patches), ``districts`` (one patch per district with a
    lead), ``prime`` (one prime provider per district), ``k=60`` (60
    designed patches), ``hours=2000`` (patches of about 2,000 hours a week),
    or the path of a GeoJSON file of patches.

    Raises
    ------
    InputError
        On an unknown name or a bad GeoJSON file.
    """
    from patchplan.patches import partition as pt

    lv = levers or Levers()
    spec = spec.strip()
    if spec == "today":
        return Design(name="today", levers=lv)
    if spec in ("districts", "prime"):
        ps = pt.by_district(s)
        return Design(
            name=spec,
            patches=ps,
            leads=assign_leads(s, ps, second=spec == "districts" and lv.subcontract_share > 0),
            levers=lv,
        )
    if spec.startswith("k="):
        k = _int(spec[2:], spec)
        ps = pt.design(s, k=k, seed=seed)
        return Design(
            name=spec, patches=ps, leads=assign_leads(s, ps, second=lv.subcontract_share > 0, levers=lv), levers=lv
        )
    if spec.startswith("hours="):
        hours = _int(spec[6:], spec)
        ps = pt.design(s, target_hours=hours, seed=seed)
        return Design(
            name=spec, patches=ps, leads=assign_leads(s, ps, second=lv.subcontract_share > 0, levers=lv), levers=lv
        )
    path = Path(spec)
    if path.suffix.lower() in (".geojson", ".json"):
        from patchplan.io.geojson import from_geojson

        ps = from_geojson(s, path)
        return Design(
            name=path.stem, patches=ps, leads=assign_leads(s, ps, second=lv.subcontract_share > 0, levers=lv), levers=lv
        )
    raise InputError(f"design {spec!r} not understood: use today, districts, prime, k=N, hours=N or a .geojson path")


def _int(text: str, spec: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"design {spec!r}: expected a whole number after '='") from None
    if value < 1:
        raise InputError(f"design {spec!r}: must be at least 1")
    return value


def assign_leads(
    s: Scenario, patches: Sequence[Patch], *, second: bool = False, levers: Levers | None = None
) -> dict[str, tuple[str, str | None]]:
    """A lead provider per patch: largest patches first, each to the
    framework provider (tier 1 before tier 2) whose nearest branch is closest
    to the patch's demand centre among those with weekly hours left;
    optionally a second (subcontracted) provider."""
    from patchplan.patches import partition as pt

    demand = pt.demand_hours(s)
    left = {p.id: p.capacity_hours_week for p in s.providers if not p.spot}
    branches = defaultdict(list)
    for b in s.branches:
        if b.provider_id in left:
            branches[b.provider_id].append(b.location)
    in_district = defaultdict(set)
    for lot in s.framework.lots:
        for pid in lot.providers:
            in_district[lot.district_id].add(pid)
    area = {a.id: a for a in s.areas}
    out: dict[str, tuple[str, str | None]] = {}
    order = sorted(patches, key=lambda p: -sum(demand.get(a, 0.0) for a in p.area_ids))
    lv = levers or Levers()
    for patch in order:
        hours = sum(demand.get(a, 0.0) for a in patch.area_ids)
        if lv.micro_enterprise and _rural(patch, area, demand):
            out[patch.id] = (f"ME-{patch.id}", None)
            continue
        lat, lon = _centre(patch, area, demand)
        districts = {area[a].district_id for a in patch.area_ids}
        pool = sorted({pid for d in districts for pid in in_district.get(d, ())} or set(left))

        def score(pid: str, lat: float = lat, lon: float = lon, hours: float = hours) -> tuple:
            prov = s.provider(pid)
            km = min((_km(lat, lon, b) for b in branches.get(pid, [])), default=999.0)
            room = left[pid] >= hours
            return (not room, prov.tier, round(km, 1), pid)

        ranked = sorted(pool, key=score)
        if not ranked:
            raise InputError(f"patch {patch.id}: no framework provider works in its district")
        lead = ranked[0]
        left[lead] -= hours
        out[patch.id] = (lead, ranked[1] if second and len(ranked) > 1 else None)
    return out


def _rural(patch: Patch, area: Mapping[str, Area], demand: Mapping[str, float]) -> bool:
    """Most of the patch's demand is in rural small areas."""
    total = sum(demand.get(a, 0.0) for a in patch.area_ids)
    rural = sum(demand.get(a, 0.0) for a in patch.area_ids if not area[a].centroid.urban)
    return total > 0 and rural / total > 0.5


#: A micro-enterprise: a small local provider, tier 2 (new to the
#: framework), at a lower rate (no branch overheads).
MICRO_RATE_GBP_H = 21.5


def _with_micro_providers(s: Scenario, design: Design) -> Scenario:
    from patchplan.patches import partition as pt

    demand = pt.demand_hours(s)
    new = []
    for patch in design.patches:
        lead = design.leads.get(patch.id, ("", None))[0]
        if lead.startswith("ME-") and not s.has("provider", lead):
            hours = sum(demand.get(a, 0.0) for a in patch.area_ids)
            new.append(
                Provider(
                    id=lead,
                    name=f"Micro-enterprise {patch.name}",
                    tier=2,
                    rate_gbp_h=MICRO_RATE_GBP_H,
                    capacity_hours_week=round(hours * 1.1 + 1, 2),
                )
            )
    return s if not new else s.replace(providers=(*s.providers, *new))


def _centre(patch: Patch, area: Mapping[str, Area], demand: Mapping[str, float]) -> tuple[float, float]:
    ids = sorted(patch.area_ids)
    w = np.array([max(demand.get(a, 0.0), 1e-6) for a in ids])
    lat = np.array([area[a].centroid.lat for a in ids])
    lon = np.array([area[a].centroid.lon for a in ids])
    return float((w * lat).sum() / w.sum()), float((w * lon).sum() / w.sum())


def _km(lat: float, lon: float, loc: Location) -> float:
    return math.hypot((loc.lat - lat) * 111.2, (loc.lon - lon) * 111.2 * math.cos(math.radians(lat)))


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------
def evaluate(
    s: Scenario,
    design: Design,
    *,
    mode: str = "full",
    scheduler: str | None = None,
    seconds_per_visit: float = 0.004,
    deterministic: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> DesignResult:
    """Evaluate one design end to end.

    Parameters
    ----------
    mode
        ``full`` (the rounds solver, week plans with continuity) or ``fast``
        (the greedy coordinator's rule: an approximation for sweeping designs).
    scheduler
        None: local processes (one per core); ``"serial"``: in this process;
        otherwise a Dask scheduler address (``tcp://host:8786``), or a
        ``distributed.Client``.
    seconds_per_visit
        Full mode's time budget per weekly visit of a task.
    deterministic
        Bound every solve by a solution count, so results do not depend on
        the machine's speed (slower, for tests and audits).

    Raises
    ------
    InputError
        On an unknown mode.
    """
    if mode not in ("full", "fast"):
        raise InputError(f"mode {mode!r}: expected full or fast")
    started = time.perf_counter()
    s2 = _with_micro_providers(apply_levers(s, design.levers, seed), design)
    placements, spot_hours, unplaced_hours = broker_design(s2, design)
    tasks = make_tasks(
        s2, design, placements, mode=mode, seconds_per_visit=seconds_per_visit, deterministic=deterministic, seed=seed
    )
    results = run_tasks(tasks, scheduler=scheduler, progress=progress)
    return _aggregate(s2, design, results, spot_hours, unplaced_hours, time.perf_counter() - started)


def compare(
    s: Scenario,
    designs: Sequence[Design],
    **kwargs: Any,
) -> list[DesignResult]:
    """Evaluate several designs with the same settings."""
    return [evaluate(s, d, **kwargs) for d in designs]


def compare_patches(
    s: Scenario,
    designs: Mapping[str, Sequence[Patch] | Design | str],
    *,
    levers: Levers | None = None,
    **kwargs: Any,
) -> list[DesignResult]:
    """Evaluate named designs side by side.

    Values may be patches (leads are assigned), a :class:`Design`, or a
    design name for :func:`build_design` (``"today"``, ``"k=40"``, ...).

    >>> # pp.compare_patches(s, {"today": "today", "nbhd": pp.patches.design(s, k=40)})
    """
    built = []
    for name, value in designs.items():
        if isinstance(value, Design):
            built.append(value)
        elif isinstance(value, str):
            built.append(dataclasses.replace(build_design(s, value, levers=levers), name=name))
        else:
            patches = tuple(value)
            lv = levers or Levers()
            built.append(
                Design(
                    name=name,
                    patches=patches,
                    leads=assign_leads(s, patches, second=lv.subcontract_share > 0, levers=lv),
                    levers=lv,
                )
            )
    return compare(s, built, **kwargs)


def apply_levers(s: Scenario, levers: Levers, seed: int) -> Scenario:
    """The scenario after the reablement lever (visits shortened)."""
    if not levers.reablement_share:
        return s
    chosen = {
        p.id
        for p in s.packages
        if p.service_type == "personal_care" and _unit(f"reable:{seed}:{p.id}") < levers.reablement_share
    }
    visits = []
    for v in s.visits:
        if v.package_id in chosen:
            minutes = max(15, round(v.duration_min * REABLEMENT_FACTOR / 5) * 5)
            window = v.late - v.early
            visits.append(
                dataclasses.replace(v, duration_min=minutes, late=v.early + window + (v.duration_min - minutes))
            )
        else:
            visits.append(v)
    packages = tuple(
        dataclasses.replace(p, hours_week=round(p.hours_week * REABLEMENT_FACTOR, 4)) if p.id in chosen else p
        for p in s.packages
    )
    return s.replace(visits=tuple(visits), packages=packages, status_quo=None)


def _unit(text: str) -> float:
    """A deterministic number in [0, 1) from text (stable across processes)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / 16**12


def broker_design(s: Scenario, design: Design) -> tuple[dict[str, tuple[str, str]], float, float]:
    """package -> (provider, patch or district) under the design's rules,
    with the spot and unplaced hours."""
    from patchplan.broker.brokerage import BrokerState, cascade_backlog

    client_area = {c.id: c.area_id for c in s.clients}
    area_district = {a.id: a.district_id for a in s.areas}
    out: dict[str, tuple[str, str]] = {}
    spot = unplaced = 0.0
    if design.today:
        for p in s.packages:
            if p.status == "placed" and p.provider_id:
                out[p.id] = (p.provider_id, area_district[client_area[p.client_id]])
        alloc = cascade_backlog(s, state=BrokerState(s))
        for pl in alloc.placements:
            pkg = s.package(pl.package_id)
            if pl.provider_id:
                out[pl.package_id] = (pl.provider_id, area_district[client_area[pkg.client_id]])
            else:
                unplaced += pl.hours_week
        spot = sum(s.package(k).hours_week for k, (pid, _) in out.items() if s.provider(pid).spot)
        return out, round(spot, 2), round(unplaced, 2)
    patch_of = {a: p.id for p in design.patches for a in p.area_ids}
    # With patches, the lead takes its patch's work and the workforce
    # follows the contract (carers transfer with it, as when Newham and
    # Swindon re-procured): no capacity cap, and "carer hours needed" shows
    # what it takes. Spot and unplaced hours come only from the planner.
    for p in sorted(s.packages, key=lambda p: p.id):
        if p.status not in ("placed", "awaiting"):
            continue
        area = client_area[p.client_id]
        patch = patch_of.get(area)
        if patch is None:
            raise InputError(f"design {design.name!r}: area {area} of package {p.id} is in no patch")
        lead, second = design.leads[patch]
        pid = second if second and _unit(f"sub:{p.id}") < design.levers.subcontract_share else lead
        out[p.id] = (pid, patch)
    return out, round(spot, 2), round(unplaced, 2)


def make_tasks(
    s: Scenario,
    design: Design,
    placements: Mapping[str, tuple[str, str]],
    *,
    mode: str,
    seconds_per_visit: float,
    deterministic: bool,
    seed: int,
) -> list[Task]:
    """One sub-scenario per (provider, patch) with its own workforce; a
    group larger than :data:`MAX_TASK_VISITS` is cut into runs."""
    groups: dict[tuple[str, str], list[Package]] = defaultdict(list)
    for pkg_id, (pid, patch) in placements.items():
        groups[(pid, patch)].append(s.package(pkg_id))
    visits_of: dict[str, int] = defaultdict(int)
    for v in s.visits:
        visits_of[v.package_id] += 1
    patch_by_id = {p.id: p for p in design.patches}
    tasks = []
    for (pid, patch_id), group in sorted(groups.items()):
        runs = split_runs(s, group, visits_of, cap=MAX_TASK_VISITS)
        for n, pkgs in enumerate(runs, start=1):
            key = f"{pid}@{patch_id}" if len(runs) == 1 else f"{pid}@{patch_id}#{n}"
            rng = np.random.default_rng(int(_unit(f"{seed}:{key}") * 2**31))
            area_ids = None
            if patch_id in patch_by_id:
                area_ids = patch_by_id[patch_id].area_ids
                if len(runs) > 1:
                    area_ids = frozenset(s.client(p.client_id).area_id for p in pkgs) & area_ids
            tasks.append(
                _task(
                    s,
                    key,
                    pid,
                    patch_id,
                    pkgs,
                    area_ids,
                    design.levers,
                    rng,
                    mode=mode,
                    seconds_per_visit=seconds_per_visit,
                    deterministic=deterministic,
                    seed=seed,
                )
            )
    return tasks


#: Most weekly visits one task plans (about 430 a day, a large branch's
#: day). Larger provider x patch groups are cut into geographic runs, the
#: way a coordinator divides a big patch among teams: it keeps every solve
#: the size the rounds solver handles within its time limit, so the cost of
#: an evaluation grows linearly with demand instead of with its square.
MAX_TASK_VISITS = 3000


def split_runs(
    s: Scenario, pkgs: Sequence[Package], visits_of: Mapping[str, int], cap: int = MAX_TASK_VISITS
) -> list[list[Package]]:
    """Cut packages into compact runs of at most ``cap`` weekly visits
    (recursive coordinate bisection on client locations, weighted by
    visits; a client's packages stay together). Deterministic."""
    by_client: dict[str, list[Package]] = defaultdict(list)
    for p in sorted(pkgs, key=lambda p: p.id):
        by_client[p.client_id].append(p)
    items = [
        (s.client(c).location.lat, s.client(c).location.lon, sum(visits_of.get(p.id, 0) for p in ps), ps)
        for c, ps in sorted(by_client.items())
    ]
    out: list[list[Package]] = []

    def cut(part: list[tuple[float, float, int, list[Package]]]) -> None:
        total = sum(w for _, _, w, _ in part)
        if total <= cap or len(part) == 1:
            out.append([p for *_, ps in part for p in ps])
            return
        lats = [i[0] for i in part]
        lons = [i[1] for i in part]
        # Longer side first; a degree of longitude is cos(lat) of one of latitude.
        wide = (max(lons) - min(lons)) * math.cos(math.radians(sum(lats) / len(lats))) > max(lats) - min(lats)
        part = sorted(part, key=lambda i: (i[1], i[0]) if wide else (i[0], i[1]))
        run = 0
        for k, item in enumerate(part):
            run += item[2]
            if run * 2 >= total:
                break
        k = min(max(k + 1, 1), len(part) - 1)
        cut(part[:k])
        cut(part[k:])

    cut(items)
    return out


def _task(
    s: Scenario,
    key: str,
    pid: str,
    patch_id: str,
    pkgs: list[Package],
    area_ids: frozenset[str] | None,
    levers: Levers,
    rng: np.random.Generator,
    *,
    mode: str,
    seconds_per_visit: float,
    deterministic: bool,
    seed: int,
) -> Task:
    sub = _sub_scenario(s, key, pid, pkgs, area_ids, levers, rng)
    return Task(
        key=key,
        provider_id=pid,
        patch_id=patch_id,
        scenario=sub,
        mode=mode,
        time_limit_s=max(1.0, seconds_per_visit * len(sub.visits)),
        solution_limit=50 if deterministic else None,
        seed=seed,
    )


def _sub_scenario(
    s: Scenario,
    key: str,
    pid: str,
    pkgs: list[Package],
    area_ids: frozenset[str] | None,
    levers: Levers,
    rng: np.random.Generator,
) -> Scenario:
    placed = tuple(dataclasses.replace(p, status="placed", provider_id=pid, received=p.received) for p in pkgs)
    wanted = {p.id for p in placed}
    visits = tuple(v for v in s.visits if v.package_id in wanted)
    clients = tuple({s.client(p.client_id).id: s.client(p.client_id) for p in placed}.values())
    clients = tuple(
        dataclasses.replace(c, history=(), preferred_carers=frozenset(), prohibited_carers=frozenset()) for c in clients
    )
    prov = s.provider(pid)
    # Where the workforce lives: in the patch (local), else near the
    # provider's branch closest to its clients here.
    lat = float(np.mean([c.location.lat for c in clients]))
    lon = float(np.mean([c.location.lon for c in clients]))
    own = [b for b in s.branches if b.provider_id == pid]
    if area_ids is not None or not own:
        district = s.client(clients[0].id).district_id
        branch = Branch(
            id=f"{key}-base", provider_id=pid, name=key, location=Location(lat, lon, True), district_id=district
        )
    else:
        branch = min(own, key=lambda b: _km(lat, lon, b.location))
    peak = np.zeros((7, SLOTS))
    nights = np.zeros(7)
    for v in visits:
        if v.duration_min >= 360:
            nights[s.weekday(v.day)] += v.carers_required
            continue
        add_call(peak, s.weekday(v.day), v.preferred - v.day * DAY_MIN, v.duration_min, v.carers_required)
    carers, shifts = task_workforce(
        rng, pid, branch, peak * 1.1, float(nights.max()), id_prefix=key, home_area_ids=area_ids
    )
    if levers.walking and area_ids is not None and _dense(s, area_ids):
        carers = [dataclasses.replace(c, mode="walk") if c.home.urban else c for c in carers]
    return Scenario(
        name=key,
        start=s.start,
        days=s.days,
        seed=s.seed,
        geography=s.geography,
        districts=s.districts,
        areas=s.areas,
        clients=clients,
        packages=placed,
        visits=visits,
        providers=(dataclasses.replace(prov, band_capacity=()),),
        branches=(branch,) if branch.provider_id == pid else (),
        framework=Framework(),
        carers=tuple(carers),
        shifts=tuple(shifts),
        settings=s.settings,
    )


def _dense(s: Scenario, area_ids: Iterable[str]) -> bool:
    areas = [s.area(a) for a in area_ids]
    pop = sum(a.pop_total for a in areas)
    km2 = sum(a.area_km2 for a in areas) or 1.0
    return pop / km2 >= 4000 and all(a.centroid.urban for a in areas)


def run_tasks(
    tasks: Sequence[Task],
    *,
    scheduler: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[TaskResult]:
    """Run tasks in this process, on local processes, or on Dask."""
    if not tasks:
        return []
    results: list[TaskResult] = []
    if scheduler == "serial" or (scheduler is None and (os.cpu_count() or 1) == 1):
        for i, t in enumerate(tasks):
            results.append(run_task(t))
            if progress:
                progress(i + 1, len(tasks))
    elif scheduler is None:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
            futures = [pool.submit(run_task, t) for t in tasks]
            for i, f in enumerate(as_completed(futures)):
                results.append(f.result())
                if progress:
                    progress(i + 1, len(tasks))
    else:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed

        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            mapped = client.map(run_task, tasks, pure=False)
            for i, f in enumerate(dask_completed(mapped)):
                results.append(f.result())
                if progress:
                    progress(i + 1, len(tasks))
        finally:
            if not isinstance(scheduler, Client):
                client.close()
    return sorted(results, key=lambda r: r.key)


def run_task(task: Task) -> TaskResult:
    """Plan one task's week and score it with the independent checker."""
    from patchplan.check.checker import check_and_score
    from patchplan.core.params import RoundsParams
    from patchplan.rounds.plan import plan_rounds
    from patchplan.rounds.statusquo import status_quo_roster

    started = time.perf_counter()
    s = task.scenario
    if task.mode == "fast":
        roster = dataclasses.replace(status_quo_roster(s), provider_id=task.provider_id)
    else:
        params = RoundsParams(team_cap=3, solution_limit=task.solution_limit)
        roster = plan_rounds(s, task.provider_id, params=params, time_limit_s=task.time_limit_s, seed=task.seed).roster
    violations, k = check_and_score(s, roster)
    km = k.travel_km
    walk_km = (
        sum(sum(st.travel_m for st in r.stops) + r.return_m for r in roster.rounds if s.carer(r.carer_id).mode != "car")
        / 1000
    )
    care_h = sum(v.care_minutes for v in s.visits) / 60
    kpis = {
        "visits": k.visits_in_scope,
        "unassigned_visits": k.visits_unassigned,
        "unassigned_hours": k.unassigned_hours,
        "travel_hours_week": k.travel_min / 60,
        "travel_km_week": km,
        "car_km_week": max(0.0, km - walk_km),
        "carer_hours_week": k.paid_min / 60,
        "care_hours_week": care_h,
        "carers_needed": k.carers_used,
        "clients": len(s.clients),
        "distinct_sum": k.distinct_carers_per_client_mean * len({s.visit(v).client_id for v in roster.assignments()}),
        "top_two_sum": k.top_two_share * len({s.visit(v).client_id for v in roster.assignments()}),
        "seen_before_sum": k.seen_before_share * k.visits_served,
        "distinct_max": k.distinct_carers_per_client_max,
        "visits_served": k.visits_served,
        "clients_served": len({s.visit(v).client_id for v in roster.assignments()}),
    }
    return TaskResult(
        key=task.key,
        provider_id=task.provider_id,
        patch_id=task.patch_id,
        kpis=kpis,
        violations=len(violations),
        runtime_s=round(time.perf_counter() - started, 3),
    )


def _aggregate(
    s: Scenario, design: Design, results: Sequence[TaskResult], spot_hours: float, unplaced_hours: float, runtime: float
) -> DesignResult:
    by_patch: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_provider: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in results:
        for key, value in r.kpis.items():
            for into in (by_patch[r.patch_id], by_provider[r.provider_id]):
                into[key] = max(into[key], value) if key in _MAXED else into[key] + value
        by_patch[r.patch_id]["violations"] += r.violations
    names = {p.id: p.name for p in design.patches} | {d.id: d.name for d in s.districts}
    per_patch = tuple(
        {"patch": pid, "name": names.get(pid, pid), "lead": design.leads.get(pid, ("", None))[0], **_finish(dict(v))}
        for pid, v in sorted(by_patch.items())
    )
    per_provider = tuple({"provider": pid, **_finish(dict(v))} for pid, v in sorted(by_provider.items()))
    total: dict[str, float] = defaultdict(float)
    for r in results:
        for key, value in r.kpis.items():
            total[key] = max(total[key], value) if key in _MAXED else total[key] + value
    totals = _finish(dict(total))
    loads = np.array([v["care_hours_week"] for v in by_provider.values()]) if by_provider else np.zeros(1)
    totals.update(
        spot_hours=spot_hours,
        unplaced_hours=round(unplaced_hours + totals["unassigned_hours"], 2),
        provider_load_cv=round(float(loads.std() / loads.mean()), 3) if loads.mean() else 0.0,
        violations=sum(r.violations for r in results),
        tasks=len(results),
    )
    return DesignResult(
        design=design.name,
        patches=len(design.patches) if design.patches else 0,
        totals=totals,
        per_patch=per_patch,
        per_provider=per_provider,
        runtime_s=round(runtime, 2),
    )


#: Task KPIs that combine by their maximum, not their sum.
_MAXED = frozenset({"distinct_max"})


def _finish(v: dict[str, float]) -> dict[str, float]:
    """Derived KPIs (costs, CO2, continuity) from summed task KPIs."""
    travel_h = v.get("travel_hours_week", 0.0)
    km = v.get("travel_km_week", 0.0)
    car_km = v.get("car_km_week", 0.0)
    served = v.get("clients_served", 0.0)
    return {
        "travel_hours_week": round(travel_h, 1),
        "travel_km_week": round(km, 1),
        "travel_miles_week": round(km / 1.609344, 1),
        "travel_cost_gbp_week": round(car_km * MILEAGE_GBP_PER_KM + travel_h * TRAVEL_PAY_GBP_PER_H, 2),
        "co2_kg_week": round(car_km * CO2_KG_PER_KM, 1),
        "carer_hours_week": round(v.get("carer_hours_week", 0.0), 1),
        "care_hours_week": round(v.get("care_hours_week", 0.0), 1),
        "carers_needed": int(v.get("carers_needed", 0)),
        "visits": int(v.get("visits", 0)),
        "unassigned_visits": int(v.get("unassigned_visits", 0)),
        "unassigned_hours": round(v.get("unassigned_hours", 0.0), 2),
        "clients": int(v.get("clients", 0)),
        "distinct_carers_per_client_mean": round(v.get("distinct_sum", 0.0) / served, 3) if served else 0.0,
        "distinct_carers_per_client_max": int(v.get("distinct_max", 0)),
        "top_two_share": round(v.get("top_two_sum", 0.0) / served, 4) if served else 0.0,
        "seen_before_share": round(v.get("seen_before_sum", 0.0) / v["visits_served"], 4)
        if v.get("visits_served")
        else 0.0,
        "violations": int(v.get("violations", 0)),
    }


__all__ = [
    "Design",
    "DesignResult",
    "Levers",
    "Task",
    "TaskResult",
    "apply_levers",
    "assign_leads",
    "broker_design",
    "build_design",
    "compare",
    "compare_patches",
    "evaluate",
    "make_tasks",
    "run_task",
    "run_tasks",
]
