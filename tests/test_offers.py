"""Offers and their outcome: the lifecycle and its audit trail, expiry, and
the invariants the database enforces (one live offer per package, capacity
never below zero), also under parallel writers in threads and processes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import multiprocessing
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from builders import PLANE, hm
from test_broker import _market
from typer.testing import CliRunner

import patchplan as pp
from patchplan.broker import offers as offers_mod
from patchplan.broker.offers import OfferStore
from patchplan.cli.offers import offers_app

T0 = dt.datetime(2026, 11, 30, 9, 0)
#: Each market package is one 30-minute Monday-morning call (0.5 h).
NEED_MIN = 30


#: Set to a PostgreSQL URL (a role that may create databases, e.g.
#: postgresql+psycopg://postgres@/postgres?host=/run/postgresql) to run every
#: store test on PostgreSQL too, each in a database of its own.
POSTGRES_ENV = "PATCHPLAN_TEST_POSTGRES_URL"


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'offers.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty offers database: a SQLite file in ``tmp_path``, or
    (only when $PATCHPLAN_TEST_POSTGRES_URL is set) a new PostgreSQL database."""
    if request.param == "sqlite":
        yield _url(tmp_path)
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"set {POSTGRES_ENV} to test on PostgreSQL")
    name = f"patchplan_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _store(url: str, s: pp.Scenario, **kwargs: object) -> OfferStore:
    """A store on a fresh database, seeded from ``s``."""
    store = OfferStore(url, travel=PLANE, **kwargs)  # type: ignore[arg-type]
    assert store.seed(s)
    return store


def _race_market(packages: int, a_morning_h: float) -> pp.Scenario:
    """The broker tests' market with ``packages`` clients (PK-n, PK-n1, ...)
    and provider A's Monday morning limited to ``a_morning_h`` hours."""
    return _market(packages=packages, capacity={"A": a_morning_h})


# ---------------------------------------------------------------------------
# Lifecycle
# ---------------------------------------------------------------------------
def test_lifecycle_declined_to_next_provider_then_placed(db: str) -> None:
    """offered -> declined (reason) -> next provider offered -> accepted ->
    placed; every step is in the history and the audit trail, with who did
    it, and placing books the package's hours."""
    store = _store(db, _market())
    first = store.offer("PK-n", None, "broker-1")  # cascade: A, rank 1
    assert (first.provider_id, first.status, first.rank, first.tier, first.added_travel_min_week) == (
        "A",
        "offered",
        1,
        1,
        80,
    )
    nxt = store.decline(first.id, "provider-A", "no carers free on Monday mornings")
    assert nxt is not None and nxt.provider_id == "B"
    second = store.offer("PK-n", nxt.provider_id, "broker-1")
    assert store.accept(second.id, "provider-B").status == "accepted"
    before = store.capacity_left("B")[("B", 0, "morning")]
    placed = store.place(second.id, "broker-2")
    assert placed.status == "placed" and placed.placed_at is not None
    assert store.capacity_left("B")[("B", 0, "morning")] == pytest.approx(before - 0.5)

    history = store.history("PK-n")
    assert [(o.provider_id, o.status) for o in history] == [("A", "declined"), ("B", "placed")]
    assert history[0].reason == "no carers free on Monday mornings" and history[0].decided_at is not None
    trail = [(a.action, a.actor, a.provider_id) for a in store.audit("PK-n")]
    assert trail == [
        ("offer", "broker-1", "A"),
        ("decline", "provider-A", "A"),
        ("offer", "broker-1", "B"),
        ("accept", "provider-B", "B"),
        ("place", "broker-2", "B"),
    ]
    assert store.audit()[0].action == "seed"
    assert "no carers free" in store.audit("PK-n")[1].detail


