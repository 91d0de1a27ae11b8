"""Property: on random small scenarios every visit is served (by as many
carers as it needs) or unassigned with a reason, and the independent
checker finds nothing wrong."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import patchplan as pp

from builders import PLANE, carer, plane, visit

SKILLS = ("medication", "hoist")


@st.composite
def scenarios(draw: st.DrawFn) -> pp.Scenario:
    n_clients = draw(st.integers(1, 5))
    clients = {f"c{i}": (draw(st.integers(-40, 40)), draw(st.integers(-40, 40))) for i in range(n_clients)}
    visits = []
    for i in range(draw(st.integers(1, 8))):
        start = draw(st.integers(7 * 60, 13 * 60))
        width = draw(st.sampled_from([0, 15, 60, 120]))
        duration = draw(st.sampled_from([15, 30, 45, 60]))
        early = f"{start // 60:02d}:{start % 60:02d}"
        late = f"{(start + width) // 60:02d}:{(start + width) % 60:02d}"
        target = early if draw(st.booleans()) else None
        visits.append(
            visit(
                f"v{i}",
                f"c{draw(st.integers(0, n_clients - 1))}",
                early,
                late,
                duration,
                target=target,
                tolerance=draw(st.sampled_from([0, 15, 30])),
                carers=draw(st.sampled_from([1, 1, 1, 2])),
                skills=tuple(draw(st.sets(st.sampled_from(SKILLS), max_size=1))),
            )
        )
    carers = []
    for k in range(draw(st.integers(2, 3))):
        begin = draw(st.integers(6, 10))
        carers.append(
            carer(
                f"k{k}",
                at=(draw(st.integers(-40, 40)), draw(st.integers(-40, 40))),
                shift=(f"{begin:02d}:00", f"{begin + draw(st.integers(3, 9)):02d}:00"),
                skills=tuple(draw(st.sets(st.sampled_from(SKILLS)))),
                gender=draw(st.sampled_from(["female", "male"])),
                max_work=draw(st.sampled_from([None, 240])),
            )
        )
    prefs = {c: "female" for c in clients if draw(st.integers(0, 4)) == 0}
    return plane(clients, visits, carers, gender_preference=prefs)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_visit_served_or_explained(s: pp.Scenario) -> None:
    """Served exactly as often as required or unassigned with a reason; no violation."""
    roster = pp.plan_rounds(s, "P", travel=PLANE, params=pp.RoundsParams(solution_limit=50), time_limit_s=5).roster
    assert pp.check(s, roster, travel=PLANE) == ()
    served = roster.assignments()
    unassigned = {u.visit_id: u for u in roster.unassigned}
    for v in s.visits:
        if v.id in served:
            assert len(served[v.id]) == v.carers_required and v.id not in unassigned
        else:
            assert v.id in unassigned and isinstance(unassigned[v.id].reason, pp.Reason)
