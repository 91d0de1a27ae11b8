"""The ``patchplan`` command line: parse -> io -> job -> io.

Exit codes: 0 ok, 1 internal error, 2 bad input, 3 a solver could not run.
Every job command takes ``--json`` and then prints its headline numbers as
one JSON object (or list) on stdout; otherwise people get rich tables.
Messages, warnings and progress go to stderr, so stdout stays clean.
"""

from __future__ import annotations

import functools
import json
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .errors import DataQualityWarning, InputError, PatchplanError, SolverError

app = typer.Typer(
    help="patchplan: plan home care for a council and its providers (broker, rounds, patches).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenario_app = typer.Typer(help="Generate and inspect scenarios.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")

out = Console()
err = Console(stderr=True)
log = logging.getLogger("patchplan")

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the headline numbers as JSON on stdout.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed: same seed, same result.")]


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


def job(fn: F) -> F:
    """Run a command with patchplan's exit codes, showing warnings and
    errors as plain messages (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            try:
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
        _show_warnings(caught)
        return result

    return wrapper  # type: ignore[return-value]


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


# ---------------------------------------------------------------------------
# about
# ---------------------------------------------------------------------------
@app.command()
@job
def about(as_json: JsonOpt = False) -> None:
    """Version, what patchplan does, and the attribution of its embedded data."""
    from .geo import ATTRIBUTION, data_dir

    info = {
        "version": __version__,
        "data": str(data_dir()),
        "attribution": list(ATTRIBUTION),
    }
    if as_json:
        emit_json(info)
        return
    out.print(f"[bold]patchplan {__version__}[/] - plans home care: broker, rounds, patches.")
    out.print(f"Embedded Essex open data: {info['data']}")
    out.print("\n[bold]Data attribution[/] (Open Government Licence v3.0):")
    for line in ATTRIBUTION:
        out.print(f"  {line}")


# ---------------------------------------------------------------------------
# scenario
# ---------------------------------------------------------------------------
GEN_STEPS = ["demand", "providers", "carers", "brokerage", "scenario", "status quo", "write"]


@scenario_app.command("essex")
@job
def scenario_essex(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the scenario to.")],
    district: Annotated[str | None, typer.Option("--district", help="One district (name or code) instead of the county.")] = None,
    seed: SeedOpt = 1,
    scale: Annotated[float, typer.Option("--scale", help="Multiply every published total (0 < F <= 5).")] = 1.0,
    backlog: Annotated[int | None, typer.Option("--backlog", help="Packages awaiting a provider (default ~4% of clients).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="Table format: csv or parquet.")] = "csv",
    as_json: JsonOpt = False,
) -> None:
    """Generate the embedded Essex scenario from real public geography."""
    from .io import write_scenario
    from .scenario import essex, facts

    started = time.perf_counter()
    with progress_steps(GEN_STEPS, quiet=as_json) as advance:
        s = essex(district=district, seed=seed, scale=scale, backlog=backlog, progress=advance)
        advance("write")
        write_scenario(s, out_dir, fmt=fmt)
    f = facts(s)
    headline = {"out": str(out_dir), "runtime_s": round(time.perf_counter() - started, 2), **f["figures"], **f["extra"]}
    if as_json:
        emit_json(headline)
        return
    _facts_table(f)
    out.print(f"Scenario written to [bold]{out_dir}[/] in {headline['runtime_s']} s.")


@scenario_app.command("facts")
@job
def scenario_facts(
    folder: Annotated[Path, typer.Argument(help="Scenario folder.")],
    as_json: JsonOpt = False,
) -> None:
    """Print a scenario's totals next to the published figures."""
    from .io import read_scenario
    from .scenario import facts

    f = facts(read_scenario(folder))
    if as_json:
        emit_json(f)
        return
    _facts_table(f)


def _facts_table(f: dict[str, Any]) -> None:
    from .scenario import STUDY_MILES_BETWEEN_VISITS

    table = Table(title="Scenario facts vs published figures (Essex County Council)")
    table.add_column("figure")
    table.add_column("scenario", justify="right")
    table.add_column("published (scaled)", justify="right")
    table.add_column("difference", justify="right")
    for key, value in f["figures"].items():
        expected = f["expected"].get(key)
        diff = "" if not expected else f"{100 * (value / expected - 1):+.2f}%"
        table.add_row(key.replace("_", " "), f"{value:,.0f}", "" if expected is None else f"{expected:,.0f}", diff)
    out.print(table)
    extra = Table(title="Also in the scenario")
    extra.add_column("figure")
    extra.add_column("value", justify="right")
    for key, value in f["extra"].items():
        shown = f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"
        if key == "status_quo_miles_between_visits":
            shown += f" (UK study: {STUDY_MILES_BETWEEN_VISITS})"
        extra.add_row(key.replace("_", " "), shown)
    out.print(extra)


# ---------------------------------------------------------------------------
# validate
# ---------------------------------------------------------------------------
@app.command()
@job
def validate(
    folder: Annotated[Path, typer.Argument(help="Scenario folder to check.")],
    geocode_online: Annotated[bool, typer.Option("--geocode-online", help="Look up unknown postcodes online.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a scenario folder: every problem with its file, row, column and value."""
    from .io import read_scenario

    s = read_scenario(folder, geocode_online=geocode_online)
    summary = {
        "valid": True,
        "clients": len(s.clients),
        "packages": len(s.packages),
        "visits": len(s.visits),
        "providers": len(s.providers),
        "carers": len(s.carers),
        "shifts": len(s.shifts),
    }
    if as_json:
        emit_json(summary)
        return
    out.print(f"[green]ok:[/] {folder} is a valid scenario: " + ", ".join(f"{v} {k}" for k, v in list(summary.items())[1:]))


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------
@app.command()
@job
def demo(
    district: Annotated[str, typer.Option("--district", help="District to run on.")] = "Colchester",
    county: Annotated[bool, typer.Option("--county", help="All twelve districts.")] = False,
    seed: SeedOpt = 1,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the scenario and report.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate the embedded Essex scenario and show what patchplan does with it."""
    from .io import write_scenario
    from .scenario import essex, facts

    folder = out_dir or Path(tempfile.mkdtemp(prefix="patchplan-demo-"))
    started = time.perf_counter()
    with progress_steps(GEN_STEPS, quiet=as_json) as advance:
        s = essex(district=None if county else district, seed=seed, progress=advance)
        advance("write")
        write_scenario(s, folder / "scenario")
    f = facts(s)
    if as_json:
        emit_json({"out": str(folder), "runtime_s": round(time.perf_counter() - started, 2), **f["figures"], **f["extra"]})
        return
    _facts_table(f)
    out.print(f"Scenario written to [bold]{folder / 'scenario'}[/].")


if __name__ == "__main__":  # pragma: no cover
    main()
