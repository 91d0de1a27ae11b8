"""patchplan.essex.facts: published figures scale with the district's share; facts count a scenario."""

from __future__ import annotations

import pytest

import patchplan as pp
from patchplan.essex.facts import PUBLISHED, WORKFORCE_CITED, demand_share, expected_figures, facts
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


def test_facts_show_the_workforce_mix_beside_its_sources(tmp_path) -> None:
    """A generated scenario's facts give its day carers' hours classes near the cited 47/38/15, its
    zero-hours share near 43% and its split-shift share under the survey's 71% upper bound, from a
    folder too (the generator's record of its rota is in scenario.toml)."""
    s = pp.essex(district="Harlow", seed=2, scale=0.2)
    extra = facts(s)["extra"]
    for key in ("carers_full_time_share", "carers_part_time_share", "carers_no_set_hours_share"):
        assert extra[key] == pytest.approx(WORKFORCE_CITED[key][0], abs=0.03), key
    assert extra["carers_zero_hours_share"] == pytest.approx(0.43, abs=0.07)
    assert 0.1 < extra["carers_split_shift_share"] < WORKFORCE_CITED["carers_split_shift_share"][0]
    assert 0.6 < extra["carers_in_runs_share"] <= 1.0
    back = facts(pp.read_scenario(pp.write_scenario(s, tmp_path / "h")))["extra"]
    assert {k: back[k] for k in WORKFORCE_CITED} == {k: extra[k] for k in WORKFORCE_CITED}


def test_facts_without_a_generated_rota_show_only_what_the_carers_say(tiny: pp.Scenario) -> None:
    """tiny has day carers but no generator record: zero-hours and split shares only."""
    extra = facts(tiny)["extra"]
    assert "carers_full_time_share" not in extra and "carers_in_runs_share" not in extra
    day = [c for c in tiny.carers if any(sh.start % 1440 != 21 * 60 for sh in tiny.shifts_of(c.id))]
    zero = sum(c.contracted_hours_week == 0 for c in day) / len(day)
    assert extra["carers_zero_hours_share"] == pytest.approx(zero)
