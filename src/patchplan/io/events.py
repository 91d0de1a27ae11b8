"""Re-planning events files (carer_off, overrun, cancel, new_visit) -> event objects.

The file is read like every scenario table (:mod:`patchplan.io.tables`: strict
CSV, UTF-8 with the row of a bad byte, repeated headers, blank rows counted),
against :data:`patchplan.io.schema.EVENTS_SPEC`. Every event must be about the
re-planned day; nothing in the file is silently ignored: a filled cell the
row's type does not use, an unknown carer or visit, a new visit reusing an
id, a second event about the same visit or carer are all reported with their
row, column and value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from patchplan.core.errors import InputError, Problem, ProblemCollector
from patchplan.core.events import Cancel, CarerOff, NewVisit, Overrun
from patchplan.core.model import DAY_MIN, Roster, Scenario, Visit
from patchplan.io.cells import _BAD, _ok, clock_minutes, hhmm
from patchplan.io.schema import EVENT_COLUMNS, EVENT_REQUIRED, EVENTS_SPEC, column_of
from patchplan.io.tables import TABLE_SUFFIXES, _Reader


def read_events(
    path: str | Path, scenario: Scenario, *, day: int | None = None, roster: Roster | None = None
) -> list[Any]:
    """Events for :func:`patchplan.rounds.replan.replan` from a CSV (see docs/replan-events.md).

    Parameters
    ----------
    path
        The events file: exactly this file is read.
    scenario
        The scenario the roster was planned for.
    day
        The re-planned day (the day of ``--now``); ``HH:MM`` times are on it
        and every event must be about it. Default: the horizon's first day.
    roster
        Today's roster: when given, a carer_off must name one of its
        provider's carers and a new_visit one of its provider's packages.

    Raises
    ------
    InputError
        Naming the file, row, column and value of every problem.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected an events file (CSV)")
    if p.suffix.lower() not in TABLE_SUFFIXES:
        raise InputError(f"{p.name}: expected a .csv events file (or .parquet, .xlsx)")
    problems = ProblemCollector()
    reader = _Reader(p.parent, problems)
    loaded = reader._load(p, EVENTS_SPEC)
    if loaded is None:
        problems.raise_if_any()
        raise InputError(f"{p.name}: cannot be read as an events table")  # pragma: no cover - always reported
    frame, numbers = loaded
    rows = reader._typed_rows(frame, numbers, EVENTS_SPEC, p.name)
    events = _Events(scenario, p.name, problems, 0 if day is None else day, roster).read(rows)
    problems.raise_if_any()
    return events


