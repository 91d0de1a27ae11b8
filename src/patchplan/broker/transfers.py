"""Transfer of care between providers: package moves that cut travel.

Essex's commissioning intention is to "share (in a safe way) information
that might help providers build more coherent rounds and broker a transfer
of care where appropriate". Given the providers' rounds in a district,
:func:`find_transfers` lists package moves a broker can act on, best first:

- a **transfer** moves one personal-care package from its provider A to a
  provider B. A saves the travel its rounds spend on the package's visits
  (for each round, the route with the visits minus the route without them,
  recomputed with the travel model); B adds the cheapest insertion of each
  visit into its existing rounds (:class:`patchplan.broker.brokerage.BrokerState`,
  the broker's own estimate). The saving is the difference; only positive
  ones are kept. B must be on the package's framework lot (district x
  service type x the client's cohort; a spot provider only when the package
  is already on the spot market), able to serve every visit (skills,
  gender, prohibitions, shifts) and have the hours free in every weekday x
  band the package needs;
- a **swap** moves package a from A to B and package b from B to A when
  neither move fits the other's capacity alone but together the hours
  balance. Its saving is the sum of both moves' savings, each insertion
  estimated against today's rounds (which still hold the package leaving:
  a conservative estimate, since the freed slot is not used).

Savings are minutes over the roster's horizon (a week for a weekly
scenario), as the broker's ``added_travel_min_week``. Each package appears
at most once in the list, and capacity is booked as the list is built, so
the moves can be made together; each saving is estimated on its own
against today's rounds (two moves into one round are left to the rounds
planner).

The search is exact but lazy: a vectorised lower bound on every insertion
(the same arithmetic as the broker's, without the skill, gender and
prohibition filters) gives an upper bound on every saving, and the broker's
insertion is only computed for the moves that could still make the list.

The output names package and provider ids only (package ids are internal
to the council); nothing here logs clients' data.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from patchplan.broker.brokerage import BrokerState, _describe, package_need
from patchplan.core.errors import InputError
from patchplan.core.model import Location, Package, Roster, Scenario, Visit
from patchplan.geo.travel import TravelModel, default_travel

log = logging.getLogger("patchplan")

#: Service types whose packages are considered for transfer.
TRANSFER_SERVICE_TYPES = frozenset({"personal_care"})
_INF = np.iinfo(np.int64).max // 4
#: Visits handled at once in the vectorised bound (rows x chunk int64 arrays).
_CHUNK = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    """One move a broker can act on (a transfer, or a swap of two packages).

    Attributes
    ----------
    package_id, from_provider, to_provider
        The package and the move.
    saving_min_week
        Carer travel saved over the horizon (both packages for a swap).
    rank
        The destination's rank on the package's lot (None: spot market).
    reason
        One line for the broker.
    hours_week
        The package's weekly hours.
    removal_min_week, insertion_min_week
        Travel the giving provider(s) save and the taking provider(s) add.
    new_trips
        Calls that fit no existing round and need a trip of their own.
    swap_package_id, swap_rank
        For a swap: the package coming back from ``to_provider``, and
        ``from_provider``'s rank on that package's lot.
    """

    package_id: str
    from_provider: str
    to_provider: str
    saving_min_week: int
    rank: int | None
    reason: str
    hours_week: float
    removal_min_week: int
    insertion_min_week: int
    new_trips: int = 0
    swap_package_id: str | None = None
    swap_rank: int | None = None

    @property
    def kind(self) -> str:
        return "transfer" if self.swap_package_id is None else "swap"

    @property
    def packages(self) -> tuple[str, ...]:
        return (self.package_id,) if self.swap_package_id is None else (self.package_id, self.swap_package_id)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind}
        out.update({k: getattr(self, k) for k in self.__dataclass_fields__})
        return out


@dataclass(slots=True)
class _Move:
    """One package to one provider: bounds first, the broker's numbers later."""

    pkg: Package
    src: str
    dest: str
    rank: int | None
    tier: int
    removal: int
    lower: int  # lower bound of the insertion cost
    insertion: int | None = None  # the broker's insertion (None: not yet)
    new_trips: int = 0
    feasible: bool = True  # False once the broker finds a visit no carer can take
    short: tuple[tuple[int, str], ...] = ()
    served: int = 0  # calls of the package in today's rounds
    calls: int = 0

    @property
    def upper(self) -> int:
        """Upper bound (or, once evaluated, the value) of the saving."""
        return self.removal - (self.lower if self.insertion is None else self.insertion)


