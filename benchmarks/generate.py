"""Scenario generation benchmark (issue 2): time and peak memory of
:func:`patchplan.essex.generator.essex` per scale, plus writing and reading the
scenario folder.

Protocol
--------
Each scale runs in a **fresh Python process** (this file with ``--child``),
so imports, caches and the allocator start cold and the peak resident set
size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that run
alone. The child, in order:

1. imports :mod:`patchplan` (``import s``);
2. calls ``essex(seed=..., scale=...)`` (``generate s``; peak RSS read
   straight after it is ``peak MB gen``: import + generation);
3. writes the scenario with ``write_scenario`` to a temporary folder
   (``write s``; CSV tables, the default);
4. reads the folder back with ``read_scenario`` (``read s``), the baseline
   the generator is compared with (``read/gen`` = read s / generate s);
5. reports the process's peak RSS over all steps (``peak MB all``) and the
   folder's size on disk.

Wall-clock times use ``time.perf_counter``. With ``--repeat N`` every scale
runs N times (each in its own process) and the table shows the median time
(and the fastest generation, the least disturbed by other load on a shared
machine) and the largest peak; the raw runs (``--json``) also record the
1-minute load average before each run. The parent checks the child's figure against
``RUSAGE_CHILDREN`` as a sanity check on the measurement.

Usage::

    python benchmarks/generate.py                      # scales 0.1 0.25 0.5 1.0, seed 1
    python benchmarks/generate.py --scales 1.0 --repeat 3 --seed 2
    python benchmarks/generate.py --json results.json  # also keep raw numbers

Prints a Markdown table (paste into ``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common

#: Issue 2 acceptance: full county (scale 1) in under a minute, under 2 GB.
LIMIT_S = 60.0
LIMIT_MB = 2048.0


def _peak_mb() -> float:
    """Peak resident set size of this process in MiB (Linux: ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # bytes on macOS
        kib //= 1024
    return kib / 1024


def _folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def child(scale: float, seed: int, out: Path) -> dict[str, Any]:
    """One measured run (executed in a fresh process)."""
    t0 = time.perf_counter()
    import patchplan as pp  # noqa: PLC0415 - timing the import is the point

    t1 = time.perf_counter()
    scenario = pp.essex(seed=seed, scale=scale)
    t2 = time.perf_counter()
    peak_gen = _peak_mb()
    pp.write_scenario(scenario, out)
    t3 = time.perf_counter()
    back = pp.read_scenario(out)
    t4 = time.perf_counter()
    return {
        "scale": scale,
        "seed": seed,
        "clients": len(scenario.clients),
        "visits": len(scenario.visits),
        "carers": len(scenario.carers),
        "read_clients": len(back.clients),
        "import_s": t1 - t0,
        "generate_s": t2 - t1,
        "write_s": t3 - t2,
        "read_s": t4 - t3,
        "peak_mb_generate": peak_gen,
        "peak_mb_all": _peak_mb(),
        "folder_mb": _folder_mb(out),
    }


def run_one(scale: float, seed: int) -> dict[str, Any]:
    """Run :func:`child` in a fresh interpreter and return its numbers."""
    tmp = Path(tempfile.mkdtemp(prefix=f"patchplan-gen-{scale}-"))
    try:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--scales",
            str(scale),
            "--seed",
            str(seed),
            "--out",
            str(tmp / "scenario"),
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"child for scale {scale} failed:\n{proc.stderr}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result["process_wall_s"] = wall
        result["loadavg_1min_before"] = load
        # RUSAGE_CHILDREN keeps the largest child so far: it only tells us
        # something new when this child set a new record.
        result["rusage_children_mb"] = after / 1024 if after > before else None
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median times and the largest peaks over repeats of one scale."""
    first = runs[0]
    out = {k: first[k] for k in ("scale", "clients", "visits", "carers")}
    for key in ("import_s", "generate_s", "write_s", "read_s", "process_wall_s"):
        out[key] = statistics.median(r[key] for r in runs)
    out["generate_s_min"] = min(r["generate_s"] for r in runs)
    out["loadavg_max"] = max(r["loadavg_1min_before"] for r in runs)
    for key in ("peak_mb_generate", "peak_mb_all", "folder_mb"):
        out[key] = max(r[key] for r in runs)
    out["read_over_generate"] = out["read_s"] / out["generate_s"]
    out["repeats"] = len(runs)
    return out


def markdown(rows: list[dict[str, Any]]) -> str:
    head = (
        "| scale | clients | visits | carers | import s | generate s | generate s (min) "
        "| write s | read s | read/gen | peak MB gen | peak MB all | folder MB |"
    )
    lines = [head, "|" + "---:|" * 13]
    for r in rows:
        lines.append(
            f"| {r['scale']:g} | {r['clients']:,} | {r['visits']:,} | {r['carers']:,} "
            f"| {r['import_s']:.1f} | {r['generate_s']:.1f} | {r['generate_s_min']:.1f} "
            f"| {r['write_s']:.1f} "
            f"| {r['read_s']:.1f} | {r['read_over_generate']:.2f} "
            f"| {r['peak_mb_generate']:.0f} | {r['peak_mb_all']:.0f} | {r['folder_mb']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=[0.1, 0.25, 0.5, 1.0],
        help="scales to generate (default: 0.1 0.25 0.5 1.0)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scale, each in a fresh process (default 1)")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.scales[0], args.seed, args.out)))
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")

    info = _common.machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM; "
        f"Python {info['python']}; {info['os']}; patchplan commit {info['commit']}",
        file=sys.stderr,
    )
    raw: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for scale in args.scales:
        runs = []
        for i in range(args.repeat):
            print(f"scale {scale:g}, run {i + 1}/{args.repeat} ...", file=sys.stderr, flush=True)
            runs.append(run_one(scale, args.seed))
        raw += runs
        rows.append(summarise(runs))
    print(markdown(rows))
    full = [r for r in rows if r["scale"] == 1.0]
    for r in full:
        ok_t = r["generate_s"] < LIMIT_S
        ok_m = r["peak_mb_generate"] < LIMIT_MB
        print(
            f"\nscale 1: generate {r['generate_s']:.1f} s (< {LIMIT_S:.0f} s: "
            f"{'yes' if ok_t else 'NO'}), peak {r['peak_mb_generate']:.0f} MB "
            f"(< {LIMIT_MB:.0f} MB: {'yes' if ok_m else 'NO'})"
        )
    if args.json is not None:
        args.json.write_text(json.dumps({"machine": info, "seed": args.seed, "runs": raw, "summary": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
