"""Live demand: packages awaiting a provider, summarised and published safely.

The brokerage team's feed of packages still awaiting a provider (the
"live demand") is read from a scenario folder, a CSV or JSON file in the
format of ``docs/demand-feed.md``, a folder of such files, or an http(s)
URL. :func:`summary` counts hours awaiting by district, service type,
cohort and time band with their ageing; :func:`publish` writes the version
providers may see to plan their business: no names, ids, postcodes, exact
points or dates, locations coarsened to a small area (MSOA), postcode
sector or district, and small cells merged or suppressed.

The feed is personal data. Nothing here logs an id, a postcode or a point;
error messages name the file, row, field and offending value so the feed's
owner can fix it.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import html
import io as _io
import json
import logging
import math
import re
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from patchplan.geo import geography as geo
from patchplan.core.errors import DataQualityWarning, InputError, ProblemCollector
from patchplan.core.model import (
    BAND_NAMES,
    COHORTS,
    DAY_MIN,
    RESPONSE_DAYS,
    SERVICE_TYPES,
    URGENCIES,
    WEEKDAYS,
    Area,
    Client,
    Location,
    Package,
    Scenario,
    band_minutes,
)

log = logging.getLogger("patchplan")

#: Band of hours not split by time of day: live-in care and packages whose
#: call pattern is not known yet, and (in published files) hours of bands
#: too small to show on their own.
ALL_DAY = "all_day"
#: Time bands of the summary and the published cells, in order.
BANDS = (*BAND_NAMES, ALL_DAY)
#: Ageing buckets: (label, first day, last day or None).
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-14", 8, 14),
    ("15-28", 15, 28),
    ("29+", 29, None),
)
#: Units locations are coarsened to when publishing.
LEVELS = ("msoa", "sector", "district")
#: Default smallest number of clients a published cell may describe.
DEFAULT_K = 5

#: Feed columns: name -> (required, description). ``postcode`` or
#: ``lat``/``lon`` locate the client; see docs/demand-feed.md.
FEED_COLUMNS: dict[str, tuple[bool, str]] = {
    "package_id": (True, "package id (unique in the feed)"),
    "client_id": (True, "client id"),
    "postcode": (False, "UK postcode of the client's home (looked up offline in the embedded Essex table)"),
    "lat": (False, "latitude of the client's home (WGS84), with lon"),
    "lon": (False, "longitude of the client's home (WGS84), with lat"),
    "district": (False, "district code or name; derived from the location when empty"),
    "service_type": (True, f"one of {', '.join(SERVICE_TYPES)}"),
    "cohort": (True, f"one of {', '.join(COHORTS)}"),
    "urgency": (False, f"one of {', '.join(URGENCIES)} (default routine)"),
    "received": (True, "date the request reached brokerage, YYYY-MM-DD"),
    "start_date": (False, "date care should start, YYYY-MM-DD (default: received)"),
    "hours_week": (False, "care hours a week (a double-up call counts twice); derived from visits when empty"),
    "visits": (False, "the weekly call pattern (see docs/demand-feed.md); empty for live-in care"),
}
#: Keys of one call in a JSON feed's ``visits`` list.
CALL_KEYS = ("weekday", "earliest", "latest", "duration_min", "carers_required", "skills", "preferred")

#: Largest feed read from a URL (bytes).
MAX_URL_BYTES = 64 * 1024 * 1024
URL_TIMEOUT_S = 30.0

_TIME = re.compile(r"^([0-9]{1,2}):([0-5][0-9])$", re.ASCII)
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", re.ASCII)
_INT = re.compile(r"^[0-9]+$", re.ASCII)
_DURATION = re.compile(r"^([0-9]+)(?:[xX]([0-9]+))?$", re.ASCII)
_CARERS = re.compile(r"^[xX]([0-9]+)$", re.ASCII)
_DAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    full: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_DAY_GROUPS = {"daily": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}


# ---------------------------------------------------------------------------
# The demand items
# ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class WeeklyCall:
    """One call of a package's weekly pattern, on one weekday.

    Times are minutes from midnight of ``weekday``; ``latest`` is the latest
    finish and may pass midnight (``latest > 1440``).
    """

    weekday: int
    earliest: int
    latest: int
    duration_min: int
    carers_required: int = 1
    skills: frozenset[str] = frozenset()
    #: Preferred start, when the feed gives one.
    preferred: int | None = None

    @property
    def start(self) -> int:
        """The start used to split care into bands: the preferred start, else
        the middle of the window."""
        if self.preferred is not None:
            return self.preferred
        return self.earliest + max(0, self.latest - self.earliest - self.duration_min) // 2

    @property
    def care_minutes(self) -> int:
        """Paid minutes: duration times carers (a double-up counts twice)."""
        return self.duration_min * self.carers_required


@dataclass(frozen=True, slots=True, kw_only=True)
class DemandItem:
    """One package awaiting a provider, with its client and weekly calls.

    The package's ``hours_week`` is the authority for totals; the calls only
    split it into weekdays and time bands (scaled to ``hours_week`` when they
    add up to something else). A package without calls (live-in care, or a
    pattern not known yet) counts in the band :data:`ALL_DAY`.

    The repr shows no id, postcode or point, so an item is safe in a log.
    """

    package: Package
    client: Client
    calls: tuple[WeeklyCall, ...] = ()
    district_name: str = ""
    #: ((weekday, band), hours a week), derived from the calls.
    hours_by_band: tuple[tuple[tuple[int, str], float], ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hours_by_band", _split_hours(self.package.hours_week, self.calls))

    def __repr__(self) -> str:
        return (
            f"DemandItem({self.package.service_type}, {self.client.cohort}, "
            f"{self.package.hours_week:g} h/week, {self.package.urgency})"
        )

    @property
    def area_id(self) -> str:
        """Small area (LSOA) of the client's home."""
        return self.client.area_id

    @property
    def district_id(self) -> str:
        return self.client.district_id

    @property
    def service_type(self) -> str:
        return self.package.service_type

    @property
    def cohort(self) -> str:
        return self.client.cohort

    @property
    def hours_week(self) -> float:
        return self.package.hours_week

    @property
    def received(self) -> dt.date | None:
        return self.package.received

    @property
    def deadline(self) -> dt.date | None:
        """Date a provider should be found by: received + the response days
        of the urgency (:data:`patchplan.core.model.RESPONSE_DAYS`)."""
        if self.package.received is None:
            return None
        return self.package.received + dt.timedelta(days=RESPONSE_DAYS[self.package.urgency])

    def age_days(self, today: dt.date) -> int | None:
        """Days since the request was received (0 when received today or
        later), or None when the date is unknown."""
        if self.package.received is None:
            return None
        return max(0, (today - self.package.received).days)

    def age_bucket(self, today: dt.date) -> str:
        """The ageing bucket label (``0-7`` ... ``29+``), or ``unknown``."""
        age = self.age_days(today)
        if age is None:
            return "unknown"
        for label, lo, hi in AGE_BUCKETS:
            if age >= lo and (hi is None or age <= hi):
                return label
        return AGE_BUCKETS[-1][0]  # pragma: no cover - the buckets cover every age

    def overdue(self, today: dt.date) -> bool:
        """Past its response deadline on ``today``."""
        deadline = self.deadline
        return deadline is not None and today > deadline

    def hours_in_band(self) -> dict[str, float]:
        """Hours a week per band (summed over weekdays)."""
        out: dict[str, float] = defaultdict(float)
        for (_, band), hours in self.hours_by_band:
            out[band] += hours
        return dict(out)


