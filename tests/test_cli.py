"""The command line: exit codes, JSON output, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from patchplan.cli import app

runner = CliRunner()


def test_about_shows_attribution() -> None:
    """`about` names the Open Government Licence."""
    result = runner.invoke(app, ["about"])
    assert result.exit_code == 0
    assert "Open Government Licence" in result.output


def test_scenario_essex_json(tmp_path: Path) -> None:
    """`scenario essex --json` writes a folder and prints one JSON object."""
    result = runner.invoke(app, ["scenario", "essex", "--district", "Harlow", "--scale", "0.1", "--out", str(tmp_path / "s"), "--json"])
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
