"""Patches: contiguous groups of small areas, each with a lead provider.

A commissioner cuts the county into patches. A good patch is **contiguous**
(its small areas form one connected piece of the area graph), carries about
the same weekly **demand** as the others (within a tolerance, ±15% by
default), is **compact in travel time** (carers reach its clients quickly
by car, which is not the same as being small in kilometres: rural roads are
faster than town streets), usually stays **inside one district** (framework
lists are per district), and has a **name** people recognise.

Generators
----------
:func:`by_district`
    One patch per district: today's arrangement.
:func:`design`
    ``k`` patches (or enough for ``target_hours`` each), by the algorithm
    below.
:func:`patchplan.io.geojson.from_geojson`
    Patches someone drew: features listing small-area codes, or polygons
    (the GeoJSON reading and writing live in :mod:`patchplan.io.geojson`).

:func:`check_design` lists what is wrong with any design (it is not a
partition, a patch is not connected, a patch is empty); :func:`design`
returns only designs it passes. :func:`~patchplan.io.geojson.to_geojson` writes a design for maps
and :func:`design_kpis` measures it.

What is partitioned
-------------------
The areas of the districts that have demand (:func:`design_scope`). A
district scenario (``essex(district="Harlow")``) carries the county's 903
areas, but its design covers Harlow's 58; a scenario without demand covers
every area.

Algorithm of :func:`design`
---------------------------
Travel times are car minutes between the areas' postcode-weighted
centroids, from the scenario's travel model (design-time only: one
area x area matrix, 903 x 903 on the county). Demand is weekly hours of
live packages by the client's area (:func:`demand_hours`). For compactness
every area also weighs 1% of the mean area demand, so areas without clients
still join the patch that is nearest in time rather than any patch.

1. **Parts.** With ``within_districts`` every district is designed on its
   own subgraph (edges between areas of one district only). Should a
   district's subgraph fall apart (it does not in the embedded Essex
   boundaries, but clipped coastlines can do that), each connected
   component is designed as a part of its own with at least one patch;
   no patch ever crosses a district border. Without ``within_districts``
   the parts are the connected components of the design's areas.
   ``k`` is apportioned to the parts by demand, at least one patch each:
   each further patch goes to the part with the largest hours per patch,
   then single patches move between parts while that narrows the largest
   deviation of a part's hours per patch from the overall mean (this
   reaches the best possible spread: ±13% at k=60 on the generated county).
2. **Band.** A patch should carry its part's mean ± ``tolerance``; where
   the part's mean allows, also the overall mean ± ``tolerance`` (the
   intersection of the two bands), so that patches of different districts
   are comparable too.
3. **Seeds.** Greedy k-means++ on travel time: the first seed is drawn in
   proportion to demand, each next one in proportion to demand x (minutes
   to the nearest seed)^2, keeping the best of a few draws.
4. **Region growing.** The lightest patch that is still under its part's
   mean takes the unassigned neighbouring area nearest in time to its
   centre (its demand-weighted medoid, updated as it grows); a patch stops
   at the mean, or before an area that would carry it past the tolerance.
   Areas left over (enclosed by full patches) go to the lightest adjacent
   patch.
5. **Local search.** The objective is the demand-weighted mean minutes from
   each area to its patch's centre, plus per patch 1000 minutes per unit of
   relative deviation outside the band, plus ``mu`` x (hours / part mean -
   1)^2. Boundary areas move to an adjacent patch when that lowers the
   objective and the area's own patch stays connected (breadth-first
   search of the patch without it; centres do not move); the two patches'
   centres are then recomputed. A first phase with ``mu`` = 20 lets hours
   flow from heavy patches through their neighbours to light ones; the
   second keeps ``mu`` = 0.5, a mild preference for even patches inside the
   band. The objective only falls, so each phase ends; it also stops after
   ``max_passes`` sweeps.
6. **Rebalancing.** While patches lie outside the band: cut such a patch
   and a neighbour afresh (grow two halves of their union from a few pairs
   of far-apart seeds, search inside the union, keep the best cut if it
   beats the current one); failing that, merge a light patch into a
   neighbour and split a heavy patch in two (a whole region with too few
   seeds needs one more patch, not moves). Every change is followed by the
   local search and kept only if the objective fell.
7. **Restarts.** Steps 3-6 run ``starts`` times per part, each from new
   seeds; the best objective wins.
8. **Names.** Each patch is named after the House of Commons Library
   neighbourhood holding most of its demand. When several patches would
   share a name, the one with most demand there keeps it and the others add
   the compass direction from it ("Colchester Town & Hythe North"). Ids
   ``N01``, ``N02``, ... follow the names' alphabetical order.

The band is a strong penalty, not a constraint: with lumpy demand (a few
areas each carrying a third of a patch's hours) or a part whose mean sits at
the edge of the overall band, a patch can end up slightly outside it.

Everything random comes from ``seed``, so a design is reproducible, unless
``max_seconds`` runs out first (then fewer restarts or sweeps run, and the
result depends on the machine's speed; the default is generous).
"""

from __future__ import annotations

import heapq
import logging
import math
import time
from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from patchplan.core.errors import InputError, SolverError
from patchplan.core.model import Patch, Scenario
from patchplan.geo import geography as geo
from patchplan.geo.travel import TravelModel, default_travel

log = logging.getLogger("patchplan")

