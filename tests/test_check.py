"""The independent checker finds each rule broken on purpose, and scores
rosters with the same KPIs whoever made them."""

from __future__ import annotations

import dataclasses

import pytest
from builders import PLANE, carer, checker_roster, checker_scenario, hm, plane, stop, visit

import patchplan as pp

_base = checker_scenario
_good = checker_roster


def _rules(s: pp.Scenario, roster: pp.Roster, **kw) -> set[str]:
    return {v.rule for v in pp.check(s, roster, travel=PLANE, **kw)}


def _edit_stop(roster: pp.Roster, carer: str, vid: str, **changes) -> pp.Roster:
    rounds = []
    for rnd in roster.rounds:
        if rnd.carer_id == carer:
            rnd = dataclasses.replace(
                rnd, stops=tuple(dataclasses.replace(s, **changes) if s.visit_id == vid else s for s in rnd.stops)
            )
        rounds.append(rnd)
    return roster.replace(rounds=tuple(rounds))


def test_hand_made_roster_is_clean() -> None:
    """The hand-made roster breaks no rule (so each test below breaks one)."""
    assert pp.check(_base(), _good(), travel=PLANE) == ()


def _drop(roster: pp.Roster, vid: str) -> pp.Roster:
    rounds = tuple(dataclasses.replace(r, stops=tuple(s for s in r.stops if s.visit_id != vid)) for r in roster.rounds)
    return roster.replace(rounds=tuple(r for r in rounds if r.stops))


BROKEN = {
    # rule: how to break it
    "coverage": lambda r: _drop(r, "B"),
    "served_and_unassigned": lambda r: r.replace(
        unassigned=(pp.Unassigned(visit_id="A", reason=pp.Reason.NO_TIME_LEFT),)
    ),
    "double_up_incomplete": lambda r: r.replace(rounds=r.rounds[:1]),
    "double_up_sync": lambda r: _edit_stop(r, "k2", "C", start=hm("11:05"), end=hm("11:35"), arrival=hm("11:05")),
    "window": lambda r: _edit_stop(
        _edit_stop(r, "k1", "C", start=hm("12:10"), end=hm("12:40")), "k2", "C", start=hm("12:10"), end=hm("12:40")
    ),
    "duration": lambda r: _edit_stop(r, "k1", "B", end=hm("09:15")),
    "travel": lambda r: _edit_stop(r, "k1", "B", start=hm("08:31"), end=hm("09:01")),
    "overlap": lambda r: _edit_stop(r, "k1", "B", start=hm("08:20"), end=hm("08:50")),
    "shift": lambda r: r.replace(rounds=(dataclasses.replace(r.rounds[0], leave=hm("06:30")), r.rounds[1])),
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_checker_finds_broken_roster(rule: str) -> None:
    """Breaking one rule by hand gives a violation of exactly that kind."""
    assert rule in _rules(_base(), BROKEN[rule](_good()))


def test_skills_gender_prohibited_wrong_carer() -> None:
    """k2 (male, no medication) doing A and B breaks skills and gender;
    prohibiting k1 at a breaks 'prohibited'."""
    s = _base()
    swapped = pp.Roster(
        rounds=(
            pp.Round(
                carer_id="k2",
                day=0,
                stops=(stop("A", hm("08:00"), travel=20), stop("B", hm("09:00"), travel=10)),
                leave=hm("07:40"),
                back=hm("09:40"),
            ),
        ),
        unassigned=(pp.Unassigned(visit_id="C", reason=pp.Reason.NO_TIME_LEFT),),
        provider_id="P",
        meta=(("days", "0"),),
    )
    assert {"skills", "gender"} <= _rules(s, swapped)
    s2 = s.replace(
        clients=tuple(
            dataclasses.replace(c, prohibited_carers=frozenset({"k1"})) if c.id == "a" else c for c in s.clients
        )
    )
    assert "prohibited" in _rules(s2, _good())


def test_shift_work_limit_and_weekly_hours() -> None:
    """A 4-hour limit per shift and 3 hours a week are both reported."""
    s = _base()
    s = s.replace(
        shifts=tuple(dataclasses.replace(sh, max_work_min=120) if sh.carer_id == "k1" else sh for sh in s.shifts),
        carers=tuple(dataclasses.replace(c, max_hours_week=3.0) if c.id == "k1" else c for c in s.carers),
    )
    assert {"shift_work", "weekly_hours"} <= _rules(s, _good())


def test_break_rule() -> None:
    """Seven back-to-back hours without a 20-minute gap break the WTR rule."""
    clients = {f"c{i}": (0, 1) for i in range(7)}
    visits = [visit(f"V{i}", f"c{i}", f"{7 + i:02d}:00", f"{7 + i:02d}:00", 60) for i in range(7)]
    s = plane(clients, visits, [carer("k", shift=("06:00", "16:00"))])
    stops = tuple(stop(f"V{i}", hm(f"{7 + i:02d}:00"), 60, travel=1 if i == 0 else 0) for i in range(7))
    roster = pp.Roster(
        rounds=(pp.Round(carer_id="k", day=0, stops=stops, leave=hm("06:59"), back=hm("14:01")),), meta=(("days", "0"),)
    )
    assert "break" in _rules(s, roster)


def test_two_rounds_and_served_twice() -> None:
    """One carer with two rounds in a day, and a visit served twice."""
    r = _good()
    extra = pp.Round(
        carer_id="k1", day=0, stops=(stop("A", hm("08:00"), travel=10),), leave=hm("07:50"), back=hm("08:40")
    )
    assert {"two_rounds", "served_twice"} <= _rules(_base(), r.replace(rounds=(*r.rounds, extra)))


def test_link_rules() -> None:
    """A link's gap and 'two different carers' are both checked."""
    s = _base().replace(links=(pp.VisitLink(first="A", second="B", min_gap=0, max_gap=30),))
    assert {"link_gap", "link_same_carer"} <= _rules(s, _good())


def test_capacity() -> None:
    """Loads beyond the carer's capacity are reported."""
    s = _base()
    s = s.replace(visits=tuple(dataclasses.replace(v, load=5) for v in s.visits))
    assert "capacity" in _rules(s, _good(), capacity=8)


def test_kpis_by_hand() -> None:
    """Travel, care, on-time and continuity of the hand-made roster."""
    k = pp.score(_base(), _good(), travel=PLANE)
    # k1: 10 out, 10, 10, 30 back = 60; k2: 0 out (lives at c), 0 back.
    assert k.travel_min == 60
    assert k.care_min == 4 * 30
    assert k.paid_min == (hm("12:00") - hm("07:50")) + 30
    assert (k.visits_served, k.visits_unassigned, k.on_time, k.late) == (3, 0, 3, 0)


def test_status_quo_of_a_generated_scenario_is_clean(maldon: pp.Scenario) -> None:
    """The greedy status quo keeps every rule the checker knows."""
    assert maldon.status_quo is not None
    assert pp.check(maldon, maldon.status_quo) == ()
