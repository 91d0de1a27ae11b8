"""Reading one table (CSV, Parquet or Excel) into typed rows.

Strict CSV (every record has the header's width), required and duplicate
columns, blank rows skipped but counted so row numbers match a spreadsheet,
and every cell parsed by :mod:`patchplan.io.cells`. Problems carry file, row,
column and value; a file that cannot be used is reported once.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io as _io
import math
import os
import warnings
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd

from patchplan.core.errors import DataQualityWarning, Problem, ProblemCollector
from patchplan.io.cells import _BAD, _PARSERS, _expect
from patchplan.io.schema import Column, FileSpec, column_of, file_of

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xls")


# ---------------------------------------------------------------------------
# Reading tables
# ---------------------------------------------------------------------------
class _Reader:
    """Reads the tables of one folder, collecting problems and rows."""

    def __init__(
        self, folder: Path, problems: ProblemCollector, prefix: str = "", only: dict[str, Path] | None = None
    ) -> None:
        self.folder = folder
        #: When set, exactly these files are read (spec name -> path) and no
        #: other table is looked for: a file named by the user is the one read.
        self.only = only
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
            if spec.required and spec.name not in self.broken:
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
        if self.only is not None:
            return self.only.get(spec.name)
        stem = spec.name.removesuffix(".csv")
        for suffix in TABLE_SUFFIXES:
            link = self.folder / f"{stem}{suffix}"
            if link.is_symlink() and not link.exists():  # not "missing": it is there, pointing nowhere
                try:
                    target = os.readlink(link)
                except OSError:
                    target = "?"
                self.broken.add(spec.name)
                self.problems.add(
                    file=link.name,
                    value=target,
                    message="is a broken or looping link (it points to a file that does not exist, or to itself)",
                )
                return None
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
        except Exception as exc:  # noqa: BLE001 - any reader failure is a bad file, not a crash
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
                records.append(record)  # noqa: PERF402 - one by one: a csv.Error needs the row it stopped at
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
                    elif col.maximum is not None and value > col.maximum:
                        self.problems.add(file=name, row=number, column=col.name, value=text, message=_too_large(col))
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


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet/Excel cells as the text a CSV would hold."""

    def cell(x: object) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
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


def _too_large(col: Column) -> str:
    if col.kind == "time":
        return "expected a time before 48:00 (hours past 23 are the next morning; no later)"
    if (col.unit, col.maximum) == ("hours", 168):
        return "must be <= 168 (the hours in a week)"
    if (col.unit, col.maximum) == ("minutes", 1_440):
        return "must be <= 1440 (the minutes in a day)"
    return f"must be <= {col.maximum:,g}"


def _with_row(p: Problem, reader: _Reader) -> Problem:
    """A problem placed on its file, row and column: the model names entity,
    record and field (:func:`patchplan.io.schema.file_of`, ``column_of``)."""
    file = p.file or file_of(p.entity)
    column = p.column or (column_of(p.entity, p.field) if p.field else "")
    row = p.row if p.row is not None else reader.rows.get(file, {}).get(p.key or "")
    return dataclasses.replace(p, file=file, row=row, column=column)


def _write(path: Path, rows: list[dict[str, Any]], spec: FileSpec) -> None:
    frame = pd.DataFrame(rows, columns=[c.name for c in spec.columns])
    if path.suffix == ".parquet":
        frame.astype(str).replace({"None": ""}).to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, lineterminator="\n")
