"""County patch evaluation benchmark (issue 6): time, peak memory and KPIs of
:func:`patchplan.patches.evaluate.evaluate` on the full Essex county, its scaling
with demand, and the error of the fast approximate mode.

Issue 6's aim: "a full-county evaluation in <= 10 minutes on 2 cores with
peak memory <= 4 GB, cost growing linearly".

Protocol
--------
Every scale runs in a **fresh Python process** (this file with ``--child``),
so the peak memory of one scale is not inflated by another, and the
generated scenario is shared by the designs evaluated at that scale.

1. **Designs** (scale 1, ``--designs``, default ``today districts k=60``):
   the child generates ``patchplan.essex(seed=--seed, scale=1)`` (the whole
   county, ~7,500 clients receiving care); for each design it times
   ``build_design`` (``build s``; ``k=60`` runs the patch designer) and then,
   for each mode (``--modes``, default ``full fast``), times
   ``evaluate(s, design, mode=..., seconds_per_visit=--seconds-per-visit,
   scheduler=None)`` (``evaluate s``: local processes, one per core; the same
   ``Design`` object for both modes). ``evaluate s`` is split into
   ``prep s`` (levers, brokerage, sub-scenarios and workforces: everything
   before the tasks run), ``tasks s`` (``run_tasks``: week plans and the
   independent checker on the worker processes) and the aggregation, by
   wrapping ``patchplan.patches.evaluate.run_tasks`` with a timer (nothing else is
   changed).
2. **Scaling** (``--scales``, default 0.1 0.25 0.5 1.0): one child per scale
   generates ``essex(seed=--seed, scale=f)`` and evaluates one design,
   ``k = max(12, round(60 f))`` patches (at least one per district), in full
   mode. At scale 1 this is exactly the ``k=60`` full run of step 1, which
   is reused when step 1 ran it (same seed and settings). The fit
   ``evaluate s = a + b x visits`` (least squares) and the seconds per 1,000
   weekly visits at each scale show whether the cost grows linearly.
3. **Fast mode's error**: for each design evaluated in both modes, the
   relative error ``fast / full - 1`` of travel hours, carer hours and
   distinct carers per client, and the speed-up.

**Peak memory** is the whole process tree's: a sampling thread in the
child (every 0.25 s) sums, over the child and all its descendants (the
worker processes of ``ProcessPoolExecutor``), the resident set size
(``psutil`` ``memory_info().rss``: ``tree RSS``) and the proportional set
size (``memory_full_info().pss``: ``tree PSS``). Workers are forked, so
pages they share with the parent count once per process in the RSS sum
(an upper bound) and once in total in the PSS sum (the physical memory the
tree uses). The sampler is reset before each measured step, so each figure
is that step's peak, including the scenario the process already holds. As
a cross-check the child also reports ``getrusage`` ``ru_maxrss`` of itself
and of its children (the latter is the largest single child, not a sum).
Without psutil the script falls back to these two.

**Load.** Wall times are only meaningful on a quiet machine. Before each
timed step the child waits (up to ``--wait-quiet`` s, default 1800) until
the 1-minute load average is below ``--quiet-load`` (default 1.5) and
processes outside this benchmark use less than 0.3 cores; it records the
load average before the step, the mean load average during it, and the mean
CPU (in cores) used by processes outside the benchmark's process tree
during it (``others cores``: 0 on a quiet machine; 2 would mean the
benchmark ran at about half speed).

Usage::

    python benchmarks/county.py                                   # everything (~1 h)
    python benchmarks/county.py --design-scale 0.1 --designs today k=12 --scales 0.1 --wait-quiet 0   # smoke run
    python benchmarks/county.py --seconds-per-visit 0.002 --csv county.csv --json county.json

Prints Markdown tables on stdout (progress on stderr). Not collected by
pytest; no timing assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import _common

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is normally installed (via dask)
    psutil = None

#: Issue 6's aim for one full-county evaluation.
LIMIT_S = 600.0
LIMIT_MB = 4096.0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Measurement helpers (run in the child)
# ---------------------------------------------------------------------------
def _maxrss_mb(who: int) -> float:
    kib = resource.getrusage(who).ru_maxrss
    if sys.platform == "darwin":
        kib //= 1024
    return kib / 1024


def _tree() -> list[Any]:
    me = psutil.Process()
    try:
        return [me, *me.children(recursive=True)]
    except psutil.Error:
        return [me]


def _busy_cores_total() -> float:
    """CPU seconds used by the whole machine so far (all cores, not idle)."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _own_cpu() -> float:
    """CPU seconds used by this process, its reaped children and live descendants."""
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for c in _tree()[1:]:
        try:
            ct = c.cpu_times()
            total += ct.user + ct.system
        except psutil.Error:
            pass
    return total


