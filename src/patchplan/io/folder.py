"""Scenario folders and rosters on disk <-> the model.

The only module that knows file formats, column names and calendar dates.
Reading validates everything it can in one pass and raises one
:class:`~patchplan.core.errors.InputError` listing each problem with its file,
row, column, value and what was expected. Legal but suspicious data raise a
:class:`~patchplan.core.errors.DataQualityWarning` instead.

A scenario folder holds ``scenario.toml`` and one table per entity (see
``docs/input-format.md``). Tables may be CSV (UTF-8), Parquet or Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import logging
import re
import tomllib
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from patchplan.geo import geography as geo
from patchplan.core.errors import MAX_PROBLEMS, DataQualityWarning, InputError, Problem, ProblemCollector
from patchplan.core.model import (
    BAND_NAMES,
    DAY_MIN,
    SPOT_TIER,
    WEEKDAYS,
    Area,
    BandCapacity,
    Branch,
    Carer,
    Client,
    District,
    Framework,
    Location,
    Lot,
    Package,
    Patch,
    Provider,
    Reason,
    Round,
    Roster,
    Scenario,
    Shift,
    Stop,
    Unassigned,
    Visit,
    VisitLink,
)
from patchplan.io.schema import ROSTER_SPECS, SPEC_BY_NAME, SPECS, Column, FileSpec

log = logging.getLogger("patchplan")

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")
_TIME = re.compile(r"^([0-9]{1,5}):([0-5][0-9])(?::([0-5][0-9]))?$", re.ASCII)
_INT = re.compile(r"^[+-]?([0-9]+)(\.0*)?$", re.ASCII)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_CLOCK = re.compile(r"^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$", re.ASCII)
#: Whole numbers beyond this are typing slips, not durations or counts.
_MAX_INT = 10**9


# ---------------------------------------------------------------------------
# Reading tables
# ---------------------------------------------------------------------------
class _Reader:
    """Reads the tables of one folder, collecting problems and rows."""

    def __init__(self, folder: Path, problems: ProblemCollector, prefix: str = "") -> None:
        self.folder = folder
        self.problems: ProblemCollector = _Prefixed(problems, prefix) if prefix else problems
        #: file -> record key -> row number, to place model-level problems.
        self.rows: dict[str, dict[str, int]] = defaultdict(dict)
        #: Files (by spec name) that are missing, unreadable or have
        #: malformed rows: references into them cannot be judged.
        self.broken: set[str] = set()
        #: file -> every id in its ``id`` column, rows with problems included,
        #: so a reference to a bad row is not also reported as unknown.
        self.ids: dict[str, set[str]] = defaultdict(set)

    def table(self, spec: FileSpec, start: dt.date | None) -> list[dict[str, Any]] | None:
        """Typed rows of a file (each with ``_row``), or None when absent."""
        path = self._find(spec)
        if path is None:
            if spec.required:
                self.broken.add(spec.name)
                self.problems.add(
                    file=spec.name,
                    message=f"file is missing from {self.folder}; expected a table "
                    f"({', '.join(spec.name.replace('.csv', s) for s in TABLE_SUFFIXES[:3])})",
                )
            return None
        loaded = self._load(path, spec)
        if loaded is None:
            self.broken.add(spec.name)
            return None
        frame, numbers = loaded
        return self._typed_rows(frame, numbers, spec, path.name)

    def _find(self, spec: FileSpec) -> Path | None:
        stem = spec.name.removesuffix(".csv")
        found = [self.folder / f"{stem}{s}" for s in TABLE_SUFFIXES if (self.folder / f"{stem}{s}").is_file()]
        if len(found) > 1:
            self.problems.add(
                file=spec.name,
                message=f"more than one table for {stem}: {', '.join(p.name for p in found)}; keep one",
            )
        return found[0] if found else None

    def _load(self, path: Path, spec: FileSpec) -> tuple[pd.DataFrame, list[int]] | None:
        """The file's cells as text and each record's spreadsheet row number."""
        name = path.name
        try:
            if path.suffix == ".csv":
                frame, numbers = self._load_csv(path, spec)
            else:
                if path.suffix == ".parquet":
                    frame = _as_text(pd.read_parquet(path))
                else:
                    frame = _as_text(pd.read_excel(path, dtype=object))
                numbers = list(range(2, len(frame) + 2))
        except _FileProblem as exc:
            self.problems.add(file=name, row=exc.row, value=exc.value, message=str(exc))
            return None
        except Exception as exc:  # any reader failure is a bad file, not a crash
            self.problems.add(file=name, message=f"cannot be read as a table: {type(exc).__name__}: {exc}")
            return None
        frame.columns = [str(c).strip() for c in frame.columns]
        missing = [c.name for c in spec.columns if c.required and c.name not in frame.columns]
        for column in missing:
            self.problems.add(
                file=name,
                row=1,
                column=column,
                message=f"required column is missing (header has: {', '.join(frame.columns) or 'nothing'})",
            )
        known = {c.name for c in spec.columns}
        extra = [c for c in frame.columns if c not in known]
        if extra:
            warnings.warn(
                f"{name}: ignoring unknown columns {extra}; expected columns are {[c.name for c in spec.columns]}",
                DataQualityWarning,
                stacklevel=2,
            )
        dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1 and c in known})
        for column in dupes:
            self.problems.add(file=name, row=1, column=column, message="column appears more than once")
        return None if missing or dupes else (frame, numbers)

    def _load_csv(self, path: Path, spec: FileSpec) -> tuple[pd.DataFrame, list[int]]:
        """Parse a CSV strictly: every record must have the header's number of
        fields. Blank records are skipped (with a warning) but still counted,
        so row numbers match what a spreadsheet shows."""
        name = path.name
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise _FileProblem(f"cannot be read: {exc.strerror or exc}") from None
        if not raw.strip():
            raise _FileProblem("file is empty; expected a header row and data rows", row=1)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise _FileProblem(
                f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as 'CSV UTF-8'",
                row=line,
            ) from None
        reader = csv.reader(_io.StringIO(text, newline=""), strict=True)
        records: list[list[str]] = []
        try:
            for record in reader:
                records.append(record)
        except csv.Error as exc:
            raise _FileProblem(f"malformed CSV: {exc}", row=len(records) + 1) from None
        header = [h.strip() for h in records[0]] if records else []
        if not any(header):
            raise _FileProblem("the first row is empty; expected the header row (column names)", row=1)
        width = len(header)
        numbers: list[int] = []
        cells: list[list[str]] = []
        blank = 0
        for i, record in enumerate(records[1:]):
            number = i + 2
            if not any(cell.strip() for cell in record):
                blank += 1
                continue
            if len(record) != width:
                self.broken.add(spec.name)
                self.problems.add(
                    file=name,
                    row=number,
                    value=",".join(record),
                    message=f"malformed CSV: the row has {len(record)} fields but the header has {width}"
                    + (" (a value with a comma that is not in quotes?)" if len(record) > width else ""),
                )
                continue
            numbers.append(number)
            cells.append(record)
        if blank:
            warnings.warn(f"{name}: skipped {blank} empty row(s)", DataQualityWarning, stacklevel=3)
        return pd.DataFrame(cells, columns=header, dtype=object), numbers

    def _typed_rows(self, frame: pd.DataFrame, numbers: list[int], spec: FileSpec, name: str) -> list[dict[str, Any]]:
        """Each record as {column: typed value}; a cell that cannot be used is
        reported and marked :data:`_BAD` (so its row is never silently used)."""
        columns = [(col, frame[col.name].tolist() if col.name in frame.columns else None) for col in spec.columns]
        ids = self.ids[spec.name]
        out: list[dict[str, Any]] = []
        for i, number in enumerate(numbers):
            row: dict[str, Any] = {"_row": number}
            for col, values in columns:
                if values is None:
                    row[col.name] = col.default
                    continue
                raw = values[i]
                text = "" if raw is None else str(raw) if col.kind == "id" else str(raw).strip()
                if col.name == "id" and text.strip():
                    ids.add(text.strip())
                if text.strip() == "":
                    if col.nullable:
                        row[col.name] = col.default
                    else:
                        self.problems.add(
                            file=name,
                            row=number,
                            column=col.name,
                            value="",
                            message=f"is empty; expected {_expect(col)}",
                        )
                        row[col.name] = _BAD
                    continue
                try:
                    value = _PARSERS[col.kind](text, col)
                except ValueError as exc:
                    self.problems.add(file=name, row=number, column=col.name, value=text, message=str(exc))
                    value = _BAD
                else:
                    if col.minimum is not None and value < col.minimum:
                        self.problems.add(
                            file=name,
                            row=number,
                            column=col.name,
                            value=text,
                            message=f"must be >= {col.minimum:g}",
                        )
                        value = _BAD
                row[col.name] = value
            out.append(row)
        return out


class _Prefixed(ProblemCollector):
    """Reports problems of a subfolder's files as ``subfolder/file``."""

    def __init__(self, inner: ProblemCollector, prefix: str) -> None:
        self.inner, self.prefix = inner, prefix

    def add(self, **fields: object) -> None:
        fields["file"] = self.prefix + str(fields.get("file", ""))
        self.inner.add(**fields)

    @property
    def problems(self) -> list[Problem]:  # type: ignore[override]
        return self.inner.problems


