"""The Essex calibration facts: the published figures the generator aims at, and a scenario's totals
beside them (:func:`facts`, :func:`expected_figures`).

The weights that spread the county's demand over small areas (:func:`demand_weights`) live here too:
they decide what share of each published figure a district should get, for the generator and the
expected figures alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from patchplan.core.model import Area, Package, Scenario
from patchplan.geo import geography as geo

#: Essex County Council, Provider Hub commissioning intentions (long-term
#: home care): people, weekly hours and their split.
PUBLISHED = {
    "districts": 12,
    "clients": 7465,
    "hours_week": 128_000,
    "personal_care_hours": 115_000,
    "night_live_in_hours": 13_000,
    "personal_care_older_hours": 79_000,
    "personal_care_working_age_hours": 36_000,
    "night_live_in_older_hours": 0.15 * 13_000,
    "night_live_in_working_age_hours": 0.85 * 13_000,
}
#: Mean distance between consecutive visits found in a UK study of
#: domiciliary care rounds (Bristol and Cornwall), as a sanity anchor.
STUDY_MILES_BETWEEN_VISITS = 4.3


def deprivation(a: Area) -> float:
    """Need weight of an area: decile 1 (most health-deprived) gets ~1.5x the need of decile 10."""
    return 1.0 + 0.055 * (10 - a.health_decile)


def demand_weights(g: geo.Geography) -> dict[str, np.ndarray]:
    """Per cohort, every area's weight (its 65+ or 16-64 population times its deprivation weight)."""
    return {
        "older_people": np.array([a.pop_65_plus * deprivation(a) for a in g.areas]),
        "working_age": np.array([a.pop_16_64 * deprivation(a) for a in g.areas]),
    }


def demand_share(g: geo.Geography, districts: set[str]) -> dict[str, float]:
    """Per cohort, the share of the county's demand that falls in ``districts``."""
    mask = np.array([a.district_id in districts for a in g.areas])
    return {k: float(w[mask].sum() / w.sum()) for k, w in demand_weights(g).items()}


def facts(s: Scenario) -> dict[str, Any]:
    """Totals of a scenario next to the published figures they aim at.

    ``expected`` figures are the published ones times the scenario's scale
    and, for one district, its share of the county's weighted population.
    """
    placed = [p for p in s.packages if p.status == "placed"]
    waiting = [p for p in s.packages if p.status == "awaiting"]
    clients = {p.client_id for p in placed}

    def hours(pred: Callable[[Package], bool]) -> float:
        return sum(p.hours_week for p in placed if pred(p))

    cohort = {c.id: c.cohort for c in s.clients}
    night = {"night_awake", "night_sleeping", "live_in"}
    out: dict[str, Any] = {
        "districts": len({s.client(c).district_id for c in clients}),
        "clients": len(clients),
        "hours_week": hours(lambda p: True),
        "personal_care_hours": hours(lambda p: p.service_type == "personal_care"),
        "night_live_in_hours": hours(lambda p: p.service_type in night),
        "personal_care_older_hours": hours(
            lambda p: p.service_type == "personal_care" and cohort[p.client_id] == "older_people"
        ),
        "personal_care_working_age_hours": hours(
            lambda p: p.service_type == "personal_care" and cohort[p.client_id] == "working_age"
        ),
        "night_live_in_older_hours": hours(lambda p: p.service_type in night and cohort[p.client_id] == "older_people"),
        "night_live_in_working_age_hours": hours(
            lambda p: p.service_type in night and cohort[p.client_id] == "working_age"
        ),
    }
    rural = {a.id for a in s.areas if not a.centroid.urban}
    framework = [p for p in s.providers if not p.spot]
    extra: dict[str, float] = {
        "visits_week": sum(1 for v in s.visits if s.package(v.package_id).status == "placed"),
        "double_up_visits_week": sum(
            1 for v in s.visits if v.carers_required == 2 and s.package(v.package_id).status == "placed"
        ),
        "providers_tier1": sum(1 for p in framework if p.tier == 1),
        "providers_tier2": sum(1 for p in framework if p.tier == 2),
        "providers_spot": sum(1 for p in s.providers if p.spot),
        "framework_lots": len(s.framework.lots),
        "spot_hours": sum(p.hours_week for p in placed if p.provider_id and s.provider(p.provider_id).spot),
        "carers": len(s.carers),
        "backlog_packages": len(waiting),
        "backlog_hours": sum(p.hours_week for p in waiting),
        "backlog_rural_share": (
            sum(1 for p in waiting if s.client(p.client_id).area_id in rural) / len(waiting) if waiting else 0.0
        ),
        "clients_rural_share": (
            sum(1 for c in clients if s.client(c).area_id in rural) / len(clients) if clients else 0.0
        ),
    }
    if s.status_quo is not None:
        from patchplan.rounds.statusquo import consecutive_distance_miles

        extra["status_quo_miles_between_visits"] = consecutive_distance_miles(s, s.status_quo)
        extra["status_quo_unassigned_visits"] = len(s.status_quo.unassigned)
    gen = s.setting("generator", {}) or {}
    expected = expected_figures(gen.get("district") or None, float(gen.get("scale", 1.0))) if gen else {}
    return {"figures": out, "expected": expected, "extra": extra}


def expected_figures(district: str | None, scale: float) -> dict[str, float]:
    """Published figures scaled to a district and scale factor."""
    g = geo.essex()
    chosen = {
        d.id for d in g.districts if district is None or district in (d.id,) or d.name.lower() == district.lower()
    }
    share = demand_share(g, chosen)
    s_old, s_work = share["older_people"], share["working_age"]
    pub = PUBLISHED
    return {
        "districts": pub["districts"] if district is None else 1,
        "clients": pub["clients"] * scale * (0.7 * s_old + 0.3 * s_work),
        "hours_week": (pub["personal_care_older_hours"] + pub["night_live_in_older_hours"]) * scale * s_old
        + (pub["personal_care_working_age_hours"] + pub["night_live_in_working_age_hours"]) * scale * s_work,
        "personal_care_hours": pub["personal_care_older_hours"] * scale * s_old
        + pub["personal_care_working_age_hours"] * scale * s_work,
        "night_live_in_hours": pub["night_live_in_older_hours"] * scale * s_old
        + pub["night_live_in_working_age_hours"] * scale * s_work,
        "personal_care_older_hours": pub["personal_care_older_hours"] * scale * s_old,
        "personal_care_working_age_hours": pub["personal_care_working_age_hours"] * scale * s_work,
        "night_live_in_older_hours": pub["night_live_in_older_hours"] * scale * s_old,
        "night_live_in_working_age_hours": pub["night_live_in_working_age_hours"] * scale * s_work,
    }


__all__ = ["PUBLISHED", "STUDY_MILES_BETWEEN_VISITS", "demand_share", "demand_weights", "expected_figures", "facts"]
