"""The rota's floor on continuity (issue 14, "a rota built around runs"): per district, the
generated workforce, the per-client lower bound on distinct carers per client-week and the
status quo's unassigned calls and travel, for the district's largest framework provider.

Protocol
--------
1. Generate one district with :func:`patchplan.essex.generator.essex` (seed ``--seed``, scale 1),
   timed (wall clock, generation includes the status-quo roster).
2. Count the district's carers, their shift hours a week and the care hours of the placed
   personal-care and night packages; the status quo's unassigned calls over the district
   (``check_and_score(s, s.status_quo)``).
3. For the largest framework provider (:func:`patchplan.rounds.plan.largest_provider`): the
   per-client lower bound (``benchmarks/essex_week.py``'s :func:`client_lower_bounds`, a short
   CP-SAT per client, ``--bound-time`` seconds each) and the status quo restricted to it
   (``status_quo_for``): unassigned calls and travel minutes by the independent checker.

No plan is solved here (only the bound), so it is cheap; the numbers do not depend on load except
the generation time and which bounds are proven within ``--bound-time``.

Usage::

    python benchmarks/rota_runs.py --districts Maldon Basildon Colchester --bound-time 2 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from _common import machine_line as machine
from essex_week import _carer_type, client_lower_bounds

from patchplan.check.checker import check_and_score
from patchplan.essex.generator import essex
from patchplan.rounds.plan import largest_provider
from patchplan.rounds.statusquo import status_quo_for


def district_row(name: str, seed: int, bound_time: float) -> dict[str, Any]:
    """The rota, the bound and the status quo of one district (see the module docstring)."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    s = essex(district=name, seed=seed)
    gen_s = time.perf_counter() - t0
    shift_h = sum(sh.end - sh.start for sh in s.shifts) / 60
    care_h = sum(p.hours_week for p in s.packages if p.status == "placed")
    _, k_all = check_and_score(s, s.status_quo)
    pid = largest_provider(s)
    days = list(range(s.days))
    sq = status_quo_for(s, pid, days)
    _, k = check_and_score(s, sq)
    t0 = time.perf_counter()
    bounds = client_lower_bounds(s, pid, days, bound_time)
    bound_s = time.perf_counter() - t0
    lb = [b for b, _ in bounds.values()]
    kinds: dict[str, int] = defaultdict(int)
    for c in s.carers_of(pid):
        kinds[_carer_type(s, c.id)] += 1
    return {
        "district": name,
        "seed": seed,
        "generate_s": round(gen_s, 1),
        "load1_before": round(load, 2),
        "carers": len(s.carers),
        "shift_h_week": round(shift_h),
        "care_h_week": round(care_h),
        "shift_h_per_care_h": round(shift_h / care_h, 3),
        "carers_per_100_care_h": round(100 * len(s.carers) / care_h, 2),
        "sq_unassigned_district": k_all.visits_unassigned,
        "provider": pid,
        "provider_visits": len(s.visits_of_provider(pid, days)),
        "provider_carers": len(s.carers_of(pid)),
        "provider_carer_types": dict(sorted(kinds.items())),
        "sq_unassigned": k.visits_unassigned,
        "sq_travel_min": k.travel_min,
        "sq_distinct_mean": k.distinct_carers_per_client_mean,
        "bound_mean": round(float(np.mean(lb)), 2),
        "bound_p90": round(float(np.percentile(lb, 90)), 1),
        "bound_hist": {str(v): lb.count(v) for v in sorted(set(lb))},
        "bound_proven": f"{sum(1 for _, ok in bounds.values() if ok)}/{len(lb)}",
        "bound_s": round(bound_s, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--districts", nargs="+", default=["Maldon", "Basildon", "Colchester"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bound-time", type=float, default=2.0, help="CP-SAT seconds per client (default 2)")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows and machine here")
    args = parser.parse_args(argv)
    rows = []
    for name in args.districts:
        row = district_row(name, args.seed, args.bound_time)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
