"""The independent roster checker (plan mode, as in VROOM's ``check``): :func:`check`, :func:`score`.

Nothing here is shared with the solver's model building: every time is
recomputed from the travel model (:mod:`patchplan.check.timing`) and every
rule is re-stated from the domain (:mod:`patchplan.check.rules`, where the
rules are named and listed), so a bug in :mod:`patchplan.rounds.plan` shows up
as a violation. The same code scores any roster (:mod:`patchplan.check.kpis`):
ours, the status quo, or one a coordinator made by hand. This module owns the
walk over a roster that applies the rules in order, and the default scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from patchplan.check.kpis import Kpis, compute_kpis
from patchplan.check.rules import (
    CARER_CHECKS,
    LINK_CHECKS,
    LISTED_CHECKS,
    ROUND_CLOSING,
    ROUND_OPENING,
    SCOPE_CHECKS,
    SERVED_CHECKS,
    STOP_CHECKS,
    WTR_BREAK_MIN,
    WTR_WORK_MIN,
    Context,
    Rule,
    Served,
    Violation,
)
from patchplan.check.timing import TimedRound, time_rounds
from patchplan.core.model import Location, Roster, Scenario
from patchplan.geo.travel import TravelModel, default_travel


def check(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    capacity: int | None = None,
    scope: Iterable[str] | None = None,
) -> tuple[Violation, ...]:
    """Every rule the roster breaks; ``()`` when it is clean.

    Parameters
    ----------
    scope
        Visit ids the roster is responsible for (each must be served or
        unassigned). Default: the placed visits of the roster's provider (all
        providers if it has none) on the days the roster covers.
    """
    return _Checker(scenario, roster, travel, capacity, scope).run()[0]


def score(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    scope: Iterable[str] | None = None,
) -> Kpis:
    """The roster's KPIs, recomputed from the travel model."""
    return _Checker(scenario, roster, travel, None, scope).run()[1]


def check_and_score(
    scenario: Scenario,
    roster: Roster,
    *,
    travel: TravelModel | None = None,
    capacity: int | None = None,
    scope: Iterable[str] | None = None,
) -> tuple[tuple[Violation, ...], Kpis]:
    """Both at once (one pass)."""
    return _Checker(scenario, roster, travel, capacity, scope).run()


class _Checker:
    def __init__(
        self,
        s: Scenario,
        roster: Roster,
        travel: TravelModel | None,
        capacity: int | None,
        scope: Iterable[str] | None,
    ) -> None:
        self.s = s
        self.roster = roster
        self.travel = travel or default_travel(dict(s.settings))
        self.capacity = capacity
        self.scope = set(scope) if scope is not None else self._default_scope()

    def _default_scope(self) -> set[str]:
        meta = dict(self.roster.meta)
        if meta.get("days"):
            days = {int(d) for d in meta["days"].split(",")}
        else:
            days = {r.day for r in self.roster.rounds} | {self.s.visit(u.visit_id).day for u in self.roster.unassigned}
        pid = self.roster.provider_id
        placed = {p.id for p in self.s.packages if p.status == "placed" and (pid is None or p.provider_id == pid)}
        return {v.id for v in self.s.visits if v.package_id in placed and v.day in days}

    def leg(self, a: Location, b: Location, mode: str) -> tuple[int, int]:
        """(minutes, metres) from a to b, straight from the travel model."""
        key = (a.lat, a.lon, a.urban, b.lat, b.lon, b.urban, mode)
        cache = self.__dict__.setdefault("_legs", {})
        if key not in cache:
            minutes, metres = self.travel.matrices([a, b], mode)
            cache[key] = (int(minutes[0, 1]), int(metres[0, 1]))
        return cache[key]

    def run(self) -> tuple[tuple[Violation, ...], Kpis]:
        s = self.s
        ctx = Context(s, self.capacity)
        timed = time_rounds(s, self.roster.rounds, self.leg)
        out: list[Violation] = []
        for r in timed:
            out.extend(_apply(ROUND_OPENING, ctx, r))
            for x in r.stops:
                out.extend(_apply(STOP_CHECKS, ctx, x))
            out.extend(_apply(ROUND_CLOSING, ctx, r))
        served = _served(timed)
        for carer_id, rounds in _by_carer(timed).items():
            out.extend(_apply(CARER_CHECKS, ctx, carer_id, rounds))
        listed: dict[str, int] = defaultdict(int)
        for u in self.roster.unassigned:
            listed[u.visit_id] += 1
        for vid, n in listed.items():
            out.extend(_apply(LISTED_CHECKS, ctx, vid, n, served.get(vid)))
        for vid in sorted(self.scope):
            if vid not in served and vid not in listed:
                out.extend(_apply(SCOPE_CHECKS, ctx, s.visit(vid)))
        for vid, carers in served.items():
            out.extend(_apply(SERVED_CHECKS, ctx, s.visit(vid), carers))
        for link in s.links:
            first, second = served.get(link.first), served.get(link.second)
            if first and second:
                out.extend(_apply(LINK_CHECKS, ctx, link, first, second))
        return tuple(out), compute_kpis(s, self.roster, self.scope, timed, served)


def _apply(checks: Iterable[Any], ctx: Context, *subject: Any) -> Iterator[Violation]:
    """Every violation of ``checks`` on one subject, in registry order."""
    for fn in checks:
        yield from fn(ctx, *subject)


def _served(timed: tuple[TimedRound, ...]) -> dict[str, Served]:
    """Who serves each visit and when: (carer, start), in roster order."""
    served: dict[str, Served] = defaultdict(list)
    for r in timed:
        for x in r.stops:
            served[x.visit.id].append((x.carer.id, x.start))
    return dict(served)


def _by_carer(timed: tuple[TimedRound, ...]) -> dict[str, list[TimedRound]]:
    """Each carer's rounds in time order (carers in order of first round)."""
    out: dict[str, list[TimedRound]] = defaultdict(list)
    for r in timed:
        out[r.carer.id].append(r)
    return {c: sorted(rs, key=lambda r: (r.round.leave, r.back)) for c, rs in out.items()}


__all__ = ["WTR_BREAK_MIN", "WTR_WORK_MIN", "Kpis", "Rule", "Violation", "check", "check_and_score", "score"]