#: Package statuses that count as demand: care delivered or still to place.
DEMAND_STATUSES = frozenset({"placed", "offered", "awaiting"})
#: Penalty, in minutes of demand-weighted mean travel, per unit of relative
#: deviation from the target beyond the tolerance (1% over costs 10 minutes).
BALANCE_PENALTY_MIN = 1000.0
#: Weight, in minutes, of the squared relative deviation from the target in
#: the first local-search phase: lets surplus hours flow across patches.
DIFFUSION_MIN = 20.0
#: The same weight in the final phase: a mild preference for even patches,
#: which decides between designs the tolerance alone cannot tell apart.
EVENNESS_MIN = 0.5
#: Every area weighs this share of the mean area demand for compactness.
ZERO_DEMAND_WEIGHT = 0.01
#: Simplification of dissolved patch outlines in to_geojson, in degrees
#: (about 5 m): removes the generalised boundaries' redundant vertices only.
SIMPLIFY_DEG = 0.00005
_COMPASS = ("North", "North East", "East", "South East", "South", "South West", "West", "North West")


# -- demand and scope --------------------------------------------------------------
def demand_hours(scenario: Scenario) -> dict[str, float]:
    """Weekly hours of live packages by the client's small area.

    Live packages are placed, offered (awaiting a provider's answer) and
    awaiting ones; ended packages do not count.

    Parameters
    ----------
    scenario
        Any scenario.

    Returns
    -------
    dict
        Area id -> hours a week, for every area of the scenario (0.0 where
        nobody lives who receives or awaits care).
    """
    out = {a.id: 0.0 for a in scenario.areas}
    for p in scenario.packages:
        if p.status in DEMAND_STATUSES:
            area = scenario.client(p.client_id).area_id
            out[area] = out.get(area, 0.0) + p.hours_week
    return out


def design_scope(scenario: Scenario, demand: Mapping[str, float] | None = None) -> tuple[str, ...]:
    """The area ids a design partitions: the areas of districts with demand.

    Parameters
    ----------
    scenario
        The scenario (its areas and districts).
    demand
        Hours by area; :func:`demand_hours` when omitted.

    Returns
    -------
    tuple of str
        Area ids in the scenario's order; every area when no district has
        demand.
    """
    hours = demand_hours(scenario) if demand is None else demand
    areas = scenario.areas
    busy = {a.district_id for a in areas if hours.get(a.id, 0.0) > 0}
    return tuple(a.id for a in areas if not busy or a.district_id in busy)


def _graph(scenario: Scenario, area_ids: Sequence[str]) -> nx.Graph:
    """The area graph on some areas of an Essex scenario."""
    if scenario.geography != "essex":
        raise InputError(
            f"scenario '{scenario.name}': patches need the embedded Essex area graph, "
            f"but its geography is {scenario.geography!r}"
        )
    full = geo.essex().graph
    missing = [a for a in area_ids if a not in full]
    if missing:
        raise InputError(f"areas not in the embedded Essex area graph: {', '.join(missing[:10])}")
    return full.subgraph(area_ids)


def _minutes(scenario: Scenario, area_ids: Sequence[str], travel: TravelModel | None) -> np.ndarray:
    """Car minutes between area centroids (float n x n)."""
    model = travel if travel is not None else default_travel(dict(scenario.settings))
    points = [scenario.area(a).centroid for a in area_ids]
    return np.asarray(model.matrices(points, "car")[0], dtype=float)


# -- by district ---------------------------------------------------------------------
def by_district(scenario: Scenario, demand: Mapping[str, float] | None = None) -> tuple[Patch, ...]:
    """One patch per district of the design's scope.

    Parameters
    ----------
    scenario
        The scenario.
    demand
        Hours by area (for the scope only); :func:`demand_hours` when
        omitted.

    Returns
    -------
    tuple of Patch
        Ids ``D-<district code>``, named after the district, in code order.
    """
    scope = design_scope(scenario, demand)
    groups: dict[str, set[str]] = defaultdict(set)
    for a in scope:
        groups[scenario.area(a).district_id].add(a)
    return tuple(
        Patch(id=f"D-{d}", name=scenario.district(d).name, area_ids=frozenset(groups[d])) for d in sorted(groups)
    )


# -- checking ----------------------------------------------------------------------------
def check_design(
    scenario: Scenario,
    patches: Sequence[Patch],
    *,
    area_ids: Sequence[str] | None = None,
) -> list[str]:
    """Everything wrong with a design, one sentence each.

    Parameters
    ----------
    scenario
        The scenario whose areas are partitioned.
    patches
        The design.
    area_ids
        The areas to partition; :func:`design_scope` when omitted.

    Returns
    -------
    list of str
        Empty when the patches partition the areas (each area in exactly
        one patch, no unknown or outside areas), none is empty, ids are
        unique and every patch is connected in the area graph.
    """
    scope = set(design_scope(scenario) if area_ids is None else area_ids)
    problems: list[str] = []
    owner: dict[str, str] = {}
    seen_ids: set[str] = set()
    for p in patches:
        if p.id in seen_ids:
            problems.append(f"patch id '{p.id}' is used twice")
        seen_ids.add(p.id)
        if not p.area_ids:
            problems.append(f"patch '{p.id}' has no areas")
        for a in sorted(p.area_ids):
            if not scenario.has("area", a):
                problems.append(f"patch '{p.id}': unknown area '{a}'")
            elif a not in scope:
                problems.append(f"patch '{p.id}': area '{a}' is outside the areas being partitioned")
            elif a in owner:
                problems.append(f"area '{a}' is in patches '{owner[a]}' and '{p.id}'")
            else:
                owner[a] = p.id
    missing = sorted(scope - set(owner))
    if missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        problems.append(f"{len(missing)} areas are in no patch: {shown}")
    if scenario.geography == "essex":
        full = geo.essex().graph
        for p in patches:
            nodes = [a for a in p.area_ids if a in full]
            if len(nodes) > 1:
                pieces = sorted((len(c) for c in nx.connected_components(full.subgraph(nodes))), reverse=True)
                if len(pieces) > 1:
                    problems.append(
                        f"patch '{p.id}' is not connected: {len(pieces)} pieces of {', '.join(map(str, pieces))} areas"
                    )
    else:
        problems.append(f"scenario geography {scenario.geography!r} has no area graph to check contiguity")
    return problems


