"""patchplan.cli.payloads: docs/output-format.md is up to date, every command is documented, and the
keys commands really print under --json are the documented ones."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from patchplan.check.kpis import kpi_names
from patchplan.check.rules import Rule
from patchplan.cli.app import app
from patchplan.cli.payloads import OBJECTS, PAYLOADS, output_format_markdown, payload_keys
from patchplan.core.errors import DataQualityWarning

runner = CliRunner()
DOC = Path(__file__).parents[1] / "docs" / "output-format.md"
BENCH = Path(__file__).parent / "data" / "bench"


def _commands(group: typer.Typer, prefix: str = "") -> list[str]:
    """Every command line of a typer app, e.g. 'offers list'."""
    out = [f"{prefix}{c.name or c.callback.__name__}" for c in group.registered_commands]
    for g in group.registered_groups:
        out += _commands(g.typer_instance, f"{prefix}{g.name} " if g.name else prefix)
    return out


def test_doc_is_generated_and_up_to_date() -> None:
    """docs/output-format.md is what output_format_markdown() makes (regenerate it if this fails)."""
    assert DOC.read_text(encoding="utf-8") == output_format_markdown()


def test_doc_names_every_rule_kpi_and_command() -> None:
    """Every rule, KPI and command appears in the doc."""
    doc = output_format_markdown()
    assert all(f"| `{r.value}` |" in doc for r in Rule)
    assert all(f"| `{k}` |" in doc for k in kpi_names())
    assert all(f"`patchplan {c}" in doc for c in PAYLOADS)


def test_every_command_has_a_payload() -> None:
    """Each command of the CLI is documented, and nothing else is."""
    assert sorted(_commands(app)) == sorted(PAYLOADS)


def test_list_payloads_name_known_objects() -> None:
    """A list payload's items are a documented shared object."""
    for p in PAYLOADS.values():
        if p.shape != "object":
            assert p.shape.removeprefix("list of ") in OBJECTS


