"""The world patchplan plans: frozen, validated value objects.

Times are whole minutes from the scenario's horizon start (its first day at
00:00); distances are whole metres. Nothing here knows about files, pandas
or OR-Tools: :mod:`patchplan.io` converts to and from files, the solvers
read these objects.

Every class checks its own invariants on construction and raises
:class:`~patchplan.core.errors.InputError` naming the entity, its id, the field
and the value. Cross-references (a visit's client exists, ...) are checked
by :class:`Scenario`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from patchplan.core.errors import MAX_PROBLEMS, InputError, Problem

if TYPE_CHECKING:  # patterns.py builds on this module; the Scenario only carries them
    from patchplan.core.patterns import CallPattern

DAY_MIN = 24 * 60

SERVICE_TYPES = (
    "personal_care",
    "night_awake",
    "night_sleeping",
    "live_in",
    "carer_support",
)
#: Service types whose care is delivered as visits a carer travels between.
#: A live-in carer lives with the client: no visits, no travel to plan.
VISIT_SERVICE_TYPES = frozenset(SERVICE_TYPES) - {"live_in"}
COHORTS = ("older_people", "working_age")
COHORT_LABELS = {
    "older_people": "Older people (65+)",
    "working_age": "Working-age adults (incl. learning disability and autism)",
}
MODES = ("car", "walk", "bike", "public")
GENDERS = ("female", "male", "other", "unknown")
URGENCIES = ("hospital_discharge", "urgent", "routine")
#: Days a broker has to find a provider, by urgency (council practice:
#: discharge the same or next day; routine within two weeks).
RESPONSE_DAYS = {"hospital_discharge": 1, "urgent": 3, "routine": 14}
PACKAGE_STATUSES = ("awaiting", "offered", "placed", "ended")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: The tier number used for spot-market (off-framework) providers.
SPOT_TIER = 3


@dataclass(frozen=True, slots=True)
class TimeBand:
    """A band of the day for capacity, [start, end) minutes from midnight.

    ``end`` may exceed 1440 for a band that runs past midnight (night).
    """

    name: str
    start: int
    end: int


#: Capacity bands. The morning band is the peak that runs out first.
TIME_BANDS = (
    TimeBand("morning", 7 * 60, 10 * 60 + 30),
    TimeBand("midday", 10 * 60 + 30, 14 * 60),
    TimeBand("afternoon", 14 * 60, 18 * 60),
    TimeBand("evening", 18 * 60, 22 * 60),
    TimeBand("night", 22 * 60, 31 * 60),
)
BAND_NAMES = tuple(b.name for b in TIME_BANDS)


def band_minutes(start: int, end: int) -> dict[str, int]:
    """Minutes of [start, end) (minutes from midnight of one day) per band.

    A visit that starts in the small hours (before 07:00) is counted in the
    previous night's band.
    """
    out: dict[str, int] = {}
    for offset in (-DAY_MIN, 0, DAY_MIN):
        for band in TIME_BANDS:
            lo = max(start, band.start + offset)
            hi = min(end, band.end + offset)
            if hi > lo:
                out[band.name] = out.get(band.name, 0) + hi - lo
    return out


class _Checks:
    """Collects field problems of one object and raises them together."""

    __slots__ = ("entity", "ident", "problems")

    def __init__(self, entity: str, ident: object) -> None:
        self.entity, self.ident = entity, ident
        self.problems: list[Problem] = []

    def require(self, ok: bool, column: str, value: object, expected: str) -> None:
        if not ok and len(self.problems) < MAX_PROBLEMS:
            self.problems.append(
                Problem(
                    entity=self.entity,
                    field=column,
                    value=value,
                    message=f"{self.entity} '{self.ident}': {column} {expected}",
                )
            )

    def done(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def _is_id(value: object) -> bool:
    return isinstance(value, str) and value != "" and value == value.strip()


@dataclass(frozen=True, slots=True)
class Location:
    """A point. WGS84 latitude/longitude, except in planar benchmark
    instances, where a planar travel model reads ``lat``/``lon`` as y/x."""

    lat: float
    lon: float
    #: Urban or rural, from the small area the point lies in; the default
    #: travel model drives more slowly in towns.
    urban: bool = True

    def __post_init__(self) -> None:
        c = _Checks("location", (self.lat, self.lon))
        c.require(-90 <= self.lat <= 90, "lat", self.lat, "must be in [-90, 90]")
        c.require(-180 <= self.lon <= 180, "lon", self.lon, "must be in [-180, 180]")
        c.done()


@dataclass(frozen=True, slots=True, kw_only=True)
class District:
    """One of the council's districts; framework lists are per district."""

    id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    """A small area (LSOA 2021): the unit patches are cut from."""

    id: str
    name: str
    district_id: str
    #: House of Commons Library neighbourhood (MSOA) name, for patch labels.
    neighbourhood: str
    centroid: Location
    pop_total: int
    pop_16_64: int
    pop_65_plus: int
    #: IMD 2019 health deprivation and disability decile (1 = most deprived).
    health_decile: int
    area_km2: float

    def __post_init__(self) -> None:
        c = _Checks("area", self.id)
        c.require(_is_id(self.id), "id", self.id, "must be a non-empty code")
        for name in ("pop_total", "pop_16_64", "pop_65_plus"):
            value = getattr(self, name)
            c.require(value >= 0, name, value, "must be >= 0")
        c.require(
            1 <= self.health_decile <= 10,
            "health_decile",
            self.health_decile,
            "must be in 1..10",
        )
        c.done()


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """A person receiving (or awaiting) care."""

    id: str
    location: Location
    area_id: str
    district_id: str
    cohort: str
    postcode: str | None = None
    gender: str = "unknown"
    #: Gender of carer the client asks for, or None for no preference.
    gender_preference: str | None = None
    preferred_carers: frozenset[str] = frozenset()
    prohibited_carers: frozenset[str] = frozenset()
    #: Carers who know the client, as (carer id, visits seen), most first.
    history: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        c = _Checks("client", self.id)
        c.require(_is_id(self.id), "id", self.id, "must be a non-empty id")
        c.require(self.cohort in COHORTS, "cohort", self.cohort, f"must be one of {COHORTS}")
        c.require(self.gender in GENDERS, "gender", self.gender, f"must be one of {GENDERS}")
        c.require(
            self.gender_preference in (None, "female", "male"),
            "gender_preference",
            self.gender_preference,
            "must be female, male or empty",
        )
        both = self.preferred_carers & self.prohibited_carers
        c.require(not both, "prohibited_carers", sorted(both), "also listed as preferred")
        c.done()

    @property
    def known_carers(self) -> frozenset[str]:
        return frozenset(carer for carer, _ in self.history)


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """What the council commissioned for one client."""

    id: str
    client_id: str
    service_type: str
    hours_week: float
    start: dt.date
    urgency: str = "routine"
    status: str = "placed"
    provider_id: str | None = None
    #: When the request reached brokerage (for ageing of live demand).
    received: dt.date | None = None

    def __post_init__(self) -> None:
        c = _Checks("package", self.id)
        c.require(_is_id(self.id), "id", self.id, "must be a non-empty id")
        c.require(
            self.service_type in SERVICE_TYPES,
            "service_type",
            self.service_type,
            f"must be one of {SERVICE_TYPES}",
        )
        c.require(self.hours_week > 0, "hours_week", self.hours_week, "must be > 0")
        c.require(self.urgency in URGENCIES, "urgency", self.urgency, f"must be one of {URGENCIES}")
        c.require(
            self.status in PACKAGE_STATUSES,
            "status",
            self.status,
            f"must be one of {PACKAGE_STATUSES}",
        )
        needs_provider = self.status in ("placed", "offered")
        c.require(
            (self.provider_id is not None) == needs_provider,
            "provider_id",
            self.provider_id,
            "is required when status is placed or offered, and must be empty otherwise",
        )
        c.done()


