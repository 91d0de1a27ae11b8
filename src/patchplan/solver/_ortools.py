"""The only module that imports OR-Tools.

OR-Tools' Python API is mid-migration (the 9.15 wheel has no
``ortools.routing`` package; ``SetAllowedVehiclesForIndex`` rejects Python
lists), so every call and every workaround lives here, behind
:func:`solve_routing` and the CP-SAT helpers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from patchplan.core.errors import SolverError
from patchplan.solver.problem import Route, RoutingProblem, RoutingSolution

log = logging.getLogger("patchplan")

#: Not an OR-Tools metaheuristic name: asks for its iterated local search.
ITERATED_LOCAL_SEARCH = "ITERATED_LOCAL_SEARCH"
#: Seconds a start may take to be read before it counts as not accepted
#: (a start is read in well under a second when it is read at all).
READ_WAIT_S = 10.0

#: Routing status codes (RoutingModel.status()) by name.
_STATUS = {
    0: "not_solved",
    1: "success",
    2: "partial_success_local_optimum_not_reached",
    3: "fail",
    4: "fail_timeout",
    5: "invalid",
    6: "infeasible",
    7: "optimal",
}


def allow_vehicles(routing: pywrapcp.RoutingModel, index: int, vehicles: Sequence[int]) -> None:
    """Restrict which vehicles may serve ``index``, keeping it droppable.

    ``RoutingModel.SetAllowedVehiclesForIndex`` raises ``TypeError ...
    absl::Span< int const >`` from Python in ortools 9.15, so the vehicle
    variable's domain is set directly; -1 is "unperformed".
    """
    routing.VehicleVar(index).SetValues([-1, *sorted(vehicles)])


def solve_routing(
    problem: RoutingProblem,
    *,
    time_limit_s: float,
    initial_routes: Sequence[Sequence[int]] | None = None,
    solution_limit: int | None = None,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    log_search: bool = False,
) -> RoutingSolution:
    """Solve a routing problem; dropped nodes are reported, never an error.

    Parameters
    ----------
    time_limit_s
        Wall-clock limit, always honoured.
    initial_routes
        Node sequences per vehicle to start the search from (must be
        feasible for this problem); nodes not in them start unperformed.
    solution_limit
        Stop after this many solutions (a deterministic budget: with it the
        same problem gives the same answer on any machine, as long as the
        time limit is not reached first).

    Raises
    ------
    SolverError
        When OR-Tools cannot even build a first solution (e.g. an empty
        vehicle set with mandatory nodes); infeasible visits are dropped
        instead, so this means a bug or a broken model.
    """
    started = time.perf_counter()
    p = problem
    if not p.nodes:
        return RoutingSolution(routes=(), dropped=(), objective=0, status="empty", wall_s=0.0)
    if not p.vehicles:
        return RoutingSolution(
            routes=(), dropped=tuple(range(len(p.nodes))), objective=0, status="no_vehicles", wall_s=0.0
        )
    model = _Model(p)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first_solution)
    if metaheuristic == ITERATED_LOCAL_SEARCH:
        # OR-Tools 9.15's iterated local search: ruin and recreate, then a
        # greedy descent, accepted by simulated annealing (its defaults).
        params.use_iterated_local_search = True
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
        # OR-Tools ships no default ruin: SISR (string removals, Christiaens &
        # Vanden Berghe 2020, what PyVRP-class solvers use), with its
        # published settings (strings up to 10, 10 calls removed on average).
        ruin = params.iterated_local_search_parameters.ruin_recreate_parameters.ruin_strategies.add()
        ruin.sisr.max_removed_sequence_size = 10
        ruin.sisr.avg_num_removed_visits = 10
        ruin.sisr.bypass_factor = 0.01
        # Temperatures from the objective's own scale (the defaults, 100 to
        # 0.01, are absolute and end the search in a second or two here).
        ils = params.iterated_local_search_parameters
        ils.reference_solution_acceptance_strategy.simulated_annealing.automatic_temperatures = True
    else:
        params.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, metaheuristic)
    if solution_limit is not None:
        params.solution_limit = solution_limit
    params.log_search = log_search
    start = None
    if initial_routes is None:
        from patchplan.solver.construct import greedy_routes

        greedy = greedy_routes(p)
        start = model.routing.ReadAssignmentFromRoutes(
            [[model.manager.NodeToIndex(n) for n in route] for route in greedy], True
        )
        if start is None:
            log.debug("greedy start not accepted by OR-Tools; using its own first solution")
        else:
            initial_routes = greedy
    # The limit covers building the model and the start too: OR-Tools only
    # gets what is left of it.
    left = time_limit_s - (time.perf_counter() - started)
    params.time_limit.FromMilliseconds(max(1, int(left * 1000)))
    _stop_at(model.routing, started + time_limit_s)
    if initial_routes is not None:
        if start is None:
            start = model.routing.ReadAssignmentFromRoutes(
                [[model.manager.NodeToIndex(n) for n in route] for route in initial_routes], True
            )
        if start is None:
            raise SolverError("the initial routes are not feasible for the routing model")
        solution = model.routing.SolveFromAssignmentWithParameters(start, params)
    else:
        solution = model.routing.SolveWithParameters(params)
        if solution is None:
            # The insertion heuristic can fail on tight synchronisations;
            # starting from "nothing served" always works (every node is optional).
            params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.ALL_UNPERFORMED
            solution = model.routing.SolveWithParameters(params)
    if solution is None and start is not None:
        solution = start  # no better plan found in time: keep the feasible start
    if metaheuristic == ITERATED_LOCAL_SEARCH and solution is not None and solution_limit is None:
        solution = _restart_until(model, params, solution, started + time_limit_s)
    status = _STATUS.get(model.routing.status(), str(model.routing.status()))
    if solution is None:
        raise SolverError(f"OR-Tools found no solution (status {status}); the routing model is inconsistent")
    out = model.read(solution)
    return RoutingSolution(
        routes=out[0],
        dropped=out[1],
        objective=int(solution.ObjectiveValue()),
        status=status,
        wall_s=time.perf_counter() - started,
    )


def _restart_until(
    model: _Model, params: object, solution: pywrapcp.Assignment, deadline: float
) -> pywrapcp.Assignment:
    """Iterated local search in OR-Tools 9.15 ends on its own once its
    annealing schedule has run (a second or two here, whatever the limit):
    run it again from the best plan until the deadline."""
    best = solution
    while deadline - time.perf_counter() > 0.5:
        params.time_limit.FromMilliseconds(int((deadline - time.perf_counter()) * 1000))  # type: ignore[attr-defined]
        again = model.routing.SolveFromAssignmentWithParameters(best, params)
        if again is None:
            break
        if again.ObjectiveValue() < best.ObjectiveValue():
            best = again
    return best


def _stop_at(routing: pywrapcp.RoutingModel, deadline: float) -> None:
    """A second guard on the time limit: at every solution found after
    ``deadline`` the search is told to finish. OR-Tools checks its own limit
    between neighbourhoods, and a search that keeps improving on a large day
    can run past it; a Python watchdog thread cannot help (the solve holds
    the interpreter lock), a solution callback can."""

    def check() -> None:
        if time.perf_counter() > deadline:
            routing.solver().FinishCurrentSearch()

    routing.AddAtSolutionCallback(check)


def solve_routing_isolated(
    problem: RoutingProblem, *, time_limit_s: float, grace_s: float = 1.0, **kw: object
) -> RoutingSolution:
    """:func:`solve_routing` in a forked child process that is stopped if it
    is not done ``grace_s`` after its limit. OR-Tools holds the interpreter
    while it solves, and on some starts it does not return for minutes
    (reading a start with synchronised nodes was measured to run far past
    any limit), so only a separate process can keep a plan's time limit.
    Raises SolverError when the child is stopped or fails."""
    started = time.perf_counter()
    answer = _in_child(lambda: solve_routing(problem, time_limit_s=time_limit_s, **kw), time_limit_s + grace_s)  # type: ignore[arg-type]
    if answer is None:
        raise SolverError(f"the routing search did not return within {time_limit_s + grace_s:.1f} s; stopped")
    kind, value = answer
    if kind != "ok":
        raise SolverError(str(value))
    log.debug("isolated search took %.2f s", time.perf_counter() - started)
    assert isinstance(value, RoutingSolution)
    return value


def _in_child(work: Callable[[], object], wait_s: float) -> tuple[str, object] | None:
    """``work()`` in a forked child process: ("ok", its value) or ("error",
    what it raised); None, the child stopped, when it is not done within
    ``wait_s`` seconds."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            send.send(("ok", work()))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which decides
            send.send(("error", f"{type(exc).__name__}: {exc}"))

    worker = ctx.Process(target=child, daemon=True)
    worker.start()
    try:
        if not receive.poll(max(0.1, wait_s)):
            return None
        kind, value = receive.recv()
        return kind, value
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(timeout=1.0)


