"""The live demand feed (CSV, JSON, a folder of them, an http(s) URL, a scenario) <-> demand items.

Every row is parsed with the shared cell parsers of :mod:`patchplan.io.cells`
and reported with its file, row, field and value. The feed is personal data:
nothing here logs an id, a postcode or a point.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchplan.core.demand import DemandItem, WeeklyCall
from patchplan.core.errors import DataQualityWarning, InputError, ProblemCollector
from patchplan.core.model import (
    COHORTS,
    DAY_MIN,
    SERVICE_TYPES,
    URGENCIES,
    WEEKDAYS,
    Area,
    Client,
    Location,
    Package,
    Scenario,
)
from patchplan.geo import geography as geo
from patchplan.io.cells import clock_minutes, hhmm, parse_date, parse_number, parse_whole
from patchplan.io.schema import column_of

log = logging.getLogger("patchplan")

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

_DURATION = re.compile(r"^([0-9]+)(?:[xX]([0-9]+))?$", re.ASCII)
_CARERS = re.compile(r"^[xX]([0-9]+)$", re.ASCII)
_DAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS)} | {
    full: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_DAY_GROUPS = {"daily": tuple(range(7)), "weekdays": tuple(range(5)), "weekends": (5, 6)}


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
            from patchplan.io.scenario import read_scenario

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
                value=",".join(cells),
                message=f"has {len(cells)} fields but the header has {len(header)}"
                + (" (a value with a comma that is not in quotes?)" if len(cells) > len(header) else ""),
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
        if isinstance(value, (bool, list, dict)):
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
        try:
            return parse_date(text.strip())
        except ValueError as exc:
            self.bad(column, text, str(exc))
            return None

    def number(self, column: str) -> float | None:
        value = self.rec.get(column)
        if _empty(value):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            self.bad(column, _short(value), "expected a number")
            return None
        try:
            return parse_number(value.strip() if isinstance(value, str) else repr(float(value)))
        except (ValueError, OverflowError):  # OverflowError: a JSON integer past a float's range
            self.bad(column, value, "expected a number")
            return None

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
                self.bad(column_of(p.entity, p.field), p.value, p.message)
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
    minutes = clock_minutes(text.strip())
    if minutes is None:
        raise ValueError(f"{what} {text!r}: expected a time HH:MM")
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
        raise _CallError(f"window ends ({hhmm(latest)}) before it starts ({hhmm(earliest)})", "latest", hhmm(latest))
    if latest - earliest > DAY_MIN:
        raise _CallError("window is longer than a day", "latest", hhmm(latest))
    if latest - earliest < duration:
        raise _CallError(
            f"a {duration}-minute call does not fit its window {hhmm(earliest)}-{hhmm(latest)}",
            "duration_min",
            duration,
        )
    if preferred is not None and not earliest <= preferred <= latest - duration:
        raise _CallError(
            f"preferred start {hhmm(preferred)} is outside {hhmm(earliest)}-{hhmm(latest - duration)}",
            "preferred",
            hhmm(preferred),
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
        if isinstance(value, str):
            try:
                whole = parse_whole(value.strip())
            except ValueError:
                raise _CallError("expected a whole number", key, _short(value)) from None
            if whole >= 0:
                return whole
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
            window = f"{hhmm(earliest)}-{hhmm(latest)}" + ("" if preferred is None else f"@{hhmm(preferred)}")
            text = f"{day_text} {window} {duration}" + (f"x{carers}" if carers != 1 else "")
            calls.append(" ".join([text, *skills]))
        else:
            obj: dict[str, Any] = {
                "weekday": day_text,
                "earliest": hhmm(earliest),
                "latest": hhmm(latest),
                "duration_min": duration,
                "carers_required": carers,
                "skills": list(skills),
            }
            if preferred is not None:
                obj["preferred"] = hhmm(preferred)
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
