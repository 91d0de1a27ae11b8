"""Concurrency through the service, on SQLite and (when
$PATCHPLAN_TEST_POSTGRES_URL is set) PostgreSQL: two provider users accept
the same offer at once; 20 brokers work one backlog at once while the
providers answer. Afterwards: each package placed at most once, no
provider's capacity overbooked, and an audit row for every change."""

from __future__ import annotations

import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_helpers import (
    OTHER_PROVIDER,
    POSTGRES_ENV,
    PROVIDER,
    client_for,
    direct_session,
    make_app,
    postgres_url,
    scenario,
    sqlite_copy,
)

from patchplan.broker.offers import WEEK


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A fresh app on SQLite, or on a new PostgreSQL database."""
    if request.param == "sqlite":
        application = make_app(sqlite_copy(tmp_path), tmp_path / "data", users=False)
        yield application
        application.state.ctx.offers.close()
        return
    if not os.environ.get(POSTGRES_ENV):
        pytest.skip(f"set {POSTGRES_ENV} to test on PostgreSQL")
    with postgres_url() as url:
        application = make_app(url, tmp_path / "data", users=False)
        yield application
        application.state.ctx.offers.close()


def _together(workers: list) -> list:
    """Run the callables in threads released at the same moment; their results."""
    barrier = threading.Barrier(len(workers))
    results: list = [None] * len(workers)
    errors: list = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = workers[i]()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    return results


def test_two_provider_users_accept_the_same_offer(app) -> None:
    """Both users of one provider press accept at once: one wins, the other gets a 409; one accept, one place."""
    ctx = app.state.ctx
    offer = ctx.offers.offer("PK00110", PROVIDER, "broker1")
    clients = []
    for name in ("s74-a", "s74-b"):
        token, csrf = direct_session(app, name, "provider", PROVIDER)
        clients.append((client_for(app, token), csrf))
    codes = _together(
        [
            lambda c=c, t=t: c.post(f"/api/offers/{offer.id}/accept", headers={"X-CSRF-Token": t}).status_code
            for c, t in clients
        ]
    )
    assert sorted(codes) == [200, 409]
    assert ctx.offers.get(offer.id).status == "placed"
    actions = Counter(a.action for a in ctx.offers.audit("PK00110"))
    assert actions == {"offer": 1, "accept": 1, "place": 1}


def test_twenty_brokers_one_backlog(app) -> None:
    """20 brokers offer (and sometimes withdraw) from one backlog while three provider users accept:
    every package placed at most once, no capacity cell below zero or out of balance, every change audited."""
    ctx = app.state.ctx
    s = scenario()
    start = ctx.offers.capacity_left()
    brokers = [direct_session(app, f"broker{i:02d}", "broker") for i in range(20)]
    providers = [
        direct_session(app, "s74-a", "provider", PROVIDER),
        direct_session(app, "s74-b", "provider", PROVIDER),
        direct_session(app, "p001", "provider", OTHER_PROVIDER),
    ]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def note(code: int) -> None:
        with lock:
            statuses[code] += 1

    # Providers answer until every broker is done (then once more), so the
    # race is the same however slowly a loaded machine runs the brokers.
    brokers_left = [len(brokers)]
    brokers_done = threading.Event()

    def broker(i: int):
        try:
            _broker(i)
        finally:
            with lock:
                brokers_left[0] -= 1
                if not brokers_left[0]:
                    brokers_done.set()

    def _broker(i: int):
        token, csrf = brokers[i]
        client, rng = client_for(app, token), random.Random(i)
        for _ in range(4):
            board = client.get("/api/backlog")
            note(board.status_code)
            awaiting = [r["package_id"] for r in board.json() if r["status"] == "awaiting"]
            rng.shuffle(awaiting)
            for pid in awaiting[:2]:
                r = client.post(f"/api/packages/{pid}/offers", json={}, headers={"X-CSRF-Token": csrf})
                note(r.status_code)
                if r.status_code == 201 and rng.random() < 0.3:
                    w = client.post(
                        f"/api/offers/{r.json()['id']}/withdraw",
                        json={"reason": "client changed their mind"},
                        headers={"X-CSRF-Token": csrf},
                    )
                    note(w.status_code)

    def provider(i: int):
        token, csrf = providers[i]
        client = client_for(app, token)
        last = False
        while not last:
            last = brokers_done.wait(timeout=0.05)
            offers = client.get("/api/offers")
            note(offers.status_code)
            for o in offers.json():
                if o["status"] == "offered":
                    note(client.post(f"/api/offers/{o['id']}/accept", headers={"X-CSRF-Token": csrf}).status_code)

    _together([lambda i=i: broker(i) for i in range(20)] + [lambda i=i: provider(i) for i in range(3)])
    assert all(code < 500 for code in statuses), statuses
    assert statuses[201] >= 1

    offers = ctx.offers.offers()
    placed = Counter(o.package_id for o in offers if o.status == "placed")
    assert placed and max(placed.values()) == 1
    live = Counter(o.package_id for o in offers if o.live)
    assert max(live.values()) == 1
    # Capacity: never negative, and exactly what was there less what the placed packages booked.
    left = ctx.offers.capacity_left()
    assert min(left.values()) >= 0
    booked: Counter = Counter()
    state = ctx.offers.broker_state()
    for o in offers:
        if o.status == "placed":
            pkg = s.package(o.package_id)
            prov = s.provider(o.provider_id)
            if prov.band_capacity:
                for (wd, band), hours in state.need(pkg).items():
                    booked[(o.provider_id, wd, band)] += round(hours * 60) / 60
            else:
                booked[(o.provider_id, *WEEK)] += round(pkg.hours_week * 60) / 60
    for key, hours in booked.items():
        assert start[key] - left[key] == pytest.approx(hours, abs=1e-6)
    # The audit trail: one row per offer, withdrawal, accept and place.
    audit = Counter((a.action, a.offer_id) for a in ctx.offers.audit() if a.offer_id is not None)
    for o in offers:
        assert audit[("offer", o.id)] == 1
        assert audit[("withdraw", o.id)] == (o.status == "withdrawn")
        assert audit[("decline", o.id)] == 0
        # Accepted and then placed, or accepted when the capacity had gone meanwhile
        # (placing refused, the offer stays accepted), or accepted (and placed) then withdrawn.
        accepts, places = audit[("accept", o.id)], audit[("place", o.id)]
        if o.status in ("placed", "accepted"):
            assert accepts == 1 and places == (o.status == "placed")
        elif o.status in ("offered", "expired"):
            assert accepts == 0 and places == 0
        else:  # withdrawn before or after the provider accepted (and placed: its hours released above)
            assert accepts in (0, 1) and places <= accepts
