"""Readers for public routing benchmarks, as patchplan scenarios.

Two families are read, so that the rounds solver and the independent checker
run on them unchanged and their results can be scored the way the
literature scores them:

* **Solomon VRPTW** text files (Solomon 1987; the Gehring & Homberger sets
  use the same format): :func:`read_solomon`, scored by
  :func:`solomon_distance`.
* **HHCRSP** instances of Mankowska, Meisel & Bierwirth (2014), home health
  care with skills and synchronised double services: :func:`read_hhcrsp`,
  scored by :func:`hhcrsp_objective`.

Each reader returns a :class:`BenchInstance`: a :class:`~patchplan.core.model.Scenario`
(geography ``"planar"``, one district and one area ``"bench"`` whose centroid
is the depot, one provider ``"BENCH"`` of tier 1, one client + placed package
per customer/patient, one day), the travel model to plan it with, and the
exact real-valued data needed to score a plan as the literature does.

**Time units.** patchplan times are integers. Every time of an instance is
multiplied by ``scale`` (default 100, i.e. hundredths of the instance's time
unit); travel times are rounded *up*, so a plan that is feasible in these
integers is feasible with the instance's real-valued times. Instance times
that are not whole after scaling are refused (:class:`InputError`) rather
than rounded silently; every public Solomon, Gehring & Homberger and
Mankowska file is whole at any integer scale.

:func:`read_solomon_routes` / :func:`read_hhcrsp_routes` turn published
best-known routes into a :class:`~patchplan.core.model.Roster` (with
:func:`schedule_routes`), so the scoring functions can be checked against
the published values.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from patchplan.core.errors import InputError, Problem
from patchplan.core.model import (
    Area,
    Carer,
    Client,
    District,
    Location,
    Package,
    Provider,
    Reason,
    Roster,
    Round,
    Scenario,
    Shift,
    Stop,
    Unassigned,
    Visit,
    VisitLink,
)
from patchplan.geo.travel import MatrixTravel, PlanarTravel, TravelModel

#: Default folder of the shared external benchmark data (absent on CI).
DEFAULT_DATA = Path("/work/shared/benchmarks/external")
#: A Monday; benchmark scenarios have one day, day 0.
BENCH_START = dt.date(2024, 1, 1)
PROVIDER_ID = "BENCH"
#: Coordinate offset used only to give co-located HHCRSP nodes distinct
#: travel-matrix keys (the matrix itself is never changed).
KEY_OFFSET = 1e-6


@dataclass(frozen=True, eq=False)
class BenchInstance:
    """A benchmark instance as a patchplan scenario plus its exact data.

    Attributes
    ----------
    name
        Instance name (``C101``, ``InstanzCPLEX_HCSRP_10_1``).
    kind
        ``"solomon"`` or ``"hhcrsp"``.
    scenario
        The scenario to plan (times multiplied by ``scale``).
    travel
        Travel model for the scenario (integer, scaled, rounded up).
    scale
        Integer time units per instance time unit.
    capacity
        Vehicle capacity (Solomon), None when the family has none. The model
        has no carer capacity yet; visits carry the demand as ``load``.
    num_vehicles
        Vehicles (carers) available, each with one shift on day 0.
    coords
        ``(nodes, 2)`` array of the instance's real x, y; node 0 is the depot.
    distance
        Real-valued ``(nodes, nodes)`` distance matrix (HHCRSP) or None
        (Solomon: Euclidean from ``coords``).
    node_of_visit
        Visit id -> node index into ``coords``/``distance``.
    due
        Visit id -> real due time: Solomon due date (latest start) or
        HHCRSP ``l`` (start after it is tardy).
    locations
        One :class:`~patchplan.core.model.Location` per node, exactly as the
        travel model knows it (node 0 = depot = carers' home).
    notes
        Anything the reader had to adapt, for reports.
    """

    name: str
    kind: str
    scenario: Scenario
    travel: TravelModel
    scale: int
    capacity: int | None
    num_vehicles: int
    coords: np.ndarray
    distance: np.ndarray | None
    node_of_visit: Mapping[str, int]
    due: Mapping[str, float]
    locations: tuple[Location, ...] = ()
    notes: tuple[str, ...] = field(default=())


# -- small helpers --------------------------------------------------------------


def _problem(file: str, line: int | None, message: str, *, column: str = "", value: object = None) -> InputError:
    """An InputError for one place of a text file (``row`` = line number)."""
    return InputError([Problem(file=file, row=line, column=column, value=value, message=message)])


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read benchmark file {path}: {exc.strerror or exc}") from None


def _check_scale(scale: object) -> int:
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise InputError(f"scale={scale!r} must be a whole number >= 1")
    return scale


#: Largest value a benchmark may give, in scaled time units (or metres): the
#: solver's times and costs are 64-bit integers summed over routes, and no
#: published instance comes near a billion.
MAX_UNITS = 10**9


def _whole(value: float, scale: int, file: str, line: int | None, column: str) -> int:
    """``value * scale`` as an int, refusing values that are negative, too large for the solver or not whole."""
    scaled = value * scale
    if not math.isfinite(scaled) or abs(scaled) > MAX_UNITS:
        raise _problem(
            file,
            line,
            f"{column} {value:g} x scale {scale} is larger than the solver can represent (at most {MAX_UNITS:,} units)",
            column=column,
            value=value,
        )
    if scaled < 0:
        raise _problem(file, line, f"{column} must be >= 0 (a time or a duration)", column=column, value=value)
    whole = round(scaled)
    if abs(scaled - whole) > 1e-6 * max(1.0, abs(scaled)):
        raise _problem(
            file,
            line,
            f"{column} {value} x scale {scale} is not a whole number of time units; use a larger scale (e.g. 1000)",
            column=column,
            value=value,
        )
    return int(whole)


def _coordinate_divisor(xs: np.ndarray, ys: np.ndarray) -> int:
    """Smallest power of ten that brings x into [-180, 180] and y into
    [-90, 90] (Location validates lat/lon ranges even for planar data)."""
    need = max(float(np.abs(ys).max(initial=0)) / 90, float(np.abs(xs).max(initial=0)) / 180, 1.0)
    return 1 if need <= 1 else 10 ** math.ceil(math.log10(need))


def _bench_frame(depot: Location) -> tuple[District, Area]:
    district = District(id="bench", name="bench")
    area = Area(
        id="bench",
        name="bench",
        district_id="bench",
        neighbourhood="bench",
        centroid=depot,
        pop_total=0,
        pop_16_64=0,
        pop_65_plus=0,
        health_decile=5,
        area_km2=0.0,
    )
    return district, area


def _provider(hours: float) -> Provider:
    return Provider(id=PROVIDER_ID, name="Benchmark fleet", tier=1, rate_gbp_h=1.0, capacity_hours_week=max(0.0, hours))


def _no_weekly_limit(start: int, end: int) -> float:
    """A weekly-hours cap that never binds: the one shift's length in
    (scaled) hours. Benchmarks have no working-time rule, and the model's
    default of 48 h would bind on scaled times."""
    return (end - start) / 60


def _client(cid: str, loc: Location) -> Client:
    return Client(id=cid, location=loc, area_id="bench", district_id="bench", cohort="older_people")


def _package(pid: str, cid: str, minutes: int) -> Package:
    return Package(
        id=pid,
        client_id=cid,
        service_type="personal_care",
        hours_week=minutes / 60,
        start=BENCH_START,
        status="placed",
        provider_id=PROVIDER_ID,
    )


# -- Solomon --------------------------------------------------------------------

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _number(tok: str, file: str, line: int, name: str) -> float:
    """One number of a benchmark file: finite and of a size the solver can represent."""
    if not _NUM.match(tok):
        raise _problem(file, line, "not a number", column=name, value=tok)
    value = float(tok)
    if not math.isfinite(value) or abs(value) > MAX_UNITS:
        raise _problem(
            file, line, f"is larger than the solver can represent (at most {MAX_UNITS:,})", column=name, value=tok
        )
    return value


def _numbers(tokens: list[str], file: str, line: int, names: Sequence[str]) -> list[float]:
    return [_number(tok, file, line, name) for tok, name in zip(tokens, names, strict=True)]


_SOLOMON_COLUMNS = ("cust no", "x", "y", "demand", "ready time", "due date", "service time")


def read_solomon(path: str | Path, scale: int = 100) -> BenchInstance:
    """Read a Solomon VRPTW text file (also Gehring & Homberger).

    The format: the instance name, a ``VEHICLE`` block whose ``NUMBER
    CAPACITY`` line is followed by the fleet size and capacity, then a
    ``CUSTOMER`` block: one row per node ``CUST NO. XCOORD. YCOORD. DEMAND
    READY TIME DUE DATE SERVICE TIME``, node 0 being the depot. The due date
    is the latest time service may *start* (Solomon 1987), and the depot's
    window is when vehicles may leave and must be back.

    Mapping: each customer ``i`` becomes client ``c{i}`` at (x, y), a placed
    package ``k{i}`` with provider ``BENCH`` and one visit ``v{i}`` on day 0
    with ``early = ready*scale``, ``late = due*scale`` (latest start),
    ``duration_min = service*scale``, ``load = demand``, no target. Each of
    the ``NUMBER`` vehicles becomes carer ``veh{k}`` (k from 0) living at the
    depot, mode ``car``, with one shift ``[ready0*scale, due0*scale]``.
    Travel is :class:`~patchplan.geo.travel.PlanarTravel`: Euclidean x scale,
    rounded up. ``lat``/``lon`` hold y/x; if coordinates exceed the lat/lon
    ranges (the 200-customer sets reach 140), both are divided by a power of
    ten ``k`` and the planar travel scale is ``scale * k`` instead, which
    gives the same matrix.

    Parameters
    ----------
    path
        The ``.txt`` file.
    scale
        Integer time units per instance time unit (default 100).

    Returns
    -------
    BenchInstance
        With ``capacity`` (vehicle capacity: the model has no carer capacity
        field yet), ``coords`` and ``due`` for :func:`solomon_distance`.

    Raises
    ------
    InputError
        On a malformed file (file name and line), a customer with zero
        service time (patchplan visits last > 0 minutes) or a non-integer
        scale.
    """
    scale = _check_scale(scale)
    path = Path(path)
    file = path.name
    lines = _lines(path)
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise _problem(file, None, "empty file: expected a Solomon VRPTW instance")
    name = numbered[0][1]
    fleet_at = next((k for k, (_, t) in enumerate(numbered) if "NUMBER" in t.upper() and "CAPACITY" in t.upper()), None)
    if fleet_at is None or fleet_at + 1 >= len(numbered):
        raise _problem(file, None, "no 'NUMBER CAPACITY' line (the VEHICLE block) found")
    line_no, text = numbered[fleet_at + 1]
    tokens = text.split()
    if len(tokens) != 2 or not all(t.isdigit() for t in tokens):
        raise _problem(
            file, line_no, "expected two whole numbers: vehicle number and capacity", column="VEHICLE", value=text
        )
    num_vehicles, capacity = int(tokens[0]), int(tokens[1])
    if num_vehicles < 1:
        raise _problem(file, line_no, "the fleet must have at least one vehicle", column="NUMBER", value=num_vehicles)
    # "CUSTOMER" then the column header "CUST NO. XCOORD. ..."; data follow
    # the last line that starts with CUST.
    heads = [k for k, (_, t) in enumerate(numbered) if t.upper().startswith("CUST")]
    head_at = heads[-1] if heads else None
    if head_at is None:
        raise _problem(file, None, "no customer header line ('CUST NO. XCOORD. ...') found")
    rows: list[tuple[int, list[float]]] = []
    for line_no, text in numbered[head_at + 1 :]:
        tokens = text.split()
        if len(tokens) != len(_SOLOMON_COLUMNS):
            raise _problem(
                file,
                line_no,
                f"expected {len(_SOLOMON_COLUMNS)} numbers ({', '.join(_SOLOMON_COLUMNS)}), found {len(tokens)}",
                value=text,
            )
        rows.append((line_no, _numbers(tokens, file, line_no, _SOLOMON_COLUMNS)))
    if len(rows) < 2:
        raise _problem(file, None, "expected the depot and at least one customer")
    for k, (line_no, vals) in enumerate(rows):
        if vals[0] != k:
            raise _problem(
                file,
                line_no,
                f"customers must be numbered 0, 1, 2, ... (depot first); expected {k}",
                column="cust no",
                value=vals[0],
            )
        if vals[3] < 0 or vals[3] != int(vals[3]):
            raise _problem(file, line_no, "demand must be a whole number >= 0", column="demand", value=vals[3])
        for col in (4, 5, 6):  # ready time, due date, service time
            if vals[col] < 0:
                raise _problem(file, line_no, "must be >= 0 (a time)", column=_SOLOMON_COLUMNS[col], value=vals[col])
        if vals[5] < vals[4]:
            raise _problem(
                file, line_no, f"due date is before the ready time ({vals[4]:g})", column="due date", value=vals[5]
            )
        if k > 0 and vals[6] <= 0:
            raise _problem(
                file,
                line_no,
                "service time must be > 0 (patchplan visits last > 0 minutes)",
                column="service time",
                value=vals[6],
            )
    coords = np.array([[v[1], v[2]] for _, v in rows], dtype=float)
    k = _coordinate_divisor(coords[:, 0], coords[:, 1])
    locations = tuple(Location(lat=float(y) / k, lon=float(x) / k, urban=True) for x, y in coords)
    depot = locations[0]
    district, area = _bench_frame(depot)
    d_line, d_vals = rows[0]
    shift_start = _whole(d_vals[4], scale, file, d_line, "ready time")
    shift_end = _whole(d_vals[5], scale, file, d_line, "due date")
    if shift_end <= shift_start:
        raise _problem(
            file, d_line, "the depot's due date must be after its ready time", column="due date", value=d_vals[5]
        )
    clients, packages, visits = [], [], []
    node_of_visit: dict[str, int] = {}
    due: dict[str, float] = {}
    for node in range(1, len(rows)):
        line_no, vals = rows[node]
        cid, pid, vid = f"c{node}", f"k{node}", f"v{node}"
        duration = _whole(vals[6], scale, file, line_no, "service time")
        clients.append(_client(cid, locations[node]))
        packages.append(_package(pid, cid, duration))
        visits.append(
            Visit(
                id=vid,
                package_id=pid,
                client_id=cid,
                day=0,
                early=_whole(vals[4], scale, file, line_no, "ready time"),
                late=_whole(vals[5], scale, file, line_no, "due date"),
                duration_min=duration,
                load=int(vals[3]),
                label="customer",
            )
        )
        node_of_visit[vid] = node
        due[vid] = vals[5]
    carers = tuple(
        Carer(
            id=f"veh{v}",
            provider_id=PROVIDER_ID,
            home=depot,
            mode="car",
            max_hours_week=_no_weekly_limit(shift_start, shift_end),
        )
        for v in range(num_vehicles)
    )
    shifts = tuple(Shift(carer_id=c.id, day=0, start=shift_start, end=shift_end) for c in carers)
    scenario = Scenario(
        name=name,
        start=BENCH_START,
        days=1,
        geography="planar",
        districts=(district,),
        areas=(area,),
        clients=tuple(clients),
        packages=tuple(packages),
        visits=tuple(visits),
        providers=(_provider(num_vehicles * (shift_end - shift_start) / 60),),
        carers=carers,
        shifts=shifts,
    )
    notes = () if k == 1 else (f"coordinates divided by {k} to fit lat/lon; planar travel scale {scale * k}",)
    return BenchInstance(
        name=name,
        kind="solomon",
        scenario=scenario,
        travel=PlanarTravel(scale * k),
        scale=scale,
        capacity=capacity,
        num_vehicles=num_vehicles,
        coords=coords,
        distance=None,
        node_of_visit=node_of_visit,
        due=due,
        locations=locations,
        notes=notes,
    )


# -- HHCRSP (Mankowska et al. 2014) --------------------------------------------------

# Format and semantics, as read by the authors of the best public results
# (A. F. Kummer Neto, L. S. Buriol, O. C. B. de Araujo; MIT licence):
# afkummer/gecco2020-brkga src/Instance.cpp, src/Solution.cpp, src/Task.cpp
# and the identical parser in afkummer/brkga-mp-ipr-hhcrsp-2021
# src/Instance.cpp, src/Solution.cpp. Cross-checked with the UHHC
# conversion of the same files (iolab-uniud/uhhc,
# instances/converted/mankowska/InstanzCPLEX_HCSRP_10_1.json, CC BY 4.0).
#
# * Blocks are introduced by a line holding only their name; numbers follow,
#   whitespace-separated (Kummer reads them with >>, so line breaks inside a
#   block do not matter; we do the same).
# * nbNodes counts the source depot (node 0), the patients (1..n-2) and a
#   sink depot (node n-1, a copy of node 0). nbVehi vehicles, nbServi
#   service types.
# * r: nbNodes rows x nbServi 0/1, the services each node requires.
# * DS: one line of 1-based node numbers of double-service patients (Kummer
#   subtracts 1). A DS node requires exactly 2 services, every other patient
#   exactly 1 (Kummer aborts otherwise).
# * a: nbVehi rows x nbServi 0/1, the services a vehicle (caregiver) may do.
# * x, y: coordinates per node; d: nbNodes x nbNodes distances, also used
#   as travel times (Euclidean of x, y printed in single precision).
# * p: nbNodes x nbVehi rows of nbServi processing times (node-major).
#   Kummer uses vehicle 0's row only ("This is a issue with the instance
#   format"); in all 70 public files the rows of every node are identical,
#   and we refuse a file where they are not, rather than guess.
# * mind, maxd: per node, the min/max gap between the start of the first
#   and of the second service of a double-service patient. The first is the
#   service with the lower index (Task.cpp lists a node's services in index
#   order; UHHC names them s{index+1} in that order). mind <= 0.001 means
#   simultaneous (SIM; maxd is 0 too in all 70 files), else precedence (PRED).
# * e, l: per node time window. A service must not start before e (the
#   decoders wait); starting after l is allowed and costs tardiness
#   max(0, start - l). The depot's l and the sink's e/l are not used:
#   vehicles leave at time 0 and have no return deadline (Solution.cpp:
#   "ready to leave at time 0"; UHHC sets no working shift).
# * Objective (Mankowska et al.; Kummer's COEFS are 1/3 each; UHHC weights
#   travel_time, total_tardiness and highest_tardiness 1:1:1):
#   (total distance + total tardiness + max tardiness) / 3, where total
#   tardiness sums over services (a late simultaneous pair counts twice).

_HHCRSP_BLOCKS = ("nbNodes", "nbVehi", "nbServi", "r", "DS", "a", "x", "y", "d", "p", "mind", "maxd", "e", "l")


#: Blocks that hold times, durations or distances (never negative).
_HHCRSP_TIMES = frozenset({"d", "p", "mind", "maxd", "e", "l"})


def read_hhcrsp(path: str | Path, scale: int = 100) -> BenchInstance:
    """Read a Mankowska, Meisel & Bierwirth (2014) HHCRSP instance.

    Mapping (format semantics and sources in the comments above this
    function):

    * each patient node ``i`` becomes client ``p{i}`` with package ``k{i}``;
      each service ``s`` it requires becomes visit ``p{i}s{s}`` (``s`` is
      the 0-based column of ``r``/``a``; UHHC's ``s{s+1}``) with
      ``skills = {"s{s}"}`` and ``duration_min = p[i][s]*scale``;
    * vehicle ``v`` becomes carer ``veh{v}`` with the skills of row ``a[v]``,
      home at the depot, one shift on day 0 from ``e[0]*scale`` (0) to a
      generous horizon (below);
    * a double-service patient links its two visits with
      ``VisitLink(first=lower service, second=higher service,
      min_gap=mind*scale, max_gap=maxd*scale)``; 0/0 is simultaneous;
    * **time windows**: the start must not be before ``e`` (hard:
      ``early = e*scale``) but may be after ``l`` at a cost, so
      ``late`` = the horizon, ``target = e*scale`` and
      ``tolerance_min = (l - e)*scale``: starting later than
      ``target + tolerance = l`` is exactly what patchplan's soft-window
      penalty measures, i.e. the literature's tardiness;
    * the **horizon** ``H`` bounds every start of an earliest-start schedule
      of any routes (the literature's decoders): ``max(l)`` or
      ``max(e) + sum over services of (duration + the longest leg out of its
      node) + sum of mind``, whichever is larger; shifts end at
      ``H + max d``;
    * travel is :class:`~patchplan.geo.travel.MatrixTravel` over ``d`` (sink
      dropped) x scale, rounded up. Its points are per-node Locations
      (``lat = y``, ``lon = x``). Patients sharing coordinates (with each
      other or the depot: up to 12 nodes in 33 of the 70 files) would share a
      matrix key, so each later one gets a distinct *key* offset by
      ``1e-6`` in ``lat``; the matrix itself is not perturbed (their mutual
      distance stays ``d``'s 0). Offsets are listed in ``notes``.

    Parameters
    ----------
    path
        The instance ``.txt`` file.
    scale
        Integer time units per instance time unit (default 100).

    Returns
    -------
    BenchInstance
        With ``distance`` (real ``d`` without the sink), ``due`` (``l`` per
        visit) for :func:`hhcrsp_objective`; ``capacity`` is None.

    Raises
    ------
    InputError
        On a malformed file (file name, line and block), inconsistent double
        services, or processing times that differ by vehicle.
    """
    scale = _check_scale(scale)
    path = Path(path)
    file = path.name
    name = path.stem
    blocks: dict[str, list[tuple[str, int]]] = {}
    header_line: dict[str, int] = {}
    current: str | None = None
    for line_no, raw in enumerate(_lines(path), start=1):
        text = raw.strip()
        if not text:
            continue
        if text in _HHCRSP_BLOCKS:
            if text in blocks:
                raise _problem(file, line_no, f"block '{text}' appears twice", column=text)
            current = text
            blocks[text] = []
            header_line[text] = line_no
            continue
        if current is None:
            raise _problem(
                file, line_no, f"unknown line before the first block; expected one of {_HHCRSP_BLOCKS}", value=text
            )
        if not _NUM.match(text.split()[0]):
            raise _problem(file, line_no, f"unknown block name; expected one of {_HHCRSP_BLOCKS}", value=text)
        blocks[current] += [(tok, line_no) for tok in text.split()]
    missing = [b for b in _HHCRSP_BLOCKS if b not in blocks]
    if missing:
        raise _problem(file, None, f"missing block(s) {missing}; expected the HHCRSP format of Mankowska et al. (2014)")

    def numbers(block: str, count: int | None, kind: type) -> list[Any]:
        toks = blocks[block]
        if count is not None and len(toks) != count:
            raise _problem(
                file,
                header_line[block],
                f"block '{block}' has {len(toks)} numbers, expected {count}",
                column=block,
                value=len(toks),
            )
        out = []
        for tok, line_no in toks:
            value = _number(tok, file, line_no, block)
            if block in _HHCRSP_TIMES and value < 0:
                raise _problem(
                    file, line_no, "must be >= 0 (a time, a duration or a distance)", column=block, value=tok
                )
            if kind is int:
                if value != int(value):
                    raise _problem(file, line_no, "must be a whole number", column=block, value=tok)
                value = int(value)
            out.append(value)
        return out

    n = numbers("nbNodes", 1, int)[0]
    nv = numbers("nbVehi", 1, int)[0]
    ns = numbers("nbServi", 1, int)[0]
    for block, value, least in (("nbNodes", n, 3), ("nbVehi", nv, 1), ("nbServi", ns, 1)):
        if value < least:
            raise _problem(file, header_line[block], f"must be >= {least}", column=block, value=value)
    req = np.array(numbers("r", n * ns, int)).reshape(n, ns)
    qual = np.array(numbers("a", nv * ns, int)).reshape(nv, ns)
    for block, arr in (("r", req), ("a", qual)):
        if not np.isin(arr, (0, 1)).all():
            raise _problem(file, header_line[block], "entries must be 0 or 1", column=block)
    ds_nodes = [v - 1 for v in numbers("DS", None, int)]
    x = np.array(numbers("x", n, float))
    y = np.array(numbers("y", n, float))
    dist_full = np.array(numbers("d", n * n, float)).reshape(n, n)
    if (dist_full < 0).any():
        raise _problem(file, header_line["d"], "distances must be >= 0", column="d")
    proc = np.array(numbers("p", n * nv * ns, float)).reshape(n, nv, ns)
    mind = numbers("mind", n, float)
    maxd = numbers("maxd", n, float)
    e = numbers("e", n, float)
    l_ = numbers("l", n, float)

    patients = range(1, n - 1)
    bad_ds = [v + 1 for v in ds_nodes if not 1 <= v <= n - 2]
    if bad_ds:
        raise _problem(
            file,
            header_line["DS"],
            f"double-service nodes must be patients 2..{n - 1} (1-based)",
            column="DS",
            value=bad_ds,
        )
    ds = set(ds_nodes)
    for i in patients:
        need = int(req[i].sum())
        if need != (2 if i in ds else 1):
            what = "a double-service patient (DS)" if i in ds else "a single-service patient (not in DS)"
            raise _problem(
                file, header_line["r"], f"node {i} is {what} but requires {need} services", column="r", value=need
            )
        services = np.flatnonzero(req[i])
        for s in services:
            if not np.all(proc[i, :, s] == proc[i, 0, s]):
                raise InputError(
                    [
                        Problem(
                            file=file,
                            row=header_line["p"],
                            column="p",
                            value=sorted(set(proc[i, :, s].tolist())),
                            message=f"instance {name}: processing time of node {i}, service {s} differs by vehicle; "
                            "patchplan visits have one duration (Kummer et al. use vehicle 0's)",
                        )
                    ]
                )
            if proc[i, 0, s] <= 0:
                raise _problem(
                    file,
                    header_line["p"],
                    f"node {i}, service {s}: processing time must be > 0",
                    column="p",
                    value=proc[i, 0, s],
                )
        if i in ds and not 0 <= mind[i] <= maxd[i]:
            raise _problem(
                file,
                header_line["mind"],
                f"node {i}: need 0 <= mind <= maxd ({maxd[i]:g})",
                column="mind",
                value=mind[i],
            )
        if l_[i] < e[i]:
            raise _problem(file, header_line["l"], f"node {i}: l is before e ({e[i]:g})", column="l", value=l_[i])

    # Nodes we keep: depot 0 and the patients; the sink (n-1) copies node 0.
    m = n - 1
    dist = dist_full[:m, :m].copy()
    longest = dist.max(axis=1)
    n_services = req[:m].sum(axis=1)
    bound = (
        max(e[:m])
        + sum(n_services[i] * longest[i] + proc[i, 0][req[i] == 1].sum() for i in patients)
        + sum(mind[i] for i in ds)
    )
    horizon = math.ceil(max(bound, max(l_[1:m])))
    start = _whole(e[0], scale, file, header_line["e"], "e")
    shift_end = (horizon + math.ceil(float(longest.max()))) * scale

    # Locations: one distinct key per node (see docstring).
    k = _coordinate_divisor(x[:m], y[:m])
    used: dict[tuple[float, float], int] = {}
    locations: list[Location] = []
    notes: list[str] = []
    for i in range(m):
        lat, lon = float(y[i]) / k, float(x[i]) / k
        key = (lat, lon)
        while key in used:
            key = (key[0] + KEY_OFFSET, key[1])
        if key != (lat, lon):
            what = "the depot" if used[(lat, lon)] == 0 else f"node {used[(lat, lon)]}"
            notes.append(
                f"node {i} shares coordinates (x={x[i]:g}, y={y[i]:g}) with {what}: its matrix key "
                f"is lat + {key[0] - lat:.0e} (distances unchanged)"
            )
        used[key] = i
        locations.append(Location(lat=key[0], lon=key[1], urban=True))
    if k != 1:
        notes.append(f"coordinates divided by {k} to fit lat/lon (matrix keys only)")
    minutes = np.ceil(dist * scale - 1e-9).clip(min=0).astype(np.int64)
    np.fill_diagonal(minutes, 0)
    depot = locations[0]
    district, area = _bench_frame(depot)

    clients, packages, visits, links = [], [], [], []
    node_of_visit: dict[str, int] = {}
    due: dict[str, float] = {}
    l_line = header_line["l"]
    for i in patients:
        cid, pid = f"p{i}", f"k{i}"
        services = [int(s) for s in np.flatnonzero(req[i])]
        early = _whole(e[i], scale, file, header_line["e"], "e")
        tolerance = _whole(l_[i], scale, file, l_line, "l") - early
        ids = []
        total = 0
        for s in services:
            vid = f"p{i}s{s}"
            duration = _whole(float(proc[i, 0, s]), scale, file, header_line["p"], "p")
            total += duration
            visits.append(
                Visit(
                    id=vid,
                    package_id=pid,
                    client_id=cid,
                    day=0,
                    early=early,
                    late=horizon * scale,
                    duration_min=duration,
                    target=early,
                    tolerance_min=tolerance,
                    skills=frozenset({f"s{s}"}),
                    label=f"service s{s}",
                )
            )
            node_of_visit[vid] = i
            due[vid] = l_[i]
            ids.append(vid)
        if len(ids) == 2:
            links.append(
                VisitLink(
                    first=ids[0],
                    second=ids[1],
                    min_gap=_whole(mind[i], scale, file, header_line["mind"], "mind"),
                    max_gap=_whole(maxd[i], scale, file, header_line["maxd"], "maxd"),
                )
            )
        clients.append(_client(cid, locations[i]))
        packages.append(_package(pid, cid, total))
    carers = tuple(
        Carer(
            id=f"veh{v}",
            provider_id=PROVIDER_ID,
            home=depot,
            mode="car",
            skills=frozenset(f"s{s}" for s in np.flatnonzero(qual[v])),
            max_hours_week=_no_weekly_limit(start, shift_end),
        )
        for v in range(nv)
    )
    shifts = tuple(Shift(carer_id=c.id, day=0, start=start, end=shift_end) for c in carers)
    scenario = Scenario(
        name=name,
        start=BENCH_START,
        days=1,
        geography="planar",
        districts=(district,),
        areas=(area,),
        clients=tuple(clients),
        packages=tuple(packages),
        visits=tuple(visits),
        links=tuple(links),
        providers=(_provider(nv * (shift_end - start) / 60),),
        carers=carers,
        shifts=shifts,
    )
    return BenchInstance(
        name=name,
        kind="hhcrsp",
        scenario=scenario,
        travel=MatrixTravel(tuple(locations), minutes),
        scale=scale,
        capacity=None,
        num_vehicles=nv,
        coords=np.column_stack([x[:m], y[:m]]),
        distance=dist,
        node_of_visit=node_of_visit,
        due=due,
        locations=tuple(locations),
        notes=tuple(notes),
    )


# -- routes -> roster -------------------------------------------------------------------


def schedule_routes(inst: BenchInstance, routes: Sequence[Sequence[str]] | Mapping[str, Sequence[str]]) -> Roster:
    """Time given routes at their earliest starts, as a :class:`Roster`.

    Each carer leaves the depot at its shift start; ``arrival = previous end
    + travel`` and ``start = max(arrival, early)`` in the scenario's integer
    (scaled, rounded-up) units. The two visits of a :class:`VisitLink` are
    timed together as Kummer et al.'s decoder does (``Solution.cpp``,
    ``findInsertionCost``): ``s1 = max(arr1, early1)``, ``s2 = max(arr2,
    early2, s1 + min_gap)``, and if ``s2 - s1 > max_gap`` the first waits
    until ``s1 = s2 - max_gap``. A pair is timed once both visits are next on
    their carers' routes. Visits on no route are unassigned (``not_routed``).
    Nothing is checked against windows or shifts: that is the checker's job.

    Parameters
    ----------
    inst
        The instance.
    routes
        Visit ids in order, per carer: a sequence aligned with
        ``inst.scenario.carers`` or a mapping carer id -> visit ids.

    Raises
    ------
    InputError
        On an unknown carer or visit, a visit routed twice, both visits of a
        link on one route, or routes whose linked visits wait on each other.
    """
    s = inst.scenario
    if isinstance(routes, Mapping):
        plan = {str(c): list(v) for c, v in routes.items()}
    else:
        if len(routes) > len(s.carers):
            raise InputError(f"{len(routes)} routes for {len(s.carers)} carers in {inst.name}")
        plan = {s.carers[i].id: list(r) for i, r in enumerate(routes)}
    seen: dict[str, str] = {}
    for cid, visit_ids in plan.items():
        if not s.has("carer", cid):
            raise InputError(f"{inst.name}: unknown carer {cid!r} in routes")
        for vid in visit_ids:
            if not s.has("visit", vid):
                raise InputError(f"{inst.name}: unknown visit {vid!r} on the route of {cid}")
            if vid in seen:
                raise InputError(f"{inst.name}: visit {vid!r} is routed twice ({seen[vid]} and {cid})")
            seen[vid] = cid
    partner: dict[str, tuple[VisitLink, bool]] = {}
    for link in s.links:
        if link.first in seen and link.second in seen:
            if seen[link.first] == seen[link.second]:
                raise InputError(
                    f"{inst.name}: linked visits {link.first} and {link.second} are both on "
                    f"{seen[link.first]}'s route; they need two carers"
                )
            partner[link.first] = (link, True)
            partner[link.second] = (link, False)
    minutes, metres = inst.travel.matrices(list(inst.locations), "car")
    node = inst.node_of_visit
    pos = {cid: 0 for cid in plan}
    where = {cid: 0 for cid in plan}  # node index of the carer now
    free = {}
    for cid in plan:
        shifts = s.shifts_of(cid)
        if not shifts:
            raise InputError(f"{inst.name}: carer {cid} has no shift")
        free[cid] = shifts[0].start
    stops: dict[str, list[Stop]] = {cid: [] for cid in plan}

    def head(cid: str) -> str | None:
        r = plan[cid]
        return r[pos[cid]] if pos[cid] < len(r) else None

    def arrive(cid: str, vid: str) -> tuple[int, int, int]:
        j = node[vid]
        t, m = int(minutes[where[cid], j]), int(metres[where[cid], j])
        return free[cid] + t, t, m

    def place(cid: str, vid: str, start: int, arrival: int, t: int, m: int) -> None:
        v = s.visit(vid)
        stops[cid].append(
            Stop(visit_id=vid, arrival=arrival, start=start, end=start + v.duration_min, travel_min=t, travel_m=m)
        )
        free[cid] = start + v.duration_min
        where[cid] = node[vid]
        pos[cid] += 1

    remaining = sum(len(r) for r in plan.values())
    while remaining:
        progressed = False
        for cid in plan:
            vid = head(cid)
            if vid is None:
                continue
            if vid not in partner:
                arrival, t, m = arrive(cid, vid)
                place(cid, vid, max(arrival, s.visit(vid).early), arrival, t, m)
                remaining -= 1
                progressed = True
                continue
            link, _ = partner[vid]
            c1, c2 = seen[link.first], seen[link.second]
            if head(c1) != link.first or head(c2) != link.second:
                continue
            a1, t1, m1 = arrive(c1, link.first)
            a2, t2, m2 = arrive(c2, link.second)
            s1 = max(a1, s.visit(link.first).early)
            s2 = max(a2, s.visit(link.second).early, s1 + link.min_gap)
            if s2 - s1 > link.max_gap:
                s1 = s2 - link.max_gap
            place(c1, link.first, s1, a1, t1, m1)
            place(c2, link.second, s2, a2, t2, m2)
            remaining -= 2
            progressed = True
        if not progressed:
            stuck = sorted(f"{cid}:{head(cid)}" for cid in plan if head(cid) is not None)
            raise InputError(
                f"{inst.name}: routes cannot be timed: linked visits wait on each other ({', '.join(stuck)})"
            )
    rounds = []
    for carer in s.carers:
        if not stops.get(carer.id):
            continue
        last = node[stops[carer.id][-1].visit_id]
        back_t, back_m = int(minutes[last, 0]), int(metres[last, 0])
        rounds.append(
            Round(
                carer_id=carer.id,
                day=0,
                stops=tuple(stops[carer.id]),
                leave=s.shifts_of(carer.id)[0].start,
                back=free[carer.id] + back_t,
                return_min=back_t,
                return_m=back_m,
            )
        )
    unassigned = tuple(
        Unassigned(visit_id=v.id, reason=Reason.NOT_ROUTED, detail="not on any given route")
        for v in s.visits
        if v.id not in seen
    )
    return Roster(
        rounds=tuple(rounds),
        unassigned=unassigned,
        provider_id=PROVIDER_ID,
        meta=(("source", "schedule_routes"), ("instance", inst.name)),
    )


def read_solomon_routes(path: str | Path, inst: BenchInstance) -> Roster:
    """Read VRPLIB/CVRPLIB solution routes (``Route #k: 5 3 7 ...``, customer
    numbers as in the Solomon file) and time them with :func:`schedule_routes`.

    The ``Cost`` line, if any, is kept in ``Roster.meta`` as ``file_cost``.
    Routes optimised under the DIMACS convention (legs truncated to one
    decimal) need not be feasible with exact distances: of the 56 Solomon
    ``.sol`` files of ``PyVRP/Instances``, R102, R105, R107, R108, R112,
    R211, RC101 and RC105 start one visit 0.07-0.40 after its due date;
    rounding travel up at scale 100 adds R106 and R110 (0.01-0.02).

    Raises
    ------
    InputError
        On a malformed line (file name and line) or an unknown customer.
    """
    path = Path(path)
    file = path.name
    routes: list[list[str]] = []
    cost = None
    for line_no, raw in enumerate(_lines(path), start=1):
        text = raw.strip()
        if not text:
            continue
        match = re.match(r"^Route\s*#\s*\d+\s*:(.*)$", text, re.IGNORECASE)
        if match:
            ids = []
            for tok in match.group(1).split():
                if not tok.isdigit() or f"v{int(tok)}" not in inst.node_of_visit:
                    raise _problem(file, line_no, f"not a customer of {inst.name}", column="route", value=tok)
                ids.append(f"v{int(tok)}")
            routes.append(ids)
        elif text.lower().startswith("cost"):
            cost = text.split(maxsplit=1)[1] if len(text.split()) > 1 else None
        else:
            raise _problem(file, line_no, "expected 'Route #k: ...' or 'Cost ...'", value=text)
    if len(routes) > inst.num_vehicles:
        raise _problem(file, None, f"{len(routes)} routes but {inst.name} has {inst.num_vehicles} vehicles")
    roster = schedule_routes(inst, routes)
    meta = roster.meta + ((("file_cost", cost),) if cost is not None else ())
    return roster.replace(meta=meta)


def read_hhcrsp_routes(path: str | Path, inst: BenchInstance) -> Roster:
    """Read a route file of Kummer et al. (``afkummer/gecco2020-brkga``,
    ``solutions/routes/*.txt``) and time it with :func:`schedule_routes`.

    Format (``Solution::writeTxt``): ``#`` comment lines, the second being
    ``# Cost = C Dist = D Tard = T TMax = M``; then per vehicle a line
    ``<vehicle> <arcs>`` followed by that many arcs ``<from> <to> <vehicle>
    <service of 'to'>``, from node 0 back to node 0. The header values are
    kept in ``Roster.meta`` (``file_cost``, ``file_dist``, ``file_tard``,
    ``file_tmax``).

    Raises
    ------
    InputError
        On a malformed or inconsistent line (file name and line).
    """
    path = Path(path)
    file = path.name
    meta: list[tuple[str, str]] = []
    data: list[tuple[int, list[str]]] = []
    for line_no, raw in enumerate(_lines(path), start=1):
        text = raw.strip()
        if not text:
            continue
        if text.startswith("#"):
            found = re.findall(r"(Cost|Dist|Tard|TMax)\s*=\s*(\S+)", text)
            meta += [(f"file_{k.lower()}", v) for k, v in found]
            continue
        data.append((line_no, text.split()))
    routes: dict[str, list[str]] = {}
    i = 0
    while i < len(data):
        line_no, toks = data[i]
        if len(toks) != 2 or not all(t.isdigit() for t in toks):
            raise _problem(file, line_no, "expected '<vehicle> <number of arcs>'", value=" ".join(toks))
        vehicle, count = int(toks[0]), int(toks[1])
        if vehicle >= inst.num_vehicles:
            raise _problem(
                file, line_no, f"{inst.name} has vehicles 0..{inst.num_vehicles - 1}", column="vehicle", value=vehicle
            )
        route: list[str] = []
        at = 0
        for j in range(count):
            if i + 1 + j >= len(data):
                raise _problem(file, line_no, f"vehicle {vehicle}: {count} arcs announced, file ends early")
            arc_line, arc = data[i + 1 + j]
            if len(arc) != 4 or not all(t.isdigit() for t in arc):
                raise _problem(file, arc_line, "expected '<from> <to> <vehicle> <service>'", value=" ".join(arc))
            frm, to, veh, svc = (int(t) for t in arc)
            if frm != at or veh != vehicle:
                raise _problem(
                    file, arc_line, f"arc does not continue vehicle {vehicle}'s route at node {at}", value=" ".join(arc)
                )
            at = to
            if to == 0:
                continue
            vid = f"p{to}s{svc}"
            if vid not in inst.node_of_visit:
                raise _problem(
                    file, arc_line, f"node {to} does not require service {svc} in {inst.name}", value=" ".join(arc)
                )
            route.append(vid)
        if at != 0 and count:
            raise _problem(file, line_no, f"vehicle {vehicle}'s route does not end at the depot")
        routes[f"veh{vehicle}"] = route
        i += 1 + count
    roster = schedule_routes(inst, routes)
    return roster.replace(meta=roster.meta + tuple(meta))


# -- scoring ------------------------------------------------------------------------------


def _node_paths(inst: BenchInstance, roster: Roster) -> list[list[int]]:
    paths = []
    for rnd in roster.rounds:
        if not rnd.stops:
            continue
        try:
            nodes = [inst.node_of_visit[st.visit_id] for st in rnd.stops]
        except KeyError as exc:
            raise InputError(f"{inst.name}: roster names unknown visit {exc.args[0]!r}") from None
        paths.append([0, *nodes, 0])
    return paths


def solomon_distance(inst: BenchInstance, roster: Roster, *, decimals: int | None = None) -> float:
    """Total Euclidean distance of a roster's rounds, depot -> ... -> depot,
    from the instance's real coordinates (the literature's measure).

    Parameters
    ----------
    inst
        A Solomon-format instance (:func:`read_solomon`).
    roster
        Any roster of it; the order of stops is what counts.
    decimals
        None (default): exact distances, as in the hierarchical and
        distance-only "double" BKS tables. ``1``: every leg truncated to one
        decimal first, the DIMACS/CVRPLIB convention of the ``.sol`` files.

    Raises
    ------
    InputError
        If ``inst`` is not a Solomon instance or the roster names unknown visits.
    """
    if inst.kind != "solomon":
        raise InputError(f"solomon_distance needs a Solomon instance; {inst.name} is {inst.kind}")
    total = 0.0
    for path in _node_paths(inst, roster):
        xy = inst.coords[path]
        legs = np.hypot(*(xy[1:] - xy[:-1]).T)
        if decimals is not None:
            f = 10**decimals
            legs = np.floor(legs * f + 1e-9) / f
        total += float(legs.sum())
    return total


def hhcrsp_objective(inst: BenchInstance, roster: Roster) -> dict[str, float]:
    """Score a roster as Mankowska et al. (2014) and Kummer et al. do.

    ``distance`` sums the real matrix ``d`` over every round depot -> ... ->
    depot; a service's tardiness is ``max(0, start/scale - l)``; the
    objective is ``(distance + total_tardiness + max_tardiness) / 3``.
    Start times are the roster's integers divided by ``inst.scale``.

    Returns
    -------
    dict
        ``distance``, ``total_tardiness``, ``max_tardiness``, ``objective``
        and ``unassigned`` (visits in no round; the literature's value is
        only comparable when this is 0).

    Raises
    ------
    InputError
        If ``inst`` is not an HHCRSP instance or the roster names unknown visits.
    """
    if inst.kind != "hhcrsp" or inst.distance is None:
        raise InputError(f"hhcrsp_objective needs an HHCRSP instance; {inst.name} is {inst.kind}")
    distance = 0.0
    for path in _node_paths(inst, roster):
        distance += float(inst.distance[path[:-1], path[1:]].sum())
    tardiness = [
        max(0.0, stop.start / inst.scale - inst.due[stop.visit_id]) for rnd in roster.rounds for stop in rnd.stops
    ]
    total = float(sum(tardiness))
    worst = float(max(tardiness, default=0.0))
    served = {stop.visit_id for rnd in roster.rounds for stop in rnd.stops}
    return {
        "distance": distance,
        "total_tardiness": total,
        "max_tardiness": worst,
        "objective": (distance + total + worst) / 3,
        "unassigned": len(inst.node_of_visit) - len(served & inst.node_of_visit.keys()),
    }


def data_folder(folder: str | Path | None = None) -> Path:
    """The external benchmark folder: ``folder`` or :data:`DEFAULT_DATA`."""
    return Path(folder) if folder is not None else DEFAULT_DATA


__all__ = [
    "BenchInstance",
    "DEFAULT_DATA",
    "data_folder",
    "hhcrsp_objective",
    "read_hhcrsp",
    "read_hhcrsp_routes",
    "read_solomon",
    "read_solomon_routes",
    "schedule_routes",
    "solomon_distance",
]
