"""The Essex generator's working records: call patterns, drawn demand and provider drafts.

They are mutable on purpose (calibration nudges patterns; brokerage and staffing fill in drafts) and
become model objects only when the scenario is assembled (:mod:`patchplan.essex.generator`): a
pattern's calls become :class:`~patchplan.core.patterns.CallPattern` rows (:func:`call_patterns`),
which expand to the dated visits. The generator and the workforce (:mod:`patchplan.essex.workforce`)
share them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from patchplan.core.model import Area, Branch, Client, band_minutes
from patchplan.core.patterns import CallPattern

DEFAULT_START = dt.date(2026, 11, 30)  # a Monday
#: A night call may start half an hour either side of its time.
NIGHT_WINDOW_MIN = 30


@dataclass(frozen=True, slots=True)
class Call:
    """One call of a weekly pattern (times are minutes from midnight)."""

    label: str
    preferred: int
    duration: int
    carers: int = 1
    fixed: bool = False
    skills: frozenset[str] = frozenset()


@dataclass
class Pattern:
    """A client's weekly call pattern (or a live-in service), before it becomes visits."""

    service_type: str
    cohort: str
    weekdays: list[int]
    calls: list[Call]
    #: live-in hours (no visits)
    live_in_hours: float = 0.0

    @property
    def hours(self) -> float:
        """Care hours a week."""
        if self.service_type == "live_in":
            return self.live_in_hours
        return len(self.weekdays) * sum(c.duration * c.carers for c in self.calls) / 60


@dataclass
class Demand:
    """One client's package as the generator draws it: where, what, and (once placed) with whom."""

    client: Client
    pattern: Pattern
    area: Area
    status: str = "placed"
    urgency: str = "routine"
    start: dt.date = DEFAULT_START
    received: dt.date | None = None
    provider_id: str | None = None


@dataclass
class ProviderDraft:
    """A provider while it is being made: branches, services and the capacity its shifts add up to."""

    id: str
    name: str
    tier: int
    rate: float
    districts: list[str]
    branches: list[Branch] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    capacity: dict[tuple[int, str], float] = field(default_factory=dict)
    live_in_slots: int = 0
    #: Care hours the day carers deliver by weekday x half hour (numpy array; None until staffed):
    #: the placement checks calls against it as well as against the bands.
    slots: Any = None


def band_need(p: Pattern) -> dict[tuple[int, str], float]:
    """Care hours a pattern needs, by (weekday, time band)."""
    need: dict[tuple[int, str], float] = defaultdict(float)
    for wd in p.weekdays:
        for call in p.calls:
            for band, minutes in band_minutes(call.preferred, call.preferred + call.duration).items():
                need[(wd, band)] += minutes * call.carers / 60
    return need


def call_patterns(p: Pattern, package_id: str, client_id: str, first_week: dt.date) -> tuple[CallPattern, ...]:
    """A pattern's calls as recurring calls of a package, one per call, on the pattern's weekdays.

    The windows are the generator's: a time-critical call exactly at its
    time; a night call from half an hour before its time to half an hour
    after (tolerance 30); any other call the default window of
    :func:`patchplan.core.patterns.window` (an hour either side, not before
    06:30; tolerance 30). Live-in care has no calls.
    """
    out = []
    for call in p.calls:
        if call.fixed:
            earliest, latest, tolerance = call.preferred, call.preferred + call.duration, 0
        elif call.label == "night":
            earliest = call.preferred - NIGHT_WINDOW_MIN
            latest, tolerance = call.preferred + NIGHT_WINDOW_MIN + call.duration, NIGHT_WINDOW_MIN
        else:
            earliest, latest, tolerance = None, None, 30
        out.append(
            CallPattern(
                package_id=package_id,
                client_id=client_id,
                weekdays=tuple(sorted(p.weekdays)),
                time=call.preferred,
                duration_min=call.duration,
                tolerance_min=tolerance,
                earliest=earliest,
                latest=latest,
                carers_required=call.carers,
                skills=call.skills,
                label=call.label,
                first_week=first_week,
            )
        )
    return tuple(out)
