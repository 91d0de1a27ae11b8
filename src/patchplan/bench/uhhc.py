"""UHHC home-healthcare instances (the Bazirha set) as patchplan scenarios.

The UHHC repository (``iolab-uniud/uhhc``, Ceschia et al., CC BY 4.0)
converts many home-healthcare benchmarks into one JSON format: terminal
points (depots), caregivers with abilities and a working shift, patients with
required services (a duration each), time windows and an optional
synchronisation of their two services, and an integer distance matrix that
is also the travel time. This module owns reading those files (and the
repository's simulated-annealing solutions of them) and scoring a roster the
way the UHHC metadata of the Bazirha instances defines it: **travel time
only**, tardiness and shift overtime *hard*.

Semantics, as read from the files and confirmed on all 21 published
simulated-annealing solutions (each one's recorded travel equals the sum of
its legs, every service starts inside its window and ends by its close,
``simultaneous`` services start together, every route is back by the shift
end):

* ``time_window_met: at_service_end``: a service starts at or after the
  window's start and **ends** by its end, so a visit's latest start is
  ``end - duration``. (If the format meant only the end must fall inside the
  window, a service could start a little before the window opens; reading it
  strictly can only make our plans longer, never flatter them.)
* ``synchronization.type``: ``simultaneous`` links the two services with
  gap 0..0 (two caregivers start together); ``independent`` (or none) leaves
  them unlinked.
* the caregiver leaves its departing point at the shift start and must be
  back at its arrival point by the shift end.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from patchplan.bench.formats import (
    BENCH_START,
    KEY_OFFSET,
    PROVIDER_ID,
    BenchInstance,
    _bench_frame,
    _client,
    _coordinate_divisor,
    _no_weekly_limit,
    _package,
    _provider,
    _whole,
    schedule_routes,
)
from patchplan.core.errors import InputError, Problem
from patchplan.core.model import Carer, Location, Roster, Scenario, Shift, Visit, VisitLink
from patchplan.geo.travel import MatrixTravel

#: What this reader models; a file asking for more is refused, not guessed.
_OBJECTIVE = {"travel_time": 1, "total_tardiness": "HARD", "total_extra_time": "HARD"}
_SYNC = ("simultaneous", "independent")


def _problem(file: str, where: str, message: str, value: object = None) -> InputError:
    """An InputError naming the file and the JSON place (``patients[3].time_windows``)."""
    return InputError([Problem(file=file, row=None, column=where, value=value, message=message)])


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read UHHC file {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            [Problem(file=path.name, row=exc.lineno, column="", value=None, message=f"not JSON: {exc.msg}")]
        ) from None
    if not isinstance(data, dict):
        raise _problem(path.name, "", "expected a JSON object at the top")
    return data


def _get(obj: Any, key: str, kind: type | tuple[type, ...], file: str, where: str) -> Any:
    """``obj[key]`` checked for type, with the JSON place in the error."""
    if not isinstance(obj, dict) or key not in obj:
        raise _problem(file, f"{where}.{key}".lstrip("."), "missing")
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _problem(file, f"{where}.{key}".lstrip("."), f"expected {kind}", value=value)
    return value


def _distance_matrix(data: dict[str, Any], file: str) -> np.ndarray:
    rows = _get(data, "distances", list, file, "")
    n = len(rows)
    if n < 2 or any(not isinstance(r, list) or len(r) != n for r in rows):
        raise _problem(file, "distances", f"must be a square matrix with at least 2 rows ({n} rows)")
    try:
        matrix = np.array(rows, dtype=float)
    except (TypeError, ValueError):
        raise _problem(file, "distances", "entries must be numbers") from None
    if not np.isfinite(matrix).all() or (matrix < 0).any():
        raise _problem(file, "distances", "entries must be finite and >= 0")
    return matrix


def _node_keys(coords: np.ndarray) -> tuple[list[Location], list[str]]:
    """One Location per matrix node; nodes sharing coordinates get a key
    offset by ``KEY_OFFSET`` in lat (the matrix itself is unchanged), as
    :func:`patchplan.bench.formats.read_hhcrsp` does."""
    k = _coordinate_divisor(coords[:, 0], coords[:, 1])
    used: set[tuple[float, float]] = set()
    locations, notes = [], []
    for i, (x, y) in enumerate(coords):
        key = (float(y) / k, float(x) / k)
        while key in used:
            key = (key[0] + KEY_OFFSET, key[1])
        if key != (float(y) / k, float(x) / k):
            notes.append(f"node {i} shares coordinates (x={x:g}, y={y:g}): matrix key offset in lat")
        used.add(key)
        locations.append(Location(lat=key[0], lon=key[1], urban=True))
    if k != 1:
        notes.append(f"coordinates divided by {k} to fit lat/lon (matrix keys only)")
    return locations, notes


def read_uhhc(path: str | Path, scale: int = 10) -> BenchInstance:
    """Read one UHHC instance file (the Bazirha set: one depot, one window a
    patient, travel-time objective, hard windows and shifts).

    Mapping: patient ``p`` becomes client ``p`` with package ``k_p``; each
    required service ``s`` becomes visit ``p:s`` with ``skills = {s}``,
    ``early = window start``, ``late = window end - duration`` (latest
    start; see the module docstring), no preferred time; a ``simultaneous``
    pair becomes ``VisitLink(gap 0..0)``. Caregiver ``c`` becomes carer ``c``
    with its abilities as skills and one shift. Travel is
    :class:`~patchplan.geo.travel.MatrixTravel` over ``distances`` x scale
    (the distances are the travel times; the Bazirha files are integers, so
    any scale is exact). The default scale 10 puts a 0-600 shift at 0-6000
    units, past the first midnight, where the checker's working-time break
    rule does not apply: the benchmark has no break rule (the Solomon and
    HHCRSP readers' scale 100 does the same), and the solver is given none
    either (:func:`patchplan.bench.run.uhhc_params`).

    Raises
    ------
    InputError
        Naming the file and the JSON place, on anything outside that model:
        another objective, several depots or windows, an unknown service,
        a window shorter than its service, a matrix index out of range.
    """
    path = Path(path)
    file = path.name
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise InputError(f"scale={scale!r} must be a whole number >= 1")
    data = _load(path)
    meta = _get(data, "metadata", dict, file, "")
    costs = _get(meta, "cost_components", dict, file, "metadata")
    if costs != _OBJECTIVE:
        raise _problem(file, "metadata.cost_components", f"only {_OBJECTIVE} is modelled", value=costs)
    if meta.get("time_window_met") != "at_service_end":
        raise _problem(
            file, "metadata.time_window_met", "only 'at_service_end' is modelled", value=meta.get("time_window_met")
        )
    name = str(meta.get("name") or path.stem)
    dist = _distance_matrix(data, file)
    n = len(dist)
    depots = _get(data, "terminal_points", list, file, "")
    if len(depots) != 1:
        raise _problem(file, "terminal_points", "exactly one depot is modelled", value=len(depots))
    depot_id = _get(depots[0], "id", str, file, "terminal_points[0]")
    depot_node = _get(depots[0], "distance_matrix_index", int, file, "terminal_points[0]")
    if depot_node != 0:
        raise _problem(file, "terminal_points[0].distance_matrix_index", "the depot must be node 0", value=depot_node)
    services = {
        _get(s, "id", str, file, f"services[{i}]") for i, s in enumerate(_get(data, "services", list, file, ""))
    }

    coords = np.zeros((n, 2))
    coords[0] = _get(depots[0], "location", list, file, "terminal_points[0]")[:2]
    clients, packages, visits, links = [], [], [], []
    node_of_visit: dict[str, int] = {}
    due: dict[str, float] = {}
    patient_nodes: list[tuple[int, str]] = []
    for i, p in enumerate(_get(data, "patients", list, file, "")):
        where = f"patients[{i}]"
        pid = _get(p, "id", str, file, where)
        node = _get(p, "distance_matrix_index", int, file, where)
        if not 1 <= node < n:
            raise _problem(file, f"{where}.distance_matrix_index", f"must be 1..{n - 1}", value=node)
        coords[node] = _get(p, "location", list, file, where)[:2]
        windows = _get(p, "time_windows", list, file, where)
        if len(windows) != 1:
            raise _problem(
                file, f"{where}.time_windows", "exactly one window a patient is modelled", value=len(windows)
            )
        w_start = _get(windows[0], "start", (int, float), file, f"{where}.time_windows[0]")
        w_end = _get(windows[0], "end", (int, float), file, f"{where}.time_windows[0]")
        required = _get(p, "required_services", list, file, where)
        if not 1 <= len(required) <= 2:
            raise _problem(file, f"{where}.required_services", "one or two services are modelled", value=len(required))
        sync = (p.get("synchronization") or {}).get("type", "independent")
        if sync not in _SYNC:
            raise _problem(file, f"{where}.synchronization.type", f"expected one of {_SYNC}", value=sync)
        ids, total = [], 0
        for j, req in enumerate(required):
            rwhere = f"{where}.required_services[{j}]"
            service = _get(req, "service", str, file, rwhere)
            if service not in services:
                raise _problem(file, f"{rwhere}.service", "not in services", value=service)
            duration = _whole(
                _get(req, "duration", (int, float), file, rwhere), scale, file, None, f"{rwhere}.duration"
            )
            early = _whole(w_start, scale, file, None, f"{where}.time_windows[0].start")
            late = _whole(w_end, scale, file, None, f"{where}.time_windows[0].end") - duration
            if duration <= 0 or late < early:
                raise _problem(
                    file, rwhere, f"duration must be > 0 and fit the window [{w_start:g}, {w_end:g}]", value=duration
                )
            vid = f"{pid}:{service}"
            visits.append(
                Visit(
                    id=vid,
                    package_id=f"k_{pid}",
                    client_id=pid,
                    day=0,
                    early=early,
                    late=late,
                    duration_min=duration,
                    skills=frozenset({service}),
                    label=f"service {service}",
                )
            )
            node_of_visit[vid] = node
            due[vid] = float(w_end)
            ids.append(vid)
            total += duration
        if sync == "simultaneous" and len(ids) == 2:
            links.append(VisitLink(first=ids[0], second=ids[1], min_gap=0, max_gap=0))
        patient_nodes.append((node, pid))
        packages.append(_package(f"k_{pid}", pid, total))

    locations, notes = _node_keys(coords)
    clients = [_client(pid, locations[node]) for node, pid in patient_nodes]
    carers, shifts = [], []
    for i, c in enumerate(_get(data, "caregivers", list, file, "")):
        where = f"caregivers[{i}]"
        cid = _get(c, "id", str, file, where)
        for end in ("departing_point", "arrival_point"):
            if c.get(end) != depot_id:
                raise _problem(file, f"{where}.{end}", f"must be the depot {depot_id!r}", value=c.get(end))
        abilities = _get(c, "abilities", list, file, where)
        unknown = sorted(set(abilities) - services)
        if unknown:
            raise _problem(file, f"{where}.abilities", "not in services", value=unknown)
        shift = _get(c, "working_shift", dict, file, where)
        start = _whole(_get(shift, "start", (int, float), file, f"{where}.working_shift"), scale, file, None, "start")
        end = _whole(_get(shift, "end", (int, float), file, f"{where}.working_shift"), scale, file, None, "end")
        if end <= start:
            raise _problem(file, f"{where}.working_shift.end", f"must be after start ({start})", value=end)
        carers.append(
            Carer(
                id=cid,
                provider_id=PROVIDER_ID,
                home=locations[0],
                mode="car",
                skills=frozenset(abilities),
                max_hours_week=_no_weekly_limit(start, end),
            )
        )
        shifts.append(Shift(carer_id=cid, day=0, start=start, end=end))
    district, area = _bench_frame(locations[0])
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
        providers=(_provider(sum(s.end - s.start for s in shifts) / 60),),
        carers=tuple(carers),
        shifts=tuple(shifts),
    )
    minutes = np.ceil(dist * scale - 1e-9).astype(np.int64)
    np.fill_diagonal(minutes, 0)
    return BenchInstance(
        name=name,
        kind="uhhc",
        scenario=scenario,
        travel=MatrixTravel(tuple(locations), minutes),
        scale=scale,
        capacity=None,
        num_vehicles=len(carers),
        coords=coords,
        distance=dist,
        node_of_visit=node_of_visit,
        due=due,
        locations=tuple(locations),
        notes=tuple(notes),
    )


def read_uhhc_solution(path: str | Path, inst: BenchInstance) -> Roster:
    """A UHHC solution file's routes (``routes[].caregiver_id`` and
    ``locations[].patient`` / ``.service`` in order), timed at their
    earliest starts by :func:`patchplan.bench.formats.schedule_routes`.
    ``cost.objective`` is kept in ``Roster.meta`` as ``file_objective``.

    Raises
    ------
    InputError
        On a malformed file or a visit the instance does not have.
    """
    path = Path(path)
    file = path.name
    data = _load(path)
    routes: dict[str, list[str]] = {}
    for i, r in enumerate(_get(data, "routes", list, file, "")):
        cid = _get(r, "caregiver_id", str, file, f"routes[{i}]")
        stops = r.get("locations") or []  # a caregiver with nothing to do has no locations
        visit_ids = []
        for j, stop in enumerate(stops):
            where = f"routes[{i}].locations[{j}]"
            vid = f"{_get(stop, 'patient', str, file, where)}:{_get(stop, 'service', str, file, where)}"
            if vid not in inst.node_of_visit:
                raise _problem(file, where, f"{inst.name} has no such patient service", value=vid)
            visit_ids.append(vid)
        routes[cid] = visit_ids
    roster = schedule_routes(inst, routes)
    objective = (data.get("cost") or {}).get("objective")
    return roster.replace(meta=(*roster.meta, ("file_objective", str(objective))))


def uhhc_travel(inst: BenchInstance, roster: Roster) -> float:
    """Total travel (the Bazirha objective): the instance's matrix over every
    round, depot -> stops -> depot.

    Raises
    ------
    InputError
        If ``inst`` is not a UHHC instance or the roster names unknown visits.
    """
    if inst.kind != "uhhc" or inst.distance is None:
        raise InputError(f"uhhc_travel needs a UHHC instance; {inst.name} is {inst.kind}")
    total = 0.0
    for rnd in roster.rounds:
        if not rnd.stops:
            continue
        try:
            nodes = [0, *(inst.node_of_visit[st.visit_id] for st in rnd.stops), 0]
        except KeyError as exc:
            raise InputError(f"{inst.name}: roster names unknown visit {exc.args[0]!r}") from None
        total += float(inst.distance[nodes[:-1], nodes[1:]].sum())
    return total
