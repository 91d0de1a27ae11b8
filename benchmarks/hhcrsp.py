"""HHCRSP benchmark (issue 3): patchplan's rounds solver on the home health
care instances of Mankowska, Meisel & Bierwirth (2014), scored as the
literature scores them and compared with the best published results.

Protocol
--------
For every instance (``--sizes`` x ``--indices``; by default instance ``_1``
of every size 10, 25, 50, 75, 100, 200, 300 patients):

* :func:`patchplan.bench.run.run_hhcrsp` reads the instance (times x 100,
  travel rounded *up*), plans it with :func:`patchplan.rounds.plan.plan_rounds`
  under travel + total tardiness weighted equally (maximum tardiness is not
  modelled, only reported), with the time limit of its size
  (:data:`TIME_LIMITS`, or ``--time-limit`` for all), seed 0, single thread,
  and checks the result with the independent checker: skills, windows
  (start not before ``e``), precedence / simultaneity gaps of double
  services, travel times, coverage.
* The objective is the literature's: ``(distance + total tardiness + max
  tardiness) / 3`` with real-valued distances and start times
  (:func:`patchplan.bench.formats.hhcrsp_objective`).
* ``gap %`` = ``100 * (objective / BKS - 1)`` against ``objective_value``
  of ``bks.csv``: the best published BRKGA results of Kummer Neto et al.
  (GECCO 2020 and BRKGA-MP-IPR 2021). A negative gap means a better
  solution than the published one (see benchmarks/README.md for why that
  happens on small instances). A plan that leaves a service unassigned or
  breaks a rule has no gap (its objective would not be comparable).

Usage::

    python benchmarks/hhcrsp.py                          # _1 of each size, default time limits
    python benchmarks/hhcrsp.py --sizes 10 25 --indices 1 2 3 --time-limit 10
    python benchmarks/hhcrsp.py --csv hhcrsp.csv
    python benchmarks/hhcrsp.py --sizes 10 25 50 75 100 --indices 1 2 3 --limit-per-class   # issue 12
    python benchmarks/hhcrsp.py --sizes 300 --limit-per-class --log-passes   # where coverage and time go

Prints a Markdown table to stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import csv
import logging
import math
import sys
from pathlib import Path
from typing import Any

import _common

from patchplan.bench.formats import data_folder
from patchplan.bench.run import run_hhcrsp
from patchplan.core.errors import InputError

SIZES = (10, 25, 50, 75, 100, 200, 300)
#: Seconds per instance by number of patients: about 1 s per 1-2 patients
#: up to 100, then 0.6 s per patient (the BRKGA-MP-IPR runs of Kummer et
#: al. 2021 used far longer budgets on 200-300).
TIME_LIMITS = {10: 10.0, 25: 20.0, 50: 30.0, 75: 45.0, 100: 60.0, 200: 120.0, 300: 180.0}
#: Issue 12's limits (``--limit-per-class``): twice the BRKGA's published
#: mean time for the class (Kummer Neto et al.), rounded as the issue does.
ISSUE12_LIMITS = {10: 2.0, 25: 4.0, 50: 12.0, 75: 26.0, 100: 48.0, 200: 200.0, 300: 460.0}
#: Mankowska classes by number of patients (A-G, as issue 12 names them).
CLASSES = {10: "A", 25: "B", 50: "C", 75: "D", 100: "E", 200: "F", 300: "G"}


def instance_file(folder: Path, size: int, index: int) -> Path:
    """Sizes up to 75 are the ``InstanzCPLEX`` files, 100-300 ``InstanzVNS``."""
    family = "CPLEX" if size <= 75 else "VNS"
    return folder / "instances" / f"Instanz{family}_HCSRP_{size}_{index}.txt"


def read_bks(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "bks.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


COLUMNS = (
    ("instance", "instance", 0),
    ("patients", "patients", 0),
    ("time_limit_s", "T s", 0),
    ("vehicles", "vehicles used", 0),
    ("distance", "distance", 1),
    ("total_tardiness", "total tard.", 1),
    ("max_tardiness", "max tard.", 1),
    ("objective", "objective", 2),
    ("bks_objective", "BKS", 2),
    ("gap_pct", "gap %", 2),
    ("feasible", "feasible", 0),
    ("unassigned", "unassigned", 0),
    ("violations", "violations", 0),
    ("runtime_s", "runtime s", 1),
    ("overrun_s", "overrun s", 2),
    ("cpu_s", "CPU s", 1),
)
CLASS_COLUMNS = (
    ("class", "class", 0),
    ("patients", "patients", 0),
    ("time_limit_s", "T s", 0),
    ("instances", "instances", 0),
    ("feasible", "feasible", 0),
    ("mean_gap_pct", "mean gap %", 2),
    ("max_gap_pct", "max gap %", 2),
    ("worst_overrun_s", "worst overrun s", 2),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder with instances/ and bks.csv (default: $PATCHPLAN_BENCH_DATA/hhcrsp/mankowska2014)",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="patients (default: all sizes)")
    parser.add_argument("--indices", type=int, nargs="+", default=[1], help="instance numbers 1-10 (default: 1)")
    parser.add_argument(
        "--time-limit", type=float, default=None, help=f"seconds for every instance (default: by size, {TIME_LIMITS})"
    )
    parser.add_argument(
        "--limit-per-class",
        action="store_true",
        help=f"issue 12's limits, twice the BRKGA's mean time per class: {ISSUE12_LIMITS}",
    )
    parser.add_argument(
        "--first",
        type=int,
        default=None,
        help="for sizes of 200 patients and more, run only the first N of --indices (the largest classes take minutes)",
    )
    parser.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    parser.add_argument("--csv", type=Path, default=None, help="also write every run here (after every run)")
    parser.add_argument(
        "--log-passes",
        action="store_true",
        help="log each search pass of the plan to stderr (visits served, score, kept or not, seconds in)",
    )
    args = parser.parse_args(argv)
    if args.log_passes:
        logging.basicConfig(stream=sys.stderr, format="%(relativeCreated)9.0f ms %(message)s")
        logging.getLogger("patchplan").setLevel(logging.DEBUG)
    if args.time_limit is not None and args.limit_per_class:
        parser.error("--time-limit and --limit-per-class: give one of them")
    if args.time_limit is not None and args.time_limit <= 0:
        parser.error(f"--time-limit {args.time_limit:g}: must be positive")
    if args.data is None:
        try:
            args.data = data_folder() / "hhcrsp" / "mankowska2014"
        except InputError as exc:
            parser.error(str(exc))

    bks = read_bks(args.data)
    print(f"machine: {_common.machine()}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    limits = ISSUE12_LIMITS if args.limit_per_class else TIME_LIMITS
    for size in args.sizes:
        indices = args.indices[: args.first] if args.first is not None and size >= 200 else args.indices
        for index in indices:
            path = instance_file(args.data, size, index)
            if not path.exists():
                print(f"skip {path.name}: not found", file=sys.stderr)
                continue
            limit = args.time_limit or limits.get(size, float(size))
            load_before = _common.load()[0]
            cpu0 = _common.cpu_seconds()
            row: dict[str, Any] = {
                "class": CLASSES.get(size, "?"),
                "patients": size,
                "time_limit_s": limit,
                **run_hhcrsp(path, time_limit_s=limit, seed=args.seed),
            }
            row["cpu_s"] = round(_common.cpu_seconds() - cpu0, 1)
            row["overrun_s"] = round(row["runtime_s"] - limit, 2)
            best = bks.get(row["instance"])
            row["bks_objective"] = float(best["objective_value"]) if best else None
            row["bks_vehicles"] = int(best["vehicles"]) if best else None
            # Only a complete, clean plan is comparable: an unserved patient
            # would lower the objective.
            comparable = best is not None and row["feasible"]
            row["gap_pct"] = (
                round(100 * (row["objective"] / row["bks_objective"] - 1), 2) if comparable else float("nan")
            )
            row["load1_before"] = load_before
            rows.append(row)
            if args.csv:  # rewritten after every run, so a cut-off session keeps what it measured
                _common.write_csv(args.csv, rows)
            print(
                f"{row['instance']} T={limit:g}: objective {row['objective']:.3f} (BKS {row['bks_objective']}, "
                f"gap {row['gap_pct']:+.2f}%), feasible={row['feasible']}, {row['runtime_s']:.1f} s "
                f"(CPU {row['cpu_s']:.1f} s), "
                f"load {load_before:.2f}",
                file=sys.stderr,
            )
    print(_common.markdown_table(rows, COLUMNS))
    if rows:
        print()
        print(_common.markdown_table(summarise_by_class(rows), CLASS_COLUMNS))
        print()
        done = [r for r in rows if not math.isnan(r["gap_pct"])]
        print(
            f"mean gap {_common.mean(r['gap_pct'] for r in done):+.2f}% over the {len(done)} complete plans; "
            f"feasible (all visits served, no violation) {sum(bool(r['feasible']) for r in rows)}/{len(rows)}; "
            f"worst overrun {max(r['overrun_s'] for r in rows):+.2f} s"
        )
    return 0


def summarise_by_class(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per class (A-G): instances, complete plans, mean and worst gap, worst overrun."""
    out = []
    for cls in sorted({r["class"] for r in rows}):
        mine = [r for r in rows if r["class"] == cls]
        done = [r["gap_pct"] for r in mine if not math.isnan(r["gap_pct"])]
        out.append(
            {
                "class": cls,
                "patients": mine[0]["patients"],
                "time_limit_s": mine[0]["time_limit_s"],
                "instances": len(mine),
                "feasible": sum(bool(r["feasible"]) for r in mine),
                "mean_gap_pct": _common.mean(done),
                "max_gap_pct": max(done, default=float("nan")),
                "worst_overrun_s": max(r["overrun_s"] for r in mine),
            }
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
