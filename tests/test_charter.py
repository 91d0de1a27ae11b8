"""UNISON's Ethical Care Charter: each rule failed on purpose by a hand-made
roster, one roster passing them all, pay floors, and the ``check --charter``
command."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from builders import PLANE, carer, hm, plane, solve, stop, visit
from typer.testing import CliRunner

import patchplan as pp
from patchplan.check.charter import FLOOR_NAMES, FLOORS, CharterReport, PayParams, carer_minutes, charter, parse_floor
from patchplan.cli.app import app

RULES = ("no_15_minute_visits", "time_to_travel", "travel_time_paid", "continuity", "guaranteed_hours")


def _scenario(short: bool = False, b_from: str = "08:40", contracted: float = 7.0) -> pp.Scenario:
    """Carer k1 at home (0, 0); client a 10 minutes away, b 10 beyond a.

    A is a 30-minute call (15 with ``short``) from 08:00; B may start from
    ``b_from``. k1 is guaranteed ``contracted`` hours a week (1 h for this
    one-day roster when 7).
    """
    s = plane(
        {"a": (0, 10), "b": (0, 20)},
        [
            visit("A", "a", "08:00", "09:00", 15 if short else 30),
            visit("B", "b", b_from, "10:00", 30),
        ],
        [carer("k1"), carer("k2", at=(0, 30)), carer("k3", at=(0, 30)), carer("k4", at=(0, 30))],
    )
    carers = tuple(dataclasses.replace(c, contracted_hours_week=contracted if c.id == "k1" else 0.0) for c in s.carers)
    return s.replace(carers=carers)


def _roster(a_start: str = "08:00", a_len: int = 30, b_start: str = "08:40", back: str = "09:30") -> pp.Roster:
    """k1: leaves 07:50, A at ``a_start``, B at ``b_start``, home by ``back``."""
    b = hm(b_start)
    return pp.Roster(
        rounds=(
            pp.Round(
                carer_id="k1",
                day=0,
                stops=(stop("A", hm(a_start), a_len), stop("B", b)),
                leave=hm("07:50"),
                back=max(hm(back), b + 30 + 20),
            ),
        ),
        provider_id="P",
    )


def _report(s: pp.Scenario, roster: pp.Roster, **kw: object) -> CharterReport:
    return charter(s, roster, travel=PLANE, **kw)  # type: ignore[arg-type]


def _failed(report: CharterReport) -> set[str]:
    return {r.name for r in report.rules if not r.passed}


def test_clean_roster_passes_every_rule() -> None:
    """30-minute calls, travel in the gaps, no waiting, 1 h 40 out against a
    1 h pro-rata guarantee: every rule passes, and the report is JSON."""
    s = _scenario()
    roster = _roster()
    assert pp.check(s, roster, travel=PLANE) == ()
    report = _report(s, roster)
    assert [r.name for r in report.rules] == list(RULES)
    assert report.passed and report.roster_passed and _failed(report) == set()
    paid = report.rule("travel_time_paid")
    # Care 60 min and travel 10 min between calls, both at £13.10: £13.10/h.
    assert paid.measures["effective_gbp_h_min"] == pytest.approx(13.10)
    assert paid.measures["floor_gbp_h"] == 12.71
    payload = json.loads(json.dumps(report.as_dict()))
    assert payload["passed"] is True and payload["floor"]["name"] == "national_living_wage"
    assert [r["name"] for r in payload["rules"]] == list(RULES)


def test_fifteen_minute_visit_is_an_input_failure() -> None:
    """A 15-minute personal-care call fails the rule, named by package, and
    the report marks it as commissioning (the roster still passes)."""
    s = _scenario(short=True, b_from="08:25")
    report = _report(s, _roster(a_len=15, b_start="08:25"))
    rule = report.rule("no_15_minute_visits")
    assert not rule.passed and rule.scope == "input"
    assert rule.failures == (rule.failures[0],)
    who, detail, amount = rule.failures[0]
    assert who == "package PK-a" and amount == 1 and "15-min" in detail
    assert rule.measures["short_visits"] == 1 and rule.measures["personal_care_visits"] == 2
    assert not report.passed and report.roster_passed
    assert _failed(report) == {"no_15_minute_visits"}


def test_travel_squeezed_and_care_cut_short_fail() -> None:
    """B starting 5 minutes before k1 can get there, and A cut to 20 of its
    30 minutes, fail 'time to travel' for carer k1 by 5 and 10 minutes."""
    s = _scenario(b_from="08:30")
    squeezed = _report(s, _roster(b_start="08:35"))
    rule = squeezed.rule("time_to_travel")
    assert not rule.passed and rule.scope == "roster"
    assert [(f.who, f.amount) for f in rule.failures] == [("carer k1", 5.0)]
    assert "travel squeezed" in rule.failures[0].detail
    cut = _report(s, _roster(a_len=20, b_start="08:30"))
    rule = cut.rule("time_to_travel")
    assert [(f.who, f.amount) for f in rule.failures] == [("carer k1", 10.0)]
    assert "care cut short" in rule.failures[0].detail and rule.measures["visits_cut_short"] == 1
    assert not cut.roster_passed


def test_unpaid_waiting_below_the_floor_fails() -> None:
    """B from 09:30 leaves k1 50 unpaid minutes waiting: £13.10 x (60 min of
    care + 10 of travel) / (60 + 10 + 50 minutes worked) = £7.64/h, £5.07
    short of the National Living Wage."""
    s = _scenario(b_from="09:30")
    roster = _roster(b_start="09:30")
    assert pp.check(s, roster, travel=PLANE) == ()
    assert carer_minutes(s, roster, PLANE)["k1"] == {"care": 60, "travel": 10, "commute": 30, "waiting": 50, "own": 0}
    rule = _report(s, roster).rule("travel_time_paid")
    assert not rule.passed
    assert [(f.who, f.amount) for f in rule.failures] == [("carer k1", 5.07)]
    assert "£7.64/h" in rule.failures[0].detail
    # Paid waiting, or a gap long enough to be the carer's own time, passes.
    assert _report(s, roster, pay=PayParams(waiting_paid=True)).rule("travel_time_paid").passed
    assert _report(s, roster, pay=PayParams(own_time_gap_min=45)).rule("travel_time_paid").passed


def test_unpaid_travel_and_higher_floors_fail() -> None:
    """Unpaid travel fails on the pay terms themselves (and drags k1 to
    £11.23/h); the clean roster fails the London Living Wage by £1.70."""
    s = _scenario()
    unpaid = _report(s, _roster(), pay=PayParams(travel_paid=False)).rule("travel_time_paid")
    assert [f.who for f in unpaid.failures] == ["pay terms", "carer k1"]
    assert unpaid.failures[0].amount == pytest.approx(10 / 60, abs=0.01)
    assert unpaid.failures[1].amount == pytest.approx(12.71 - 13.10 * 60 / 70, abs=0.01)
    london = _report(s, _roster(), pay=PayParams(floor="london_living_wage")).rule("travel_time_paid")
    assert [(f.who, f.amount) for f in london.failures] == [("carer k1", 1.70)]
    assert _report(s, _roster(), pay=PayParams(floor=13.0)).rule("travel_time_paid").passed


def test_continuity_counts_distinct_carers_per_client() -> None:
    """Four carers each doing one of client a's four calls is one over the
    default of three a week; a threshold of four passes."""
    calls = [("A1", "08:00"), ("A2", "09:00"), ("A3", "10:00"), ("A4", "11:00")]
    s = plane(
        {"a": (0, 10)},
        [visit(v, "a", t, t, 30) for v, t in calls],
        [carer(k) for k in ("k1", "k2", "k3", "k4")],
    )
    rounds = tuple(
        pp.Round(carer_id=f"k{i}", day=0, stops=(stop(v, hm(t)),), leave=hm(t) - 10, back=hm(t) + 40)
        for i, (v, t) in enumerate(calls, start=1)
    )
    roster = pp.Roster(rounds=rounds, provider_id="P")
    assert pp.check(s, roster, travel=PLANE) == ()
    rule = _report(s, roster).rule("continuity")
    assert not rule.passed
    assert [(f.who, f.amount) for f in rule.failures] == [("client a", 1.0)]
    assert rule.measures["distinct_carers_per_client_mean"] == 4.0
    assert _report(s, roster, max_carers_week=4).rule("continuity").passed


def test_guaranteed_hours_pro_rata() -> None:
    """37.5 guaranteed hours a week are 5.36 h for a one-day roster; 1 h 40
    rostered is 3.69 h short. Carers without a guarantee are only counted."""
    s = _scenario(contracted=37.5)
    rule = _report(s, _roster()).rule("guaranteed_hours")
    assert not rule.passed
    assert [(f.who, f.amount) for f in rule.failures] == [("carer k1", pytest.approx(37.5 / 7 - 100 / 60, abs=0.01))]
    assert rule.measures["carers_without_guaranteed_hours"] == 3


def test_our_plan_passes_where_the_inputs_allow() -> None:
    """The rounds planner's roster never squeezes travel or cuts care, keeps
    a client to one carer, and pays the floor when waiting is paid."""
    s = _scenario()
    roster = solve(s, time_limit_s=2)
    report = _report(s, roster, pay=PayParams(waiting_paid=True))
    assert report.rule("time_to_travel").passed and report.rule("continuity").passed
    assert report.rule("travel_time_paid").passed and report.rule("no_15_minute_visits").passed


def test_floors_and_pay_params() -> None:
    """The named floors carry the April 2026 and 2025-26 figures; a floor is
    a name (dashes allowed) or a rate, anything else is bad input."""
    assert {f.name: f.gbp_h for f in FLOORS} == {
        "national_living_wage": 12.71,
        "real_living_wage": 13.45,
        "london_living_wage": 14.80,
    }
    assert FLOOR_NAMES[0] == "national_living_wage"
    assert parse_floor("real-living-wage").gbp_h == 13.45
    assert parse_floor("£13.5").gbp_h == 13.5 and parse_floor(13).name == "custom"
    for bad in ("minimum", "0", "-1"):
        with pytest.raises(pp.InputError):
            parse_floor(bad)
    with pytest.raises(pp.InputError):
        PayParams(contact_gbp_h=-1)
    with pytest.raises(pp.InputError):
        PayParams(floor="nope")


runner = CliRunner()


def _tiny_roster(tiny_dir: Path, tmp_path: Path) -> Path:
    from patchplan.rounds.statusquo import status_quo_roster

    s = pp.read_scenario(tiny_dir)
    return pp.write_roster(status_quo_roster(s), s, tmp_path / "roster")


def test_check_cli_charter_json(tiny_dir: Path, tmp_path: Path) -> None:
    """`check --charter --json` merges the report under "charter"; without
    the flag the output is unchanged; a bad floor exits 2."""
    roster = _tiny_roster(tiny_dir, tmp_path)
    plain = runner.invoke(app, ["check", str(tiny_dir), str(roster), "--json"])
    assert plain.exit_code == 0, plain.output
    assert "charter" not in json.loads(plain.stdout)
    result = runner.invoke(
        app, ["check", str(tiny_dir), str(roster), "--json", "--charter", "--floor", "real_living_wage"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["travel_min"] == json.loads(plain.stdout)["travel_min"]
    assert [r["name"] for r in payload["charter"]["rules"]] == list(RULES)
    assert payload["charter"]["floor"]["gbp_h"] == 13.45
    bad = runner.invoke(app, ["check", str(tiny_dir), str(roster), "--charter", "--floor", "minimum"])
    assert bad.exit_code == 2 and "unknown pay floor" in bad.output


def test_check_cli_charter_table(tiny_dir: Path, tmp_path: Path) -> None:
    """Without --json the charter is a table after the KPIs."""
    roster = _tiny_roster(tiny_dir, tmp_path)
    result = runner.invoke(app, ["check", str(tiny_dir), str(roster), "--charter"])
    assert result.exit_code == 0, result.output
    assert "Ethical Care Charter" in result.output and "No 15-minute" in result.output
