"""patchplan.essex.facts: published figures scale with the district's share; facts count a scenario."""

from __future__ import annotations

import pytest

import patchplan as pp
from patchplan.essex.facts import PUBLISHED, demand_share, expected_figures, facts
from patchplan.geo import geography as geo


def test_shares_of_all_districts_add_up_to_one() -> None:
    """Each cohort's demand share over the twelve districts sums to 1."""
    g = geo.essex()
    shares = [demand_share(g, {d.id}) for d in g.districts]
    for cohort in ("older_people", "working_age"):
        assert sum(s[cohort] for s in shares) == pytest.approx(1.0)
    assert demand_share(g, {d.id for d in g.districts}) == {"older_people": 1.0, "working_age": 1.0}


def test_expected_figures_scale_linearly_and_keep_the_split() -> None:
    """The county at scale 0.5 expects half of each published total."""
    half = expected_figures(None, 0.5)
    assert half["hours_week"] == pytest.approx(PUBLISHED["hours_week"] / 2)
    assert half["personal_care_hours"] + half["night_live_in_hours"] == pytest.approx(half["hours_week"])
    one = expected_figures("Maldon", 1.0)
    assert one["districts"] == 1 and 0 < one["hours_week"] < PUBLISHED["hours_week"] / 5


def test_facts_count_the_tiny_scenario(tiny: pp.Scenario) -> None:
    """tiny: 3 placed clients of 3.5-7 h, 1 package awaiting; no generator settings, so nothing expected."""
    f = facts(tiny)
    assert f["figures"]["clients"] == 3 and f["expected"] == {}
    assert f["extra"]["backlog_packages"] == 1
    placed = sum(p.hours_week for p in tiny.packages if p.status == "placed")
    assert f["figures"]["hours_week"] == pytest.approx(placed)
