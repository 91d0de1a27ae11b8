"""Patch designs evaluated end to end: brokerage rules, tasks, Dask, report."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import needs_chromium, rendered_dom, screenshot

import patchplan as pp
from patchplan.patches import evaluate as evaluate_module
from patchplan.patches.evaluate import Levers, broker_design, build_design, evaluate, make_tasks, split_runs


@pytest.fixture(scope="module")
def harlow() -> pp.Scenario:
    """Harlow at 15% scale: small enough to evaluate in seconds."""
    return pp.essex(district="Harlow", seed=4, scale=0.15)


def test_every_package_is_brokered_once(harlow: pp.Scenario) -> None:
    """Each placed or awaiting package is placed exactly once (or counted unplaced)."""
    for spec in ("today", "districts", "k=3"):
        design = build_design(harlow, spec)
        placements, _spot, unplaced = broker_design(harlow, design)
        live = [p for p in harlow.packages if p.status in ("placed", "awaiting")]
        placed_hours = sum(harlow.package(k).hours_week for k in placements)
        assert set(placements) <= {p.id for p in live}
        assert placed_hours + unplaced == pytest.approx(sum(p.hours_week for p in live))


def test_patches_send_packages_to_their_lead(harlow: pp.Scenario) -> None:
    """With patches, a package goes to the lead of its client's patch."""
    design = build_design(harlow, "k=3")
    placements, _, _ = broker_design(harlow, design)
    patch_of = {a: p.id for p in design.patches for a in p.area_ids}
    for pkg_id, (pid, patch) in placements.items():
        client = harlow.client(harlow.package(pkg_id).client_id)
        assert patch == patch_of[client.area_id]
        assert pid == design.leads[patch][0]


def test_subcontract_share_goes_to_the_second_provider(harlow: pp.Scenario) -> None:
    """A 30% subcontract share sends roughly that share to the second provider."""
    design = build_design(harlow, "districts", levers=Levers(subcontract_share=0.3))
    placements, _, _ = broker_design(harlow, design)
    ((_lead, second),) = design.leads.values()
    share = sum(1 for pid, _ in placements.values() if pid == second) / len(placements)
    assert second is not None and 0.15 < share < 0.45


def test_reablement_cuts_hours(harlow: pp.Scenario) -> None:
    """Reablement on every package cuts care hours by 8.75/12.25 (to rounding)."""
    base = evaluate(harlow, build_design(harlow, "k=2"), mode="fast", scheduler="serial")
    cut = evaluate(
        harlow, build_design(harlow, "k=2", levers=Levers(reablement_share=1.0)), mode="fast", scheduler="serial"
    )
    ratio = cut.totals["care_hours_week"] / base.totals["care_hours_week"]
    assert 0.65 < ratio < 0.8


def test_full_evaluation_is_clean_and_complete(harlow: pp.Scenario) -> None:
    """Full mode: every roster passes the checker and the headline keys are there."""
    result = evaluate(harlow, build_design(harlow, "k=2"), mode="full", scheduler="serial", deterministic=True)
    head = result.headline()
    assert head["violations"] == 0
    for key in (
        "design",
        "patches",
        "travel_hours_week",
        "travel_km_week",
        "co2_kg_week",
        "unplaced_hours",
        "spot_hours",
        "distinct_carers_per_client_mean",
        "runtime_s",
    ):
        assert key in head
    assert head["patches"] == 2 and head["travel_hours_week"] > 0


def test_dask_gives_the_same_kpis_as_local(harlow: pp.Scenario) -> None:
    """The same design on a Dask LocalCluster and in-process: identical KPIs."""
    from dask.distributed import Client, LocalCluster

    design = build_design(harlow, "k=3")
    local = evaluate(harlow, design, mode="fast", scheduler="serial")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        remote = evaluate(harlow, design, mode="fast", scheduler=client)
    assert remote.totals == local.totals
    assert remote.per_patch == local.per_patch