class _FileProblem(Exception):
    """A whole file cannot be used (reported once, on the row where it breaks)."""

    def __init__(self, message: str, row: int | None = None, value: object = None) -> None:
        super().__init__(message)
        self.row, self.value = row, value


class _Bad:
    """Marks a cell that failed to parse (already reported)."""

    def __repr__(self) -> str:
        return "<bad>"


_BAD: Any = _Bad()


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet/Excel cells as the text a CSV would hold."""

    def cell(x: object) -> str:
        if x is None or (isinstance(x, float) and x != x):
            return ""
        if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
            return repr(x)
        if isinstance(x, dt.datetime):
            return x.date().isoformat() if x.time() == dt.time() else x.isoformat()
        if isinstance(x, (dt.date, dt.time)):
            return x.isoformat()
        if isinstance(x, pd.Timestamp):
            return x.date().isoformat()
        return str(x)

    return frame.map(cell)


def _expect(col: Column) -> str:
    return {
        "id": "an id",
        "text": "text",
        "int": "a whole number",
        "float": "a number",
        "date": "a date YYYY-MM-DD",
        "time": "a time HH:MM",
        "list": "a ;-separated list",
        "enum": f"one of {', '.join(col.choices)}",
        "tier": "1, 2 or spot",
    }[col.kind]


def _p_id(text: str, col: Column) -> str:
    if text != text.strip():
        raise ValueError("has spaces around it; ids must match exactly")
    return text


def _p_text(text: str, col: Column) -> str:
    return text


def _p_int(text: str, col: Column) -> int:
    match = _INT.match(text)
    if not match:
        raise ValueError(f"expected {_expect(col)}")
    if len(match.group(1).lstrip("0")) > 10 or int(match.group(1)) > _MAX_INT:
        raise ValueError(f"is too large; expected {_expect(col)} up to {_MAX_INT:,}")
    value = int(text.split(".")[0])
    if col.choices and str(value) not in col.choices:
        raise ValueError(f"expected one of {', '.join(col.choices)}")
    return value


def _p_float(text: str, col: Column) -> float:
    if "_" in text:  # Python's float() accepts 1_000; a spreadsheet does not
        raise ValueError(f"expected {_expect(col)}")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"expected {_expect(col)}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"expected {_expect(col)}")
    return value


def _p_date(text: str, col: Column) -> dt.date:
    day, _, clock = text.partition("T" if "T" in text else " ")
    if not _DATE.match(day) or (clock and not _CLOCK.match(clock)):
        raise ValueError(f"expected {_expect(col)}")
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"expected {_expect(col)}; there is no such day") from None


def _p_time(text: str, col: Column) -> int:
    """Minutes after midnight of the row's date."""
    match = _TIME.match(text)
    if not match:
        raise ValueError(f"expected {_expect(col)}")
    return int(match.group(1)) * 60 + int(match.group(2))


def _p_list(text: str, col: Column) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(";") if part.strip())


def _p_enum(text: str, col: Column) -> str:
    if text not in col.choices:
        raise ValueError(f"expected {_expect(col)}")
    return text


def _p_tier(text: str, col: Column) -> int:
    if text.lower() == "spot":
        return SPOT_TIER
    if text in ("1", "2"):
        return int(text)
    raise ValueError(f"expected {_expect(col)}")