class _Events:
    """Turns typed event rows into events, reporting each problem on its row."""

    def __init__(self, s: Scenario, file: str, problems: ProblemCollector, day: int, roster: Roster | None) -> None:
        self.s, self.file, self.problems, self.day = s, file, problems, day
        self.provider = roster.provider_id if roster is not None else None
        self.seen: dict[tuple[str, str], int] = {}  # (what, id) -> row of the first event about it

    def bad(self, row: dict[str, Any], column: str, value: object, message: str) -> None:
        self.problems.add(file=self.file, row=row["_row"], column=column, value=value, message=message)

    def read(self, rows: list[dict[str, Any]]) -> list[Any]:
        out = []
        for row in rows:
            kind = row["type"]
            if kind is _BAD:  # reported by the reader
                continue
            if not self._columns_fit(row, kind) or not _ok(row):
                continue
            event = getattr(self, kind)(row)
            if event is not None:
                out.append(event)
        return out

    def _columns_fit(self, row: dict[str, Any], kind: str) -> bool:
        ok = True
        for column in EVENTS_SPEC.columns[1:]:
            filled = row[column.name] not in (None, "")
            if filled and column.name not in EVENT_COLUMNS[kind]:
                self.bad(row, column.name, row[column.name], f"is not used by a {kind} event; leave it empty")
                ok = False
            if not filled and column.name in EVENT_REQUIRED[kind]:
                self.bad(row, column.name, "", f"is required for a {kind} event")
                ok = False
        return ok

    def _once(self, row: dict[str, Any], what: str, ident: str, column: str) -> bool:
        first = self.seen.setdefault((what, ident), row["_row"])
        if first != row["_row"]:
            self.bad(row, column, ident, f"a second event about this {what} (the first is on row {first})")
            return False
        return True

    def moment(self, row: dict[str, Any], column: str) -> int | None:
        """Minutes from the horizon start of an ``HH:MM`` (on the re-planned day) or a date-time on it."""
        text = str(row[column]).strip()
        minutes = clock_minutes(text)
        if minutes is not None:
            if minutes >= 2 * DAY_MIN:
                self.bad(row, column, text, "expected a time before 48:00 (the next morning at the latest)")
                return None
            return self.day * DAY_MIN + minutes
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            self.bad(row, column, text, "expected HH:MM or YYYY-MM-DDTHH:MM")
            return None
        if when.tzinfo is not None:
            self.bad(row, column, text, "has a time-zone offset; give the local clock time without one")
            return None
        if when.date() != self.s.date(self.day):
            where = "before the horizon" if when.date() < self.s.start else f"not {self.s.date(self.day)}"
            self.bad(row, column, text, f"is {where}: events must be on the re-planned day")
            return None
        return self.day * DAY_MIN + when.hour * 60 + when.minute

    def _visit_today(self, row: dict[str, Any]) -> str | None:
        vid = row["visit_id"]
        if not self.s.has("visit", vid):
            self.bad(row, "visit_id", vid, "unknown visit")
            return None
        visit = self.s.visit(vid)
        if visit.day != self.day:
            self.bad(
                row, "visit_id", vid, f"is on {self.s.date(visit.day)}, not the re-planned day {self.s.date(self.day)}"
            )
            return None
        return vid if self._once(row, "visit", vid, "visit_id") else None

    def carer_off(self, row: dict[str, Any]) -> CarerOff | None:
        cid = row["carer_id"]
        if not self.s.has("carer", cid):
            self.bad(row, "carer_id", cid, "unknown carer")
            return None
        if self.provider is not None and self.s.carer(cid).provider_id != self.provider:
            self.bad(row, "carer_id", cid, f"is not a carer of the roster's provider {self.provider!r}")
            return None
        at = self.moment(row, "time")
        if at is None or not self._once(row, "carer", cid, "carer_id"):
            return None
        return CarerOff(cid, at)

    def overrun(self, row: dict[str, Any]) -> Overrun | None:
        vid = self._visit_today(row)
        return None if vid is None else Overrun(vid, row["minutes"])

    def cancel(self, row: dict[str, Any]) -> Cancel | None:
        vid = self._visit_today(row)
        return None if vid is None else Cancel(vid, row["reason"] or "cancelled")

    def new_visit(self, row: dict[str, Any]) -> NewVisit | None:
        vid, pkg_id = row["visit_id"], row["package_id"]
        ok = True
        if self.s.has("visit", vid):
            self.bad(row, "visit_id", vid, "a visit with this id exists already; give the new visit a new id")
            ok = False
        if not self.s.has("package", pkg_id):
            self.bad(row, "package_id", pkg_id, "unknown package")
            return None
        package = self.s.package(pkg_id)
        if self.provider is not None and package.provider_id != self.provider:
            self.bad(row, "package_id", pkg_id, f"is not placed with the roster's provider {self.provider!r}")
            ok = False
        if row["time"] not in (None, "") and self.moment(row, "time") is None:
            ok = False
        early, late = self.moment(row, "earliest"), self.moment(row, "latest")
        if not ok or early is None or late is None or not self._once(row, "visit", vid, "visit_id"):
            return None
        duration = row["duration_min"]
        if late - early < duration:
            self.bad(
                row,
                "latest",
                hhmm(late - self.day * DAY_MIN),
                f"the window {hhmm(early - self.day * DAY_MIN)}-{hhmm(late - self.day * DAY_MIN)} "
                f"is shorter than the visit ({duration} min)",
            )
            return None
        try:
            visit = Visit(
                id=vid,
                package_id=pkg_id,
                client_id=package.client_id,
                day=self.day,
                early=early,
                late=late - duration,
                duration_min=duration,
                label="urgent",
            )
        except InputError as exc:
            for q in exc.problems:
                self._model_problem(row, q)
            return None
        return NewVisit(visit)

    def _model_problem(self, row: dict[str, Any], q: Problem) -> None:
        self.bad(row, column_of(q.entity, q.field), q.value, q.message)
