"""patchplan.rounds.careteams: each client's care team for the week, and the breaks routing reports."""

from __future__ import annotations

from builders import PLANE, carer, plane, visit

from patchplan.check.checker import check
from patchplan.core.params import RoundsParams
from patchplan.rounds.careteams import care_teams
from patchplan.rounds.plan import plan_rounds


def _two_day_client():
    """Client a: an 08:00 and a 19:00 call on days 0 and 1. k_am works mornings, k_pm evenings, both
    days; k_s0 and k_s1 work a split shift on one day each; k_far works both, far away."""
    visits = [visit(f"{part}{d}", "a", t, t, 30, day=d) for d in (0, 1) for part, t in (("M", "08:00"), ("E", "19:00"))]
    carers = [
        carer("k_am", (0, 5), ("07:00", "11:00"), days=(0, 1)),
        carer("k_pm", (0, 5), ("17:00", "22:00"), days=(0, 1)),
        carer("k_s0", (0, 8), (("07:00", "11:00"), ("17:00", "21:00")), days=(0,)),
        carer("k_s1", (0, 8), (("07:00", "11:00"), ("17:00", "21:00")), days=(1,)),
        carer("k_far", (0, 60), (("07:00", "11:00"), ("17:00", "21:00")), days=(0, 1)),
    ]
    return plane({"a": (0, 0)}, visits, carers, days=2)


def test_a_team_of_two_that_covers_everything_is_at_most_two() -> None:
    """Every call is covered by a team of two; the model takes no third member it does not need,
    and prefers the near pair over the far carer who alone could cover all (travel 60 min)."""
    s = _two_day_client()
    teams = care_teams(s, s.visits, s.carers, PLANE, team_cap=3, time_limit_s=5)
    team = teams.teams["a"]
    assert 1 <= len(team) <= 2 and not teams.uncovered
    assert "k_far" not in team


def test_the_rounds_keep_to_the_team() -> None:
    """Planned over both days with team_cap 3, every call goes to a member of the client's team:
    no continuity break, nothing unassigned, and the checker finds nothing."""
    s = _two_day_client()
    plan = plan_rounds(s, "P", travel=PLANE, params=RoundsParams(team_cap=3, time_limit_s=4))
    team = set(plan.care_teams.teams["a"])
    assert not plan.roster.unassigned and not plan.continuity_breaks
    assert {r.carer_id for r in plan.roster.rounds} <= team
    assert check(s, plan.roster, travel=PLANE) == ()


def test_a_call_no_team_can_cover_is_a_break_not_unassigned() -> None:
    """With a cap of one, no single carer works both mornings: one call falls outside the team, is
    reported uncovered by the team model, and the rounds still serve it, by another carer, as a
    continuity break with its reason."""
    visits = [visit(f"M{d}", "a", "08:00", "08:00", 30, day=d) for d in (0, 1)]
    carers = [carer("k0", (0, 5), ("07:00", "11:00"), days=(0,)), carer("k1", (0, 5), ("07:00", "11:00"), days=(1,))]
    s = plane({"a": (0, 0)}, visits, carers, days=2)
    plan = plan_rounds(s, "P", travel=PLANE, params=RoundsParams(team_cap=1, time_limit_s=4))
    assert len(plan.care_teams.teams["a"]) == 1
    assert len(plan.care_teams.uncovered) == 1
    assert "team" in next(iter(plan.care_teams.uncovered.values()))
    assert not plan.roster.unassigned
    (brk,) = plan.continuity_breaks
    assert brk.reason == "team_off_shift" and brk.carer_id not in plan.care_teams.teams["a"]
    assert check(s, plan.roster, travel=PLANE) == ()


def test_team_first_offers_a_call_its_team_until_it_is_left_out(monkeypatch) -> None:
    """k3 lives next to client a; k1 is a's team. The floor gave a's call to k3. Team first
    (the default), the first search is offered k1 alone and starts from k1 taking it; once the
    call is left out and opened, everyone eligible; without team first, the floor's carer too."""
    import dataclasses

    from patchplan.rounds.day import _DayBuilder
    from patchplan.solver.problem import Route, RoutingSolution

    s = plane(
        {"a": (0, 1)},
        [visit("A", "a", "08:00", "09:00", 30)],
        [carer("k1", (0, 20)), carer("k2", (0, 40)), carer("k3", (0, 0))],
    )
    left = {"k1": 2880, "k2": 2880, "k3": 2880}

    def offered(params: RoundsParams, opened: bool = False) -> tuple[_DayBuilder, set[str]]:
        b = _DayBuilder(s, "P", 0, list(s.visits), s.carers, left, PLANE, params, 0, None, preferred={"A": {"k1"}})
        vehicle = {c.id: k for k, (c, _) in enumerate(b.shifts)}
        b.greedy_choice["A"] = {vehicle["k3"]}
        if opened:
            b.opened.add("A")
        problem = b.problem(wide=set(), breaks=set())
        return b, {b.shifts[k][0].id for k in problem.nodes[0].allowed}

    params = RoundsParams(team_cap=3)
    assert offered(params)[1] == {"k1"}
    assert offered(params, opened=True)[1] == {"k1", "k2", "k3"}
    assert offered(dataclasses.replace(params, team_first=False))[1] == {"k1", "k3"}
    builder, _ = offered(params)
    problem = builder._last_problem
    k3 = next(k for k, (c, _) in enumerate(builder.shifts) if c.id == "k3")
    floor = RoutingSolution(
        routes=(Route(vehicle=k3, nodes=(0,), starts=(480,), leave=479, back=511),),
        dropped=(),
        objective=0,
        status="floor",
        wall_s=0.0,
    )
    start = builder._team_start(floor, problem)
    assert [builder.shifts[k][0].id for k, r in enumerate(start) if r] == ["k1"]
    # On a small budget the same start goes to the search unchecked (no child process).
    from patchplan.solver import _ortools

    def no_check(*_args: object) -> bool:
        raise AssertionError("checked")

    monkeypatch.setattr(_ortools, "routes_feasible", no_check)
    assert builder._team_start(floor, problem, checked=False) == start