def _json(args: list[str]) -> Any:
    result = runner.invoke(app, [*args, "--json"] if args[0] != "bench" else args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _assert_keys(command: str, obj: dict[str, Any]) -> None:
    always, sometimes = payload_keys(command)
    assert always <= obj.keys(), f"{command}: documented but missing {sorted(always - obj.keys())}"
    assert obj.keys() <= always | sometimes, (
        f"{command}: printed but not documented {sorted(obj.keys() - always - sometimes)}"
    )


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """tiny (copied), a small generated Harlow, a roster of tiny and an offers store."""
    import shutil

    root = tmp_path_factory.mktemp("payloads")
    shutil.copytree(Path(__file__).parent / "data" / "tiny", root / "tiny")
    params = root / "params.toml"
    params.write_text("[rounds]\nsolution_limit = 50\n", encoding="utf-8")
    essex = root / "essex.json"
    essex.write_text(
        json.dumps(_json(["scenario", "essex", "--district", "Harlow", "--scale", "0.1", "--out", str(root / "h")])),
        encoding="utf-8",
    )
    return {"root": root, "tiny": root / "tiny", "params": params, "harlow": root / "h", "essex": essex}


def test_payloads_of_scenario_commands(folders: dict[str, Path]) -> None:
    """about, scenario essex, scenario facts and validate print their documented keys."""
    root = folders["root"]
    _assert_keys("about", _json(["about"]))
    _assert_keys("scenario essex", json.loads(folders["essex"].read_text(encoding="utf-8")))
    facts = _json(["scenario", "facts", str(root / "h")])
    _assert_keys("scenario facts", facts)
    essex_keys = {k.name for k in PAYLOADS["scenario essex"].keys}
    assert facts["figures"].keys() | facts["extra"].keys() <= essex_keys
    _assert_keys("validate", _json(["validate", str(folders["tiny"])]))


def test_payloads_of_rounds_check_and_replan(folders: dict[str, Path]) -> None:
    """rounds, check (with --charter) and replan print their documented keys, nested objects too."""
    tiny, root = folders["tiny"], folders["root"]
    plan = _json(
        ["rounds", str(tiny), "--provider", "P1", "--params", str(folders["params"]), "--out", str(root / "r")]
    )
    _assert_keys("rounds", plan)
    checked = _json(["check", str(tiny), str(root / "r" / "roster"), "--charter"])
    _assert_keys("check", checked)
    assert checked["charter"].keys() == {k.name for k in OBJECTS["charter report"]}
    assert checked["charter"]["rules"][0].keys() == {k.name for k in OBJECTS["charter rule"]}
    events = root / "events.csv"
    events.write_text("type,carer_id,time\ncarer_off,K2,08:00\n", encoding="utf-8")
    replanned = _json(
        ["replan", str(tiny), str(root / "r" / "roster"), "--events", str(events), "--now", "2026-11-30T08:00"]
    )
    _assert_keys("replan", replanned)
    for m in replanned["moved"]:
        assert m.keys() == {k.name for k in OBJECTS["move"]}


def test_payloads_of_broker_demand_and_transfers(folders: dict[str, Path]) -> None:
    """broker, demand and transfers commands print their documented keys."""
    tiny, root = folders["tiny"], folders["root"]
    for item in _json(["broker", "shortlist", str(tiny), "--package", "PK4"]):
        _assert_keys("broker shortlist", item)
    _assert_keys("broker allocate", _json(["broker", "allocate", str(tiny), "--time-limit", "5"]))
    summary = _json(["demand", "summary", str(tiny)])
    _assert_keys("demand summary", summary)
    assert summary["by_district"][0].keys() == {k.name for k in OBJECTS["district demand"]}
    _assert_keys("demand publish", _json(["demand", "publish", str(tiny), "--out", str(root / "pub")]))
    moves = _json(["transfers", str(folders["harlow"])])
    _assert_keys("transfers", moves)
    for m in moves["transfers"]:
        assert m.keys() == {k.name for k in OBJECTS["transfer"]}


def test_payloads_of_offers(folders: dict[str, Path]) -> None:
    """The offers commands print offer records, audit rows and the decline document."""
    from patchplan.broker.brokerage import backlog
    from patchplan.io.folder import read_scenario

    harlow, root = folders["harlow"], folders["root"]
    with warnings.catch_warnings():  # the generated district's data warnings are not what this test is about
        warnings.simplefilter("ignore", DataQualityWarning)
        first, second = (p.id for p in backlog(read_scenario(harlow))[:2])
    db = ["--db", f"sqlite:///{root / 'offers.db'}"]
    offer = _json(["offers", "offer", str(harlow), "--package", first, *db])
    _assert_keys("offers offer", offer)
    _assert_keys("offers decline", _json(["offers", "decline", str(offer["id"]), "--reason", "no carers", *db]))
    again = _json(["offers", "offer", str(harlow), "--package", second, *db])
    _assert_keys("offers accept", _json(["offers", "accept", str(again["id"]), *db]))
    _assert_keys("offers place", _json(["offers", "place", str(again["id"]), *db]))
    _assert_keys("offers expire", _json(["offers", "expire", *db]))
    records = _json(["offers", "list", *db])
    assert len(records) == 2
    for rec in records:
        _assert_keys("offers list", rec)
    for row in _json(["offers", "audit", *db]):
        _assert_keys("offers audit", row)


def test_payload_of_bench_solomon() -> None:
    """bench solomon prints the documented benchmark result."""
    _assert_keys("bench solomon", _json(["bench", "solomon", str(BENCH / "C101.txt"), "--time-limit", "2"]))


def test_design_headline_keys() -> None:
    """patches compare's items are an evaluation's headline, with the documented keys."""
    from patchplan.patches.evaluate import DesignResult

    keys = {k.name for k in OBJECTS["design headline"]}
    totals = dict.fromkeys(keys, 0.0)
    e = DesignResult(design="today", patches=0, totals=totals, per_patch=(), per_provider=(), runtime_s=0.0)
    assert e.headline().keys() == keys


def test_payloads_of_users(tmp_path: Path) -> None:
    """users add, list and disable print user objects (add with the password it made up)."""
    db = ["--db", f"sqlite:///{tmp_path / 'service.db'}"]
    added = _json(["users", "add", "alice", "--role", "broker", *db])
    _assert_keys("users add", added)
    assert "password" in added
    for user in _json(["users", "list", *db]):
        _assert_keys("users list", user)
    disabled = _json(["users", "disable", "alice", *db])
    _assert_keys("users disable", disabled)
    assert disabled["active"] is False