# -- design --------------------------------------------------------------------------------
def design(
    scenario: Scenario,
    *,
    k: int | None = None,
    target_hours: float | None = None,
    tolerance: float = 0.15,
    within_districts: bool = True,
    seed: int = 0,
    travel: TravelModel | None = None,
    max_seconds: float = 120.0,
    demand: Mapping[str, float] | None = None,
    starts: int = 4,
    max_passes: int = 50,
) -> tuple[Patch, ...]:
    """Cut contiguous, balanced, compact patches (see the module docstring).

    Parameters
    ----------
    scenario
        An Essex scenario (its areas; demand from its packages).
    k
        Number of patches. Give exactly one of ``k`` and ``target_hours``.
    target_hours
        Weekly hours per patch: ``k = ceil(total / target_hours)``, and at
        least one patch per district (or part) when ``within_districts``.
    tolerance
        Patches aim at their part's (district's) hours per patch ± this
        share (0.15 = ±15%), and at the overall mean ± this share where the
        part's mean allows (step 2 of the algorithm).
    within_districts
        Keep every patch inside one district.
    seed
        Seeds and search order come from it: same seed, same design.
    travel
        Travel model for the car minutes between area centroids; the
        scenario's default model when omitted.
    max_seconds
        Stop restarts and sweeps after this long (the design is still valid,
        but may then depend on the machine's speed).
    demand
        Hours by area instead of :func:`demand_hours` (e.g. forecast demand).
    starts
        Restarts per part (new seeds each); the best is kept.
    max_passes
        Most sweeps of each local-search phase.

    Returns
    -------
    tuple of Patch
        Ids ``N01``.. in name order; no lead providers.

    Raises
    ------
    InputError
        When neither or both of ``k`` and ``target_hours`` are given, or
        they, ``tolerance``, ``starts``, ``max_passes`` or ``max_seconds``
        are out of range, or ``k`` is
        fewer than the parts (districts) or more than the areas.
    SolverError
        Never in practice: if the design failed :func:`check_design`.
    """
    if (k is None) == (target_hours is None):
        raise InputError("design: give exactly one of k and target_hours")
    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
        raise InputError(f"design: k={k!r} must be a whole number >= 1")
    if target_hours is not None and not (isinstance(target_hours, (int, float)) and target_hours > 0):
        raise InputError(f"design: target_hours={target_hours!r} must be > 0")
    if not 0 <= tolerance < 1:
        raise InputError(f"design: tolerance={tolerance!r} must be in [0, 1)")
    if starts < 1 or max_passes < 0 or not max_seconds > 0:
        raise InputError(
            f"design: starts={starts} must be >= 1, max_passes={max_passes} >= 0 and max_seconds={max_seconds} > 0"
        )
    deadline = time.monotonic() + max_seconds
    hours_by_area = demand_hours(scenario) if demand is None else dict(demand)
    scope = design_scope(scenario, hours_by_area)
    graph = _graph(scenario, scope)
    index = {a: i for i, a in enumerate(scope)}
    w = np.array([max(0.0, float(hours_by_area.get(a, 0.0))) for a in scope])
    if w.sum() <= 0:
        if target_hours is not None:
            raise InputError("design: the scenario has no demand to divide into target_hours; give k")
        w = np.ones(len(scope))  # no demand at all: balance the number of areas
    wc = w + ZERO_DEMAND_WEIGHT * w.sum() / len(w)
    minutes = _minutes(scenario, scope, travel)
    parts = _parts(scenario, graph, scope, within_districts)
    total = float(w.sum())
    if k is None:
        k = max(math.ceil(total / float(target_hours) - 1e-9), len(parts))  # type: ignore[arg-type]
    if k < len(parts):
        what = "districts (and pieces of districts)" if within_districts else "separate pieces of the area graph"
        raise InputError(
            f"design: k={k} is fewer than the {len(parts)} {what} the design covers; "
            f"use k >= {len(parts)}" + (" or within_districts=False" if within_districts else "")
        )
    if k > len(scope):
        raise InputError(f"design: k={k} is more than the {len(scope)} areas the design covers")
    part_idx = [np.array(sorted(index[a] for a in part)) for part in parts]
    part_hours = [float(w[ix].sum()) for ix in part_idx]
    ks = _apportion(part_hours, [len(ix) for ix in part_idx], k)
    band = [_band(h / kp, total / k, tolerance) for h, kp in zip(part_hours, ks, strict=True)]
    groups: list[frozenset[str]] = []
    for n_part, (ix, kp) in enumerate(zip(part_idx, ks, strict=True)):
        local = {int(g): j for j, g in enumerate(ix)}
        adj = [[local[index[b]] for b in graph.adj[scope[g]] if index[b] in local] for g in ix]
        rng = np.random.default_rng([seed, n_part])
        labels = _solve_part(
            minutes[np.ix_(ix, ix)], adj, w[ix], wc[ix], kp, tolerance, band[n_part], rng, deadline, starts, max_passes
        )
        members: dict[int, set[str]] = defaultdict(set)
        for j, lab in enumerate(labels):
            members[lab].add(scope[int(ix[j])])
        groups += [frozenset(members[lab]) for lab in sorted(members)]
    patches = _named(scenario, groups, hours_by_area)
    problems = check_design(scenario, patches, area_ids=scope)
    if problems:
        raise SolverError("design produced an invalid design: " + "; ".join(problems[:5]))
    return patches


