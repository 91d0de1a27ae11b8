"""Why patchplan beats the published BRKGA values on small HHCRSP instances.

The best published results for the Mankowska et al. (2014) instances come
from the BRKGA of Kummer Neto et al. (GECCO 2020, ``afkummer/gecco2020-brkga``).
Its decoder (``SortingDecoder.cpp`` / ``Solution.cpp`` there, re-implemented
here from their description; no code copied) turns a chromosome into a
**task order** of the patients and then, for each patient in that order:

* tries every vehicle (every ordered pair of distinct vehicles for a double
  service) that has the skills, *appending* the patient at the end of those
  vehicles' routes;
* times it at the earliest possible start (``max(e, arrival)``; a
  precedence pair starts the second service at ``max(arrival, first +
  mind)`` and, if the gap exceeds ``maxd``, delays the first);
* keeps the choice with the lowest running objective (distance + total
  tardiness + max tardiness; first found on ties) and never revisits it.

So the genetic algorithm searches over task orders only; the assignment of
patients to vehicles is greedy. This script

1. enumerates **every** task order of a small instance (depth-first with
   the exact bound "partial cost only grows") and reports the best value
   the decoder can reach;
2. plans the instance with patchplan (:func:`patchplan.bench.run.hhcrsp_params`)
   and reports its objective and checker result;
3. re-times patchplan's routes at their earliest starts as the decoder would
   (:func:`patchplan.bench.formats.schedule_routes`) to show whether timing
   (waiting) or routing makes the difference;
4. checks whether any task order makes the decoder build patchplan's routes.

Usage::

    python benchmarks/brkga_decoder.py                 # InstanzCPLEX_HCSRP_10_1
    python benchmarks/brkga_decoder.py --instance InstanzCPLEX_HCSRP_10_5 --time-limit 10

Only practical up to about 10-12 patients (the search is exponential).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from patchplan.bench.run import hhcrsp_params
from patchplan.bench.formats import DEFAULT_DATA, BenchInstance, hhcrsp_objective, read_hhcrsp, schedule_routes
from patchplan.check.checker import check
from patchplan.core.model import Visit
from patchplan.rounds.plan import plan_rounds


@dataclass(frozen=True)
class State:
    """The decoder's partial solution."""

    at: dict[str, int]  # vehicle -> node
    free: dict[str, float]  # vehicle -> leave time
    routes: dict[str, tuple[str, ...]]
    dist: float = 0.0
    tard: float = 0.0
    tmax: float = 0.0

    def bound(self) -> float:
        return self.dist + self.tard + self.tmax


class Decoder:
    def __init__(self, inst: BenchInstance) -> None:
        self.inst = inst
        s = inst.scenario
        self.d = inst.distance
        self.vehicles = [c.id for c in s.carers]
        self.skills = {c.id: c.skills for c in s.carers}
        self.tasks: dict[str, list[Visit]] = {}
        for v in s.visits:
            self.tasks.setdefault(v.client_id, []).append(v)
        self.link = {s.visit(lk.first).client_id: lk for lk in s.links}

    def start(self) -> State:
        vs = self.vehicles
        return State({v: 0 for v in vs}, {v: 0.0 for v in vs}, {v: () for v in vs})

    def append(self, st: State, patient: str) -> State:
        """Append one patient greedily (the decoder's inner loop)."""
        inst, d = self.inst, self.d
        visits = self.tasks[patient]
        node = inst.node_of_visit[visits[0].id]
        e = visits[0].early / inst.scale
        due = inst.due[visits[0].id]
        best: tuple[float, State] | None = None
        for v0 in self.vehicles:
            if not visits[0].skills <= self.skills[v0]:
                continue
            a0 = max(e, st.free[v0] + d[st.at[v0], node])
            if len(visits) == 1:
                t = max(0.0, a0 - due)
                legs = [(v0, visits[0], a0)]
                cand = self._with(st, node, legs, d[st.at[v0], node], t, t)
                if best is None or cand.bound() < best[0]:
                    best = (cand.bound(), cand)
                continue
            link = self.link[patient]
            for v1 in self.vehicles:
                if v1 == v0 or not visits[1].skills <= self.skills[v1]:
                    continue
                a1 = max(e, st.free[v1] + d[st.at[v1], node])
                inc = d[st.at[v0], node] + d[st.at[v1], node]
                if link.max_gap == 0:  # simultaneous
                    s0 = s1 = max(a0, a1)
                    t = max(0.0, s0 - due)
                    tard, worst = 2 * t, t
                else:  # precedence
                    s0 = a0
                    s1 = max(a1, s0 + link.min_gap / inst.scale)
                    s0 += max(0.0, (s1 - s0) - link.max_gap / inst.scale)
                    t0, t1 = max(0.0, s0 - due), max(0.0, s1 - due)
                    tard, worst = t0 + t1, max(t0, t1)
                cand = self._with(
                    st,
                    node,
                    [(v0, visits[0], s0), (v1, visits[1], s1)],
                    inc,
                    tard,
                    worst,
                    simultaneous=link.max_gap == 0,
                )
                if best is None or cand.bound() < best[0]:
                    best = (cand.bound(), cand)
        assert best is not None, f"no vehicle can serve {patient}"
        return best[1]

    def _with(
        self,
        st: State,
        node: int,
        legs: Sequence[tuple[str, Visit, float]],
        inc: float,
        tard: float,
        worst: float,
        simultaneous: bool = False,
    ) -> State:
        at, free, routes = dict(st.at), dict(st.free), dict(st.routes)
        longest = max(v.duration_min for _, v, _ in legs) / self.inst.scale
        for veh, visit, start in legs:
            at[veh] = node
            free[veh] = start + (longest if simultaneous else visit.duration_min / self.inst.scale)
            routes[veh] = routes[veh] + (visit.id,)
        return replace(
            st, at=at, free=free, routes=routes, dist=st.dist + inc, tard=st.tard + tard, tmax=max(st.tmax, worst)
        )

    def finish(self, st: State) -> float:
        back = sum(self.d[st.at[v], 0] for v in self.vehicles)
        return (st.dist + back + st.tard + st.tmax) / 3

    def decode(self, order: Sequence[str]) -> tuple[float, dict[str, tuple[str, ...]]]:
        st = self.start()
        for p in order:
            st = self.append(st, p)
        return self.finish(st), st.routes

    def best(self) -> tuple[float, dict[str, tuple[str, ...]], int]:
        """Best decoded value over all task orders (exact: costs only grow)."""
        found: list = [float("inf"), None, 0]

        def dfs(st: State, left: list[str]) -> None:
            if not left:
                found[2] += 1
                value = self.finish(st)
                if value < found[0]:
                    found[0], found[1] = value, st.routes
                return
            if st.bound() / 3 >= found[0] - 1e-9:
                return
            for p in left:
                dfs(self.append(st, p), [q for q in left if q != p])

        dfs(self.start(), sorted(self.tasks))
        return found[0], found[1], found[2]