class Sampler:
    """Background sampler: peak tree RSS/PSS, load average and others' CPU."""

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.reset()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if psutil is not None:
            self._thread.start()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.peak_rss = 0.0
            self.peak_pss = 0.0
            self.peak_procs = 0
            self.loads: list[float] = []
            self.others: list[float] = []
            self._mark = None

    def _run(self) -> None:
        last_cpu = time.monotonic()
        while not self._stop.is_set():
            rss = pss = 0.0
            procs = _tree()
            for p in procs:
                try:
                    rss += p.memory_info().rss
                    pss += p.memory_full_info().pss
                except (psutil.Error, AttributeError):
                    pass
            with self._lock:
                self.peak_rss = max(self.peak_rss, rss / 2**20)
                self.peak_pss = max(self.peak_pss, pss / 2**20)
                self.peak_procs = max(self.peak_procs, len(procs))
                now = time.monotonic()
                if now - last_cpu >= 2.0:
                    last_cpu = now
                    self.loads.append(os.getloadavg()[0])
                    mark = (now, _busy_cores_total(), _own_cpu())
                    if self._mark is not None:
                        dt = mark[0] - self._mark[0]
                        others = (mark[1] - self._mark[1]) - (mark[2] - self._mark[2])
                        self.others.append(max(0.0, others / dt))
                    self._mark = mark
            self._stop.wait(self.interval)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "peak_tree_rss_mb": round(self.peak_rss, 0) if psutil else None,
                "peak_tree_pss_mb": round(self.peak_pss, 0) if psutil else None,
                "peak_processes": self.peak_procs if psutil else None,
                "load1_during": round(statistics.mean(self.loads), 2) if self.loads else None,
                "others_cores": round(statistics.mean(self.others), 2) if self.others else None,
            }


def others_cores(seconds: float = 5.0) -> float:
    """CPU cores used by processes outside this process tree, over a few seconds."""
    t0, b0, o0 = time.monotonic(), _busy_cores_total(), _own_cpu()
    time.sleep(seconds)
    t1, b1, o1 = time.monotonic(), _busy_cores_total(), _own_cpu()
    return max(0.0, ((b1 - b0) - (o1 - o0)) / (t1 - t0))


def wait_quiet(max_wait: float, max_load: float, label: str) -> dict[str, Any]:
    """Wait until the machine is quiet (or max_wait passes); report the wait."""
    start = time.monotonic()
    while True:
        load1 = os.getloadavg()[0]
        others = others_cores() if psutil else 0.0
        quiet = load1 < max_load and others < 0.3
        waited = time.monotonic() - start
        if quiet or waited >= max_wait:
            if not quiet:
                log(
                    f"{label}: machine still busy after {waited:.0f} s (load {load1:.2f}, others {others:.2f} cores); running anyway"
                )
            return {
                "load1_before": round(load1, 2),
                "others_before": round(others, 2),
                "quiet": quiet,
                "waited_s": round(waited),
            }
        if int(waited) % 60 < 10:
            log(
                f"{label}: waiting for a quiet machine (load {load1:.2f}, others {others:.2f} cores, waited {waited:.0f} s)"
            )
        time.sleep(5)


