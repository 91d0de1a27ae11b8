"""What every command shares: the consoles, exit codes, ``--json`` output and progress.

Each command-group module imports from here (never from :mod:`patchplan.cli.app`,
which imports them), so there is no import circle.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
import json
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from patchplan.cli.options import check_options
from patchplan.core.errors import DataQualityWarning, InputError, PatchplanError, SolverError

out = Console()
# Errors must not be wrapped mid-value: they name files, rows and values.
err = Console(stderr=True, soft_wrap=True)
log = logging.getLogger("patchplan")

F = TypeVar("F", bound=Callable[..., Any])

#: The warnings the running command has raised (for emit_json).
_CAUGHT: contextvars.ContextVar[list[warnings.WarningMessage] | None] = contextvars.ContextVar("caught", default=None)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the headline numbers as JSON on stdout.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: same seed, same result.")]


def job(fn: F) -> F:
    """Run a command with patchplan's exit codes, showing warnings and
    errors as plain messages (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            token = _CAUGHT.set(caught)  # so --json output carries the warnings too
            try:
                check_options(fn.__name__, kwargs)  # every option, before any work starts
                result = fn(*args, **kwargs)
            except InputError as exc:
                _show_warnings(caught)
                err.print(f"[bold red]error:[/] {_escape(str(exc))}")
                raise typer.Exit(2) from None
            except SolverError as exc:
                _show_warnings(caught)
                err.print(f"[bold red]solver could not run:[/] {_escape(str(exc))}")
                raise typer.Exit(3) from None
            except PatchplanError as exc:
                err.print(f"[bold red]error:[/] {_escape(str(exc))}")
                raise typer.Exit(1) from None
            except (typer.Exit, typer.Abort, KeyboardInterrupt):
                raise
            except Exception as exc:  # noqa: BLE001 - the user gets a message, not a traceback
                log.debug("internal error", exc_info=True)
                err.print(
                    f"[bold red]internal error:[/] {type(exc).__name__}: {_escape(str(exc))}\n"
                    "This is a bug in patchplan; please report it with the command you ran."
                )
                raise typer.Exit(1) from None
            finally:
                _CAUGHT.reset(token)
        _show_warnings(caught)
        return result

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _warning_texts(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]


def _show_warnings(caught: list[warnings.WarningMessage]) -> None:
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            err.print(f"[yellow]warning:[/] {_escape(str(w.message))}")


def emit_json(payload: Any) -> None:
    """One JSON document on stdout (the machine-readable headline).

    A dict payload gets a ``warnings`` list: the data-quality warnings raised
    so far (legal but surprising data), the same ones the terminal shows.
    """
    caught = _CAUGHT.get()
    if isinstance(payload, dict) and caught is not None and "warnings" not in payload:
        payload = {**payload, "warnings": _warning_texts(caught)}
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