def _parts(scenario: Scenario, graph: nx.Graph, scope: Sequence[str], within: bool) -> list[list[str]]:
    """Connected pieces designed separately (per district when ``within``)."""
    if within:
        by_district: dict[str, list[str]] = defaultdict(list)
        for a in scope:
            by_district[scenario.area(a).district_id].append(a)
        pieces = [graph.subgraph(by_district[d]) for d in sorted(by_district)]
    else:
        pieces = [graph]
    out: list[list[str]] = []
    for sub in pieces:
        comps = [sorted(c) for c in nx.connected_components(sub)]
        out += sorted(comps, key=lambda c: c[0])
    return out


def _band(part_mean: float, mean: float, tol: float) -> tuple[float, float]:
    """Allowed hours of a part's patches, relative to the part's mean: within
    the tolerance of both the part's and the overall mean when the part's
    mean allows that, else within the tolerance of the part's mean."""
    if part_mean <= 0:
        return (1 - tol, 1 + tol)
    lo = max(1 - tol, mean * (1 - tol) / part_mean)
    hi = min(1 + tol, mean * (1 + tol) / part_mean)
    return (lo, hi) if lo <= 1 <= hi else (1 - tol, 1 + tol)


def _apportion(hours: list[float], sizes: list[int], k: int) -> list[int]:
    """Patches per part: one each, then by largest hours per patch; then
    single patches move between parts while the largest relative deviation
    of hours per patch from the overall mean falls. Never more patches than
    areas in a part."""
    ks = [1] * len(hours)
    for _ in range(k - len(hours)):
        open_ = [i for i in range(len(hours)) if ks[i] < sizes[i]]
        best = max(open_, key=lambda i: (hours[i] / ks[i], -i))
        ks[best] += 1
    total = sum(hours)
    if total <= 0:
        return ks
    mean = total / k

    def spread(alloc: list[int]) -> float:
        return max(abs(h / n / mean - 1) for h, n in zip(hours, alloc, strict=True))

    improved = True
    while improved:
        improved = False
        now = spread(ks)
        for i in range(len(ks)):
            for j in range(len(ks)):
                if i == j or ks[i] <= 1 or ks[j] >= sizes[j]:
                    continue
                trial = list(ks)
                trial[i] -= 1
                trial[j] += 1
                if spread(trial) < now - 1e-12:
                    ks, now, improved = trial, spread(trial), True
    return ks


def _solve_part(
    t: np.ndarray,
    adj: list[list[int]],
    w: np.ndarray,
    wc: np.ndarray,
    k: int,
    tol: float,
    band: tuple[float, float],
    rng: np.random.Generator,
    deadline: float,
    starts: int,
    max_passes: int,
) -> list[int]:
    """Labels 0..k-1 for one connected part: best of ``starts`` restarts."""
    n = len(w)
    if k >= n:
        return list(range(n))
    if k == 1:
        return [0] * n
    best: tuple[float, list[int]] | None = None
    rows = t.tolist()
    for _ in range(starts):
        seeds = _seeds(t, wc, k, rng)
        search = _Search(t, adj, w, wc, _grow(t, adj, w, wc, seeds, tol), k, tol, band, rows)
        search.improve(rng, deadline, max_passes)
        search.rebalance(rng, deadline, max_passes, rounds=2 * k)
        obj = search.objective()
        if best is None or obj < best[0] - 1e-12:
            best = (obj, list(search.labels))
        if time.monotonic() > deadline:
            break
    return best[1]  # type: ignore[index]


def _seeds(t: np.ndarray, wc: np.ndarray, k: int, rng: np.random.Generator) -> list[int]:
    """Greedy k-means++ on travel minutes, weighted by demand."""
    n = len(wc)
    first = int(rng.choice(n, p=wc / wc.sum()))
    seeds = [first]
    nearest = t[:, first].copy()
    tries = 2 + int(math.log(k))
    while len(seeds) < k:
        prob = wc * nearest**2
        prob[seeds] = 0.0
        if prob.sum() <= 0:
            free = [i for i in range(n) if i not in set(seeds)]
            cands = [free[int(rng.integers(len(free)))]]
        else:
            cands = [int(c) for c in rng.choice(n, size=tries, p=prob / prob.sum())]
        costs = [float(wc @ np.minimum(nearest, t[:, c]) ** 2) for c in cands]
        pick = cands[int(np.argmin(costs))]
        seeds.append(pick)
        nearest = np.minimum(nearest, t[:, pick])
    return seeds


