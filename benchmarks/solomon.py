"""Solomon VRPTW benchmark (issue 3): patchplan's rounds solver on public
instances, scored against the best known solutions (BKS), optionally side by
side with PyVRP.

Protocol
--------
For every instance and every time limit ``T``:

* **patchplan**: :func:`patchplan.bench.run.run_solomon` reads the Solomon
  ``.txt`` file (times x 100, travel rounded *up*, so a plan feasible in
  integers is feasible with real distances), plans it with
  :func:`patchplan.rounds.plan.plan_rounds` under the hierarchical objective
  (a vehicle costs more than any distance it could save: fewest vehicles,
  then distance) with ``time_limit_s=T``, single thread (OR-Tools routing
  is single-threaded), seed 0, and checks the result with the independent
  checker (:func:`patchplan.check.checker.check`). Distance is the exact Euclidean
  length of the routes (:func:`patchplan.bench.formats.solomon_distance`).
* **PyVRP** (if importable; ``pip install pyvrp``), on the same instance's
  VRPLIB copy (``vrplib/<NAME>.vrp`` next to the ``.txt``; the data
  folder's SOURCES.md records that both copies agree field by field), read
  with ``pyvrp.read(path, round_func="exact")`` (every value x 1000,
  rounded: the convention that matches exact-distance BKS), solved with
  ``pyvrp.solve(data, stop=MaxRuntime(T), seed=0)``, in two variants:

  - ``pyvrp``: PyVRP's own objective, **distance only** (vehicles are
    free). This is how PyVRP is usually benchmarked; it may use more
    vehicles than the hierarchical BKS to save distance, so its gap to the
    hierarchical BKS is not a like-for-like number (compare it with the
    distance-only BKS, column ``gap dist-only %``).
  - ``pyvrp+fleet``: the same with a **vehicle fixed cost** equal to the
    one patchplan uses (twice the sum of all depot-customer distances, an
    upper bound on any solution's distance), i.e. the same hierarchical
    objective as patchplan. This is the like-for-like comparison.

  PyVRP's routes are re-timed at their earliest starts
  (:func:`patchplan.bench.formats.schedule_routes`) and go through the **same**
  checker and the same exact-distance scoring as patchplan's.

Gaps are ``100 * (distance / BKS distance - 1)`` against the
``hierarchical`` / ``double`` rows of ``bks.csv`` (vehicles first, exact
distances), and for reference against the ``distance_only`` / ``double``
rows. A distance gap only means "worse" when the vehicle counts match: with
more vehicles than the BKS a solution can be shorter (negative gap), so the
summary reports the mean gap over all instances and over those whose vehicle
count matches the BKS.

Usage::

    python benchmarks/solomon.py                                  # 6 instances, 10 s and 30 s
    python benchmarks/solomon.py --instances C101 R101 --time-limits 5
    python benchmarks/solomon.py --no-pyvrp --csv solomon.csv
    python benchmarks/solomon.py --data /path/to/solomon          # folder with *.txt, bks.csv, vrplib/
    python benchmarks/solomon.py --instances all --time-limits 30 --pyvrp-variants pyvrp+fleet --csv s.csv
    python benchmarks/solomon.py --data /path/to/homberger --instances c1_2_1 r1_2_1 --time-limits 60
    python benchmarks/solomon.py --from-csv s.csv                 # the tables again, nothing solved

Prints three Markdown tables (per run, a summary per solver and time limit,
the same per class C1 ... RC2, with the worst time-limit overrun) to stdout;
progress goes to stderr. The CSV is rewritten after every run, so a run cut
short keeps what it measured. ``CPU s`` counts the forked search children.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sys
import time
from pathlib import Path
from typing import Any

import _common
import numpy as np

from patchplan.bench.formats import BenchInstance, data_folder, read_solomon, schedule_routes, solomon_distance
from patchplan.bench.run import run_solomon
from patchplan.check.checker import check
from patchplan.core.errors import InputError

DEFAULT_INSTANCES = ("C101", "C201", "R101", "R201", "RC101", "RC201")
#: Numeric columns of a run row, for tables rebuilt from a CSV (``--from-csv``).
_FLOAT_KEYS = ("time_limit_s", "distance", "runtime_s", "cpu_s", "bks_distance", "gap_pct", "gap_dist_only_pct")
_INT_KEYS = ("vehicles", "bks_vehicles", "unassigned", "violations")
_BOOL_KEYS = ("feasible", "vehicles_match")


def instance_class(name: str) -> str:
    """Solomon / Gehring & Homberger class: C1, C2, R1, R2, RC1, RC2
    (``R101`` -> R1, ``rc2_2_1`` -> RC2)."""
    match = re.match(r"([A-Za-z]+)(\d)", name)
    return (match.group(1).upper() + match.group(2)) if match else name


def vrplib_copy(folder: Path, name: str) -> Path:
    """``vrplib/<NAME>.vrp``, matched without case (the Gehring & Homberger
    text files are lower case, their VRPLIB copies upper case)."""
    exact = folder / "vrplib" / f"{name}.vrp"
    if exact.exists():
        return exact
    for path in (folder / "vrplib").glob("*.vrp"):
        if path.stem.lower() == name.lower():
            return path
    return exact


def all_instances(folder: Path) -> list[str]:
    """Every ``*.txt`` instance of the folder, by class then number."""
    return sorted((p.stem for p in folder.glob("*.txt")), key=lambda n: (instance_class(n), n.lower()))


def read_bks(folder: Path) -> dict[tuple[str, str], dict[str, float]]:
    """(instance, "hierarchical" | "distance_only") -> vehicles, distance
    (the ``double`` convention: exact Euclidean distances)."""
    out: dict[tuple[str, str], dict[str, float]] = {}
    path = folder / "bks.csv"
    if not path.exists():
        return out
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["convention"] == "double":
                out[(row["instance"], row["objective"])] = {
                    "vehicles": int(row["vehicles"]),
                    "distance": float(row["distance"]),
                }
    return out


def fleet_cost(inst: BenchInstance) -> float:
    """Twice the sum of depot-customer distances: more than any solution's
    total distance (every customer served alone), so one vehicle fewer
    always wins. The same bound :func:`patchplan.bench.run.solomon_params` uses."""
    xy = inst.coords
    return 2.0 * float(np.hypot(*(xy[1:] - xy[0]).T).sum())


def pyvrp_available() -> bool:
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


def run_pyvrp(txt: Path, vrp: Path, time_limit_s: float, *, fleet: bool, seed: int = 0) -> dict[str, Any]:
    """Solve the VRPLIB copy with PyVRP; score and check like patchplan."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    inst = read_solomon(txt)
    data = pyvrp.read(str(vrp), round_func="exact")  # x 1000, rounded
    if fleet:
        fixed = math.ceil(fleet_cost(inst) * 1000)
        data = data.replace(vehicle_types=[vt.replace(fixed_cost=fixed) for vt in data.vehicle_types()])
    started = time.perf_counter()
    result = pyvrp.solve(data, stop=MaxRuntime(time_limit_s), seed=seed, display=False)
    runtime = time.perf_counter() - started
    best = result.best
    # A client activity's idx counts clients from 0; its location (and the
    # Solomon customer number, depot = 0) is num_depots + idx.
    routes = [[f"v{data.num_depots + a.idx}" for a in route if a.is_client()] for route in best.routes()]
    roster = schedule_routes(inst, routes)
    violations = check(inst.scenario, roster, travel=inst.travel, capacity=inst.capacity)
    return {
        "instance": inst.name,
        "vehicles": best.num_routes(),
        "distance": round(solomon_distance(inst, roster), 2),
        "runtime_s": round(runtime, 2),
        "feasible": not violations and not roster.unassigned and best.is_feasible(),
        "pyvrp_feasible": best.is_feasible(),
        "unassigned": len(roster.unassigned),
        "violations": len(violations),
        "violation_rules": ",".join(sorted({v.rule for v in violations})),
    }