_PARSERS: dict[str, Callable[[str, Column], Any]] = {
    "id": _p_id,
    "text": _p_text,
    "int": _p_int,
    "float": _p_float,
    "date": _p_date,
    "time": _p_time,
    "list": _p_list,
    "enum": _p_enum,
    "tier": _p_tier,
}


def _ok(row: dict[str, Any]) -> bool:
    return all(v is not _BAD for v in row.values())


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
        found = [_with_row(p, reader) for p in exc.problems]
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


#: The file each kind of id lives in (the model's cross-reference messages
#: end "unknown <kind>").
_KIND_FILES = {
    "district": "districts.csv",
    "area": "areas.csv",
    "client": "clients.csv",
    "package": "packages.csv",
    "visit": "visits.csv",
    "provider": "providers.csv",
    "branch": "branches.csv",
    "carer": "carers.csv",
    "patch": "patches.csv",
}
_UNKNOWN = re.compile(r"unknown (\w+)$")


def _follows_from_reported(p: Problem, reader: _Reader, troubled: set[str]) -> bool:
    """Whether a model-level problem is only a consequence of a row problem
    already reported (so reporting it too would mislead)."""
    if p.message.startswith("duplicate "):  # the reader reports these with rows
        return True
    match = _UNKNOWN.search(p.message)
    if match and match.group(1) in _KIND_FILES:
        target = _KIND_FILES[match.group(1)]
        return target in reader.broken or str(p.value) in reader.ids[target]
    if "carers but provider" in p.message:  # counts carers that may have been dropped
        return "carers.csv" in troubled or "carers.csv" in reader.broken
    return False


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


