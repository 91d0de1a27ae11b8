"""Essex provider-week benchmark (issue 4): week plans with continuity of
carer against the status quo and against seven independent daily plans.

Protocol
--------
1. Generate one district of the Essex scenario with
   :func:`patchplan.essex.generator.essex` (``--district``, default Maldon;
   ``--seed``, default 1; scale 1). It includes the status-quo roster
   (:mod:`patchplan.rounds.statusquo`) and each client's history (their three most
   frequent status-quo carers).
2. Take the district's largest framework provider
   (:func:`patchplan.rounds.plan.largest_provider`) and the scenario's week
   (days 0-6).
3. Plans, each checked and scored by the independent checker
   (:func:`patchplan.check.checker.check_and_score`) over the same scope (the
   provider's placed visits of the week):

   * ``status quo``: the scenario's status-quo roster restricted to the
     provider (``patchplan.cli.app._status_quo_of``, imported, not copied);
   * ``independent daily``: :func:`patchplan.rounds.plan.plan_rounds` over the
     seven days with ``RoundsParams()`` (no continuity rule: each day is
     planned on its own, only weekly hours carry over), total time limit
     ``--time-limit``;
   * ``care teams of 3`` (``teams3``): ``RoundsParams(team_cap=3)``, the
     default - CP-SAT care teams for the week, then each day routed team
     first (``team_first``); ``teams4``: the same with teams of 4;
     ``teams3_free``: teams of 3 with ``team_first=False`` (the floor's
     carer offered beside the team from the first search);
   * ``week cap 3``: ``RoundsParams(team_cap=3, care_teams=False)`` - teams
     carried day to day (a client's carers so far are their team; a call
     goes to a team member on shift when one can take it; a new carer joins
     only when none can; the cap is soft), same total time limit;
   * ``week cap 3 + known``: the same with ``prefer_known=True`` (teams
     start from the carers in the client's history);
   * ``week cap 3 hard``: ``cap_hard=True`` (never beyond 3 carers: the
     call is left unassigned instead);
   * ``week cap 4``: ``team_cap=4`` (soft).

4. A **lower bound** on distinct carers per client-week, per client: the
   fewest carers of the provider who can cover all the client's calls of
   the week, given only who is on shift which day (the 5-of-7 rota),
   shift hours and working limits, skills, gender preference and
   prohibitions, ignoring travel and every other client (a relaxation, so
   any roster serving all of a client's calls uses at least that many).
   Two calls on one day can share a carer only if some start times inside
   their windows fit both, back to back, inside that carer's shift and its
   working limit. Solved per client with CP-SAT (``--bound-time`` seconds
   each; the proven bound is used if optimality is not proven).

Reported per plan: travel minutes and km, on-time share, unassigned visits,
checker violations, distinct carers per client-week (mean, p90), mean
excess over the per-client lower bound, top-carer share, familiar share,
hours per carer (max, carers over 48 h, standard deviation), runtime;
with care teams, the share of calls the teams cover, the share of served
calls inside the team and the continuity breaks by reason (JSON).

Issue 4's aims: travel at least 40% below the status quo; mean distinct
carers per client-week at most 3; better than the independent daily plans
on continuity at no more than 5% extra travel.

Usage::

    python benchmarks/essex_week.py                           # Maldon, seed 1, 300 s a plan
    python benchmarks/essex_week.py --time-limit 60 --variants independent cap3
    python benchmarks/essex_week.py --csv week.csv --json week.json

Prints Markdown tables to stdout; progress goes to stderr. Run one at a
time: plans are timed by wall clock.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from _common import machine_line as machine
from _common import write_csv
from _common import markdown_table as markdown
from patchplan.check.checker import check_and_score
from patchplan.cli.app import _status_quo_of
from patchplan.core.model import Roster, Scenario, Shift, Visit
from patchplan.core.params import RoundsParams
from patchplan.rounds.plan import largest_provider, plan_rounds
from patchplan.essex.generator import essex
from patchplan.essex.workforce import DAY_SHIFTS

#: The issue's bars.
AIM_TRAVEL_CUT = 0.40
AIM_DISTINCT_MEAN = 3.0
AIM_EXTRA_TRAVEL_VS_DAILY = 0.05

#: name -> RoundsParams (None = the status quo).
VARIANTS: dict[str, RoundsParams | None] = {
    "status_quo": None,
    "independent": RoundsParams(),
    "teams3": RoundsParams(team_cap=3),
    "teams4": RoundsParams(team_cap=4),
    "teams3_free": RoundsParams(team_cap=3, team_first=False),
    "cap3": RoundsParams(team_cap=3, care_teams=False),
    "cap3_known": RoundsParams(team_cap=3, prefer_known=True, care_teams=False),
    "cap3_hard": RoundsParams(team_cap=3, cap_hard=True, care_teams=False),
    "cap4": RoundsParams(team_cap=4, care_teams=False),
}
DEFAULT_VARIANTS = ["status_quo", "independent", "teams3", "cap3"]
LABELS = {
    "status_quo": "status quo",
    "independent": "independent daily",
    "teams3": "care teams of 3 (CP-SAT)",
    "teams4": "care teams of 4 (CP-SAT)",
    "teams3_free": "care teams of 3, not team first",
    "cap3": "week cap 3 (team grown day by day)",
    "cap3_known": "week cap 3 + known",
    "cap3_hard": "week cap 3 hard",
    "cap4": "week cap 4",
}


# -- lower bound -------------------------------------------------------------------


def _window(v: Visit, sh: Shift) -> tuple[int, int] | None:
    """Start times of ``v`` possible inside shift ``sh`` (travel ignored)."""
    lo = max(v.early, sh.start)
    hi = min(v.late, sh.end - v.duration_min)
    if lo > hi or v.duration_min > sh.work_limit:
        return None
    return lo, hi


def _pair_fits(a: tuple[int, int, int], b: tuple[int, int, int], limit: int) -> bool:
    """Can one carer do both calls (lo, hi, duration), in either order,
    back to back, with first start to last end within ``limit``?"""
    for (lo1, hi1, d1), (lo2, hi2, d2) in ((a, b), (b, a)):
        gap = max(d1, lo2 - hi1)  # smallest start-to-start gap
        if gap <= hi2 - lo1 and gap + d2 <= limit:
            return True
    return False


def client_lower_bounds(
    s: Scenario,
    pid: str,
    days: list[int],
    time_s: float,
    only: set[str] | None = None,
    without: frozenset[str] = frozenset(),
) -> dict[str, tuple[int, bool]]:
    """client id -> (lower bound on distinct carers, proven optimal).
    ``without``: shift types (:func:`_carer_type`) whose carers are left out
    (a what-if: the bound if the provider had no such carers)."""
    from ortools.sat.python import cp_model

    all_carers = tuple(c for c in s.carers_of(pid) if _carer_type(s, c.id) not in without)
    shifts_on: dict[tuple[str, int], list[Shift]] = defaultdict(list)
    for c in all_carers:
        for sh in s.shifts_of(c.id):
            shifts_on[(c.id, sh.day)].append(sh)
    pattern = {
        c.id: tuple(sorted((sh.day, sh.start, sh.end, sh.work_limit) for sh in s.shifts_of(c.id) if sh.day in days))
        for c in all_carers
    }
    by_client: dict[str, list[Visit]] = defaultdict(list)
    for v in s.visits_of_provider(pid, days):
        by_client[v.client_id].append(v)
    out: dict[str, tuple[int, bool]] = {}
    for cid in sorted(by_client):
        if only is not None and cid not in only:
            continue
        client = s.client(cid)
        visits = by_client[cid]
        # Carers with the same shifts, skills, gender and prohibition status
        # are interchangeable for this client: keep at most as many of each
        # class as the client ever needs on one day (symmetry).
        per_day: dict[int, int] = defaultdict(int)
        for v in visits:
            per_day[v.day] += v.carers_required
        most = max(per_day.values())
        classes: dict[tuple[Any, ...], list[str]] = defaultdict(list)
        for c in all_carers:
            key = (pattern[c.id], c.skills, c.gender, c.id in client.prohibited_carers)
            classes[key].append(c.id)
        keep = {c for members in classes.values() for c in members[:most]}
        carers = [c for c in all_carers if c.id in keep]
        m = cp_model.CpModel()
        x: dict[tuple[int, str], Any] = {}
        # Per call and carer, the (shift, window) it could be done in: a split shift gives two.
        win: dict[tuple[int, str], list[tuple[int, tuple[int, int, int], int]]] = {}
        for i, v in enumerate(visits):
            for c in carers:
                if not v.skills <= c.skills or c.id in client.prohibited_carers:
                    continue
                if client.gender_preference and c.gender != client.gender_preference:
                    continue
                ways = []
                for sh in shifts_on.get((c.id, v.day), []):
                    w = _window(v, sh)
                    if w is not None:
                        ways.append((sh.start, (w[0], w[1], v.duration_min), sh.work_limit))
                if not ways:
                    continue
                x[i, c.id] = m.NewBoolVar(f"x{i}_{c.id}")
                win[i, c.id] = ways
        for i, v in enumerate(visits):
            options = [x[i, c.id] for c in carers if (i, c.id) in x]
            if len(options) < v.carers_required:
                continue  # nobody can serve it: it cannot count
            m.Add(sum(options) == v.carers_required)
        used = {}
        for c in carers:
            mine = [i for i in range(len(visits)) if (i, c.id) in x]
            if not mine:
                continue
            used[c.id] = m.NewBoolVar(f"y{c.id}")
            for i in mine:
                m.AddImplication(x[i, c.id], used[c.id])
            for a_pos, i in enumerate(mine):
                for j in mine[a_pos + 1 :]:
                    # Compatible if some choice of shifts fits both: different
                    # shifts, or one shift they fit back to back in.
                    fits = any(
                        sa != sb or _pair_fits(wa, wb, la) for sa, wa, la in win[i, c.id] for sb, wb, _ in win[j, c.id]
                    )
                    if visits[i].day == visits[j].day and not fits:
                        m.AddBoolOr([x[i, c.id].Not(), x[j, c.id].Not()])
        for members in classes.values():
            chain = [used[c] for c in members[:most] if c in used]
            for a, b in zip(chain, chain[1:]):
                m.Add(a >= b)
        m.Minimize(sum(used.values()))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = time_s
        solver.parameters.num_workers = 1
        solver.parameters.linearization_level = 2
        status = solver.Solve(m)
        if status == cp_model.OPTIMAL:
            out[cid] = (int(round(solver.ObjectiveValue())), True)
        else:
            out[cid] = (max(0, int(np.ceil(solver.BestObjectiveBound() - 1e-6))), False)
    return out


def _carer_type(s: Scenario, carer_id: str) -> str:
    """The rota line's day shift (split, early, late, ...), from the carer's first working day."""
    shifts = s.shifts_of(carer_id)
    if not shifts:
        return "none"
    first = [sh for sh in shifts if sh.day == shifts[0].day]
    parts = tuple(sorted((sh.start % 1440, sh.start % 1440 + sh.length) for sh in first))
    if parts[0][0] == 21 * 60:
        return "night"
    return next((name for name, p in DAY_SHIFTS.items() if p == parts), "other")


# -- scoring -------------------------------------------------------------------------


def plan_row(s: Scenario, roster: Roster, bounds: dict[str, tuple[int, bool]]) -> dict[str, Any]:
    violations, k = check_and_score(s, roster)
    hours: dict[str, float] = defaultdict(float)
    for rnd in roster.rounds:
        hours[rnd.carer_id] += (rnd.back - rnd.leave) / 60
    per_client: dict[str, set[str]] = defaultdict(set)
    per_client_day: dict[tuple[str, int], set[str]] = defaultdict(set)
    for rnd in roster.rounds:
        for st in rnd.stops:
            client = s.visit(st.visit_id).client_id
            per_client[client].add(rnd.carer_id)
            per_client_day[client, rnd.day].add(rnd.carer_id)
    first_day = {c: min(d for (c2, d) in per_client_day if c2 == c) for c in per_client}
    reasons: dict[str, int] = defaultdict(int)
    for u in roster.unassigned:
        reasons[str(getattr(u.reason, "value", u.reason))] += 1
    excess = [len(cs) - bounds[c][0] for c, cs in per_client.items() if c in bounds]
    return {
        "visits": k.visits_in_scope,
        "served": k.visits_served,
        "travel_min": k.travel_min,
        "travel_km": k.travel_km,
        "on_time_pct": round(100 * k.on_time_share, 1),
        "late": k.late,
        "unassigned": k.visits_unassigned,
        "violations": len(violations),
        "violation_rules": ",".join(sorted({v.rule for v in violations})),
        "unassigned_reasons": ",".join(f"{r}:{n}" for r, n in sorted(reasons.items())),
        "distinct_mean": k.distinct_carers_per_client_mean,
        "distinct_p90": k.distinct_carers_per_client_p90,
        "distinct_max": max((len(cs) for cs in per_client.values()), default=0),
        "excess_over_bound": round(float(np.mean(excess)), 2) if excess else None,
        "clients_at_bound_pct": round(100 * float(np.mean([e <= 0 for e in excess])), 1) if excess else None,
        "distinct_per_day": round(float(np.mean([len(x) for x in per_client_day.values()])), 2)
        if per_client_day
        else None,
        "distinct_first_day": round(float(np.mean([len(per_client_day[c, d]) for c, d in first_day.items()])), 2)
        if first_day
        else None,
        "travel_per_visit": round(k.travel_min / k.visits_served, 1) if k.visits_served else None,
        "top_carer_share": k.top_carer_share,
        "top_two_share": k.top_two_share,
        "seen_before_share": k.seen_before_share,
        "familiar_share": k.familiar_share,
        "carers_used": k.carers_used,
        "hours_max": k.hours_per_carer_max,
        "over_48h": sum(1 for h in hours.values() if h > 48 + 1e-9),
        "hours_spread": k.hours_spread,
        "hours_mean": k.hours_per_carer_mean,
    }


COLUMNS = (
    ("plan", "plan", 0),
    ("travel_min", "travel min", 0),
    ("travel_km", "travel km", 0),
    ("travel_vs_sq_pct", "vs SQ %", 1),
    ("travel_vs_daily_pct", "vs daily %", 1),
    ("travel_per_visit", "travel min / visit", 1),
    ("on_time_pct", "on time %", 1),
    ("unassigned", "unassigned", 0),
    ("violations", "violations", 0),
    ("distinct_mean", "distinct mean", 2),
    ("distinct_p90", "distinct p90", 1),
    ("distinct_max", "distinct max", 0),
    ("excess_over_bound", "over bound", 2),
    ("distinct_per_day", "carers per client-day", 2),
    ("top_carer_share", "top-carer share", 3),
    ("top_two_share", "top-two share", 3),
    ("seen_before_share", "seen before", 3),
    ("team_cover_share", "team covers", 3),
    ("in_team_share", "in team", 3),
    ("hours_max", "max h", 1),
    ("over_48h", "> 48 h", 0),
    ("hours_spread", "h spread (sd)", 1),
    ("runtime_s", "runtime s", 0),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--district", default="Maldon", help="district name (default Maldon)")
    parser.add_argument("--seed", type=int, default=1, help="scenario generator seed (default 1)")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per week plan (default 300)")
    parser.add_argument("--solver-seed", type=int, default=0, help="plan_rounds seed (default 0)")
    parser.add_argument(
        "--variants",
        nargs="+",
        default=DEFAULT_VARIANTS,
        choices=list(VARIANTS),
        help=f"plans to run (default {' '.join(DEFAULT_VARIANTS)}; all: {' '.join(VARIANTS)})",
    )
    parser.add_argument("--bound-time", type=float, default=10.0, help="CP-SAT seconds per client for the bound")
    parser.add_argument("--csv", type=Path, default=None, help="also write the rows here")
    parser.add_argument("--json", type=Path, default=None, help="also write rows, bounds and machine here")
    args = parser.parse_args(argv)

    print(f"machine: {machine()}", file=sys.stderr)
    t0 = time.perf_counter()
    s = essex(district=args.district, seed=args.seed)
    if len(s.districts) == 1:
        district = s.districts[0]
        pid = largest_provider(s)
    else:
        district = s.district_by_name(args.district)
        pid = largest_provider(s, district.id)
    days = list(range(s.days))
    visits = s.visits_of_provider(pid, days)
    carers = s.carers_of(pid)
    clients = {v.client_id for v in visits}
    kinds: dict[str, int] = defaultdict(int)
    for c in carers:
        kinds[_carer_type(s, c.id)] += 1
    print(
        f"{district.name} seed {args.seed}: generated in {time.perf_counter() - t0:.1f} s; provider {pid} "
        f"({s.provider(pid).name}): {len(visits)} visits, {len(clients)} clients, {len(carers)} carers "
        f"{dict(kinds)}",
        file=sys.stderr,
    )

    t0 = time.perf_counter()
    bounds = client_lower_bounds(s, pid, days, args.bound_time)
    no_split = client_lower_bounds(s, pid, days, args.bound_time, without=frozenset({"split"}))
    lb_nf = [b for b, _ in no_split.values()]
    lb = [b for b, _ in bounds.values()]
    proven = sum(1 for _, ok in bounds.values() if ok)
    print(
        f"lower bound: {time.perf_counter() - t0:.1f} s, mean {np.mean(lb):.2f}, p90 "
        f"{np.percentile(lb, 90):.1f}, proven {proven}/{len(lb)}",
        file=sys.stderr,
    )
    labels_of = defaultdict(set)
    for v in visits:
        labels_of[v.client_id].add(v.label)
    both = sum(1 for c in clients if {"morning", "bed"} <= labels_of[c])
    bound_info = {
        "clients": len(lb),
        "bound_mean": round(float(np.mean(lb)), 2),
        "bound_p90": round(float(np.percentile(lb, 90)), 1),
        "bound_max": max(lb),
        "bound_hist": {str(k): lb.count(k) for k in sorted(set(lb))},
        "bound_proven": proven,
        "bound_no_split_mean": round(float(np.mean(lb_nf)), 2),
        "bound_no_split_p90": round(float(np.percentile(lb_nf, 90)), 1),
        "bound_no_split_hist": {str(k): lb_nf.count(k) for k in sorted(set(lb_nf))},
        "bound_no_split_proven": sum(1 for _, ok in no_split.values() if ok),
        "clients_with_morning_and_bed": both,
        "visits_per_client_mean": round(len(visits) / len(clients), 1),
        "carers_by_shift_type": dict(kinds),
    }

    rows: list[dict[str, Any]] = []
    base = {"district": district.name, "seed": args.seed, "provider": pid}
    for name in args.variants:
        params = VARIANTS[name]
        load1 = os.getloadavg()[0]
        t0 = time.perf_counter()
        teams: dict[str, Any] = {}
        if params is None:
            roster = _status_quo_of(s, pid, days)
            runtime = None
        else:
            plan = plan_rounds(s, pid, days, params=params, time_limit_s=args.time_limit, seed=args.solver_seed)
            roster = plan.roster
            runtime = round(time.perf_counter() - t0, 1)
            if plan.care_teams is not None:
                # How much of the week the teams could cover, and how much the routing kept in them.
                served = sum(len(r.stops) for r in roster.rounds)
                teams = {
                    "team_cover_share": round(1 - len(plan.care_teams.uncovered) / max(1, len(visits)), 3),
                    "in_team_share": round(1 - len(plan.continuity_breaks) / max(1, served), 3),
                    "breaks_by_reason": ",".join(
                        f"{r}:{n}" for r, n in sorted(Counter(b.reason for b in plan.continuity_breaks).items())
                    ),
                }
        row = {
            **base,
            "variant": name,
            "plan": LABELS[name],
            "time_limit_s": None if params is None else args.time_limit,
            **plan_row(s, roster, bounds),
            **teams,
            "runtime_s": runtime,
            "load1_before": round(load1, 2),
        }
        rows.append(row)
        print(
            f"{LABELS[name]}: travel {row['travel_min']} min, unassigned {row['unassigned']} "
            f"({row['unassigned_reasons']}), distinct mean "
            f"{row['distinct_mean']}, violations {row['violations']} {row['violation_rules']}, "
            f"runtime {runtime} s, load {load1:.2f}",
            file=sys.stderr,
        )
    ref = {r["variant"]: r for r in rows}
    for r in rows:
        if "status_quo" in ref:
            r["travel_vs_sq_pct"] = round(100 * (r["travel_min"] / ref["status_quo"]["travel_min"] - 1), 1)
        if "independent" in ref:
            r["travel_vs_daily_pct"] = round(100 * (r["travel_min"] / ref["independent"]["travel_min"] - 1), 1)

    print(
        f"### {district.name} (seed {args.seed}), provider {pid}: {len(visits)} visits, {len(clients)} clients, "
        f"{len(carers)} carers; {args.time_limit:g} s a plan\n"
    )
    print(markdown(rows, COLUMNS))
    print(
        f"\nLower bound on distinct carers per client-week (relaxation, {proven}/{len(lb)} proven optimal): "
        f"mean {bound_info['bound_mean']}, p90 {bound_info['bound_p90']}, max {bound_info['bound_max']}; "
        f"clients per bound value {bound_info['bound_hist']}; "
        f"{both} of {len(clients)} clients have both morning and bed calls. Without the provider's "
        f"{kinds.get('split', 0)} split-shift carers the bound would be: mean {bound_info['bound_no_split_mean']}, "
        f"p90 {bound_info['bound_no_split_p90']}, clients per value {bound_info['bound_no_split_hist']} "
        f"({bound_info['bound_no_split_proven']}/{len(lb_nf)} proven).\n"
    )
    aims = []
    for r in rows:
        if r["variant"] in ("status_quo", "independent"):
            continue
        travel_ok = "travel_vs_sq_pct" in r and r["travel_vs_sq_pct"] <= -100 * AIM_TRAVEL_CUT
        distinct_ok = r["distinct_mean"] <= AIM_DISTINCT_MEAN
        daily = ref.get("independent")
        vs_daily = None
        if daily is not None:
            vs_daily = (
                r["distinct_mean"] < daily["distinct_mean"]
                and r["travel_min"] <= (1 + AIM_EXTRA_TRAVEL_VS_DAILY) * daily["travel_min"]
            )
        # Travel comparisons mean little if a plan serves fewer visits.
        served_ok = all(r["unassigned"] <= ref[k]["unassigned"] for k in ("status_quo", "independent") if k in ref)
        r.update(aim_travel=travel_ok, aim_distinct=distinct_ok, aim_vs_daily=vs_daily, serves_as_many=served_ok)
        aims.append(
            {"plan": r["plan"], "travel": travel_ok, "distinct": distinct_ok, "vs_daily": vs_daily, "served": served_ok}
        )
    if aims:
        print(
            markdown(
                aims,
                (
                    ("plan", "plan", 0),
                    ("travel", "travel >= 40% below SQ", 0),
                    ("distinct", "distinct mean <= 3", 0),
                    ("vs_daily", "better continuity than daily, <= +5% travel", 0),
                    ("served", "unassigned <= SQ and daily", 0),
                ),
            )
        )
        print()
    print(
        markdown(
            rows,
            (
                ("plan", "plan", 0),
                ("distinct_first_day", "carers per client on its first day", 2),
                ("distinct_per_day", "carers per client-day", 2),
                ("distinct_max", "distinct max", 0),
                ("clients_at_bound_pct", "clients at bound %", 1),
                ("carers_used", "carers used", 0),
                ("hours_mean", "mean h", 1),
                ("unassigned_reasons", "unassigned by reason", 0),
            ),
        )
    )
    if args.csv:
        write_csv(args.csv, rows)
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine(), "bound": bound_info, "rows": rows}, indent=2), encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
