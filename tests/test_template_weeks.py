"""Week after week (issue 14 part 5): next week's plan from this week's roster keeps each client's
carers and care team; a carer's holiday moves only that carer's calls."""

from __future__ import annotations

from builders import PLANE, carer, plane, visit

import patchplan as pp
from patchplan.check.checker import check
from patchplan.rounds.careteams import care_teams
from patchplan.rounds.plan import plan_rounds
from patchplan.rounds.replan import plan_week_from_template

PARAMS = pp.RoundsParams(team_cap=3, solution_limit=100)


def _week() -> pp.Scenario:
    """Two days; six clients in three pairs, each pair 5-8 minutes from one carer's home (k1 at the
    origin, k2 50 minutes east, k3 50 minutes north) and 30-45 minutes from the others'; k4, a
    spare, lives halfway. Every client has a 08:00 and an 11:00 call of 30 minutes each day
    (windows of an hour), so each carer can do their own pair's calls and the spare can take one
    pair's calls if its carer is away."""
    clients = {"a": (0, 5), "b": (0, 8), "c": (50, 5), "d": (50, 8), "e": (5, 50), "f": (8, 50)}
    visits = [
        visit(f"{c}{part}{d}", c, t, late, 30, day=d)
        for d in (0, 1)
        for c in clients
        for part, t, late in (("M", "08:00", "09:00"), ("L", "11:00", "12:00"))
    ]
    carers = [
        carer("k1", (0, 0), days=(0, 1)),
        carer("k2", (50, 0), days=(0, 1)),
        carer("k3", (0, 50), days=(0, 1)),
        carer("k4", (25, 25), days=(0, 1)),
    ]
    return plane(clients, visits, carers, days=2)


def _carers(roster: pp.Roster) -> dict[str, tuple[str, ...]]:
    return {vid: tuple(sorted(cs)) for vid, cs in roster.assignments().items()}


def _first_week(s: pp.Scenario) -> pp.RoundsPlan:
    plan = plan_rounds(s, "P", travel=PLANE, params=PARAMS)
    assert not plan.roster.unassigned
    assert check(s, plan.roster, travel=PLANE) == ()
    return plan


def test_an_unchanged_week_keeps_every_calls_carer_and_every_team() -> None:
    """Same calls, same carers: every one of the 24 calls keeps last week's carer (no move), every
    client keeps last week's team, nothing is unassigned and the checker finds nothing."""
    s = _week()
    first = _first_week(s)
    again = plan_week_from_template(s, first.roster, "P", travel=PLANE, params=PARAMS, teams=first.care_teams)
    assert again.moves == ()
    assert _carers(again.plan.roster) == _carers(first.roster)
    assert len(_carers(again.plan.roster)) == 24 and not again.plan.roster.unassigned
    assert again.unchanged == frozenset("abcdef")
    assert again.plan.care_teams is not None and again.plan.care_teams.kept == frozenset("abcdef")
    assert dict(again.plan.care_teams.teams) == dict(first.care_teams.teams)
    assert check(s, again.plan.roster, travel=PLANE) == ()


def test_a_holiday_moves_only_that_carers_calls() -> None:
    """The carer with most calls last week has no shifts this week: each of their calls is still
    served, by someone else; every other call keeps its carer; only the clients that carer served
    have their team solved again."""
    s = _week()
    first = _first_week(s)
    before = _carers(first.roster)
    counts: dict[str, int] = {}
    for cs in before.values():
        for c in cs:
            counts[c] = counts.get(c, 0) + 1
    off = max(sorted(counts), key=lambda c: counts[c])
    away = s.replace(shifts=tuple(sh for sh in s.shifts if sh.carer_id != off))
    again = plan_week_from_template(away, first.roster, "P", travel=PLANE, params=PARAMS, teams=first.care_teams)
    after = _carers(again.plan.roster)
    assert not again.plan.roster.unassigned and set(after) == set(before)
    theirs = {vid for vid, cs in before.items() if off in cs}
    assert theirs and all(off not in after[vid] for vid in theirs)
    assert {m.visit_id for m in again.moves} == theirs
    assert {vid: cs for vid, cs in after.items() if vid not in theirs} == {
        vid: cs for vid, cs in before.items() if vid not in theirs
    }
    with_off = {c for c, team in first.care_teams.teams.items() if off in team}
    assert again.plan.care_teams is not None
    assert again.plan.care_teams.kept == frozenset("abcdef") - with_off
    assert check(away, again.plan.roster, travel=PLANE) == ()


