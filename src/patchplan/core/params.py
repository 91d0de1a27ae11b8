"""Solver settings, in one place, with their defaults explained."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from patchplan.core.errors import InputError


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
    #: Never go beyond ``team_cap`` (the visit is left unassigned instead).
    cap_hard: bool = False
    #: Start each client's team from the carers who know them (history).
    prefer_known: bool = False
    #: Neighbourhood teams (Buurtzorg): each client is served only by the
    #: carers of one team (``Carer.team_id``).
    teams_mode: bool = False

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise InputError(f"rounds parameter {f.name}={value} must be >= 0")
        if self.time_limit_s <= 0:
            raise InputError(f"time_limit_s={self.time_limit_s} must be > 0")

    def replace(self, **changes: Any) -> RoundsParams:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_toml(cls, path: str | Path) -> RoundsParams:
        """Read a ``[rounds]`` table (or a flat file) of overrides.

        Raises
        ------
        InputError
            On unreadable TOML or unknown keys.
        """
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read parameters: {exc}") from None
        data = data.get("rounds", data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{path}: unknown rounds parameters {unknown}; known: {sorted(known)}")
        return cls(**data)