def find_transfers(
    scenario: Scenario,
    roster: Roster | None = None,
    *,
    district: str | None = None,
    max_results: int = 50,
    travel: TravelModel | None = None,
) -> tuple[Transfer, ...]:
    """Package transfers and swaps between providers that cut total travel.

    Parameters
    ----------
    scenario
        The scenario (providers, framework, capacity, carers and shifts).
    roster
        Today's rounds of the providers (default: the scenario's status quo).
    district
        Only packages of clients in this district (name or code); default
        every district.
    max_results
        At most this many moves.
    travel
        Travel model (default: the scenario's); it must offer ``from_point``
        as the broker's does.

    Returns
    -------
    tuple of Transfer
        Best saving first; no package appears twice.

    Raises
    ------
    InputError
        When there is no roster, the district is unknown or ``max_results``
        is below 1.
    """
    s = scenario
    if max_results < 1:
        raise InputError(f"max_results={max_results} must be >= 1")
    roster = roster if roster is not None else s.status_quo
    if roster is None:
        raise InputError("transfers need today's rounds: the scenario has no status-quo roster; pass a roster")
    district_id = None if district is None else s.district_by_name(district).id
    travel = travel or default_travel(dict(s.settings))
    state = BrokerState(s, roster, travel)  # type: ignore[arg-type]
    removal = _Removal(s, roster, travel)
    movable = [
        p
        for p in s.packages
        if p.status == "placed"
        and p.provider_id is not None
        and p.service_type in TRANSFER_SERVICE_TYPES
        and (district_id is None or s.client(p.client_id).district_id == district_id)
        and s.visits_of_package(p.id)
    ]
    moves = _moves(s, state, removal, movable)
    _lower_bounds(s, state, moves)
    moves = [m for m in moves if m.lower < _INF]
    log.debug("transfers: %d packages, %d possible moves", len(movable), len(moves))
    return _select(s, state, moves, max_results)


# ---------------------------------------------------------------------------
# What each provider saves
# ---------------------------------------------------------------------------
class _Removal:
    """Travel a roster saves without some visits, from the travel model."""

    def __init__(self, s: Scenario, roster: Roster, travel: TravelModel) -> None:
        self.s = s
        self.travel = travel
        self.rounds = roster.rounds
        self.where: dict[str, list[int]] = defaultdict(list)
        for i, rnd in enumerate(roster.rounds):
            for stop in rnd.stops:
                self.where[stop.visit_id].append(i)
        self._matrix: dict[int, np.ndarray] = {}

    def matrix(self, i: int) -> np.ndarray:
        """Minutes between the round's points: home, each stop, home."""
        if i not in self._matrix:
            rnd = self.rounds[i]
            carer = self.s.carer(rnd.carer_id)
            points = (
                [carer.home]
                + [self.s.client(self.s.visit(x.visit_id).client_id).location for x in rnd.stops]
                + [carer.home]
            )
            self._matrix[i] = self.travel.matrices(points, carer.mode)[0]
        return self._matrix[i]

    def route(self, i: int, skip: frozenset[str] = frozenset()) -> int:
        """Travel of round ``i`` (home, its stops but ``skip``, home)."""
        rnd = self.rounds[i]
        kept = [0] + [k + 1 for k, stop in enumerate(rnd.stops) if stop.visit_id not in skip] + [len(rnd.stops) + 1]
        m = self.matrix(i)
        return int(sum(m[a, b] for a, b in itertools.pairwise(kept)))

    def saving(self, pkg: Package) -> tuple[int, int]:
        """(travel saved without the package's visits, its calls served)."""
        ids = frozenset(v.id for v in self.s.visits_of_package(pkg.id))
        touched = sorted({i for vid in ids for i in self.where.get(vid, ())})
        saved = sum(self.route(i) - self.route(i, ids) for i in touched)
        served = sum(1 for vid in ids if vid in self.where)
        return saved, served


