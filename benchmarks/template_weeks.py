"""Week after week (issue 14): plan next week from this week's roster and count what changes.

Protocol
--------
1. Generate one district (``--district``, default Maldon; ``--seed``, default 1; scale 1) and take its
   largest framework provider.
2. Week 1: :func:`patchplan.rounds.plan.plan_rounds` over the week with care teams of 3
   (``RoundsParams(team_cap=3)``), ``--time-limit`` seconds.
3. Weeks 2-4: :func:`patchplan.rounds.replan.plan_week_from_template` from the week before, on the
   same demand (the calls do not change: the scenario's week again, so the same visits), same budget,
   with the week before's care teams (``RoundsPlan.care_teams``) to keep. In week 4 one carer is on
   holiday (unless ``--no-holiday``: the provider's carer with the most visits in week 3 has no
   shifts), to see that only what must change changes.
4. Each week is checked by the independent checker. Reported per week: visits that change carer
   against the week before (any carer of the call differs; share of the visits served both weeks)
   and, of those, the ones that had to (the holiday carer's), the clients whose care team was kept,
   unassigned (beside the status quo's for the provider), travel, distinct carers per client-week;
   and over the four weeks, distinct carers per client (the union of a client's carers over the
   weeks: mean, p90, max).
5. ``--steps``: for each template week, the calls whose carer differs from the template's at each
   step of the day model (:class:`patchplan.rounds.day._DayBuilder`, its private methods wrapped,
   read only): the template's plan as the search's start (``_from_plan``), the floor, the plan
   before continuity's last step (``_to_teams``) and after it.

Issue 14's aims: at most 5% of visits change carer when the calls do not change; at most 4 distinct
carers per client over four weeks.

Usage::

    python benchmarks/template_weeks.py --district Maldon --time-limit 180

Prints a Markdown table; progress goes to stderr. The shares are counts, not timings: a loaded
machine gives each day's search less, so the load is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from typing import Any

import numpy as np
from _common import machine_line as machine
from _common import markdown_table as markdown

from patchplan.check.checker import check_and_score
from patchplan.cli.app import _status_quo_of
from patchplan.core.model import Roster, Scenario
from patchplan.core.params import RoundsParams
from patchplan.essex.generator import essex
from patchplan.rounds import day as day_model
from patchplan.rounds.plan import largest_provider, plan_rounds
from patchplan.rounds.replan import plan_week_from_template

AIM_CHANGED = 0.05
AIM_DISTINCT_4_WEEKS = 4

COLUMNS = (
    ("week", "week", 0),
    ("what", "what changed in the inputs", 0),
    ("changed", "visits changing carer", 0),
    ("changed_pct", "% of visits", 1),
    ("forced", "of which had to", 0),
    ("kept_teams", "teams kept", 0),
    ("unassigned", "unassigned", 0),
    ("violations", "violations", 0),
    ("travel_min", "travel min", 0),
    ("distinct_mean", "distinct a client-week", 2),
    ("runtime_s", "runtime s", 0),
    ("load1", "load", 1),
)


def changed_carer(before: Roster, after: Roster) -> tuple[int, int]:
    """(visits whose carers differ, visits served in both)."""
    a, b = before.assignments(), after.assignments()
    both = set(a) & set(b)
    return sum(1 for v in both if sorted(a[v]) != sorted(b[v])), len(both)


def without_carer(s: Scenario, carer_id: str) -> Scenario:
    """The scenario with one carer on holiday all week (no shifts)."""
    return s.replace(shifts=tuple(sh for sh in s.shifts if sh.carer_id != carer_id))


class StepCounts:
    """Calls whose carer differs from the template's, at each step of each day's model (see the
    protocol, step 5): the builder's private steps are wrapped, their results only read."""

    STEPS = ("template start", "floor", "search", "after _to_teams")

    def __init__(self) -> None:
        self.counts: dict[str, dict[str, int]] = {step: defaultdict(int) for step in self.STEPS}
        builder = day_model._DayBuilder
        self._saved = {name: getattr(builder, name) for name in ("_from_plan", "_floor", "_to_teams")}
        saved = self._saved

        def from_plan(b: Any) -> Any:
            routes = saved["_from_plan"](b)
            self._tally(b, "template start", None if routes is None else dict(enumerate(routes)))
            return routes

        def floor(b: Any) -> Any:
            solution = saved["_floor"](b)
            self._tally(b, "floor", {r.vehicle: r.nodes for r in solution.routes})
            return solution

        def to_teams(b: Any, solution: Any, deadline: float) -> Any:
            self._tally(b, "search", {r.vehicle: r.nodes for r in solution.routes})
            out = saved["_to_teams"](b, solution, deadline)
            self._tally(b, "after _to_teams", {r.vehicle: r.nodes for r in out.routes})
            return out

        builder._from_plan, builder._floor, builder._to_teams = from_plan, floor, to_teams

    def restore(self) -> None:
        for name, method in self._saved.items():
            setattr(day_model._DayBuilder, name, method)

    def _tally(self, b: Any, step: str, routes: dict[int, Any] | None) -> None:
        if not b.initial:
            return  # week 1, or a day without a template
        got: dict[str, set[str]] = defaultdict(set)
        for k, nodes in (routes or {}).items():
            for n in nodes:
                got[b.node_visit[n].id].add(b.shifts[k][0].id)
        for v in b.visits:
            want = b.preferred.get(v.id)
            if want is not None:
                key = "rejected" if routes is None else "unserved" if not got[v.id] else "same"
                key = "changed" if got[v.id] and got[v.id] != set(want) else key
                self.counts[step][key] += 1

    def line(self) -> str:
        parts = []
        for step in self.STEPS:
            c = self.counts[step]
            total = sum(c.values())
            parts.append(
                f"{step}: {c['changed']} changed, {c['unserved']} unserved"
                + (f", {c['rejected']} on days it was rejected" if c["rejected"] else "")
                + f" of {total}"
            )
        return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--district", default="Maldon")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=180.0, help="seconds per week (default 180)")
    parser.add_argument("--no-holiday", action="store_true", help="week 4 unchanged too")
    parser.add_argument("--steps", action="store_true", help="count changed carers at each step of the day model")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}", file=sys.stderr)
    s = essex(district=args.district, seed=args.seed)
    pid = largest_provider(s)
    params = RoundsParams(team_cap=3)
    rows: list[dict[str, Any]] = []
    rosters: list[Roster] = []
    teams = None
    sq_violations, sq = check_and_score(s, _status_quo_of(s, pid, None))
    print(f"status quo: {sq.visits_unassigned} unassigned, {len(sq_violations)} violations", file=sys.stderr)
    steps: list[str] = []
    for week in range(1, 5):
        scenario, what, off = s, "nothing (same calls, same carers)", None
        if week == 4 and not args.no_holiday:
            busiest: dict[str, int] = defaultdict(int)
            for rnd in rosters[-1].rounds:
                busiest[rnd.carer_id] += len(rnd.stops)
            off = max(sorted(busiest), key=lambda c: busiest[c])
            scenario, what = without_carer(s, off), f"carer {off} on holiday ({busiest[off]} visits in week 3)"
        load1 = os.getloadavg()[0]
        t0 = time.perf_counter()
        kept = None
        if week == 1:
            plan = plan_rounds(scenario, pid, params=params, time_limit_s=args.time_limit)
            what = "first week (no template)"
        else:
            counter = StepCounts() if args.steps else None
            try:
                out = plan_week_from_template(
                    scenario, rosters[-1], pid, time_limit_s=args.time_limit, params=params, teams=teams
                )
            finally:
                if counter is not None:
                    counter.restore()
                    steps.append(f"week {week}: {counter.line()}")
                    print(steps[-1], file=sys.stderr)
            plan = out.plan
            kept = len(plan.care_teams.kept) if plan.care_teams is not None else 0
        roster, teams = plan.roster, plan.care_teams
        runtime = time.perf_counter() - t0
        violations, k = check_and_score(scenario, roster)
        changed, both = changed_carer(rosters[-1], roster) if rosters else (0, 0)
        forced = None
        if off is not None:
            forced = sum(1 for cs in rosters[-1].assignments().values() if off in cs)
        rows.append(
            {
                "week": week,
                "what": what,
                "changed": changed if rosters else None,
                "changed_pct": round(100 * changed / both, 1) if both else None,
                "forced": forced if rosters else None,
                "kept_teams": kept,
                "unassigned": k.visits_unassigned,
                "violations": len(violations),
                "travel_min": k.travel_min,
                "distinct_mean": k.distinct_carers_per_client_mean,
                "runtime_s": round(runtime, 1),
                "load1": round(load1, 1),
            }
        )
        print(rows[-1], [str(v) for v in violations][:5], file=sys.stderr)
        rosters.append(roster)
    per_client: dict[str, set[str]] = defaultdict(set)
    for roster in rosters:
        for vid, carers in roster.assignments().items():
            per_client[s.visit(vid).client_id] |= set(carers)
    distinct = [len(x) for x in per_client.values()]
    print(f"### {args.district} (seed {args.seed}), provider {pid}; {args.time_limit:g} s a week\n")
    print(markdown(rows, COLUMNS))
    clients = len({v.client_id for v in s.visits_of_provider(pid)})
    print(f"\nStatus quo: {sq.visits_unassigned} unassigned; {clients} clients.")
    for line in steps:
        print(f"\nSteps, {line}")
    unchanged = [r["changed_pct"] for r in rows[1:3] if r["changed_pct"] is not None]
    print(
        f"\nDistinct carers per client over the four weeks: mean {np.mean(distinct):.2f}, p90 "
        f"{np.percentile(distinct, 90):.1f}, max {max(distinct)} (aim: at most {AIM_DISTINCT_4_WEEKS}). "
        f"Visits changing carer in the unchanged weeks 2-3: {unchanged} % (aim: at most {100 * AIM_CHANGED:g} %).\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
