"""patchplan.cli.common: exit codes and the JSON error document of every job command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from patchplan.cli.app import app
from patchplan.cli.common import JsonOpt, job, parse_date
from patchplan.core.errors import InputError, PatchplanError, SolverError

runner = CliRunner()

#: What each kind of failure raises, and the exit code it must give.
FAILURES = {
    "bad-input": (InputError("visits.csv row 3, column duration_min: 'abc' is not a number"), 2),
    "solver": (SolverError("OR-Tools could not start"), 3),
    "patchplan": (PatchplanError("a patchplan error that is not the user's"), 1),
    "bug": (ZeroDivisionError("division by zero"), 1),
}


def _toy_app() -> typer.Typer:
    """A one-command app whose command raises the failure it is named after."""
    toy = typer.Typer()

    @toy.command()
    @job
    def fail(kind: str, as_json: JsonOpt = False) -> None:
        if kind != "none":
            raise FAILURES[kind][0]
        if as_json:
            print(json.dumps({"ok": True}))

    @toy.command()
    @job
    def other() -> None:
        """A second command so that typer keeps sub-command names."""

    return toy


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_json_error_document_on_stdout(kind: str) -> None:
    """With --json, a failure prints {"code", "error"} on stdout and exits with its code."""
    exc, code = FAILURES[kind]
    result = runner.invoke(_toy_app(), ["fail", kind, "--json"])
    assert result.exit_code == code
    payload = json.loads(result.stdout)
    assert payload["code"] == code
    assert str(exc) in payload["error"]
    assert str(exc) in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_no_json_error_keeps_stdout_empty(kind: str) -> None:
    """Without --json the message goes to stderr only; the exit code is the same."""
    exc, code = FAILURES[kind]
    result = runner.invoke(_toy_app(), ["fail", kind])
    assert result.exit_code == code
    assert result.stdout == ""
    assert str(exc) in result.stderr


def test_internal_error_names_the_exception_type() -> None:
    """An unexpected exception is reported as a bug, with its type, under exit 1."""
    result = runner.invoke(_toy_app(), ["fail", "bug", "--json"])
    assert json.loads(result.stdout)["error"] == "ZeroDivisionError: division by zero"
    assert "This is a bug in patchplan" in result.stderr


def test_success_is_untouched() -> None:
    """A command that succeeds prints only its own output."""
    result = runner.invoke(_toy_app(), ["fail", "none", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"ok": True}


def test_real_command_bad_path_json() -> None:
    """`validate --json` on a missing folder: exit 2 and the error document naming the path."""
    result = runner.invoke(app, ["validate", "/no/such/folder", "--json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["code"] == 2 and "/no/such/folder" in payload["error"]


def test_real_command_solver_failure_json(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`rounds --json` when the solver cannot run: exit 3 and the error document."""
    from patchplan.rounds import job

    def broken(*_args: object, **_kwargs: object) -> None:
        raise SolverError("no solver today")

    monkeypatch.setattr(job, "plan_rounds", broken)
    result = runner.invoke(app, ["rounds", str(tiny_dir), "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout) == {"code": 3, "error": "no solver today"}


def test_parse_date() -> None:
    """An ISO date parses; anything else is bad input naming the option and value."""
    assert parse_date("2026-03-02", "--day").isoformat() == "2026-03-02"
    with pytest.raises(InputError, match=r"--day '2026-13-01'"):
        parse_date("2026-13-01", "--day")
