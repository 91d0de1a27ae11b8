"""``patchplan demand``: the live demand feed, summarised and published.

Mounted on the main app as ``patchplan demand`` (``app.add_typer(demand_app,
name="demand")`` in :mod:`patchplan.cli.app`). ``demand_app`` is created before
:mod:`patchplan.cli.app` is imported, so either module may be imported first.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

demand_app = typer.Typer(
    help="Live demand: packages awaiting a provider (summary; a safe version for providers).",
    no_args_is_help=True,
)

from rich.table import Table

from patchplan.cli.common import emit_json, err, job, out, parse_date
from patchplan.core.errors import InputError

SourceArg = Annotated[
    str,
    typer.Argument(help="Scenario folder, feed file (.csv/.json), folder of feed files, or http(s) URL."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the headline numbers as JSON on stdout.")]


@demand_app.command("summary")
@job
def demand_summary(
    source: SourceArg,
    today: Annotated[
        str | None,
        typer.Option("--today", help="Date to age the feed at, YYYY-MM-DD (default: a scenario's start, else today)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Hours awaiting by district, service type, cohort and time band, with ageing."""
    from patchplan.broker.demand import AGE_BUCKETS, BANDS, default_today, read_feed, totals

    day = parse_date(today, "--today") if today else default_today(source)
    items = read_feed(source)
    headline = totals(items, day)
    if as_json:
        emit_json(headline)
        return
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for item in items:
        groups.setdefault((item.district_name or item.district_id, item.service_type, item.cohort), []).append(item)
    ageing = Table(title=f"Packages awaiting a provider on {day.isoformat()}, by days waiting")
    bands = Table(title="Hours a week awaiting, by time band")
    for table in (ageing, bands):
        for name in ("district", "service", "cohort"):
            table.add_column(name)
    for name in ("packages", "hours", *(f"{label} d" for label, _, _ in AGE_BUCKETS), "overdue"):
        ageing.add_column(name, justify="right")
    for band in BANDS:
        bands.add_column(band.replace("_", " "), justify="right")
    for (district, service, cohort), group in sorted(groups.items()):
        g = totals(group, day)
        names = (district, service.replace("_", " "), cohort.replace("_", " "))
        ageing.add_row(
            *names,
            f"{g['packages']:,}",
            f"{g['hours_awaiting']:,.1f}",
            *(f"{g['ageing'].get(label, 0):,}" for label, _, _ in AGE_BUCKETS),
            f"{g['overdue']:,}",
        )
        bands.add_row(*names, *(f"{g['by_band'].get(band, 0.0):,.1f}" for band in BANDS))
    out.print(ageing)
    out.print(bands)
    out.print(
        f"{headline['packages']:,} packages, {headline['hours_awaiting']:,.1f} hours a week awaiting; "
        f"{headline['overdue']:,} past their response deadline."
    )


@demand_app.command("publish")
@job
def demand_publish(
    source: SourceArg,
    out_dir: Annotated[str, typer.Option("--out", help="Folder for demand.csv, demand.geojson and demand.html.")],
    k: Annotated[int, typer.Option("--k", help="Smallest number of people a published cell may describe.")] = 5,
    level: Annotated[str, typer.Option("--level", help="Coarsen locations to: msoa, sector or district.")] = "msoa",
    as_json: JsonOpt = False,
) -> None:
    """Write the version providers may see: no personal data, small cells merged or suppressed."""
    from pathlib import Path

    from patchplan.broker.demand import publish, read_feed

    if level not in ("msoa", "sector", "district"):
        raise InputError(f"--level {level!r}: expected msoa, sector or district")
    if k < 1:
        raise InputError(f"--k {k}: must be >= 1")
    report = publish(read_feed(source), Path(out_dir), k=k, level=level)
    payload = report.as_dict()
    if as_json:
        emit_json(payload)
        return
    table = Table(title=f"Published live demand ({level}, k = {k})")
    table.add_column("")
    table.add_column("cells", justify="right")
    table.add_column("hours a week", justify="right")
    table.add_row("published as they are", f"{report.cells_fine:,}", f"{report.hours_fine:,.1f}")
    table.add_row(
        f"merged (from {report.merged_from:,} small cells)", f"{report.cells_merged:,}", f"{report.hours_merged:,.1f}"
    )
    table.add_row(
        "suppressed (district totals only)", f"{report.suppressed_cells:,}", f"{report.suppressed_hours:,.1f}"
    )
    table.add_row("total", "", f"{report.hours_total:,.1f}")
    out.print(table)
    out.print(f"Written to [bold]{out_dir}[/]: demand.csv, demand.geojson, demand.html.")
    if report.suppressed_hours:
        err.print(
            f"[yellow]note:[/] {report.suppressed_hours:,.1f} hours a week are only in district totals "
            f"(cells of fewer than {k} people even after merging)."
        )
