"""Brokerage: shortlists with reasons, policies, joint allocation vs cascade."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from builders import PLANE, START, hm

import patchplan as pp
from patchplan.broker.brokerage import BrokerState, allocate, cascade_backlog, choose, fit, shortlist

DAY = 0


def _market(
    capacity: dict[str, float] | None = None,
    skills: dict[str, tuple[str, ...]] | None = None,
    genders: dict[str, str] | None = None,
    visit_skills: tuple[str, ...] = (),
    preference: str | None = None,
    prohibited: frozenset[str] = frozenset(),
    packages: int = 1,
) -> pp.Scenario:
    """Three providers serve a lot on a plane; each has one carer on shift:

    - A: tier 1, rank 1, carer 40 min from the client, £25/h;
    - B: tier 1, rank 2, carer 35 min away, £26/h;
    - C: tier 2, rank 3, carer 2 min away, £20/h;
    - S: spot, carer 30 min away, £31/h (not on the list).
    Client 'n' needs one 30-min morning call on Monday (awaiting).
    """
    capacity = capacity or {}
    skills = skills or {}
    genders = genders or {}
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
    spec = {"A": (1, 25.0, 40), "B": (1, 26.0, 35), "C": (2, 20.0, 2), "S": (pp.core.model.SPOT_TIER, 31.0, 30)}
    providers, carers, shifts, branches = [], [], [], []
    for pid, (tier, rate, dist) in spec.items():
        band = tuple(
            pp.core.model.BandCapacity(weekday=0, band=b, hours=capacity.get(pid, 10.0) if b == "morning" else 10.0)
            for b in pp.core.model.BAND_NAMES
        )
        providers.append(
            pp.Provider(
                id=pid,
                name=f"Provider {pid}",
                tier=tier,
                rate_gbp_h=rate,
                capacity_hours_week=100.0,
                band_capacity=band,
            )
        )
        branches.append(
            pp.Branch(id=f"B{pid}", provider_id=pid, name=pid, location=pp.Location(dist, 0), district_id="D")
        )
        carers.append(
            pp.Carer(
                id=f"k{pid}",
                provider_id=pid,
                home=pp.Location(dist, 0),
                skills=frozenset(skills.get(pid, ())),
                gender=genders.get(pid, "female"),
            )
        )
        shifts.append(pp.Shift(carer_id=f"k{pid}", day=DAY, start=hm("07:00"), end=hm("14:00")))
    clients, pkgs, visits = [], [], []
    for i in range(packages):
        cid = "n" if i == 0 else f"n{i}"
        clients.append(
            pp.Client(
                id=cid,
                location=pp.Location(0, 0),
                area_id="A",
                district_id="D",
                cohort="older_people",
                gender_preference=preference,
                prohibited_carers=prohibited,
            )
        )
        pkgs.append(
            pp.Package(
                id=f"PK-{cid}",
                client_id=cid,
                service_type="personal_care",
                hours_week=0.5,
                start=START,
                status="awaiting",
                urgency="hospital_discharge" if i == 0 else "routine",
                received=START - dt.timedelta(days=1),
            )
        )
        visits.append(
            pp.Visit(
                id=f"V-{cid}",
                package_id=f"PK-{cid}",
                client_id=cid,
                day=DAY,
                early=hm("08:00"),
                late=hm("09:00"),
                duration_min=30,
                target=hm("08:30"),
                tolerance_min=30,
                skills=frozenset(visit_skills),
            )
        )
    lot = pp.Lot(district_id="D", service_type="personal_care", cohort="older_people", providers=("A", "B", "C"))
    return pp.Scenario(
        name="market",
        start=START,
        days=1,
        geography="planar",
        districts=(district,),
        areas=(area,),
        clients=tuple(clients),
        packages=tuple(pkgs),
        visits=tuple(visits),
        providers=tuple(providers),
        branches=tuple(branches),
        framework=pp.Framework(lots=(lot,)),
        carers=tuple(carers),
        shifts=tuple(shifts),
        status_quo=pp.Roster(),
    )


def _offers(s: pp.Scenario) -> dict[str, pp.broker.Offer]:
    return {o.provider_id: o for o in shortlist(s, "PK-n", state=BrokerState(s, travel=PLANE))}


def test_shortlist_in_framework_order_then_spot() -> None:
    """Tier 1 ranks, then tier 2, then the district's spot market."""
    s = _market()
    assert [o.provider_id for o in shortlist(s, "PK-n", state=BrokerState(s, travel=PLANE))] == ["A", "B", "C", "S"]


