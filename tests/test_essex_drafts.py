"""patchplan.essex.drafts: a pattern's hours and the band hours it needs agree."""

from __future__ import annotations

import pytest

from patchplan.essex.drafts import Call, Pattern, band_need


def test_hours_count_every_carer_on_every_day() -> None:
    """Two 30-minute calls, one a double-up, on five days: 5 x (30 + 60) / 60 = 7.5 h."""
    p = Pattern(
        "personal_care", "older_people", [0, 1, 2, 3, 4], [Call("morning", 8 * 60, 30, 2), Call("bed", 20 * 60, 30)]
    )
    assert p.hours == 7.5
    assert Pattern("live_in", "working_age", [], [], live_in_hours=168.0).hours == 168.0


def test_band_need_adds_up_to_the_hours() -> None:
    """The hours by (weekday, band) sum to the pattern's hours, and only on its weekdays."""
    p = Pattern(
        "personal_care", "older_people", [1, 3], [Call("morning", 8 * 60 + 45, 30), Call("lunch", 12 * 60, 45, 2)]
    )
    need = band_need(p)
    assert sum(need.values()) == pytest.approx(p.hours)
    assert {wd for wd, _ in need} == {1, 3}
