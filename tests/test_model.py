"""Domain objects check their own invariants and name what is wrong."""

from __future__ import annotations

import dataclasses

import pytest

import patchplan as pp
from patchplan.core.model import Location, band_minutes


def test_visit_window_before_start_is_rejected() -> None:
    """A visit whose latest start is before its earliest names both."""
    with pytest.raises(pp.InputError, match=r"visit 'v1': latest .*before the earliest start \(600\)"):
        pp.Visit(id="v1", package_id="p", client_id="c", day=0, early=600, late=500, duration_min=30)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration_min": 0}, "duration_min must be > 0"),  # zero-length visit
        ({"duration_min": -5}, "duration_min must be > 0"),  # negative duration
        ({"carers_required": 3}, "carers_required must be 1 or 2"),  # triple-up
        ({"target": 900}, "preferred must lie in the window"),  # preferred outside window
        ({"tolerance_min": -1}, "tolerance_min must be >= 0"),
    ],
)
def test_visit_invariants(changes: dict, message: str) -> None:
    """Each broken visit field raises InputError naming the field."""
    base = {"id": "v1", "package_id": "p", "client_id": "c", "day": 0, "early": 480, "late": 600, "duration_min": 30}
    with pytest.raises(pp.InputError, match=message):
        pp.Visit(**{**base, **changes})


def test_all_problems_of_one_object_are_reported_together() -> None:
    """Two bad fields give two problems, not one."""
    with pytest.raises(pp.InputError) as info:
        pp.Visit(id="v1", package_id="p", client_id="c", day=-1, early=480, late=600, duration_min=0)
    assert len(info.value.problems) == 2


def test_package_status_needs_provider() -> None:
    """A placed package must name its provider."""
    with pytest.raises(pp.InputError, match="provider_id is required"):
        pp.Package(
            id="p",
            client_id="c",
            service_type="personal_care",
            hours_week=3,
            start=__import__("datetime").date(2026, 1, 1),
        )


def test_scenario_reports_dangling_references(tiny: pp.Scenario) -> None:
    """A visit pointing at an unknown package is named with its id."""
    bad = dataclasses.replace(tiny.visits[0], package_id="NOPE")
    with pytest.raises(pp.InputError, match="visit 'V1': unknown package"):
        tiny.replace(visits=(bad, *tiny.visits[1:]))


def test_scenario_reports_duplicate_ids(tiny: pp.Scenario) -> None:
    """Two carers with one id are an error."""
    with pytest.raises(pp.InputError, match="duplicate carer id"):
        tiny.replace(carers=(*tiny.carers, tiny.carers[0]))


def test_location_range() -> None:
    """Latitude beyond 90 degrees is refused."""
    with pytest.raises(pp.InputError, match=r"lat must be in \[-90, 90\]"):
        Location(91.0, 0.0)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (8 * 60, 9 * 60, {"morning": 60}),  # inside the morning band
        (10 * 60, 11 * 60, {"morning": 30, "midday": 30}),  # straddles two bands
        (22 * 60, 31 * 60, {"night": 540}),  # a waking night
        (5 * 60, 6 * 60, {"night": 60}),  # small hours belong to the night before
    ],
)
def test_band_minutes(start: int, end: int, expected: dict) -> None:
    """Minutes of a visit are split over the capacity bands it overlaps."""
    assert band_minutes(start, end) == expected


def test_roster_assignments_lists_both_carers_of_a_double_up() -> None:
    """assignments() maps a double-up visit to both carers."""
    stop = pp.Stop(visit_id="v", arrival=0, start=0, end=30)
    roster = pp.Roster(
        rounds=(
            pp.Round(carer_id="a", day=0, stops=(stop,), leave=0, back=30),
            pp.Round(carer_id="b", day=0, stops=(stop,), leave=0, back=30),
        )
    )
    assert roster.assignments() == {"v": ["a", "b"]}