def _split_hours(hours_week: float, calls: Sequence[WeeklyCall]) -> tuple[tuple[tuple[int, str], float], ...]:
    minutes: dict[tuple[int, str], float] = defaultdict(float)
    for call in calls:
        for band, m in band_minutes(call.start, call.start + call.duration_min).items():
            minutes[(call.weekday, band)] += m * call.carers_required
    total = sum(minutes.values())
    if total <= 0:
        return tuple(((w, ALL_DAY), hours_week / 7) for w in range(7))
    factor = hours_week / total
    return tuple(sorted((key, m * factor) for key, m in minutes.items()))


# ---------------------------------------------------------------------------
# Reading the feed
# ---------------------------------------------------------------------------
def read_feed(source: str | Path | Scenario, scenario: Scenario | None = None) -> tuple[DemandItem, ...]:
    """Read the live demand feed: packages awaiting a provider.

    Parameters
    ----------
    source
        One of: a scenario folder (its packages with status ``awaiting``), a
        :class:`~patchplan.core.model.Scenario`, a ``.csv`` or ``.json`` feed file
        (docs/demand-feed.md), a folder of such files (read in name order),
        or an ``http://``/``https://`` URL returning CSV or JSON.
    scenario
        Geography to locate the feed's clients in: its districts and small
        areas (default: the embedded Essex geography).

    Returns
    -------
    tuple of DemandItem
        In feed order.

    Raises
    ------
    InputError
        On an unreadable source or bad rows: every problem found, each with
        file, row, field and value.
    """
    if isinstance(source, Scenario):
        return from_scenario(source)
    text = str(source)
    if re.match(r"^https?://", text, re.IGNORECASE):
        return _read_url(text, _Places.of(scenario))
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        if (path / "scenario.toml").is_file():
            from patchplan.io.folder import read_scenario

            return from_scenario(read_scenario(path))
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".json"))
        if not files:
            raise InputError(f"{path}: no demand feed files (*.csv, *.json) and no scenario.toml in this folder")
        return _read_files(files, _Places.of(scenario))
    if path.name == "scenario.toml":
        return read_feed(path.parent)
    if path.suffix.lower() not in (".csv", ".json"):
        raise InputError(f"{path}: expected a .csv or .json demand feed, a folder, or a URL")
    return _read_files([path], _Places.of(scenario))


def from_scenario(s: Scenario) -> tuple[DemandItem, ...]:
    """The packages of a scenario with status ``awaiting``, with the calls
    of their first week (weekday from the scenario's calendar)."""
    week = min(s.days, 7)
    out = []
    for p in s.packages:
        if p.status != "awaiting":
            continue
        client = s.client(p.client_id)
        calls = []
        for v in s.visits_of_package(p.id):
            if v.day >= week:
                continue
            base = v.day * DAY_MIN
            calls.append(
                WeeklyCall(
                    weekday=s.weekday(v.day),
                    earliest=v.early - base,
                    latest=v.late + v.duration_min - base,
                    duration_min=v.duration_min,
                    carers_required=v.carers_required,
                    skills=v.skills,
                    preferred=None if v.target is None else v.target - base,
                )
            )
        name = s.district(client.district_id).name if s.has("district", client.district_id) else client.district_id
        out.append(DemandItem(package=p, client=client, calls=tuple(calls), district_name=name))
    log.info("demand feed from scenario: %d packages awaiting", len(out))
    return tuple(out)


def default_today(source: str | Path | Scenario) -> dt.date:
    """The date ageing is measured at when none is given: a scenario's first
    day for a scenario, else today's date."""
    if isinstance(source, Scenario):
        return source.start
    path = Path(str(source))
    if not re.match(r"^https?://", str(source), re.IGNORECASE):
        toml = path if path.name == "scenario.toml" else path / "scenario.toml"
        if toml.is_file():
            import tomllib

            try:
                start = tomllib.loads(toml.read_text(encoding="utf-8")).get("start")
            except (OSError, tomllib.TOMLDecodeError):
                start = None
            if isinstance(start, dt.date):
                return start
            if isinstance(start, str):
                try:
                    return dt.date.fromisoformat(start)
                except ValueError:
                    pass
    return dt.date.today()


@dataclass(frozen=True)
class _Places:
    """Districts and areas that locate the feed's clients."""

    districts: tuple[tuple[str, str], ...]  # (id, name)
    areas: Mapping[str, Area]
    essex: bool

    @staticmethod
    def of(scenario: Scenario | None) -> _Places:
        if scenario is None or not scenario.areas:
            g = geo.essex()
            return _Places(tuple((d.id, d.name) for d in g.districts), g.area_by_id, True)
        return _Places(
            tuple((d.id, d.name) for d in scenario.districts),
            {a.id: a for a in scenario.areas},
            scenario.geography == "essex",
        )

    @functools.cached_property
    def district_lookup(self) -> dict[str, str]:
        out = {i.lower(): i for i, _ in self.districts}
        out.update({name.lower(): i for i, name in self.districts})
        return out

    @functools.cached_property
    def names(self) -> dict[str, str]:
        return dict(self.districts)

    def area_of_point(self, lat: float, lon: float) -> Area:
        if self.essex:
            return geo.essex().area_of_point(lat, lon)
        areas = list(self.areas.values())
        cos = math.cos(math.radians(lat))
        return min(areas, key=lambda a: (a.centroid.lat - lat) ** 2 + ((a.centroid.lon - lon) * cos) ** 2)


def _read_url(url: str, places: _Places) -> tuple[DemandItem, ...]:
    parts = urllib.parse.urlsplit(url)
    shown = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))  # no query (tokens)
    request = urllib.request.Request(url, headers={"Accept": "text/csv, application/json;q=0.9, */*;q=0.1"})
    try:
        with urllib.request.urlopen(request, timeout=URL_TIMEOUT_S) as response:  # noqa: S310 - http(s) only
            data = response.read(MAX_URL_BYTES + 1)
            ctype = response.headers.get_content_type()
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        raise InputError(f"demand feed {shown}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"demand feed {shown}: could not be read ({reason})") from None
    if len(data) > MAX_URL_BYTES:
        raise InputError(f"demand feed {shown}: larger than {MAX_URL_BYTES // 2**20} MB")
    try:
        text = data.decode(charset, errors="strict")
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"demand feed {shown}: not {charset} text") from None
    text = text.lstrip("\ufeff")
    if ctype == "application/json" or ctype.endswith("+json"):
        kind = "json"
    elif ctype in ("text/csv", "application/csv"):
        kind = "csv"
    elif parts.path.lower().endswith((".json", ".csv")):
        kind = parts.path.lower().rsplit(".", 1)[1]
    else:
        kind = "json" if text.lstrip()[:1] in ("[", "{") else "csv"
    problems = ProblemCollector()
    items = _parse(text, kind, shown, places, problems, {})
    problems.problems.sort(key=lambda p: p.row or 0)
    problems.raise_if_any()
    log.info("demand feed from a URL: %d packages awaiting", len(items))
    return tuple(items)


