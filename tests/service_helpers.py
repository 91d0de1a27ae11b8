"""Shared by the service tests: the small Maldon scenario, an app on a fresh
database with one user per role, and signing in through the API."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from patchplan.core.model import Scenario
from patchplan.io.folder import read_scenario
from patchplan.service import Settings, create_app

PASSWORD = "a long test password"
POSTGRES_ENV = "PATCHPLAN_TEST_POSTGRES_URL"
#: Maldon at 0.3 scale, seed 1: four packages await a provider; the spot
#: provider S74 can take three of them, framework provider P001 one (PK00111).
PROVIDER = "S74"
OTHER_PROVIDER = "P001"
#: username -> (role, provider)
USERS = {
    "broker1": ("broker", None),
    "broker2": ("broker", None),
    "s74-a": ("provider", PROVIDER),
    "s74-b": ("provider", PROVIDER),
    "p001": ("provider", OTHER_PROVIDER),
    "commish": ("commissioner", None),
    "admin1": ("admin", None),
}
#: One user per role for the access matrix.
ROLE_USER = {"broker": "broker1", "provider": "s74-a", "commissioner": "commish", "admin": "admin1"}


#: Maldon at 0.3 scale, seed 1, as the generator made it at commit a185d3c, frozen as a folder so that
#: the broker facts the tests rely on (who can take which package) do not move when the generator does.
SCENARIO_DIR = Path(__file__).parent / "data" / "service_maldon"


@functools.cache
def scenario() -> Scenario:
    """The small scenario every service test uses (read once)."""
    return read_scenario(SCENARIO_DIR)


def make_app(url: str, data_dir: Path, *, users: bool = True, **settings: object):
    """An app on ``url`` (seeded from the scenario), with :data:`USERS` added."""
    app = create_app(
        Settings(db_url=url, data_dir=data_dir, expire_every_s=0, **settings),  # type: ignore[arg-type]
        scenario(),
    )
    if users:
        for name, (role, provider) in USERS.items():
            app.state.ctx.accounts.add(name, role, PASSWORD, provider_id=provider, actor="test")
    return app


@functools.cache
def _template() -> Path:
    """A seeded SQLite database with :data:`USERS`, built once per test process
    (hashing seven argon2 passwords per test would dominate the run time)."""
    folder = Path(tempfile.mkdtemp(prefix="patchplan-svc-template-"))
    app = make_app(f"sqlite:///{folder / 'template.db'}", folder / "data")
    app.state.ctx.close()  # every connection closed: the write-ahead log is folded into the file copied
    return folder / "template.db"


def sqlite_copy(tmp_path: Path) -> str:
    """The URL of a fresh copy of the template database in ``tmp_path``."""
    target = tmp_path / "svc.db"
    shutil.copyfile(_template(), target)
    return f"sqlite:///{target}"


def login_api(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the API; returns the session's CSRF token."""
    client.cookies.clear()
    r = client.post("/api/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return r.json()["csrf"]


def login(client: TestClient, username: str) -> str:
    """A live session for an existing user, without an argon2 verification
    (the sign-in tests use :func:`login_api`); returns its CSRF token."""
    from sqlalchemy import select

    from patchplan.service.db import users

    with client.app.state.ctx.store.tx() as conn:
        row = conn.execute(select(users.c.role, users.c.provider_id).where(users.c.username == username)).first()
    assert row is not None, username
    token, csrf = direct_session(client.app, username, row.role, row.provider_id)
    client.cookies.clear()
    client.cookies.set("patchplan_session", token)
    return csrf


def post(client: TestClient, url: str, csrf: str, json: object | None = None):
    return client.post(url, json=json if json is not None else None, headers={"X-CSRF-Token": csrf})


@contextmanager
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (when $PATCHPLAN_TEST_POSTGRES_URL is set), dropped afterwards."""
    admin_url = os.environ[POSTGRES_ENV]
    name = f"patchplan_svc_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@functools.cache
def _hash() -> str:
    from patchplan.service.auth import hash_password

    return hash_password(PASSWORD)


def direct_session(app, username: str, role: str, provider_id: str | None = None) -> tuple[str, str]:
    """A user (added if missing, with a hash computed once) and a live session, written
    straight to the tables: (cookie token, CSRF token). For tests that need many
    signed-in users without paying an argon2 verification per login."""
    import datetime as dt
    import secrets

    from sqlalchemy import select

    from patchplan.service.auth import digest
    from patchplan.service.db import sessions, users

    store = app.state.ctx.store
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with store.tx() as conn:
        row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
        if row is None:
            user_id = conn.execute(
                users.insert().values(
                    username=username,
                    role=role,
                    provider_id=provider_id,
                    password_hash=_hash(),
                    active=1,
                    created_at=now,
                )
            ).inserted_primary_key[0]
        else:
            user_id = row.id
        conn.execute(
            sessions.insert().values(
                token_hash=digest(token),
                user_id=user_id,
                csrf=csrf,
                created_at=now,
                expires_at=now + dt.timedelta(hours=1),
            )
        )
    return token, csrf


def client_for(app, token: str) -> TestClient:
    """A client carrying a session cookie."""
    client = TestClient(app)
    client.cookies.set("patchplan_session", token)
    return client