def solve_routing_twice(
    problem: RoutingProblem,
    *,
    time_limit_s: float,
    initial_routes: Sequence[Sequence[int]],
    second_metaheuristic: str,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    solution_limit: int | None = None,
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
) -> RoutingSolution:
    """Two searches from the same start at once, one in a child process on
    the second core with ``second_metaheuristic``; the lower objective wins
    (the parent's on a tie, so a solution budget stays deterministic). The
    child is forked (the model is rebuilt there: OR-Tools objects do not
    cross processes), and it gets the same wall-clock limit."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork")) as pool:
        other = pool.submit(
            solve_routing,
            problem,
            time_limit_s=time_limit_s,
            initial_routes=initial_routes,
            solution_limit=solution_limit,
            first_solution=first_solution,
            metaheuristic=second_metaheuristic,
        )
        mine = solve_routing(
            problem,
            time_limit_s=time_limit_s,
            initial_routes=initial_routes,
            solution_limit=solution_limit,
            first_solution=first_solution,
            metaheuristic=metaheuristic,
        )
        try:
            theirs = other.result(timeout=max(1.0, time_limit_s - (time.perf_counter() - started) + 1.0))
        except Exception:  # the second search is a bonus: the first answer stands
            log.debug("second search failed", exc_info=True)
            return mine
    return theirs if theirs.objective < mine.objective else mine


class _Model:
    """Builds the OR-Tools model of a RoutingProblem and reads solutions."""

    def __init__(self, p: RoutingProblem) -> None:
        self.p = p
        n, v = len(p.nodes), len(p.vehicles)
        self.n = n
        starts = [n + 2 * k for k in range(v)]
        ends = [n + 2 * k + 1 for k in range(v)]
        points = np.array(
            [x.point for x in p.nodes]
            + [
                pt
                for veh in p.vehicles
                for pt in (veh.point if veh.start_point is None else veh.start_point, veh.point)
            ]
        )
        service = np.array([x.duration for x in p.nodes] + [0] * (2 * v), dtype=np.int64)
        self.manager = pywrapcp.RoutingIndexManager(n + 2 * v, v, starts, ends)
        self.routing = routing = pywrapcp.RoutingModel(self.manager)
        solver = routing.solver()
        transit_of: dict[int, int] = {}
        cost_of: dict[int, int] = {}
        for prof in sorted({veh.profile for veh in p.vehicles}):
            travel = p.times[prof][np.ix_(points, points)].astype(np.int64)
            # Matrices are indexed by manager node; transit includes the
            # service time at the "from" node, cost is travel only.
            transit_of[prof] = routing.RegisterTransitMatrix((travel + service[:, None]).tolist())
            cost_of[prof] = routing.RegisterTransitMatrix((travel * p.weights.travel).tolist())
        for k, veh in enumerate(p.vehicles):
            routing.SetArcCostEvaluatorOfVehicle(cost_of[veh.profile], k)
            if veh.fixed_cost:
                routing.SetFixedCostOfVehicle(veh.fixed_cost, k)
        horizon = max(max(veh.end for veh in p.vehicles), max(x.late + x.duration for x in p.nodes)) + 1
        routing.AddDimensionWithVehicleTransits(
            [transit_of[veh.profile] for veh in p.vehicles], horizon, horizon, False, "Time"
        )
        self.time = time_dim = routing.GetDimensionOrDie("Time")
        if p.weights.span:
            time_dim.SetSpanCostCoefficientForAllVehicles(p.weights.span)
        for k, veh in enumerate(p.vehicles):
            # A carer already out (re-planning mid-day) is on the clock from
            # ``start``: waiting there counts as work, so the start is fixed.
            out_already = veh.start_point is not None
            time_dim.CumulVar(routing.Start(k)).SetRange(veh.start, veh.start if out_already else veh.end)
            time_dim.CumulVar(routing.End(k)).SetRange(veh.start, veh.end)
            time_dim.SetSpanUpperBoundForVehicle(veh.max_work, k)
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(k)))
            if not out_already:
                routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(k)))
        self._breaks(service)
        self._capacity()
        self._balance()
        self._continuity()
        for i, node in enumerate(p.nodes):
            index = self.manager.NodeToIndex(i)
            time_dim.CumulVar(index).SetRange(node.early, node.late)
            allow_vehicles(routing, index, node.allowed)
            routing.AddDisjunction([index], node.penalty)
            if node.target is not None and node.soft:
                if p.weights.late:
                    time_dim.SetCumulVarSoftUpperBound(index, node.target + node.tolerance, p.weights.late)
                if p.weights.early:
                    time_dim.SetCumulVarSoftLowerBound(index, max(0, node.target - node.tolerance), p.weights.early)
        big = horizon + 10 * len(p.vehicles) + 10
        for sync in p.syncs:
            ia, ib = self.manager.NodeToIndex(sync.a), self.manager.NodeToIndex(sync.b)
            ca, cb = time_dim.CumulVar(ia), time_dim.CumulVar(ib)
            aa, ab = routing.ActiveVar(ia), routing.ActiveVar(ib)
            # "Both or neither" is not posted as active(a) == active(b):
            # insertion heuristics add one node at a time and could never
            # insert either. The caller strips a half-served pair instead.
            both = solver.Min(aa, ab)
            # The gap binds only when both are served (M is larger than any time).
            solver.Add(cb - ca >= sync.min_gap - big * (1 - both))
            solver.Add(cb - ca <= sync.max_gap + big * (1 - both))
            # Different carers: -1 (dropped) is shifted out of the way.
            solver.Add(routing.VehicleVar(ia) + big * (1 - aa) != routing.VehicleVar(ib))

    def _breaks(self, service: np.ndarray) -> None:
        """WTR: no more than ``break_after`` minutes without a break of
        ``break_min`` (time before leaving and after getting home counts as
        rest, so short rounds need none)."""
        routing, solver = self.routing, self.routing.solver()
        visit_transit = [int(service[self.manager.IndexToNode(i)]) for i in range(routing.Size())]
        self.break_vars: list[list[object]] = []
        for k, veh in enumerate(self.p.vehicles):
            if veh.break_after is None or veh.max_work <= veh.break_after:
                self.break_vars.append([])
                continue
            count = max(1, -(-veh.max_work // veh.break_after) - 1)
            breaks = [
                solver.FixedDurationIntervalVar(veh.start, veh.end, veh.break_min, True, f"break {k}.{j}")
                for j in range(count)
            ]
            self.time.SetBreakIntervalsOfVehicle(breaks, k, visit_transit)
            self.time.SetBreakDistanceDurationOfVehicle(veh.break_after, veh.break_min, k)
            self.break_vars.append(breaks)

    def _capacity(self) -> None:
        if all(veh.capacity is None for veh in self.p.vehicles):
            return
        loads = [x.load for x in self.p.nodes] + [0] * (2 * len(self.p.vehicles))
        cb = self.routing.RegisterUnaryTransitVector(loads)
        caps = [veh.capacity if veh.capacity is not None else sum(loads) for veh in self.p.vehicles]
        self.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "Load")

    def _balance(self) -> None:
        """Soft cap on visits per carer: spreads work when it costs little travel."""
        p = self.p
        if p.balance_visits is None or not p.weights.balance:
            return
        ones = [1] * len(p.nodes) + [0] * (2 * len(p.vehicles))
        cb = self.routing.RegisterUnaryTransitVector(ones)
        self.routing.AddDimension(cb, 0, len(p.nodes) + 1, True, "Count")
        count = self.routing.GetDimensionOrDie("Count")
        for k in range(len(p.vehicles)):
            count.SetCumulVarSoftUpperBound(self.routing.End(k), p.balance_visits, p.weights.balance)

    def _continuity(self) -> None:
        """A cost per node served outside its preferred vehicles: a
        per-vehicle unary transit summed by a dimension whose span is costed
        (OR-Tools has no vehicle-dependent node cost of its own; one vector
        per vehicle is cheap where a matrix per vehicle would not be)."""
        p = self.p
        if not p.weights.outsider or not any(x.preferred for x in p.nodes):
            return
        tail = [0] * (2 * len(p.vehicles))
        preferred = [frozenset(x.preferred) for x in p.nodes]
        callbacks = [
            self.routing.RegisterUnaryTransitVector(
                [p.weights.outsider if pref and k not in pref else 0 for pref in preferred] + tail
            )
            for k in range(len(p.vehicles))
        ]
        self.routing.AddDimensionWithVehicleTransits(
            callbacks, 0, p.weights.outsider * (len(p.nodes) + 1), True, "Continuity"
        )
        self.routing.GetDimensionOrDie("Continuity").SetSpanCostCoefficientForAllVehicles(1)

    def read(self, solution: pywrapcp.Assignment) -> tuple[tuple[Route, ...], tuple[int, ...]]:
        routing, manager, time_dim = self.routing, self.manager, self.time
        routes = []
        served: set[int] = set()
        for k in range(len(self.p.vehicles)):
            index = routing.Start(k)
            nodes, starts = [], []
            leave = solution.Value(time_dim.CumulVar(index))
            index = solution.Value(routing.NextVar(index))
            while not routing.IsEnd(index):
                node = manager.IndexToNode(index)
                nodes.append(node)
                starts.append(solution.Value(time_dim.CumulVar(index)))
                served.add(node)
                index = solution.Value(routing.NextVar(index))
            if nodes:
                back = solution.Value(time_dim.CumulVar(index))
                routes.append(Route(vehicle=k, nodes=tuple(nodes), starts=tuple(starts), leave=leave, back=back))
        dropped = tuple(i for i in range(self.n) if i not in served)
        return tuple(routes), dropped


def solve_allocation(
    options: Sequence[Sequence[tuple[int, int]]],
    needs: Sequence[Mapping[Any, int]],
    capacity: Mapping[tuple[int, Any], int],
    *,
    time_limit_s: float,
    seed: int = 0,
    hint: Sequence[int | None] | None = None,
) -> list[int | None]:
    """Give each item at most one of its options, within capacity, maximising
    the summed scores (CP-SAT).

    Parameters
    ----------
    options
        Per item: (resource owner, score) pairs it may go to.
    needs
        Per item: amount used of each capacity key when placed.
    capacity
        (owner, key) -> amount available; a missing key means none.

    Returns
    -------
    list
        Per item: the chosen owner, or None.

    Raises
    ------
    SolverError
        When CP-SAT reports the model invalid.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    usage: dict[tuple[int, object], list[tuple[int, cp_model.IntVar]]] = {}
    objective = []
    for i, opts in enumerate(options):
        chosen = []
        for owner, score in opts:
            var = model.new_bool_var(f"x{i}_{owner}")
            x[(i, owner)] = var
            chosen.append(var)
            objective.append(score * var)
            for key, amount in needs[i].items():
                usage.setdefault((owner, key), []).append((amount, var))
        if chosen:
            model.add_at_most_one(chosen)
    for (owner, key), terms in usage.items():
        model.add(sum(a * v for a, v in terms) <= capacity.get((owner, key), 0))
    model.maximize(sum(objective))
    if hint is not None:
        for (i, owner), var in x.items():
            model.add_hint(var, hint[i] == owner)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s)
    solver.parameters.random_seed = seed
    # One worker: the same seed gives the same allocation on any machine.
    solver.parameters.num_workers = 1
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverError(f"CP-SAT could not allocate (status {solver.StatusName(status)})")
    out: list[int | None] = [None] * len(options)
    for (i, owner), var in x.items():
        if solver.Value(var):
            out[i] = owner
    return out