def _read_files(files: Sequence[Path], places: _Places) -> tuple[DemandItem, ...]:
    problems = ProblemCollector()
    seen: dict[str, str] = {}
    items: list[DemandItem] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            problems.add(file=str(path), message="is not UTF-8 text")
            continue
        except OSError as exc:
            problems.add(file=str(path), message=f"cannot be read ({exc.strerror or exc})")
            continue
        before = len(problems.problems)
        items += _parse(text, path.suffix.lower().lstrip("."), str(path), places, problems, seen)
        problems.problems[before:] = sorted(problems.problems[before:], key=lambda p: p.row or 0)
    problems.raise_if_any()
    log.info("demand feed: %d packages awaiting from %d file(s)", len(items), len(files))
    return tuple(items)


def _parse(
    text: str, kind: str, file: str, places: _Places, problems: ProblemCollector, seen: dict[str, str]
) -> list[DemandItem]:
    records = _csv_records(text, file, problems) if kind == "csv" else _json_records(text, file, problems)
    out = []
    for row, record in records:
        item = _Row(record, file, row, problems, kind).item(places, seen)
        if item is not None:
            out.append(item)
    return out


def _csv_records(text: str, file: str, problems: ProblemCollector) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(_io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        problems.add(file=file, row=reader.line_num, message=f"is not valid CSV ({exc})")
        return []
    if not rows or not any(cell.strip() for cell in rows[0]):
        problems.add(file=file, row=1, message="has no header row; expected columns " + ", ".join(FEED_COLUMNS))
        return []
    header = [cell.strip().lower() for cell in rows[0]]
    ok = True
    for i, name in enumerate(header):
        if name and name in header[:i]:
            problems.add(file=file, row=1, column=name, value=name, message="column appears twice")
            ok = False
    for name, (required, _) in FEED_COLUMNS.items():
        if required and name not in header:
            problems.add(file=file, row=1, column=name, message="required column is missing")
            ok = False
    if "postcode" not in header and not {"lat", "lon"} <= set(header):
        problems.add(file=file, row=1, column="postcode", message="give a postcode column or lat and lon columns")
        ok = False
    _warn_unknown(file, [h for h in header if h])
    if not ok:
        return []
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            problems.add(
                file=file,
                row=number,
                value=len(cells),
                message=f"has {len(cells)} fields but the header has {len(header)}",
            )
            continue
        out.append((number, {h: c for h, c in zip(header, cells, strict=True) if h}))
    return out


def _json_records(text: str, file: str, problems: ProblemCollector) -> list[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problems.add(file=file, message=f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        return []
    if isinstance(data, dict) and "packages" in data:
        data = data["packages"]
    if not isinstance(data, list):
        problems.add(file=file, message='expected a list of packages, or an object {"packages": [...]}')
        return []
    out = []
    unknown: set[str] = set()
    for number, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            problems.add(file=file, row=number, value=_short(record), message="expected an object (one package)")
            continue
        record = {str(k).strip().lower(): v for k, v in record.items()}
        unknown |= set(record) - set(FEED_COLUMNS)
        out.append((number, record))
    _warn_unknown(file, sorted(unknown))
    return out


def _warn_unknown(file: str, columns: Iterable[str]) -> None:
    unknown = sorted(set(columns) - set(FEED_COLUMNS))
    if unknown:
        warnings.warn(
            f"{file}: ignoring unknown fields {unknown} (nothing from them is kept); "
            f"known fields are {list(FEED_COLUMNS)}",
            DataQualityWarning,
            stacklevel=2,
        )


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _short(value: object) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


class _Row:
    """One package of the feed: its fields parsed and checked, problems
    collected with file, row, field and value."""

    def __init__(self, record: dict[str, Any], file: str, row: int, problems: ProblemCollector, kind: str) -> None:
        self.rec, self.file, self.row, self.problems, self.kind = record, file, row, problems, kind
        self.ok = True

    def bad(self, column: str, value: object, message: str) -> None:
        self.ok = False
        self.problems.add(file=self.file, row=self.row, column=column, value=value, message=message)

    # -- cells ------------------------------------------------------------
    def text(self, column: str) -> str | None:
        value = self.rec.get(column)
        if value is None:
            return None
        if isinstance(value, bool) or isinstance(value, (list, dict)):
            self.bad(column, _short(value), "expected a single value")
            return None
        text = str(value) if not isinstance(value, str) else value
        return text if text.strip() else None

    def ident(self, column: str) -> str | None:
        text = self.text(column)
        if text is None:
            if _empty(self.rec.get(column)):
                self.bad(column, "", "is required")
            return None
        if text != text.strip():
            self.bad(column, text, "has spaces around it; ids must match exactly")
            return None
        return text

    def enum(self, column: str, choices: Sequence[str], default: str | None = None) -> str | None:
        text = self.text(column)
        if text is None:
            if default is None:
                self.bad(column, "", f"is required: one of {', '.join(choices)}")
            return default
        if text.strip() not in choices:
            self.bad(column, text, f"expected one of {', '.join(choices)}")
            return None
        return text.strip()

    def date(self, column: str, required: bool) -> dt.date | None:
        text = self.text(column)
        if text is None:
            if required:
                self.bad(column, "", "is required: a date YYYY-MM-DD")
            return None
        day = text.strip()
        if not _DATE.match(day):
            self.bad(column, text, "expected a date YYYY-MM-DD")
            return None
        try:
            return dt.date.fromisoformat(day)
        except ValueError:
            self.bad(column, text, "expected a date YYYY-MM-DD; there is no such day")
            return None

    def number(self, column: str) -> float | None:
        value = self.rec.get(column)
        if _empty(value):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.bad(column, _short(value), "expected a number")
            return None
        if isinstance(value, str):
            try:
                number = float(value.strip()) if "_" not in value else math.nan
            except ValueError:
                number = math.nan
        else:
            number = float(value)
        if not math.isfinite(number):
            self.bad(column, value, "expected a number")
            return None
        return number

    # -- the package ------------------------------------------------------
    def item(self, places: _Places, seen: dict[str, str]) -> DemandItem | None:
        package_id = self.ident("package_id")
        client_id = self.ident("client_id")
        if package_id is not None:
            here = f"{self.file} row {self.row}"
            if package_id in seen:
                self.bad("package_id", package_id, f"duplicate package id (first at {seen[package_id]})")
            else:
                seen[package_id] = here
        service = self.enum("service_type", SERVICE_TYPES)
        cohort = self.enum("cohort", COHORTS)
        urgency = self.enum("urgency", URGENCIES, default="routine")
        received = self.date("received", required=True)
        start = self.date("start_date", required=False)
        hours = self.number("hours_week")
        if hours is not None and hours <= 0:
            self.bad("hours_week", self.rec.get("hours_week"), "must be > 0")
            hours = None
        calls = self.calls()
        located = self.locate(places)
        district = self.district(places, located[1] if located else None)
        if calls and service == "live_in":
            self.bad(
                "visits", _short(self.rec.get("visits")), "a live-in carer lives in: live-in packages have no visits"
            )
        care_h = sum(c.care_minutes for c in calls or ()) / 60
        if calls == [] and _empty(self.rec.get("hours_week")):
            self.bad("hours_week", "", "is required when there are no visits")
        if service != "live_in" and hours is not None and care_h and abs(hours - care_h) > max(0.25, 0.05 * hours):
            warnings.warn(
                f"{self.file} row {self.row}: hours_week {hours:g} differs from the visits' "
                f"{care_h:.2f} hours a week; using hours_week (the visits only split it into bands)",
                DataQualityWarning,
                stacklevel=4,
            )
        if not self.ok or located is None or district is None or calls is None:
            return None
        location, area, postcode = located
        hours_week = hours if hours is not None else round(care_h, 4)
        try:
            client = Client(
                id=client_id,  # type: ignore[arg-type]
                location=location,
                area_id=area.id,
                district_id=district,
                cohort=cohort,  # type: ignore[arg-type]
                postcode=postcode,
            )
            package = Package(
                id=package_id,  # type: ignore[arg-type]
                client_id=client_id,  # type: ignore[arg-type]
                service_type=service,  # type: ignore[arg-type]
                hours_week=hours_week,
                start=start or received,  # type: ignore[arg-type]
                urgency=urgency,  # type: ignore[arg-type]
                status="awaiting",
                received=received,
            )
        except InputError as exc:  # the checks above should have caught it
            for p in exc.problems:
                self.bad(p.column, p.value, p.message)
            return None
        return DemandItem(
            package=package, client=client, calls=tuple(calls), district_name=places.names.get(district, district)
        )

    def locate(self, places: _Places) -> tuple[Location, Area, str | None] | None:
        raw_pc = self.text("postcode")
        lat, lon = self.number("lat"), self.number("lon")
        if _empty(self.rec.get("lat")) != _empty(self.rec.get("lon")):
            missing = "lon" if _empty(self.rec.get("lon")) else "lat"
            self.bad(missing, "", "give both lat and lon, or neither")
            return None
        postcode = None
        from_table = None
        if raw_pc is not None:
            postcode = geo.normalise_postcode(raw_pc)
            if postcode is None:
                self.bad("postcode", raw_pc, "is not a UK postcode")
                return None
            if places.essex:
                from_table = geo.essex().locate_postcode(postcode)
        if lat is not None and lon is not None:
            if not geo.in_uk(lat, lon):
                hint = (
                    "lat and lon are swapped (the other way round, the point is in the UK)"
                    if geo.in_uk(lon, lat)
                    else "expected WGS84 degrees, e.g. lat 51.73, lon 0.47"
                )
                self.bad("lat", f"{lat}, {lon}", f"lies outside the United Kingdom; {hint}")
                return None
            area = places.areas.get(from_table[1]) if from_table else None
            area = area or places.area_of_point(lat, lon)
            return Location(lat, lon, area.centroid.urban), area, postcode
        if from_table is not None:
            area = places.areas.get(from_table[1]) or places.area_of_point(from_table[0].lat, from_table[0].lon)
            return from_table[0], area, postcode
        if raw_pc is not None:
            self.bad(
                "postcode",
                raw_pc,
                "unknown postcode (not in the embedded Essex postcode table); give lat and lon",
            )
        elif self.ok:
            self.bad("postcode", "", "give a postcode or lat and lon")
        return None

    def district(self, places: _Places, area: Area | None) -> str | None:
        text = self.text("district")
        if text is None:
            return area.district_id if area is not None else None
        found = places.district_lookup.get(text.strip().lower())
        if found is None:
            self.bad("district", text, "unknown district; known: " + ", ".join(name for _, name in places.districts))
            return None
        if area is not None and area.district_id != found:
            warnings.warn(
                f"{self.file} row {self.row}: district {text!r} differs from the district of the "
                f"client's location ({places.names.get(area.district_id, area.district_id)}); "
                "using the location's",
                DataQualityWarning,
                stacklevel=4,
            )
            return area.district_id
        return found

    # -- the weekly call pattern -------------------------------------------
    def calls(self) -> list[WeeklyCall] | None:
        value = self.rec.get("visits")
        if value is None or (isinstance(value, str) and not value.strip()):
            return []
        out: list[WeeklyCall] = []
        ok = True
        if isinstance(value, str):
            for n, part in enumerate((p.strip() for p in value.split(";")), start=1):
                if not part:
                    continue
                try:
                    out += _call_from_text(part)
                except ValueError as exc:
                    self.bad("visits", part, f"call {n}: {exc}")
                    ok = False
        elif isinstance(value, list):
            for n, call in enumerate(value, start=1):
                try:
                    out += _call_from_object(call)
                except _CallError as exc:
                    self.bad(f"visits[{n}].{exc.key}" if exc.key else f"visits[{n}]", exc.value, str(exc))
                    ok = False
        else:
            self.bad("visits", _short(value), "expected a list of calls, or the calls as text (docs/demand-feed.md)")
            ok = False
        return out if ok else None


class _CallError(ValueError):
    def __init__(self, message: str, key: str = "", value: object = None) -> None:
        super().__init__(message)
        self.key, self.value = key, value


def _days(spec: str) -> tuple[int, ...]:
    """'daily', 'weekdays', 'weekends', 'mon', 'mon-fri', 'mon,wed,fri'."""
    out: list[int] = []
    for part in (p.strip().lower() for p in spec.split(",")):
        if part in _DAY_GROUPS:
            out += _DAY_GROUPS[part]
            continue
        first, sep, last = part.partition("-")
        if first not in _DAY_NAMES or (sep and last not in _DAY_NAMES):
            raise ValueError(
                f"days {spec!r}: expected daily, weekdays, weekends, a day (mon..sun), "
                "a range (mon-fri) or a list (mon,wed,fri)"
            )
        a = _DAY_NAMES[first]
        b = _DAY_NAMES[last] if sep else a
        out += [(a + i) % 7 for i in range((b - a) % 7 + 1)]
    if len(set(out)) != len(out):
        raise ValueError(f"days {spec!r}: a day is listed twice")
    return tuple(out)


def _clock(text: str, what: str, latest: bool = False) -> int:
    match = _TIME.match(text.strip())
    if not match:
        raise ValueError(f"{what} {text!r}: expected a time HH:MM")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes >= (2 * DAY_MIN if latest else DAY_MIN):
        raise ValueError(f"{what} {text!r}: expected a time before {'48:00' if latest else '24:00'}")
    return minutes


def _make_calls(
    days: tuple[int, ...],
    earliest: int,
    latest: int,
    duration: int,
    carers: int,
    skills: frozenset[str],
    preferred: int | None,
) -> list[WeeklyCall]:
    if duration <= 0:
        raise _CallError(f"duration {duration} must be > 0 minutes", "duration_min", duration)
    if carers not in (1, 2):
        raise _CallError(f"carers {carers} must be 1 or 2 (2 = double-up)", "carers_required", carers)
    if latest <= earliest:
        raise _CallError(f"window ends ({_hhmm(latest)}) before it starts ({_hhmm(earliest)})", "latest", _hhmm(latest))
    if latest - earliest > DAY_MIN:
        raise _CallError("window is longer than a day", "latest", _hhmm(latest))
    if latest - earliest < duration:
        raise _CallError(
            f"a {duration}-minute call does not fit its window {_hhmm(earliest)}-{_hhmm(latest)}",
            "duration_min",
            duration,
        )
    if preferred is not None and not earliest <= preferred <= latest - duration:
        raise _CallError(
            f"preferred start {_hhmm(preferred)} is outside {_hhmm(earliest)}-{_hhmm(latest - duration)}",
            "preferred",
            _hhmm(preferred),
        )
    return [
        WeeklyCall(
            weekday=d,
            earliest=earliest,
            latest=latest,
            duration_min=duration,
            carers_required=carers,
            skills=skills,
            preferred=preferred,
        )
        for d in days
    ]


def _call_from_text(text: str) -> list[WeeklyCall]:
    """``DAYS HH:MM-HH:MM[@HH:MM] MINUTES[xCARERS] [xCARERS] [SKILL ...]``."""
    tokens = text.replace("+", " ").split()
    if len(tokens) < 3:
        raise ValueError("expected DAYS EARLIEST-LATEST MINUTES, e.g. 'daily 07:00-09:00 45'")
    days = _days(tokens[0])
    window, _, pref = tokens[1].partition("@")
    first, sep, last = window.partition("-")
    if not sep:
        raise ValueError(f"window {tokens[1]!r}: expected EARLIEST-LATEST, e.g. 07:00-09:00")
    earliest, latest = _clock(first, "earliest"), _clock(last, "latest", latest=True)
    preferred = _clock(pref, "preferred", latest=True) if pref else None
    match = _DURATION.match(tokens[2])
    if not match:
        raise ValueError(f"duration {tokens[2]!r}: expected whole minutes, e.g. 45 or 45x2 for a double-up")
    duration = int(match.group(1))
    carers = int(match.group(2)) if match.group(2) else 1
    rest = tokens[3:]
    if rest and _CARERS.match(rest[0]) and not match.group(2):
        carers = int(_CARERS.match(rest[0]).group(1))  # type: ignore[union-attr]
        rest = rest[1:]
    skills = frozenset(t.strip(",") for t in rest if t.strip(","))
    try:
        return _make_calls(days, earliest, latest, duration, carers, skills, preferred)
    except _CallError as exc:
        raise ValueError(str(exc)) from None


def _call_from_object(call: object) -> list[WeeklyCall]:
    if not isinstance(call, dict):
        raise _CallError("expected an object {weekday, earliest, latest, duration_min, ...}", "", _short(call))
    call = {str(k).strip().lower(): v for k, v in call.items()}
    unknown = sorted(set(call) - set(CALL_KEYS))
    if unknown:
        raise _CallError(f"unknown keys {unknown}; expected {list(CALL_KEYS)}", unknown[0], _short(call[unknown[0]]))
    for key in ("weekday", "earliest", "latest", "duration_min"):
        if call.get(key) in (None, "", []):
            raise _CallError("is required", key, "")

    def text(key: str) -> str:
        value = call[key]
        if not isinstance(value, str):
            raise _CallError("expected a time HH:MM (text)", key, _short(value))
        return value

    def whole(key: str, default: int) -> int:
        value = call.get(key, default)
        if isinstance(value, bool):
            raise _CallError("expected a whole number", key, value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT.match(value.strip()):
            return int(value.strip())
        raise _CallError("expected a whole number", key, _short(value))

    weekday = call["weekday"]
    try:
        if isinstance(weekday, list) and all(isinstance(d, str) for d in weekday):
            days = _days(",".join(weekday))
        elif isinstance(weekday, str):
            days = _days(weekday)
        else:
            raise ValueError(
                "expected a day (mon..sun), a range (mon-fri), daily, weekdays, weekends, or a list of days"
            )
        earliest = _clock(text("earliest"), "earliest")
        latest = _clock(text("latest"), "latest", latest=True)
        preferred = None if call.get("preferred") in (None, "") else _clock(text("preferred"), "preferred", latest=True)
    except _CallError:
        raise
    except ValueError as exc:
        key = str(exc).split(" ", 1)[0]
        key = key if key in CALL_KEYS else "weekday"
        raise _CallError(str(exc), key, _short(call.get(key))) from None
    skills_value = call.get("skills") or []
    if isinstance(skills_value, str):
        skills = frozenset(s.strip() for s in skills_value.split(";") if s.strip())
    elif isinstance(skills_value, list) and all(isinstance(s, str) for s in skills_value):
        skills = frozenset(s.strip() for s in skills_value if s.strip())
    else:
        raise _CallError("expected a list of skills", "skills", _short(skills_value))
    return _make_calls(days, earliest, latest, whole("duration_min", 0), whole("carers_required", 1), skills, preferred)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def write_feed(items: Iterable[DemandItem], path: str | Path) -> Path:
    """Write items as a demand feed file (CSV or JSON, by the suffix).

    Writes the client's postcode and, when it has none, its lat/lon; the
    calls in the feed's call syntax (CSV) or as objects (JSON). Reading the
    file back gives the same packages and calls (calls come back ordered by
    weekday). This is personal data: keep it where the feed is kept.

    Raises
    ------
    InputError
        When the suffix is neither ``.csv`` nor ``.json``.
    """
    path = Path(path)
    kind = path.suffix.lower()
    if kind not in (".csv", ".json"):
        raise InputError(f"{path}: expected a .csv or .json file name")
    records = [_feed_record(item, as_text=kind == ".csv") for item in items]
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == ".json":
        path.write_text(json.dumps({"packages": records}, indent=1) + "\n", encoding="utf-8")
    else:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(FEED_COLUMNS), lineterminator="\n")
            writer.writeheader()
            writer.writerows(records)
    return path


def _feed_record(item: DemandItem, as_text: bool) -> dict[str, Any]:
    c, p = item.client, item.package
    located = c.postcode is not None
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for call in item.calls:
        weekday, earliest, latest, preferred = call.weekday, call.earliest, call.latest, call.preferred
        if earliest >= DAY_MIN:  # starts after midnight: the next weekday's call
            weekday, earliest, latest = (weekday + 1) % 7, earliest - DAY_MIN, latest - DAY_MIN
            preferred = None if preferred is None else preferred - DAY_MIN
        key = (earliest, latest, preferred, call.duration_min, call.carers_required, tuple(sorted(call.skills)))
        groups[key].append(weekday)
    calls: list[Any] = []
    for (earliest, latest, preferred, duration, carers, skills), days in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1:3].__repr__(), kv[0][3:].__repr__())
    ):
        day_text = "daily" if sorted(days) == list(range(7)) else ",".join(WEEKDAYS[d] for d in sorted(days))
        if as_text:
            window = f"{_hhmm(earliest)}-{_hhmm(latest)}" + ("" if preferred is None else f"@{_hhmm(preferred)}")
            text = f"{day_text} {window} {duration}" + (f"x{carers}" if carers != 1 else "")
            calls.append(" ".join([text, *skills]))
        else:
            obj: dict[str, Any] = {
                "weekday": day_text,
                "earliest": _hhmm(earliest),
                "latest": _hhmm(latest),
                "duration_min": duration,
                "carers_required": carers,
                "skills": list(skills),
            }
            if preferred is not None:
                obj["preferred"] = _hhmm(preferred)
            calls.append(obj)
    return {
        "package_id": p.id,
        "client_id": c.id,
        "postcode": c.postcode or "",
        "lat": "" if located else c.location.lat,
        "lon": "" if located else c.location.lon,
        "district": item.district_id,
        "service_type": p.service_type,
        "cohort": c.cohort,
        "urgency": p.urgency,
        "received": "" if p.received is None else p.received.isoformat(),
        "start_date": p.start.isoformat(),
        "hours_week": p.hours_week,
        "visits": "; ".join(calls) if as_text else calls,
    }