def _with_row(p: Problem, reader: _Reader) -> Problem:
    row = reader.rows.get(p.file, {}).get(p.key or "")
    if row is None or p.row is not None:
        return p
    return Problem(file=p.file, row=row, column=p.column, value=p.value, message=p.message, key=p.key)


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

    limits = {
        "circuity": (1.0, "a number >= 1"),
        "urban_kmh": (0.0, "a speed > 0"),
        "rural_kmh": (0.0, "a speed > 0"),
        "access_min": (0.0, "minutes >= 0"),
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
            low, expected = limits[key]
            number = isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
            if not number or value < low or (key.endswith("_kmh") and value <= 0) or value == float("inf"):
                problems.add(file="scenario.toml", column=f"{where}.{key}", value=value, message=f"expected {expected}")


class _Builder:
    """Turns typed rows into model objects, placing each problem on its row."""

    def __init__(self, reader: _Reader, meta: dict[str, Any], *, geocode_online: bool) -> None:
        self.r = reader
        self.meta = meta
        self.start: dt.date = meta["start"]
        self.days: int = meta["days"]
        self.geocode_online = geocode_online
        self.geography = meta["geography"]

    # -- helpers -----------------------------------------------------------
    def rows(self, name: str) -> list[dict[str, Any]]:
        return self.r.table(SPEC_BY_NAME[name], self.start) or []

    def make(self, name: str, row: dict[str, Any], key: str, factory: Callable[[], Any]) -> Any:
        """Build one object; its invariant failures become row problems."""
        self.r.rows[name].setdefault(key, row["_row"])
        if not _ok(row):
            return None
        try:
            return factory()
        except InputError as exc:
            for p in exc.problems:
                column = _FIELD_TO_COLUMN.get(p.column, p.column)
                self.r.problems.add(file=name, row=row["_row"], column=column, value=p.value, message=p.message)
        except (ValueError, TypeError) as exc:
            self.r.problems.add(file=name, row=row["_row"], message=str(exc))
        return None

    def unique(self, name: str, rows: Iterable[dict[str, Any]], columns: tuple[str, ...], what: str) -> None:
        """Report rows repeating the key made of ``columns`` and mark them
        unusable, so the first row stands (rows whose key cells are empty or
        bad are reported already and skipped here)."""
        seen: dict[str, int] = {}
        for row in rows:
            cells = [row[c] for c in columns]
            if any(c is None or c is _BAD for c in cells):
                continue
            k = "|".join(str(c) for c in cells)
            if k in seen:
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column=columns[-1],
                    value=k,
                    message=f"duplicate {what} (first at row {seen[k]})",
                )
                row[columns[-1]] = _BAD  # the first row stands; this one is not used
            else:
                seen[k] = row["_row"]

    def day(self, name: str, row: dict[str, Any], column: str = "date") -> int | None:
        date = row[column]
        if date is _BAD or date is None:
            return None
        day = (date - self.start).days
        if not 0 <= day < self.days:
            last = self.start + dt.timedelta(days=self.days - 1)
            self.r.problems.add(
                file=name,
                row=row["_row"],
                column=column,
                value=date.isoformat(),
                message=f"outside the scenario's horizon {self.start} to {last}",
            )
            return None
        return day

    # -- geography ---------------------------------------------------------
    def geography_tables(self) -> tuple[tuple[District, ...], tuple[Area, ...]]:
        if self.geography == "essex":
            g = geo.essex()
            return g.districts, g.areas
        districts = []
        rows = self.rows("districts.csv")
        self.unique("districts.csv", rows, ("id",), "id")
        for row in rows:
            d = self.make("districts.csv", row, row["id"], lambda row=row: District(id=row["id"], name=row["name"]))
            if d:
                districts.append(d)
        areas = []
        rows = self.rows("areas.csv")
        self.unique("areas.csv", rows, ("id",), "id")
        for row in rows:
            a = self.make(
                "areas.csv",
                row,
                row["id"],
                lambda row=row: Area(
                    id=row["id"],
                    name=row["name"],
                    district_id=row["district"],
                    neighbourhood=row["neighbourhood"],
                    centroid=Location(row["lat"], row["lon"], bool(row["urban"])),
                    pop_total=row["pop_total"],
                    pop_16_64=row["pop_16_64"],
                    pop_65_plus=row["pop_65_plus"],
                    health_decile=row["health_decile"],
                    area_km2=row["area_km2"],
                ),
            )
            if a:
                areas.append(a)
        return tuple(districts), tuple(areas)

    def locate(
        self, name: str, row: dict[str, Any], areas: dict[str, Area]
    ) -> tuple[Location, str | None, Area | None] | None:
        """(location, normalised postcode, area) of a row, or None (reported)."""
        lat, lon, pc = row.get("lat"), row.get("lon"), row.get("postcode")
        if _BAD in (lat, lon, pc):
            return None
        where = {"file": name, "row": row["_row"]}
        postcode = None
        from_postcode: tuple[Location, str] | None = None
        if pc is not None:
            postcode = geo.normalise_postcode(pc) if self.geography != "planar" else pc
            if postcode is None:
                self.r.problems.add(**where, column="postcode", value=pc, message="is not a UK postcode")
                return None
            if self.geography == "essex":
                from_postcode = geo.essex().locate_postcode(postcode)
        if (lat is None) != (lon is None):
            column = "lon" if lon is None else "lat"
            self.r.problems.add(**where, column=column, value="", message="give both lat and lon, or neither")
            return None
        if lat is not None and lon is not None:
            if self.geography != "planar" and not geo.in_uk(lat, lon):
                hint = (
                    "lat and lon are swapped (the other way round, the point is in the UK)"
                    if geo.in_uk(lon, lat)
                    else "expected WGS84 degrees, e.g. lat 51.88, lon 0.90"
                )
                self.r.problems.add(
                    **where,
                    column="lat",
                    value=f"{lat}, {lon}",
                    message=f"lies outside the United Kingdom; {hint}",
                )
                return None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                self.r.problems.add(
                    **where,
                    column="lat" if not -90 <= lat <= 90 else "lon",
                    value=f"{lat}, {lon}",
                    message="expected lat in [-90, 90] and lon in [-180, 180]",
                )
                return None
            point = (lat, lon)
        elif from_postcode is not None:
            point = (from_postcode[0].lat, from_postcode[0].lon)
        elif postcode is not None:
            if self.geocode_online:
                try:
                    found = geo.geocode_online(postcode)
                except InputError as exc:
                    self.r.problems.add(**where, column="postcode", value=pc, message=str(exc))
                    return None
                point = (found.lat, found.lon)
            else:
                self.r.problems.add(
                    **where,
                    column="postcode",
                    value=pc,
                    message="unknown postcode (not in the embedded Essex postcode table); "
                    "give lat/lon, or use --geocode-online",
                )
                return None
        else:
            self.r.problems.add(**where, column="postcode", value="", message="give a postcode or lat/lon")
            return None
        area_id = row.get("area_id")
        area: Area | None = None
        if area_id is not None and area_id is not _BAD:
            area = areas.get(area_id)
            if area is None and self.geography == "essex":
                self.r.problems.add(
                    **where,
                    column="area_id",
                    value=area_id,
                    message="unknown small area (not an Essex LSOA 2021 code); leave it empty to derive it",
                )
                return None
        elif from_postcode is not None:
            area = areas.get(from_postcode[1])
        elif self.geography == "essex":
            area = geo.essex().area_of_point(*point)
        urban = area.centroid.urban if area else True
        return Location(point[0], point[1], urban), postcode, area

    # -- the scenario --------------------------------------------------------
    def build(self) -> dict[str, Any]:
        districts, areas = self.geography_tables()
        area_by_id = {a.id: a for a in areas}
        providers = self.providers()
        branches = self.branches(area_by_id)
        framework = self.framework()
        relations = self.relations()
        clients = self.clients(area_by_id, relations)
        packages = self.packages()
        visits = self.visits({p.id: p for p in packages})
        links = self.links()
        carers = self.carers(area_by_id)
        shifts = self.shifts()
        patches = self.patches()
        status_quo = None
        if (self.r.folder / "status_quo").is_dir():
            status_quo = _read_roster_tables(
                _Reader(self.r.folder / "status_quo", self.r.problems, prefix="status_quo/"),
                self.start,
                self.days,
                {v.id: v for v in visits},
                prefix="status_quo/",
                rows=self.r.rows,
            )
        settings = tuple(sorted(self.meta["settings"].items()))
        return dict(
            name=self.meta["name"],
            start=self.start,
            days=self.days,
            seed=self.meta["seed"],
            geography=self.geography,
            districts=districts,
            areas=areas,
            clients=tuple(clients),
            packages=tuple(packages),
            visits=tuple(visits),
            links=tuple(links),
            providers=tuple(providers),
            branches=tuple(branches),
            framework=framework,
            carers=tuple(carers),
            shifts=tuple(shifts),
            patches=tuple(patches),
            status_quo=status_quo,
            settings=settings,
        )

    def providers(self) -> list[Provider]:
        name = "providers.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        bands: dict[str, list[BandCapacity]] = defaultdict(list)
        cap_rows = self.rows("provider_capacity.csv")
        self.unique("provider_capacity.csv", cap_rows, ("provider_id", "weekday", "band"), "weekday+band")
        known = {r["id"] for r in rows}
        for row in cap_rows:
            if not _ok(row):
                continue
            if row["provider_id"] not in known:
                self.r.problems.add(
                    file="provider_capacity.csv",
                    row=row["_row"],
                    column="provider_id",
                    value=row["provider_id"],
                    message="unknown provider",
                )
                continue
            bands[row["provider_id"]].append(
                BandCapacity(weekday=WEEKDAYS.index(row["weekday"]), band=row["band"], hours=row["hours"])
            )
        out = []
        for row in rows:
            p = self.make(
                name,
                row,
                row["id"],
                lambda row=row: Provider(
                    id=row["id"],
                    name=row["name"],
                    tier=row["tier"],
                    rate_gbp_h=row["rate_gbp_h"],
                    capacity_hours_week=row["capacity_hours_week"],
                    band_capacity=tuple(sorted(bands.get(row["id"], ()), key=_band_key)),
                    patches=row["patches"] or frozenset(),
                ),
            )
            if p:
                out.append(p)
        return out

    def branches(self, areas: dict[str, Area]) -> list[Branch]:
        name = "branches.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            located = self.locate(name, row, areas)
            if located is None:
                self.r.rows[name].setdefault(row["id"] if _ok(row) else "", row["_row"])
                continue
            loc, postcode, _ = located
            b = self.make(
                name,
                row,
                row["id"],
                lambda row=row, loc=loc, postcode=postcode: Branch(
                    id=row["id"],
                    provider_id=row["provider_id"],
                    name=row["name"],
                    location=loc,
                    district_id=row["district"],
                    postcode=postcode,
                ),
            )
            if b:
                out.append(b)
        return out

    def framework(self) -> Framework:
        name = "framework.csv"
        rows = self.rows(name)
        lots: dict[tuple[str, str, str], list[tuple[int, str, int]]] = defaultdict(list)
        for row in rows:
            if not _ok(row):
                continue
            key = (row["district"], row["service_type"], row["cohort"])
            self.r.rows[name].setdefault("|".join((*key, row["provider_id"])), row["_row"])
            lots[key].append((row["rank"], row["provider_id"], row["_row"]))
        out = []
        for key, entries in sorted(lots.items()):
            entries.sort()
            for (r1, _, _), (r2, _, row2) in zip(entries, entries[1:]):
                if r1 == r2:
                    self.r.problems.add(
                        file=name, row=row2, column="rank", value=r2, message=f"rank used twice in lot {key}"
                    )
            seen: dict[str, int] = {}
            for _, pid, row_no in entries:
                if pid in seen:
                    self.r.problems.add(
                        file=name,
                        row=row_no,
                        column="provider_id",
                        value=pid,
                        message=f"provider listed twice in lot {key} (first at row {seen[pid]})",
                    )
                seen.setdefault(pid, row_no)
            providers = tuple(dict.fromkeys(pid for _, pid, _ in entries))
            out.append(Lot(district_id=key[0], service_type=key[1], cohort=key[2], providers=providers))
        return Framework(lots=tuple(out))

    def relations(self) -> dict[str, dict[str, Any]]:
        name = "client_carers.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("client_id", "carer_id", "relation"), "relation")
        out: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"known": [], "preferred": set(), "prohibited": set(), "rows": []}
        )
        for row in rows:
            if not _ok(row):
                continue
            self.r.rows[name].setdefault(f"{row['client_id']}|{row['carer_id']}", row["_row"])
            rel = out[row["client_id"]]
            rel["rows"].append(row["_row"])
            if row["relation"] == "known":
                rel["known"].append((row["carer_id"], int(row["visits"] or 0)))
            else:
                rel[row["relation"]].add(row["carer_id"])
        return out

    def clients(self, areas: dict[str, Area], relations: dict[str, dict[str, Any]]) -> list[Client]:
        name = "clients.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        ids = self.r.ids[name]
        for cid, rel in relations.items():
            if cid not in ids and name not in self.r.broken:
                self.r.problems.add(
                    file="client_carers.csv",
                    row=rel["rows"][0],
                    column="client_id",
                    value=cid,
                    message="unknown client",
                )
        for row in rows:
            located = self.locate(name, row, areas)
            if located is None:
                continue
            loc, postcode, area = located
            rel = relations.get(row["id"], {"known": [], "preferred": set(), "prohibited": set()})
            district = row["district"] or (area.district_id if area else None)
            if district is None:
                if row["area_id"]:
                    self.r.problems.add(
                        file=name,
                        row=row["_row"],
                        column="area_id",
                        value=row["area_id"],
                        message="unknown small area; give a known area_id or a district",
                    )
                else:
                    self.r.problems.add(
                        file=name, row=row["_row"], column="district", value="", message="give a district or an area_id"
                    )
                continue
            c = self.make(
                name,
                row,
                row["id"],
                lambda row=row, loc=loc, postcode=postcode, area=area, rel=rel, district=district: Client(
                    id=row["id"],
                    location=loc,
                    postcode=postcode,
                    area_id=row["area_id"] or (area.id if area else ""),
                    district_id=district,
                    cohort=row["cohort"],
                    gender=row["gender"],
                    gender_preference=row["gender_preference"],
                    preferred_carers=frozenset(rel["preferred"]),
                    prohibited_carers=frozenset(rel["prohibited"]),
                    history=tuple(sorted(rel["known"], key=lambda kv: (-kv[1], kv[0]))),
                ),
            )
            if c:
                out.append(c)
        return out

    def packages(self) -> list[Package]:
        name = "packages.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            p = self.make(
                name,
                row,
                row["id"],
                lambda row=row: Package(
                    id=row["id"],
                    client_id=row["client_id"],
                    service_type=row["service_type"],
                    hours_week=row["hours_week"],
                    start=row["start_date"],
                    urgency=row["urgency"],
                    status=row["status"],
                    provider_id=row["provider_id"],
                    received=row["received"],
                ),
            )
            if p:
                out.append(p)
        return out

    def visits(self, packages: dict[str, Package]) -> list[Visit]:
        name = "visits.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            day = self.day(name, row)
            if day is None or not _ok(row):
                self.r.rows[name].setdefault(row["id"] if row["id"] is not _BAD else "", row["_row"])
                continue
            where = {"file": name, "row": row["_row"]}
            if row["latest"] < row["earliest"]:
                self.r.problems.add(
                    **where,
                    column="latest",
                    value=_hhmm(row["latest"]),
                    message=f"window ends before it starts ({_hhmm(row['earliest'])})",
                )
                continue
            if row["latest"] - row["earliest"] < row["duration_min"]:
                self.r.problems.add(
                    **where,
                    column="duration_min",
                    value=row["duration_min"],
                    message=f"visit is longer than its window {_hhmm(row['earliest'])}-{_hhmm(row['latest'])} "
                    f"({row['latest'] - row['earliest']} min)",
                )
                continue
            latest_start = row["latest"] - row["duration_min"]
            if row["preferred"] is not None and not row["earliest"] <= row["preferred"] <= latest_start:
                self.r.problems.add(
                    **where,
                    column="preferred",
                    value=_hhmm(row["preferred"]),
                    message=f"preferred start is outside the window {_hhmm(row['earliest'])}-{_hhmm(latest_start)} "
                    f"in which the visit can start (it must end by {_hhmm(row['latest'])})",
                )
                continue
            pkg = packages.get(row["package_id"])
            client_id = row["client_id"] or (pkg.client_id if pkg else "")
            base = day * DAY_MIN
            target = None if row["preferred"] is None else base + row["preferred"]
            v = self.make(
                name,
                row,
                row["id"],
                lambda row=row, base=base, day=day, client_id=client_id, target=target: Visit(
                    id=row["id"],
                    package_id=row["package_id"],
                    client_id=client_id,
                    day=day,
                    early=base + row["earliest"],
                    late=base + row["latest"] - row["duration_min"],
                    duration_min=row["duration_min"],
                    target=target,
                    tolerance_min=row["tolerance_min"],
                    carers_required=row["carers_required"],
                    skills=row["skills"] or frozenset(),
                    label=row["label"],
                    load=row["load"],
                ),
            )
            if v:
                out.append(v)
        return out

    def links(self) -> list[VisitLink]:
        name = "visit_links.csv"
        out = []
        for row in self.rows(name):
            key = f"{row['first']}|{row['second']}"
            link = self.make(
                name,
                row,
                key,
                lambda row=row: VisitLink(
                    first=row["first"], second=row["second"], min_gap=row["min_gap"], max_gap=row["max_gap"]
                ),
            )
            if link:
                out.append(link)
        return out

    def carers(self, areas: dict[str, Area]) -> list[Carer]:
        name = "carers.csv"
        rows = self.rows(name)
        self.unique(name, rows, ("id",), "id")
        out = []
        for row in rows:
            located = self.locate(name, row, areas)
            if located is None:
                continue
            loc, postcode, _ = located
            c = self.make(
                name,
                row,
                row["id"],
                lambda row=row, loc=loc, postcode=postcode: Carer(
                    id=row["id"],
                    provider_id=row["provider_id"],
                    branch_id=row["branch_id"],
                    home=loc,
                    postcode=postcode,
                    mode=row["mode"],
                    skills=row["skills"] or frozenset(),
                    gender=row["gender"],
                    contracted_hours_week=row["contracted_hours_week"],
                    max_hours_week=row["max_hours_week"],
                    team_id=row["team"],
                ),
            )
            if c:
                out.append(c)
        return out

    def shifts(self) -> list[Shift]:
        name = "shifts.csv"
        rows = self.rows(name)
        out = []
        seen: dict[tuple[str, int], int] = {}
        for row in rows:
            day = self.day(name, row)
            if day is None or not _ok(row):
                continue
            key = (row["carer_id"], day)
            if key in seen:
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column="date",
                    value=row["date"].isoformat(),
                    message=f"carer '{row['carer_id']}' already has a shift that day (row {seen[key]}); "
                    "one shift per carer per day",
                )
                continue
            seen[key] = row["_row"]
            if row["end"] <= row["start"]:
                late = row["end"] + DAY_MIN
                self.r.problems.add(
                    file=name,
                    row=row["_row"],
                    column="end",
                    value=_hhmm(row["end"]),
                    message=f"shift ends {'before' if row['end'] < row['start'] else 'when'} it starts ({_hhmm(row['start'])})"
                    + f"; for a shift past midnight write the end as {_hhmm(late)}",
                )
                continue
            base = day * DAY_MIN
            s = self.make(
                name,
                row,
                f"{row['carer_id']}|{day}",
                lambda row=row, base=base, day=day: Shift(
                    carer_id=row["carer_id"],
                    day=day,
                    start=base + row["start"],
                    end=base + row["end"],
                    max_work_min=row["max_work_min"],
                ),
            )
            if s:
                out.append(s)
        return out

    def patches(self) -> list[Patch]:
        name = "patches.csv"
        rows = self.rows(name)
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.unique(name, rows, ("area_id",), "area_id")
        for row in rows:
            if _ok(row):
                self.r.rows[name].setdefault(f"{row['patch_id']}|{row['area_id']}", row["_row"])
                groups[row["patch_id"]].append(row)
        out = []
        for pid, group in groups.items():
            names = {r["name"] for r in group}
            leads = {r["lead_provider_id"] for r in group}
            if len(names) > 1 or len(leads) > 1:
                self.r.problems.add(
                    file=name,
                    row=group[0]["_row"],
                    column="name" if len(names) > 1 else "lead_provider_id",
                    value=pid,
                    message="rows of one patch disagree on its name or lead provider",
                )
                continue
            out.append(
                Patch(
                    id=pid,
                    name=group[0]["name"],
                    area_ids=frozenset(r["area_id"] for r in group),
                    lead_provider_id=group[0]["lead_provider_id"],
                )
            )
        return out


