"""The command line: exit codes, JSON output, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from patchplan.cli.app import app

runner = CliRunner()


def test_about_shows_attribution() -> None:
    """`about` names the Open Government Licence."""
    result = runner.invoke(app, ["about"])
    assert result.exit_code == 0
    assert "Open Government Licence" in result.output


def test_scenario_essex_json(tmp_path: Path) -> None:
    """`scenario essex --json` writes a folder and prints one JSON object."""
    result = runner.invoke(
        app, ["scenario", "essex", "--district", "Harlow", "--scale", "0.1", "--out", str(tmp_path / "s"), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["clients"] > 0 and (tmp_path / "s" / "visits.csv").is_file()
    facts = runner.invoke(app, ["scenario", "facts", str(tmp_path / "s"), "--json"])
    assert json.loads(facts.stdout)["figures"]["clients"] == payload["clients"]


def test_validate_ok(tiny_dir: Path) -> None:
    """A valid folder exits 0."""
    assert runner.invoke(app, ["validate", str(tiny_dir)]).exit_code == 0


def test_missing_path_exits_2() -> None:
    """A path that does not exist is bad input: exit code 2, no traceback."""
    result = runner.invoke(app, ["validate", "/no/such/folder"])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output
    assert "Traceback" not in result.output


def test_unknown_district_exits_2(tmp_path: Path) -> None:
    """An unknown district lists the known ones."""
    result = runner.invoke(app, ["scenario", "essex", "--district", "Narnia", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Colchester" in result.output


def test_rounds_and_check_cli(tiny_dir: Path, tmp_path: Path) -> None:
    """`rounds --json` plans, writes a roster that `check` finds clean."""
    result = runner.invoke(
        app,
        [
            "rounds",
            str(tiny_dir),
            "--provider",
            "P1",
            "--day",
            "2026-11-30",
            "--time-limit",
            "3",
            "--out",
            str(tmp_path / "out"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["violations"] == 0 and payload["unassigned_visits"] == 0
    assert {"travel_min", "runtime_s", "on_time_share"} <= payload.keys()
    checked = runner.invoke(app, ["check", str(tiny_dir), str(tmp_path / "out" / "roster"), "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["travel_min"] == payload["travel_min"]


def test_rounds_bad_day_exits_2(tiny_dir: Path) -> None:
    """A day outside the scenario is bad input."""
    result = runner.invoke(app, ["rounds", str(tiny_dir), "--provider", "P1", "--day", "2027-01-01"])
    assert result.exit_code == 2
    assert "outside the scenario" in result.output


def test_bench_solomon_json() -> None:
    """`bench solomon FILE` prints the literature's headline numbers."""
    instance = Path(__file__).parent / "data" / "bench" / "C101.txt"
    result = runner.invoke(app, ["bench", "solomon", str(instance), "--time-limit", "2"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) >= {
        "instance",
        "vehicles",
        "distance",
        "objective",
        "total_tardiness",
        "max_tardiness",
        "runtime_s",
        "feasible",
    }
    assert payload["feasible"] and payload["vehicles"] >= 10


def test_broker_cli_json(tiny_dir: Path) -> None:
    """`broker shortlist --json` is a list; `broker allocate --json` has the headline keys."""
    result = runner.invoke(app, ["broker", "shortlist", str(tiny_dir), "--package", "PK4", "--json"])
    assert result.exit_code == 0, result.output
    offers = json.loads(result.stdout)
    assert isinstance(offers, list) and offers[0]["provider_id"] == "P1"
    result = runner.invoke(
        app, ["broker", "allocate", str(tiny_dir), "--policy", "tiered", "--json", "--time-limit", "2"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {
        "packages",
        "hours_awaiting",
        "hours_placed",
        "cascade_hours_placed",
        "added_travel_min",
        "cascade_added_travel_min",
        "spot_hours",
        "runtime_s",
    } <= payload.keys()
    assert payload["packages"] == 1


def test_week_and_replan_cli(maldon, tmp_path: Path) -> None:
    """`rounds --week` reports continuity beside the status quo; `replan` re-plans after a sickness."""
    import patchplan as pp
    from patchplan.rounds.plan import largest_provider

    folder = pp.write_scenario(maldon, tmp_path / "s")
    pid = largest_provider(maldon)
    result = runner.invoke(
        app,
        [
            "rounds",
            str(folder),
            "--provider",
            pid,
            "--week",
            str(maldon.start),
            "--time-limit",
            "10",
            "--out",
            str(tmp_path / "out"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    week = json.loads(result.stdout)
    assert {
        "travel_min",
        "status_quo_travel_min",
        "distinct_carers_per_client_mean",
        "status_quo_distinct_carers_per_client_mean",
        "unassigned_visits",
        "violations",
        "runtime_s",
    } <= week.keys()
    assert week["violations"] == 0
    roster = pp.read_roster(tmp_path / "out" / "roster", maldon)
    busy = max((r for r in roster.rounds if r.day == 0), key=lambda r: len(r.stops))
    (tmp_path / "events.csv").write_text(f"type,carer_id,time\ncarer_off,{busy.carer_id},10:00\n")
    result = runner.invoke(
        app,
        [
            "replan",
            str(folder),
            str(tmp_path / "out" / "roster"),
            "--events",
            str(tmp_path / "events.csv"),
            "--now",
            f"{maldon.start}T10:00",
            "--json",
            "--time-limit",
            "5",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["violations"] == 0
    later = {st.visit_id for st in busy.stops if st.start >= 10 * 60}
    moved = {m["visit_id"] for m in payload["moved"]}
    new_roster = pp.read_roster(tmp_path / "out" / "roster", maldon)
    assert all(busy.carer_id not in m["to"] for m in payload["moved"])  # the sick carer gets nothing new
    assert later <= moved  # every call they had left is handed over (or reported unassigned)
    day0 = sum(len(r.stops) for r in new_roster.rounds if r.day == 0)
    assert len(moved - later) <= 0.1 * day0  # other carers' calls move only where needed


def test_replan_bad_events_exit_2(tiny_dir: Path, tmp_path: Path) -> None:
    """An events file naming an unknown carer is bad input, with its row."""
    result = runner.invoke(
        app,
        [
            "rounds",
            str(tiny_dir),
            "--provider",
            "P1",
            "--day",
            "2026-11-30",
            "--time-limit",
            "2",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 0, result.output
    (tmp_path / "ev.csv").write_text("type,carer_id,time\ncarer_off,NOBODY,09:00\n")
    result = runner.invoke(
        app,
        [
            "replan",
            str(tiny_dir),
            str(tmp_path / "o" / "roster"),
            "--events",
            str(tmp_path / "ev.csv"),
            "--now",
            "2026-11-30T09:00",
        ],
    )
    assert result.exit_code == 2
    assert "row 2" in result.output and "NOBODY" in result.output


def test_rounds_from_template(tiny_dir: Path, tmp_path: Path) -> None:
    """`rounds --template` re-plans from last week's roster and counts the changes."""
    first = runner.invoke(
        app, ["rounds", str(tiny_dir), "--provider", "P1", "--time-limit", "3", "--out", str(tmp_path / "a")]
    )
    assert first.exit_code == 0, first.output
    again = runner.invoke(
        app,
        [
            "rounds",
            str(tiny_dir),
            "--provider",
            "P1",
            "--time-limit",
            "3",
            "--template",
            str(tmp_path / "a" / "roster"),
            "--json",
        ],
    )
    assert again.exit_code == 0, again.output
    payload = json.loads(again.stdout)
    assert payload["changes_vs_template"] == 0 and payload["violations"] == 0