def _moves(s: Scenario, state: BrokerState, removal: _Removal, movable: Sequence[Package]) -> list[_Move]:
    """Every eligible (package, destination), with the removal saving."""
    out = []
    for pkg in movable:
        src = pkg.provider_id or ""
        saved, served = removal.saving(pkg)
        if served == 0:
            continue  # nothing of it in today's rounds: nothing to save
        src_spot = s.provider(src).spot
        for prov, rank in state.candidates(pkg):
            if prov.id == src or (prov.spot and not src_spot):
                continue
            out.append(
                _Move(
                    pkg=pkg,
                    src=src,
                    dest=prov.id,
                    rank=rank,
                    tier=prov.tier,
                    removal=saved,
                    lower=0,
                    short=tuple(state.short_bands(prov.id, pkg)),
                    served=served,
                    calls=len(s.visits_of_package(pkg.id)),
                )
            )
    return out


# ---------------------------------------------------------------------------
# Lower bounds on insertion, vectorised per provider and day
# ---------------------------------------------------------------------------
def _lower_bounds(s: Scenario, state: BrokerState, moves: list[_Move]) -> None:
    """Set each move's ``lower``: a lower bound on the broker's insertion.

    For each visit the broker takes the cheapest detour over the gaps its
    time window fits among the carers who may serve it, else a trip from
    the nearest such carer's home. The minimum over *all* carers' gaps that
    fit the window, and over all on-shift carers' homes, can only be lower;
    one pass over a (visits x gaps) array per provider and day gives it,
    with the same travel arithmetic (``from_point``, client to gap ends).
    Packages are bounded district by district, to keep the client x point
    table small on a county.
    """
    groups: dict[str, list[_Move]] = defaultdict(list)
    for m in moves:
        groups[s.client(m.pkg.client_id).district_id].append(m)
    for _, group in sorted(groups.items()):
        _bound_group(s, state, group)


class _Points:
    """Distinct points, numbered in the order first seen."""

    def __init__(self) -> None:
        self.ids: dict[tuple[float, float, bool], int] = {}

    def add(self, lat: Iterable[float], lon: Iterable[float], urban: Iterable[bool]) -> np.ndarray:
        ids = self.ids
        return np.array(
            [ids.setdefault((float(a), float(b), bool(c)), len(ids)) for a, b, c in zip(lat, lon, urban, strict=True)],
            dtype=np.int64,
        )

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keys = list(self.ids)
        return (
            np.array([k[0] for k in keys], dtype=float),
            np.array([k[1] for k in keys], dtype=float),
            np.array([k[2] for k in keys], dtype=bool),
        )