def solve_teams(
    members: Sequence[Sequence[tuple[int, int]]],
    calls: Sequence[tuple[int, int, Sequence[tuple[int, int]], Sequence[tuple[object, int]]]],
    capacity: dict[tuple[int, object], int],
    *,
    team_cap: int,
    cover_weight: int,
    time_limit_s: float,
    seed: int = 0,
    hint: Sequence[Sequence[int]] | None = None,
    hint_calls: Sequence[Sequence[int]] | None = None,
    deterministic: bool = False,
) -> tuple[list[list[int]], list[bool]] | None:
    """Choose a team (at most ``team_cap`` members) per client so that the
    calls team members can take are as many as possible, then the members'
    scores are as high as possible (CP-SAT).

    Parameters
    ----------
    members
        Per client: (carer, score) pairs it may have in its team.
    calls
        Per call: (client, carers needed, (carer able to take it, score of
        that carer taking it), (capacity key, amount the call uses of it)).
    capacity
        (carer, key) -> amount available; a missing key means no limit.
    cover_weight
        Worth of one carer-call covered (above any member score sum).
    hint, hint_calls
        A start: per client its team, per call the carers taking it (a
        feasible assignment, e.g. a greedy one).
    deterministic
        Bound the search by CP-SAT's deterministic time (``time_limit_s`` of
        it) instead of the clock, so the same input gives the same teams on
        any machine and load (the wall clock then caps it at ten times).

    Returns
    -------
    tuple or None
        Per client the chosen carers, per call whether team members cover
        it; None when CP-SAT found nothing in its time (keep the hint).
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x: list[dict[int, cp_model.IntVar]] = []
    objective = []
    for i, opts in enumerate(members):
        row = {k: model.new_bool_var(f"m{i}_{k}") for k, _ in opts}
        x.append(row)
        if row:
            model.add(sum(row.values()) <= team_cap)
        objective += [score * row[k] for k, score in opts]
    usage: dict[tuple[int, object], list[tuple[int, cp_model.IntVar]]] = {}
    covered = []
    for j, (i, need, able, uses) in enumerate(calls):
        ys = []
        start = set(hint_calls[j]) if hint_calls is not None else None
        for k, score in able:
            if k not in x[i]:
                continue
            y = model.new_bool_var(f"y{j}_{k}")
            model.add_implication(y, x[i][k])
            ys.append(y)
            objective.append(score * y)
            if start is not None:
                model.add_hint(y, k in start)
            for key, amount in uses:
                usage.setdefault((k, key), []).append((amount, y))
        cov = model.new_bool_var(f"c{j}")
        model.add(sum(ys) == need * cov) if ys else model.add(cov == 0)
        if start is not None:
            model.add_hint(cov, len(start) >= need > 0)
        covered.append(cov)
        objective.append(cover_weight * need * cov)
    for key, terms in usage.items():
        if key in capacity:
            model.add(sum(a * v for a, v in terms) <= capacity[key])
    model.maximize(sum(objective))
    if hint is not None:
        for i, team in enumerate(hint):
            for k, var in x[i].items():
                model.add_hint(var, k in team)
    solver = cp_model.CpSolver()
    if deterministic:
        solver.parameters.max_deterministic_time = max(0.1, time_limit_s)
        solver.parameters.max_time_in_seconds = max(1.0, 10 * time_limit_s)
    else:
        solver.parameters.max_time_in_seconds = max(0.1, time_limit_s)
    solver.parameters.random_seed = seed
    # Several subsolvers (large neighbourhood search among them) interleaved
    # on one thread: deterministic for a seed, and far better here than the
    # single sequential search, which never improved the greedy start.
    solver.parameters.num_workers = 8
    solver.parameters.interleave_search = True
    status = solver.Solve(model)
    if status == cp_model.UNKNOWN:
        return None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverError(f"CP-SAT found no care teams (status {solver.StatusName(status)})")
    teams = [[k for k, var in row.items() if solver.Value(var)] for row in x]
    return teams, [bool(solver.Value(c)) for c in covered]


def routes_feasible(problem: RoutingProblem, routes: Sequence[Sequence[int]], wait_s: float = READ_WAIT_S) -> bool:
    """Whether OR-Tools accepts ``routes`` as a solution of ``problem``.

    Checked in a child process: on some starts OR-Tools' reading does not
    return for minutes, holding the interpreter (measured: a template week's
    day of Maldon, and the floor of another as a last pass's start). A start
    not read within ``wait_s`` seconds is not accepted."""
    if not problem.nodes or not problem.vehicles:
        return not any(routes)
    answer = _in_child(lambda: _read_start(problem, routes), wait_s)
    if answer is None:
        log.warning("a start was not read within %.0f s; it is not used", wait_s)
        return False
    kind, value = answer
    if kind != "ok":
        raise SolverError(str(value))
    return bool(value)


def _read_start(problem: RoutingProblem, routes: Sequence[Sequence[int]]) -> bool:
    model = _Model(problem)
    start = model.routing.ReadAssignmentFromRoutes(
        [[model.manager.NodeToIndex(n) for n in route] for route in routes], True
    )
    return start is not None