@dataclass(frozen=True, slots=True, kw_only=True)
class Visit:
    """One dated call: a time window for its start, a duration, carers.

    ``early``/``late`` bound the start (hard). ``target`` is the preferred
    start: starting more than ``tolerance_min`` away from it costs lateness
    or earliness, but is allowed inside the window. A visit with
    ``early == late`` is fixed-time (e.g. time-critical medication).
    """

    id: str
    package_id: str
    client_id: str
    day: int
    early: int
    late: int
    duration_min: int
    target: int | None = None
    tolerance_min: int = 0
    carers_required: int = 1
    skills: frozenset[str] = frozenset()
    #: What the call is for (morning, lunch, tea, bed, night, ...).
    label: str = ""
    #: Load units (only the VRPTW benchmark family uses it; care has none).
    load: int = 0

    def __post_init__(self) -> None:
        c = _Checks("visit", self.id)
        c.require(_is_id(self.id), "id", self.id, "must be a non-empty id")
        c.require(self.day >= 0, "day", self.day, "must be >= 0")
        c.require(self.early >= 0, "early", self.early, "must be >= 0")
        c.require(
            self.late >= self.early,
            "latest",
            self.late,
            f"must not be before the earliest start ({self.early})",
        )
        c.require(self.duration_min > 0, "duration_min", self.duration_min, "must be > 0")
        c.require(
            self.carers_required in (1, 2),
            "carers_required",
            self.carers_required,
            "must be 1 or 2 (2 = double-up)",
        )
        if self.target is not None:
            c.require(
                self.early <= self.target <= self.late,
                "preferred",
                self.target,
                f"must lie in the window [{self.early}, {self.late}]",
            )
        c.require(self.tolerance_min >= 0, "tolerance_min", self.tolerance_min, "must be >= 0")
        c.require(self.load >= 0, "load", self.load, "must be >= 0")
        c.done()

    @property
    def fixed(self) -> bool:
        """Time-critical: must start exactly at ``early``."""
        return self.early == self.late

    @property
    def preferred(self) -> int:
        """The preferred start (``target``, else the window's opening)."""
        return self.early if self.target is None else self.target

    @property
    def care_minutes(self) -> int:
        """Paid care minutes: duration times carers (a double-up is two)."""
        return self.duration_min * self.carers_required