def _bound_group(s: Scenario, state: BrokerState, moves: list[_Move]) -> None:
    by_dest_day: dict[tuple[str, int], set[str]] = defaultdict(set)  # -> package ids
    for m in moves:
        for v in s.visits_of_package(m.pkg.id):
            by_dest_day[(m.dest, v.day)].add(m.pkg.id)
    # Every gap end and home of the indexes involved, and every client.
    points, clients = _Points(), _Points()
    ends: dict[tuple[str, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    modes: set[str] = set()
    for key in sorted(by_dest_day):
        idx = state.rounds(*key)
        if idx.n:
            ends[key] = (
                points.add(idx.prev_lat, idx.prev_lon, idx.prev_urban),
                points.add(idx.next_lat, idx.next_lon, idx.next_urban),
                points.add(idx.home_lat, idx.home_lon, idx.home_urban),
            )
            modes.update(idx.modes.tolist())
    pkgs = sorted({m.pkg.id for m in moves})
    for pid in pkgs:
        loc = s.client(s.package(pid).client_id).location
        clients.add([loc.lat], [loc.lon], [loc.urban])
    p_lat, p_lon, p_urban = points.arrays()
    # Minutes from each client to each point, per mode (int32 keeps it small).
    tables: dict[str, np.ndarray] = {}
    for mode in sorted(modes):
        table = np.empty((len(clients.ids), len(points.ids)), dtype=np.int32)
        for (lat, lon, urban), i in clients.ids.items():
            minutes, _ = state.travel.from_point(Location(lat, lon, urban), p_lat, p_lon, p_urban, mode)
            table[i] = minutes
        tables[mode] = table
    lower: dict[tuple[str, str], int] = defaultdict(int)  # (package, dest) -> bound
    for (dest, day), pkg_ids in sorted(by_dest_day.items()):
        visits = [v for pid in sorted(pkg_ids) for v in s.visits_of_package(pid) if v.day == day]
        if (dest, day) not in ends:
            bound = np.full(len(visits), _INF, dtype=np.int64)  # nobody on shift
        else:
            loc_ids = np.array([clients.ids[_key(s.client(v.client_id).location)] for v in visits], dtype=np.int64)
            bound = _bound_visits(state.rounds(dest, day), ends[(dest, day)], tables, loc_ids, visits)
        for v, b in zip(visits, bound, strict=True):
            lower[(v.package_id, dest)] = min(_INF, lower[(v.package_id, dest)] + int(b))
    for m in moves:
        m.lower = lower.get((m.pkg.id, m.dest), 0)


def _key(loc: Location) -> tuple[float, float, bool]:
    return (float(loc.lat), float(loc.lon), bool(loc.urban))


def _bound_visits(
    idx: object,
    ends: tuple[np.ndarray, np.ndarray, np.ndarray],
    tables: dict[str, np.ndarray],
    loc_ids: np.ndarray,
    visits: list[Visit],
) -> np.ndarray:
    """Lower bound of the insertion cost of each visit into one index."""
    prev, nxt, home = ends
    row_modes = idx.modes  # type: ignore[attr-defined]
    early = np.array([v.early for v in visits], dtype=np.int64)[:, None]
    late = np.array([v.late for v in visits], dtype=np.int64)[:, None]
    dur = np.array([v.duration_min for v in visits], dtype=np.int64)[:, None]
    need = np.array([v.carers_required for v in visits], dtype=np.int64)
    out = np.full(len(visits), _INF, dtype=np.int64)
    for mode in sorted(set(row_modes.tolist())):
        rows = row_modes == mode
        table = tables[mode]
        r_prev, r_next, r_home = prev[rows], nxt[rows], home[rows]
        r_depart = idx.depart[rows]  # type: ignore[attr-defined]
        r_latest = idx.latest_next[rows]  # type: ignore[attr-defined]
        r_direct = idx.direct[rows]  # type: ignore[attr-defined]
        for lo in range(0, len(visits), _CHUNK):
            hi = min(len(visits), lo + _CHUNK)
            near = table[loc_ids[lo:hi]]
            to_new = near[:, r_prev].astype(np.int64)
            from_new = near[:, r_next].astype(np.int64)
            fits = np.maximum(r_depart + to_new, early[lo:hi]) <= np.minimum(
                late[lo:hi], r_latest - from_new - dur[lo:hi]
            )
            detour = np.where(fits, to_new + from_new - r_direct, _INF).min(axis=1)
            trip = 2 * near[:, r_home].astype(np.int64).min(axis=1)
            best = np.minimum(detour, trip) * need[lo:hi]
            out[lo:hi] = np.minimum(out[lo:hi], best)
    return out


# ---------------------------------------------------------------------------
# The broker's numbers, and the list
# ---------------------------------------------------------------------------
def _evaluate(s: Scenario, state: BrokerState, m: _Move) -> None:
    """The broker's insertion cost of every visit of the package."""
    total = trips = 0
    for v in s.visits_of_package(m.pkg.id):
        found = state.rounds(m.dest, v.day).insertion(s, v)
        if found is None:
            m.feasible = False
            m.insertion = _INF
            return
        extra, fits = found
        total += extra
        trips += not fits
    m.insertion = total
    m.new_trips = trips


def _release(state: BrokerState, provider_id: str, pkg: Package) -> None:
    """Give a package's hours back to a provider (the inverse of ``take``)."""
    state.weekly_left[provider_id] = state.weekly_left.get(provider_id, 0.0) + pkg.hours_week
    if state.s.provider(provider_id).band_capacity:
        cap = state.remaining[provider_id]
        for key, hours in package_need(state.s, pkg).items():
            cap[key] = cap.get(key, 0.0) + hours


def _fits_with(state: BrokerState, provider_id: str, pkg: Package, freed: Package | None) -> bool:
    """Whether the provider has the package's hours once ``freed`` leaves
    it: :meth:`BrokerState.short_bands` with ``freed``'s hours given back."""
    if freed is None:
        return not state.short_bands(provider_id, pkg)
    weekly = state.weekly_left.get(provider_id, 0.0) + freed.hours_week
    need = state.need(pkg)
    if not state.s.provider(provider_id).band_capacity or not need:
        return pkg.hours_week <= weekly + 1e-9
    cap = state.remaining[provider_id]
    back = state.need(freed)
    return all(cap.get(k, 0.0) + back.get(k, 0.0) + 1e-9 >= h for k, h in need.items())


def _swap_candidates(s: Scenario, state: BrokerState, moves: Iterable[_Move]) -> list[tuple[_Move, _Move]]:
    """Pairs of moves A->B and B->A, each short of capacity alone, whose
    hours balance together, and whose savings could add up to a gain."""
    short: dict[tuple[str, str], list[_Move]] = defaultdict(list)
    for m in moves:
        if m.short:
            short[(m.src, m.dest)].append(m)
    deficit: dict[int, list[tuple[tuple[int, str], float]]] = {}

    def gaps(m: _Move) -> list[tuple[tuple[int, str], float]]:
        """Hours short in each cell (what the package coming back must free)."""
        if id(m) not in deficit:
            need = state.need(m.pkg)
            cap = state.remaining.get(m.dest, {})
            deficit[id(m)] = [
                (k, m.pkg.hours_week - state.weekly_left.get(m.dest, 0.0))
                if k[0] < 0
                else (k, need[k] - cap.get(k, 0.0))
                for k in m.short
            ]
        return deficit[id(m)]

    def frees(m: _Move, back: _Move) -> bool:
        """``m`` fits its destination once ``back`` leaves it (the cells
        that are not short already fit, and freeing only adds hours)."""
        need = state.need(back.pkg)
        return all(
            (back.pkg.hours_week if k[0] < 0 else need.get(k, 0.0)) + 1e-9 >= short_by for k, short_by in gaps(m)
        )

    pairs = []
    for (a, b), there in sorted(short.items()):
        if a >= b or (b, a) not in short:
            continue
        back = sorted(short[(b, a)], key=lambda m: (-m.upper, m.pkg.id))
        for ma in sorted(there, key=lambda m: (-m.upper, m.pkg.id)):
            for mb in back:
                if ma.upper + mb.upper <= 0:
                    break
                if frees(ma, mb) and frees(mb, ma):
                    pairs.append((ma, mb))
    return pairs


def _select(s: Scenario, state: BrokerState, moves: list[_Move], max_results: int) -> tuple[Transfer, ...]:
    """Lazy greedy: pop the best bound; evaluate it; accept it once its
    evaluated saving is still the best, the packages are free and the
    capacity (as booked so far) still takes it."""
    counter = itertools.count()
    heap: list[tuple[int, int, int, object]] = []
    for m in moves:
        if not m.short and m.upper > 0:
            heapq.heappush(heap, (-m.upper, next(counter), 0, m))
    for pair in _swap_candidates(s, state, moves):
        heapq.heappush(heap, (-(pair[0].upper + pair[1].upper), next(counter), 0, pair))
    used: set[str] = set()
    out: list[Transfer] = []
    while heap and len(out) < max_results:
        _, _, evaluated, item = heapq.heappop(heap)
        legs: tuple[_Move, ...] = item if isinstance(item, tuple) else (item,)  # type: ignore[assignment]
        if any(m.pkg.id in used for m in legs):
            continue
        if len(legs) == 1 and not _fits_with(state, legs[0].dest, legs[0].pkg, None):
            continue  # capacity booked by a better move since
        if not evaluated:
            for m in legs:
                if m.insertion is None:
                    _evaluate(s, state, m)
            if all(m.feasible for m in legs):
                value = sum(m.upper for m in legs)
                if value > 0:
                    heapq.heappush(heap, (-value, next(counter), 1, item))
            continue
        if len(legs) == 1:
            m = legs[0]
            state.take(m.dest, m.pkg)
            _release(state, m.src, m.pkg)
            out.append(_transfer(m))
        else:
            ma, mb = legs
            if not (_fits_with(state, ma.dest, ma.pkg, mb.pkg) and _fits_with(state, mb.dest, mb.pkg, ma.pkg)):
                continue
            _release(state, ma.src, ma.pkg)
            _release(state, mb.src, mb.pkg)
            state.take(ma.dest, ma.pkg)
            state.take(mb.dest, mb.pkg)
            out.append(_swap(ma, mb))
        used.update(m.pkg.id for m in legs)
    return tuple(out)


def _where(rank: int | None, tier: int) -> str:
    return "spot market" if rank is None else f"rank {rank}, tier {tier}"


def _transfer(m: _Move) -> Transfer:
    insertion = m.insertion or 0
    reason = (
        f"{m.dest} ({_where(m.rank, m.tier)}) has carers nearby: +{insertion} min a week in its rounds "
        f"against {m.removal} min saved at {m.src}; it has the hours in every band"
    )
    if m.new_trips:
        reason += f"; {m.new_trips} call(s) need a trip of their own"
    if m.served < m.calls:
        reason += f"; it would also take {m.calls - m.served} call(s) {m.src} leaves unassigned"
    return Transfer(
        package_id=m.pkg.id,
        from_provider=m.src,
        to_provider=m.dest,
        saving_min_week=m.removal - insertion,
        rank=m.rank,
        reason=reason,
        hours_week=m.pkg.hours_week,
        removal_min_week=m.removal,
        insertion_min_week=insertion,
        new_trips=m.new_trips,
    )


def _swap(ma: _Move, mb: _Move) -> Transfer:
    saving = ma.upper + mb.upper
    reason = (
        f"swap with {mb.pkg.id} ({mb.src} -> {mb.dest}, {_where(mb.rank, mb.tier)}): neither fits alone "
        f"({ma.dest} short {_describe(list(ma.short))}; {mb.dest} short {_describe(list(mb.short))}), "
        f"together the hours balance; saves {ma.upper} + {mb.upper} min a week"
    )
    trips = ma.new_trips + mb.new_trips
    if trips:
        reason += f"; {trips} call(s) need a trip of their own"
    return Transfer(
        package_id=ma.pkg.id,
        from_provider=ma.src,
        to_provider=ma.dest,
        saving_min_week=saving,
        rank=ma.rank,
        reason=reason,
        hours_week=ma.pkg.hours_week,
        removal_min_week=ma.removal + mb.removal,
        insertion_min_week=(ma.insertion or 0) + (mb.insertion or 0),
        new_trips=trips,
        swap_package_id=mb.pkg.id,
        swap_rank=mb.rank,
    )


__all__ = ["TRANSFER_SERVICE_TYPES", "Transfer", "find_transfers"]