def _medoid(t: np.ndarray, wc: np.ndarray, members: Sequence[int]) -> int:
    """The member with the least demand-weighted minutes to the others."""
    idx = np.fromiter(sorted(members), dtype=np.intp)
    cost = wc[idx] @ t[idx[:, None], idx]
    return int(idx[int(np.argmin(cost))])


def _grow(
    t: np.ndarray, adj: list[list[int]], w: np.ndarray, wc: np.ndarray, seeds: list[int], tol: float
) -> list[int]:
    """Grow patches from seeds over the graph, lightest patch first."""
    n, k = len(w), len(seeds)
    target = w.sum() / k
    labels = [-1] * n
    hours = [0.0] * k
    members: list[list[int]] = [[] for _ in range(k)]
    centre = list(seeds)
    cost = wc[seeds, None] * t[seeds]  # weighted minutes from each patch to every area
    frontier: list[set[int]] = [set() for _ in range(k)]
    for p, s in enumerate(seeds):
        labels[s] = p
        hours[p] = float(w[s])
        members[p].append(s)
    for p, s in enumerate(seeds):
        frontier[p].update(j for j in adj[s] if labels[j] < 0)
    heap = [(hours[p], p) for p in range(k)]
    heapq.heapify(heap)
    while heap:
        _, p = heapq.heappop(heap)
        frontier[p] = {j for j in frontier[p] if labels[j] < 0}
        if not frontier[p] or hours[p] >= target:
            continue
        c = centre[p]
        j = min(frontier[p], key=lambda i: (t[i, c], i))
        if hours[p] + w[j] > target * (1 + tol) and hours[p] >= target * (1 - tol):
            continue
        labels[j] = p
        hours[p] += float(w[j])
        members[p].append(j)
        frontier[p].update(i for i in adj[j] if labels[i] < 0)
        cost[p] += wc[j] * t[j]
        idx = np.array(members[p], dtype=np.intp)
        centre[p] = int(idx[int(np.argmin(cost[p, idx]))])
        heapq.heappush(heap, (hours[p], p))
    # Enclosed leftovers: to the lightest adjacent patch, nearest first.
    left = {i for i in range(n) if labels[i] < 0}
    while left:
        options = [
            (hours[labels[j]], float(t[i, centre[labels[j]]]), i, labels[j])
            for i in sorted(left)
            for j in adj[i]
            if labels[j] >= 0
        ]
        _, _, i, p = min(options)
        labels[i] = p
        hours[p] += float(w[i])
        left.discard(i)
    return labels


