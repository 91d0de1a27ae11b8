"""Demand awaiting a provider: a package, its client and its weekly call pattern.

Plain values, like the rest of the model: :mod:`patchplan.io.feed` reads them from a
feed, :mod:`patchplan.broker.demand` summarises and publishes them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from patchplan.core.model import (
    BAND_NAMES,
    RESPONSE_DAYS,
    Client,
    Package,
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
