"""The week's floor (issue 12's first rule over a week): what it keeps and what it costs.

Protocol
--------
1. Generate each district of ``--districts`` (seed ``--seed``, scale 1) and take its largest framework
   provider.
2. The status quo's week on exactly the provider's calls
   (:func:`patchplan.rounds.statusquo.coordinator_week`, from the scenario as given, with the clients'
   history), and the scenario's own status-quo roster for the provider (made by the generator before that
   history): calls each leaves unassigned.
3. :func:`patchplan.rounds.plan.plan_rounds` over the week with care teams of 3
   (``RoundsParams(team_cap=3)``), ``--time-limit`` seconds, with the week's floor (``week_floor=True``,
   the default) and without it (``week_floor=False``), one after the other.
4. Each plan is checked by the independent checker. Reported: unassigned calls, calls the plan serves
   on each day beside the status quo's that day (the smallest margin over the days), travel against the
   scenario's status quo, distinct carers per client-week, violations, wall time.

Usage::

    python benchmarks/week_floor.py --districts Maldon Basildon Colchester --time-limit 60

Prints a Markdown table; progress goes to stderr. Plans are timed by wall clock: run it alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from typing import Any

from _common import load, machine_line
from _common import markdown_table as markdown
from patchplan.check.checker import check_and_score
from patchplan.core.params import RoundsParams
from patchplan.essex.generator import essex
from patchplan.geo.travel import default_travel
from patchplan.rounds.plan import largest_provider, plan_rounds
from patchplan.rounds.statusquo import coordinator_week, status_quo_for

COLUMNS = [
    ("district", "district", 0),
    ("provider", "provider", 0),
    ("visits", "visits", 0),
    ("variant", "plan", 0),
    ("unassigned", "unassigned", 0),
    ("sq_rule_unassigned", "status quo rule unassigned", 0),
    ("sq_stored_unassigned", "scenario's status quo unassigned", 0),
    ("worst_day_margin", "worst day: served - status quo's", 0),
    ("travel_vs_sq_pct", "travel vs status quo %", 1),
    ("distinct", "distinct carers / client-week", 2),
    ("violations", "violations", 0),
    ("wall_s", "wall s", 1),
    ("load", "load", 1),
]


def district_rows(district: str, seed: int, time_limit: float) -> list[dict[str, Any]]:
    """Both plans of one district's largest provider, beside its status quo."""
    t0 = time.perf_counter()
    s = essex(district=district, seed=seed)
    pid = largest_provider(s)
    days = list(range(s.days))
    visits = s.visits_of_provider(pid, days)
    scope = {v.id for v in visits}
    day_of = {v.id: v.day for v in visits}
    travel = default_travel(dict(s.settings))
    print(f"{district}: generated in {time.perf_counter() - t0:.1f} s; {pid}, {len(visits)} visits", file=sys.stderr)
    rule = coordinator_week(s, pid, visits, travel) or []
    rule_served = {stop.visit_id for r in rule for stop in r.stops}
    rule_by_day: dict[int, int] = defaultdict(int)
    for vid in rule_served:
        rule_by_day[day_of[vid]] += 1
    stored = status_quo_for(s, pid, days)
    _, k_sq = check_and_score(s, stored, travel=travel, scope=scope)
    rows = []
    for variant, on in (("with the week's floor", True), ("without", False)):
        before = load()[0]
        started = time.perf_counter()
        plan = plan_rounds(s, pid, days, params=RoundsParams(team_cap=3, week_floor=on), time_limit_s=time_limit)
        wall = time.perf_counter() - started
        violations, k = check_and_score(s, plan.roster, travel=travel, scope=scope)
        rows.append(
            {
                "district": district,
                "provider": pid,
                "visits": len(visits),
                "variant": variant,
                "unassigned": k.visits_unassigned,
                "sq_rule_unassigned": len(scope - rule_served),
                "sq_stored_unassigned": k_sq.visits_unassigned,
                "worst_day_margin": min(d.served - rule_by_day.get(d.day, 0) for d in plan.day_outcomes),
                "travel_vs_sq_pct": 100 * (k.travel_min / k_sq.travel_min - 1),
                "distinct": k.distinct_carers_per_client_mean,
                "violations": len(violations),
                "wall_s": wall,
                "load": (before + load()[0]) / 2,
            }
        )
        print(f"  {variant}: {rows[-1]}", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--districts", nargs="+", default=["Maldon", "Basildon", "Colchester"])
    parser.add_argument("--seed", type=int, default=1, help="scenario generator seed (default 1)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per week plan (default 60)")
    args = parser.parse_args(argv)
    print(f"machine: {machine_line()}", file=sys.stderr)
    rows = [row for d in args.districts for row in district_rows(d, args.seed, args.time_limit)]
    print(markdown(rows, COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
