"""Broker benchmark (issue 5): shortlist latency and backlog allocation on
the full-county Essex scenario.

Protocol
--------
1. Generate the county with ``patchplan.essex(seed=--seed, backlog=--backlog)``
   (about 35 s on an idle machine; nothing is cached on disk).
2. **State.** Build one :class:`patchplan.broker.brokerage.BrokerState` (capacity left
   per provider, weekday and band; an index of the status-quo rounds) and
   time it: the one-off cost a broker pays when the session starts.
3. **Shortlist latency.** :func:`patchplan.broker.brokerage.shortlist` for
   ``--latency-packages`` backlog packages (a seeded random sample of the
   backlog), one call each, all on that one state. The *cold* pass is the
   first call per package: it also builds, lazily, the round index of each
   provider-day it touches for the first time. The *warm* pass repeats the
   same packages (every index built), which is what a broker sees after a
   few minutes of use. Reported: p50, p95 and max per call (wall clock,
   ``time.perf_counter``).
4. **Feasibility.** Every backlog package is shortlisted on that state;
   a package is *placeable* when at least one provider can take it
   (capacity in every weekday x band it needs, and a carer who can do
   every call). Unplaceable packages bound what any allocation can place.
5. **Backlog allocation.** For each policy (``cascade``, ``tiered``,
   ``weighted``): :func:`patchplan.broker.brokerage.cascade_backlog` (one package at a
   time, most urgent first, capacity booked as it goes) and
   :func:`patchplan.broker.brokerage.allocate` (joint CP-SAT, ``--time-limit`` s, one
   worker, seed 0). Each run gets a fresh ``BrokerState`` (its build time is
   not in the run's runtime; its lazy round indexes are). Reported: hours
   placed a week, spot-market hours, packages unplaced, added carer travel
   (minutes a week, the shortlist's cheapest-insertion estimate) and
   runtime (``Allocation.runtime_s``: shortlists + solve).
6. **Issue 5's aim**, checked for each joint run against the plain cascade
   (``cascade_backlog`` with the cascade policy, what brokers do by hand):
   at least 10% more hours placed (or every placeable hour), at least 30%
   less added travel, in at most 20 s.

Usage::

    python benchmarks/broker.py                        # county, backlog 500
    python benchmarks/broker.py --district Maldon --backlog 60 --latency-packages 30   # smoke run
    python benchmarks/broker.py --json broker.json     # also keep raw numbers

Prints Markdown tables on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import patchplan as pp
from patchplan.broker.brokerage import POLICIES, Allocation, BrokerState, allocate, backlog, cascade_backlog, shortlist

#: Issue 5's aim for the joint allocation against the plain cascade.
AIM_MORE_HOURS = 0.10
AIM_LESS_TRAVEL = 0.30
AIM_RUNTIME_S = 20.0


def machine() -> dict[str, str]:
    """CPU model, cores, memory, load, Python and patchplan commit."""
    cpu, mem = platform.processor() or "unknown", "unknown"
    try:
        cpu = next(
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        )
        kib = next(
            int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
        )
        mem = f"{kib / 2**20:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).parent,
            check=False,
        ).stdout.strip()
        or "unknown"
    )
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "load_1_5_15": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "commit": commit,
    }


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear interpolation between ranks."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def latency(s: pp.Scenario, pkgs: list[pp.Package], n: int, seed: int) -> dict[str, Any]:
    """State build time; cold and warm shortlist latency; placeable packages."""
    started = time.perf_counter()
    state = BrokerState(s)
    build_s = time.perf_counter() - started
    sample = random.Random(seed).sample(pkgs, min(n, len(pkgs)))
    passes: dict[str, list[float]] = {}
    for name in ("cold", "warm"):
        times = []
        for pkg in sample:
            t = time.perf_counter()
            shortlist(s, pkg, state=state)
            times.append(1000 * (time.perf_counter() - t))
        passes[name] = times
        say(f"  {name} pass: {len(times)} shortlists, p50 {percentile(times, 50):.1f} ms")
    feasible = {}
    lengths = []
    for pkg in pkgs:
        offers = shortlist(s, pkg, state=state)
        lengths.append(len(offers))
        feasible[pkg.id] = sum(o.feasible for o in offers)
    placeable = [p for p in pkgs if feasible[p.id]]
    return {
        "state_build_s": round(build_s, 3),
        "packages_timed": len(sample),
        **{
            f"{name}_{stat}_ms": round(value, 2)
            for name, times in passes.items()
            for stat, value in (
                ("p50", percentile(times, 50)),
                ("p95", percentile(times, 95)),
                ("max", max(times)),
                ("mean", statistics.fmean(times)),
            )
        },
        "shortlist_length_mean": round(statistics.fmean(lengths), 2) if lengths else 0,
        "packages": len(pkgs),
        "hours_awaiting": round(sum(p.hours_week for p in pkgs), 2),
        "placeable_packages": len(placeable),
        "placeable_hours": round(sum(p.hours_week for p in placeable), 2),
        "unplaceable_packages": len(pkgs) - len(placeable),
    }


def hours_bound(s: pp.Scenario, pkgs: list[pp.Package], time_limit: float) -> dict[str, Any]:
    """An upper bound on the hours any allocation can place: CP-SAT on the
    joint model of :func:`patchplan.broker.brokerage.allocate` (same feasible options,
    needs and capacity, in minutes) with placed minutes as the only goal."""
    from ortools.sat.python import cp_model

    state = BrokerState(s)
    model = cp_model.CpModel()
    usage: dict[tuple[str, tuple[int, str]], list[Any]] = {}
    objective = []
    for i, pkg in enumerate(pkgs):
        need = {k: int(round(h * 60)) for k, h in state.need(pkg).items()} or {
            (-1, "week"): int(round(pkg.hours_week * 60))
        }
        xs = []
        for o in shortlist(s, pkg, state=state):
            if not o.feasible:
                continue
            x = model.NewBoolVar(f"x{i}_{o.provider_id}")
            xs.append(x)
            objective.append(int(round(pkg.hours_week * 60)) * x)
            for key, minutes in need.items():
                usage.setdefault((o.provider_id, key), []).append(minutes * x)
        if xs:
            model.AddAtMostOne(xs)
    for (pid, key), terms in usage.items():
        prov = s.provider(pid)
        if key == (-1, "week"):
            cap = max(0, int(np.floor(state.weekly_left[pid] * 60)))
        elif prov.band_capacity:
            cap = max(0, int(np.floor(state.remaining[pid].get(key, 0.0) * 60)))
        else:
            continue  # no band limits
        model.Add(sum(terms) <= cap)
    model.Maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = 1
    status = solver.Solve(model)
    return {
        "max_hours_found": round(solver.ObjectiveValue() / 60, 2),
        "max_hours_bound": round(solver.BestObjectiveBound() / 60, 2),
        "max_hours_status": solver.StatusName(status),
    }


def sensitivity(s: pp.Scenario, pkgs: list[pp.Package], limits: list[float]) -> list[dict[str, Any]]:
    """Joint tiered allocation with each CP-SAT time limit, on one warm state."""
    state = BrokerState(s)
    allocate(s, "tiered", packages=pkgs, time_limit_s=0.5, state=state)  # builds every round index
    rows = []
    for limit in limits:
        a = allocate(s, "tiered", packages=pkgs, time_limit_s=limit, seed=0, state=state)
        rows.append(
            {
                "time_limit_s": limit,
                "runtime_s": a.runtime_s,
                "hours_placed": a.hours_placed,
                "added_travel_min": a.added_travel_min,
            }
        )
        say(f"  time limit {limit} s: {a.hours_placed:.1f} h, +{a.added_travel_min} min, {a.runtime_s:.1f} s")
    return rows


def run_allocations(s: pp.Scenario, pkgs: list[pp.Package], time_limit: float) -> list[dict[str, Any]]:
    rows = []
    for method in ("cascade_backlog", "allocate"):
        for policy in POLICIES:
            t = time.perf_counter()
            state = BrokerState(s)
            state_s = time.perf_counter() - t
            say(f"  {method} {policy} ...")
            if method == "allocate":
                a: Allocation = allocate(s, policy, packages=pkgs, time_limit_s=time_limit, seed=0, state=state)
            else:
                a = cascade_backlog(s, pkgs, policy=policy, state=state)
            rows.append(
                {
                    "method": "one at a time" if method == "cascade_backlog" else "joint (CP-SAT)",
                    "function": method,
                    "policy": policy,
                    "hours_placed": a.hours_placed,
                    "spot_hours": a.spot_hours,
                    "packages_placed": len(pkgs) - len(a.unplaced),
                    "packages_unplaced": len(a.unplaced),
                    "added_travel_min": a.added_travel_min,
                    "travel_min_per_placed_h": round(a.added_travel_min / a.hours_placed, 2)
                    if a.hours_placed
                    else None,
                    "runtime_s": a.runtime_s,
                    "state_build_s": round(state_s, 3),
                    "shortages": list(a.shortages[:5]),
                }
            )
            say(f"    {a.hours_placed:.1f} h placed, +{a.added_travel_min} min travel, {a.runtime_s:.1f} s")
    return rows


def judge(rows: list[dict[str, Any]], placeable_hours: float) -> None:
    """Add the comparison with the plain cascade and the aim's verdicts."""
    base = next(r for r in rows if r["function"] == "cascade_backlog" and r["policy"] == "cascade")
    for r in rows:
        r["hours_vs_cascade_pct"] = (
            round(100 * (r["hours_placed"] / base["hours_placed"] - 1), 2) if base["hours_placed"] else None
        )
        r["travel_vs_cascade_pct"] = (
            round(100 * (r["added_travel_min"] / base["added_travel_min"] - 1), 2) if base["added_travel_min"] else None
        )
        if r["function"] != "allocate":
            continue
        all_placed = r["hours_placed"] >= placeable_hours - 0.01
        r["aim_hours"] = bool(all_placed or (r["hours_vs_cascade_pct"] or 0) >= 100 * AIM_MORE_HOURS)
        r["aim_travel"] = (
            r["travel_vs_cascade_pct"] is not None and r["travel_vs_cascade_pct"] <= -100 * AIM_LESS_TRAVEL
        )
        r["aim_runtime"] = r["runtime_s"] <= AIM_RUNTIME_S
        r["aim_met"] = r["aim_hours"] and r["aim_travel"] and r["aim_runtime"]