@dataclass(frozen=True, slots=True, kw_only=True)
class VisitLink:
    """start(second) - start(first) must lie in [min_gap, max_gap] minutes,
    by two different carers. A double-up is the special case gap 0..0 on
    one visit; links express the general form between two visits of one
    client (e.g. an insulin call 30-60 minutes after breakfast)."""

    first: str
    second: str
    min_gap: int
    max_gap: int

    def __post_init__(self) -> None:
        c = _Checks("link", f"{self.first}->{self.second}")
        c.require(self.first != self.second, "second", self.second, "must differ from first")
        c.require(
            self.max_gap >= self.min_gap,
            "max_gap",
            self.max_gap,
            f"must be >= min_gap ({self.min_gap})",
        )
        c.done()


@dataclass(frozen=True, slots=True, kw_only=True)
class BandCapacity:
    """Care hours a provider can deliver in one time band of one weekday."""

    weekday: int
    band: str
    hours: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """A care agency on the framework (tier 1 or 2) or on the spot market."""

    id: str
    name: str
    tier: int
    rate_gbp_h: float
    capacity_hours_week: float
    #: Hours by weekday and band; empty means "no band limits".
    band_capacity: tuple[BandCapacity, ...] = ()
    patches: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        c = _Checks("provider", self.id)
        c.require(_is_id(self.id), "id", self.id, "must be a non-empty id")
        c.require(self.tier in (1, 2, SPOT_TIER), "tier", self.tier, "must be 1, 2 or spot")
        c.require(self.rate_gbp_h > 0, "rate_gbp_h", self.rate_gbp_h, "must be > 0")
        c.require(
            self.capacity_hours_week >= 0,
            "capacity_hours_week",
            self.capacity_hours_week,
            "must be >= 0",
        )
        for cap in self.band_capacity:
            c.require(cap.band in BAND_NAMES, "band", cap.band, f"must be one of {BAND_NAMES}")
            c.require(0 <= cap.weekday <= 6, "weekday", cap.weekday, "must be mon..sun")
            c.require(cap.hours >= 0, "hours", cap.hours, "must be >= 0")
        c.done()

    @property
    def spot(self) -> bool:
        return self.tier == SPOT_TIER

    def band_hours(self, weekday: int, band: str) -> float | None:
        """Capacity in one band of one weekday, or None when unlimited."""
        for cap in self.band_capacity:
            if cap.weekday == weekday and cap.band == band:
                return cap.hours
        return None if not self.band_capacity else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Branch:
    """An office of a provider; carers live near it."""

    id: str
    provider_id: str
    name: str
    location: Location
    district_id: str
    postcode: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lot:
    """One framework ranked list: providers in the order packages are offered."""

    district_id: str
    service_type: str
    cohort: str
    providers: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.district_id, self.service_type, self.cohort)

    def __post_init__(self) -> None:
        c = _Checks("lot", self.key)
        c.require(
            self.service_type in SERVICE_TYPES,
            "service_type",
            self.service_type,
            f"must be one of {SERVICE_TYPES}",
        )
        c.require(self.cohort in COHORTS, "cohort", self.cohort, f"must be one of {COHORTS}")
        dupes = sorted({p for p in self.providers if self.providers.count(p) > 1})
        c.require(not dupes, "provider_id", dupes, "listed more than once in one lot")
        c.done()


