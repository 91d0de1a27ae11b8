"""Continuity over a week: teams carried across days, caps, known carers,
neighbourhood teams. Each rule binds in a small hand-checkable case."""

from __future__ import annotations

import dataclasses

import pytest
from builders import PLANE, carer, plane, starts, visit

import patchplan as pp


def _week(n_days: int = 3, team: dict[str, str] | None = None) -> pp.Scenario:
    """One client with a morning call every day; three carers on every day,
    all equally near, so only continuity decides who goes."""
    s = plane(
        {"a": (0, 10)},
        [visit(f"M{d}", "a", "08:00", "09:00", day=d) for d in range(n_days)],
        [carer(k, at=(0, 10 + i), days=tuple(range(n_days))) for i, k in enumerate(("k1", "k2", "k3"))],
        days=n_days,
    )
    if team:
        s = s.replace(carers=tuple(dataclasses.replace(c, team_id=team[c.id]) for c in s.carers))
    return s


def _plan(s: pp.Scenario, **params) -> pp.Roster:
    # These tests are of the team grown day by day (care_teams=False); the
    # week's CP-SAT care teams have their own (test_rounds_careteams.py).
    params.setdefault("care_teams", False)
    roster = pp.plan_rounds(
        s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=100, **params), time_limit_s=5
    ).roster
    assert pp.check(s, roster, travel=PLANE) == ()
    return roster


def _carers_of(roster: pp.Roster) -> set[str]:
    return {c for served in starts(roster).values() for c, _ in served}


def test_team_carried_across_days() -> None:
    """With a team cap, day 2 and 3 go to the carer who took day 1."""
    roster = _plan(_week(), team_cap=3)
    assert len(_carers_of(roster)) == 1


def test_new_carer_joins_only_when_the_team_cannot() -> None:
    """Day 2's team member is off: someone else joins (soft cap), then day 3
    goes back to a team member."""
    s = _week()
    first = _plan(s.replace(shifts=tuple(sh for sh in s.shifts if sh.day == 0)), team_cap=3)
    k = starts(first)["M0"][0][0]
    s2 = s.replace(shifts=tuple(sh for sh in s.shifts if not (sh.carer_id == k and sh.day == 1)))
    roster = _plan(s2, team_cap=3)
    served = {v: c for v, ((c, _),) in starts(roster).items()}
    assert served["M0"] == k and served["M1"] != k and served["M2"] in {k, served["M1"]}


def test_hard_cap_leaves_the_visit_rather_than_add_a_carer() -> None:
    """Cap 1, hard: when the client's only carer is off, the visit waits."""
    s = _week()
    first = _plan(s.replace(shifts=tuple(sh for sh in s.shifts if sh.day == 0)), team_cap=1)
    k = starts(first)["M0"][0][0]
    s2 = s.replace(shifts=tuple(sh for sh in s.shifts if not (sh.carer_id == k and sh.day == 1)))
    roster = _plan(s2, team_cap=1, cap_hard=True)
    assert {u.visit_id: u.reason for u in roster.unassigned} == {"M1": pp.Reason.CONTINUITY_CAP}
    soft = _plan(s2, team_cap=1)
    assert not soft.unassigned  # the soft cap lets a new carer in


def test_known_carers_are_preferred() -> None:
    """With prefer_known, the client's known carer k3 (the farthest) goes."""
    s = _week(1)
    s = s.replace(clients=tuple(dataclasses.replace(c, history=(("k3", 12),)) for c in s.clients))
    assert starts(_plan(s, team_cap=3, prefer_known=True))["M0"][0][0] == "k3"
    assert starts(_plan(s))["M0"][0][0] == "k1"  # without it, the nearest


def test_team_mode_keeps_a_client_within_one_team() -> None:
    """Neighbourhood teams: the client's team is the one of their known
    carer; only that team's carers visit, though another is nearer."""
    s = _week(2, team={"k1": "north", "k2": "south", "k3": "south"})
    s = s.replace(clients=tuple(dataclasses.replace(c, history=(("k2", 3),)) for c in s.clients))
    assert _carers_of(_plan(s, teams_mode=True)) <= {"k2", "k3"}


def test_team_mode_without_teams_is_bad_input() -> None:
    """Team mode needs carers with a team."""
    with pytest.raises(pp.InputError, match="carers with a team"):
        _plan(_week(1), teams_mode=True)


def test_continuity_kpis_by_hand() -> None:
    """Three visits by two carers: 2 distinct, top carer share 2/3."""
    s = _week()
    rounds = tuple(
        pp.Round(
            carer_id=k,
            day=d,
            stops=(
                pp.Stop(
                    visit_id=f"M{d}", arrival=d * 1440 + 480, start=d * 1440 + 480, end=d * 1440 + 510, travel_min=0
                ),
            ),
            leave=d * 1440 + 480,
            back=d * 1440 + 510,
        )
        for d, k in ((0, "k1"), (1, "k1"), (2, "k2"))
    )
    k = pp.score(s, pp.Roster(rounds=rounds, provider_id="P"), travel=PLANE)
    assert k.distinct_carers_per_client_mean == 2 and k.top_carer_share == pytest.approx(2 / 3, abs=1e-3)