class _Search:
    """Local search over boundary moves that keep patches connected."""

    def __init__(
        self,
        t: np.ndarray,
        adj: list[list[int]],
        w: np.ndarray,
        wc: np.ndarray,
        labels: list[int],
        k: int,
        tol: float,
        band: tuple[float, float],
        rows: list[list[float]] | None = None,
        target: float | None = None,
        scale: float | None = None,
    ) -> None:
        self.t, self.adj, self.w, self.wc, self.tol, self.k = t, adj, w, wc, tol, k
        self.lo, self.hi = band
        self.rows: list[list[float]] = t.tolist() if rows is None else rows
        self.target = float(w.sum()) / k if target is None else target
        self.scale = 1.0 / float(wc.sum()) if scale is None else scale
        self.mu = EVENNESS_MIN
        #: Pairs of patches (as their areas) that re-splitting did not improve.
        self.failed: set[frozenset[frozenset[int]]] = set()
        self.load(labels)

    def load(self, labels: Sequence[int]) -> None:
        """Set the labels and rebuild members, hours and centres."""
        self.labels = list(labels)
        self.members: list[set[int]] = [set() for _ in range(self.k)]
        self.hours = [0.0] * self.k
        for i, p in enumerate(self.labels):
            self.members[p].add(i)
            self.hours[p] += float(self.w[i])
        #: cost[p, c]: demand-weighted minutes from patch p's areas to area c.
        self.cost = np.zeros((self.k, len(self.labels)))
        for p, members in enumerate(self.members):
            idx = np.fromiter(members, dtype=np.intp)
            self.cost[p] = self.wc[idx] @ self.t[idx]
        self.centre = [self._centre(p) for p in range(self.k)]

    def _centre(self, p: int) -> int:
        """The member of p with the least weighted minutes to p's areas."""
        idx = np.fromiter(sorted(self.members[p]), dtype=np.intp)
        return int(idx[int(np.argmin(self.cost[p, idx]))])

    def improve(
        self, rng: np.random.Generator, deadline: float, max_passes: int, dirty: set[int] | None = None
    ) -> None:
        """Diffusion phase (hours flow towards the target), then the plain
        objective."""
        self.mu = DIFFUSION_MIN
        touched = self.descend(rng, deadline, max_passes, dirty)
        self.mu = EVENNESS_MIN
        self.descend(rng, deadline, max_passes, None if dirty is None else dirty | touched)

    def rebalance(self, rng: np.random.Generator, deadline: float, max_passes: int, rounds: int) -> None:
        """While patches lie outside the tolerance: first re-split such a
        patch together with a neighbour; failing that, merge a light patch
        into a neighbour and split a heavy one in two. Each change is
        followed by the local search and kept only if the objective fell."""
        lo, hi = self.target * self.lo, self.target * self.hi
        for _ in range(rounds):
            if self.target <= 0 or time.monotonic() > deadline:
                return
            order = sorted(range(self.k), key=lambda p: (self.hours[p], p))
            over = [p for p in reversed(order) if self.hours[p] > hi + 1e-9]
            under = [p for p in order if self.hours[p] < lo - 1e-9]
            if not over and not under:
                return
            if self._resplit_any(over, under, rng, deadline, max_passes):
                continue
            splits = (over or list(reversed(order)))[:3]
            merges = self._merge_pairs(under or order)
            before = self.objective()
            snapshot = list(self.labels)
            kept = False
            for p in splits:
                for r, q in merges:
                    if p in (r, q) or not self._merge_split(p, r, q):
                        continue
                    self.improve(rng, deadline, max_passes, {p, r, q})
                    if self.objective() < before - 1e-9:
                        kept = True
                        break
                    self.load(snapshot)
                if kept or time.monotonic() > deadline:
                    break
            if not kept:
                return

    def _neighbours(self, p: int) -> set[int]:
        return {self.labels[j] for i in self.members[p] for j in self.adj[i]} - {p}

    def _resplit_any(
        self, over: list[int], under: list[int], rng: np.random.Generator, deadline: float, max_passes: int
    ) -> bool:
        """Re-split the worst patches outside the tolerance with each
        neighbour in turn (lightest first for a heavy patch, heaviest first
        for a light one) until one pair improves."""
        worst = sorted(over + under, key=lambda p: (-abs(self.hours[p] / self.target - 1), p))[:3]
        for p in worst:
            heavy = p in over
            nbrs = sorted(self._neighbours(p), key=lambda q: (self.hours[q] if heavy else -self.hours[q], q))
            for q in nbrs:
                key = frozenset((frozenset(self.members[p]), frozenset(self.members[q])))
                if key in self.failed:
                    continue
                if self._resplit_pair(p, q, rng, deadline, max_passes):
                    self.improve(rng, deadline, max_passes, {p, q})
                    return True
                self.failed.add(key)
                if time.monotonic() > deadline:
                    return False
        return False

    def _resplit_pair(self, p: int, q: int, rng: np.random.Generator, deadline: float, max_passes: int) -> bool:
        """Cut two adjacent patches afresh: grow two halves of their union
        from a few pairs of far-apart seeds, search inside the union, and
        keep the best cut if it beats the current one."""
        inside = sorted(self.members[p] | self.members[q])
        n = len(inside)
        if n < 3:
            return False
        local = {g: j for j, g in enumerate(inside)}
        idx = np.array(inside, dtype=np.intp)
        t = self.t[idx[:, None], idx]
        w, wc = self.w[idx], self.wc[idx]
        adj = [[local[j] for j in self.adj[g] if j in local] for g in inside]

        def search(labels: list[int]) -> _Search:
            return _Search(t, adj, w, wc, labels, 2, self.tol, (self.lo, self.hi), target=self.target, scale=self.scale)

        before = search([0 if self.labels[g] == p else 1 for g in inside]).objective()
        starts = [int(np.argmax(t[:, _medoid(t, wc, range(n))]))]
        starts += [int(x) for x in rng.choice(n, size=min(n, 2), replace=False)]
        best: tuple[float, list[int]] | None = None
        for first in dict.fromkeys(starts):
            second = int(np.argmax(t[:, first]))
            if second == first:
                continue
            sub = search(_grow(t, adj, w, wc, [first, second], self.tol))
            sub.improve(rng, deadline, max_passes)
            obj = sub.objective()
            if obj < before - 1e-9 and (best is None or obj < best[0] - 1e-12):
                best = (obj, sub.labels)
        if best is None:
            return False
        labels = list(self.labels)
        for g, half in zip(inside, best[1], strict=True):
            labels[g] = p if half == 0 else q
        self.load(labels)
        return True

    def _merge_pairs(self, light: list[int]) -> list[tuple[int, int]]:
        """Up to three (patch, lighter neighbour) pairs to merge, lightest
        patches first."""
        pairs: list[tuple[int, int]] = []
        for r in light:
            nbrs = {self.labels[j] for i in self.members[r] for j in self.adj[i]} - {r}
            if nbrs:
                pairs.append((r, min(sorted(nbrs), key=lambda q: self.hours[q])))
            if len(pairs) == 3:
                break
        return pairs

    def _merge_split(self, p: int, r: int, q: int) -> bool:
        """Merge patch q into r, then split p in two (its second half takes
        q's label) by growing two regions inside it."""
        inside = sorted(self.members[p])
        if len(inside) < 2:
            return False
        local = {g: j for j, g in enumerate(inside)}
        idx = np.array(inside, dtype=np.intp)
        t = self.t[np.ix_(idx, idx)]
        wc = self.wc[idx]
        first = int(np.argmax(t[:, local[self.centre[p]]]))
        second = int(np.argmax(t[:, first]))
        if first == second:
            return False
        adj = [[local[j] for j in self.adj[g] if j in local] for g in inside]
        halves = _grow(t, adj, self.w[idx], wc, [first, second], self.tol)
        labels = list(self.labels)
        for i in self.members[q]:
            labels[i] = r
        for g, half in zip(inside, halves, strict=True):
            if half == 1:
                labels[g] = q
        self.load(labels)
        return True

    def pen(self, h: float) -> float:
        """Balance penalty of a patch with ``h`` hours."""
        if self.target <= 0:
            return 0.0
        rel = h / self.target
        out = self.mu * (rel - 1) * (rel - 1)
        if rel > self.hi:
            out += BALANCE_PENALTY_MIN * (rel - self.hi)
        elif rel < self.lo:
            out += BALANCE_PENALTY_MIN * (self.lo - rel)
        return out

    def objective(self) -> float:
        cost = sum(float(self.wc[i]) * float(self.t[i, self.centre[p]]) for i, p in enumerate(self.labels)) * self.scale
        return cost + sum(self.pen(h) for h in self.hours)

    def connected_without(self, p: int, i: int) -> bool:
        """Whether patch p stays connected without area i: at once when i's
        neighbours in p meet within two steps of i, else by a search of p."""
        labels, adj = self.labels, self.adj
        near = [j for j in adj[i] if labels[j] == p]
        if len(near) <= 1:
            return bool(near)
        local = {y for j in near for y in adj[j] if labels[y] == p} | set(near)
        local.discard(i)
        seen = {near[0]}
        queue = deque([near[0]])
        while queue:
            x = queue.popleft()
            for y in adj[x]:
                if y in local and y not in seen:
                    seen.add(y)
                    queue.append(y)
        if all(j in seen for j in near):
            return True
        rest = self.members[p]
        start = near[0]
        seen = {start, i}
        queue = deque([start])
        while queue:
            x = queue.popleft()
            for y in self.adj[x]:
                if y not in seen and self.labels[y] == p:
                    seen.add(y)
                    queue.append(y)
        return len(seen) == len(rest)

    def descend(
        self, rng: np.random.Generator, deadline: float, max_passes: int, dirty: set[int] | None = None
    ) -> set[int]:
        """Sweeps of improving boundary moves. A sweep looks only at areas
        in or next to patches that changed in the sweep before (``dirty``:
        all patches at first), since nothing else can have a new move.
        Returns the patches that changed."""
        labels, t, rows, pen = self.labels, self.t, self.rows, self.pen
        w, wc = self.w.tolist(), self.wc.tolist()
        changed = set(range(self.k)) if dirty is None else set(dirty)
        touched: set[int] = set()
        for _ in range(max_passes):
            if not changed:
                return touched
            look: set[int] = set()
            for p in changed:
                for i in self.members[p]:
                    look.add(i)
                    look.update(self.adj[i])
            changed = set()
            for i in rng.permutation(sorted(look)).tolist():
                p = labels[i]
                if i == self.centre[p] or len(self.members[p]) == 1:
                    continue
                cands = sorted({labels[j] for j in self.adj[i]} - {p})
                if not cands:
                    continue
                hp, wi, wci = self.hours[p], w[i], wc[i] * self.scale
                row = rows[i]
                here = row[self.centre[p]]
                leave = pen(hp - wi) - pen(hp)
                best_q, best_d = -1, -1e-9
                for q in cands:
                    hq = self.hours[q]
                    d = wci * (row[self.centre[q]] - here) + leave + pen(hq + wi) - pen(hq)
                    if d < best_d:
                        best_q, best_d = q, d
                if best_q < 0 or not self.connected_without(p, i):
                    continue
                labels[i] = best_q
                self.members[p].discard(i)
                self.members[best_q].add(i)
                self.hours[p] -= wi
                self.hours[best_q] += wi
                move = self.wc[i] * t[i]
                self.cost[p] -= move
                self.cost[best_q] += move
                self.centre[p] = self._centre(p)
                self.centre[best_q] = self._centre(best_q)
                changed.update((p, best_q))
            touched |= changed
            if time.monotonic() > deadline:
                break
        return touched