@dataclass(frozen=True, slots=True, kw_only=True)
class Framework:
    """The council's ranked lists, one per lot (district x service x cohort)."""

    lots: tuple[Lot, ...] = ()
    _by_key: dict[tuple[str, str, str], Lot] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {lot.key: lot for lot in self.lots})

    def lot(self, district_id: str, service_type: str, cohort: str) -> Lot | None:
        return self._by_key.get((district_id, service_type, cohort))


@dataclass(frozen=True, slots=True, kw_only=True)
class Carer:
    """A care worker employed by a provider."""

    id: str
    provider_id: str
    home: Location
    mode: str = "car"
    branch_id: str | None = None
    postcode: str | None = None
    skills: frozenset[str] = frozenset()
    gender: str = "unknown"
    #: Guaranteed hours a week (0 = none promised).
    contracted_hours_week: float = 0.0
    #: Working Time Regulations: 48 hours a week unless the carer opted out.
    max_hours_week: float = 48.0
    team_id: str | None = None

    def __post_init__(self) -> None:
        c = _Checks("carer", self.id)
        c.require(_is_id(self.id), "id", self.id, "must be a non-empty id")
        c.require(self.mode in MODES, "mode", self.mode, f"must be one of {MODES}")
        c.require(self.gender in GENDERS, "gender", self.gender, f"must be one of {GENDERS}")
        c.require(
            self.contracted_hours_week >= 0,
            "contracted_hours_week",
            self.contracted_hours_week,
            "must be >= 0",
        )
        c.require(self.max_hours_week > 0, "max_hours_week", self.max_hours_week, "must be > 0")
        c.require(
            self.contracted_hours_week <= self.max_hours_week,
            "contracted_hours_week",
            self.contracted_hours_week,
            f"is above max_hours_week ({self.max_hours_week:g}): no rota can honour both",
        )
        c.done()


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    """When a carer is available on one day: they leave home at ``start`` at
    the earliest and are back home by ``end``."""

    carer_id: str
    day: int
    start: int
    end: int
    #: Most minutes of visits + travel + waiting in the shift; None = length.
    max_work_min: int | None = None

    def __post_init__(self) -> None:
        c = _Checks("shift", f"{self.carer_id}/day {self.day}")
        c.require(self.day >= 0, "day", self.day, "must be >= 0")
        c.require(self.end > self.start, "end", self.end, f"must be after start ({self.start})")
        if self.max_work_min is not None:
            c.require(self.max_work_min > 0, "max_work_min", self.max_work_min, "must be > 0")
        c.done()

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def work_limit(self) -> int:
        return self.length if self.max_work_min is None else min(self.max_work_min, self.length)


