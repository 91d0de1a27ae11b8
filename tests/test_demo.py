"""`patchplan demo`: the whole story as a report that renders in a browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import needs_chromium, rendered_dom, screenshot
from typer.testing import CliRunner

from patchplan.cli.app import app

# The rounds time is a safety cap far above what the solution budgets need
# (about 15 s), so the budgets, not the clock, decide the plan.
QUICK = ["--district", "Harlow", "--scale", "0.12", "--rounds-time", "300", "--deterministic", "--seed", "3"]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """One quick demo run (small Harlow scenario, solution budgets)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", *QUICK, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), out


def test_demo_tells_all_three_stories(demo_run: tuple[dict, Path]) -> None:
    """The headline has the broker, rounds and patches numbers, from the run."""
    head, out = demo_run
    assert head["violations"] == 0
    assert head["travel_min"] > 0 and head["status_quo_travel_min"] > 0
    assert {"today", "districts"} <= set(head["designs"])
    assert head["cascade_hours_placed"] >= 0 and head["joint_hours_placed"] >= head["cascade_hours_placed"] - 1e-6
    for name in ("facts", "broker", "rounds", "patches"):
        assert (out / "tables" / f"{name}.csv").is_file()
    assert (out / "rosters" / "patchplan" / "roster.csv").is_file()
    assert (out / "scenario" / "scenario.toml").is_file()


def test_same_seed_same_numbers(demo_run: tuple[dict, Path], tmp_path: Path) -> None:
    """Rerunning with the same seed (and solution budgets) gives the same numbers."""
    head, _ = demo_run
    again = CliRunner().invoke(app, ["demo", *QUICK, "--out", str(tmp_path / "again"), "--json"])
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    for key in ("runtime_s", "report"):
        head.pop(key, None)
        second.pop(key, None)
    assert second == head


@needs_chromium
def test_report_renders_in_headless_chromium(demo_run: tuple[dict, Path], tmp_path: Path) -> None:
    """Maps (Leaflet ran), tables and charts are in the rendered page, with
    the OGL attribution; a screenshot is saved as a test artefact."""
    _, out = demo_run
    index = out / "index.html"
    dom = rendered_dom(index, tmp_path / "chrome")
    assert dom.count('class="folium-map leaflet-container') >= 2  # a round and at least one patch design
    assert dom.count('<table class="data"') >= 5
    assert dom.count("data:image/png;base64") >= 3
    assert "leaflet-interactive" in dom  # the round's line and the patches were drawn
    assert "Open Government Licence" in dom
    shot = screenshot(index, tmp_path / "chrome", "demo-report.png", height=3000)
    assert shot.is_file() and shot.stat().st_size > 20_000
