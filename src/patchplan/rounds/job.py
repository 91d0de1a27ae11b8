"""The rounds job's policy, in one place for the CLI, the demo and the
service: the default budget and continuity of a week, and a plan put
beside the status-quo coordinator's roster, both scored by the same
independent checker over the same visits."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from patchplan.check.checker import Kpis, Violation, check_and_score
from patchplan.core.model import Roster, Scenario
from patchplan.core.params import RoundsParams
from patchplan.rounds.plan import RoundsPlan, plan_rounds
from patchplan.rounds.statusquo import status_quo_for

#: Most distinct carers a client should see in a week, when not given.
WEEK_TEAM_CAP = 3
#: Wall-clock seconds a provider-day gets by default: what a 500-visit day
#: needs to improve travel well beyond the floor (benchmarks/README.md).
SECONDS_PER_DAY = 60.0
#: A week's default budget is capped here (five minutes).
MAX_DEFAULT_SECONDS = 300.0


def default_time_limit(n_days: int) -> float:
    """The default wall-clock budget for planning ``n_days`` days."""
    return min(MAX_DEFAULT_SECONDS, SECONDS_PER_DAY * max(1, n_days))


def week_days(s: Scenario, first: int) -> list[int]:
    """The days of the week that starts on day ``first``, as far as the
    scenario's horizon goes (fewer than seven near its end)."""
    return [d for d in range(first, first + 7) if d < s.days]


def week_params(params: RoundsParams, team_cap: int | None = None) -> RoundsParams:
    """A week's parameters: continuity of carer on (``team_cap``, default
    :data:`WEEK_TEAM_CAP`)."""
    return params.replace(team_cap=WEEK_TEAM_CAP if team_cap is None else team_cap)


@dataclass(frozen=True)
class RoundsReport:
    """A plan, what the independent checker says of it, and the status quo
    over the same provider and days."""

    plan: RoundsPlan
    violations: tuple[Violation, ...]
    kpis: Kpis
    status_quo: Roster | None
    status_quo_kpis: Kpis | None

    @property
    def roster(self) -> Roster:
        return self.plan.roster

    def headline(self, compare: Sequence[str]) -> dict[str, Any]:
        """The plan's KPIs, the status quo's for the keys in ``compare``
        (prefixed ``status_quo_``), what the floor served and the solver's
        status, the checker's violations."""
        out: dict[str, Any] = {
            "provider": self.plan.provider,
            "days": ",".join(str(d) for d in self.plan.days),
            **self.kpis.as_dict(),
        }
        if self.status_quo_kpis is not None:
            theirs = self.status_quo_kpis.as_dict()
            out.update({f"status_quo_{k}": v for k, v in theirs.items() if k in compare})
        reasons: dict[str, int] = {}
        for b in self.plan.continuity_breaks:
            reasons[b.reason] = reasons.get(b.reason, 0) + 1
        out.update(
            start_served=self.plan.start_served,
            solver_status=self.plan.status,
            care_teams=None if self.plan.care_teams is None else len(self.plan.care_teams.teams),
            continuity_breaks=len(self.plan.continuity_breaks),
            continuity_breaks_by_reason=dict(sorted(reasons.items())),
            unassigned_visits=self.kpis.visits_unassigned,
            violations=len(self.violations),
        )
        return out


def plan_and_score(
    s: Scenario,
    provider: str,
    days: list[int] | None,
    *,
    params: RoundsParams,
    time_limit_s: float,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> RoundsReport:
    """Plan a provider's days and score the plan beside the status quo (when
    the scenario has one)."""
    planned = plan_rounds(s, provider, days, params=params, time_limit_s=time_limit_s, seed=seed, progress=progress)
    # Both rosters answer for exactly the visits planned.
    violations, kpis = check_and_score(s, planned.roster, scope=planned.visit_ids)
    sq = sq_kpis = None
    if s.status_quo is not None:
        sq = status_quo_for(s, provider, days)
        _, sq_kpis = check_and_score(s, sq, scope=planned.visit_ids)
    return RoundsReport(plan=planned, violations=violations, kpis=kpis, status_quo=sq, status_quo_kpis=sq_kpis)