# ---------------------------------------------------------------------------
# Child: one scale, several designs and modes
# ---------------------------------------------------------------------------
def child(spec: dict[str, Any]) -> dict[str, Any]:
    import patchplan as pp
    import patchplan.patches.evaluate as ev

    sampler = Sampler()
    phases: dict[str, float] = {}
    real_run_tasks = ev.run_tasks

    def timed_run_tasks(tasks: Any, **kwargs: Any) -> Any:
        phases["tasks_started"] = time.perf_counter()
        results = real_run_tasks(tasks, **kwargs)
        phases["tasks_done"] = time.perf_counter()
        phases["n_tasks"] = len(tasks)
        phases["task_runtimes"] = [r.runtime_s for r in results]
        return results

    ev.run_tasks = timed_run_tasks  # evaluate() looks the name up at call time

    scale, seed = spec["scale"], spec["seed"]
    wait = lambda label: wait_quiet(spec["wait_quiet"], spec["quiet_load"], label)  # noqa: E731
    pre = wait(f"scale {scale}: generate")
    sampler.reset()
    t0 = time.perf_counter()
    s = pp.essex(seed=seed, scale=scale)
    gen_s = time.perf_counter() - t0
    gen_mem = sampler.snapshot()
    receiving = len({p.client_id for p in s.packages if p.status == "placed"})
    info = {
        "scale": scale,
        "seed": seed,
        "clients": len(s.clients),
        "clients_receiving_care": receiving,
        "visits_scenario": len(s.visits),
        "generate_s": round(gen_s, 1),
        "generate_load1_before": pre["load1_before"],
        "generate_peak_tree_rss_mb": gen_mem["peak_tree_rss_mb"],
    }
    log(f"scale {scale}: generated {len(s.clients)} clients, {len(s.visits)} visits in {gen_s:.1f} s")
    rows = []
    for name in spec["designs"]:
        pre = wait(f"scale {scale} {name}: build")
        sampler.reset()
        t0 = time.perf_counter()
        design = ev.build_design(s, name, seed=spec["design_seed"])
        build_s = time.perf_counter() - t0
        build_mem = sampler.snapshot()
        log(f"scale {scale} {name}: built {len(design.patches)} patches in {build_s:.1f} s")
        for mode in spec["modes"]:
            pre = wait(f"scale {scale} {name} {mode}: evaluate")
            phases.clear()
            sampler.reset()
            t0 = time.perf_counter()
            result = ev.evaluate(
                s,
                design,
                mode=mode,
                scheduler=spec["scheduler"],
                seconds_per_visit=spec["seconds_per_visit"],
                seed=spec["eval_seed"],
            )
            eval_s = time.perf_counter() - t0
            mem = sampler.snapshot()
            head = result.headline()
            runtimes = phases.get("task_runtimes", [])
            row = {
                **info,
                "design": name,
                "mode": mode,
                "seconds_per_visit": spec["seconds_per_visit"] if mode == "full" else None,
                "patches": head["patches"],
                "tasks": phases.get("n_tasks"),
                "visits": result.totals["visits"],
                "build_s": round(build_s, 1),
                "build_peak_tree_rss_mb": build_mem["peak_tree_rss_mb"],
                "evaluate_s": round(eval_s, 1),
                "prep_s": round(phases["tasks_started"] - t0, 1) if "tasks_started" in phases else None,
                "tasks_s": round(phases["tasks_done"] - phases["tasks_started"], 1) if "tasks_done" in phases else None,
                "task_s_sum": round(sum(runtimes), 1),
                "task_s_max": round(max(runtimes), 1) if runtimes else None,
                "total_s": round(build_s + eval_s, 1),
                "s_per_1000_visits": round(1000 * eval_s / result.totals["visits"], 3)
                if result.totals["visits"]
                else None,
                **mem,
                "ru_maxrss_self_mb": round(_maxrss_mb(resource.RUSAGE_SELF), 0),
                "ru_maxrss_children_mb": round(_maxrss_mb(resource.RUSAGE_CHILDREN), 0),
                "load1_before": pre["load1_before"],
                "others_before": pre["others_before"],
                "quiet_before": pre["quiet"],
                "waited_s": pre["waited_s"],
                **{k: v for k, v in head.items() if k not in ("design", "patches", "runtime_s")},
                "carers_needed": result.totals["carers_needed"],
                "unassigned_visits": result.totals["unassigned_visits"],
                "evaluate_runtime_s": head["runtime_s"],
            }
            rows.append(row)
            log(
                f"scale {scale} {name} {mode}: {eval_s:.1f} s ({row['tasks']} tasks, prep {row['prep_s']} s, "
                f"tasks {row['tasks_s']} s), peak tree RSS {mem['peak_tree_rss_mb']} MB / PSS {mem['peak_tree_pss_mb']} MB, "
                f"load before {pre['load1_before']} during {mem['load1_during']}, others {mem['others_cores']} cores; "
                f"travel {head['travel_hours_week']} h, carer {head['carer_hours_week']} h, "
                f"distinct {head['distinct_carers_per_client_mean']}, violations {head['violations']}"
            )
    return {"info": info, "rows": rows}


