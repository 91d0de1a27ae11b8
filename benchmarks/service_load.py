"""Load benchmark of ``patchplan serve``: simulated brokers and providers on
the loopback interface, bounded in count and time.

The service runs in a child process (uvicorn, one worker) on 127.0.0.1 and
a fresh SQLite database (or ``--db``). The parent signs in ``--users``
users through the API (a fifth brokers, the rest are provider users spread
over the providers) and runs each in a thread with its own keep-alive
connection until ``--duration`` seconds or ``--max-requests`` requests per
user, whichever comes first:

* a broker reads the board, a package's shortlist, and offers about one
  package in three to the policy's pick;
* a provider user reads its offers, checks the fit of one, accepts or
  declines it, and reads the published demand (revalidating it with the
  ETag it last got, as a browser's cache does: 304 while it is unchanged).

Reported: per route, requests, p50/p95/p99 latency (ms), errors (5xx or a
transport failure; the aim is none) and 4xx (expected conflicts: two users
racing for one offer get 409). Afterwards the state is checked through the
store: no package placed twice, no live offer twice, no capacity below
zero, an audit row for every offer.

Usage (from the repository root)::

    python benchmarks/service_load.py --district Maldon --users 50 --duration 60
    python benchmarks/service_load.py --users 50 --duration 60 --json   # whole county (~25 s to build)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import numpy as np

PASSWORD = "load test password"


def _build(args: argparse.Namespace):
    from patchplan.essex import essex

    if args.district:
        return essex(district=args.district, seed=args.seed, scale=args.scale)
    return essex(seed=args.seed, scale=args.scale)


def _users(s, n: int) -> list[tuple[str, str, str | None]]:
    """(username, role, provider): a fifth brokers, the rest provider users round the providers."""
    brokers = max(1, n // 5)
    providers = [p.id for p in s.providers]
    out = [(f"broker{i:02d}", "broker", None) for i in range(brokers)]
    out += [(f"prov{i:02d}", "provider", providers[i % len(providers)]) for i in range(n - brokers)]
    return out


def serve(args: argparse.Namespace) -> None:
    """Child process: build the scenario, add the users (one argon2 hash shared), serve."""
    import uvicorn

    from patchplan.broker.offers import utcnow
    from patchplan.service import Settings, create_app
    from patchplan.service.auth import hash_password
    from patchplan.service.db import users

    s = _build(args)
    app = create_app(Settings(db_url=args.db, data_dir=Path(args.data), expire_every_s=0), s, start_jobs=False)
    hashed = hash_password(PASSWORD)
    (Path(args.data).parent / "users.json").write_text(json.dumps([[*u] for u in _users(s, args.users)] + [[s.name]]))
    with app.state.ctx.store.tx() as conn:
        conn.execute(
            users.insert(),
            [
                {
                    "username": name,
                    "role": role,
                    "provider_id": provider,
                    "password_hash": hashed,
                    "active": 1,
                    "created_at": utcnow(),
                }
                for name, role, provider in _users(s, args.users)
            ],
        )
    from patchplan.service.app import freeze_heap

    freeze_heap()  # as `patchplan serve` does
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


class Stats:
    """Latencies per route template, errors and 4xx, shared by the user threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.client_errors: Counter = Counter()
        self.not_modified: Counter = Counter()
        self.error_samples: list[str] = []

    def call(self, client: httpx.Client, method: str, url: str, **kwargs) -> httpx.Response | None:
        route = f"{method} {re.sub(r'/(PK|P|S)?[0-9][0-9A-Za-z]*', '/{id}', url)}"
        started = time.perf_counter()
        try:
            r = client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors[route] += 1
                self.error_samples.append(f"{route}: {type(exc).__name__}")
            return None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latency[route].append(elapsed)
            if r.status_code >= 500:
                self.errors[route] += 1
                self.error_samples.append(f"{route}: {r.status_code}")
            elif r.status_code >= 400:
                self.client_errors[route] += 1
            elif r.status_code == 304:
                self.not_modified[route] += 1
        return r


def _broker(base: str, csrf: str, cookies, stats: Stats, stop: float, limit: int, rng: random.Random) -> None:
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
        for _ in range(limit):
            if time.monotonic() > stop:
                return
            board = stats.call(c, "GET", "/api/backlog")
            if board is None or board.status_code != 200:
                continue
            awaiting = [r["package_id"] for r in board.json() if r["status"] == "awaiting"]
            if not awaiting:
                stats.call(c, "GET", "/api/offers")
                continue
            pid = rng.choice(awaiting)
            stats.call(c, "GET", f"/api/packages/{pid}/shortlist")
            if rng.random() < 1 / 3:
                stats.call(c, "POST", f"/api/packages/{pid}/offers", json={}, headers={"X-CSRF-Token": csrf})


