"""Solver settings, in one place, with their defaults explained and their values checked.

Every value (constructed in code or read from a ``--params`` TOML file) is
checked once, here: type, finiteness, sign, a sane upper bound, and strategy
names against the names the solver knows.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchplan.core.errors import InputError, Problem


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundsParams:
    """How the rounds solver weighs its goals and how long it searches.

    The objective is a weighted sum whose weights make it close to
    lexicographic: **travel first** (unpaid or poorly paid time, and CO2),
    **then lateness**, **then balance**. One minute of travel costs 100;
    starting a minute past the preferred time (beyond its tolerance) costs
    20, so the solver accepts 5 minutes' lateness only to save more than a
    minute of travel; a minute early costs 10 (less harm than late). A
    minute a carer is out of home (span) costs 1, which trims idle waiting
    between calls without fighting travel. Leaving a visit out costs far
    more than any travel it could save, so visits are dropped only when no
    carer can take them, and then longer visits are kept first.
    """

    travel_weight: int = 100
    late_weight: int = 100
    early_weight: int = 50
    span_weight: int = 0
    #: Per visit a carer takes above the fair share (0 = off). Small: it
    #: only breaks near-ties in favour of spreading work.
    balance_weight: int = 0
    drop_penalty: int = 10_000_000
    drop_per_care_minute: int = 10_000
    #: Working Time Regulations: a 20-minute break in every 6 hours of work.
    break_after_min: int = 360
    break_min: int = 20
    #: Wall-clock limit for the whole call (split across provider-days).
    time_limit_s: float = 10.0
    #: Deterministic budget: stop each provider-day after this many
    #: solutions (same answer on any machine unless the time limit hits first).
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    #: 2: every search also runs, on the second core, from the same start
    #: with ``second_metaheuristic``; the better plan is kept.
    threads: int = 1
    second_metaheuristic: str = "ITERATED_LOCAL_SEARCH"
    #: Cost of using a carer at all (0 for care: carers on shift are paid
    #: anyway; benchmarks that minimise vehicles set it high).
    vehicle_fixed_cost: int = 0
    #: Continuity over a multi-day plan: the most distinct carers a client
    #: should see (0 = no continuity rule). Each client's carers so far are
    #: their team; a visit goes to a team member on shift when one can take
    #: it, and a new carer joins only when none can.
    team_cap: int = 0
    #: With ``team_cap``, give each client a care team for the whole plan
    #: first (CP-SAT over the week's calls and shifts, rounds.careteams),
    #: instead of growing it day by day from the carers so far.
    care_teams: bool = True
    #: Seconds of the plan's budget the care-team model may use at most
    #: (it takes a tenth of the budget, up to this).
    care_teams_time_s: float = 20.0
    #: Never go beyond ``team_cap`` (the visit is left unassigned instead).
    cap_hard: bool = False
    #: Start each client's team from the carers who know them (history).
    prefer_known: bool = False
    #: Cost of a call served by a carer outside its preferred ones (the
    #: client's care team and carers so far, last week's carer, the carer
    #: before a re-plan), as 60 minutes of travel. Without it the search
    #: weighs travel only and spends continuity for it the longer it runs.
    #: Measured on the Maldon week at 180 s (distinct carers a client-week,
    #: travel against the status quo): 0 -> 7.36, -32 %; 2000 -> 6.85, -28 %;
    #: 6000 -> 6.43, -24 %.
    continuity_weight: int = 6000
    #: With preferred carers (care teams), a fresh plan's first search
    #: offers each call only its preferred carers on shift; the calls it
    #: leaves out are offered everyone in the passes after (the floor's
    #: count is kept either way). Measured at 180 s a week: Maldon 6.43 ->
    #: 5.98-6.07 distinct carers a client-week at the same travel;
    #: Colchester 5.75 -> 5.66 for 4 % more travel.
    team_first: bool = True
    #: Over several days, keep a week that serves the status quo's calls
    #: within reach (its rounds are one of each day's floor plans; a day is
    #: planned again within bounds only where the rest of the week would fall
    #: short): the week never serves fewer calls than the status quo
    #: (rounds.weekfloor). Off only to measure what it costs.
    week_floor: bool = True
    #: Neighbourhood teams (Buurtzorg): each client is served only by the
    #: carers of one team (``Carer.team_id``).
    teams_mode: bool = False

    def __post_init__(self) -> None:
        problems = [p for f in dataclasses.fields(self) if (p := _problem(f.name, getattr(self, f.name))) is not None]
        if problems:
            raise InputError([Problem(column=name, value=value, message=message) for name, value, message in problems])

    def replace(self, **changes: Any) -> RoundsParams:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_toml(cls, path: str | Path) -> RoundsParams:
        """Read a ``[rounds]`` table (or a flat file) of overrides.

        Raises
        ------
        InputError
            On an unreadable file or TOML, unknown keys or tables, and values of
            the wrong type or out of range: every problem, each naming the file,
            the key, the value and what is allowed.
        """
        file = Path(path)
        name = file.name
        if file.is_dir():
            raise InputError(
                [Problem(file=name, message=f"{file} is a folder; expected a TOML file of rounds parameters")]
            )
        try:
            data = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
        except OSError as exc:
            raise InputError([Problem(file=name, message=f"cannot be read: {exc.strerror or exc}")]) from None
        except UnicodeDecodeError as exc:
            raise InputError([Problem(file=name, message=f"is not UTF-8 text (byte at offset {exc.start})")]) from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError([Problem(file=name, message=f"is not valid TOML: {exc}")]) from None
        if "rounds" in data:
            others = sorted(k for k in data if k != "rounds")
            if others:  # a flat key beside [rounds] would be silently ignored
                raise InputError(
                    [Problem(file=name, column=k, message="is outside the [rounds] table") for k in others]
                )
            data = data["rounds"]
        if not isinstance(data, dict):
            raise InputError([Problem(file=name, column="rounds", value=data, message="expected a table [rounds]")])
        known = {f.name for f in dataclasses.fields(cls)}
        found: list[Problem] = []
        for key in sorted(data):
            if key not in known:
                found.append(
                    Problem(
                        file=name, column=key, message=f"unknown rounds parameter; known: {', '.join(sorted(known))}"
                    )
                )
            elif (bad := _problem(key, data[key])) is not None:
                found.append(Problem(file=name, column=key, value=bad[1], message=bad[2]))
        if found:
            raise InputError(found)
        return cls(**data)


#: Names OR-Tools' routing solver knows (routing_enums_pb2; a test compares
#: them). Kept here because the core does not import OR-Tools.
FIRST_SOLUTIONS = (
    "AUTOMATIC",
    "PATH_CHEAPEST_ARC",
    "PATH_MOST_CONSTRAINED_ARC",
    "SAVINGS",
    "PARALLEL_SAVINGS",
    "SWEEP",
    "CHRISTOFIDES",
    "BEST_INSERTION",
    "PARALLEL_CHEAPEST_INSERTION",
    "SEQUENTIAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_COST_INSERTION",
    "GLOBAL_CHEAPEST_ARC",
    "LOCAL_CHEAPEST_ARC",
    "FIRST_UNBOUND_MIN_VALUE",
)
METAHEURISTICS = (
    "AUTOMATIC",
    "GREEDY_DESCENT",
    "GUIDED_LOCAL_SEARCH",
    "SIMULATED_ANNEALING",
    "TABU_SEARCH",
    "GENERIC_TABU_SEARCH",
    # Not an OR-Tools enum name: the adapter's iterated local search (ruin and recreate).
    "ITERATED_LOCAL_SEARCH",
)

#: Upper bounds: each weight times the minutes of a day's plan must stay far
#: inside the solver's 64-bit costs (a weight of 10**6 over 10**6 minutes is
#: 10**12), and a time limit past a day is a typo, not a plan.
_LIMITS: dict[str, tuple[float, float]] = {
    "travel_weight": (0, 10**6),
    "late_weight": (0, 10**6),
    "early_weight": (0, 10**6),
    "span_weight": (0, 10**6),
    "balance_weight": (0, 10**6),
    "drop_penalty": (0, 10**12),
    "drop_per_care_minute": (0, 10**9),
    "break_after_min": (1, 10**9),  # 10**9: no breaks (benchmarks)
    "break_min": (0, 240),
    "time_limit_s": (0, 86_400),
    "solution_limit": (1, 10**7),
    "vehicle_fixed_cost": (0, 10**12),
    "continuity_weight": (0, 10**9),
    "team_cap": (0, 100),
    "care_teams_time_s": (0, 3600),
    "threads": (1, 2),
}
_CHOICES = {
    "first_solution": FIRST_SOLUTIONS,
    "metaheuristic": METAHEURISTICS,
    "second_metaheuristic": METAHEURISTICS,
}
_FLOATS = {"time_limit_s", "care_teams_time_s"}
_OPTIONAL = {"solution_limit"}


def _problem(name: str, value: object) -> tuple[str, object, str] | None:
    """(name, value, what is wrong and allowed) for a bad parameter value, or None."""
    if name in _OPTIONAL and value is None:
        return None
    if name in _CHOICES:
        if not isinstance(value, str) or value not in _CHOICES[name]:
            return name, value, f"expected one of {', '.join(_CHOICES[name])}"
        return None
    if name not in _LIMITS:  # a switch
        return None if isinstance(value, bool) else (name, value, "expected true or false")
    low, high = _LIMITS[name]
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if name in _FLOATS:
        if not number or not math.isfinite(value) or not low < value <= high:  # type: ignore[arg-type, operator]
            return name, value, f"expected a number of seconds > {low:g} and <= {high:g}"
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return name, value, f"expected a whole number from {low:g} to {high:g}"
    return None


#: One line per parameter, for docs/input-format.md.
PARAM_HELP = {
    "travel_weight": "cost of one minute of travel",
    "late_weight": "cost of one minute past the preferred start (beyond its tolerance)",
    "early_weight": "cost of one minute before the preferred start (beyond its tolerance)",
    "span_weight": "cost of one minute a carer is out of home (trims idle waiting)",
    "balance_weight": "cost per visit a carer takes above the fair share (0 = off)",
    "drop_penalty": "cost of leaving a visit out (far above any travel it could save)",
    "drop_per_care_minute": "extra cost of leaving a visit out, per minute of care (longer visits kept first)",
    "break_after_min": "minutes of work after which a break is due (Working Time Regulations: 360)",
    "break_min": "length of that break, minutes",
    "time_limit_s": "wall-clock seconds for the whole call (split across provider-days)",
    "solution_limit": "stop each provider-day after this many solutions (deterministic; empty = no limit)",
    "first_solution": "OR-Tools first-solution strategy",
    "metaheuristic": "OR-Tools local-search metaheuristic (or ITERATED_LOCAL_SEARCH: ruin and recreate)",
    "threads": "2: every search also runs on the second core with second_metaheuristic; the better plan is kept",
    "second_metaheuristic": "the metaheuristic of that second search",
    "vehicle_fixed_cost": "cost of using a carer at all (0 for care; benchmarks that minimise vehicles set it high)",
    "team_cap": "most distinct carers a client should see over a multi-day plan (0 = no continuity rule)",
    "care_teams": "with team_cap: give each client a care team for the whole plan first (CP-SAT), then route",
    "care_teams_time_s": "most seconds the care-team model may use (it takes a tenth of the plan's budget)",
    "cap_hard": "never go beyond team_cap (the visit is left unassigned instead)",
    "prefer_known": "start each client's team from the carers who know them",
    "continuity_weight": "cost of a call served by a carer outside its preferred ones (team, last week's carer)",
    "team_first": "with preferred carers: the first search offers a call only them (then everyone, if left out)",
    "week_floor": "over several days, never serve fewer calls than the status quo's week on the same calls",
    "teams_mode": "neighbourhood teams: each client is served only by the carers of one team",
}


def allowed(name: str) -> str:
    """What a parameter accepts, in words (for docs and messages)."""
    if name in _CHOICES:
        return "one of " + ", ".join(f"`{c}`" for c in _CHOICES[name])
    if name not in _LIMITS:
        return "true or false"
    low, high = _LIMITS[name]
    if name in _FLOATS:
        return f"a number > {low:g} and <= {high:,g}"
    return f"a whole number from {low:,g} to {high:,g}" + (" (or absent)" if name in _OPTIONAL else "")
