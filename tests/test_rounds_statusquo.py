"""patchplan.rounds.statusquo: the greedy coordinator's roster keeps every rule and is reproducible."""

from __future__ import annotations

import dataclasses

from builders import checker_roster, checker_scenario

import patchplan as pp
from patchplan.rounds.statusquo import consecutive_distance_miles, status_quo_for, status_quo_roster, with_history


def test_status_quo_of_tiny_is_clean_and_deterministic(tiny: pp.Scenario) -> None:
    """The tiny scenario's status quo breaks no checker rule and is the same twice."""
    roster = status_quo_roster(tiny)
    assert pp.check(tiny, roster) == ()
    assert status_quo_roster(tiny) == roster
    assert roster.rounds, "tiny has placed visits, so someone works"


def test_status_quo_for_keeps_one_provider_and_its_days(maldon: pp.Scenario) -> None:
    """Restricted to a provider and two days: only its carers' rounds on those days, and the scope says so."""
    pid = next(p.id for p in maldon.providers if maldon.carers_of(p.id))
    part = status_quo_for(maldon, pid, [1, 2])
    mine = {c.id for c in maldon.carers_of(pid)}
    assert all(r.carer_id in mine and r.day in (1, 2) for r in part.rounds)
    assert dict(part.meta)["days"] == "1,2" and part.provider_id == pid
    assert all(maldon.visit(u.visit_id).day in (1, 2) for u in part.unassigned)
    assert pp.check(maldon, part) == ()


def test_history_keeps_the_most_frequent_carers() -> None:
    """k1 serves A, B and C, k2 only C: client c's history is both, k1 first by name on a tie."""
    s = with_history(checker_scenario(), checker_roster(), keep=3)
    assert s.client("a").history == (("k1", 1),)
    assert s.client("c").history == (("k1", 1), ("k2", 1))
    assert with_history(checker_scenario(), checker_roster(), keep=1).client("c").history == (("k1", 1),)


def test_consecutive_miles_skip_the_home_legs() -> None:
    """The mean of the roster's stated legs between visits, in miles (home legs excluded)."""
    r = checker_roster()
    k1 = r.rounds[0]
    stops = tuple(dataclasses.replace(s, travel_m=m) for s, m in zip(k1.stops, (500, 1609, 3219), strict=True))
    roster = r.replace(rounds=(dataclasses.replace(k1, stops=stops), r.rounds[1]))
    assert abs(consecutive_distance_miles(checker_scenario(), roster) - (1609 + 3219) / 2 / 1609.344) < 1e-9
