"""The ``patchplan`` command line: parse -> io -> job -> io.

Exit codes: 0 ok, 1 internal error, 2 bad input, 3 a solver could not run.
Every job command takes ``--json`` and then prints its headline numbers as
one JSON object (or list) on stdout; otherwise people get rich tables.
Messages, warnings and progress go to stderr, so stdout stays clean.
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from patchplan import __version__
from patchplan.cli.common import (
    JsonOpt,
    SeedOpt,
    _escape,
    emit_json,
    err,
    job,
    out,
    parse_date,
    progress_bar,
    progress_steps,
)
from patchplan.cli.payloads import COMPARE_KPIS
from patchplan.core.errors import DataQualityWarning, InputError

app = typer.Typer(
    help="patchplan: plan home care for a council and its providers (broker, rounds, patches).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenario_app = typer.Typer(help="Generate and inspect scenarios.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")
bench_app = typer.Typer(help="Run public benchmark instances (Solomon, Mankowska HHCRSP).", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
broker_app = typer.Typer(
    help="Offer packages to framework providers: shortlists and backlog allocation.", no_args_is_help=True
)
app.add_typer(broker_app, name="broker")
patches_app = typer.Typer(help="Design neighbourhood patches and compare designs end to end.", no_args_is_help=True)
app.add_typer(patches_app, name="patches")


def main() -> None:
    """Entry point of the console script."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