def test_decline_skips_every_provider_already_tried(db: str) -> None:
    """Each decline moves on down the shortlist (A, B, C, then the spot
    provider S); when all have declined there is nobody left."""
    store = _store(db, _market())
    seen = []
    rec = store.offer("PK-n", None, "broker")
    while True:
        seen.append(rec.provider_id)
        nxt = store.decline(rec.id, "provider", "full")
        if nxt is None:
            break
        rec = store.offer("PK-n", nxt.provider_id, "broker")
    assert seen == ["A", "B", "C", "S"]
    with pytest.raises(pp.InputError, match="no provider can take"):
        store.offer("PK-n", None, "broker")


def test_decline_follows_the_offers_policy(db: str) -> None:
    """An offer made under the weighted policy (C: near and cheap) moves,
    when declined, to the weighted policy's next pick rather than rank order."""
    store = _store(db, _market())
    rec = store.offer("PK-n", None, "broker", policy="weighted")
    assert rec.provider_id == "C"
    nxt = store.decline(rec.id, "provider-C", "full")
    assert (
        nxt is not None
        and nxt.provider_id
        == pp.broker.choose([o for o in store.shortlist("PK-n") if o.provider_id != "C"], "weighted").provider_id
    )


def test_expiry(db: str) -> None:
    """An offer unanswered past its time-to-live expires; it can no longer
    be accepted, the package is free again, and the next offer skips the
    provider that let it lapse."""
    now = {"t": T0}
    store = _store(db, _market(), clock=lambda: now["t"])
    rec = store.offer("PK-n", "A", "broker", ttl_hours=48)
    assert rec.expires_at == T0 + dt.timedelta(hours=48)
    assert store.expire(T0 + dt.timedelta(hours=47)) == []
    now["t"] = T0 + dt.timedelta(hours=49)
    with pytest.raises(pp.InputError, match="expired at"):
        store.accept(rec.id, "provider-A")
    assert store.expire() == [rec.id]
    assert store.get(rec.id).status == "expired"
    assert store.expire() == []  # only once
    assert store.audit("PK-n")[-1].action == "expire" and store.audit("PK-n")[-1].actor == "system"
    again = store.offer("PK-n", None, "broker")
    assert again.provider_id == "B"


def test_accepted_offers_do_not_expire(db: str) -> None:
    """Expiry only applies to offers still waiting for an answer."""
    store = _store(db, _market(), clock=lambda: T0)
    rec = store.offer("PK-n", "A", "broker", ttl_hours=1)
    store.accept(rec.id, "provider-A")
    assert store.expire(T0 + dt.timedelta(days=30)) == []
    assert store.get(rec.id).status == "accepted"


@pytest.mark.parametrize("stage", ["offered", "accepted", "placed"])
def test_withdraw_is_its_own_transition(db: str, stage: str) -> None:
    """A broker withdraws a live offer at any stage: the offer is ``withdrawn`` (not declined), the
    trail says who withdrew it, when and why, a placed package's hours go back to the provider, the
    package is back in the backlog, and the provider is not skipped by the next pick (it did not refuse)."""
    now = {"t": T0}
    store = _store(db, _market(), clock=lambda: now["t"])
    start = store.capacity_left("A")
    rec = store.offer("PK-n", "A", "broker-1")
    if stage in ("accepted", "placed"):
        store.accept(rec.id, "provider-A")
    if stage == "placed":
        store.place(rec.id, "broker-1")
        assert store.capacity_left("A")[("A", 0, "morning")] == pytest.approx(start[("A", 0, "morning")] - 0.5)
    assert store.awaiting() == []
    now["t"] = T0 + dt.timedelta(hours=2)
    out = store.withdraw(rec.id, "broker-2", "  client admitted to hospital ")
    assert (out.status, out.reason, out.decided_at) == ("withdrawn", "client admitted to hospital", now["t"])
    assert not out.live and store.awaiting() == ["PK-n"]
    assert store.capacity_left("A") == start  # released (placed) or never booked
    last = store.audit("PK-n")[-1]
    assert (last.action, last.actor, last.offer_id, last.provider_id) == ("withdraw", "broker-2", rec.id, "A")
    assert f"({stage}) by broker broker-2 at 2026-11-30T11:00:00 UTC: client admitted to hospital" in last.detail
    assert ("released mon morning 0.50 h" in last.detail) == (stage == "placed")
    assert [a.action for a in store.audit("PK-n")].count("decline") == 0
    assert store.tried("PK-n") == set() and store.next_provider("PK-n").provider_id == "A"
    again = store.offer("PK-n", None, "broker-1")  # back in the backlog: offered afresh
    assert again.provider_id == "A" and again.status == "offered"
    with pytest.raises(pp.InputError, match="only an offered, accepted or placed package can be withdrawn"):
        store.withdraw(rec.id, "broker-2", "twice")
    for broker, reason, words in [("", "why", "name of the broker"), ("b", " ", "needs a reason")]:
        with pytest.raises(pp.InputError, match=words):
            store.withdraw(again.id, broker, reason)
    with pytest.raises(pp.InputError, match="unknown offer 99"):
        store.withdraw(99, "b", "no such offer")


