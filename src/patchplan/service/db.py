"""The service's own tables (users, sessions, login failures, background jobs,
transfer proposals), kept in the offers store's database beside its tables.

The offers store (:mod:`patchplan.broker.offers`) creates its own tables
when it opens; this module's tables are created and upgraded by the Alembic
migrations in ``migrations/`` (:func:`migrate`, run at every start), so a
deployed database can be upgraded in place. State changes made here are
written to the offers store's audit table in the same transaction, so there
is one audit trail for everything.

Reads go through :meth:`ServiceStore.read`, on a read engine of their own
(:func:`read_engine`): on a SQLite file the offers store begins every
transaction ``IMMEDIATE`` (taking the write lock, so that writers queue
instead of deadlocking), which would make every page's reads queue behind
every other request's; the read engine's connections begin plain read
transactions instead, and the database runs in WAL mode so that readers and
the one writer never wait for each other. On PostgreSQL the read engine is
a pool of its own (reads there never wait for writers); on an in-memory
SQLite it is the store's own engine.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Connection, Engine

from patchplan.broker.offers import audit_log

log = logging.getLogger("patchplan")

MIGRATIONS = Path(__file__).parent / "migrations"

metadata = MetaData()

users = Table(
    "service_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("provider_id", String(64)),
    Column("password_hash", String(255), nullable=False),
    Column("active", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("disabled_at", DateTime),
)
sessions = Table(
    "service_sessions",
    metadata,
    # Only a digest of the cookie is kept: a copy of the database opens no session.
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("service_users.id"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)
login_failures = Table(
    "service_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
)
Index("login_failures_by_user", login_failures.c.username, login_failures.c.at)
jobs = Table(
    "service_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    #: queued -> running -> done | failed; an allocation's offers sent -> sent.
    Column("status", String(20), nullable=False),
    Column("progress", Float, nullable=False),
    Column("step", Text, nullable=False),
    Column("params", Text, nullable=False),
    Column("result", Text),
    Column("error", Text),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime),
    Column("finished_at", DateTime),
)
proposals = Table(
    "service_transfer_proposals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("package_id", String(64), nullable=False),
    Column("from_provider", String(64), nullable=False),
    Column("to_provider", String(64), nullable=False),
    Column("swap_package_id", String(64)),
    Column("saving_min_week", Integer, nullable=False),
    Column("hours_week", Float, nullable=False),
    Column("reason", Text, nullable=False),
    #: proposed -> agreed (both providers agree) | declined (either declines).
    Column("status", String(20), nullable=False),
    Column("from_answer", String(20)),
    Column("to_answer", String(20)),
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_at", DateTime, nullable=False),
)
_open = proposals.c.status == "proposed"
# At most one open proposal per package, however two brokers interleave.
Index(
    "one_open_proposal_per_package",
    proposals.c.package_id,
    unique=True,
    sqlite_where=_open,
    postgresql_where=_open,
)


def migrate(engine: Engine) -> None:
    """Bring the service tables up to the newest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def read_engine(engine: Engine, *, busy_timeout_s: float = 30.0) -> Engine:
    """An engine for reads only beside the store's ``engine`` (see the module docstring).

    A SQLite file is switched to WAL mode (kept in the file; safe for the
    offers store and its other users on this machine). Its connections are
    pooled (opening one per read cost a fifth of the server's time under
    load); dispose the read engine before the store's when the file is to be
    copied, so that the last connection closed folds the log into the file.
    """
    url = engine.url
    # Enough connections that no request (40 threads, and the reads on the event loop) waits for one.
    pool = {"pool_size": 10, "max_overflow": 40}
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **pool)  # PostgreSQL reads never take a write lock
    if url.database in (None, "", ":memory:"):
        return engine  # one shared in-memory database: only the store's connection sees it
    raw = engine.raw_connection()
    try:
        # Outside any transaction (the store's connections leave BEGIN to SQLAlchemy).
        raw.cursor().execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        # Another process holds the file mid-transaction: reads still work, they may just wait.
        log.warning("offers database left in its journal mode (WAL refused: %s); reads may wait for writers", exc)
    finally:
        raw.close()
    reads = create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False}, **pool)

    @event.listens_for(reads, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only = 1")  # a bug here can never write
        cursor.close()

    return reads


class ServiceStore:
    """Transactions over the service tables and the shared audit trail.

    Parameters
    ----------
    engine
        The offers store's engine (its SQLite ``BEGIN IMMEDIATE`` and busy
        timeout apply here too).
    """

    def __init__(self, engine: Engine, reads: Engine | None = None) -> None:
        self.engine = engine
        self.reads = reads or engine

    @contextmanager
    def tx(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error."""
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        """Release the read engine's connections (the store's engine is the offers store's to close)."""
        if self.reads is not self.engine:
            self.reads.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading only (never takes the SQLite write lock)."""
        with self.reads.connect() as conn:
            yield conn

    def audit(
        self,
        conn: Connection,
        actor: str,
        action: str,
        detail: str,
        *,
        at: dt.datetime,
        offer_id: int | None = None,
        package_id: str | None = None,
        provider_id: str | None = None,
    ) -> None:
        """Append to the offers store's audit trail (inside the caller's transaction)."""
        conn.execute(
            audit_log.insert().values(
                at=at,
                actor=actor,
                action=action[:20],
                offer_id=offer_id,
                package_id=package_id,
                provider_id=provider_id,
                detail=detail,
            )
        )

    def job(self, job_id: int) -> dict[str, Any] | None:
        """One job as plain values (params and result decoded), or None."""
        with self.read() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        return None if row is None else job_dict(row)

    def jobs(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Jobs, newest first."""
        q = select(jobs).order_by(jobs.c.id.desc())
        if kind is not None:
            q = q.where(jobs.c.kind == kind)
        with self.read() as conn:
            return [job_dict(r) for r in conn.execute(q)]


def job_dict(row: Any) -> dict[str, Any]:
    """A jobs row with its JSON columns decoded."""
    out = dict(row._mapping)
    out["params"] = json.loads(out["params"] or "{}")
    out["result"] = None if out["result"] is None else json.loads(out["result"])
    return out