def gaps(row: dict[str, Any], bks: dict[tuple[str, str], dict[str, float]]) -> None:
    name = row["instance"]
    hier = bks.get((name, "hierarchical"))
    dist = bks.get((name, "distance_only"))
    row["bks_vehicles"] = hier["vehicles"] if hier else None
    row["bks_distance"] = hier["distance"] if hier else None
    row["vehicles_match"] = (row["vehicles"] == hier["vehicles"]) if hier else None
    row["gap_pct"] = round(100 * (row["distance"] / hier["distance"] - 1), 2) if hier else float("nan")
    row["gap_dist_only_pct"] = round(100 * (row["distance"] / dist["distance"] - 1), 2) if dist else float("nan")


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    keys = sorted({(r["solver"], r["time_limit_s"]) for r in rows}, key=lambda k: (k[1], k[0]))
    for solver, limit in keys:
        mine = [r for r in rows if r["solver"] == solver and r["time_limit_s"] == limit]
        out.append({"solver": solver, "time_limit_s": limit, **_summary(mine, limit)})
    return out


def summarise_by_class(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`summarise` per instance class (C1 ... RC2), solvers side by side."""
    out = []
    keys = sorted(
        {(instance_class(r["instance"]), r["time_limit_s"], r["solver"]) for r in rows},
        key=lambda k: (k[1], _CLASS_ORDER.get(k[0], 99), k[0], k[2]),
    )
    for cls, limit, solver in keys:
        mine = [
            r
            for r in rows
            if instance_class(r["instance"]) == cls and r["time_limit_s"] == limit and r["solver"] == solver
        ]
        out.append({"class": cls, "solver": solver, "time_limit_s": limit, **_summary(mine, limit)})
    return out


_CLASS_ORDER = {"C1": 0, "C2": 1, "R1": 2, "R2": 3, "RC1": 4, "RC2": 5}


def _summary(mine: list[dict[str, Any]], limit: float) -> dict[str, Any]:
    """Counts, gaps and times of one group of runs (one solver, one limit)."""
    match = [r for r in mine if r["vehicles_match"]]
    return {
        "instances": len(mine),
        "feasible": sum(bool(r["feasible"]) for r in mine),
        "vehicles_match": sum(bool(r["vehicles_match"]) for r in mine),
        "extra_vehicles": sum(max(0, r["vehicles"] - (r["bks_vehicles"] or r["vehicles"])) for r in mine),
        "mean_gap_pct": _common.mean(r["gap_pct"] for r in mine),
        "mean_gap_match_pct": _common.mean(r["gap_pct"] for r in match),
        "max_gap_pct": max((r["gap_pct"] for r in mine), default=float("nan")),
        "mean_gap_dist_only_pct": _common.mean(r["gap_dist_only_pct"] for r in mine),
        "mean_runtime_s": _common.mean(r["runtime_s"] for r in mine),
        "worst_overrun_s": max((r["runtime_s"] - limit for r in mine), default=float("nan")),
        "mean_cpu_s": _common.mean(r["cpu_s"] for r in mine),
    }


def read_runs(path: Path) -> list[dict[str, Any]]:
    """Run rows back from a ``--csv`` file, typed as :func:`main` made them."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for raw in csv.DictReader(fh):
            row: dict[str, Any] = dict(raw)
            for key in _FLOAT_KEYS:
                row[key] = float(raw[key]) if raw.get(key) not in (None, "") else float("nan")
            for key in _INT_KEYS:
                row[key] = int(float(raw[key])) if raw.get(key) not in (None, "") else None
            for key in _BOOL_KEYS:
                row[key] = raw.get(key) == "True"
            rows.append(row)
    return rows


def side_by_side(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], tuple[tuple[str, str, int], ...]]:
    """One row per instance and limit, every solver's vehicles, gap and
    runtime next to each other (the compact table for a whole set)."""
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    out: dict[tuple[str, float], dict[str, Any]] = {}
    for r in rows:
        row = out.setdefault(
            (r["instance"], r["time_limit_s"]),
            {"instance": r["instance"], "time_limit_s": r["time_limit_s"], "bks_vehicles": r["bks_vehicles"]},
        )
        tag = r["solver"]
        row[f"{tag}:vehicles"] = r["vehicles"]
        row[f"{tag}:gap_pct"] = r["gap_pct"]
        row[f"{tag}:feasible"] = r["feasible"]
        row[f"{tag}:overrun_s"] = round(r["runtime_s"] - r["time_limit_s"], 2)
    columns: list[tuple[str, str, int]] = [("instance", "instance", 0), ("time_limit_s", "T s", 0)]
    columns.append(("bks_vehicles", "BKS veh", 0))
    for tag in solvers:
        columns += [
            (f"{tag}:vehicles", f"{tag} veh", 0),
            (f"{tag}:gap_pct", f"{tag} gap %", 2),
            (f"{tag}:feasible", f"{tag} feasible", 0),
            (f"{tag}:overrun_s", f"{tag} overrun s", 2),
        ]
    return list(out.values()), tuple(columns)