def test_withdraw_of_a_placed_offer_frees_capacity_for_another(db: str) -> None:
    """Provider A's Monday morning fits one package: placed, then withdrawn, the other one fits."""
    store = _store(db, _race_market(packages=2, a_morning_h=0.5))
    first = store.offer("PK-n", "A", "b")
    store.accept(first.id, "A")
    store.place(first.id, "b")
    second = store.offer("PK-n1", "A", "b", force=True)
    store.accept(second.id, "A")
    with pytest.raises(pp.InputError, match="lacks capacity"):
        store.place(second.id, "b")
    store.withdraw(first.id, "b", "package ended")
    assert store.place(second.id, "b").status == "placed"
    assert min(store.capacity_left().values()) >= 0


# ---------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------
def test_one_live_offer_per_package(db: str) -> None:
    """While a package is offered, accepted or placed, a second offer of it
    is refused with a clear message and nothing is written; the database
    itself refuses a second live row even when Python's check is bypassed."""
    store = _store(db, _market())
    rec = store.offer("PK-n", "A", "broker-1")
    for step in (None, "accept", "place"):
        if step == "accept":
            store.accept(rec.id, "provider-A")
        elif step == "place":
            store.place(rec.id, "broker-1")
        n_audit = len(store.audit())
        with pytest.raises(pp.InputError, match=rf"'PK-n' already has a live offer: offer {rec.id} to A is"):
            store.offer("PK-n", "B", "broker-2")
        assert len(store.offers()) == 1 and len(store.audit()) == n_audit
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(
            offers_mod.offers.insert().values(
                package_id="PK-n",
                provider_id="B",
                status="offered",
                offered_at=T0,
                expires_at=T0,
                broker="raw",
            )
        )


def test_capacity_never_goes_negative(db: str) -> None:
    """Placing beyond a provider's capacity is refused with the short cell,
    and the store is unchanged (the offer stays accepted, no hours are
    booked, no audit row). The database's CHECK refuses a negative cell."""
    store = _store(db, _race_market(packages=2, a_morning_h=0.5))
    first = store.offer("PK-n", "A", "b")
    second = store.offer("PK-n1", "A", "b")
    store.accept(first.id, "A")
    store.accept(second.id, "A")
    store.place(first.id, "b")
    left, n_audit = store.capacity_left("A"), len(store.audit())
    with pytest.raises(pp.InputError, match="provider A lacks capacity: mon morning needs 0.50 h, 0.00 h left"):
        store.place(second.id, "b")
    assert store.get(second.id).status == "accepted"
    assert store.capacity_left("A") == left and len(store.audit()) == n_audit
    assert min(store.capacity_left().values()) >= 0
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.update(offers_mod.capacity).values(minutes_left=offers_mod.capacity.c.minutes_left - 1))