# ---------------------------------------------------------------------------
# Summary
# ---------------------------------------------------------------------------
_AGE_COLUMNS = {label: "age_" + label.replace("-", "_").replace("+", "_plus") for label, _, _ in AGE_BUCKETS}
_AGE_COLUMNS["unknown"] = "age_unknown"


def summary(items: Iterable[DemandItem], today: dt.date) -> pd.DataFrame:
    """Hours awaiting and packages by district x service type x cohort x band.

    Parameters
    ----------
    items
        The feed (:func:`read_feed`).
    today
        The date ageing and deadlines are judged at.

    Returns
    -------
    pandas.DataFrame
        One row per district, service type, cohort and band (:data:`BANDS`)
        with any hours: ``district_id``, ``district``, ``service_type``,
        ``cohort``, ``band``, ``packages`` (packages with hours in the band:
        a package with morning and evening calls counts in both rows),
        ``hours_week`` (these add up to the feed's total), ageing counts
        ``age_0_7``, ``age_8_14``, ``age_15_28``, ``age_29_plus``,
        ``age_unknown``, and ``overdue`` (past the response deadline). The
        headline numbers (:func:`totals`) are in ``frame.attrs["totals"]``.
    """
    items = tuple(items)
    cells: dict[tuple[str, str, str, str, str], dict[str, Any]] = {}
    for item in items:
        bucket = _AGE_COLUMNS[item.age_bucket(today)]
        late = item.overdue(today)
        for band, hours in item.hours_in_band().items():
            key = (item.district_id, item.district_name or item.district_id, item.service_type, item.cohort, band)
            cell = cells.setdefault(
                key, {"packages": 0, "hours_week": 0.0, **dict.fromkeys(_AGE_COLUMNS.values(), 0), "overdue": 0}
            )
            cell["packages"] += 1
            cell["hours_week"] += hours
            cell[bucket] += 1
            cell["overdue"] += int(late)
    columns = [
        "district_id",
        "district",
        "service_type",
        "cohort",
        "band",
        "packages",
        "hours_week",
        *_AGE_COLUMNS.values(),
        "overdue",
    ]
    rows = [dict(zip(columns[:5], key, strict=True)) | value for key, value in cells.items()]
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame["_band"] = frame["band"].map(BANDS.index)
        frame = frame.sort_values(["district", "service_type", "cohort", "_band"]).drop(columns="_band")
        frame = frame.reset_index(drop=True)
    frame.attrs["totals"] = totals(items, today)
    return frame