def print_tables(rows: list[dict[str, Any]], *, compact: bool = False) -> None:
    """Per run (or, ``compact``, per instance with the solvers side by side),
    then per solver and limit, then per class."""
    if compact:
        table, columns = side_by_side(rows)
        print(_common.markdown_table(table, columns))
    else:
        print(_common.markdown_table(rows, RUN_COLUMNS))
    print()
    print(_common.markdown_table(summarise(rows), SUMMARY_COLUMNS))
    print()
    print(_common.markdown_table(summarise_by_class(rows), CLASS_COLUMNS))


RUN_COLUMNS = (
    ("instance", "instance", 0),
    ("time_limit_s", "T s", 0),
    ("solver", "solver", 0),
    ("vehicles", "vehicles", 0),
    ("bks_vehicles", "BKS veh", 0),
    ("vehicles_match", "veh = BKS", 0),
    ("distance", "distance", 2),
    ("bks_distance", "BKS distance", 2),
    ("gap_pct", "gap %", 2),
    ("gap_dist_only_pct", "gap dist-only %", 2),
    ("feasible", "feasible", 0),
    ("runtime_s", "runtime s", 1),
    ("cpu_s", "CPU s", 1),
)
SUMMARY_COLUMNS = (
    ("solver", "solver", 0),
    ("time_limit_s", "T s", 0),
    ("instances", "instances", 0),
    ("feasible", "feasible", 0),
    ("vehicles_match", "veh = BKS", 0),
    ("extra_vehicles", "extra vehicles", 0),
    ("mean_gap_pct", "mean gap %", 2),
    ("mean_gap_match_pct", "mean gap % (veh = BKS)", 2),
    ("max_gap_pct", "max gap %", 2),
    ("mean_gap_dist_only_pct", "mean gap dist-only %", 2),
    ("mean_runtime_s", "mean runtime s", 1),
    ("worst_overrun_s", "worst overrun s", 2),
    ("mean_cpu_s", "mean CPU s", 1),
)
CLASS_COLUMNS = (("class", "class", 0),) + SUMMARY_COLUMNS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder with <NAME>.txt, bks.csv and vrplib/<NAME>.vrp (default: $PATCHPLAN_BENCH_DATA/solomon)",
    )
    parser.add_argument(
        "--instances",
        nargs="+",
        default=list(DEFAULT_INSTANCES),
        help="instance names, or 'all' for every *.txt of the folder (default: %(default)s)",
    )
    parser.add_argument(
        "--time-limits", type=float, nargs="+", default=[10.0, 30.0], help="seconds per instance (default: 10 30)"
    )
    parser.add_argument("--seed", type=int, default=0, help="solver seed (default 0)")
    parser.add_argument("--no-pyvrp", action="store_true", help="skip PyVRP even if it is installed")
    parser.add_argument(
        "--pyvrp-variants",
        nargs="+",
        choices=("pyvrp", "pyvrp+fleet"),
        default=["pyvrp", "pyvrp+fleet"],
        help="PyVRP objectives to run (default: both)",
    )
    parser.add_argument("--csv", type=Path, default=None, help="also write every run here (after every run)")
    parser.add_argument(
        "--from-csv", type=Path, default=None, help="solve nothing: print the tables of a --csv file written before"
    )
    parser.add_argument(
        "--side-by-side", action="store_true", help="first table: one row per instance, the solvers side by side"
    )
    args = parser.parse_args(argv)
    if args.from_csv is not None:
        if not args.from_csv.is_file():
            parser.error(f"--from-csv {args.from_csv}: no such file")
        print_tables(read_runs(args.from_csv), compact=args.side_by_side)
        return 0
    if args.data is None:
        try:
            args.data = data_folder() / "solomon"
        except InputError as exc:
            parser.error(str(exc))

    bks = read_bks(args.data)
    if args.instances == ["all"]:
        args.instances = all_instances(args.data)
    missing = [name for name in args.instances if not (args.data / f"{name}.txt").is_file()]
    if missing:
        parser.error(f"--instances: no {', '.join(missing)} (.txt) in {args.data}")
    use_pyvrp = not args.no_pyvrp and pyvrp_available()
    if not args.no_pyvrp and not use_pyvrp:
        print("PyVRP is not installed (pip install pyvrp): patchplan only", file=sys.stderr)
    info = _common.machine()
    print(f"machine: {info}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for limit in args.time_limits:
        for name in args.instances:
            txt = args.data / f"{name}.txt"
            vrp = vrplib_copy(args.data, name)
            jobs: list[tuple[str, Any]] = [
                ("patchplan", lambda txt=txt, limit=limit: run_solomon(txt, time_limit_s=limit, seed=args.seed))
            ]
            if use_pyvrp and vrp.exists():
                for variant in args.pyvrp_variants:
                    fleet = variant == "pyvrp+fleet"
                    jobs.append(
                        (
                            variant,
                            lambda fleet=fleet, txt=txt, vrp=vrp, limit=limit: run_pyvrp(
                                txt, vrp, limit, fleet=fleet, seed=args.seed
                            ),
                        )
                    )
            for solver, job in jobs:
                load_before = _common.load()[0]
                cpu0 = _common.cpu_seconds()
                row = {"instance": name, "time_limit_s": limit, "solver": solver, **job()}
                row["cpu_s"] = round(_common.cpu_seconds() - cpu0, 1)
                row["instance"] = name
                row["load1_before"] = load_before
                gaps(row, bks)
                rows.append(row)
                if args.csv:  # rewritten after every run, so a cut-off session keeps what it measured
                    _common.write_csv(args.csv, rows)
                print(
                    f"{name} T={limit:g} {solver}: {row['vehicles']} veh, {row['distance']:.2f} "
                    f"(gap {row['gap_pct']:+.2f}%), feasible={row['feasible']}, {row['runtime_s']:.1f} s "
                    f"(CPU {row['cpu_s']:.1f} s), "
                    f"load {load_before:.2f}",
                    file=sys.stderr,
                )
    print_tables(rows, compact=args.side_by_side)
    return 0


if __name__ == "__main__":
    sys.exit(main())
