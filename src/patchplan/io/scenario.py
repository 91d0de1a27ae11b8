"""Scenario folders: :func:`read_scenario` and :func:`write_scenario`.

Reading validates everything it can in one pass and raises one
:class:`~patchplan.core.errors.InputError` listing each problem with its file,
row, column, value and what was expected; the model's problems (by entity, id
and field) are placed on their file, row and column here. Legal but suspicious
data raise a :class:`~patchplan.core.errors.DataQualityWarning` instead.

A scenario folder holds ``scenario.toml`` and one table per entity (see
``docs/input-format.md``). Tables may be CSV (UTF-8), Parquet or Excel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import tomllib
import warnings
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import tomli_w

from patchplan.core.errors import MAX_PROBLEMS, DataQualityWarning, InputError, Problem, ProblemCollector
from patchplan.core.model import (
    DAY_MIN,
    WEEKDAYS,
    Location,
    Lot,
    Package,
    Scenario,
    Visit,
)
from patchplan.core.patterns import CallPattern, expansion, format_weekdays
from patchplan.io.build import _Builder
from patchplan.io.cells import hhmm
from patchplan.io.roster import write_roster
from patchplan.io.schema import ENTITY_FILES, SPECS
from patchplan.io.tables import TABLE_SUFFIXES, _Reader, _with_row, _write

log = logging.getLogger("patchplan")


# ---------------------------------------------------------------------------
# Reading a scenario
# ---------------------------------------------------------------------------
def read_scenario(path: str | Path, *, geocode_online: bool = False) -> Scenario:
    """Read a scenario folder.

    Parameters
    ----------
    path
        The folder (or its ``scenario.toml``).
    geocode_online
        Look up postcodes missing from the embedded table with an online
        geocoder (needs a network). Off by default.

    Raises
    ------
    InputError
        Listing every problem found (up to a cap), each with its file, row,
        column, value and what was expected.
    """
    folder = Path(path)
    if folder.name == "scenario.toml":
        folder = folder.parent
    if not folder.exists():
        raise InputError(f"{folder}: no such file or folder")
    if not folder.is_dir():
        raise InputError(f"{folder}: expected a scenario folder (with scenario.toml), got a file")
    problems = ProblemCollector()
    meta = _read_toml(folder / "scenario.toml", problems)
    problems.raise_if_any()
    _check_geography_tables(folder, meta["geography"], problems)
    problems.raise_if_any()  # without its area tables, every location would be reported as unknown
    _warn_unread_files(folder, meta["geography"])
    reader = _Reader(folder, problems)
    built = _Builder(reader, meta, geocode_online=geocode_online).build()
    # Cross-references are judged on the rows that could be built, so they
    # are reported in the same pass as the rows' own problems; those that
    # only follow from a bad row (a reference to a row with a bad cell, ...)
    # are left out: that row is reported already.
    scenario: Scenario | None = None
    found: list[Problem] = []
    try:
        scenario = Scenario(**built)
    except InputError as exc:
        found = [_with_row(_on_pattern_row(p, reader), reader) for p in exc.problems]
    if problems.problems:
        troubled = {p.file for p in problems.problems}
        found = [p for p in found if not _follows_from_reported(p, reader, troubled)]
    for p in found[: max(0, MAX_PROBLEMS - len(problems.problems))]:
        problems.problems.append(p)
    problems.raise_if_any()
    assert scenario is not None  # built without problems
    _warn_quality(scenario)
    log.info("read scenario %s: %d clients, %d visits", scenario.name, len(scenario.clients), len(scenario.visits))
    return scenario


#: Columns of call_patterns.csv that a patterned visit's fields come from.
_PATTERN_COLUMNS = {
    "client_id": "package_id",
    "day": "weekdays",
    "early": "earliest",
    "late": "latest",
    "target": "time",
}


def _on_pattern_row(p: Problem, reader: _Reader) -> Problem:
    """A model problem about a visit expanded from call_patterns.csv, placed on the pattern's row
    (a visit overridden in visits.csv stays on its visits.csv row)."""
    if p.entity != "visit" or not p.key or p.key in reader.rows["visits.csv"]:
        return p
    row = reader.rows["call_patterns.csv"].get(p.key)
    if row is None:
        return p
    column = _PATTERN_COLUMNS.get(p.field, p.field)
    return dataclasses.replace(p, file="call_patterns.csv", row=row, column=column)


def _follows_from_reported(p: Problem, reader: _Reader, troubled: set[str]) -> bool:
    """Whether a model-level problem is only a consequence of a row problem
    already reported (so reporting it too would mislead)."""
    if p.field == "id" and p.message.startswith("duplicate "):  # the reader reports these with rows
        return True
    if p.refers in ENTITY_FILES:  # a reference to a row that was reported or could not be read
        target = ENTITY_FILES[p.refers]
        return target in reader.broken or str(p.value) in reader.ids[target]
    if (p.entity, p.field) == ("visit", "carers_required"):  # counts carers that may have been dropped
        return "carers.csv" in troubled or "carers.csv" in reader.broken
    return False


def _check_geography_tables(folder: Path, geography: str, problems: ProblemCollector) -> None:
    """A custom geography needs its own districts and areas: say so once, not once per location."""
    if geography != "custom":
        return
    for stem in ("districts", "areas"):
        if not any((folder / f"{stem}{suffix}").is_file() for suffix in TABLE_SUFFIXES):
            problems.add(
                file=f"{stem}.csv",
                message='is missing: scenario.toml says geography = "custom", which reads the areas from '
                'districts.csv and areas.csv (or use geography = "essex" for the embedded Essex areas)',
            )


def _warn_unread_files(folder: Path, geography: str) -> None:
    """Tables in the folder that will not be read are not silently skipped."""
    read = {s.name.removesuffix(".csv") for s in SPECS}
    if geography == "essex":
        read -= {"districts", "areas"}
    try:
        tables = sorted(p.name for p in folder.iterdir() if p.suffix in TABLE_SUFFIXES and p.is_file())
    except OSError:
        return
    unread = [t for t in tables if Path(t).stem not in read]
    geo_tables = [t for t in unread if Path(t).stem in ("districts", "areas")]
    if geo_tables:
        warnings.warn(
            f"ignoring {geo_tables}: geography is 'essex' (the embedded areas); "
            'set geography = "custom" in scenario.toml to use them',
            DataQualityWarning,
            stacklevel=3,
        )
    other = [t for t in unread if t not in geo_tables]
    if other:
        warnings.warn(
            f"ignoring files that are not scenario tables: {other}; expected names are {sorted(s.name for s in SPECS)}",
            DataQualityWarning,
            stacklevel=3,
        )


_TOML_KEYS = {"name", "start", "days", "seed", "geography"}
#: Longest horizon: a year of dated visits (weekly plans use 7 days).
_MAX_DAYS = 366


def _read_toml(path: Path, problems: ProblemCollector) -> dict[str, Any]:
    if not path.is_file():
        problems.add(file="scenario.toml", message=f"file is missing from {path.parent}")
        return {}
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as exc:
        problems.add(file="scenario.toml", message=f"cannot be read: {exc.strerror or exc}")
        return {}
    except UnicodeDecodeError as exc:
        problems.add(file="scenario.toml", message=f"is not UTF-8 text (byte at offset {exc.start})")
        return {}
    except tomllib.TOMLDecodeError as exc:
        problems.add(file="scenario.toml", message=f"is not valid TOML: {exc}")
        return {}
    meta: dict[str, Any] = {"settings": {}}
    for key, value in data.items():
        if key not in _TOML_KEYS:
            meta["settings"][key] = value
            if not isinstance(value, dict):
                warnings.warn(
                    f"scenario.toml: unknown key {key!r} is kept but not used; known keys are "
                    f"{sorted(_TOML_KEYS)} and tables such as [travel.car]",
                    DataQualityWarning,
                    stacklevel=3,
                )
    if "travel" in data:
        _check_travel(data["travel"], problems)
    name = data.get("name", path.parent.name)
    start = data.get("start")
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        problems.add(
            file="scenario.toml",
            column="start",
            value=start,
            message=("is missing; " if start is None else "") + "expected a date (no quotes), e.g. start = 2026-11-23",
        )
    days = data.get("days", 7)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= _MAX_DAYS:
        problems.add(
            file="scenario.toml", column="days", value=days, message=f"expected a whole number from 1 to {_MAX_DAYS}"
        )
    elif isinstance(start, dt.date) and not isinstance(start, dt.datetime):
        try:
            start + dt.timedelta(days=days)
        except OverflowError:
            problems.add(
                file="scenario.toml", column="start", value=start, message="the horizon ends after the year 9999"
            )
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        problems.add(file="scenario.toml", column="seed", value=seed, message="expected a whole number")
    geography = data.get("geography", "essex")
    if geography not in ("essex", "custom", "planar"):
        problems.add(
            file="scenario.toml",
            column="geography",
            value=geography,
            message="expected 'essex' (embedded), 'custom' (areas.csv) or 'planar' (benchmarks)",
        )
    meta.update(name=str(name), start=start, days=days, seed=seed, geography=geography)
    return meta


def _check_travel(table: object, problems: ProblemCollector) -> None:
    """``[travel.<mode>]`` tables: known modes and keys, sensible numbers."""
    from patchplan.core.model import MODES

    # Upper and lower bounds keep travel times inside what the solver can
    # represent: a speed of 1e-300 km/h would make every trip overflow.
    limits = {
        "circuity": (1.0, 5.0, "a number from 1 to 5"),
        "urban_kmh": (1.0, 200.0, "a speed from 1 to 200 km/h"),
        "rural_kmh": (1.0, 200.0, "a speed from 1 to 200 km/h"),
        "access_min": (0.0, 120.0, "minutes from 0 to 120"),
    }
    if not isinstance(table, dict):
        problems.add(
            file="scenario.toml", column="travel", value=str(table), message="expected tables such as [travel.car]"
        )
        return
    for mode, values in table.items():
        where = f"travel.{mode}"
        if mode not in MODES:
            problems.add(
                file="scenario.toml", column=where, message=f"unknown travel mode; expected one of {', '.join(MODES)}"
            )
            continue
        if not isinstance(values, dict):
            problems.add(
                file="scenario.toml",
                column=where,
                value=str(values),
                message=f"expected a table of {', '.join(limits)}",
            )
            continue
        for key, value in values.items():
            if key not in limits:
                problems.add(
                    file="scenario.toml",
                    column=f"{where}.{key}",
                    message=f"unknown key; expected one of {', '.join(limits)}",
                )
                continue
            low, high, expected = limits[key]
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            if not number or not low <= value <= high:
                problems.add(file="scenario.toml", column=f"{where}.{key}", value=value, message=f"expected {expected}")


def _warn_quality(s: Scenario) -> None:
    """Legal but suspicious data, summarised (one warning per kind)."""
    held = set().union(*(c.skills for c in s.carers)) if s.carers else set()
    if s.carers:
        needed = set().union(*(v.skills for v in s.visits)) if s.visits else set()
        missing = sorted(needed - held)
        if missing:
            warnings.warn(f"visits need skills no carer holds: {missing}", DataQualityWarning, stacklevel=3)
    if s.days == 7:
        care: dict[str, int] = defaultdict(int)
        for v in s.visits:
            care[v.package_id] += v.care_minutes
        off = [
            p.id
            for p in s.packages
            if p.id in care and p.start <= s.start and abs(care[p.id] / 60 - p.hours_week) > 0.1 * p.hours_week + 0.01
        ]
        if off:
            warnings.warn(
                f"{len(off)} packages' visits do not add up to their hours_week (first: {off[0]})",
                DataQualityWarning,
                stacklevel=3,
            )
    empty = [lot.key for lot in s.framework.lots if not lot.providers]
    if empty:
        warnings.warn(f"{len(empty)} framework lots list no provider", DataQualityWarning, stacklevel=3)
    for message in _surprises(s):
        warnings.warn(message, DataQualityWarning, stacklevel=3)


def _surprises(s: Scenario) -> list[str]:
    """Legal but surprising data, one message per kind (first example named, no personal data beyond ids)."""
    out = []
    blocked = []
    for p in s.packages:
        if p.status != "placed" or p.provider_id is None or not s.visits_of_package(p.id):
            continue
        staff = {c.id for c in s.carers_of(p.provider_id)}
        if staff and staff <= s.client(p.client_id).prohibited_carers:
            blocked.append(p.client_id)
    if blocked:
        out.append(
            f"{len(blocked)} client(s) have prohibited every carer of their provider, so none of their visits "
            f"can be planned (first: client {blocked[0]!r}; see client_carers.csv)"
        )
    idle = []
    for provider in s.providers:
        carers = {c.id for c in s.carers_of(provider.id)}
        worked = {sh.day for sh in s.shifts if sh.carer_id in carers}
        needed = {v.day for v in s.visits_of_provider(provider.id, range(s.days))}
        idle += [(provider.id, d) for d in sorted(needed - worked)]
    if idle:
        pid, day = idle[0]
        out.append(
            f"{len(idle)} provider-day(s) have visits but no carer on shift (first: provider {pid!r} on "
            f"{s.date(day)}); those visits will be unassigned"
        )
    unlisted = [p.id for p in s.packages if p.status == "awaiting" and s.framework.lots and _lot_of(s, p) is None]
    if unlisted:
        out.append(
            f"{len(unlisted)} awaiting package(s) fall in no framework lot with a ranked list, so only spot "
            f"providers can be offered them (first: package {unlisted[0]!r}; see framework.csv)"
        )
    return out


def _lot_of(s: Scenario, p: Package) -> Lot | None:
    client = s.client(p.client_id)
    lot = s.framework.lot(client.district_id, p.service_type, client.cohort)
    return lot if lot is not None and lot.providers else None


# ---------------------------------------------------------------------------
# Writing a scenario
# ---------------------------------------------------------------------------
def write_scenario(scenario: Scenario, folder: str | Path, *, fmt: str = "csv") -> Path:
    """Write a scenario folder that :func:`read_scenario` reads back equal.

    Parameters
    ----------
    fmt
        ``csv`` (default) or ``parquet`` for the tables.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"unknown table format {fmt!r}; expected csv or parquet")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    s = scenario
    meta: dict[str, Any] = {"name": s.name, "start": s.start, "days": s.days, "geography": s.geography}
    if s.seed is not None:
        meta["seed"] = s.seed
    meta.update(dict(s.settings))
    (out / "scenario.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
    tables = _tables(s)
    for spec in SPECS:
        rows = tables.get(spec.name)
        path = out / spec.name
        for suffix in TABLE_SUFFIXES:  # a stale table in another format would clash
            path.with_suffix(suffix).unlink(missing_ok=True)
        if rows is None:
            continue
        if fmt == "parquet":
            path = path.with_suffix(".parquet")
        _write(path, rows, spec)
    if s.status_quo is not None:
        write_roster(s.status_quo, s, out / "status_quo")
    return out


def _loc(location: Location, postcode: str | None) -> dict[str, Any]:
    return {"postcode": postcode or "", "lat": repr(location.lat), "lon": repr(location.lon)}


def _list(values: Iterable[str]) -> str:
    return ";".join(sorted(values))


def _tables(s: Scenario) -> dict[str, list[dict[str, Any]]]:
    t: dict[str, list[dict[str, Any]]] = {}
    if s.geography != "essex":
        t["districts.csv"] = [{"id": d.id, "name": d.name} for d in s.districts]
        t["areas.csv"] = [
            {
                "id": a.id,
                "name": a.name,
                "district": a.district_id,
                "neighbourhood": a.neighbourhood,
                "lat": repr(a.centroid.lat),
                "lon": repr(a.centroid.lon),
                "urban": int(a.centroid.urban),
                "pop_total": a.pop_total,
                "pop_16_64": a.pop_16_64,
                "pop_65_plus": a.pop_65_plus,
                "health_decile": a.health_decile,
                "area_km2": repr(a.area_km2),
            }
            for a in s.areas
        ]
    t["providers.csv"] = [
        {
            "id": p.id,
            "name": p.name,
            "tier": "spot" if p.spot else p.tier,
            "rate_gbp_h": repr(p.rate_gbp_h),
            "capacity_hours_week": repr(p.capacity_hours_week),
            "patches": _list(p.patches),
        }
        for p in s.providers
    ]
    t["provider_capacity.csv"] = [
        {"provider_id": p.id, "weekday": WEEKDAYS[c.weekday], "band": c.band, "hours": repr(c.hours)}
        for p in s.providers
        for c in p.band_capacity
    ]
    t["branches.csv"] = [
        {
            "id": b.id,
            "provider_id": b.provider_id,
            "name": b.name,
            "district": b.district_id,
            **_loc(b.location, b.postcode),
        }
        for b in s.branches
    ]
    t["framework.csv"] = [
        {
            "district": lot.district_id,
            "service_type": lot.service_type,
            "cohort": lot.cohort,
            "rank": i + 1,
            "provider_id": pid,
        }
        for lot in s.framework.lots
        for i, pid in enumerate(lot.providers)
    ]
    t["clients.csv"] = [
        {
            "id": c.id,
            **_loc(c.location, c.postcode),
            "area_id": c.area_id,
            "district": c.district_id,
            "cohort": c.cohort,
            "gender": c.gender,
            "gender_preference": c.gender_preference or "",
        }
        for c in s.clients
    ]
    relations = []
    for c in s.clients:
        relations += [{"client_id": c.id, "carer_id": k, "relation": "known", "visits": n} for k, n in c.history]
        relations += [
            {"client_id": c.id, "carer_id": k, "relation": "preferred", "visits": ""}
            for k in sorted(c.preferred_carers)
        ]
        relations += [
            {"client_id": c.id, "carer_id": k, "relation": "prohibited", "visits": ""}
            for k in sorted(c.prohibited_carers)
        ]
    t["client_carers.csv"] = relations
    t["packages.csv"] = [
        {
            "id": p.id,
            "client_id": p.client_id,
            "service_type": p.service_type,
            "hours_week": repr(p.hours_week),
            "start_date": p.start.isoformat(),
            "urgency": p.urgency,
            "status": p.status,
            "provider_id": p.provider_id or "",
            "received": p.received.isoformat() if p.received else "",
        }
        for p in s.packages
    ]
    t.update(_visit_tables(s))
    t["visit_links.csv"] = [
        {"first": k.first, "second": k.second, "min_gap": k.min_gap, "max_gap": k.max_gap} for k in s.links
    ]
    t["carers.csv"] = [
        {
            "id": c.id,
            "provider_id": c.provider_id,
            "branch_id": c.branch_id or "",
            **_loc(c.home, c.postcode),
            "mode": c.mode,
            "skills": _list(c.skills),
            "gender": c.gender,
            "contracted_hours_week": repr(c.contracted_hours_week),
            "max_hours_week": repr(c.max_hours_week),
            "team": c.team_id or "",
        }
        for c in s.carers
    ]
    t["shifts.csv"] = [
        {
            "carer_id": sh.carer_id,
            "date": s.date(sh.day).isoformat(),
            "start": hhmm(sh.start - sh.day * DAY_MIN),
            "end": hhmm(sh.end - sh.day * DAY_MIN),
            "max_work_min": "" if sh.max_work_min is None else sh.max_work_min,
        }
        for sh in s.shifts
    ]
    if s.patches:
        t["patches.csv"] = [
            {"patch_id": p.id, "name": p.name, "area_id": a, "lead_provider_id": p.lead_provider_id or ""}
            for p in s.patches
            for a in sorted(p.area_ids)
        ]
    return t


def _visit_tables(s: Scenario) -> dict[str, list[dict[str, Any]]]:
    """visits.csv, and call_patterns.csv when the scenario has patterns: then visits.csv holds only
    the visits that differ from the patterns' (overrides and one-offs), and a patterned visit the
    scenario does not have is written as an ``except_dates`` date of its pattern."""
    if not s.patterns:
        return {"visits.csv": [_visit_row(s, v) for v in s.visits]}
    have = {v.id: v for v in s.visits}
    missing: dict[int, set[dt.date]] = defaultdict(set)
    expanded = {}
    for i, v in expansion(s.patterns, s.start, s.days):
        expanded[v.id] = v
        if v.id not in have:
            missing[i].add(s.date(v.day))
    patterns = [
        dataclasses.replace(p, except_dates=p.except_dates | missing[i]) if i in missing else p
        for i, p in enumerate(s.patterns)
    ]
    return {
        "call_patterns.csv": [_pattern_row(p) for p in patterns],
        "visits.csv": [_visit_row(s, v) for v in s.visits if expanded.get(v.id) != v],
    }


def _pattern_row(p: CallPattern) -> dict[str, Any]:
    def date(d: dt.date | None) -> str:
        return "" if d is None else d.isoformat()

    return {
        "package_id": p.package_id,
        "weekdays": format_weekdays(p.weekdays),
        "time": hhmm(p.time),
        "duration_min": p.duration_min,
        "tolerance_min": p.tolerance_min,
        "earliest": "" if p.earliest is None else hhmm(p.earliest),
        "latest": "" if p.latest is None else hhmm(p.latest),
        "carers_required": p.carers_required,
        "skills": _list(p.skills),
        "label": p.label,
        "every_n_weeks": p.every_n_weeks,
        "first_week": date(p.first_week),
        "from": date(p.from_date),
        "until": date(p.until),
        "except_dates": _list(d.isoformat() for d in p.except_dates),
    }


def _visit_row(s: Scenario, v: Visit) -> dict[str, Any]:
    base = v.day * DAY_MIN
    return {
        "id": v.id,
        "package_id": v.package_id,
        "client_id": v.client_id,
        "date": s.date(v.day).isoformat(),
        "earliest": hhmm(v.early - base),
        "latest": hhmm(v.late + v.duration_min - base),
        "duration_min": v.duration_min,
        "preferred": "" if v.target is None else hhmm(v.target - base),
        "tolerance_min": v.tolerance_min,
        "carers_required": v.carers_required,
        "skills": _list(v.skills),
        "label": v.label,
        "load": v.load,
    }