def test_place_books_every_cell_or_none(db: str) -> None:
    """A call across two bands (10:15-10:45: morning and midday) is booked
    in both or neither: a short morning leaves midday untouched."""
    s = _market(capacity={"A": 0.1})  # 6 minutes of morning left
    s = s.replace(
        visits=tuple(dataclasses.replace(v, early=hm("10:15"), late=hm("10:15"), target=hm("10:15")) for v in s.visits)
    )
    store = _store(db, s)
    rec = store.offer("PK-n", "A", "b", force=True)  # the shortlist says A is short
    store.accept(rec.id, "A")
    before = store.capacity_left("A")
    with pytest.raises(pp.InputError, match="mon morning needs 0.25 h, 0.10 h left"):
        store.place(rec.id, "b")
    assert store.capacity_left("A") == before
    assert before[("A", 0, "midday")] == 10.0


def test_bad_requests_are_input_errors(db: str) -> None:
    """Unknown ids, a decline without a reason, a wrong status, a provider
    who cannot take the package and a package not awaiting are InputErrors."""
    s = _market(capacity={"A": 0.0})
    store = _store(db, s)
    cases = [
        (lambda: store.accept(99, "x"), "unknown offer 99"),
        (lambda: store.offer("NOPE", "A", "b"), "unknown package 'NOPE'"),
        (lambda: store.offer("PK-n", "Z", "b"), "not on package 'PK-n'"),
        (lambda: store.offer("PK-n", "A", "b"), "cannot take package 'PK-n': rank 1, tier 1: no capacity Mon morning"),
        (lambda: store.offer("PK-n", "B", "b", ttl_hours=0), "ttl_hours"),
        (lambda: store.offer("PK-n", "B", "b", policy="fastest"), "unknown policy"),
    ]
    for call, words in cases:
        with pytest.raises(pp.InputError, match=words):
            call()
    rec = store.offer("PK-n", "B", "b")
    with pytest.raises(pp.InputError, match="needs a reason"):
        store.decline(rec.id, "B", "  ")
    with pytest.raises(pp.InputError, match="only an accepted offer can be placed"):
        store.place(rec.id, "b")
    store.accept(rec.id, "B")
    with pytest.raises(pp.InputError, match="only an offered package can be accepted"):
        store.accept(rec.id, "B")


def test_store_refuses_another_scenario(db: str) -> None:
    """A store seeded from one scenario cannot be used with another;
    seeding the same scenario again changes nothing."""
    store = _store(db, _market())
    assert store.seed(_market()) is False
    with pytest.raises(pp.InputError, match="seeded from scenario 'market'"):
        OfferStore(db, scenario=_market(packages=2), travel=PLANE)


def test_logs_hold_no_reasons_or_names(db: str, caplog: pytest.LogCaptureFixture) -> None:
    """Logs name offers, packages and providers by id only: never a
    decline's free-text reason or a person's name."""
    store = _store(db, _market())
    with caplog.at_level("DEBUG", logger="patchplan"):
        rec = store.offer("PK-n", "A", "Jane Broker")
        store.decline(rec.id, "Joe Provider", "Mrs Smith's daughter asked us to wait")
    text = caplog.text
    assert "offer 1" in text
    assert "Jane" not in text and "Joe" not in text and "Smith" not in text


# ---------------------------------------------------------------------------
# Parallel writers
# ---------------------------------------------------------------------------
PROVIDERS = ("A", "B", "C", "S")


