"""The access matrix, generated from the app's route table: every route x
every role (and anonymous). Each route's allowed roles are read from its
dependencies (the role dependencies carry a ``roles`` attribute), so a new
route is covered without editing this file, and a route without any
authorisation dependency fails unless it is one of the few public ones.

For a provider user every id in a path is another provider's (an offer,
package, roster or proposal addressed elsewhere): it must get 404, the same
as for an id that does not exist, never the object.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from service_helpers import OTHER_PROVIDER, ROLE_USER, login, make_app, sqlite_copy

ROLES = ("broker", "provider", "commissioner", "admin")
#: Routes anyone may call (signing in, the API page; the OpenAPI document is not in the route table).
PUBLIC = {("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("POST", "/api/login"), ("GET", "/api/docs")}
#: Path parameters a provider user must not see through.
PRIVATE_PARAMS = {"offer_id", "package_id", "proposal_id", "provider_id"}


def _roles(route: APIRoute) -> set[str] | None:
    """The roles a route admits (None: no authorisation dependency at all)."""
    found: list[set[str]] = []

    def walk(dependant) -> None:
        for dep in dependant.dependencies:
            roles = getattr(dep.call, "roles", None)
            if roles is not None:
                found.append(set(roles))
            walk(dep)

    walk(route.dependant)
    if not found:
        return None
    return set.intersection(*found)


def _flat(routes) -> list[APIRoute]:
    """The API routes of a route table; FastAPI >= 0.16x keeps an included router
    as one entry (with ``original_router``), older ones copy its routes in."""
    out = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):
            # Our routers carry their prefix in each route's path and are included without another.
            out += _flat(r.original_router.routes)
    return out


def _routes(app) -> list[tuple[str, str, APIRoute]]:
    rows = [(m, r.path, r) for r in _flat(app.routes) for m in sorted(r.methods)]
    # Signing out last: it ends the session the other rows use.
    return sorted(rows, key=lambda row: ("logout" in row[1], row[1], row[0]))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    """An app with an offer, a proposal and jobs that concern provider P001, not the provider user's S74."""
    tmp: Path = tmp_path_factory.mktemp("access")
    app = make_app(sqlite_copy(tmp), tmp / "data", users=False)
    ctx = app.state.ctx
    offer = ctx.offers.offer("PK00111", OTHER_PROVIDER, "broker1")
    index = next(i for i, t in enumerate(ctx.transfers()) if S74 not in (t.from_provider, t.to_provider))
    proposal = ctx.propose(index, "broker1")
    allocation = ctx.jobs.submit("allocation", {"policy": "cascade"}, "broker1")
    comparison = ctx.jobs.submit("comparison", {"designs": ["today"], "mode": "fast"}, "commish")
    # Another provider's week plan: the provider user's plan pages must answer 404 for it.
    week_plan = ctx.jobs.submit("rounds", {"provider_id": OTHER_PROVIDER, "team_cap": 3}, "p001")
    values = {
        "offer_id": str(offer.id),
        "package_id": "PK00111",
        "proposal_id": str(proposal["id"]),
        "provider_id": OTHER_PROVIDER,
        "index": str(index),
        "username": "broker2",
        "name": "roster",
    }
    clients = {}
    for role, user in ROLE_USER.items():
        client = TestClient(app, raise_server_exceptions=False)
        clients[role] = (client, login(client, user))
    return app, values, clients, {"allocation": allocation, "comparison": comparison, "rounds": week_plan}


S74 = "S74"
#: Ids that exist nowhere.
MISSING = {
    "offer_id": "987654",
    "package_id": "NOPE",
    "proposal_id": "987654",
    "provider_id": "NOPE",
    "index": "987654",
    "username": "nobody",
    "name": "roster",
}


def _url(path: str, values: dict[str, str], jobs: dict[str, int]) -> str:
    if "rounds/plans" in path:
        kind = "rounds"
    elif "comparison" in path or path.startswith("/commissioner"):
        kind = "comparison"
    else:
        kind = "allocation"

    def fill(m: re.Match) -> str:
        name = m.group(1)
        return str(jobs[kind]) if name == "job_id" else values[name]

    return re.sub(r"\{(\w+)\}", fill, path)


def _call(client: TestClient, method: str, url: str, csrf: str | None):
    if method == "GET":
        return client.get(url, follow_redirects=False)
    if url.startswith("/api"):
        return client.request(method, url, json={}, headers={"X-CSRF-Token": csrf or ""}, follow_redirects=False)
    return client.request(method, url, data={"csrf": csrf or ""}, follow_redirects=False)


def test_every_route_declares_who_may_use_it(world) -> None:
    """Every route but the public few has a role dependency (authorisation is never an if in a body)."""
    app = world[0]
    rows = _routes(app)
    assert len(rows) > 60
    bare = [(m, p) for m, p, r in rows if _roles(r) is None and (m, p) not in PUBLIC]
    assert bare == []


def test_access_matrix(world) -> None:
    """Anonymous: 401 (API) or the login page; wrong role: 403; right role: neither, and no 5xx;
    a provider user asking for another provider's object by id: 404."""
    app, values, clients, jobs = world
    anonymous = TestClient(app, raise_server_exceptions=False)
    problems = []
    checked = 0
    for method, path, route in _routes(app):
        allowed = _roles(route)
        if allowed is None:
            continue
        url = _url(path, values, jobs)
        r = _call(anonymous, method, url, None)
        want_anon = 401 if path.startswith("/api") else 303
        if r.status_code != want_anon or (want_anon == 303 and r.headers.get("location") != "/login"):
            problems.append(f"anonymous {method} {url}: {r.status_code}")
        for role in ROLES:
            client, csrf = clients[role]
            r = _call(client, method, url, csrf)
            checked += 1
            if role not in allowed:
                if r.status_code != 403:
                    problems.append(f"{role} {method} {url}: {r.status_code}, expected 403")
                continue
            if r.status_code in (401, 403) or r.status_code >= 500:
                problems.append(f"{role} {method} {url}: {r.status_code} {r.text[:120]}")
            if role == "provider" and PRIVATE_PARAMS & set(route.param_convertors):
                # Another provider's object answers exactly as a missing one: 404, or the
                # body's 422 that comes before any lookup; never its content.
                missing = _call(client, method, _url(path, MISSING, jobs), csrf)
                if r.status_code not in (404, 422) or (r.status_code, r.text) != (missing.status_code, missing.text):
                    problems.append(f"provider {method} {url}: {r.status_code}, but {missing.status_code} if missing")
    assert problems == []
    assert checked > 200  # the table really was walked


def test_provider_404_reveals_nothing(world) -> None:
    """Another provider's offer and a missing offer give the provider user the same answer."""
    _, values, clients, _ = world
    client, _ = clients["provider"]
    login(client, ROLE_USER["provider"])  # the matrix ended with signing out
    theirs = client.get(f"/api/offers/{values['offer_id']}")
    missing = client.get("/api/offers/987654")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert client.get(f"/api/packages/{values['package_id']}").json() == client.get("/api/packages/NOPE").json()


def test_a_broker_sees_what_the_provider_may_not(world) -> None:
    """The objects the provider user was refused exist: the broker gets them."""
    _, values, clients, _ = world
    client, _ = clients["broker"]
    login(client, ROLE_USER["broker"])
    assert client.get(f"/api/offers/{values['offer_id']}").json()["provider_id"] == OTHER_PROVIDER
    assert client.get(f"/api/proposals/{values['proposal_id']}").status_code == 200
