"""Transfer of care: package moves and swaps between providers that cut
travel, on hand-checkable two-provider markets on the plane."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import typer
from builders import PLANE, START, hm
from typer.testing import CliRunner

import patchplan as pp
from patchplan.broker.brokerage import BrokerState, shortlist
from patchplan.broker.transfers import Transfer, find_transfers
from patchplan.cli.transfers import transfers_app
from patchplan.rounds.statusquo import status_quo_roster

#: Provider A works around x = 0, provider B around x = 100.
HOMES = {"kA": ("A", (0, 0)), "kB": ("B", (100, 0))}
OWN = {
    "CL-A1": ("A", (0, 5), "08:00"),
    "CL-A2": ("A", (0, 10), "09:00"),
    "CL-B1": ("B", (100, 5), "08:00"),
    "CL-B2": ("B", (100, 10), "09:00"),
}
#: A client of A's who lives among B's clients (and the other way round).
X = {"CL-X": ("A", (100, 7), "12:00")}
Y = {"CL-Y": ("B", (0, 7), "12:00")}


def _market(
    clients: dict[str, tuple[str, tuple[float, float], str]],
    carers: dict[str, tuple[str, tuple[float, float]]] = HOMES,
    *,
    capacity: dict[str, float] | None = None,
    spot_at: tuple[float, float] | None = None,
    unit: float = 1.0,
    origin: tuple[float, float] = (0.0, 0.0),
) -> pp.Scenario:
    """Providers A (rank 1) and B (rank 2) on one lot; each client has one
    package of 1 h a week with one 30-minute call whose start may be up to
    an hour after the given time. Carers work 07:00-15:00. ``capacity`` is
    hours a week per provider (default 40); ``spot_at`` adds a spot provider
    S with a carer there. Points are (x, y) * ``unit`` + ``origin`` as
    (lon, lat), so a CLI test can use real degrees. The status quo is the
    greedy coordinator's roster, planar unless ``unit`` != 1.
    """
    capacity = capacity or {}

    def loc(xy: tuple[float, float]) -> pp.Location:
        return pp.Location(origin[1] + xy[1] * unit, origin[0] + xy[0] * unit)

    district = pp.District(id="D", name="Plane")
    area = pp.Area(
        id="AR",
        name="Plane",
        district_id="D",
        neighbourhood="Plane",
        centroid=loc((0, 0)),
        pop_total=1,
        pop_16_64=1,
        pop_65_plus=1,
        health_decile=5,
        area_km2=1.0,
    )
    carers = dict(carers)
    providers = [
        pp.Provider(id=p, name=f"Provider {p}", tier=1, rate_gbp_h=25.0, capacity_hours_week=capacity.get(p, 40.0))
        for p in ("A", "B")
    ]
    branches = [
        pp.Branch(id=f"BR{p}", provider_id=p, name=p, location=loc((0, 0) if p == "A" else (100, 0)), district_id="D")
        for p in ("A", "B")
    ]
    if spot_at is not None:
        providers.append(
            pp.Provider(id="S", name="Spot", tier=pp.core.model.SPOT_TIER, rate_gbp_h=30.0, capacity_hours_week=40.0)
        )
        branches.append(pp.Branch(id="BRS", provider_id="S", name="S", location=loc(spot_at), district_id="D"))
        carers["kS"] = ("S", spot_at)
    s = pp.Scenario(
        name="market",
        start=START,
        days=1,
        geography="planar",
        districts=(district,),
        areas=(area,),
        clients=tuple(
            pp.Client(id=c, location=loc(xy), area_id="AR", district_id="D", cohort="older_people")
            for c, (_, xy, _) in clients.items()
        ),
        packages=tuple(
            pp.Package(
                id=f"PK-{c}", client_id=c, service_type="personal_care", hours_week=1.0, start=START, provider_id=p
            )
            for c, (p, _, _) in clients.items()
        ),
        visits=tuple(
            pp.Visit(
                id=f"V-{c}",
                package_id=f"PK-{c}",
                client_id=c,
                day=0,
                early=hm(t),
                late=hm(t) + 60,
                duration_min=30,
                label="call",
            )
            for c, (_, _, t) in clients.items()
        ),
        providers=tuple(providers),
        branches=tuple(branches),
        framework=pp.Framework(
            lots=(pp.Lot(district_id="D", service_type="personal_care", cohort="older_people", providers=("A", "B")),)
        ),
        carers=tuple(pp.Carer(id=k, provider_id=p, home=loc(xy)) for k, (p, xy) in carers.items()),
        shifts=tuple(pp.Shift(carer_id=k, day=0, start=hm("07:00"), end=hm("15:00")) for k in carers),
    )
    travel = PLANE if unit == 1.0 else None
    roster = status_quo_roster(s, travel)  # type: ignore[arg-type]
    if travel is not None:
        assert pp.check(s, roster, travel=PLANE) == ()
    return s.replace(status_quo=roster)


def test_misplaced_client_moves_to_the_provider_around_them() -> None:
    """X lives among B's clients but A serves it: A's carer drives 101 min
    there and 101 back instead of 10 home (192 min saved); B's carer passes
    by after B2 at no extra cost (3 + 7 - 10). One transfer, 192 min."""
    s = _market(OWN | X)
    moves = find_transfers(s, travel=PLANE)
    assert len(moves) == 1
    m = moves[0]
    assert (m.kind, m.package_id, m.from_provider, m.to_provider) == ("transfer", "PK-CL-X", "A", "B")
    assert (m.removal_min_week, m.insertion_min_week, m.saving_min_week) == (192, 0, 192)
    assert m.rank == 2 and m.new_trips == 0 and m.swap_package_id is None
    assert "B (rank 2, tier 1)" in m.reason and "192 min saved at A" in m.reason
    # The insertion is the broker's own: the shortlist says the same.
    offers = {o.provider_id: o for o in shortlist(s, "PK-CL-X", state=BrokerState(s, travel=PLANE))}
    assert offers["B"].added_travel_min_week == m.insertion_min_week
    # The removal saving is what the checker measures without X's call.
    sq = s.status_quo
    without = sq.replace(
        rounds=tuple(
            dataclasses.replace(r, stops=tuple(x for x in r.stops if x.visit_id != "V-CL-X")) for r in sq.rounds
        )
    )
    saved = pp.score(s, sq, travel=PLANE).travel_min - pp.score(s, without, travel=PLANE).travel_min
    assert saved == m.removal_min_week


def test_no_capacity_no_transfer() -> None:
    """The same market with B full (2 h a week, both its own): no move."""
    s = _market(OWN | X, capacity={"B": 2.0})
    assert find_transfers(s, travel=PLANE) == ()


def test_spot_and_off_lot_providers_are_not_destinations() -> None:
    """A spot agency whose carer lives next to X is never offered a
    framework package, even with B full."""
    s = _market(OWN | X, capacity={"B": 2.0}, spot_at=(100, 7))
    assert find_transfers(s, travel=PLANE) == ()
    assert [m.to_provider for m in find_transfers(_market(OWN | X, spot_at=(100, 7)), travel=PLANE)] == ["B"]


def test_swap_when_neither_provider_has_room() -> None:
    """X (A's, among B's clients) and Y (B's, among A's) with both providers
    full: neither move fits alone, the swap balances the hours. Each side
    saves 192 min; each package needs a trip of its own (14 min) in rounds
    that still hold the one leaving: 192 + 192 - 14 - 14 = 356."""
    s = _market(OWN | X | Y, capacity={"A": 3.0, "B": 3.0})
    moves = find_transfers(s, travel=PLANE)
    assert len(moves) == 1
    m = moves[0]
    assert m.kind == "swap" and {m.package_id, m.swap_package_id} == {"PK-CL-X", "PK-CL-Y"}
    assert {m.from_provider, m.to_provider} == {"A", "B"}
    assert (m.removal_min_week, m.insertion_min_week, m.saving_min_week) == (384, 28, 356)
    assert m.new_trips == 2 and "neither fits alone" in m.reason
    assert m.packages == (m.package_id, m.swap_package_id)
    # With room on both sides they are two plain transfers instead.
    kinds = [(t.kind, t.package_id) for t in find_transfers(_market(OWN | X | Y), travel=PLANE)]
    assert sorted(kinds) == [("transfer", "PK-CL-X"), ("transfer", "PK-CL-Y")]


def test_ranked_by_saving_each_package_once() -> None:
    """A second carer of A's serves A3 and W, 60 min east of A3: moving W
    to B saves 116 - 81 = 35 min, less than X's 192. Best first, no package
    twice, and ``max_results`` cuts the list."""
    carers = HOMES | {"kA2": ("A", (0, 20))}
    clients = OWN | X | {"CL-A3": ("A", (0, 25), "08:00"), "CL-W": ("A", (60, 25), "12:00")}
    s = _market(clients, carers)
    moves = find_transfers(s, travel=PLANE)
    assert [(m.package_id, m.saving_min_week) for m in moves] == [("PK-CL-X", 192), ("PK-CL-W", 35)]
    packages = [p for m in moves for p in m.packages]
    assert len(packages) == len(set(packages))
    assert [m.package_id for m in find_transfers(s, travel=PLANE, max_results=1)] == ["PK-CL-X"]


def test_capacity_is_booked_down_the_list() -> None:
    """With room at B for one package only, X (the better move) takes it and
    W is not suggested."""
    carers = HOMES | {"kA2": ("A", (0, 20))}
    clients = OWN | X | {"CL-A3": ("A", (0, 25), "08:00"), "CL-W": ("A", (60, 25), "12:00")}
    s = _market(clients, carers, capacity={"B": 3.0})
    assert [m.package_id for m in find_transfers(s, travel=PLANE)] == ["PK-CL-X"]


def test_bad_arguments_and_no_personal_data() -> None:
    """An unknown district, no roster or max_results < 1 are bad input; the
    output names packages and providers, never a client."""
    s = _market(OWN | X)
    with pytest.raises(pp.InputError, match="unknown district"):
        find_transfers(s, district="Narnia", travel=PLANE)
    with pytest.raises(pp.InputError, match="no status-quo roster"):
        find_transfers(s.replace(status_quo=None), travel=PLANE)
    with pytest.raises(pp.InputError):
        find_transfers(s, max_results=0, travel=PLANE)
    assert [m.package_id for m in find_transfers(s, district="Plane", travel=PLANE)] == ["PK-CL-X"]
    text = json.dumps([m.as_dict() for m in find_transfers(s, travel=PLANE)])
    assert all(f'"{c.id}"' not in text and f" {c.id}" not in text for c in s.clients)
    assert isinstance(find_transfers(s, travel=PLANE)[0], Transfer)


def test_transfers_cli_json(tmp_path: Path) -> None:
    """`transfers SCENARIO --json` on a scenario folder (real degrees, the
    default travel model) lists X's move to B; mounted on a local app."""
    s = _market(OWN | X, unit=0.002, origin=(0.85, 51.85))
    folder = pp.write_scenario(s, tmp_path / "market")
    local = typer.Typer()

    @local.command()
    def about() -> None:
        """A second command, so the app is a group as patchplan's is."""

    local.add_typer(transfers_app)
    runner = CliRunner()
    result = runner.invoke(local, ["transfers", str(folder), "--json", "--max", "5"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["moves"] == 1 and payload["swaps"] == 0
    first = payload["transfers"][0]
    assert (first["package_id"], first["from_provider"], first["to_provider"]) == ("PK-CL-X", "A", "B")
    assert payload["saving_min_week"] == first["saving_min_week"] > 0
    table = runner.invoke(local, ["transfers", str(folder), "--district", "Plane"])
    assert table.exit_code == 0 and "PK-CL-X" in table.output
    bad = runner.invoke(local, ["transfers", str(folder), "--district", "Narnia"])
    assert bad.exit_code == 2