def markdown(result: dict[str, Any]) -> str:
    lat, rows = result["latency"], result["allocations"]
    yn = {True: "yes", False: "no", None: ""}
    out = [
        f"Scenario: {result['scenario']}; generated in {result['generate_s']:.1f} s. "
        f"Backlog: {lat['packages']} packages, {lat['hours_awaiting']:,.1f} h a week; "
        f"placeable (some provider can take it): {lat['placeable_packages']} packages, {lat['placeable_hours']:,.1f} h.",
        "",
        "| shortlist | p50 ms | p95 ms | max ms | mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("cold", "warm"):
        out.append(
            f"| {name} ({lat['packages_timed']} packages) | {lat[f'{name}_p50_ms']:.1f} | {lat[f'{name}_p95_ms']:.1f} "
            f"| {lat[f'{name}_max_ms']:.1f} | {lat[f'{name}_mean_ms']:.1f} |"
        )
    out += [
        "",
        f"One-off `BrokerState` build: {lat['state_build_s']:.2f} s; mean shortlist length {lat['shortlist_length_mean']}.",
        "",
        "| method | policy | hours placed | vs cascade | spot h | unplaced | added travel min/wk | vs cascade | min per placed h | runtime s | aim: hours / travel / time |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        aims = (
            ""
            if r["function"] != "allocate"
            else " / ".join(yn[r[k]] for k in ("aim_hours", "aim_travel", "aim_runtime"))
        )
        out.append(
            f"| {r['method']} | {r['policy']} | {r['hours_placed']:,.1f} | {r['hours_vs_cascade_pct']:+.1f}% | {r['spot_hours']:,.1f} "
            f"| {r['packages_unplaced']} | {r['added_travel_min']:,} | {r['travel_vs_cascade_pct']:+.1f}% "
            f"| {r['travel_min_per_placed_h'] or 0:.1f} | {r['runtime_s']:.1f} | {aims} |"
        )
    b = result.get("bound")
    if b:
        base = next(r for r in rows if r["function"] == "cascade_backlog" and r["policy"] == "cascade")["hours_placed"]
        out += [
            "",
            f"Most hours any allocation can place (CP-SAT, placed minutes only, {b['max_hours_status']}): "
            f"best found {b['max_hours_found']:,.1f} h, bound {b['max_hours_bound']:,.1f} h "
            f"= {100 * (b['max_hours_bound'] / base - 1):+.1f}% vs the plain cascade.",
        ]
    if result.get("sensitivity"):
        out += [
            "",
            "| CP-SAT time limit s (tiered, warm state) | runtime s | hours placed | added travel min/wk |",
            "|---:|---:|---:|---:|",
        ]
        for r in result["sensitivity"]:
            out.append(
                f"| {r['time_limit_s']:g} | {r['runtime_s']:.1f} | {r['hours_placed']:,.1f} | {r['added_travel_min']:,} |"
            )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    ap.add_argument("--backlog", type=int, default=500, help="packages awaiting a provider (default 500)")
    ap.add_argument("--district", default=None, help="one district instead of the county (smoke runs)")
    ap.add_argument(
        "--latency-packages", type=int, default=200, help="packages timed for shortlist latency (default 200)"
    )
    ap.add_argument("--time-limit", type=float, default=10.0, help="CP-SAT seconds per joint allocation (default 10)")
    ap.add_argument(
        "--bound-time-limit", type=float, default=30.0, help="CP-SAT seconds for the max-hours bound (0: skip)"
    )
    ap.add_argument(
        "--sensitivity",
        default="",
        help="comma-separated CP-SAT time limits for a tiered re-run on a warm state, e.g. 1,3,10,30",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the raw numbers here")
    args = ap.parse_args(argv)

    info = machine()
    say(f"machine: {info}")
    say("generating ...")
    t = time.perf_counter()
    s = pp.essex(district=args.district, seed=args.seed, backlog=args.backlog)
    generate_s = time.perf_counter() - t
    pkgs = list(backlog(s))
    say(f"  {len(s.clients)} clients, {len(pkgs)} packages awaiting, {generate_s:.1f} s")
    say("shortlist latency ...")
    lat = latency(s, pkgs, args.latency_packages, seed=0)
    say("allocations ...")
    rows = run_allocations(s, pkgs, args.time_limit)
    judge(rows, lat["placeable_hours"])
    bound = {}
    if args.bound_time_limit > 0:
        say("max-hours bound ...")
        bound = hours_bound(s, pkgs, args.bound_time_limit)
        say(f"  {bound}")
    sens = []
    if args.sensitivity:
        say("time-limit sensitivity (tiered, warm state) ...")
        sens = sensitivity(s, pkgs, [float(x) for x in args.sensitivity.split(",")])
    result = {
        "scenario": f"essex(seed={args.seed}, backlog={args.backlog}"
        + (f", district={args.district!r}" if args.district else "")
        + ")",
        "machine": info,
        "machine_load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "generate_s": round(generate_s, 2),
        "time_limit_s": args.time_limit,
        "latency": lat,
        "allocations": rows,
        "bound": bound,
        "sensitivity": sens,
    }
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