def totals(items: Iterable[DemandItem], today: dt.date) -> dict[str, Any]:
    """Headline numbers of the feed, overall and by district (JSON-ready).

    Returns
    -------
    dict
        ``packages``, ``clients``, ``hours_awaiting``, ``overdue``,
        ``ageing`` (packages per bucket), ``by_band`` (hours), ``by_service``
        (hours), and ``by_district``: a list of the same per district.
    """
    items = tuple(items)

    def block(group: Sequence[DemandItem]) -> dict[str, Any]:
        ageing = dict.fromkeys([label for label, _, _ in AGE_BUCKETS], 0)
        by_band: dict[str, float] = dict.fromkeys(BANDS, 0.0)
        by_service: dict[str, float] = defaultdict(float)
        for item in group:
            bucket = item.age_bucket(today)
            ageing[bucket] = ageing.get(bucket, 0) + 1
            for band, hours in item.hours_in_band().items():
                by_band[band] += hours
            by_service[item.service_type] += item.hours_week
        return {
            "packages": len(group),
            "clients": len({item.client.id for item in group}),
            "hours_awaiting": round(sum(item.hours_week for item in group), 2),
            "overdue": sum(item.overdue(today) for item in group),
            "ageing": ageing,
            "by_band": {band: round(h, 2) for band, h in by_band.items() if h > 0},
            "by_service": {s: round(h, 2) for s, h in sorted(by_service.items())},
        }

    districts: dict[str, list[DemandItem]] = defaultdict(list)
    for item in items:
        districts[item.district_id].append(item)
    by_district = [
        {"district_id": did, "district": group[0].district_name or did, **block(group)}
        for did, group in sorted(districts.items(), key=lambda kv: kv[1][0].district_name or kv[0])
    ]
    return {"today": today.isoformat(), **block(items), "by_district": by_district}