def _band_key(cap: BandCapacity) -> tuple[int, str]:
    return (cap.weekday, BAND_NAMES.index(cap.band))


#: Model field names that differ from the file's column names.
_FIELD_TO_COLUMN = {"early": "earliest", "late": "latest", "target": "preferred", "start": "start_date"}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


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


# ---------------------------------------------------------------------------
# Rosters
# ---------------------------------------------------------------------------
def read_roster(path: str | Path, scenario: Scenario) -> Roster:
    """Read a roster folder (roster.csv [, rounds.csv, unassigned.csv]) or a
    single roster.csv.

    Raises
    ------
    InputError
        On unreadable files, unknown carers or visits, or bad values.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    folder = p if p.is_dir() else p.parent
    problems = ProblemCollector()
    reader = _Reader(folder, problems)
    roster = _read_roster_tables(reader, scenario.start, scenario.days, scenario._index["visit"], prefix="")
    problems.raise_if_any()
    from patchplan.core.model import roster_reference_problems

    found = roster_reference_problems(scenario, roster, "roster.csv")
    if found:
        raise InputError([_with_row(q, reader) for q in found])
    return roster


def _read_roster_tables(
    reader: _Reader,
    start: dt.date,
    days: int,
    visits: dict[str, Visit],
    *,
    prefix: str,
    rows: dict[str, dict[str, int]] | None = None,
) -> Roster:
    b = _Builder(
        reader,
        {"start": start, "days": days, "geography": "essex", "settings": {}, "name": "", "seed": None},
        geocode_online=False,
    )
    stop_rows = b.rows("roster.csv")
    by_round: dict[tuple[str, int], list[tuple[int, int, Stop]]] = defaultdict(list)
    row_map = (rows if rows is not None else reader.rows)[f"{prefix}roster.csv"]
    for row in stop_rows:
        day = b.day("roster.csv", row)
        if day is None or not _ok(row):
            continue
        base = day * DAY_MIN
        row_map.setdefault(f"{row['carer_id']}|{day}|{row['visit_id']}", row["_row"])
        start_min = base + row["start"]
        visit = visits.get(row["visit_id"])
        duration = visit.duration_min if visit else 0
        stop = Stop(
            visit_id=row["visit_id"],
            arrival=base + row["arrival"] if row["arrival"] is not None else start_min,
            start=start_min,
            end=base + row["end"] if row["end"] is not None else start_min + duration,
            travel_min=row["travel_min"],
            travel_m=row["travel_m"],
        )
        seq = row["seq"] if row["seq"] is not None else start_min
        by_round[(row["carer_id"], day)].append((seq, row["_row"], stop))
    round_rows = {}
    for row in b.rows("rounds.csv"):
        day = b.day("rounds.csv", row)
        if day is None or not _ok(row):
            continue
        round_rows[(row["carer_id"], day)] = (day * DAY_MIN, row)
    rounds = []
    for (carer, day), items in by_round.items():  # file order: rosters round-trip exactly
        stops = tuple(s for _, _, s in sorted(items, key=lambda t: (t[0], t[1])))
        if (carer, day) in round_rows:
            base, row = round_rows[(carer, day)]
            leave, back = base + row["leave"], base + row["back"]
            ret_min, ret_m = row["return_min"], row["return_m"]
        else:
            leave, back = stops[0].arrival - stops[0].travel_min, stops[-1].end
            ret_min, ret_m = 0, 0
        rounds.append(
            Round(carer_id=carer, day=day, stops=stops, leave=leave, back=back, return_min=ret_min, return_m=ret_m)
        )
    unassigned = []
    for row in b.rows("unassigned.csv"):
        if not _ok(row):
            continue
        try:
            reason = Reason(row["reason"])
        except ValueError:
            reader.problems.add(
                file="unassigned.csv",  # the reader adds the folder prefix
                row=row["_row"],
                column="reason",
                value=row["reason"],
                message=f"expected one of {', '.join(r.value for r in Reason)}",
            )
            continue
        unassigned.append(Unassigned(visit_id=row["visit_id"], reason=reason, detail=row["detail"]))
    meta: tuple[tuple[str, str], ...] = ()
    meta_path = reader.folder / "meta.toml"
    if meta_path.is_file():
        try:
            meta = tuple(sorted((str(k), str(v)) for k, v in tomllib.loads(meta_path.read_text("utf-8")).items()))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            reader.problems.add(file="meta.toml", message=f"is not valid TOML: {exc}")
    provider = dict(meta).get("provider_id") or None
    return Roster(rounds=tuple(rounds), unassigned=tuple(unassigned), provider_id=provider, meta=meta)


def write_roster(roster: Roster, scenario: Scenario, folder: str | Path) -> Path:
    """Write a roster folder: roster.csv, rounds.csv, unassigned.csv, meta.toml."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    stops = []
    rounds = []
    for rnd in roster.rounds:
        base = rnd.day * DAY_MIN
        date = scenario.date(rnd.day).isoformat()
        for seq, s in enumerate(rnd.stops):
            stops.append(
                {
                    "carer_id": rnd.carer_id,
                    "date": date,
                    "visit_id": s.visit_id,
                    "start": _hhmm(s.start - base),
                    "seq": seq,
                    "arrival": _hhmm(s.arrival - base),
                    "end": _hhmm(s.end - base),
                    "travel_min": s.travel_min,
                    "travel_m": s.travel_m,
                }
            )
        rounds.append(
            {
                "carer_id": rnd.carer_id,
                "date": date,
                "leave": _hhmm(rnd.leave - base),
                "back": _hhmm(rnd.back - base),
                "return_min": rnd.return_min,
                "return_m": rnd.return_m,
            }
        )
    _write(out / "roster.csv", stops, SPEC_BY_NAME["roster.csv"])
    _write(out / "rounds.csv", rounds, SPEC_BY_NAME["rounds.csv"])
    _write(
        out / "unassigned.csv",
        [{"visit_id": u.visit_id, "reason": u.reason.value, "detail": u.detail} for u in roster.unassigned],
        SPEC_BY_NAME["unassigned.csv"],
    )
    meta = dict(roster.meta)
    if roster.provider_id:
        meta["provider_id"] = roster.provider_id
    (out / "meta.toml").write_text(tomli_w.dumps(meta), encoding="utf-8")
    return out


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


