"""Coverage on Essex provider-days (issue 12): does the plan ever leave out a
call the status-quo coordinator covers?

Protocol
--------
For every district (``--district``; default one rural, one urban and one
mixed district: Uttlesford, Basildon, Colchester) generated at scale 1 with
``--seed``, for **every framework provider** with placed visits there
(spot providers excluded) and every day in ``--days``:

1. the **status quo** is the scenario's status-quo roster restricted to that
   provider and day (``patchplan.cli.app._status_quo_of``, as ``patchplan
   rounds`` reports it);
2. **patchplan** plans the same provider-day with
   :func:`patchplan.rounds.plan.plan_rounds` (default parameters, one
   thread, solver seed 0) at every time limit in ``--time-limits``
   (default 5 10 30 s);
3. optionally (``--vroom``) **VROOM** plans the single-carer visits of the
   same day (``benchmarks/vroom_peer.py``; double-ups are out of its model);
4. every roster is checked and scored by the same independent checker
   (:func:`patchplan.check.checker.check_and_score`).

Reported per plan: visits, unassigned, ``more than SQ`` (unassigned beyond
the status quo's: the aim is 0 on every provider-day), visits the floor
served, travel vs the status quo, on-time share, checker violations, wall
time and **overrun** (wall time minus the limit; the aim is at most
max(1 s, 3 %) of the limit).

Usage::

    python benchmarks/coverage.py                                  # 3 districts, 5 10 30 s
    python benchmarks/coverage.py --district Maldon --time-limits 5 --csv maldon.csv

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
from patchplan.essex.generator import essex
from patchplan.rounds.plan import plan_rounds

DISTRICTS = ["Uttlesford", "Basildon", "Colchester"]


def framework_providers(s: Any, district_id: str) -> list[str]:
    """Framework providers with placed visits in the district, most hours first."""
    hours: dict[str, float] = {}
    for p in s.packages:
        if p.status == "placed" and p.provider_id and not s.provider(p.provider_id).spot:
            if s.client(p.client_id).district_id == district_id:
                hours[p.provider_id] = hours.get(p.provider_id, 0.0) + p.hours_week
    return sorted(hours, key=lambda k: (-hours[k], k))


def score(s: Any, roster: Any, scope: set[str]) -> dict[str, Any]:
    violations, k = check_and_score(s, roster)
    left = {u.visit_id for u in roster.unassigned} & scope
    return {
        "visits": len(scope),
        "unassigned": len(left),
        "travel_min": k.travel_min,
        "on_time_pct": round(100 * k.on_time_share, 1),
        "violations": len(violations),
        "rules": ",".join(sorted({str(v.rule) for v in violations})),
    }


COLUMNS = (
    ("district", "district", 0),
    ("provider", "provider", 0),
    ("day", "day", 0),
    ("plan", "plan", 0),
    ("time_limit_s", "T s", 0),
    ("visits", "visits", 0),
    ("unassigned", "unassigned", 0),
    ("more_than_sq", "more than SQ", 0),
    ("start_served", "floor served", 0),
    ("travel_vs_sq_pct", "travel vs SQ %", 1),
    ("on_time_pct", "on time %", 1),
    ("violations", "violations", 0),
    ("runtime_s", "wall s", 1),
    ("overrun_s", "overrun s", 2),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--district", nargs="+", default=DISTRICTS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, nargs="+", default=[0])
    parser.add_argument("--time-limits", type=float, nargs="+", default=[5.0, 10.0, 30.0])
    parser.add_argument("--vroom", action="store_true", help="also plan each day with VROOM (single-carer visits)")
    parser.add_argument("--csv", type=Path, default=None)
    args = parser.parse_args(argv)
    print(f"machine: {_common.machine()}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for name in args.district:
        s = essex(district=name, seed=args.seed)
        district = s.district_by_name(name)
        for pid in framework_providers(s, district.id):
            for day in args.days:
                scope = {v.id for v in s.visits_of_provider(pid, [day])}
                if not scope:
                    continue
                base = {"district": district.name, "provider": pid, "day": day, "seed": args.seed}
                sq = score(s, _status_quo_of(s, pid, [day]), scope)
                rows.append({**base, "plan": "status quo", **sq})
                for limit in args.time_limits:
                    t0 = time.perf_counter()
                    planned = plan_rounds(s, pid, [day], time_limit_s=limit, seed=0)
                    wall = time.perf_counter() - t0
                    row = {**base, "plan": "patchplan", "time_limit_s": limit, **score(s, planned.roster, scope)}
                    row.update(
                        start_served=planned.start_served,
                        more_than_sq=max(0, row["unassigned"] - sq["unassigned"]),
                        travel_vs_sq_pct=round(100 * (row["travel_min"] / max(1, sq["travel_min"]) - 1), 1),
                        runtime_s=round(wall, 2),
                        overrun_s=round(wall - limit, 2),
                        load1=_common.load()[0],
                    )
                    rows.append(row)
                    print(
                        f"{name} {pid} day {day} T={limit:g}: unassigned {row['unassigned']} (SQ {sq['unassigned']}), "
                        f"travel {row['travel_vs_sq_pct']:+.1f}%, {wall:.1f} s, violations {row['violations']}",
                        file=sys.stderr,
                    )
                if args.vroom:
                    rows.append(vroom_row(s, pid, day, base, sq, scope, max(args.time_limits)))
    print(_common.markdown_table(rows, COLUMNS))
    worst = max((r["overrun_s"] for r in rows if "overrun_s" in r), default=0.0)
    more = sum(1 for r in rows if r.get("plan") == "patchplan" and r["more_than_sq"] > 0)
    print(f"\nworst overrun {worst:+.2f} s; provider-day plans with more unassigned than the status quo: {more}")
    if args.csv:
        _common.write_csv(args.csv, rows)
    return 0


def vroom_row(s: Any, pid: str, day: int, base: dict, sq: dict, scope: set[str], limit: float) -> dict[str, Any]:
    from vroom_peer import vroom_roster

    t0 = time.perf_counter()
    roster, info = vroom_roster(s, pid, day, limit)
    wall = time.perf_counter() - t0
    row = {**base, "plan": "VROOM", "time_limit_s": limit, **score(s, roster, scope)}
    row.update(
        more_than_sq=max(0, row["unassigned"] - sq["unassigned"]),
        travel_vs_sq_pct=round(100 * (row["travel_min"] / max(1, sq["travel_min"]) - 1), 1),
        runtime_s=round(wall, 2),
        overrun_s=round(wall - limit, 2),
        double_ups_excluded=info.get("double_ups_excluded"),
    )
    return row


if __name__ == "__main__":
    sys.exit(main())