# ---------------------------------------------------------------------------
# about
# ---------------------------------------------------------------------------
@app.command()
@job
def about(as_json: JsonOpt = False) -> None:
    """Version, what patchplan does, and the attribution of its embedded data."""
    from patchplan.geo.geography import ATTRIBUTION, data_dir

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
    district: Annotated[
        str | None, typer.Option("--district", help="One district (name or code) instead of the county.")
    ] = None,
    seed: SeedOpt = 1,
    scale: Annotated[float, typer.Option("--scale", help="Multiply every published total (0 < F <= 5).")] = 1.0,
    backlog: Annotated[
        int | None, typer.Option("--backlog", help="Packages awaiting a provider (default ~4% of clients).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="Table format: csv or parquet.")] = "csv",
    weeks: Annotated[
        int,
        typer.Option(
            "--weeks",
            help="Weeks of horizon: the generated week, then its call patterns and rota again (the facts and "
            "the status quo are the first week's).",
        ),
    ] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Generate the embedded Essex scenario from real public geography."""
    from patchplan.core.patterns import scenario_for_week
    from patchplan.essex.facts import facts
    from patchplan.essex.generator import essex
    from patchplan.io.folder import write_scenario

    started = time.perf_counter()
    with progress_steps(GEN_STEPS, quiet=as_json) as advance:
        s = essex(district=district, seed=seed, scale=scale, backlog=backlog, progress=advance)
        advance("write")
        write_scenario(s if weeks == 1 else scenario_for_week(s, 0, weeks=weeks), out_dir, fmt=fmt)
    f = facts(s)
    headline = {
        "out": str(out_dir),
        "weeks": weeks,
        "runtime_s": round(time.perf_counter() - started, 2),
        **f["figures"],
        **f["extra"],
    }
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
    from patchplan.essex.facts import facts
    from patchplan.io.folder import read_scenario

    f = facts(read_scenario(folder))
    if as_json:
        emit_json(f)
        return
    _facts_table(f)


def _facts_table(f: dict[str, Any]) -> None:
    from patchplan.essex.facts import STUDY_MILES_BETWEEN_VISITS

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
    from patchplan.io.folder import read_scenario

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
    out.print(
        f"[green]ok:[/] {folder} is a valid scenario: " + ", ".join(f"{v} {k}" for k, v in list(summary.items())[1:])
    )


# ---------------------------------------------------------------------------
# rounds and check
# ---------------------------------------------------------------------------
TimeLimitOpt = Annotated[float, typer.Option("--time-limit", help="Wall-clock seconds for the whole plan.")]


@app.command()
@job
def rounds(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    provider: Annotated[
        str | None, typer.Option("--provider", help="Provider id (default: the largest framework provider).")
    ] = None,
    day: Annotated[str | None, typer.Option("--day", help="Plan one day (YYYY-MM-DD).")] = None,
    week: Annotated[
        str | None, typer.Option("--week", help="Plan seven days from this date, with continuity of carer.")
    ] = None,
    team_cap: Annotated[
        int | None, typer.Option("--team-cap", help="Most distinct carers a client should see (default 3 with --week).")
    ] = None,
    hard_cap: Annotated[
        bool, typer.Option("--hard-cap", help="Never exceed --team-cap (leave the visit unassigned).")
    ] = False,
    teams: Annotated[
        bool, typer.Option("--teams", help="Neighbourhood teams: each client served by one team.")
    ] = False,
    prefer_known: Annotated[
        bool, typer.Option("--prefer-known", help="Start each client's team from the carers who know them.")
    ] = False,
    template: Annotated[
        Path | None,
        typer.Option("--template", help="Last week's roster: keep each call with its carer where possible."),
    ] = None,
    template_scenario: Annotated[
        Path | None,
        typer.Option("--template-scenario", help="Scenario folder the template was made for (default: this one)."),
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the roster and KPIs.")] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            help="Wall-clock seconds for the whole plan (default 60 a day, at most 300: what a 500-visit provider-day needs to serve every call).",
        ),
    ] = None,
    seed: SeedOpt = 0,
    params_file: Annotated[Path | None, typer.Option("--params", help="TOML file of rounds parameters.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Plan a provider's rounds: who visits whom, when, in what order."""
    from patchplan.check.checker import check_and_score
    from patchplan.core.params import RoundsParams
    from patchplan.io.folder import read_scenario, write_roster
    from patchplan.rounds.job import default_time_limit, plan_and_score, week_days, week_params
    from patchplan.rounds.plan import largest_provider

    s = read_scenario(scenario)
    pid = provider or largest_provider(s)
    if day is not None and week is not None:
        raise InputError("give --day or --week, not both")
    days = None if day is None else [s.day_of(parse_date(day, "--day"))]
    params = RoundsParams.from_toml(params_file) if params_file else RoundsParams()
    if week is not None:
        days = week_days(s, s.day_of(parse_date(week, "--week")))
        if len(days) < 7:  # a shorter plan than asked for must say so, not look like a week
            warnings.warn(
                f"--week {week}: planned {len(days)} of 7 days; the scenario's horizon ends on {s.date(s.days - 1)}",
                DataQualityWarning,
                stacklevel=1,
            )
        params = week_params(params, team_cap)
    elif team_cap is not None:
        params = params.replace(team_cap=team_cap)
    params = params.replace(
        cap_hard=hard_cap or params.cap_hard,
        teams_mode=teams or params.teams_mode,
        prefer_known=prefer_known or params.prefer_known,
    )
    started = time.perf_counter()
    n_days = len(days) if days else s.days
    if time_limit is None:
        time_limit = default_time_limit(n_days)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
    ) as bar:
        task = bar.add_task(f"planning {pid}, {n_days} day(s), up to {time_limit:.0f} s", total=n_days)
        moves = None
        if template is not None:
            from patchplan.io.folder import read_roster
            from patchplan.rounds.replan import plan_from_template

            last = read_scenario(template_scenario) if template_scenario else s
            roster, moves = plan_from_template(
                s,
                read_roster(template, last),
                pid,
                days=days,
                params=params,
                time_limit_s=time_limit,
                seed=seed,
                template_scenario=last,
            )
            bar.update(task, completed=n_days)
        else:
            # The job plans, compares with the status quo and scores both
            # over the visits planned; the CLI only shows it.
            report = plan_and_score(
                s,
                pid,
                days,
                params=params,
                time_limit_s=time_limit,
                seed=seed,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
            roster = report.roster
    runtime = time.perf_counter() - started
    if template is None:
        violations = report.violations
        headline: dict[str, Any] = report.headline(_COMPARE)
    else:
        violations, kpis = check_and_score(s, roster)
        headline = {"provider": pid, "days": dict(roster.meta).get("days", ""), **kpis.as_dict()}
        if s.status_quo is not None:
            _, sq_kpis = check_and_score(s, _status_quo_of(s, pid, days))
            headline.update({f"status_quo_{k}": v for k, v in sq_kpis.as_dict().items() if k in _COMPARE})
        headline.update(unassigned_visits=kpis.visits_unassigned, violations=len(violations))
    headline.update(days_planned=n_days, days_requested=7 if week is not None else n_days, runtime_s=round(runtime, 2))
    if moves is not None:
        headline["changes_vs_template"] = len(moves)
    if out_dir is not None:
        write_roster(roster, s, out_dir / "roster")
        (out_dir / "kpis.json").write_text(json.dumps(headline, indent=2), encoding="utf-8")
    if as_json:
        emit_json(headline)
        return
    _compare_table(headline, f"Rounds for {pid}")
    if headline.get("care_teams"):
        reasons = ", ".join(f"{k} {n}" for k, n in headline["continuity_breaks_by_reason"].items()) or "none"
        out.print(
            f"Care teams for {headline['care_teams']} clients; {headline['continuity_breaks']} calls went to a carer "
            f"outside the client's team ({reasons})."
        )
    for v in violations[:20]:
        err.print(f"[red]violation:[/] {_escape(str(v))}")
    if out_dir is not None:
        out.print(f"Roster written to [bold]{out_dir / 'roster'}[/].")


_COMPARE = COMPARE_KPIS


def _status_quo_of(s: Any, pid: str, days: list[int] | None) -> Any:
    """The status-quo roster restricted to a provider and days."""
    from patchplan.rounds.statusquo import status_quo_for

    return status_quo_for(s, pid, days)


def _compare_table(headline: dict[str, Any], title: str) -> None:
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("patchplan", justify="right")
    has_sq = any(k.startswith("status_quo_") for k in headline)
    if has_sq:
        table.add_column("status quo", justify="right")
        table.add_column("change", justify="right")
    for key in _COMPARE:
        ours = headline.get(key)
        row = [key.replace("_", " "), _fmt(ours)]
        if has_sq:
            theirs = headline.get(f"status_quo_{key}")
            change = (
                f"{100 * (ours / theirs - 1):+.0f}%"
                if isinstance(ours, (int, float)) and isinstance(theirs, (int, float)) and theirs
                else ""
            )
            row += [_fmt(theirs), change]
        table.add_row(*row)
    out.print(table)
    out.print(
        f"violations (independent checker): {headline.get('violations', 0)}; runtime {headline.get('runtime_s')} s"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


@app.command("check")
@job
def check_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    roster: Annotated[Path, typer.Argument(help="Roster folder or roster.csv (ours or hand-made).")],
    as_json: JsonOpt = False,
    charter: Annotated[bool, typer.Option("--charter", help="Also check UNISON's Ethical Care Charter rules.")] = False,
    floor: Annotated[
        str,
        typer.Option(
            "--floor",
            help="Charter pay floor: national_living_wage, real_living_wage, london_living_wage or £ an hour.",
        ),
    ] = "national_living_wage",
) -> None:
    """Check any roster against every rule and score it with the same KPIs."""
    from patchplan.check.checker import check_and_score
    from patchplan.io.folder import read_roster, read_scenario

    s = read_scenario(scenario)
    r = read_roster(roster, s)
    report = None
    if charter:
        from patchplan.check.charter import PayParams
        from patchplan.check.charter import charter as charter_check

        pay = PayParams(floor=floor)  # a bad floor is bad input (exit 2) before any work
        report = charter_check(s, r, pay=pay)
    violations, kpis = check_and_score(s, r)
    if as_json:
        payload = {"violations": len(violations), "violation_list": [vars_of(v) for v in violations], **kpis.as_dict()}
        if report is not None:
            payload["charter"] = report.as_dict()
        emit_json(payload)
        return
    table = Table(title=f"KPIs of {roster}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in kpis.as_dict().items():
        table.add_row(key.replace("_", " "), _fmt(value))
    out.print(table)
    if not violations:
        out.print("[green]no violations[/]")
    for v in violations[:50]:
        out.print(f"[red]violation:[/] {_escape(str(v))}")
    if len(violations) > 50:
        out.print(f"... and {len(violations) - 50} more (use --json for all)")
    if report is None:
        return
    rules = Table(
        title=f"Ethical Care Charter (pay floor: {report.pay.pay_floor.label}, £{report.pay.pay_floor.gbp_h:.2f}/h)"
    )
    for col in ("rule", "scope", "result", "failing", "e.g."):
        rules.add_column(col)
    for rule in report.rules:
        first = rule.failures[0] if rule.failures else None
        rules.add_row(
            rule.title,
            rule.scope,
            "[green]pass[/]" if rule.passed else "[red]fail[/]",
            str(len(rule.failures)),
            "" if first is None else _escape(f"{first.who}: {first.detail}"),
        )
    out.print(rules)


def vars_of(v: Any) -> dict[str, Any]:
    return {k: getattr(v, k) for k in v.__dataclass_fields__}


@bench_app.command("solomon")
@job
def bench_solomon(
    file: Annotated[Path, typer.Argument(help="A Solomon VRPTW instance (.txt).")],
    time_limit: TimeLimitOpt = 10.0,
    seed: SeedOpt = 0,
) -> None:
    """Solve a Solomon instance; print one JSON object (checked by the independent checker)."""
    from patchplan.bench.run import run_solomon

    emit_json(run_solomon(file, time_limit_s=time_limit, seed=seed))


@bench_app.command("hhcrsp")
@job
def bench_hhcrsp(
    file: Annotated[Path, typer.Argument(help="A Mankowska et al. (2014) HHCRSP instance (.txt).")],
    time_limit: TimeLimitOpt = 10.0,
    seed: SeedOpt = 0,
) -> None:
    """Solve an HHCRSP instance; print one JSON object (checked by the independent checker)."""
    from patchplan.bench.run import run_hhcrsp

    emit_json(run_hhcrsp(file, time_limit_s=time_limit, seed=seed))


@app.command("replan")
@job
def replan_cmd(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    roster: Annotated[Path, typer.Argument(help="Today's roster folder (from `patchplan rounds --out`).")],
    events: Annotated[Path, typer.Option("--events", help="CSV of events: see docs/replan-events.md.")],
    now: Annotated[str, typer.Option("--now", help="When it is: YYYY-MM-DDTHH:MM; what started before is pinned.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the new roster and the moves.")] = None,
    time_limit: TimeLimitOpt = 10.0,
    as_json: JsonOpt = False,
) -> None:
    """Re-plan the rest of the day after sickness, overruns, cancellations or urgent visits."""
    import datetime as dt

    from patchplan.check.checker import check_and_score
    from patchplan.io.folder import read_events, read_roster, read_scenario, write_roster
    from patchplan.rounds.replan import replan

    s = read_scenario(scenario)
    r = read_roster(roster, s)
    try:
        moment = dt.datetime.fromisoformat(now)
    except ValueError:
        raise InputError(f"--now {now!r}: expected YYYY-MM-DDTHH:MM") from None
    minute = s.day_of(moment.date()) * 24 * 60 + moment.hour * 60 + moment.minute
    evs = read_events(events, s, day=minute // (24 * 60), roster=r)
    result = replan(s, r, evs, now=minute, time_limit_s=time_limit)
    violations, kpis = check_and_score(result.scenario, result.roster)
    moves = [{"visit_id": m.visit_id, "from": list(m.before), "to": list(m.after)} for m in result.moves]
    headline = {
        "moves": len(result.moves),
        "pinned": result.pinned,
        "unassigned_visits": kpis.visits_unassigned,
        "travel_min": kpis.travel_min,
        "violations": len(violations),
        "runtime_s": result.runtime_s,
        "moved": moves,
    }
    if out_dir is not None:
        write_roster(result.roster, result.scenario, out_dir / "roster")
        (out_dir / "moves.json").write_text(json.dumps(moves, indent=2), encoding="utf-8")
    if as_json:
        emit_json(headline)
        return
    table = Table(title=f"Re-planned at {now}: {len(moves)} visit(s) moved, {result.pinned} pinned")
    for col in ("visit", "from", "to"):
        table.add_column(col)
    for move in result.moves:
        table.add_row(move.visit_id, ", ".join(move.before) or "-", ", ".join(move.after) or "unassigned")
    out.print(table)
    out.print(f"violations (independent checker): {len(violations)}; runtime {result.runtime_s} s")


# ---------------------------------------------------------------------------
# broker
# ---------------------------------------------------------------------------
PolicyOpt = Annotated[
    str,
    typer.Option(
        "--policy",
        help="cascade (rank order), tiered (least travel in the best tier) or weighted (60% quality / 40% cost).",
    ),
]


@broker_app.command("shortlist")
@job
def broker_shortlist(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    package: Annotated[str, typer.Option("--package", help="Package id.")],
    policy: PolicyOpt = "cascade",
    as_json: JsonOpt = False,
) -> None:
    """The package's providers in framework order, each with a reason."""
    from patchplan.broker.brokerage import choose, shortlist
    from patchplan.io.folder import read_scenario

    s = read_scenario(scenario)
    offers = shortlist(s, package)
    pick = choose(offers, policy)
    if as_json:
        emit_json([{**o.as_dict(), "chosen": pick is not None and o.provider_id == pick.provider_id} for o in offers])
        return
    table = Table(title=f"Shortlist for {package} ({policy})")
    for col in ("", "provider", "tier", "rank", "can take", "travel/day", "rate", "reason"):
        table.add_column(col)
    for o in offers:
        mark = "->" if pick is not None and o.provider_id == pick.provider_id else ""
        table.add_row(
            mark,
            f"{o.provider_id} {o.provider_name}",
            "spot" if o.tier == 3 else str(o.tier),
            str(o.rank or ""),
            "yes" if o.feasible else "no",
            "" if o.added_travel_min_day is None else f"+{o.added_travel_min_day:.0f} min",
            f"£{o.rate_gbp_h:.2f}",
            o.reason,
        )
    out.print(table)
    out.print("No provider can take it." if pick is None else f"{policy} offers it to [bold]{pick.provider_id}[/].")


@broker_app.command("allocate")
@job
def broker_allocate(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    policy: PolicyOpt = "cascade",
    time_limit: TimeLimitOpt = 10.0,
    seed: SeedOpt = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write allocation CSVs here.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Place every package awaiting a provider jointly, beside the plain cascade."""
    from patchplan.broker.brokerage import BrokerState, allocate, backlog, cascade_backlog
    from patchplan.io.folder import read_scenario

    s = read_scenario(scenario)
    pkgs = backlog(s)
    with progress_steps(["cascade", "shortlists", "joint allocation"], quiet=as_json) as advance:
        advance("cascade")
        plain = cascade_backlog(s, pkgs, state=BrokerState(s))
        joint = allocate(
            s, policy, packages=pkgs, time_limit_s=time_limit, seed=seed, state=BrokerState(s), progress=advance
        )
    headline = {
        "policy": policy,
        "packages": len(pkgs),
        "hours_awaiting": round(sum(p.hours_week for p in pkgs), 2),
        "hours_placed": joint.hours_placed,
        "cascade_hours_placed": plain.hours_placed,
        "added_travel_min": joint.added_travel_min,
        "cascade_added_travel_min": plain.added_travel_min,
        "spot_hours": joint.spot_hours,
        "cascade_spot_hours": plain.spot_hours,
        "unplaced_packages": len(joint.unplaced),
        "cascade_unplaced_packages": len(plain.unplaced),
        "runtime_s": joint.runtime_s,
        "cascade_runtime_s": plain.runtime_s,
        "shortages": list(joint.shortages[:10]),
    }
    if out_dir is not None:
        _write_allocations(out_dir, {"joint": joint, "cascade": plain})
    if as_json:
        emit_json(headline)
        return
    table = Table(title=f"Backlog of {len(pkgs)} packages ({headline['hours_awaiting']:,.0f} h a week)")
    table.add_column("")
    table.add_column("plain cascade", justify="right")
    table.add_column(f"joint ({policy})", justify="right")
    for label, a, b in (
        ("hours placed a week", plain.hours_placed, joint.hours_placed),
        ("of which spot market", plain.spot_hours, joint.spot_hours),
        ("packages unplaced", len(plain.unplaced), len(joint.unplaced)),
        ("added travel, min a week", plain.added_travel_min, joint.added_travel_min),
        ("runtime, s", plain.runtime_s, joint.runtime_s),
    ):
        table.add_row(label, _fmt(a), _fmt(b))
    out.print(table)
    for line in joint.shortages[:10]:
        out.print(f"short: {line}")
    if out_dir is not None:
        out.print(f"Allocations written to [bold]{out_dir}[/].")


def _write_allocations(folder: Path, allocations: dict[str, Any]) -> None:
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    for name, alloc in allocations.items():
        with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["package_id", "provider_id", "hours_week", "spot", "added_travel_min_week", "rule"])
            for p in alloc.placements:
                writer.writerow(
                    [p.package_id, p.provider_id or "", p.hours_week, int(p.spot), p.added_travel_min_week, p.rule]
                )


# ---------------------------------------------------------------------------
# patches
# ---------------------------------------------------------------------------
@patches_app.command("design")
@job
def patches_design(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    out_file: Annotated[Path, typer.Option("--out", help="GeoJSON file to write.")],
    k: Annotated[int | None, typer.Option("--k", help="Number of patches.")] = None,
    hours: Annotated[float | None, typer.Option("--hours", help="Target demand hours a week per patch.")] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", help="Balance: patches within +- this share of the mean.")
    ] = 0.15,
    across_districts: Annotated[
        bool, typer.Option("--across-districts", help="Let patches cross district borders.")
    ] = False,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Cut contiguous, balanced, compact patches from the small-area graph."""
    from patchplan.io.folder import read_scenario
    from patchplan.io.geojson import to_geojson
    from patchplan.patches import partition as pt

    s = read_scenario(scenario)
    if (k is None) == (hours is None):
        raise InputError("give exactly one of --k or --hours")
    with progress_steps(["designing"], quiet=as_json):
        design = pt.design(
            s, k=k, target_hours=hours, tolerance=tolerance, within_districts=not across_districts, seed=seed
        )
    problems = pt.check_design(s, design)
    to_geojson(s, design, out_file)
    rows = pt.design_kpis(s, design)
    if as_json:
        emit_json({"patches": len(design), "problems": problems, "out": str(out_file), "per_patch": rows})
        return
    table = Table(title=f"{len(design)} patches")
    for col in ("id", "name", "areas", "hours", "balance", "compactness_min"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.get("id", "")),
            str(r.get("name", "")),
            str(r.get("areas", "")),
            _fmt(r.get("demand_hours", r.get("hours"))),
            _fmt(r.get("balance")),
            _fmt(r.get("compactness_min")),
        )
    out.print(table)
    out.print(f"{'no problems' if not problems else problems}; written to [bold]{out_file}[/]")


@patches_app.command("compare")
@job
def patches_compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder.")],
    designs: Annotated[
        list[str], typer.Argument(help="Designs: today, districts, prime, k=60, hours=2000, or a .geojson path.")
    ],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for the report (index.html, CSV, GeoJSON).")
    ] = None,
    mode: Annotated[str, typer.Option("--mode", help="full (rounds solver) or fast (greedy approximation).")] = "full",
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (default: local processes).")
    ] = None,
    reablement: Annotated[
        float,
        typer.Option("--reablement", help="Share of packages cut by a trusted assessor (Newham: 12.25 -> 8.75 h)."),
    ] = 0.0,
    walking: Annotated[bool, typer.Option("--walking", help="Carers walk in dense urban patches.")] = False,
    micro: Annotated[
        bool, typer.Option("--micro-enterprise", help="Local micro-enterprises lead rural patches.")
    ] = False,
    subcontract: Annotated[
        float, typer.Option("--subcontract", help="Share of a patch's packages the lead subcontracts.")
    ] = 0.0,
    seconds_per_visit: Annotated[
        float, typer.Option("--seconds-per-visit", help="Full mode: solver time per weekly visit.")
    ] = 0.004,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Evaluate patch designs end to end and compare them side by side."""
    from patchplan.io.folder import read_scenario
    from patchplan.patches.evaluate import Levers, build_design, evaluate
    from patchplan.report.pages import patches_report

    s = read_scenario(scenario)
    levers = Levers(reablement_share=reablement, walking=walking, micro_enterprise=micro, subcontract_share=subcontract)
    built = [build_design(s, spec, levers=levers, seed=seed) for spec in designs]
    results = []
    with progress_bar(disable=as_json) as bar:
        for d in built:
            task = bar.add_task(f"design {d.name}", total=None)

            def advance(done: int, total: int, task: TaskID = task) -> None:
                bar.update(task, completed=done, total=total)

            results.append(
                evaluate(
                    s,
                    d,
                    mode=mode,
                    scheduler=scheduler,
                    seconds_per_visit=seconds_per_visit,
                    seed=seed,
                    progress=advance,
                )
            )
    if out_dir is not None:
        patches_report(
            s,
            built,
            results,
            out_dir,
            settings={
                "mode": mode,
                "seed": seed,
                "seconds per visit": seconds_per_visit,
                "reablement share": reablement,
                "walking": walking,
                "micro-enterprise": micro,
                "subcontract share": subcontract,
            },
        )
    heads = [r.headline() for r in results]
    if as_json:
        emit_json(heads)
        return
    table = Table(title="Designs compared (a week)")
    table.add_column("KPI")
    for h in heads:
        table.add_column(h["design"], justify="right")
    for key in (
        "patches",
        "travel_hours_week",
        "travel_miles_week",
        "travel_cost_gbp_week",
        "co2_kg_week",
        "carer_hours_week",
        "carers_needed",
        "unplaced_hours",
        "spot_hours",
        "distinct_carers_per_client_mean",
        "provider_load_cv",
        "violations",
        "runtime_s",
    ):
        table.add_row(key.replace("_", " "), *[_fmt(h[key]) for h in heads])
    out.print(table)
    if out_dir is not None:
        out.print(f"Report: [bold]{out_dir / 'index.html'}[/]")


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------
@app.command()
@job
def demo(
    district: Annotated[str, typer.Option("--district", help="District to run on.")] = "Colchester",
    county: Annotated[bool, typer.Option("--county", help="All twelve districts (takes longer).")] = False,
    seed: SeedOpt = 1,
    scale: Annotated[float, typer.Option("--scale", help="Scale of the demand (1 = the published totals).")] = 1.0,
    rounds_time: Annotated[
        float, typer.Option("--rounds-time", help="Seconds for the provider's week of rounds.")
    ] = 150.0,
    full_patches: Annotated[
        bool, typer.Option("--full-patches", help="Evaluate patch designs with the rounds solver (slower).")
    ] = False,
    deterministic: Annotated[
        bool,
        typer.Option(
            "--deterministic",
            help="Solution budgets instead of time: same numbers on any machine when --rounds-time is above what they need.",
        ),
    ] = False,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the report and its files.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The whole story on the embedded Essex scenario: broker, rounds, patches, as a report."""
    from patchplan.report.demo import STEPS, DemoSettings, run_demo

    folder = out_dir or Path(tempfile.mkdtemp(prefix="patchplan-demo-"))
    settings = DemoSettings(
        district=None if county else district,
        seed=seed,
        scale=scale,
        rounds_time_s=rounds_time,
        patches_mode="full" if full_patches else "fast",
        deterministic=deterministic,
    )
    with progress_steps(list(STEPS), quiet=as_json) as advance:
        result = run_demo(settings, folder, progress=advance)
    h = result.headline
    if as_json:
        emit_json(h)
        return
    table = Table(title=f"patchplan demo: {h['scenario']} ({h['clients']:,} clients, {h['hours_week']:,.0f} h a week)")
    table.add_column("story")
    table.add_column("today", justify="right")
    table.add_column("patchplan", justify="right")
    table.add_row("broker: backlog hours placed", _fmt(h["cascade_hours_placed"]), _fmt(h["joint_hours_placed"]))
    table.add_row(
        "broker: added travel, min a week", _fmt(h["cascade_added_travel_min"]), _fmt(h["joint_added_travel_min"])
    )
    table.add_row(
        f"rounds ({h['provider']}): travel, min a week", _fmt(h["status_quo_travel_min"]), _fmt(h["travel_min"])
    )
    table.add_row(
        "rounds: distinct carers per client",
        _fmt(h["status_quo_distinct_carers_per_client_mean"]),
        _fmt(h["distinct_carers_per_client_mean"]),
    )
    table.add_row("rounds: visits unassigned", _fmt(h["status_quo_unassigned_visits"]), _fmt(h["unassigned_visits"]))
    designs = h["designs"]
    names = list(designs)
    table.add_row(
        f"patches: travel h a week ({names[0]} vs {names[-1]})",
        _fmt(designs[names[0]]["travel_hours_week"]),
        _fmt(designs[names[-1]]["travel_hours_week"]),
    )
    out.print(table)
    out.print(f"Report: [bold]{result.report}[/] (open it in a browser); files in {folder}; {h['runtime_s']} s.")


# Sub-apps that live in their own modules (they import job/emit_json from here).
from patchplan.cli.demand import demand_app
from patchplan.cli.offers import offers_app
from patchplan.cli.serve import serve_app, users_app
from patchplan.cli.transfers import transfers_app

app.add_typer(demand_app, name="demand")
app.add_typer(offers_app, name="offers")
app.add_typer(transfers_app)
app.add_typer(serve_app)
app.add_typer(users_app, name="users")

if __name__ == "__main__":  # pragma: no cover
    main()