def _race(store: OfferStore, i: int) -> dict[str, str]:
    """One broker's moves in the race: place its own package PK-n{i} with A
    (offer, accept, place) and offer the shared package PK-n to one of the
    providers. Returns each move's outcome ('ok' or the error's class)."""
    result = {}
    try:
        rec = store.offer(f"PK-n{i}", "A", f"broker-{i}")
        store.accept(rec.id, "provider-A")
        store.place(rec.id, f"broker-{i}")
        result["place"] = "ok"
    except pp.InputError as exc:
        result["place"] = "InputError"
        result["place_error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        result["place"] = type(exc).__name__ + ": " + str(exc)
    try:
        store.offer("PK-n", PROVIDERS[i % len(PROVIDERS)], f"broker-{i}")
        result["offer"] = "ok"
    except pp.InputError:
        result["offer"] = "InputError"
    except Exception as exc:  # noqa: BLE001
        result["offer"] = type(exc).__name__ + ": " + str(exc)
    return result


def _process_worker(url: str, i: int, n: int, a_morning_h: float, barrier: object, results: object) -> None:
    """Child process: open its own store on the shared file, wait for the
    others, race."""
    s = _race_market(packages=n + 1, a_morning_h=a_morning_h)
    store = OfferStore(url, scenario=s, travel=PLANE)
    store.shortlist("PK-n")  # warm up outside the race
    barrier.wait(timeout=120)  # type: ignore[attr-defined]
    results.put((i, _race(store, i)))  # type: ignore[attr-defined]
    store.close()


def _check_race(url: str, outcomes: list[dict[str, str]], allowed: int) -> None:
    """After a race: only InputErrors, placements == what capacity allows,
    exactly one live offer of the shared package, no package with two live
    offers, no capacity cell below zero."""
    assert all(o["place"] in ("ok", "InputError") and o["offer"] in ("ok", "InputError") for o in outcomes), outcomes
    assert sum(o["place"] == "ok" for o in outcomes) == allowed
    assert all(
        "capacity" in o["place_error"] or "no capacity" in o["place_error"] for o in outcomes if o["place"] != "ok"
    )
    assert sum(o["offer"] == "ok" for o in outcomes) == 1
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        live = conn.execute(
            sa.select(offers_mod.offers.c.package_id, sa.func.count())
            .where(offers_mod.offers.c.status.in_(offers_mod.LIVE))
            .group_by(offers_mod.offers.c.package_id)
        ).all()
        cells = conn.execute(sa.select(offers_mod.capacity)).all()
        placed = conn.execute(sa.select(sa.func.count()).where(offers_mod.offers.c.status == "placed")).scalar()
    engine.dispose()
    assert all(count == 1 for _, count in live)
    assert min(c.minutes_left for c in cells) >= 0
    assert placed == allowed
    a_morning = next(c.minutes_left for c in cells if (c.provider_id, c.weekday, c.band) == ("A", 0, "morning"))
    assert a_morning == 0


@pytest.mark.slow
def test_parallel_threads(db: str) -> None:
    """8 threads, each with its own store on one SQLite file, race to place
    8 packages with provider A, who has room for 3, and to offer one shared
    package to different providers: 3 placements, one live offer each."""
    n, room = 8, 3
    s = _race_market(packages=n + 1, a_morning_h=room * NEED_MIN / 60)
    _store(db, s).close()
    stores = [OfferStore(db, scenario=s, travel=PLANE) for _ in range(n)]
    for st in stores:
        st.shortlist("PK-n")  # warm up outside the race
    barrier = threading.Barrier(n)
    outcomes: list[dict[str, str]] = [{} for _ in range(n)]

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        outcomes[i] = _race(stores[i], i + 1)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for st in stores:
        st.close()
    _check_race(db, outcomes, room)


@pytest.mark.slow
def test_parallel_processes(db: str) -> None:
    """4 processes (spawned, each opening its own store on one SQLite file)
    race to place 4 packages with provider A, who has room for 2, and to
    offer one shared package to different providers."""
    n, room = 4, 2
    s = _race_market(packages=n + 1, a_morning_h=room * NEED_MIN / 60)
    _store(db, s).close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_process_worker, args=(db, i + 1, n, room * NEED_MIN / 60, barrier, results))
        for i in range(n)
    ]
    for p in procs:
        p.start()
    try:
        got = dict(results.get(timeout=180) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=60)
    assert all(p.exitcode == 0 for p in procs)
    _check_race(db, [got[i + 1] for i in range(n)], room)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
cli = typer.Typer()
cli.add_typer(offers_app, name="offers")
runner = CliRunner()