def test_extra_travel_of_an_idle_carer_is_her_round_trip() -> None:
    """A carer on shift with no round yet takes the call from home and back."""
    offers = _offers(_market())
    assert offers["A"].added_travel_min_week == 80 and offers["C"].added_travel_min_week == 4
    assert offers["A"].fits_rounds


@pytest.mark.parametrize(
    ("market", "skipped", "words"),
    [
        ({"capacity": {"A": 0.0}}, "A", "no capacity Mon morning (07:00-10:30)"),  # morning peak full
        ({"visit_skills": ("peg_feeding",), "skills": {"B": ("peg_feeding",)}}, "A", "no carer can take"),  # skills
        ({"preference": "female", "genders": {"A": "male"}}, "A", "no carer can take"),  # gender preference
        ({"prohibited": frozenset({"kA"})}, "A", "no carer can take"),  # prohibited carer
    ],
)
def test_every_skip_reason(market: dict, skipped: str, words: str) -> None:
    """Each reason a provider is skipped appears in its one-line reason."""
    offers = _offers(_market(**market))
    assert not offers[skipped].feasible
    assert words in offers[skipped].reason
    assert offers["B"].feasible


def test_no_shift_that_day_is_a_skip() -> None:
    """A provider whose carers are not on shift that day cannot take it."""
    s = _market()
    s = s.replace(shifts=tuple(sh for sh in s.shifts if sh.carer_id != "kA"))
    offers = _offers(s)
    assert not offers["A"].feasible and "no carer can take" in offers["A"].reason


def test_fits_existing_round() -> None:
    """A carer already passing by fits the call into her round cheaply."""
    s = _market()
    other = pp.Client(id="o", location=pp.Location(39, 0), area_id="A", district_id="D", cohort="older_people")
    pkg = pp.Package(
        id="PK-o", client_id="o", service_type="personal_care", hours_week=0.5, start=START, provider_id="A"
    )
    v = pp.Visit(
        id="V-o", package_id="PK-o", client_id="o", day=DAY, early=hm("10:00"), late=hm("10:00"), duration_min=30
    )
    rnd = pp.Round(
        carer_id="kA",
        day=DAY,
        stops=(pp.Stop(visit_id="V-o", arrival=hm("10:00"), start=hm("10:00"), end=hm("10:30"), travel_min=1),),
        leave=hm("09:59"),
        back=hm("10:31"),
        return_min=1,
    )
    s = s.replace(
        clients=(*s.clients, other),
        packages=(*s.packages, pkg),
        visits=(*s.visits, v),
        status_quo=pp.Roster(rounds=(rnd,)),
    )
    offers = _offers(s)
    # home(40) -> n(0): 40, n -> o(39): 39, minus home -> o: 1  => +78, fits the round.
    assert offers["A"].fits_rounds and offers["A"].added_travel_min_week == 78


@pytest.mark.parametrize(
    ("policy", "provider"),
    [
        ("cascade", "A"),  # first feasible in rank order, however far
        ("tiered", "B"),  # least travel inside tier 1
        ("weighted", "C"),  # tier 2 but near and cheap: wins 60/40
    ],
)
def test_policies_choose_differently(policy: str, provider: str) -> None:
    """One hand-made case, three policies, three choices."""
    offers = shortlist(_market(), "PK-n", state=BrokerState(_market(), travel=PLANE))
    assert choose(offers, policy).provider_id == provider


