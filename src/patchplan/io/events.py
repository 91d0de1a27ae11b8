"""Re-planning events files (carer_off, overrun, cancel, new_visit) -> event objects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from patchplan.core.errors import InputError, ProblemCollector
from patchplan.core.events import Cancel, CarerOff, NewVisit, Overrun
from patchplan.core.model import (
    DAY_MIN,
    Scenario,
    Visit,
)
from patchplan.io.cells import clock_minutes
from patchplan.io.schema import column_of

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
            minutes = clock_minutes(text)
            if minutes is not None:
                return minutes
        except (ValueError, InputError):
            pass
        problems.add(file=p.name, row=row_no, column=column, value=text, message="expected HH:MM or YYYY-MM-DDTHH:MM")
        return None

    for i, row in enumerate(frame.to_dict("records")):
        row_no = i + 2
        kind = row.get("type", "").strip()
        get = lambda c: str(row.get(c, "")).strip()
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
                    problems.add(
                        file=p.name, row=row_no, column=column_of(q.entity, q.field), value=q.value, message=q.message
                    )
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