def _run(*args: str) -> object:
    return runner.invoke(cli, ["offers", *args])


def test_cli_lifecycle(tiny_dir: Path, tmp_path: Path) -> None:
    """offer (policy's pick), decline (prints that nobody else can take
    it), offer again by name, accept, place, list and audit as JSON."""
    db = ["--db", _url(tmp_path)]
    made = _run("offer", str(tiny_dir), "--package", "PK4", "--broker", "ann", "--json", *db)
    assert made.exit_code == 0, made.output
    rec = json.loads(made.stdout)
    assert rec["provider_id"] == "P1" and rec["status"] == "offered"
    declined = _run("decline", str(rec["id"]), "--reason", "no morning carer", "--broker", "P1-desk", *db)
    assert declined.exit_code == 0, declined.output
    assert "No other provider can take PK4" in declined.stdout
    nobody = _run("offer", str(tiny_dir), "--package", "PK4", *db)
    assert nobody.exit_code == 2 and "no provider can take package 'PK4'" in nobody.output
    again = json.loads(_run("offer", str(tiny_dir), "--package", "PK4", "--provider", "P1", "--json", *db).stdout)
    twice = _run("offer", str(tiny_dir), "--package", "PK4", "--provider", "P1", *db)
    assert twice.exit_code == 2 and "already has a live offer" in twice.output
    assert _run("accept", str(again["id"]), *db).exit_code == 0
    placed = _run("place", str(again["id"]), "--json", *db)
    assert placed.exit_code == 0 and json.loads(placed.stdout)["status"] == "placed"
    listed = json.loads(_run("list", "--package", "PK4", "--json", *db).stdout)
    assert [o["status"] for o in listed] == ["declined", "placed"]
    trail = json.loads(_run("audit", "--json", *db).stdout)
    assert [a["action"] for a in trail] == ["seed", "offer", "decline", "offer", "accept", "place"]
    assert trail[2]["actor"] == "P1-desk" and "no morning carer" in trail[2]["detail"]
    assert _run("list", *db).exit_code == 0 and _run("audit", *db).exit_code == 0


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    """An unknown offer or a database URL that is not one is bad input."""
    db = ["--db", _url(tmp_path)]
    assert _run("accept", "7", *db).exit_code == 2
    bad = _run("list", "--db", "not a url")
    assert bad.exit_code == 2 and "not a database URL" in bad.output


def test_awaiting_and_a_fresh_broker_state(db: str) -> None:
    """awaiting() drops packages with a live offer; broker_state() carries the store's
    capacity left and booking into it leaves the store's own state alone."""
    store = _store(db, _race_market(packages=2, a_morning_h=1.0))
    assert store.awaiting() == ["PK-n", "PK-n1"]  # backlog order: the discharge first
    first = store.offer("PK-n", "A", "b")
    assert store.awaiting() == ["PK-n1"]
    store.accept(first.id, "A")
    store.place(first.id, "b")
    state = store.broker_state()
    assert state.remaining["A"][(0, "morning")] == pytest.approx(0.5)
    state.take("A", store.scenario.package("PK-n1"))
    assert store.broker_state().remaining["A"][(0, "morning")] == pytest.approx(0.5)
    store.decline(store.offer("PK-n1", "A", "b").id, "A", "no")
    assert store.awaiting() == ["PK-n1"]  # declined: awaiting again


@pytest.mark.parametrize(("urgency", "hours"), [("hospital_discharge", 4), ("urgent", 24), ("routine", 48)])
def test_offer_deadline_by_urgency(urgency: str, hours: float) -> None:
    """A provider has hours, not days, to answer for a hospital discharge."""
    assert offers_mod.offer_ttl_hours(urgency) == hours


def test_offer_deadline_of_an_unknown_urgency() -> None:
    """A misspelt urgency is bad input listing the choices."""
    with pytest.raises(pp.InputError, match="hospital_discharge, urgent, routine"):
        offers_mod.offer_ttl_hours("soon")