def test_unknown_policy_is_bad_input() -> None:
    """A misspelt policy is an InputError listing the choices."""
    with pytest.raises(pp.InputError, match="cascade, tiered, weighted"):
        choose((), "fastest")


def test_joint_places_more_than_cascade() -> None:
    """Two packages; only A has morning room for one, B for one. Cascade
    gives the urgent one to A... and both fit. With A's room for one and a
    second package that only A can take (skills), cascade strands it; the
    joint allocation does not."""
    s = _market(
        packages=2, capacity={"A": 0.5, "B": 0.5, "C": 0.0, "S": 0.0}, skills={"A": ("hoist",)}, visit_skills=()
    )
    # The second (routine) package needs a hoist skill only A's carer has.
    s = s.replace(
        visits=tuple(dataclasses.replace(v, skills=frozenset({"hoist"})) if v.id == "V-n1" else v for v in s.visits)
    )
    plain = cascade_backlog(s, state=BrokerState(s, travel=PLANE))
    joint = allocate(s, "cascade", state=BrokerState(s, travel=PLANE), time_limit_s=5)
    assert plain.hours_placed == 0.5 and joint.hours_placed == 1.0
    assert {p.package_id: p.provider_id for p in joint.placements} == {"PK-n": "B", "PK-n1": "A"}
    assert len(plain.shortages) == 1 and "morning" in plain.shortages[0]


def test_joint_allocation_respects_capacity(maldon: pp.Scenario) -> None:
    """No provider is booked beyond its band capacity by the joint allocation."""
    state = BrokerState(maldon)
    joint = allocate(maldon, "tiered", time_limit_s=5)
    used: dict = {}
    for p in joint.placements:
        if p.provider_id:
            for key, h in state.need(maldon.package(p.package_id)).items():
                used[(p.provider_id, key)] = used.get((p.provider_id, key), 0) + h
    for (pid, key), hours in used.items():
        assert hours <= state.remaining[pid].get(key, 0) + 1 / 60


def test_shortlist_unknown_package(tiny: pp.Scenario) -> None:
    """An unknown package id is bad input."""
    with pytest.raises(pp.InputError, match="unknown package 'NOPE'"):
        shortlist(tiny, "NOPE")


def test_fit_names_the_carer_and_agrees_with_the_shortlist() -> None:
    """ "Can we fit it?": each call's added travel and carer; the total is the shortlist's added travel."""
    s = _market()
    state = BrokerState(s, travel=PLANE)
    (call,) = fit(s, "PK-n", "A", state=state)
    assert call.carer_ids == ("kA",) and call.fits_round and call.added_travel_min == 80
    assert call.added_travel_min == _offers(s)["A"].added_travel_min_week
    assert call.start_window == (hm("08:00"), hm("09:00"))


def test_fit_without_an_eligible_carer() -> None:
    """A call no carer of the provider may take has no travel and no carer."""
    s = _market(prohibited=frozenset({"kA"}))
    (call,) = fit(s, "PK-n", "A", state=BrokerState(s, travel=PLANE))
    assert call.added_travel_min is None and call.carer_ids == () and not call.fits_round
    with pytest.raises(pp.InputError, match="unknown provider 'Z'"):
        fit(s, "PK-n", "Z")


def test_shortages_tie_in_name_order() -> None:
    """Equal shortages are listed by name, not in a set's order (which changes between runs)."""
    from builders import carer, plane, visit

    from patchplan.broker.brokerage import Placement, _shortages

    calls = [visit("A", "a", "08:00", "08:30"), visit("B", "a", "12:30", "13:00"), visit("C", "a", "19:30", "20:00")]
    s = plane({"a": (0, 10)}, calls, [carer("k1")])
    unplaced = [Placement(package_id="PK-a", provider_id=None, hours_week=1.5, rule="cascade", reason="none")]
    bands = [line.split(" / ")[3].split(":")[0] for line in _shortages(s, unplaced)]
    assert bands == ["evening", "midday", "morning"]
