"""Hand-checkable scenarios on a plane: travel minutes = Euclidean distance.

A client at (0, 10) is 10 minutes from a carer at home at (0, 0).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import patchplan as pp
from patchplan.core.model import DAY_MIN
from patchplan.geo.travel import PlanarTravel

START = dt.date(2026, 11, 30)
PLANE = PlanarTravel(scale=1)


def hm(text: str, day: int = 0) -> int:
    """'08:30' -> minutes from the horizon start."""
    h, m = text.split(":")
    return day * DAY_MIN + int(h) * 60 + int(m)


def visit(
    vid: str,
    client: str,
    early: str,
    late: str,
    duration: int = 30,
    *,
    day: int = 0,
    target: str | None = None,
    tolerance: int = 0,
    carers: int = 1,
    skills: tuple[str, ...] = (),
    load: int = 0,
) -> dict[str, Any]:
    """A visit: ``late`` is the latest *start*."""
    return {
        "id": vid,
        "client": client,
        "day": day,
        "early": hm(early, day),
        "late": hm(late, day),
        "duration": duration,
        "target": None if target is None else hm(target, day),
        "tolerance": tolerance,
        "carers": carers,
        "skills": frozenset(skills),
        "load": load,
    }


def carer(
    cid: str,
    at: tuple[float, float] = (0, 0),
    shift: tuple[str, str] | tuple[tuple[str, str], ...] = ("07:00", "15:00"),
    *,
    days: tuple[int, ...] = (0,),
    skills: tuple[str, ...] = (),
    gender: str = "female",
    mode: str = "car",
    max_work: int | None = None,
    max_hours_week: float = 48.0,
) -> dict[str, Any]:
    return {
        "id": cid,
        "at": at,
        "shift": shift,
        "days": days,
        "skills": frozenset(skills),
        "gender": gender,
        "mode": mode,
        "max_work": max_work,
        "max_hours_week": max_hours_week,
    }


def plane(
    clients: dict[str, tuple[float, float]],
    visits: list[dict[str, Any]],
    carers: list[dict[str, Any]],
    *,
    days: int = 1,
    gender_preference: dict[str, str] | None = None,
    prohibited: dict[str, set[str]] | None = None,
    links: tuple[pp.VisitLink, ...] = (),
) -> pp.Scenario:
    """A one-provider scenario on the plane (x, y) in minutes."""
    district = pp.District(id="D", name="Plane")
    area = pp.Area(
        id="A",
        name="Plane",
        district_id="D",
        neighbourhood="Plane",
        centroid=pp.Location(0, 0),
        pop_total=1,
        pop_16_64=1,
        pop_65_plus=1,
        health_decile=5,
        area_km2=1.0,
    )
    gp = gender_preference or {}
    pr = prohibited or {}
    client_objs = tuple(
        pp.Client(
            id=cid,
            location=pp.Location(y, x),
            area_id="A",
            district_id="D",
            cohort="older_people",
            gender_preference=gp.get(cid),
            prohibited_carers=frozenset(pr.get(cid, set())),
        )
        for cid, (x, y) in clients.items()
    )
    packages = tuple(
        pp.Package(
            id=f"PK-{cid}",
            client_id=cid,
            service_type="personal_care",
            hours_week=1.0,
            start=START,
            provider_id="P",
        )
        for cid in clients
    )
    visit_objs = tuple(
        pp.Visit(
            id=v["id"],
            package_id=f"PK-{v['client']}",
            client_id=v["client"],
            day=v["day"],
            early=v["early"],
            late=v["late"],
            duration_min=v["duration"],
            target=v["target"],
            tolerance_min=v["tolerance"],
            carers_required=v["carers"],
            skills=v["skills"],
            load=v["load"],
        )
        for v in visits
    )
    carer_objs = tuple(
        pp.Carer(
            id=c["id"],
            provider_id="P",
            home=pp.Location(c["at"][1], c["at"][0]),
            mode=c["mode"],
            skills=c["skills"],
            gender=c["gender"],
            max_hours_week=c["max_hours_week"],
        )
        for c in carers
    )
    # ``shift`` is one (start, end) or several a day (a split shift).
    shifts = tuple(
        pp.Shift(
            carer_id=c["id"],
            day=d,
            start=hm(a, d),
            end=hm(b, d),
            max_work_min=c["max_work"],
        )
        for c in carers
        for d in c["days"]
        for a, b in (c["shift"] if isinstance(c["shift"][0], tuple) else (c["shift"],))
    )
    return pp.Scenario(
        name="plane",
        start=START,
        days=days,
        geography="planar",
        districts=(district,),
        areas=(area,),
        clients=client_objs,
        packages=packages,
        visits=visit_objs,
        links=links,
        providers=(pp.Provider(id="P", name="P", tier=1, rate_gbp_h=20.0, capacity_hours_week=100.0),),
        carers=carer_objs,
        shifts=shifts,
    )


def stop(vid: str, start: int, duration: int = 30, travel: int = 10) -> pp.Stop:
    """A stop that starts on arrival and lasts ``duration`` minutes."""
    return pp.Stop(visit_id=vid, arrival=start, start=start, end=start + duration, travel_min=travel)


def checker_scenario() -> pp.Scenario:
    """Two clients 10 and 20 minutes from carer k1's home; c is a double-up."""
    return plane(
        {"a": (0, 10), "b": (0, 20), "c": (0, 30)},
        [
            visit("A", "a", "08:00", "09:00", 30, target="08:00", tolerance=15, skills=("medication",)),
            visit("B", "b", "09:00", "10:00", 30),
            visit("C", "c", "11:00", "12:00", 30, carers=2),
        ],
        [
            carer("k1", skills=("medication",)),
            carer("k2", at=(0, 30), gender="male"),
        ],
        gender_preference={"b": "female"},
    )


def checker_roster() -> pp.Roster:
    """Hand-made and correct for :func:`checker_scenario`: k1 does A 08:00, B 09:00, C 11:00; k2 joins C."""
    k1 = pp.Round(
        carer_id="k1",
        day=0,
        stops=(stop("A", hm("08:00")), stop("B", hm("09:00")), stop("C", hm("11:00"))),
        leave=hm("07:50"),
        back=hm("12:00"),
    )
    k2 = pp.Round(carer_id="k2", day=0, stops=(stop("C", hm("11:00"), travel=0),), leave=hm("11:00"), back=hm("11:30"))
    return pp.Roster(rounds=(k1, k2), provider_id="P", meta=(("days", "0"),))


def solve(s: pp.Scenario, **kwargs: Any) -> pp.Roster:
    """Plan with a deterministic budget; every test checks the result."""
    kwargs.setdefault("time_limit_s", 5)
    params = pp.RoundsParams(solution_limit=kwargs.pop("solution_limit", 200))
    roster = pp.plan_rounds(s, "P", travel=PLANE, params=params, **kwargs).roster
    violations = pp.check(s, roster, travel=PLANE, capacity=kwargs.get("capacity"))
    assert violations == (), [str(v) for v in violations]
    return roster


def starts(roster: pp.Roster) -> dict[str, list[tuple[str, int]]]:
    """visit -> [(carer, start)]."""
    out: dict[str, list[tuple[str, int]]] = {}
    for rnd in roster.rounds:
        for stop in rnd.stops:
            out.setdefault(stop.visit_id, []).append((rnd.carer_id, stop.start))
    return out


def reasons(roster: pp.Roster) -> dict[str, pp.Reason]:
    return {u.visit_id: u.reason for u in roster.unassigned}