def _two_day_client() -> pp.Scenario:
    """Client a: an 08:00 and a 19:00 call on days 0 and 1. k_am (mornings) and k_pm (evenings)
    live 5 minutes away; k_far works both parts of both days, 60 minutes away."""
    visits = [visit(f"{part}{d}", "a", t, t, 30, day=d) for d in (0, 1) for part, t in (("M", "08:00"), ("E", "19:00"))]
    carers = [
        carer("k_am", (0, 5), ("07:00", "11:00"), days=(0, 1)),
        carer("k_pm", (0, 5), ("17:00", "22:00"), days=(0, 1)),
        carer("k_far", (0, 60), (("07:00", "11:00"), ("17:00", "21:00")), days=(0, 1)),
    ]
    return plane({"a": (0, 0)}, visits, carers, days=2)


def test_the_team_model_keeps_a_team_that_still_covers_the_calls() -> None:
    """Left alone the model takes the near pair (k_am, k_pm); told last week's team was k_far, who
    can take every call, it keeps k_far and reports the client kept."""
    s = _two_day_client()
    fresh = care_teams(s, s.visits, s.carers, PLANE, team_cap=3, time_limit_s=5, deterministic=True)
    assert set(fresh.teams["a"]) == {"k_am", "k_pm"} and not fresh.kept
    kept = care_teams(
        s, s.visits, s.carers, PLANE, team_cap=3, keep={"a": ("k_far",)}, time_limit_s=5, deterministic=True
    )
    assert kept.teams["a"] == ("k_far",) and kept.kept == frozenset({"a"}) and not kept.uncovered


def test_the_team_model_solves_again_a_team_with_a_member_away() -> None:
    """Last week's team was k_am and k_pm; k_pm has no shifts this week: the team is solved again
    (not kept), k_am stays in it and the evenings get a member who works them (k_far)."""
    s = _two_day_client()
    away = s.replace(shifts=tuple(sh for sh in s.shifts if sh.carer_id != "k_pm"))
    keep = {"a": ("k_am", "k_pm")}
    teams = care_teams(away, away.visits, away.carers, PLANE, team_cap=3, keep=keep, time_limit_s=5, deterministic=True)
    assert not teams.kept and set(teams.teams["a"]) == {"k_am", "k_far"} and not teams.uncovered


def test_the_team_model_keeps_a_team_that_covers_what_it_did() -> None:
    """Last week's team was k_am alone (the evenings were breaks): nothing changed, so it is kept
    as it was, and the evening calls stay uncovered with their reason."""
    s = _two_day_client()
    teams = care_teams(
        s, s.visits, s.carers, PLANE, team_cap=3, keep={"a": ("k_am",)}, time_limit_s=5, deterministic=True
    )
    assert teams.kept == frozenset({"a"}) and teams.teams["a"] == ("k_am",)
    assert set(teams.uncovered) == {"E0", "E1"} and all("team" in why for why in teams.uncovered.values())


def test_a_stopped_search_gives_back_its_start_with_double_ups_in_step() -> None:
    """The start a stopped search gives back is timed so a double-up's two carers start together:
    k1 does A (08:30, 30 min) and then reaches C at 09:20; k2 could be there at 09:00 but waits,
    so both start C at 09:20, and the checker finds nothing in the rounds read from it."""
    from builders import hm

    from patchplan.rounds.day import _DayBuilder

    s = plane(
        {"a": (0, 10), "c": (0, 30)},
        [visit("A", "a", "08:30", "08:30", 30), visit("C", "c", "09:00", "10:00", 30, carers=2)],
        [carer("k1", (0, 0)), carer("k2", (0, 20))],
    )
    builder = _DayBuilder(s, "P", 0, list(s.visits), s.carers, {"k1": 2880, "k2": 2880}, PLANE, PARAMS, 0, None)
    problem = builder.problem(wide=set(), breaks=set())
    vehicle = {c.id: k for k, (c, _) in enumerate(builder.shifts)}
    nodes: dict[str, list[int]] = {}
    for n, v in enumerate(builder.node_visit):
        nodes.setdefault(v.id, []).append(n)
    (a,), (c0, c1) = nodes["A"], nodes["C"]
    routes = [[] for _ in builder.shifts]
    routes[vehicle["k1"]], routes[vehicle["k2"]] = [a, c0], [c1]
    start = builder._timed_start(problem, routes, 1.0)
    assert start is not None and start.status == "start" and not start.dropped
    starts = {n: at for r in start.routes for n, at in zip(r.nodes, r.starts, strict=True)}
    assert starts[c0] == starts[c1] == hm("09:20")
    rounds, unassigned = builder.roster_parts(start)
    assert not unassigned
    assert check(s, pp.Roster(rounds=tuple(rounds), unassigned=(), provider_id="P"), travel=PLANE) == ()