def orders_consistent(chains: list[list[str]]) -> Iterator[tuple[str, ...]]:
    """Every patient order that keeps each route's order (a patient with two
    services sits on two routes)."""
    if all(not c for c in chains):
        yield ()
        return
    for head in sorted({c[0] for c in chains if c}):
        if all(c[0] == head for c in chains if head in c):
            rest = [c[1:] if c and c[0] == head else c for c in chains]
            for tail in orders_consistent(rest):
                yield (head, *tail)


def same_routes(a: dict[str, tuple[str, ...]], b: dict[str, list[str]]) -> bool:
    """Equal up to which copy of a simultaneous pair a vehicle does (their
    services are interchangeable when both vehicles hold both skills)."""

    def key(r: dict[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
        return {v: tuple(x.split("s")[0] for x in r.get(v, ())) for v in set(a) | set(b)}

    return key(a) == key(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA / "hhcrsp" / "mankowska2014",
        help="folder with instances/ (default %(default)s)",
    )
    parser.add_argument("--instance", default="InstanzCPLEX_HCSRP_10_1")
    parser.add_argument("--time-limit", type=float, default=10.0, help="patchplan seconds (default 10)")
    args = parser.parse_args(argv)

    inst = read_hhcrsp(args.data / "instances" / f"{args.instance}.txt")
    dec = Decoder(inst)
    t0 = time.perf_counter()
    value, routes, complete = dec.best()
    print(
        f"{inst.name}: best BRKGA-decoder value over all task orders = {value:.3f} "
        f"({complete} complete orders evaluated after pruning, {time.perf_counter() - t0:.1f} s)"
    )
    for veh, r in routes.items():
        print(f"  {veh}: {' '.join(r)}")

    roster = plan_rounds(inst.scenario, "BENCH", travel=inst.travel, params=hhcrsp_params(args.time_limit)).roster
    ours = hhcrsp_objective(inst, roster)
    print(
        f"patchplan ({args.time_limit:g} s): objective {ours['objective']:.3f} (distance {ours['distance']:.3f}, "
        f"tardiness {ours['total_tardiness']:.3f} + max {ours['max_tardiness']:.3f}), "
        f"unassigned {ours['unassigned']}, checker violations "
        f"{len(check(inst.scenario, roster, travel=inst.travel))}"
    )
    for rnd in roster.rounds:
        stops = ", ".join(f"{st.visit_id}@{st.start / inst.scale:.2f}" for st in rnd.stops)
        print(f"  {rnd.carer_id}: {stops}")
    plan = {rnd.carer_id: [st.visit_id for st in rnd.stops] for rnd in roster.rounds}
    early = schedule_routes(inst, plan)
    re_timed = hhcrsp_objective(inst, early)
    print(
        f"the same routes at earliest starts (decoder timing): objective {re_timed['objective']:.3f}, "
        f"checker violations {len(check(inst.scenario, early, travel=inst.travel))}"
    )
    for rnd in early.rounds:
        stops = ", ".join(f"{st.visit_id}@{st.start / inst.scale:.2f}" for st in rnd.stops)
        print(f"  {rnd.carer_id}: {stops}")
    chains = [[inst.scenario.visit(v).client_id for v in r] for r in plan.values()]
    orders = list(orders_consistent(chains))
    hits = [o for o in orders if same_routes(dec.decode(o)[1], plan)]
    print(
        f"task orders consistent with patchplan's routes: {len(orders)}; "
        f"orders the decoder turns into those routes: {len(hits)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