def test_tasks_are_independent_of_order(harlow: pp.Scenario) -> None:
    """A task's workforce depends only on its own key and the seed."""
    design = build_design(harlow, "k=3")
    placements, _, _ = broker_design(harlow, design)
    a = make_tasks(harlow, design, placements, mode="fast", seconds_per_visit=0.01, deterministic=True, seed=1)
    b = make_tasks(
        harlow,
        design,
        dict(reversed(list(placements.items()))),
        mode="fast",
        seconds_per_visit=0.01,
        deterministic=True,
        seed=1,
    )
    assert [t.scenario.carers for t in a] == [t.scenario.carers for t in b]


def test_big_groups_are_cut_into_compact_runs(harlow: pp.Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    """A provider x patch group over the cap becomes several tasks that
    partition its visits, each under the cap, each client in one run, and
    each run's carers living among its clients."""
    monkeypatch.setattr(evaluate_module, "MAX_TASK_VISITS", 150)
    design = build_design(harlow, "districts")
    placements, _, _ = broker_design(harlow, design)
    tasks = make_tasks(harlow, design, placements, mode="fast", seconds_per_visit=0.01, deterministic=True, seed=1)
    assert len(tasks) > 1
    assert {t.patch_id for t in tasks} == {p.id for p in design.patches}
    seen = [v.id for t in tasks for v in t.scenario.visits]
    assert sorted(seen) == sorted(v.id for v in harlow.visits if v.package_id in placements)
    clients = [c.id for t in tasks for c in t.scenario.clients]
    assert len(clients) == len(set(clients))
    for t in tasks:
        assert len(t.scenario.visits) <= 150 or len(t.scenario.clients) == 1
        # Carers live in the run's own areas, not at a district-wide base.
        for carer in t.scenario.carers:
            km = (
                min(
                    ((c.location.lat - carer.home.lat) * 111) ** 2 + ((c.location.lon - carer.home.lon) * 69) ** 2
                    for c in t.scenario.clients
                )
                ** 0.5
            )
            assert km < 2.5, f"{t.key}: carer {carer.id} lives {km:.1f} km from the nearest of its clients"
    again = make_tasks(harlow, design, placements, mode="fast", seconds_per_visit=0.01, deterministic=True, seed=1)
    assert [t.key for t in again] == [t.key for t in tasks]


def test_split_runs_keeps_small_groups_whole(harlow: pp.Scenario) -> None:
    pkgs = [p for p in harlow.packages if p.status == "placed"]
    counts = {p.id: sum(1 for v in harlow.visits if v.package_id == p.id) for p in pkgs}
    assert split_runs(harlow, pkgs, counts, cap=10**6) == [sorted(pkgs, key=lambda p: (p.client_id, p.id))]
    runs = split_runs(harlow, pkgs, counts, cap=sum(counts.values()) // 3)
    assert 3 <= len(runs) <= 6
    assert sorted(p.id for r in runs for p in r) == sorted(p.id for p in pkgs)


def test_bad_design_name_is_bad_input(harlow: pp.Scenario) -> None:
    """An unknown design name explains what is accepted."""
    with pytest.raises(pp.InputError, match="today, districts, prime, k=N"):
        build_design(harlow, "hexagons")


@needs_chromium
def test_compare_report_renders_in_a_browser(harlow: pp.Scenario, tmp_path: Path) -> None:
    """`patches compare --out` writes a report whose maps, tables and charts
    render in headless Chromium without a network; a screenshot is kept."""
    from typer.testing import CliRunner

    from patchplan.cli.app import app

    folder = pp.write_scenario(harlow, tmp_path / "s")
    result = CliRunner().invoke(
        app, ["patches", "compare", str(folder), "today", "k=2", "--mode", "fast", "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    index = tmp_path / "r" / "index.html"
    dom = rendered_dom(index, tmp_path / "chrome", timeout=120)
    assert dom.count('class="folium-map leaflet-container') == 2  # Leaflet ran: one map per design
    assert dom.count('<table class="data"') >= 3 and dom.count("data:image/png;base64") >= 3
    assert "Open Government Licence" in dom
    shot = screenshot(index, tmp_path / "chrome", "patches-compare.png", height=2000, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 10_000
