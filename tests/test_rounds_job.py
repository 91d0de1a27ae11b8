"""rounds.job: the job's policy (defaults of a week, the plan beside the
status quo, both scored over the visits planned)."""

from __future__ import annotations

import patchplan as pp
from patchplan.rounds.job import (
    MAX_DEFAULT_SECONDS,
    SECONDS_PER_DAY,
    WEEK_TEAM_CAP,
    default_time_limit,
    plan_and_score,
    week_params,
)


def test_default_budget_grows_with_days_up_to_the_cap() -> None:
    assert default_time_limit(1) == SECONDS_PER_DAY
    assert default_time_limit(0) == SECONDS_PER_DAY
    assert default_time_limit(100) == MAX_DEFAULT_SECONDS


def test_a_week_turns_continuity_on() -> None:
    assert week_params(pp.RoundsParams()).team_cap == WEEK_TEAM_CAP
    assert week_params(pp.RoundsParams(), team_cap=2).team_cap == 2


def test_plan_and_status_quo_are_scored_over_the_same_visits() -> None:
    s = pp.essex(district="Maldon", seed=1, scale=0.2)
    pid = pp.rounds.largest_provider(s)
    report = plan_and_score(s, pid, [0], params=pp.RoundsParams(solution_limit=20), time_limit_s=20)
    assert report.violations == ()
    assert report.kpis.visits_in_scope == len(report.plan.visit_ids) == len(s.visits_of_provider(pid, [0]))
    assert report.status_quo_kpis is not None
    assert report.status_quo_kpis.visits_in_scope == report.kpis.visits_in_scope
    head = report.headline(["travel_min", "visits_unassigned"])
    assert head["start_served"] == report.plan.start_served <= head["visits_served"]
    assert head["visits_unassigned"] <= head["status_quo_visits_unassigned"]
    assert {k for k in head if k.startswith("status_quo_")} == {
        "status_quo_travel_min",
        "status_quo_visits_unassigned",
    }
