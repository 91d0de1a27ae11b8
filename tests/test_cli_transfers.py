"""patchplan.cli.transfers: the `transfers` command on a generated district (text, --json, --max, bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import patchplan as pp
from patchplan.cli.app import app

runner = CliRunner()


@pytest.fixture(scope="module")
def maldon_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Maldon at 30% scale with its status quo, as a folder."""
    return pp.write_scenario(pp.essex(district="Maldon", seed=3, scale=0.3), tmp_path_factory.mktemp("t") / "m")


def test_json_totals_add_up(maldon_dir: Path) -> None:
    """The headline sums the moves it lists, best saving first."""
    result = runner.invoke(app, ["transfers", str(maldon_dir), "--json"])
    assert result.exit_code == 0, result.output
    h = json.loads(result.stdout)
    moves = h["transfers"]
    assert h["moves"] == len(moves) > 0
    assert h["saving_min_week"] == sum(m["saving_min_week"] for m in moves)
    assert h["swaps"] == sum(m["kind"] == "swap" for m in moves)
    assert h["packages"] == sum(1 + (m["swap_package_id"] is not None) for m in moves)
    assert [m["saving_min_week"] for m in moves] == sorted((m["saving_min_week"] for m in moves), reverse=True)


def test_max_limits_the_moves_and_text_lists_them(maldon_dir: Path) -> None:
    """--max 1 keeps the single best move; the table names its package."""
    best = json.loads(runner.invoke(app, ["transfers", str(maldon_dir), "--json"]).stdout)["transfers"][0]
    one = json.loads(runner.invoke(app, ["transfers", str(maldon_dir), "--max", "1", "--json"]).stdout)
    assert one["moves"] == 1 and one["transfers"][0] == best
    text = runner.invoke(app, ["transfers", str(maldon_dir), "--max", "1"], terminal_width=250)
    assert text.exit_code == 0 and best["package_id"] in text.stdout


def test_without_a_status_quo_is_bad_input(tiny_dir: Path) -> None:
    """tiny has no status-quo roster: exit 2 with the reason, as JSON too."""
    result = runner.invoke(app, ["transfers", str(tiny_dir), "--json"])
    assert result.exit_code == 2
    assert "status-quo roster" in json.loads(result.stdout)["error"]
