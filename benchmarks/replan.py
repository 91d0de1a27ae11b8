"""Re-planning benchmark (issue 4): how fast, and with how little
disruption, the rest of a day is re-planned after a carer goes off sick,
against re-solving the rest of the day from scratch.

Protocol
--------
For every scenario seed in ``--seeds`` (default 1 2 3):

1. generate one district of the Essex scenario (``--district``, default
   Chelmsford; scale 1) and pick, among the framework providers with
   ``--min-carers`` to ``--max-carers`` carers (default 50-80), the busiest:
   most visits on the day per carer (the generator sizes each provider's
   workforce from the district's demand, not from the packages it won, so
   some providers in range have almost nothing to do);
2. plan its day ``--day`` (default 0, a Monday) with
   :func:`patchplan.rounds.plan.plan_rounds` (``--plan-time`` s, default 60,
   solver seed 0): the original roster, checked by the independent checker;
3. the carer with the most visits that day goes off sick at ``--at``
   (default 09:40). Everything started before then is pinned (visits in
   progress are finished); the carer's later visits must move.
4. For every time limit T in ``--time-limits`` (default 5 10):

   * ``replan``: :func:`patchplan.rounds.replan.replan` with
     ``[CarerOff(carer, at)]``, ``now=at``, ``time_limit_s=T``: minimal
     disruption - every remaining call is first offered only to its
     original carer(s);
   * ``scratch``: the rest of the day re-solved with **no preferences**
     from the same state: the same ``replan`` call on the original roster
     cut back to its pinned stops (so no remaining call has an original
     carer to prefer; carers still start from where they are at 09:40,
     with the work they have done counted) - the fair "from scratch";
   * ``plan_rounds``: literally :func:`patchplan.rounds.plan.plan_rounds` on
     the remaining visits (sick carer's shift that day removed), same T.
     It plans every carer from home with a full working day and may start
     calls before 09:40, so its answer cannot be carried out as it is;
     its columns ``in the past`` (calls it starts before 09:40) and
     ``clash`` (carers it sends out from home although they are still on
     their morning rounds, i.e. whose new round starts before their last
     pinned call ends) show by how much. It is reported for its runtime
     and as the brief's literal baseline.

Reported per run: **runtime** (wall time from the call to a checked
answer: the re-plan plus :func:`patchplan.check.checker.check_and_score` of the
whole day), the sick carer's remaining visits and how many of them found
another carer, **disruption**: visits of the *other* carers whose carer
changed or whose start moved by more than 15 minutes (``--shift-min``),
split into moved to another carer / re-timed only / dropped (now
unassigned), unassigned visits that day (before: in the original plan),
and checker violations.

Usage::

    python benchmarks/replan.py                                  # Chelmsford, seeds 1 2 3, T = 5 and 10 s
    python benchmarks/replan.py --seeds 1 --time-limits 2 5 10 30 --csv replan.csv

Prints a Markdown table to stdout; progress goes to stderr. Run one at a
time: runtimes are wall clock.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import machine_line as machine
from _common import write_csv
from _common import markdown_table
from patchplan.check.checker import check_and_score
from patchplan.core.model import DAY_MIN, Roster, Round, Scenario
from patchplan.rounds.replan import CarerOff, replan
from patchplan.rounds.plan import plan_rounds
from patchplan.essex.generator import essex


def pick_provider(s: Scenario, lo: int, hi: int, day: int) -> str:
    """The busiest framework provider (most visits that day per carer) with
    lo..hi carers: the generated workforces are sized for the district's
    demand, not for the packages each provider won, so some are nearly idle."""
    sizes = Counter(c.provider_id for c in s.carers)
    fits = [p.id for p in s.providers if not p.spot and lo <= sizes.get(p.id, 0) <= hi]
    load = {p: len(s.visits_of_provider(p, [day])) / sizes[p] for p in fits}
    if not fits or not max(load.values()):
        raise SystemExit(f"no busy framework provider with {lo}-{hi} carers: {dict(sizes)}")
    return min(sorted(fits), key=lambda p: -load[p])


def starts_of(roster: Roster, day: int) -> dict[str, tuple[frozenset[str], int]]:
    """visit id -> (carers, start) on ``day``."""
    out: dict[str, tuple[set[str], int]] = {}
    for rnd in roster.rounds:
        if rnd.day != day:
            continue
        for st in rnd.stops:
            carers, _ = out.setdefault(st.visit_id, (set(), st.start))
            carers.add(rnd.carer_id)
    return {v: (frozenset(c), t) for v, (c, t) in out.items()}


def pinned_only(roster: Roster, day: int, now: int) -> Roster:
    """The roster cut back to the stops started before ``now`` on ``day``."""
    rounds = []
    for rnd in roster.rounds:
        if rnd.day != day:
            rounds.append(rnd)
            continue
        stops = tuple(st for st in rnd.stops if st.start < now)
        if stops:
            rounds.append(
                Round(
                    carer_id=rnd.carer_id,
                    day=rnd.day,
                    stops=stops,
                    leave=rnd.leave,
                    back=rnd.back,
                    return_min=rnd.return_min,
                    return_m=rnd.return_m,
                )
            )
    return Roster(rounds=tuple(rounds), unassigned=(), provider_id=roster.provider_id, meta=roster.meta)


def disruption(
    before: dict[str, tuple[frozenset[str], int]],
    after: dict[str, tuple[frozenset[str], int]],
    sick: str,
    now: int,
    shift_min: int,
) -> dict[str, int]:
    """Visits of carers other than ``sick`` (not yet started at ``now``) that
    changed carer, moved more than ``shift_min`` minutes, or were dropped."""
    moved = retimed = dropped = 0
    for vid, (carers, start) in before.items():
        if sick in carers or start < now:
            continue
        if vid not in after:
            dropped += 1
        elif after[vid][0] != carers:
            moved += 1
        elif abs(after[vid][1] - start) > shift_min:
            retimed += 1
    return {
        "other_moved": moved,
        "other_retimed": retimed,
        "other_dropped": dropped,
        "disrupted": moved + retimed + dropped,
    }


def day_row(s: Scenario, roster: Roster, day: int, scope: set[str] | None = None) -> dict[str, Any]:
    violations, k = check_and_score(s, roster, scope=scope)
    today = {u.visit_id for u in roster.unassigned if s.visit(u.visit_id).day == day}
    return {
        "violations": len(violations),
        "violation_rules": ",".join(sorted({v.rule for v in violations})),
        "unassigned": len(today),
        "travel_min": k.travel_min,
    }


COLUMNS = (
    ("seed", "seed", 0),
    ("provider", "provider", 0),
    ("carers", "carers", 0),
    ("visits_day", "visits", 0),
    ("sick", "sick carer", 0),
    ("sick_left", "sick's visits left", 0),
    ("method", "method", 0),
    ("time_limit_s", "T s", 0),
    ("runtime_s", "runtime s", 1),
    ("sick_reassigned", "reassigned", 0),
    ("disrupted", "others disrupted", 0),
    ("other_moved", "moved carer", 0),
    ("other_retimed", "re-timed > 15 min", 0),
    ("other_dropped", "dropped", 0),
    ("unassigned_before", "unassigned before", 0),
    ("unassigned", "unassigned after", 0),
    ("travel_delta", "travel +min", 0),
    ("violations", "violations", 0),
    ("in_past", "in the past", 0),
    ("clash", "clash", 0),
)


def markdown(rows: list[dict[str, Any]]) -> str:
    return markdown_table(rows, COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--district", default="Chelmsford", help="district name (default Chelmsford)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="scenario seeds (default 1 2 3)")
    parser.add_argument("--day", type=int, default=0, help="day index (default 0)")
    parser.add_argument("--at", default="09:40", help="when the carer goes off sick (HH:MM, default 09:40)")
    parser.add_argument("--plan-time", type=float, default=60.0, help="seconds for the original day plan (default 60)")
    parser.add_argument(
        "--time-limits", type=float, nargs="+", default=[5.0, 10.0], help="re-plan seconds (default 5 10)"
    )
    parser.add_argument("--min-carers", type=int, default=50)
    parser.add_argument("--max-carers", type=int, default=80)
    parser.add_argument("--shift-min", type=int, default=15, help="a start moved by more than this is a disruption")
    parser.add_argument("--no-literal", action="store_true", help="skip the literal plan_rounds baseline")
    parser.add_argument("--csv", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)

    hh, mm = (int(x) for x in args.at.split(":"))
    print(f"machine: {machine()}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for seed in args.seeds:
        s = essex(district=args.district, seed=seed)
        pid = pick_provider(s, args.min_carers, args.max_carers, args.day)
        day = args.day
        now = day * DAY_MIN + hh * 60 + mm
        t0 = time.perf_counter()
        roster = plan_rounds(s, pid, [day], time_limit_s=args.plan_time, seed=0).roster
        base_check = day_row(s, roster, day)
        visits_day = len(s.visits_of_provider(pid, [day]))
        per_carer = Counter(r.carer_id for r in roster.rounds for _ in r.stops)
        sick = min(sorted(per_carer), key=lambda c: -per_carer[c])
        before = starts_of(roster, day)
        sick_left = sorted(v for v, (cs, t) in before.items() if sick in cs and t >= now)
        base = {
            "district": args.district,
            "seed": seed,
            "provider": pid,
            "carers": len(s.carers_of(pid)),
            "visits_day": visits_day,
            "sick": sick,
            "sick_left": len(sick_left),
            "unassigned_before": base_check["unassigned"],
        }
        print(
            f"seed {seed}: provider {pid}, {base['carers']} carers, {visits_day} visits on day {day}; plan "
            f"{time.perf_counter() - t0:.1f} s, unassigned {base_check['unassigned']}, violations "
            f"{base_check['violations']} {base_check['violation_rules']}; {sick} has {per_carer[sick]} visits, "
            f"{len(sick_left)} from {args.at}",
            file=sys.stderr,
        )
        rows.append(
            {
                **base,
                "method": "original plan",
                "time_limit_s": args.plan_time,
                "unassigned": base_check["unassigned"],
                "violations": base_check["violations"],
            }
        )
        event = [CarerOff(sick, now)]
        cut = pinned_only(roster, day, now)
        for limit in args.time_limits:
            for method in ("replan", "scratch", "plan_rounds"):
                if method == "plan_rounds" and args.no_literal:
                    continue
                load1 = os.getloadavg()[0]
                t0 = time.perf_counter()
                extra: dict[str, Any] = {}
                if method in ("replan", "scratch"):
                    rp = replan(s, roster if method == "replan" else cut, event, now=now, time_limit_s=limit)
                    checked = day_row(rp.scenario, rp.roster, day)
                    runtime = time.perf_counter() - t0
                    after = starts_of(rp.roster, day)
                else:
                    done = {v for v, (_, t) in before.items() if t < now}
                    remaining = [v for v in s.visits_of_provider(pid, [day]) if v.id not in done]
                    s_lit = s.replace(
                        shifts=tuple(sh for sh in s.shifts if not (sh.carer_id == sick and sh.day == day))
                    )
                    lit = plan_rounds(s_lit, pid, [day], visits=remaining, time_limit_s=limit, seed=0).roster
                    checked = day_row(s_lit, lit, day, scope={v.id for v in remaining})
                    runtime = time.perf_counter() - t0
                    after = {**{v: x for v, x in before.items() if x[1] < now}, **starts_of(lit, day)}
                    pinned_end: dict[str, int] = {}
                    for rnd in roster.rounds:
                        for st in rnd.stops:
                            if rnd.day == day and st.start < now:
                                pinned_end[rnd.carer_id] = max(pinned_end.get(rnd.carer_id, 0), st.end)
                    extra = {
                        "in_past": sum(1 for r in lit.rounds for st in r.stops if st.start < now),
                        "clash": sum(
                            1 for r in lit.rounds if r.carer_id in pinned_end and r.leave < pinned_end[r.carer_id]
                        ),
                    }
                reassigned = sum(1 for v in sick_left if v in after)
                row = {
                    **base,
                    "method": method,
                    "time_limit_s": limit,
                    "runtime_s": round(runtime, 2),
                    "sick_reassigned": reassigned,
                    **disruption(before, after, sick, now, args.shift_min),
                    **checked,
                    **extra,
                    "load1_before": round(load1, 2),
                }
                if method == "plan_rounds":
                    row["travel_delta"] = None  # not comparable: no pinned part
                else:
                    row["travel_delta"] = checked["travel_min"] - base_check["travel_min"]
                rows.append(row)
                print(
                    f"  {method} T={limit:g}: {runtime:.1f} s, reassigned {reassigned}/{len(sick_left)}, "
                    f"disrupted {row['disrupted']}, unassigned {row['unassigned']}, violations "
                    f"{row['violations']} {row['violation_rules']} {extra or ''} load {load1:.2f}",
                    file=sys.stderr,
                )
    print(markdown(rows))
    if args.csv:
        write_csv(args.csv, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