def _write(path: Path, rows: list[dict[str, Any]], spec: FileSpec) -> None:
    frame = pd.DataFrame(rows, columns=[c.name for c in spec.columns])
    if path.suffix == ".parquet":
        frame.astype(str).replace({"None": ""}).to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")


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
    t["visits.csv"] = [_visit_row(s, v) for v in s.visits]
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
            "start": _hhmm(sh.start - sh.day * DAY_MIN),
            "end": _hhmm(sh.end - sh.day * DAY_MIN),
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


def _visit_row(s: Scenario, v: Visit) -> dict[str, Any]:
    base = v.day * DAY_MIN
    return {
        "id": v.id,
        "package_id": v.package_id,
        "client_id": v.client_id,
        "date": s.date(v.day).isoformat(),
        "earliest": _hhmm(v.early - base),
        "latest": _hhmm(v.late + v.duration_min - base),
        "duration_min": v.duration_min,
        "preferred": "" if v.target is None else _hhmm(v.target - base),
        "tolerance_min": v.tolerance_min,
        "carers_required": v.carers_required,
        "skills": _list(v.skills),
        "label": v.label,
        "load": v.load,
    }


# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------
def input_format_markdown() -> str:
    """``docs/input-format.md``, generated from :mod:`patchplan.io.schema`."""
    lines = [
        "# Input format",
        "",
        "<!-- Generated by `python -m patchplan.io.folder`; edit src/patchplan/schema.py instead. -->",
        "",
        "A **scenario** is one folder: `scenario.toml` plus one table per entity. "
        "Tables may be CSV (UTF-8, comma-separated, header row), Parquet (`.parquet`) "
        "or Excel (`.xlsx`) with the same name and columns. Rows are numbered as a "
        "spreadsheet shows them: the header is row 1.",
        "",
        "Conventions: optional keys are in [brackets]; an empty cell means the default. "
        "Dates are `YYYY-MM-DD`. "
        "Times are `HH:MM` on the row's date; hours past 23 mean the next morning "
        "(`25:30` = 01:30 the next day). Lists are separated by `;`. "
        "Every location is a `postcode` (looked up offline in the embedded Essex "
        "postcode table) or `lat`/`lon` (WGS84), or both (then lat/lon win).",
        "",
        "Every problem found is reported with its file, row, column, value and what "
        "was expected, all in one pass (up to "
        f"{MAX_PROBLEMS}); the CLI exits with code 2. Every row of a CSV must have as many "
        "fields as its header; empty rows are skipped. Legal but suspicious data (unknown "
        "columns or files, empty rows, skills no carer holds, ...) give warnings.",
        "",
        "## scenario.toml",
        "",
        "| key | type | description |",
        "|---|---|---|",
        "| [name] | string | scenario name (default: the folder's name) |",
        "| start | date | first day of the horizon, e.g. `2026-11-23` (a Monday for weekly plans) |",
        f"| [days] | integer | length of the horizon in days (default 7, at most {_MAX_DAYS}) |",
        "| [seed] | integer | seed the scenario was generated with |",
        "| [geography] | string | `essex` (default: the embedded Essex small areas), `custom` "
        "(read `districts.csv` and `areas.csv`) or `planar` (benchmark instances) |",
        "| [travel.MODE] | table | overrides of the default travel model per mode "
        "(`car`, `walk`, `bike`, `public`): `circuity`, `urban_kmh`, `rural_kmh`, `access_min` |",
        "",
        "Other tables (e.g. `[generator]`) are kept and written back unchanged.",
    ]
    for title, specs in (("Scenario tables", SPECS), ("Roster folders", ROSTER_SPECS)):
        lines += ["", f"# {title}"]
        for spec in specs:
            lines += ["", f"## {spec.name}{'' if spec.required else ' (optional)'}", "", spec.doc, ""]
            lines += ["| column | type | unit | description |", "|---|---|---|---|"]
            for col in spec.columns:
                name = col.name if col.required else f"[{col.name}]"
                kind = col.kind if not col.choices else f"{col.kind}: {', '.join(col.choices)}"
                doc = col.doc
                if col.default not in (None, ""):
                    doc += f" (default {col.default})"
                if col.nullable and col.required:
                    doc += " (may be empty)"
                lines.append(f"| {name} | {kind} | {col.unit} | {doc} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(input_format_markdown(), end="")


# ---------------------------------------------------------------------------
# Re-planning events
# ---------------------------------------------------------------------------
_EVENT_COLUMNS = (
    "type",
    "carer_id",
    "visit_id",
    "time",
    "minutes",
    "package_id",
    "earliest",
    "latest",
    "duration_min",
    "reason",
)


def read_events(path: str | Path, scenario: Scenario) -> list[Any]:
    """Events for :func:`patchplan.rounds.replan.replan` from a CSV.

    Columns: ``type`` (carer_off, overrun, cancel, new_visit), then what the
    type needs: carer_off: carer_id, time (HH:MM, on the day being
    re-planned, or YYYY-MM-DDTHH:MM); overrun: visit_id, minutes; cancel:
    visit_id [, reason]; new_visit: visit_id (new id), package_id, earliest,
    latest (latest finish), duration_min and time's date part for the day.

    Raises
    ------
    InputError
        Naming the row, column and value of every problem.
    """
    from patchplan.rounds.replan import Cancel, CarerOff, NewVisit, Overrun

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    problems = ProblemCollector()
    try:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False)
    except Exception as exc:  # a broken file is bad input
        raise InputError(f"{p.name}: cannot be read as CSV: {exc}") from None
    if "type" not in frame.columns:
        raise InputError(f"{p.name}: required column 'type' is missing")
    events: list[Any] = []

    def moment(row_no: int, text: str, column: str) -> int | None:
        try:
            if "T" in text:
                when = dt.datetime.fromisoformat(text)
                return scenario.day_of(when.date()) * DAY_MIN + when.hour * 60 + when.minute
            match = _TIME.match(text)
            if match:
                return int(match.group(1)) * 60 + int(match.group(2))
        except (ValueError, InputError):
            pass
        problems.add(file=p.name, row=row_no, column=column, value=text, message="expected HH:MM or YYYY-MM-DDTHH:MM")
        return None

    for i, row in enumerate(frame.to_dict("records")):
        row_no = i + 2
        kind = row.get("type", "").strip()
        get = lambda c: str(row.get(c, "")).strip()  # noqa: E731
        if kind == "carer_off":
            if not scenario.has("carer", get("carer_id")):
                problems.add(file=p.name, row=row_no, column="carer_id", value=get("carer_id"), message="unknown carer")
                continue
            at = moment(row_no, get("time"), "time")
            if at is not None:
                events.append(CarerOff(get("carer_id"), at))
        elif kind in ("overrun", "cancel"):
            if not scenario.has("visit", get("visit_id")):
                problems.add(file=p.name, row=row_no, column="visit_id", value=get("visit_id"), message="unknown visit")
                continue
            if kind == "cancel":
                events.append(Cancel(get("visit_id"), get("reason") or "cancelled"))
                continue
            try:
                events.append(Overrun(get("visit_id"), int(get("minutes"))))
            except ValueError:
                problems.add(
                    file=p.name, row=row_no, column="minutes", value=get("minutes"), message="expected whole minutes"
                )
        elif kind == "new_visit":
            pkg_id = get("package_id")
            if not scenario.has("package", pkg_id):
                problems.add(file=p.name, row=row_no, column="package_id", value=pkg_id, message="unknown package")
                continue
            base = moment(row_no, get("time") or "00:00", "time")
            early = moment(row_no, get("earliest"), "earliest")
            late = moment(row_no, get("latest"), "latest")
            try:
                duration = int(get("duration_min"))
            except ValueError:
                problems.add(
                    file=p.name,
                    row=row_no,
                    column="duration_min",
                    value=get("duration_min"),
                    message="expected whole minutes",
                )
                continue
            if None in (base, early, late):
                continue
            day_start = (base // DAY_MIN) * DAY_MIN  # type: ignore[operator]
            try:
                visit = Visit(
                    id=get("visit_id"),
                    package_id=pkg_id,
                    client_id=scenario.package(pkg_id).client_id,
                    day=day_start // DAY_MIN,
                    early=day_start + early % DAY_MIN,  # type: ignore[operator]
                    late=day_start + late % DAY_MIN - duration,  # type: ignore[operator]
                    duration_min=duration,
                    label="urgent",
                )
            except InputError as exc:
                for q in exc.problems:
                    problems.add(file=p.name, row=row_no, column=q.column, value=q.value, message=q.message)
                continue
            events.append(NewVisit(visit))
        else:
            problems.add(
                file=p.name,
                row=row_no,
                column="type",
                value=kind,
                message="expected carer_off, overrun, cancel or new_visit",
            )
    problems.raise_if_any()
    return events