def run_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one spec in a fresh Python process and return its result."""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, out_path = Path(tmp) / "spec.json", Path(tmp) / "out.json"
        spec_path.write_text(json.dumps(spec))
        subprocess.run([sys.executable, __file__, "--child", str(spec_path), str(out_path)], check=True)
        return json.loads(out_path.read_text())


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------
table = _common.markdown_table


def rel(a: float, b: float) -> float | None:
    return round(100 * (a / b - 1), 1) if b else None


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least squares y = a + b x; returns (a, b, r2)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    a = my - b * mx
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return a, b, 1 - ss_res / ss_tot if ss_tot else 1.0


def machine() -> str:
    mem = "psutil (tree RSS and PSS)" if psutil else "getrusage only"
    return f"{_common.machine_line()}, memory via {mem}"


def report(design_rows: list[dict[str, Any]], scale_rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    out = [f"Machine: {machine()}", ""]
    if design_rows:
        info = design_rows[0]
        where = "Full county" if info["scale"] == 1.0 else f"Scale {info['scale']}"
        out += [
            f"### {where} (seed {args.seed}): {info['clients']:,} clients ({info['clients_receiving_care']:,} receiving care), "
            f"{info['visits_scenario']:,} visits a week; generated in {info['generate_s']} s "
            f"(load {info['generate_load1_before']} before)",
            "",
        ]
        out += ["#### Time and memory per design", ""]
        out.append(
            table(
                design_rows,
                [
                    ("design", "design", 0),
                    ("mode", "mode", 0),
                    ("patches", "patches", 0),
                    ("tasks", "tasks", 0),
                    ("visits", "visits", 0),
                    ("build_s", "build s", 1),
                    ("evaluate_s", "evaluate s", 1),
                    ("prep_s", "prep s", 1),
                    ("tasks_s", "tasks s", 1),
                    ("task_s_max", "longest task s", 1),
                    ("s_per_1000_visits", "s / 1,000 visits", 2),
                    ("peak_tree_rss_mb", "peak tree RSS MB", 0),
                    ("peak_tree_pss_mb", "peak tree PSS MB", 0),
                    ("load1_before", "load before", 2),
                    ("load1_during", "load during", 2),
                    ("others_cores", "others cores", 2),
                ],
            )
        )
        out += ["", "#### Headline KPIs (a week)", ""]
        out.append(
            table(
                design_rows,
                [
                    ("design", "design", 0),
                    ("mode", "mode", 0),
                    ("travel_hours_week", "travel h", 0),
                    ("travel_miles_week", "travel miles", 0),
                    ("co2_kg_week", "CO2 kg", 0),
                    ("carer_hours_week", "carer h", 0),
                    ("care_hours_week", "care h", 0),
                    ("carers_needed", "carers", 0),
                    ("unplaced_hours", "unplaced h", 1),
                    ("unassigned_visits", "unassigned visits", 0),
                    ("spot_hours", "spot h", 1),
                    ("distinct_carers_per_client_mean", "distinct carers / client", 2),
                    ("violations", "violations", 0),
                ],
            )
        )
        # fast mode's error
        by = {(r["design"], r["mode"]): r for r in design_rows}
        err_rows = []
        for name in dict.fromkeys(r["design"] for r in design_rows):
            full, fast = by.get((name, "full")), by.get((name, "fast"))
            if not (full and fast):
                continue
            err_rows.append(
                {
                    "design": name,
                    "travel_full": full["travel_hours_week"],
                    "travel_fast": fast["travel_hours_week"],
                    "travel_err": rel(fast["travel_hours_week"], full["travel_hours_week"]),
                    "carer_full": full["carer_hours_week"],
                    "carer_fast": fast["carer_hours_week"],
                    "carer_err": rel(fast["carer_hours_week"], full["carer_hours_week"]),
                    "distinct_full": full["distinct_carers_per_client_mean"],
                    "distinct_fast": fast["distinct_carers_per_client_mean"],
                    "distinct_err": rel(
                        fast["distinct_carers_per_client_mean"], full["distinct_carers_per_client_mean"]
                    ),
                    "unplaced_full": full["unplaced_hours"],
                    "unplaced_fast": fast["unplaced_hours"],
                    "s_full": full["evaluate_s"],
                    "s_fast": fast["evaluate_s"],
                    "speedup": round(full["evaluate_s"] / fast["evaluate_s"], 1) if fast["evaluate_s"] else None,
                }
            )
        if err_rows:
            # does the fast mode rank the designs the same way?
            for key in ("travel", "carer", "distinct"):
                order_full = sorted(err_rows, key=lambda r, k=key: r[f"{k}_full"])
                order_fast = sorted(err_rows, key=lambda r, k=key: r[f"{k}_fast"])
                same = [r["design"] for r in order_full] == [r["design"] for r in order_fast]
                for r in err_rows:
                    r[f"{key}_rank_same"] = same
            out += ["", "#### Fast mode against full (error = fast / full - 1)", ""]
            out.append(
                table(
                    err_rows,
                    [
                        ("design", "design", 0),
                        ("travel_full", "travel h full", 0),
                        ("travel_fast", "fast", 0),
                        ("travel_err", "error %", 1),
                        ("carer_full", "carer h full", 0),
                        ("carer_fast", "fast", 0),
                        ("carer_err", "error %", 1),
                        ("distinct_full", "distinct full", 2),
                        ("distinct_fast", "fast", 2),
                        ("distinct_err", "error %", 1),
                        ("unplaced_full", "unplaced h full", 1),
                        ("unplaced_fast", "fast", 1),
                        ("s_full", "full s", 1),
                        ("s_fast", "fast s", 1),
                        ("speedup", "speed-up", 1),
                    ],
                )
            )
            ranks = {k: err_rows[0][f"{k}_rank_same"] for k in ("travel", "carer", "distinct")}
            out += [
                "",
                "Fast mode ranks the designs as full mode does: "
                + ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in ranks.items())
                + ".",
            ]
        # aims
        out += ["", "#### Issue 6 aim (<= 600 s and <= 4,096 MB per full-county evaluation)", ""]
        aim_rows = []
        for r in design_rows:
            peak = r["peak_tree_pss_mb"] if r["peak_tree_pss_mb"] is not None else r["ru_maxrss_self_mb"]
            aim_rows.append(
                {
                    "what": f"{r['design']} ({r['mode']})",
                    "s": r["evaluate_s"],
                    "s_build": r["total_s"],
                    "rss": r["peak_tree_rss_mb"],
                    "pss": r["peak_tree_pss_mb"],
                    "time_ok": r["evaluate_s"] <= LIMIT_S,
                    "mem_ok": peak <= LIMIT_MB,
                }
            )
        for mode in dict.fromkeys(r["mode"] for r in design_rows):
            rs = [r for r in design_rows if r["mode"] == mode]
            if len(rs) > 1:
                s_eval = sum(r["evaluate_s"] for r in rs)
                s_all = sum(r["total_s"] for r in rs)
                pss = max(r["peak_tree_pss_mb"] or 0 for r in rs) or None
                rss = max(r["peak_tree_rss_mb"] or 0 for r in rs) or None
                aim_rows.append(
                    {
                        "what": f"all {len(rs)} designs ({mode})",
                        "s": round(s_eval, 1),
                        "s_build": round(s_all, 1),
                        "rss": rss,
                        "pss": pss,
                        "time_ok": s_eval <= LIMIT_S,
                        "mem_ok": (pss or max(r["ru_maxrss_self_mb"] for r in rs)) <= LIMIT_MB,
                    }
                )
        out.append(
            table(
                aim_rows,
                [
                    ("what", "evaluation", 0),
                    ("s", "evaluate s", 1),
                    ("s_build", "with design build s", 1),
                    ("rss", "peak tree RSS MB", 0),
                    ("pss", "peak tree PSS MB", 0),
                    ("time_ok", "<= 600 s", 0),
                    ("mem_ok", "<= 4 GB (PSS)", 0),
                ],
            )
        )
    if scale_rows:
        out += ["", f"#### Scaling (design k = max(12, round(60 x scale)), full mode, seed {args.seed})", ""]
        out.append(
            table(
                scale_rows,
                [
                    ("scale", "scale", 2),
                    ("clients", "clients", 0),
                    ("visits", "visits", 0),
                    ("design", "design", 0),
                    ("tasks", "tasks", 0),
                    ("generate_s", "generate s", 1),
                    ("build_s", "build s", 1),
                    ("evaluate_s", "evaluate s", 1),
                    ("task_s_sum", "task s (sum)", 1),
                    ("s_per_1000_visits", "s / 1,000 visits", 2),
                    ("peak_tree_rss_mb", "peak tree RSS MB", 0),
                    ("peak_tree_pss_mb", "peak tree PSS MB", 0),
                    ("load1_before", "load before", 2),
                    ("load1_during", "load during", 2),
                    ("others_cores", "others cores", 2),
                ],
            )
        )
        if len(scale_rows) >= 2:
            xs = [r["visits"] / 1000 for r in scale_rows]
            a, b, r2 = linear_fit(xs, [r["evaluate_s"] for r in scale_rows])
            am, bm, r2m = linear_fit(xs, [r["peak_tree_pss_mb"] or r["ru_maxrss_self_mb"] for r in scale_rows])
            out += [
                "",
                f"Fit: evaluate s = {a:.1f} + {b:.3f} x (1,000 visits), R^2 = {r2:.3f}; "
                f"peak tree PSS MB = {am:.0f} + {bm:.2f} x (1,000 visits), R^2 = {r2m:.3f}.",
            ]
    return "\n".join(out)


# ---------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        spec = json.loads(Path(argv[1]).read_text())
        Path(argv[2]).write_text(json.dumps(child(spec)))
        return 0
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--designs",
        nargs="*",
        default=["today", "districts", "k=60"],
        help="designs at full scale (default: today districts k=60)",
    )
    parser.add_argument(
        "--modes",
        nargs="*",
        default=["full", "fast"],
        choices=["full", "fast"],
        help="evaluation modes (default: full fast)",
    )
    parser.add_argument(
        "--scales",
        nargs="*",
        type=float,
        default=[0.1, 0.25, 0.5, 1.0],
        help="scales of the scaling curve (default 0.1 0.25 0.5 1.0; none to skip)",
    )
    parser.add_argument(
        "--design-scale",
        type=float,
        default=1.0,
        help="scale of the designs part (default 1.0, the full county; smaller for smoke runs)",
    )
    parser.add_argument("--seed", type=int, default=1, help="scenario seed (default 1)")
    parser.add_argument("--design-seed", type=int, default=0, help="build_design seed (default 0)")
    parser.add_argument("--eval-seed", type=int, default=0, help="evaluate seed (default 0)")
    parser.add_argument("--seconds-per-visit", type=float, default=0.004, help="full mode's budget (default 0.004)")
    parser.add_argument("--scheduler", default=None, help="None (local processes), serial, or a Dask address")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=1800.0,
        help="most seconds to wait for a quiet machine before each timed step (default 1800)",
    )
    parser.add_argument("--quiet-load", type=float, default=1.5, help="quiet: 1-minute load below this (default 1.5)")
    parser.add_argument("--csv", type=Path, default=None, help="also write every row here")
    parser.add_argument("--json", type=Path, default=None, help="also write rows and machine here")
    args = parser.parse_args(argv)

    log(f"machine: {machine()}")
    common = {
        "seed": args.seed,
        "design_seed": args.design_seed,
        "eval_seed": args.eval_seed,
        "seconds_per_visit": args.seconds_per_visit,
        "scheduler": args.scheduler,
        "wait_quiet": args.wait_quiet,
        "quiet_load": args.quiet_load,
    }
    design_rows: list[dict[str, Any]] = []
    if args.designs and args.modes:
        design_rows = run_child({**common, "scale": args.design_scale, "designs": args.designs, "modes": args.modes})[
            "rows"
        ]
    scale_rows: list[dict[str, Any]] = []
    for f in args.scales:
        name = f"k={max(12, round(60 * f))}"
        reuse = [r for r in design_rows if r["scale"] == f and r["design"] == name and r["mode"] == "full"]
        if reuse:
            log(f"scale {f}: reusing the {name} full run")
            scale_rows.append(reuse[0])
            continue
        scale_rows += run_child({**common, "scale": f, "designs": [name], "modes": ["full"]})["rows"]
    scale_rows.sort(key=lambda r: r["scale"])

    text = report(design_rows, scale_rows, args)
    print(text)
    every = [{"part": "designs", **r} for r in design_rows] + [{"part": "scaling", **r} for r in scale_rows]
    if args.csv:
        _common.write_csv(args.csv, every)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": machine(),
                    "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "rows": every,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
