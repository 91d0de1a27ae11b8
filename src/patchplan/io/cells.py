"""The one cell parser and clock formatter every reader uses.

Each parser turns a cell's text into a typed value (ids, text, whole numbers,
finite numbers, dates, HH:MM times, ;-lists, enums, tiers, weekdays) or raises
``ValueError`` with the message a user sees ("expected a date YYYY-MM-DD").
Readers add the file, row and column. :data:`BAD` marks a cell already reported.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from patchplan.core.model import (
    SPOT_TIER,
)
from patchplan.core.patterns import parse_weekdays
from patchplan.io.schema import Column

_TIME = re.compile(r"^([0-9]{1,5}):([0-5][0-9])(?::([0-5][0-9]))?$", re.ASCII)
_INT = re.compile(r"^[+-]?([0-9]+)(\.0*)?$", re.ASCII)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_CLOCK = re.compile(r"^[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$", re.ASCII)
#: Whole numbers beyond this are typing slips, not durations or counts.
_MAX_INT = 10**9


class _Bad:
    """Marks a cell that failed to parse (already reported)."""

    def __repr__(self) -> str:
        return "<bad>"


_BAD: Any = _Bad()


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
        "weekdays": "weekdays such as Mon-Fri, Mon,Wed,Fri, daily or Sat-Sun",
    }[col.kind]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _p_id(text: str, col: Column) -> str:
    if text != text.strip():
        raise ValueError("has spaces around it; ids must match exactly")
    if _CONTROL.search(text):  # a tab or an invisible character: two ids that look equal would differ
        raise ValueError("holds a control character (e.g. a tab or an invisible character); ids must be plain text")
    return text


def _p_text(text: str, col: Column) -> str:
    return text


def _p_int(text: str, col: Column) -> int:
    value = parse_whole(text)
    if col.choices and str(value) not in col.choices:
        raise ValueError(f"expected one of {', '.join(col.choices)}")
    return value


def parse_number(text: str) -> float:
    """A finite number as a spreadsheet writes it (no ``1_000``, NaN or infinity); ValueError otherwise."""
    if "_" in text:  # Python's float() accepts 1_000; a spreadsheet does not
        raise ValueError("expected a number")
    try:
        value = float(text)
    except ValueError:
        raise ValueError("expected a number") from None
    if not math.isfinite(value):
        raise ValueError("expected a number")
    return value


def parse_whole(text: str) -> int:
    """A whole number (``7`` or ``7.0``) up to a billion; ValueError otherwise."""
    match = _INT.match(text)
    if not match:
        raise ValueError("expected a whole number")
    if len(match.group(1).lstrip("0")) > 10 or int(match.group(1)) > _MAX_INT:
        raise ValueError(f"is too large; expected a whole number up to {_MAX_INT:,}")
    return int(text.split(".")[0])


def _p_float(text: str, col: Column) -> float:
    return parse_number(text)


def parse_date(text: str) -> dt.date:
    """A date ``YYYY-MM-DD`` (a spreadsheet's ``YYYY-MM-DD 00:00:00`` too); ValueError says what was expected."""
    day, _, clock = text.partition("T" if "T" in text else " ")
    if not _DATE.match(day) or (clock and not _CLOCK.match(clock)):
        raise ValueError("expected a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise ValueError("expected a date YYYY-MM-DD; there is no such day") from None


def clock_minutes(text: str) -> int | None:
    """``HH:MM`` (hours may pass 23: ``25:30`` is 01:30 the next day) as minutes, or None."""
    match = _TIME.match(text)
    if not match:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def hhmm(minutes: int) -> str:
    """The clock every writer uses: minutes after midnight as ``HH:MM`` (``25:30`` past midnight)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _p_date(text: str, col: Column) -> dt.date:
    return parse_date(text)


def _p_time(text: str, col: Column) -> int:
    """Minutes after midnight of the row's date."""
    minutes = clock_minutes(text)
    if minutes is None:
        raise ValueError(f"expected {_expect(col)}")
    return minutes


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


def _p_weekdays(text: str, col: Column) -> tuple[int, ...]:
    """Weekdays, 0 = Monday (the grammar is :func:`patchplan.core.patterns.parse_weekdays`)."""
    return parse_weekdays(text)


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
    "weekdays": _p_weekdays,
}


def _ok(row: dict[str, Any]) -> bool:
    return all(v is not _BAD for v in row.values())
