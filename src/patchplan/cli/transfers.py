"""``patchplan transfers``: package moves between providers that cut travel.

A single-command app. Mounted without a name (``app.add_typer(transfers_app)``
in :mod:`patchplan.cli.app`) its command is ``patchplan transfers SCENARIO``;
with ``name="transfers"`` it would be ``patchplan transfers transfers``.
``transfers_app`` is created before :mod:`patchplan.cli.app` is imported, so
either module may be imported first.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

transfers_app = typer.Typer(
    help="Transfer of care: package moves and swaps between providers that cut travel.",
    no_args_is_help=True,
)

from rich.table import Table

from patchplan.cli.common import emit_json, job, out

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the moves as JSON on stdout.")]


@transfers_app.command("transfers")
@job
def transfers(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (its status-quo roster is today's rounds).")],
    district: Annotated[
        str | None, typer.Option("--district", help="Only packages of clients in this district (name or code).")
    ] = None,
    max_results: Annotated[int, typer.Option("--max", help="At most this many moves.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Package transfers and swaps between providers that cut carers' travel, best first."""
    from patchplan.broker.transfers import find_transfers
    from patchplan.io.folder import read_scenario

    started = time.perf_counter()
    s = read_scenario(scenario)
    moves = find_transfers(s, district=district, max_results=max_results)
    saving = sum(m.saving_min_week for m in moves)
    headline = {
        "district": district,
        "moves": len(moves),
        "swaps": sum(1 for m in moves if m.kind == "swap"),
        "packages": sum(len(m.packages) for m in moves),
        "saving_min_week": saving,
        "runtime_s": round(time.perf_counter() - started, 2),
        "transfers": [m.as_dict() for m in moves],
    }
    if as_json:
        emit_json(headline)
        return
    where = f" in {district}" if district else ""
    table = Table(title=f"Transfers of care{where}: best saving first")
    for col in ("#", "package", "move", "saving min/week", "rank", "reason"):
        table.add_column(col, justify="right" if col in ("#", "saving min/week", "rank") else "left")
    for i, m in enumerate(moves, start=1):
        package = m.package_id if m.swap_package_id is None else f"{m.package_id} <-> {m.swap_package_id}"
        arrow = "->" if m.swap_package_id is None else "<->"
        table.add_row(
            str(i),
            package,
            f"{m.from_provider} {arrow} {m.to_provider}",
            f"{m.saving_min_week:,}",
            "spot" if m.rank is None else str(m.rank),
            m.reason,
        )
    out.print(table)
    if not moves:
        out.print("No move between providers saves travel with the capacity they have.")
        return
    out.print(
        f"{len(moves)} move(s) ({headline['swaps']} swap(s)), {headline['packages']} package(s): "
        f"{saving:,} min ({saving / 60:,.1f} h) of carer travel a week saved."
    )