# -- names ----------------------------------------------------------------------------------
def _named(
    scenario: Scenario,
    groups: Sequence[frozenset[str]],
    hours: Mapping[str, float],
    *,
    ids: Sequence[str | None] | None = None,
    names: Sequence[str | None] | None = None,
    leads: Sequence[str | None] | None = None,
) -> tuple[Patch, ...]:
    """Patches from area groups: neighbourhood names, ids N01.. in name
    order (given ids and names are kept)."""
    made = patch_names(scenario, groups, hours)
    final = [n if n else m for n, m in zip(names or [None] * len(groups), made, strict=True)]
    order = sorted(range(len(groups)), key=lambda i: (final[i], min(groups[i])))
    width = max(2, len(str(len(groups))))
    given = ids or [None] * len(groups)
    auto = {i: f"N{r + 1:0{width}d}" for r, i in enumerate(order)}
    lead = leads or [None] * len(groups)
    return tuple(
        Patch(id=given[i] or auto[i], name=final[i], area_ids=groups[i], lead_provider_id=lead[i]) for i in order
    )


def patch_names(
    scenario: Scenario, groups: Sequence[frozenset[str]] | Sequence[set[str]], hours: Mapping[str, float]
) -> list[str]:
    """Name area groups after the neighbourhood holding most of their demand.

    Parameters
    ----------
    scenario
        The scenario (areas and their House of Commons Library names).
    groups
        Area ids of each patch.
    hours
        Demand by area; population breaks ties (and names patches without
        demand).

    Returns
    -------
    list of str
        One name per group, unique: where several groups share their top
        neighbourhood, the one with most demand there keeps the plain name
        and the others add the compass direction from it ("... North"),
        then a number if still needed.
    """
    tops: list[tuple[str, float, int]] = []
    for g in groups:
        score: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
        for a in g:
            area = scenario.area(a)
            score[area.neighbourhood][0] += hours.get(a, 0.0)
            score[area.neighbourhood][1] += area.pop_total
        top = max(sorted(score), key=lambda nb: (score[nb][0], score[nb][1]))
        tops.append((top, score[top][0], int(score[top][1])))
    names = [t[0] for t in tops]
    shared: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(tops):
        shared[t[0]].append(i)
    for nb, idx in shared.items():
        if len(idx) < 2:
            continue
        owner = max(idx, key=lambda i: (tops[i][1], tops[i][2], -i))
        o_lat, o_lon = _centre_point(scenario, groups[owner], hours)
        for i in idx:
            if i != owner:
                lat, lon = _centre_point(scenario, groups[i], hours)
                east = (lon - o_lon) * math.cos(math.radians(o_lat))
                bearing = math.degrees(math.atan2(east, lat - o_lat)) % 360
                names[i] = f"{nb} {_COMPASS[int(round(bearing / 45)) % 8]}"
    counts: dict[str, int] = defaultdict(int)
    for i, name in enumerate(names):
        counts[name] += 1
        if counts[name] > 1:
            names[i] = f"{name} {counts[name]}"
    return names


