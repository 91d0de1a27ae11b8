"""What every command shares: the consoles, exit codes, ``--json`` output and progress.

Each command-group module imports from here (never from :mod:`patchplan.cli.app`,
which imports them), so there is no import circle.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from patchplan.core.errors import DataQualityWarning, InputError, PatchplanError, SolverError

out = Console()
# Errors must not be wrapped mid-value: they name files, rows and values.
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("patchplan")

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the headline numbers as JSON on stdout.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: same seed, same result.")]


def job(fn: F) -> F:
    """Run a command with patchplan's exit codes, showing warnings and
    errors as plain messages (never a traceback).

    With ``--json`` (the command's ``as_json`` argument) an error also prints
    ``{"code": N, "error": "..."}`` on stdout, so a caller reading stdout
    always gets one JSON document."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json", False))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            try:
                result = fn(*args, **kwargs)
            except InputError as exc:
                _show_warnings(caught)
                _fail(2, "error", str(exc), as_json)
            except SolverError as exc:
                _show_warnings(caught)
                _fail(3, "solver could not run", str(exc), as_json)
            except PatchplanError as exc:
                _fail(1, "error", str(exc), as_json)
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except Exception as exc:  # the user gets a message, not a traceback
                log.debug("internal error", exc_info=True)
                _fail(
                    1,
                    "internal error",
                    f"{type(exc).__name__}: {exc}",
                    as_json,
                    hint="This is a bug in patchplan; please report it with the command you ran.",
                )
        _show_warnings(caught)
        return result

    return wrapper  # type: ignore[return-value]


def _fail(code: int, label: str, message: str, as_json: bool, hint: str = "") -> NoReturn:
    """Report an error on stderr (and, under ``--json``, on stdout) and exit with ``code``."""
    err.print(f"[bold red]{label}:[/] {_escape(message)}" + (f"\n{hint}" if hint else ""))
    if as_json:
        emit_json({"code": code, "error": message})
    raise typer.Exit(code) from None


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            err.print(f"[yellow]warning:[/] {_escape(str(w.message))}")


def emit_json(payload: Any) -> None:
    """One JSON document on stdout (the machine-readable headline)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n")
    sys.stdout.flush()


@contextmanager
def progress_steps(steps: list[str], quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A progress bar over named steps; yields ``advance(step_name)``."""
    if quiet:
        yield lambda _name: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(steps[0] if steps else "", total=len(steps))
        done = {"n": 0}

        def advance(name: str) -> None:
            if done["n"] > 0:
                bar.advance(task)
            done["n"] += 1
            bar.update(task, description=name)

        yield advance
        bar.update(task, completed=len(steps), description="done")


def parse_date(text: str, what: str) -> dt.date:
    """A date option (``--day``, ``--today``...) as a date, or an input error naming it."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} {text!r}: expected a date YYYY-MM-DD") from None
