"""patchplan.check.kpis: every KPI is documented, and the KPIs of a hand-made roster by hand."""

from __future__ import annotations

import dataclasses

from builders import PLANE, checker_roster, checker_scenario, hm

import patchplan as pp
from patchplan.check.kpis import KPI_INFO, kpi_names


def test_every_kpi_has_a_unit_and_definition() -> None:
    """KPI_INFO covers exactly the KPI fields, each with a unit and a sentence."""
    assert set(KPI_INFO) == set(kpi_names())
    assert all(info.unit and info.definition.endswith(".") for info in KPI_INFO.values())


def test_kpis_of_the_hand_made_roster() -> None:
    """k1: 10 + 10 + 10 + 30 min travel, 07:50-12:00; k2: 0 + 0, 11:00-11:30."""
    k = pp.score(checker_scenario(), checker_roster(), travel=PLANE)
    assert k.visits_in_scope == 3 and k.visits_served == 3 and k.visits_unassigned == 0
    assert k.travel_min == 60
    assert k.paid_min == (hm("12:00") - hm("07:50")) + 30
    assert k.care_min == 4 * 30
    assert k.utilisation == round(120 / k.paid_min, 4)
    # A has a target 08:00 +/- 15 and starts 08:00; B and C have none.
    assert (k.on_time, k.late, k.early) == (3, 0, 0)
    assert k.rounds == 2 and k.carers_used == 2
    # Clients a and b see one carer, c sees two.
    assert k.distinct_carers_per_client_mean == round(4 / 3, 3)


def test_late_and_unassigned() -> None:
    """A 40 min late counts 25 late minutes; dropping B leaves 0.5 h unassigned."""
    r = checker_roster()
    k1 = r.rounds[0]
    a = dataclasses.replace(k1.stops[0], start=hm("08:40"), end=hm("09:10"), arrival=hm("08:40"))
    k1 = dataclasses.replace(k1, stops=(a, k1.stops[2]))
    k = pp.score(checker_scenario(), r.replace(rounds=(k1, r.rounds[1])), travel=PLANE)
    assert (k.late, k.late_min_total, k.late_min_max) == (1, 25, 25)
    assert k.visits_unassigned == 1 and k.unassigned_hours == 0.5
