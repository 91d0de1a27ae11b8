"""Essex provider-day benchmark (issue 3): patchplan's rounds against the
status-quo roster for one framework provider on one day of the generated
Essex scenario.

Protocol
--------
For every district (``--district``, default Colchester):

1. generate the district with :func:`patchplan.essex.generator.essex` (``--seed``,
   scale 1), which also builds the status-quo roster
   (:mod:`patchplan.rounds.statusquo`: a documented greedy coordinator's rule);
2. take the framework provider with the most placed hours in the district
   (:func:`patchplan.rounds.plan.largest_provider`) and one day (``--day``);
3. the **status quo** is the scenario's status-quo roster restricted to
   that provider and day, exactly as ``patchplan rounds`` does it
   (``patchplan.cli.app._status_quo_of``, imported, not copied);
4. **patchplan** plans the same provider-day with
   :func:`patchplan.rounds.plan.plan_rounds` (default parameters: travel first,
   then lateness; WTR breaks) for every time limit in ``--time-limits``,
   solver seed ``--solver-seed``, single thread;
5. both rosters are checked and scored by the same independent checker
   (:func:`patchplan.check.checker.check_and_score`, the scenario's offline travel
   model) over the same scope (the provider's placed visits that day).

Reported per plan: travel minutes and km, on-time share (start within the
visit's preferred time +- tolerance), late visits, unassigned visits,
carers used, checker violations, and **dropped that the status quo
covered**: visits the status quo served that patchplan left unassigned.
``travel vs SQ %`` = ``100 * (travel min / status quo travel min - 1)``.

Issue 3's aim: at least 30% less travel than the status quo, with nothing
dropped that the status quo covered.

Usage::

    python benchmarks/essex_day.py                                    # Colchester, 10 30 60 s
    python benchmarks/essex_day.py --district Colchester Basildon Uttlesford
    python benchmarks/essex_day.py --district Maldon --time-limits 5 --csv maldon.csv

Prints a Markdown table to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import _common
from patchplan.check.checker import check_and_score
from patchplan.cli.app import _status_quo_of
from patchplan.rounds.plan import largest_provider, plan_rounds
from patchplan.essex.generator import essex

#: The issue's bar: at least this much less travel than the status quo.
AIM_TRAVEL_CUT = 0.30


def plan_row(s: Any, roster: Any, sq_served: set[str] | None) -> dict[str, Any]:
    """KPIs of one roster by the independent checker."""
    violations, k = check_and_score(s, roster)
    unassigned = {u.visit_id for u in roster.unassigned}
    return {
        "visits": k.visits_in_scope,
        "served": k.visits_served,
        "travel_min": k.travel_min,
        "travel_km": k.travel_km,
        "on_time_pct": round(100 * k.on_time_share, 1),
        "late": k.late,
        "early": k.early,
        "late_min_max": k.late_min_max,
        "unassigned": k.visits_unassigned,
        "carers_used": k.carers_used,
        "paid_min": k.paid_min,
        "violations": len(violations),
        "violation_rules": ",".join(sorted({v.rule for v in violations})),
        "dropped_sq_covered": len(unassigned & sq_served) if sq_served is not None else None,
    }


COLUMNS = (
    ("district", "district", 0),
    ("provider", "provider", 0),
    ("plan", "plan", 0),
    ("time_limit_s", "T s", 0),
    ("visits", "visits", 0),
    ("travel_min", "travel min", 0),
    ("travel_km", "travel km", 1),
    ("travel_vs_sq_pct", "travel vs SQ %", 1),
    ("on_time_pct", "on time %", 1),
    ("late", "late", 0),
    ("early", "early", 0),
    ("unassigned", "unassigned", 0),
    ("dropped_sq_covered", "dropped SQ covered", 0),
    ("carers_used", "carers used", 0),
    ("violations", "violations", 0),
    ("runtime_s", "runtime s", 1),
    ("cpu_s", "CPU s", 1),
    ("aim_met", "aim met", 0),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--district", nargs="+", default=["Colchester"], help="district name(s) (default Colchester)")
    parser.add_argument("--seed", type=int, default=1, help="scenario generator seed (default 1)")
    parser.add_argument("--day", type=int, default=0, help="day index (default 0, the scenario's first day)")
    parser.add_argument(
        "--time-limits", type=float, nargs="+", default=[10.0, 30.0, 60.0], help="solver seconds (default: 10 30 60)"
    )
    parser.add_argument("--solver-seed", type=int, default=0, help="plan_rounds seed (default 0)")
    parser.add_argument("--csv", type=Path, default=None, help="also write every row here")
    args = parser.parse_args(argv)

    print(f"machine: {_common.machine()}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for name in args.district:
        started = time.perf_counter()
        s = essex(district=name, seed=args.seed)
        district = s.district_by_name(name)
        pid = largest_provider(s, district.id)
        print(
            f"{name}: generated in {time.perf_counter() - started:.1f} s; provider {pid} "
            f"({s.provider(pid).name}), day {args.day}",
            file=sys.stderr,
        )
        base = {
            "district": district.name,
            "provider": pid,
            "provider_name": s.provider(pid).name,
            "seed": args.seed,
            "day": args.day,
        }
        sq = _status_quo_of(s, pid, [args.day])
        sq_served = {st.visit_id for r in sq.rounds for st in r.stops}
        sq_row = {**base, "plan": "status quo", "time_limit_s": None, **plan_row(s, sq, None), "runtime_s": None}
        rows.append(sq_row)
        for limit in args.time_limits:
            load_before = _common.load()[0]
            t0, cpu0 = time.perf_counter(), time.process_time()
            roster = plan_rounds(s, pid, [args.day], time_limit_s=limit, seed=args.solver_seed).roster
            runtime, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            row = {
                **base,
                "plan": "patchplan",
                "time_limit_s": limit,
                **plan_row(s, roster, sq_served),
                "runtime_s": round(runtime, 2),
                "cpu_s": round(cpu, 1),
                "load1_before": load_before,
            }
            row["travel_vs_sq_pct"] = round(100 * (row["travel_min"] / sq_row["travel_min"] - 1), 1)
            row["aim_met"] = (
                row["travel_min"] <= (1 - AIM_TRAVEL_CUT) * sq_row["travel_min"] and row["dropped_sq_covered"] == 0
            )
            rows.append(row)
            print(
                f"{name} T={limit:g}: travel {row['travel_min']} min vs {sq_row['travel_min']} "
                f"({row['travel_vs_sq_pct']:+.1f}%), unassigned {row['unassigned']} "
                f"(SQ {sq_row['unassigned']}), dropped SQ-covered {row['dropped_sq_covered']}, "
                f"violations {row['violations']}, {runtime:.1f} s (CPU {cpu:.1f} s), load {load_before:.2f}",
                file=sys.stderr,
            )
    print(_common.markdown_table(rows, COLUMNS))
    if args.csv:
        _common.write_csv(args.csv, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