def _centre_point(
    scenario: Scenario, group: frozenset[str] | set[str], hours: Mapping[str, float]
) -> tuple[float, float]:
    """Demand-weighted (else population-weighted) mean centroid of a group."""
    areas = [scenario.area(a) for a in sorted(group)]
    wts = np.array([hours.get(a.id, 0.0) for a in areas])
    if wts.sum() <= 0:
        wts = np.array([a.pop_total + 1.0 for a in areas])
    lat = float(np.average([a.centroid.lat for a in areas], weights=wts))
    lon = float(np.average([a.centroid.lon for a in areas], weights=wts))
    return lat, lon


# -- KPIs -----------------------------------------------------------------------------------------
def design_kpis(
    scenario: Scenario,
    patches: Sequence[Patch],
    *,
    demand: Mapping[str, float] | None = None,
    travel: TravelModel | None = None,
) -> list[dict[str, Any]]:
    """How balanced and compact each patch is.

    Parameters
    ----------
    scenario
        The scenario.
    patches
        A design (known areas only; see :func:`check_design`).
    demand
        Hours by area; :func:`demand_hours` when omitted.
    travel
        Travel model; the scenario's default when omitted.

    Returns
    -------
    list of dict
        Per patch, in the given order: ``id``, ``name``, ``areas`` (count),
        ``demand_hours``, ``balance`` (hours / mean hours of the design's
        patches), ``centre`` (the area with the least demand-weighted car
        minutes to the patch's areas: its demand-weighted centre),
        ``compactness_min`` (demand-weighted mean car minutes from the
        patch's areas to its centre; unweighted when it has no demand) and
        ``diameter_min`` (the most car minutes between two of its areas).
    """
    hours = demand_hours(scenario) if demand is None else demand
    ids = sorted({a for p in patches for a in p.area_ids})
    at = {a: i for i, a in enumerate(ids)}
    t = _minutes(scenario, ids, travel) if ids else np.zeros((0, 0))
    totals = [sum(hours.get(a, 0.0) for a in p.area_ids) for p in patches]
    mean = sum(totals) / len(patches) if patches else 0.0
    out = []
    for p, h in zip(patches, totals, strict=True):
        idx = np.array(sorted(at[a] for a in p.area_ids), dtype=np.intp)
        row: dict[str, Any] = {
            "id": p.id,
            "name": p.name,
            "areas": len(idx),
            "demand_hours": round(h, 2),
            "balance": round(h / mean, 4) if mean > 0 else 0.0,
            "centre": None,
            "compactness_min": 0.0,
            "diameter_min": 0.0,
        }
        if len(idx):
            sub = t[np.ix_(idx, idx)]
            wts = np.array([hours.get(ids[i], 0.0) for i in idx])
            if wts.sum() <= 0:
                wts = np.ones(len(idx))
            c = int(np.argmin(wts @ sub))
            row["centre"] = ids[int(idx[c])]
            row["compactness_min"] = round(float(wts @ sub[:, c] / wts.sum()), 2)
            row["diameter_min"] = float(sub.max())
        out.append(row)
    return out


# -- GeoJSON ------------------------------------------------------------------------------------

__all__ = [
    "by_district",
    "check_design",
    "demand_hours",
    "design",
    "design_kpis",
    "design_scope",
    "patch_names",
]


def __getattr__(name: str) -> object:
    """``partition.from_geojson``/``to_geojson`` moved to :mod:`patchplan.io.geojson`; old references still work.

    Looked up lazily because io.geojson itself imports this module.
    """
    if name in ("from_geojson", "to_geojson"):
        from patchplan.io import geojson

        return getattr(geojson, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