def _provider(base: str, csrf: str, cookies, stats: Stats, stop: float, limit: int, rng: random.Random) -> None:
    etag = None  # the published demand's tag, as a browser's cache keeps it
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
        for _ in range(limit):
            if time.monotonic() > stop:
                return
            offers = stats.call(c, "GET", "/api/offers")
            open_ = (
                []
                if offers is None or offers.status_code != 200
                else [o for o in offers.json() if o["status"] == "offered"]
            )
            if open_:
                o = rng.choice(open_)
                stats.call(c, "GET", f"/api/offers/{o['id']}/fit")
                if rng.random() < 0.7:
                    stats.call(c, "POST", f"/api/offers/{o['id']}/accept", headers={"X-CSRF-Token": csrf})
                else:
                    stats.call(
                        c,
                        "POST",
                        f"/api/offers/{o['id']}/decline",
                        json={"reason": "no carers free then"},
                        headers={"X-CSRF-Token": csrf},
                    )
            demand = stats.call(c, "GET", "/api/demand", headers={"If-None-Match": etag} if etag else None)
            if demand is not None and demand.status_code == 200:
                etag = demand.headers.get("etag")


def _wait_for(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("the server did not start in time")


def _check_state(args: argparse.Namespace) -> dict[str, object]:
    """The store after the run: nothing placed twice, capacity >= 0, every offer audited."""
    from patchplan.broker.offers import OfferStore

    store = OfferStore(args.db)
    try:
        offers = store.offers()
        placed = Counter(o.package_id for o in offers if o.status == "placed")
        live = Counter(o.package_id for o in offers if o.live)
        audited = {a.offer_id for a in store.audit() if a.action == "offer"}
        left = store.capacity_left()
        return {
            "offers": len(offers),
            "placed": sum(placed.values()),
            "placed_twice": sum(1 for n in placed.values() if n > 1),
            "live_twice": sum(1 for n in live.values() if n > 1),
            "capacity_below_zero": sum(1 for v in left.values() if v < 0),
            "offers_without_audit": sum(1 for o in offers if o.id not in audited),
        }
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--district", default=None, help="One district (default: the whole county).")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds of load (bounded).")
    ap.add_argument("--max-requests", type=int, default=400, help="Loop iterations per user at most.")
    ap.add_argument("--db", default=None, help="Database URL (default: a fresh SQLite file).")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args)
        return
    if not 1 <= args.users <= 200 or not 0 < args.duration <= 600:
        raise SystemExit("--users must be 1..200 and --duration 0..600 s (the run is bounded)")
    tmp = Path(tempfile.mkdtemp(prefix="patchplan-load-"))
    args.db = args.db or f"sqlite:///{tmp / 'load.db'}"
    if not args.port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            args.port = s.getsockname()[1]
    child = [
        sys.executable,
        __file__,
        "--serve",
        "--db",
        args.db,
        "--port",
        str(args.port),
        "--data",
        str(tmp / "data"),
    ]
    child += ["--users", str(args.users), "--seed", str(args.seed), "--scale", str(args.scale)]
    child += ["--district", args.district] if args.district else []
    proc = subprocess.Popen(child)
    try:
        _wait_for(args.port, proc, timeout=180)
        base = f"http://127.0.0.1:{args.port}"
        # The child wrote its users (and, last, the scenario's name) before it started serving.
        *user_list, (scenario_name,) = json.loads((tmp / "users.json").read_text())
        stats = Stats()
        sessions = []
        for name, role, _ in user_list:
            with httpx.Client(base_url=base, timeout=60) as c:
                r = stats.call(c, "POST", "/api/login", json={"username": name, "password": PASSWORD})
                if r is None or r.status_code != 200:
                    raise SystemExit(f"login of {name} failed")
                sessions.append((role, r.json()["csrf"], dict(c.cookies)))
        stop = time.monotonic() + args.duration
        threads = []
        for i, (role, csrf, cookies) in enumerate(sessions):
            fn = _broker if role == "broker" else _provider
            threads.append(
                threading.Thread(
                    target=fn, args=(base, csrf, cookies, stats, stop, args.max_requests, random.Random(i))
                )
            )
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - started
    finally:
        proc.terminate()
        proc.wait(30)
    state = _check_state(args)
    routes = {}
    for route, values in sorted(stats.latency.items()):
        a = np.array(values)
        routes[route] = {
            "requests": len(values),
            "p50_ms": round(float(np.percentile(a, 50)), 1),
            "p95_ms": round(float(np.percentile(a, 95)), 1),
            "p99_ms": round(float(np.percentile(a, 99)), 1),
            "errors": stats.errors[route],
            "4xx": stats.client_errors[route],
            "304": stats.not_modified[route],
        }
    report = {
        "scenario": scenario_name,
        "users": args.users,
        "duration_s": round(wall, 1),
        "requests": sum(r["requests"] for r in routes.values()),
        "errors": sum(stats.errors.values()),
        "routes": routes,
        "state": state,
        "error_samples": stats.error_samples[:10],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{report['scenario']}: {args.users} users, {report['duration_s']} s, {report['requests']} requests, {report['errors']} errors"
    )
    print(f"{'route':45} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'err':>5} {'4xx':>5} {'304':>5}")
    for route, r in routes.items():
        print(
            f"{route:45} {r['requests']:6d} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['p99_ms']:8.1f} "
            f"{r['errors']:5d} {r['4xx']:5d} {r['304']:5d}"
        )
    print("state afterwards:", json.dumps(state))


if __name__ == "__main__":
    main()
