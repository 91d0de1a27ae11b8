"""Bazirha home-healthcare instances (issue 12): patchplan's rounds solver
on the UHHC conversion of the Bazirha set, against the UHHC paper's
simulated-annealing (SA) solutions.

Protocol
--------
For every instance named (default: the 21 with an SA solution in the data
folder, D1-D7, E1-E7, F1-F7: 10, 25, 50 patients with two-service patients,
half of them simultaneous):

* :func:`patchplan.bench.run.run_uhhc` reads the JSON instance
  (:func:`patchplan.bench.uhhc.read_uhhc`: hard windows that a service must
  *end* by, hard shifts, simultaneous pairs linked 0..0), plans it with
  :func:`patchplan.rounds.plan.plan_rounds` under travel time only, seed 0,
  with the time limit of its size (``--time-limit`` for all, default the
  issue's Mankowska limits for the same number of patients: 2 s at 10, 4 s
  at 25, 12 s at 50; the SA's own times are not published with the
  solutions), and checks it with the independent checker.
* ``gap %`` = ``100 * (travel / SA travel - 1)``, only for a complete,
  clean plan (one that leaves a service out would look shorter). The SA
  value is ``objective_value`` of ``bks_bazirha.csv`` (one solver's result,
  not a literature best-known value). Its solutions read back through the
  same reader, timing and checker give exactly that travel and no
  violation (tested in ``tests/test_bench_uhhc.py``).

Usage::

    python benchmarks/bazirha.py --csv bazirha.csv
    python benchmarks/bazirha.py --instances D1 E1 F1 --time-limit 10

Prints a per-run table and a per-class summary to stdout; progress to stderr.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path
from typing import Any

import _common

from patchplan.bench.formats import data_folder
from patchplan.bench.run import run_uhhc
from patchplan.core.errors import InputError

#: Seconds by number of patients: issue 12's Mankowska limits for the same size.
TIME_LIMITS = {10: 2.0, 25: 4.0, 50: 12.0}

COLUMNS = (
    ("instance", "instance", 0),
    ("patients", "patients", 0),
    ("time_limit_s", "T s", 0),
    ("vehicles", "carers used", 0),
    ("sa_vehicles", "SA carers", 0),
    ("distance", "travel", 0),
    ("sa_travel", "SA travel", 0),
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


def read_reference(folder: Path) -> dict[str, dict[str, str]]:
    """``bks_bazirha.csv`` rows by instance (empty when the file is absent)."""
    path = folder / "bks_bazirha.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def summarise_by_class(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per class (the instance name's letter): complete plans, mean and worst gap, worst overrun."""
    out = []
    for cls in sorted({r["instance"][0] for r in rows}):
        mine = [r for r in rows if r["instance"][0] == cls]
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


def run_one(path: Path, limit: float | None, seed: int, ref: dict[str, str] | None) -> dict[str, Any]:
    """Plan one instance and score it against its SA solution."""
    patients = int(ref["patients"]) if ref else None
    limit = limit or TIME_LIMITS.get(patients or 0, 10.0)
    load_before = _common.load()[0]
    cpu0 = _common.cpu_seconds()
    row: dict[str, Any] = {"patients": patients, "time_limit_s": limit, **run_uhhc(path, time_limit_s=limit, seed=seed)}
    row["cpu_s"] = round(_common.cpu_seconds() - cpu0, 1)
    row["overrun_s"] = round(row["runtime_s"] - limit, 2)
    row["sa_travel"] = float(ref["objective_value"]) if ref else None
    row["sa_vehicles"] = int(ref["vehicles"]) if ref else None
    comparable = ref is not None and row["feasible"]
    row["gap_pct"] = round(100 * (row["distance"] / row["sa_travel"] - 1), 2) if comparable else float("nan")
    row["load1_before"] = load_before
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="the UHHC folder with instances/bazirha/ and bks_bazirha.csv (default: $PATCHPLAN_BENCH_DATA/hhcrsp/uhhc)",
    )
    parser.add_argument("--instances", nargs="+", default=None, help="names (default: those with an SA solution)")
    parser.add_argument(
        "--time-limit", type=float, default=None, help=f"seconds for every instance (default: by size, {TIME_LIMITS})"
    )
    parser.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    parser.add_argument("--csv", type=Path, default=None, help="also write every run here (after every run)")
    args = parser.parse_args(argv)
    if args.time_limit is not None and args.time_limit <= 0:
        parser.error(f"--time-limit {args.time_limit:g}: must be positive")
    if args.data is None:
        try:
            args.data = data_folder() / "hhcrsp" / "uhhc"
        except InputError as exc:
            parser.error(str(exc))
    refs = read_reference(args.data)
    names = args.instances or sorted(refs, key=lambda n: (n[0], int(n[1:]) if n[1:].isdigit() else 0))
    paths = {name: args.data / "instances" / "bazirha" / f"{name}.json" for name in names}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        parser.error(f"--instances: no {', '.join(missing)} (.json) in {args.data / 'instances' / 'bazirha'}")
    print(f"machine: {_common.machine()}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for name, path in paths.items():
        try:
            row = run_one(path, args.time_limit, args.seed, refs.get(name))
        except InputError as exc:
            print(f"{path}: {exc}", file=sys.stderr)
            return 2
        rows.append(row)
        if args.csv:  # rewritten after every run, so a cut-off session keeps what it measured
            _common.write_csv(args.csv, rows)
        print(
            f"{name} T={row['time_limit_s']:g}: travel {row['distance']:.0f} (SA {row['sa_travel']}, "
            f"gap {row['gap_pct']:+.2f}%), feasible={row['feasible']}, {row['runtime_s']:.1f} s "
            f"(CPU {row['cpu_s']:.1f} s), load {row['load1_before']:.2f}",
            file=sys.stderr,
        )
    print(_common.markdown_table(rows, COLUMNS))
    if rows:
        print()
        print(_common.markdown_table(summarise_by_class(rows), CLASS_COLUMNS))
        done = [r for r in rows if not math.isnan(r["gap_pct"])]
        print()
        print(
            f"mean gap {_common.mean(r['gap_pct'] for r in done):+.2f}% over the {len(done)} complete plans; "
            f"feasible {sum(bool(r['feasible']) for r in rows)}/{len(rows)}; "
            f"worst overrun {max(r['overrun_s'] for r in rows):+.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