@dataclass(frozen=True, slots=True, kw_only=True)
class Patch:
    """A contiguous set of small areas, usually with a lead provider."""

    id: str
    name: str
    area_ids: frozenset[str]
    lead_provider_id: str | None = None


class Reason(enum.StrEnum):
    """Why a visit is in nobody's round."""

    NO_SKILLED_CARER = "no_skilled_carer"
    NO_CARER_ON_SHIFT = "no_carer_on_shift"
    GENDER_PREFERENCE = "gender_preference"
    PROHIBITED = "all_suitable_carers_prohibited"
    NO_DOUBLE_UP_PARTNER = "no_double_up_partner"
    LINKED_VISIT = "linked_visit_unassigned"
    UNREACHABLE_IN_WINDOW = "unreachable_in_window"
    WEEKLY_HOURS = "weekly_hours_exhausted"
    NO_TIME_LEFT = "carers_fully_booked"
    CANCELLED = "cancelled"
    NOT_ROUTED = "not_routed"
    CONTINUITY_CAP = "continuity_cap"
    TEAM = "no_team_carer"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unassigned:
    """A visit no carer takes, and why (``detail`` is for people)."""

    visit_id: str
    reason: Reason
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """One visit in a round. ``travel_min``/``travel_m`` are from the
    previous stop (or home); ``arrival <= start``, any gap is waiting."""

    visit_id: str
    arrival: int
    start: int
    end: int
    travel_min: int = 0
    travel_m: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Round:
    """One carer's ordered visits on one day, from home and back home."""

    carer_id: str
    day: int
    stops: tuple[Stop, ...]
    #: Leaves home / gets back home (minutes from horizon start).
    leave: int
    back: int
    #: Travel from the last stop back home.
    return_min: int = 0
    return_m: int = 0

    @property
    def travel_min(self) -> int:
        return sum(s.travel_min for s in self.stops) + self.return_min

    @property
    def travel_m(self) -> int:
        return sum(s.travel_m for s in self.stops) + self.return_m

    @property
    def care_min(self) -> int:
        return sum(s.end - s.start for s in self.stops)