# ---------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------
#: Columns of the published table (``demand.csv``; properties in GeoJSON).
PUBLISHED_COLUMNS = (
    "level",
    "unit",
    "unit_name",
    "district_code",
    "district",
    "service_type",
    "cohort",
    "band",
    "packages",
    "hours_week",
    "suppressed",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishReport:
    """What :func:`publish` wrote and how much it had to merge or suppress.

    Hours are exact (the files round each cell to 0.1 h). ``hours_total ==
    hours_fine + hours_merged + suppressed_hours`` up to float rounding.
    """

    out: str
    level: str
    k: int
    packages: int
    hours_total: float
    #: Published cells (rows of demand.csv other than suppressed totals).
    cells: int
    #: Cells published as they were (unit x service x cohort x band).
    cells_fine: int
    hours_fine: float
    #: Cells published after merging (bands into all_day, units into district).
    cells_merged: int
    hours_merged: float
    #: Fine cells whose hours went into a merged cell.
    merged_from: int
    #: Fine cells still under k after every merge: hours only in a district total.
    suppressed_cells: int
    suppressed_hours: float
    #: Districts with a "suppressed" total row.
    suppressed_districts: int
    files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (hours rounded to 0.01)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = (
                round(value, 2) if isinstance(value, float) else list(value) if isinstance(value, tuple) else value
            )
        return out


@dataclass(frozen=True, slots=True)
class _Part:
    """One package's hours in one band, at its coarsened unit."""

    package: str
    client: str
    level: str
    unit: str
    district: str
    service: str
    cohort: str
    band: str
    hours: float


def publish(
    items: Iterable[DemandItem],
    out_dir: str | Path,
    k: int = DEFAULT_K,
    level: str = "msoa",
) -> PublishReport:
    """Write the providers' version of the live demand: no personal data.

    Writes ``demand.csv``, ``demand.geojson`` and ``demand.html`` (a map)
    to ``out_dir``. Each row is one cell: a unit (MSOA, postcode sector or
    district) x service type x cohort x band with its packages and hours a
    week. Nothing identifies a client: no ids, postcodes, points, dates or
    names; only units of thousands of residents.

    The small-cell rule: a cell counts distinct clients, and no cell of
    fewer than ``k`` is published. Within each district, each step working
    only on hours not yet published: (1) unit x service x cohort x band
    cells with at least ``k`` clients are published; (2) the rest of a
    unit's bands are merged into one ``all_day`` cell of that unit; (3) the
    rest is merged across the district's units, band by band (level
    ``district``); (4) then into one district ``all_day`` cell per service
    and cohort; (5) then across cohorts (``cohort`` = ``all``); (6) what is
    still under ``k`` is suppressed: its hours appear only in one
    ``suppressed`` total row per district (no packages count). Every hour is
    in exactly one row, so the rows add up to the feed's total.

    Parameters
    ----------
    items
        The feed (:func:`read_feed`).
    out_dir
        Folder to write to (created if needed).
    k
        Smallest number of clients a published cell may describe (>= 1).
    level
        ``msoa`` (ONS middle-layer small areas), ``sector`` (postcode
        sector, e.g. ``CM9 4``; drawn from the Code-Point Open postcodes)
        or ``district``.

    Returns
    -------
    PublishReport

    Raises
    ------
    InputError
        On a bad ``k`` or ``level``.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InputError(f"k={k!r} must be a whole number >= 1")
    if level not in LEVELS:
        raise InputError(f"level={level!r}: expected one of {', '.join(LEVELS)}")
    items = tuple(items)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    names = {item.district_id: item.district_name or item.district_id for item in items}
    parts = _parts(items, level)
    rows, stats = _cascade(parts, k)
    unit_names = _unit_names(rows, names)
    table = _table(rows, unit_names, names)
    files = (out / "demand.csv", out / "demand.geojson", out / "demand.html")
    table.to_csv(files[0], index=False, lineterminator="\n")
    features = _features(table)
    files[1].write_text(
        json.dumps({"type": "FeatureCollection", "name": "patchplan_live_demand", "features": features}),
        encoding="utf-8",
    )
    _map(table, features, k, level).save(str(files[2]))
    report = PublishReport(
        out=str(out),
        level=level,
        k=k,
        packages=len(items),
        hours_total=float(sum(item.hours_week for item in items)),
        files=tuple(str(f) for f in files),
        **stats,
    )
    log.info(
        "published live demand: %d cells (%d merged), %d fine cells suppressed (%.1f h)",
        report.cells,
        report.cells_merged,
        report.suppressed_cells,
        report.suppressed_hours,
    )
    return report


def _parts(items: Sequence[DemandItem], level: str) -> list[_Part]:
    msoa = _msoa_of_lsoa() if level == "msoa" else {}
    out = []
    for item in items:
        unit_level, unit = "district", item.district_id
        if level == "msoa" and item.area_id in msoa:
            unit_level, unit = "msoa", msoa[item.area_id]
        elif level == "sector":
            sector = _sector_of(item)
            if sector is not None:
                unit_level, unit = "sector", sector
        for band, hours in item.hours_in_band().items():
            if hours > 0:
                out.append(
                    _Part(
                        package=item.package.id,
                        client=item.client.id,
                        level=unit_level,
                        unit=unit,
                        district=item.district_id,
                        service=item.service_type,
                        cohort=item.cohort,
                        band=band,
                        hours=hours,
                    )
                )
    return out


#: The small-cell rule's steps: the key of the cell a part falls in at each
#: step (level, unit, service type, cohort, band). See :func:`publish`.
_STAGES = (
    lambda p: (p.level, p.unit, p.service, p.cohort, p.band),
    lambda p: (p.level, p.unit, p.service, p.cohort, ALL_DAY),
    lambda p: ("district", p.district, p.service, p.cohort, p.band),
    lambda p: ("district", p.district, p.service, p.cohort, ALL_DAY),
    lambda p: ("district", p.district, p.service, "all", ALL_DAY),
)


def _cascade(parts: Sequence[_Part], k: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The small-cell rule (see :func:`publish`): published rows and counts."""
    by_district: dict[str, list[_Part]] = defaultdict(list)
    for p in parts:
        by_district[p.district].append(p)
    rows: list[dict[str, Any]] = []
    suppressed: dict[str, float] = {}
    stats = dict.fromkeys(("cells_fine", "cells_merged", "merged_from", "suppressed_cells"), 0)
    hours = {"fine": 0.0, "merged": 0.0}
    for district, remaining in sorted(by_district.items()):
        for stage, key_of in enumerate(_STAGES):
            buckets: dict[tuple[str, ...], list[_Part]] = defaultdict(list)
            for p in remaining:
                buckets[key_of(p)].append(p)
            remaining = []
            for (unit_level, unit, service, cohort, band), members in sorted(buckets.items()):
                if len({p.client for p in members}) < k:
                    remaining += members
                    continue
                cell_hours = sum(p.hours for p in members)
                rows.append(
                    {
                        "level": unit_level,
                        "unit": unit,
                        "district_code": district,
                        "service_type": service,
                        "cohort": cohort,
                        "band": band,
                        "packages": len({p.package for p in members}),
                        "hours_week": cell_hours,
                        "suppressed": False,
                    }
                )
                if stage == 0:
                    stats["cells_fine"] += 1
                    hours["fine"] += cell_hours
                else:
                    stats["cells_merged"] += 1
                    stats["merged_from"] += len({_STAGES[0](p) for p in members})
                    hours["merged"] += cell_hours
        if remaining:
            suppressed[district] = sum(p.hours for p in remaining)
            stats["suppressed_cells"] += len({_STAGES[0](p) for p in remaining})
            rows.append(
                {
                    "level": "district",
                    "unit": district,
                    "district_code": district,
                    "service_type": "all",
                    "cohort": "all",
                    "band": "all",
                    "packages": None,
                    "hours_week": suppressed[district],
                    "suppressed": True,
                }
            )
    return rows, {
        **stats,
        "cells": stats["cells_fine"] + stats["cells_merged"],
        "hours_fine": hours["fine"],
        "hours_merged": hours["merged"],
        "suppressed_hours": float(sum(suppressed.values())),
        "suppressed_districts": len(suppressed),
    }


def _unit_names(rows: Sequence[dict[str, Any]], districts: Mapping[str, str]) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    msoa = _msoa_names()
    for row in rows:
        key = (row["level"], row["unit"])
        if row["level"] == "msoa":
            names[key] = msoa.get(row["unit"], row["unit"])
        elif row["level"] == "district":
            names[key] = districts.get(row["unit"], row["unit"])
        else:
            names[key] = row["unit"]
    return names


def _table(
    rows: Sequence[dict[str, Any]], unit_names: Mapping[tuple[str, str], str], districts: Mapping[str, str]
) -> pd.DataFrame:
    level_order = {"msoa": 0, "sector": 0, "district": 1}
    service_order = {s: i for i, s in enumerate(SERVICE_TYPES)}
    records = []
    for row in rows:
        records.append(
            {
                **row,
                "unit_name": unit_names[(row["level"], row["unit"])],
                "district": districts.get(row["district_code"], row["district_code"]),
                "hours_week": round(row["hours_week"], 1),
                "_sort": (
                    districts.get(row["district_code"], row["district_code"]),
                    row["suppressed"],
                    level_order[row["level"]],
                    row["unit"],
                    service_order.get(row["service_type"], 99),
                    row["cohort"],
                    BANDS.index(row["band"]) if row["band"] in BANDS else 99,
                ),
            }
        )
    records.sort(key=lambda r: r["_sort"])
    frame = pd.DataFrame(records, columns=[*PUBLISHED_COLUMNS])
    frame["packages"] = frame["packages"].astype("Int64")
    frame["suppressed"] = frame["suppressed"].astype(int)
    return frame


@functools.cache
def _lsoa_table() -> pd.DataFrame:
    return pd.read_csv(
        geo.data_dir() / "lsoa21_attributes.csv", usecols=["lsoa21cd", "msoa21cd", "msoa21nm", "msoa_hcl_nm"]
    )


@functools.cache
def _msoa_of_lsoa() -> dict[str, str]:
    t = _lsoa_table()
    return dict(zip(t["lsoa21cd"], t["msoa21cd"], strict=True))


@functools.cache
def _msoa_names() -> dict[str, str]:
    t = _lsoa_table().drop_duplicates("msoa21cd")
    return {
        code: f"{hcl} ({name})" for code, hcl, name in zip(t["msoa21cd"], t["msoa_hcl_nm"], t["msoa21nm"], strict=True)
    }


def _sector_of(item: DemandItem) -> str | None:
    """Postcode sector ('CM9 4') of the client's postcode, else of the
    nearest postcode in the client's small area (or anywhere in the table)."""
    postcode = item.client.postcode and geo.normalise_postcode(item.client.postcode)
    if postcode is None:
        g = geo.essex()
        candidates = g.postcodes_in(item.area_id)
        if not len(candidates):
            candidates = g.postcodes
        if not len(candidates):
            return None
        lat, lon = item.client.location.lat, item.client.location.lon
        cos = math.cos(math.radians(lat))
        d2 = (candidates["lat"].to_numpy() - lat) ** 2 + ((candidates["lon"].to_numpy() - lon) * cos) ** 2
        postcode = str(candidates.index[int(np.argmin(d2))])
    return postcode[:-2].strip()


@functools.cache
def _boundaries(name: str, key: str) -> dict[str, dict]:
    with open(geo.data_dir() / name, encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    return {f["properties"][key]: f["geometry"] for f in features}


def msoa_polygons() -> dict[str, dict]:
    """GeoJSON geometry of each Essex MSOA 2021 (ONS; OGL v3)."""
    return _boundaries("msoa21_boundaries.geojson", "msoa21cd")


def district_polygons() -> dict[str, dict]:
    """GeoJSON geometry of each Essex district (ONS ultra-generalised; OGL v3)."""
    return _boundaries("lad24_boundaries_buc.geojson", "lad_cd")


@functools.cache
def _voronoi() -> tuple[dict[str, np.ndarray], Any, Any]:
    """Voronoi cells of the Code-Point Open postcode points, by sector, and
    the county outline to clip them to."""
    import shapely
    from shapely.geometry import shape

    pcs = geo.essex().postcodes
    frame = pd.DataFrame({"lat": pcs["lat"].to_numpy(), "lon": pcs["lon"].to_numpy(), "postcode": pcs.index})
    frame = frame.drop_duplicates(["lat", "lon"]).reset_index(drop=True)
    frame["sector"] = frame["postcode"].str[:-2].str.strip()
    outline = shapely.union_all(
        [shape(g) for g in _boundaries("lad_boundaries_from_lsoa21.geojson", "lad_cd").values()]
    )
    points = shapely.points(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(points), extend_to=outline.envelope, ordered=True)
    )
    by_sector = {s: np.asarray(idx) for s, idx in frame.groupby("sector").indices.items()}
    return by_sector, cells, outline


@functools.cache
def sector_polygon(sector: str) -> dict | None:
    """GeoJSON geometry of a postcode sector ('CM9 4') in Essex, drawn as
    the union of the Voronoi cells of its postcodes (Code-Point Open), cut
    to the county; None when the table has no postcode in it.

    The drawing depends only on public postcode points, never on a feed.
    """
    import shapely
    from shapely.geometry import mapping

    by_sector, cells, outline = _voronoi()
    idx = by_sector.get(sector)
    if idx is None:
        return None
    poly = shapely.intersection(shapely.union_all(cells[idx]), outline)
    poly = shapely.make_valid(shapely.simplify(poly, 0.0002))
    return _rounded(mapping(poly))


def _rounded(geometry: Any, digits: int = 5) -> Any:
    def walk(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, digits)
        if isinstance(value, (list, tuple)):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    return walk(geometry)


def _geometry(level: str, unit: str) -> dict | None:
    if level == "msoa":
        return msoa_polygons().get(unit)
    if level == "district":
        return district_polygons().get(unit)
    return sector_polygon(unit)


def _features(table: pd.DataFrame) -> list[dict[str, Any]]:
    features = []
    for record in table.to_dict("records"):
        props = {k: _plain(v) for k, v in record.items()}
        features.append(
            {"type": "Feature", "properties": props, "geometry": _geometry(record["level"], record["unit"])}
        )
    return features


def _plain(value: Any) -> Any:
    if value is pd.NA or value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


_LEVEL_LABELS = {
    "msoa": "Small areas (MSOA)",
    "sector": "Postcode sectors",
    "district": "Districts (merged cells and suppressed totals)",
}


def _map(table: pd.DataFrame, features: Sequence[dict[str, Any]], k: int, level: str) -> Any:
    """A folium map of the published cells, one shape per unit, coloured by
    its published hours, with the cells in its popup."""
    import branca.colormap as cm
    import folium
    import shapely
    from shapely.geometry import shape

    units: dict[tuple[str, str], dict[str, Any]] = {}
    for feature, record in zip(features, table.to_dict("records"), strict=True):
        if feature["geometry"] is None:
            continue
        unit = units.setdefault(
            (record["level"], record["unit"]),
            {"geometry": feature["geometry"], "name": record["unit_name"], "hours": 0.0, "rows": []},
        )
        unit["hours"] += float(record["hours_week"])
        unit["rows"].append(record)
    top = max((u["hours"] for u in units.values()), default=1.0) or 1.0
    colours = cm.LinearColormap(["#ffffcc", "#fd8d3c", "#bd0026"], vmin=0, vmax=top)
    colours.caption = "Care hours a week awaiting a provider"
    shapes = [shape(u["geometry"]) for u in units.values()]
    if shapes:
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(shapes))
        # No centre: the view is fitted to the published shapes' own bounds.
        fmap = folium.Map(location=None, tiles="OpenStreetMap", control_scale=True)
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    else:  # nothing to draw: the county
        fmap = folium.Map(location=[51.8, 0.6], zoom_start=9, tiles="OpenStreetMap", control_scale=True)
    groups = {}
    for lvl in ("district", level):
        if any(key[0] == lvl for key in units):
            groups[lvl] = folium.FeatureGroup(name=_LEVEL_LABELS[lvl], show=True)
    for (lvl, _), unit in sorted(units.items(), key=lambda kv: kv[0][0] != "district"):
        colour = colours(unit["hours"])
        folium.GeoJson(
            {"type": "Feature", "properties": {}, "geometry": unit["geometry"]},
            style_function=lambda _f, c=colour, d=(lvl == "district"): {
                "fillColor": c,
                "color": "#555555",
                "weight": 2 if d else 1,
                "fillOpacity": 0.35 if d else 0.7,
            },
            tooltip=f"{html.escape(unit['name'])}: {unit['hours']:.1f} h a week",
            popup=folium.Popup(_popup(unit["name"], unit["rows"]), max_width=460),
        ).add_to(groups[lvl])
    for group in groups.values():
        group.add_to(fmap)
    colours.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    attribution = "<br>".join(html.escape(line) for line in geo.ATTRIBUTION)
    note = (
        f"<b>Home care awaiting a provider</b> (patchplan). Hours a week by {html.escape(_LEVEL_LABELS[level].lower())}, "
        f"service, cohort and time band. Cells describing fewer than {k} people are merged into larger "
        "cells or counted only in a district's suppressed total. No personal data."
    )
    fmap.get_root().html.add_child(
        folium.Element(
            '<div style="position:fixed;bottom:10px;left:10px;z-index:1000;max-width:520px;'
            'background:rgba(255,255,255,0.9);padding:6px 8px;font:11px sans-serif;border-radius:4px">'
            f"{note}<br><br>{attribution}</div>"
        )
    )
    return fmap


def _popup(name: str, rows: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"<b>{html.escape(name)}</b>",
        "<table><tr><th>service</th><th>cohort</th><th>band</th><th>packages</th><th>hours/week</th></tr>",
    ]
    for r in rows:
        packages = "" if _plain(r["packages"]) is None else str(r["packages"])
        what = ("suppressed total", "", "") if r["suppressed"] else (r["service_type"], r["cohort"], r["band"])
        cells = "".join(f"<td>{html.escape(str(c))}</td>" for c in (*what, packages, f"{r['hours_week']:.1f}"))
        lines.append(f"<tr>{cells}</tr>")
    lines.append("</table>")
    return "".join(lines)