@dataclass(frozen=True, slots=True, kw_only=True)
class Roster:
    """Rounds over a horizon, with the visits nobody could take and why."""

    rounds: tuple[Round, ...] = ()
    unassigned: tuple[Unassigned, ...] = ()
    provider_id: str | None = None
    #: Free-form provenance (solver, seed, time limit, objective, ...).
    meta: tuple[tuple[str, str], ...] = ()

    def assignments(self) -> dict[str, list[str]]:
        """visit id -> carer ids serving it (two for a double-up)."""
        out: dict[str, list[str]] = defaultdict(list)
        for rnd in self.rounds:
            for stop in rnd.stops:
                out[stop.visit_id].append(rnd.carer_id)
        return dict(out)

    def replace(self, **changes: Any) -> Roster:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """Everything one planning run needs, as one immutable value.

    Raises
    ------
    InputError
        On duplicate ids or references to unknown ids, listing each.
    """

    name: str
    start: dt.date
    days: int = 7
    seed: int | None = None
    #: "essex" when the areas are the embedded Essex geography.
    geography: str = "essex"
    districts: tuple[District, ...] = ()
    areas: tuple[Area, ...] = ()
    clients: tuple[Client, ...] = ()
    packages: tuple[Package, ...] = ()
    visits: tuple[Visit, ...] = ()
    links: tuple[VisitLink, ...] = ()
    providers: tuple[Provider, ...] = ()
    branches: tuple[Branch, ...] = ()
    framework: Framework = field(default_factory=Framework)
    carers: tuple[Carer, ...] = ()
    shifts: tuple[Shift, ...] = ()
    patches: tuple[Patch, ...] = ()
    status_quo: Roster | None = None
    #: Settings a scenario carries (e.g. travel parameters), as TOML tables.
    settings: tuple[tuple[str, Any], ...] = ()
    #: The recurring calls ``visits`` were expanded from (:mod:`patchplan.core.patterns`), kept to
    #: write the folder back and to expand other weeks; ``visits`` are what is planned.
    patterns: tuple[CallPattern, ...] = ()
    _index: dict[str, dict[str, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.days < 1:
            raise InputError(f"scenario '{self.name}': days={self.days} must be >= 1")
        index: dict[str, dict[str, Any]] = {}
        problems: list[Problem] = []
        for kind, items in (
            ("district", self.districts),
            ("area", self.areas),
            ("client", self.clients),
            ("package", self.packages),
            ("visit", self.visits),
            ("provider", self.providers),
            ("branch", self.branches),
            ("carer", self.carers),
            ("patch", self.patches),
        ):
            by_id: dict[str, Any] = {}
            for item in items:
                if item.id in by_id:
                    problems.append(
                        Problem(
                            entity=kind,
                            field="id",
                            value=item.id,
                            message=f"duplicate {kind} id",
                            key=item.id,
                        )
                    )
                by_id[item.id] = item
            index[kind] = by_id
        object.__setattr__(self, "_index", index)
        problems += _cross_reference_problems(self)
        if problems:
            raise InputError(problems[:MAX_PROBLEMS])

    # -- lookups -----------------------------------------------------------
    def client(self, client_id: str) -> Client:
        return self._index["client"][client_id]

    def package(self, package_id: str) -> Package:
        return self._index["package"][package_id]

    def visit(self, visit_id: str) -> Visit:
        return self._index["visit"][visit_id]

    def provider(self, provider_id: str) -> Provider:
        return self._index["provider"][provider_id]

    def carer(self, carer_id: str) -> Carer:
        return self._index["carer"][carer_id]

    def area(self, area_id: str) -> Area:
        return self._index["area"][area_id]

    def district(self, district_id: str) -> District:
        return self._index["district"][district_id]

    def branch(self, branch_id: str) -> Branch:
        return self._index["branch"][branch_id]

    def has(self, kind: str, ident: str) -> bool:
        return ident in self._index[kind]

    def district_by_name(self, name: str) -> District:
        """Find a district by id or (case-insensitive) name."""
        for d in self.districts:
            if name in (d.id,) or d.name.lower() == name.lower():
                return d
        names = ", ".join(d.name for d in self.districts)
        raise InputError(f"unknown district {name!r}; known: {names}")

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def day_of(self, date: dt.date) -> int:
        """Day index of a date in the horizon.

        Raises
        ------
        InputError
            When the date lies outside the horizon.
        """
        day = (date - self.start).days
        if not 0 <= day < self.days:
            end = self.date(self.days - 1)
            raise InputError(f"date {date} is outside the scenario ({self.start} to {end})")
        return day

    def weekday(self, day: int) -> int:
        return self.date(day).weekday()

    def carers_of(self, provider_id: str) -> tuple[Carer, ...]:
        return tuple(c for c in self.carers if c.provider_id == provider_id)

    def shifts_of(self, carer_id: str) -> tuple[Shift, ...]:
        return self._grouped("shifts_by_carer", self.shifts, lambda s: s.carer_id).get(carer_id, ())

    def visits_of_package(self, package_id: str) -> tuple[Visit, ...]:
        return self._grouped("visits_by_package", self.visits, lambda v: v.package_id).get(package_id, ())

    def visits_of_provider(self, provider_id: str, days: Iterable[int] | None = None) -> tuple[Visit, ...]:
        """Visits of packages placed with a provider, optionally on some days."""
        wanted = None if days is None else set(days)
        placed = {p.id for p in self.packages if p.provider_id == provider_id and p.status == "placed"}
        return tuple(v for v in self.visits if v.package_id in placed and (wanted is None or v.day in wanted))

    def setting(self, name: str, default: Any = None) -> Any:
        return dict(self.settings).get(name, default)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def _grouped(self, key: str, items: Iterable[Any], by: Any) -> Mapping[str, tuple[Any, ...]]:
        cache = self._index.setdefault("_cache", {})
        if key not in cache:
            groups: dict[str, list[Any]] = defaultdict(list)
            for item in items:
                groups[by(item)].append(item)
            cache[key] = {k: tuple(v) for k, v in groups.items()}
        return cache[key]


def _cross_reference_problems(s: Scenario) -> list[Problem]:
    """Dangling references and cross-object rules, each as a Problem naming
    the entity, the field and (``key``) the record, so a file reader can find
    the row; ``refers`` is the kind of id a dangling reference names."""
    idx = s._index
    out: list[Problem] = []

    def add(entity: str, field: str, value: object, message: str, key: str, refers: str = "") -> None:
        if len(out) < MAX_PROBLEMS:
            out.append(Problem(entity=entity, field=field, value=value, message=message, key=key, refers=refers))

    def ref(kind: str, ident: str | None, entity: str, field: str, owner: str, key: str) -> None:
        if ident is not None and ident not in idx[kind]:
            add(entity, field, ident, f"{owner}: unknown {kind}", key, refers=kind)

    for a in s.areas:
        ref("district", a.district_id, "area", "district_id", f"area '{a.id}'", a.id)
    for c in s.clients:
        ref("area", c.area_id, "client", "area_id", f"client '{c.id}'", c.id)
        ref("district", c.district_id, "client", "district_id", f"client '{c.id}'", c.id)
        for carer_id in sorted(c.preferred_carers | c.prohibited_carers | c.known_carers):
            ref("carer", carer_id, "client_carer", "carer_id", f"client '{c.id}'", f"{c.id}|{carer_id}")
    visit_packages = {v.package_id for v in s.visits}
    for p in s.packages:
        ref("client", p.client_id, "package", "client_id", f"package '{p.id}'", p.id)
        ref("provider", p.provider_id, "package", "provider_id", f"package '{p.id}'", p.id)
        if p.service_type == "live_in" and p.id in visit_packages:
            add(
                "package",
                "service_type",
                p.service_type,
                f"package '{p.id}' has visits, but a live-in carer lives in: no visits",
                p.id,
            )
    carers_per_provider: dict[str, int] = defaultdict(int)
    for carer in s.carers:
        carers_per_provider[carer.provider_id] += 1
    for v in s.visits:
        ref("package", v.package_id, "visit", "package_id", f"visit '{v.id}'", v.id)
        pkg = idx["package"].get(v.package_id)
        if pkg is not None and pkg.client_id != v.client_id:
            add(
                "visit",
                "client_id",
                v.client_id,
                f"visit '{v.id}': package '{pkg.id}' is for client '{pkg.client_id}'",
                v.id,
            )
        if v.day >= s.days:
            add("visit", "day", str(s.date(v.day)), f"visit '{v.id}': after the scenario's last day", v.id)
        if pkg is not None and pkg.provider_id is not None and pkg.status == "placed":
            have = carers_per_provider.get(pkg.provider_id, 0)
            if 0 < have < v.carers_required:
                add(
                    "visit",
                    "carers_required",
                    v.carers_required,
                    f"visit '{v.id}' needs {v.carers_required} carers but provider '{pkg.provider_id}' has only {have}",
                    v.id,
                )
    for link in s.links:
        key = f"{link.first}|{link.second}"
        for column, end in (("first", link.first), ("second", link.second)):
            ref("visit", end, "link", column, f"link {link.first}->{link.second}", key)
    for b in s.branches:
        ref("provider", b.provider_id, "branch", "provider_id", f"branch '{b.id}'", b.id)
        ref("district", b.district_id, "branch", "district_id", f"branch '{b.id}'", b.id)
    for lot in s.framework.lots:
        stem = "|".join(lot.key)
        ref(
            "district",
            lot.district_id,
            "lot",
            "district_id",
            f"lot {lot.key}",
            f"{stem}|{lot.providers[0] if lot.providers else ''}",
        )
        for pid in lot.providers:
            ref("provider", pid, "lot", "providers", f"lot {lot.key}", f"{stem}|{pid}")
    for carer in s.carers:
        ref("provider", carer.provider_id, "carer", "provider_id", f"carer '{carer.id}'", carer.id)
        ref("branch", carer.branch_id, "carer", "branch_id", f"carer '{carer.id}'", carer.id)
    for sh in s.shifts:
        key = f"{sh.carer_id}|{sh.day}|{sh.start}"
        ref("carer", sh.carer_id, "shift", "carer_id", f"shift on day {sh.day}", key)
        if sh.day >= s.days:
            add(
                "shift",
                "day",
                str(s.date(sh.day)),
                f"shift of carer '{sh.carer_id}': after the scenario's last day",
                key,
            )
    out += _overlapping_shifts(s)
    for patch in s.patches:
        for area in sorted(patch.area_ids):
            ref("area", area, "patch", "area_ids", f"patch '{patch.id}'", f"{patch.id}|{area}")
        ref(
            "provider",
            patch.lead_provider_id,
            "patch",
            "lead_provider_id",
            f"patch '{patch.id}'",
            f"{patch.id}|{min(patch.area_ids, default='')}",
        )
    if s.status_quo is not None:
        out += roster_reference_problems(s, s.status_quo, within="status_quo.")
    return out


def _overlapping_shifts(s: Scenario) -> list[Problem]:
    """A carer's shifts may be several a day (split shifts) but never overlap,
    also across midnight (a night shift and the next morning's)."""
    out = []
    by_carer: dict[str, list[Shift]] = defaultdict(list)
    for sh in s.shifts:
        by_carer[sh.carer_id].append(sh)
    for carer, shifts in by_carer.items():
        shifts.sort(key=lambda sh: sh.start)
        for a, b in itertools.pairwise(shifts):
            if b.start < a.end:
                out.append(
                    Problem(
                        entity="shift",
                        field="start",
                        value=b.start,
                        message=f"carer '{carer}' is already on the shift of day {a.day} until minute {a.end}; "
                        "a carer's shifts must not overlap",
                        key=f"{carer}|{b.day}|{b.start}",
                    )
                )
    return out


def roster_reference_problems(s: Scenario, roster: Roster, within: str = "") -> list[Problem]:
    """Rounds naming unknown carers or visits (the checker judges the rest).

    Entities are ``roster_stop`` and ``unassigned``, prefixed by ``within``
    (``status_quo.`` for a scenario's status-quo roster).
    """
    out: list[Problem] = []
    stop, unassigned = f"{within}roster_stop", f"{within}unassigned"
    for rnd in roster.rounds:
        for st in rnd.stops:
            key = f"{rnd.carer_id}|{rnd.day}|{st.visit_id}"
            if rnd.carer_id not in s._index["carer"]:
                out.append(
                    Problem(
                        entity=stop,
                        field="carer_id",
                        value=rnd.carer_id,
                        message="unknown carer",
                        key=key,
                        refers="carer",
                    )
                )
            if st.visit_id not in s._index["visit"]:
                out.append(
                    Problem(
                        entity=stop,
                        field="visit_id",
                        value=st.visit_id,
                        message="unknown visit",
                        key=key,
                        refers="visit",
                    )
                )
    for un in roster.unassigned:
        if un.visit_id not in s._index["visit"]:
            out.append(
                Problem(
                    entity=unassigned,
                    field="visit_id",
                    value=un.visit_id,
                    message="unknown visit",
                    key=un.visit_id,
                    refers="visit",
                )
            )
    return out[:MAX_PROBLEMS]


def iter_days(visits: Iterable[Visit]) -> Iterator[int]:
    """The distinct days of some visits, in order."""
    yield from sorted({v.day for v in visits})
