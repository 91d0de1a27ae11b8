"""Offers and their outcome: a shared, audited record of brokerage.

A broker offers a package to a provider; the provider accepts or declines
(with a reason), or the offer expires; an accepted offer is then placed,
which books the package's hours against the provider's capacity. A declined
or expired package moves on to the next feasible provider on its shortlist
(:func:`patchplan.broker.brokerage.shortlist`, skipping providers already tried)::

    offered --> accepted --> placed
       |            |           |
       +--> declined (reason) / expired     (package free for a new offer)
       |            |           |
       +------------+-----------+--> withdrawn by the broker (reason; a
                                     placed package's hours are released)

Everything lives in one database, SQLite by default (a file beside the
user) or any SQLAlchemy URL (e.g. ``postgresql+psycopg://...``) for a team
of brokers. Every change appends a row to the audit trail, in the same
transaction as the change: who did what, to which package and provider,
and when (UTC).

Concurrency safety is the database's job, not Python's:

* **one live offer per package**: a unique partial index on
  ``offers(package_id) WHERE status IN ('offered', 'accepted', 'placed')``,
  so a second live offer for a package cannot be written by anyone, however
  the writers interleave (so no package can be placed with two providers);
* **capacity never overbooked**: placing runs, in one transaction, one
  conditional ``UPDATE capacity SET minutes_left = minutes_left - :need
  WHERE ... AND minutes_left >= :need`` per (weekday, band) cell the
  package needs, and rolls everything back if any cell had too little; a
  ``CHECK (minutes_left >= 0)`` constraint backs it up;
* **state changes are compare-and-set**: ``UPDATE offers SET status = ...
  WHERE id = :id AND status = :expected``, checked by row count, so two
  brokers acting on one offer cannot both succeed;
* on SQLite every transaction starts with ``BEGIN IMMEDIATE`` (the pysqlite
  recipe from the SQLAlchemy documentation) and waits on a busy timeout, so
  concurrent writers in threads or processes queue instead of failing with
  "database is locked". On PostgreSQL the row locks taken by the
  conditional updates and the unique index give the same guarantees under
  the default READ COMMITTED isolation.

Capacity is kept in whole minutes (an integer, so repeated bookings never
drift below zero by rounding): the provider's band capacity left in the
scenario rounded down, and each package's need rounded to the minute, as
:func:`patchplan.broker.brokerage.allocate` does. Offering does not reserve capacity;
placing does.

Logs carry offer, package and provider ids only: never reasons (free text a
broker may fill with personal details) or people's names.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import logging
import math
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy import (
    CheckConstraint,
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
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection, CursorResult, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

from patchplan.broker.brokerage import POLICIES, BrokerState, Offer, backlog, choose, shortlist
from patchplan.core.errors import InputError
from patchplan.core.model import WEEKDAYS, Scenario

log = logging.getLogger("patchplan")

DEFAULT_URL = "sqlite:///patchplan-offers.db"
#: Every status an offer can have, and those that hold the package.
STATUSES = ("offered", "accepted", "declined", "expired", "placed", "withdrawn")
LIVE = ("offered", "accepted", "placed")
#: Statuses after which the package moves on to another provider. A broker's
#: withdrawal is not the provider's refusal (the client went into hospital,
#: the wrong provider was picked), so a withdrawn provider is not skipped.
TRIED = ("declined", "expired")
#: The CHECK constraint on offers.status (named, so a migration can replace it).
STATUS_CHECK = f"status IN ({', '.join(repr(s) for s in STATUSES)})"
#: The capacity cell of a provider's (or a package's) weekly hours.
WEEK = (-1, "week")
#: How long a provider has to answer an offer, by the package's urgency: a
#: hospital discharge cannot wait two days for a reply.
OFFER_TTL_HOURS = {"hospital_discharge": 4.0, "urgent": 24.0, "routine": 48.0}


def offer_ttl_hours(urgency: str) -> float:
    """Hours a provider has to answer an offer of a package of this urgency.

    Raises
    ------
    InputError
        On an unknown urgency.
    """
    if urgency not in OFFER_TTL_HOURS:
        raise InputError(f"unknown urgency {urgency!r}; expected one of {', '.join(OFFER_TTL_HOURS)}")
    return OFFER_TTL_HOURS[urgency]


metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Text, nullable=False),
)
providers = Table(
    "providers",
    metadata,
    Column("provider_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("tier", Integer, nullable=False),
    #: 1 when the provider's capacity is given per weekday and band.
    Column("banded", Integer, nullable=False),
)
packages = Table(
    "packages",
    metadata,
    Column("package_id", String(64), primary_key=True),
    Column("hours_week", Float, nullable=False),
    Column("urgency", String(40), nullable=False),
)
needs = Table(
    "needs",
    metadata,
    Column("package_id", String(64), ForeignKey("packages.package_id"), primary_key=True),
    Column("weekday", Integer, primary_key=True),
    Column("band", String(20), primary_key=True),
    Column("minutes", Integer, nullable=False),
)
capacity = Table(
    "capacity",
    metadata,
    Column("provider_id", String(64), ForeignKey("providers.provider_id"), primary_key=True),
    #: 0 = Monday ... 6 = Sunday; -1 with band 'week' is the weekly total.
    Column("weekday", Integer, primary_key=True),
    Column("band", String(20), primary_key=True),
    Column("minutes_left", Integer, nullable=False),
    CheckConstraint("minutes_left >= 0", name="capacity_not_negative"),
)
offers = Table(
    "offers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("package_id", String(64), ForeignKey("packages.package_id"), nullable=False),
    Column("provider_id", String(64), ForeignKey("providers.provider_id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text),
    Column("offered_at", DateTime, nullable=False),
    Column("decided_at", DateTime),
    Column("placed_at", DateTime),
    Column("expires_at", DateTime, nullable=False),
    Column("broker", String(200), nullable=False),
    Column("policy", String(20)),
    # Snapshot of the provider's shortlist entry when the offer was made.
    Column("rank", Integer),
    Column("tier", Integer),
    Column("added_travel_min_week", Integer),
    CheckConstraint(STATUS_CHECK, name="offer_status"),
)
_live = offers.c.status.in_(LIVE)
Index("one_live_offer_per_package", offers.c.package_id, unique=True, sqlite_where=_live, postgresql_where=_live)
Index("offers_by_package", offers.c.package_id)
audit_log = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("offer_id", Integer),
    Column("package_id", String(64)),
    Column("provider_id", String(64)),
    Column("detail", Text, nullable=False),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredOffer:
    """One offer as recorded (times are UTC, without a time zone)."""

    id: int
    package_id: str
    provider_id: str
    status: str
    reason: str | None
    offered_at: dt.datetime
    decided_at: dt.datetime | None
    placed_at: dt.datetime | None
    expires_at: dt.datetime
    broker: str
    policy: str | None
    rank: int | None
    tier: int | None
    added_travel_min_week: int | None

    @property
    def live(self) -> bool:
        """Whether the offer holds its package (offered, accepted or placed)."""
        return self.status in LIVE

    def as_dict(self) -> dict[str, object]:
        """Plain values, times as ISO 8601 text (for JSON)."""
        return {k: _plain(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One row of the audit trail: who did what, when (UTC)."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    offer_id: int | None
    package_id: str | None
    provider_id: str | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        """Plain values, times as ISO 8601 text (for JSON)."""
        return {k: _plain(getattr(self, k)) for k in self.__dataclass_fields__}


def _plain(value: object) -> object:
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value


def new_row_id(result: CursorResult[Any]) -> int:
    """The primary key of the one row an INSERT just made."""
    key = result.inserted_primary_key
    if key is None:  # only for executemany or a statement that is no INSERT
        raise RuntimeError("the statement made no single row")
    return int(key[0])


def utcnow() -> dt.datetime:
    """Now, in UTC without a time zone (how the store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _utc(value: dt.datetime) -> dt.datetime:
    """A time as naive UTC (aware times are converted)."""
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def default_actor() -> str:
    """The login name of whoever runs patchplan (for the audit trail)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. some containers)
        return "unknown"


def fingerprint(s: Scenario) -> str:
    """A short digest of what the store depends on: the scenario's name,
    start, packages (id and status) and providers (id and tier)."""
    h = hashlib.sha256()
    h.update(f"{s.name}|{s.start.isoformat()}|{s.days}\n".encode())
    for p in sorted(s.packages, key=lambda p: p.id):
        h.update(f"P|{p.id}|{p.status}|{p.provider_id or ''}\n".encode())
    for prov in sorted(s.providers, key=lambda p: p.id):
        h.update(f"R|{prov.id}|{prov.tier}\n".encode())
    return h.hexdigest()[:16]


def _cell_text(weekday: int, band: str) -> str:
    return "weekly hours" if weekday < 0 else f"{WEEKDAYS[weekday]} {band}"


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f} h"


# ---------------------------------------------------------------------------
# Engine
# ---------------------------------------------------------------------------
def make_engine(url: str, *, busy_timeout_s: float = 30.0) -> Engine:
    """An engine for ``url``; SQLite connections begin ``IMMEDIATE``.

    Parameters
    ----------
    url
        Any SQLAlchemy database URL. ``sqlite://`` (in memory) is shared by
        the threads of one process through a single connection and is meant
        for quick single-threaded use.
    busy_timeout_s
        SQLite: how long a writer waits for another writer's transaction to
        finish before giving up.

    Raises
    ------
    InputError
        When the URL cannot be parsed or names an unknown database driver.
    """
    try:
        u = make_url(url)
    except ArgumentError:
        raise InputError(f"--db {url!r}: not a database URL (e.g. sqlite:///offers.db)") from None
    try:
        if u.get_backend_name() != "sqlite":
            return create_engine(u, pool_pre_ping=True)
        memory = u.database in (None, "", ":memory:")
        kwargs: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_s, "check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(u, **kwargs)
    except Exception as exc:  # noqa: BLE001 - unknown driver, missing DBAPI module, ...
        raise InputError(f"--db {u.render_as_string(hide_password=True)}: {type(exc).__name__}: {exc}") from None
    wait_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite would otherwise defer it
        # until the first write, after the reads that decide the write).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {wait_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Take the write lock up front: writers queue on the busy timeout
        # instead of deadlocking on a lock upgrade ("database is locked").
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------
class OfferStore:
    """Offers, capacity left and the audit trail, in one database.

    Parameters
    ----------
    url
        SQLAlchemy database URL; default a SQLite file ``patchplan-offers.db``
        in the working directory. Tables are created on open.
    scenario
        The scenario the store was (or will be) seeded from. Needed to
        offer with a shortlist snapshot and to find the next provider after
        a decline; checked against the store's seed.
    travel
        Travel model for shortlists (default: the scenario's).
    clock
        Returns "now" (default: the system clock, UTC); tests pass a fixed one.
    busy_timeout_s
        SQLite: how long a writer waits for another writer.

    Raises
    ------
    InputError
        When the URL is unusable or the database cannot be opened, or the
        scenario is not the one the store was seeded from.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        scenario: Scenario | None = None,
        travel: Any = None,
        clock: Callable[[], dt.datetime] | None = None,
        busy_timeout_s: float = 30.0,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_s=busy_timeout_s)
        self.travel = travel
        self.clock = clock or utcnow
        self.scenario: Scenario | None = None
        self._state: BrokerState | None = None
        # Guards the cached BrokerState when one store is shared by threads
        # (the database needs no such lock).
        self._lock = threading.RLock()
        try:
            try:
                metadata.create_all(self.engine)
            except (IntegrityError, ProgrammingError):
                # PostgreSQL: another process created the tables at the same
                # moment; they exist now, so checking again succeeds.
                metadata.create_all(self.engine)
        except OperationalError as exc:
            where = make_url(url).render_as_string(hide_password=True)
            raise InputError(f"cannot open the offers database {where}: {exc.orig}") from None
        if scenario is not None:
            self.attach(scenario)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        """One transaction: committed on success, rolled back on any error."""
        with self.engine.begin() as conn:
            yield conn

    def _now(self) -> dt.datetime:
        return _utc(self.clock())

    # -- seeding ------------------------------------------------------------
    def seeded(self) -> dict[str, str]:
        """The store's seed: scenario name, fingerprint, source, when ({} if none)."""
        with self._tx() as conn:
            return {r.key: r.value for r in conn.execute(select(meta))}

    def attach(self, scenario: Scenario) -> None:
        """Use ``scenario`` for shortlists (it must be the one seeded, if any).

        Raises
        ------
        InputError
            When the store was seeded from another scenario.
        """
        seed = self.seeded()
        if seed and seed.get("fingerprint") != fingerprint(scenario):
            raise InputError(
                f"the offers store was seeded from scenario {seed.get('scenario')!r} "
                f"({seed.get('source') or 'no folder recorded'}), not from {scenario.name!r} as given; "
                "use another --db for another scenario"
            )
        with self._lock:
            if self.scenario is not scenario:
                self.scenario = scenario
                self._state = None

    def seed(
        self,
        scenario: Scenario,
        *,
        state: BrokerState | None = None,
        source: str | None = None,
        actor: str | None = None,
    ) -> bool:
        """Record providers, their capacity left and the backlog.

        Capacity is :class:`~patchplan.broker.brokerage.BrokerState`'s remaining hours
        (band capacity less the packages already placed or offered in the
        scenario) per weekday and band, plus each provider's weekly hours
        left, in whole minutes (rounded down). Packages are the scenario's
        backlog (status ``awaiting``) with their need per weekday and band.

        Parameters
        ----------
        scenario
            The scenario to seed from; the store keeps it for shortlists.
        state
            A ready :class:`BrokerState` (default: built from the scenario);
            the store keeps it for shortlists and overwrites its capacity
            with the store's.
        source
            Where the scenario came from (a folder), recorded so that later
            commands can find it.
        actor
            Who seeds (audit trail); default the login name.

        Returns
        -------
        bool
            True when seeded now; False when the store already held this
            scenario (nothing changes).

        Raises
        ------
        InputError
            When the store was seeded from another scenario.
        """
        fp = fingerprint(scenario)
        if self.seeded():
            self.attach(scenario)  # the same scenario, or InputError
            return False
        state = state or BrokerState(scenario, travel=self.travel)
        pkgs = backlog(scenario)
        now = self._now()
        with self._tx() as conn:
            have = {r.key: r.value for r in conn.execute(select(meta))}
            if have:  # seeded by another writer meanwhile
                if have.get("fingerprint") != fp:
                    raise InputError(
                        f"the offers store was seeded from scenario {have.get('scenario')!r}, not {scenario.name!r}; "
                        "use another --db for another scenario"
                    )
                seeded_now = False
            else:
                values = {"scenario": scenario.name, "fingerprint": fp, "seeded_at": now.isoformat(timespec="seconds")}
                if source:
                    values["source"] = source
                conn.execute(meta.insert(), [{"key": k, "value": v} for k, v in values.items()])
                conn.execute(
                    providers.insert(),
                    [
                        {"provider_id": p.id, "name": p.name, "tier": p.tier, "banded": int(bool(p.band_capacity))}
                        for p in scenario.providers
                    ],
                )
                cells = []
                for p in scenario.providers:
                    for (wd, band), hours in sorted(state.remaining.get(p.id, {}).items()):
                        cells.append(
                            {"provider_id": p.id, "weekday": wd, "band": band, "minutes_left": _floor_minutes(hours)}
                        )
                    cells.append(
                        {
                            "provider_id": p.id,
                            "weekday": WEEK[0],
                            "band": WEEK[1],
                            "minutes_left": _floor_minutes(state.weekly_left.get(p.id, 0.0)),
                        }
                    )
                conn.execute(capacity.insert(), cells)
                if pkgs:
                    conn.execute(
                        packages.insert(),
                        [{"package_id": p.id, "hours_week": p.hours_week, "urgency": p.urgency} for p in pkgs],
                    )
                    rows = [
                        {"package_id": p.id, "weekday": wd, "band": band, "minutes": round(h * 60)}
                        for p in pkgs
                        for (wd, band), h in sorted(state.need(p).items())
                    ]
                    if rows:
                        conn.execute(needs.insert(), rows)
                self._audit(
                    conn,
                    now,
                    actor or default_actor(),
                    "seed",
                    detail=(
                        f"scenario {scenario.name!r}: {len(scenario.providers)} providers, "
                        f"{len(cells)} capacity cells, {len(pkgs)} packages awaiting"
                    ),
                )
                seeded_now = True
        with self._lock:
            self.scenario = scenario
            self._state = state  # kept, and its capacity synced with the store's
        if seeded_now:
            log.info("offers store seeded: %d providers, %d packages", len(scenario.providers), len(pkgs))
        return seeded_now

    # -- shortlists -----------------------------------------------------------
    def _need_scenario(self, what: str) -> Scenario:
        if self.scenario is None:
            raise InputError(
                f"{what} needs the scenario the store was seeded from: OfferStore(url, scenario=s) or store.attach(s)"
            )
        return self.scenario

    def shortlist(self, package_id: str) -> tuple[Offer, ...]:
        """The package's shortlist against the capacity left in the store.

        Raises
        ------
        InputError
            Without a scenario, or on an unknown package.
        """
        s = self._need_scenario("a shortlist")
        if not s.has("package", package_id):
            raise InputError(f"unknown package {package_id!r}")
        with self._lock:
            return shortlist(s, s.package(package_id), state=self._synced_state())

    def _synced_state(self) -> BrokerState:
        """The cached BrokerState with its capacity replaced by the store's."""
        if self._state is None:
            self._state = BrokerState(self._need_scenario("a shortlist"), travel=self.travel)
        st = self._state
        with self._tx() as conn:
            rows = conn.execute(select(capacity)).all()
        fresh: dict[str, dict[tuple[int, str], float]] = {}
        for r in rows:
            if r.weekday < 0:
                st.weekly_left[r.provider_id] = r.minutes_left / 60
            else:
                fresh.setdefault(r.provider_id, {})[(r.weekday, r.band)] = r.minutes_left / 60
        for pid in {r.provider_id for r in rows}:
            st.remaining[pid] = fresh.get(pid, {})
        return st

    def broker_state(self) -> BrokerState:
        """A fresh :class:`BrokerState` of the scenario with the store's
        capacity left, for a job that books into its own copy (e.g.
        :func:`~patchplan.broker.brokerage.cascade_backlog`) without
        touching the store's cached one.

        Raises
        ------
        InputError
            Without a scenario.
        """
        with self._lock:
            cached = self._synced_state()
            fresh = BrokerState(cached.s, cached.roster, cached.travel)
            fresh.remaining = {pid: dict(cells) for pid, cells in cached.remaining.items()}
            fresh.weekly_left = dict(cached.weekly_left)
            # Today's rounds do not change with capacity: share the indexes
            # already built instead of rebuilding them (the slow part).
            fresh._rounds = cached._rounds
            fresh._needs = cached._needs
            return fresh

    def awaiting(self) -> list[str]:
        """Ids of the seeded packages without a live offer, in backlog order."""
        with self._tx() as conn:
            held = {r.package_id for r in conn.execute(select(offers.c.package_id).where(_live))}
            seeded = {r.package_id for r in conn.execute(select(packages.c.package_id))}
        s = self.scenario
        order = [p.id for p in backlog(s)] if s is not None else sorted(seeded)
        return [pid for pid in order if pid in seeded and pid not in held]

    def tried(self, package_id: str) -> set[str]:
        """Providers that declined the package or let an offer of it expire."""
        with self._tx() as conn:
            q = select(offers.c.provider_id).where(offers.c.package_id == package_id, offers.c.status.in_(TRIED))
            return {r.provider_id for r in conn.execute(q)}

    def next_provider(self, package_id: str, policy: str = "cascade") -> Offer | None:
        """The provider the policy picks among the feasible ones not tried yet.

        Returns
        -------
        Offer or None
            The provider's shortlist entry; None when nobody else can take it.

        Raises
        ------
        InputError
            Without a scenario, on an unknown package or policy.
        """
        if policy not in POLICIES:
            raise InputError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
        tried = self.tried(package_id)
        return choose([o for o in self.shortlist(package_id) if o.provider_id not in tried], policy)

    # -- the lifecycle --------------------------------------------------------
    def offer(
        self,
        package_id: str,
        provider_id: str | None,
        broker: str,
        ttl_hours: float = 48,
        *,
        policy: str = "cascade",
        force: bool = False,
    ) -> StoredOffer:
        """Offer a package to a provider.

        Parameters
        ----------
        package_id
            A package of the seeded backlog.
        provider_id
            The provider; None for the policy's pick among the feasible
            providers not tried yet (needs the scenario).
        broker
            Who makes the offer (audit trail).
        ttl_hours
            The provider has this long to accept before the offer expires.
        policy
            Recorded with the offer; a decline picks the next provider with it.
        force
            Offer even when the shortlist says the provider cannot take it.

        Returns
        -------
        StoredOffer
            The new offer (status ``offered``).

        Raises
        ------
        InputError
            When the package already has a live offer (offered, accepted or
            placed), the package or provider is unknown, the provider cannot
            take the package (unless ``force``), or nobody can. Nothing is
            written then.
        """
        if not broker or not broker.strip():
            raise InputError("an offer needs the name of the broker who makes it")
        if not (ttl_hours > 0 and math.isfinite(ttl_hours)):
            raise InputError(f"ttl_hours {ttl_hours!r}: must be a positive number of hours")
        if policy not in POLICIES:
            raise InputError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
        entry: Offer | None = None
        if provider_id is None:
            entry = self.next_provider(package_id, policy)
            if entry is None:
                raise InputError(f"no provider can take package {package_id!r} (all infeasible or already tried)")
            provider_id = entry.provider_id
        elif self.scenario is not None:
            entry = next((o for o in self.shortlist(package_id) if o.provider_id == provider_id), None)
            if entry is None:
                raise InputError(
                    f"provider {provider_id!r} is not on package {package_id!r}'s shortlist (its lot or the district's spot market)"
                )
            if not entry.feasible and not force:
                raise InputError(f"provider {provider_id!r} cannot take package {package_id!r}: {entry.reason}")
        now = self._now()
        expires = now + dt.timedelta(hours=ttl_hours)
        try:
            with self._tx() as conn:
                self._known(conn, package_id, provider_id)
                live = self._live_offer(conn, package_id)
                if live is not None:
                    raise _live_error(package_id, live)
                offer_id = new_row_id(
                    conn.execute(
                        offers.insert().values(
                            package_id=package_id,
                            provider_id=provider_id,
                            status="offered",
                            offered_at=now,
                            expires_at=expires,
                            broker=broker,
                            policy=policy,
                            rank=None if entry is None else entry.rank,
                            tier=None if entry is None else entry.tier,
                            added_travel_min_week=None if entry is None else entry.added_travel_min_week,
                        )
                    )
                )
                where = (
                    ""
                    if entry is None
                    else (
                        f" ({'spot market' if entry.rank is None else f'rank {entry.rank}'}, tier {entry.tier}"
                        + (
                            ""
                            if entry.added_travel_min_week is None
                            else f", +{entry.added_travel_min_week} min travel a week"
                        )
                        + ")"
                    )
                )
                self._audit(
                    conn,
                    now,
                    broker,
                    "offer",
                    offer_id,
                    package_id,
                    provider_id,
                    f"offered to {provider_id}{where}; policy {policy}; expires {expires.isoformat(timespec='seconds')}",
                )
        except IntegrityError:
            # Another broker's offer won the race (the unique partial index).
            with self._tx() as conn:
                live = self._live_offer(conn, package_id)
            raise _live_error(package_id, live) from None
        log.info("offer %d: package %s to provider %s", offer_id, package_id, provider_id)
        return self.get(offer_id)

    def accept(self, offer_id: int, actor: str) -> StoredOffer:
        """The provider accepts an offer (before it expires).

        Raises
        ------
        InputError
            When the offer is unknown, not in status ``offered``, or past
            its expiry time.
        """
        now = self._now()
        with self._tx() as conn:
            row = self._row(conn, offer_id)
            if row.status != "offered":
                raise InputError(f"offer {offer_id} is {row.status}: only an offered package can be accepted")
            if row.expires_at <= now:
                raise InputError(
                    f"offer {offer_id} expired at {row.expires_at.isoformat(timespec='seconds')} UTC; make a new offer"
                )
            self._move(conn, offer_id, "offered", status="accepted", decided_at=now)
            self._audit(
                conn, now, actor, "accept", offer_id, row.package_id, row.provider_id, f"{row.provider_id} accepted"
            )
        log.info("offer %d accepted", offer_id)
        return self.get(offer_id)

    def decline(self, offer_id: int, actor: str, reason: str) -> Offer | None:
        """The provider declines an offer (or withdraws an acceptance).

        Returns
        -------
        Offer or None
            The next provider to offer the package to: the offer's policy's
            pick among feasible providers not yet tried (declined or
            expired) on the package's shortlist, against the capacity left
            in the store; None when nobody else can take it.

        Raises
        ------
        InputError
            Without a reason or a scenario, or when the offer is unknown or
            no longer offered or accepted.
        """
        if not reason or not reason.strip():
            raise InputError(f"declining offer {offer_id} needs a reason")
        self._need_scenario("decline (to find the next provider)")
        now = self._now()
        with self._tx() as conn:
            row = self._row(conn, offer_id)
            if row.status not in ("offered", "accepted"):
                raise InputError(
                    f"offer {offer_id} is {row.status}: only an offered or accepted package can be declined"
                )
            self._move(conn, offer_id, row.status, status="declined", reason=reason.strip(), decided_at=now)
            self._audit(
                conn,
                now,
                actor,
                "decline",
                offer_id,
                row.package_id,
                row.provider_id,
                f"{row.provider_id} declined: {reason.strip()}",
            )
        log.info("offer %d declined", offer_id)
        return self.next_provider(row.package_id, row.policy or "cascade")

    def withdraw(self, offer_id: int, broker: str, reason: str) -> StoredOffer:
        """A broker withdraws a live offer (offered, accepted or placed), with a reason.

        The offer becomes ``withdrawn`` (its own status, not a provider's
        decline); the package has no live offer again, so it is back in the
        backlog. Offering reserves nothing, so only a placed offer holds
        capacity: its booked minutes go back to the provider's cells, in the
        same transaction. The audit row says who withdrew it, when and why.

        Raises
        ------
        InputError
            Without a broker or a reason, when the offer is unknown or no
            longer live, or when the database predates withdrawals (its
            status check refuses them: ``patchplan serve`` upgrades it).
        """
        if not broker or not broker.strip():
            raise InputError(f"withdrawing offer {offer_id} needs the name of the broker who withdraws it")
        if not reason or not reason.strip():
            raise InputError(f"withdrawing offer {offer_id} needs a reason")
        now = self._now()
        try:
            with self._tx() as conn:
                row = self._row(conn, offer_id)
                if row.status not in LIVE:
                    raise InputError(
                        f"offer {offer_id} is {row.status}: only an offered, accepted or placed package can be withdrawn"
                    )
                self._move(conn, offer_id, row.status, status="withdrawn", reason=reason.strip(), decided_at=now)
                released = self._release(conn, row) if row.status == "placed" else ""
                self._audit(
                    conn,
                    now,
                    broker,
                    "withdraw",
                    offer_id,
                    row.package_id,
                    row.provider_id,
                    f"withdrawn from {row.provider_id} ({row.status}) by broker {broker} at "
                    f"{now.isoformat(timespec='seconds')} UTC: {reason.strip()}" + released,
                )
        except IntegrityError:
            raise InputError(
                "this offers database predates withdrawals (its status check refuses 'withdrawn'): "
                "start `patchplan serve` on it once to upgrade it"
            ) from None
        log.info("offer %d withdrawn", offer_id)
        return self.get(offer_id)

    def _release(self, conn: Connection, row: Any) -> str:
        """Give a placed offer's booked minutes back to its provider; the audit text of what went back."""
        cells = self._cells(conn, row.package_id, row.provider_id)
        for (wd, band), minutes in sorted(cells.items()):
            conn.execute(
                update(capacity)
                .where(capacity.c.provider_id == row.provider_id, capacity.c.weekday == wd, capacity.c.band == band)
                .values(minutes_left=capacity.c.minutes_left + minutes)
            )
        return "; released " + ", ".join(f"{_cell_text(wd, b)} {_hours(m)}" for (wd, b), m in sorted(cells.items()))

    def expire(self, now: dt.datetime | None = None, actor: str = "system") -> list[int]:
        """Expire every offer still awaiting an answer past its expiry time.

        Returns
        -------
        list of int
            The ids of the offers expired now.
        """
        now = _utc(now) if now is not None else self._now()
        done = []
        with self._tx() as conn:
            due = conn.execute(
                select(offers).where(offers.c.status == "offered", offers.c.expires_at <= now).order_by(offers.c.id)
            ).all()
            for row in due:
                self._move(conn, row.id, "offered", status="expired", decided_at=now)
                self._audit(
                    conn,
                    now,
                    actor,
                    "expire",
                    row.id,
                    row.package_id,
                    row.provider_id,
                    f"no answer from {row.provider_id} by {row.expires_at.isoformat(timespec='seconds')}",
                )
                done.append(row.id)
        if done:
            log.info("%d offer(s) expired", len(done))
        return done

    def place(self, offer_id: int, actor: str) -> StoredOffer:
        """Place an accepted offer: book the package's hours and mark it placed.

        Books the package's need in each weekday x band cell (or its weekly
        hours, for a provider without band limits) with conditional updates
        in one transaction; if any cell lacks the minutes, nothing is booked.

        Raises
        ------
        InputError
            When the offer is unknown or not accepted, or the provider lacks
            the capacity (the message lists the short cells). The store is
            unchanged then.
        """
        now = self._now()
        with self._tx() as conn:
            row = self._row(conn, offer_id)
            if row.status != "accepted":
                raise InputError(f"offer {offer_id} is {row.status}: only an accepted offer can be placed")
            # Compare-and-set first: it also locks the offer row (PostgreSQL).
            self._move(conn, offer_id, "accepted", status="placed", placed_at=now)
            cells = self._cells(conn, row.package_id, row.provider_id)
            short = []
            for (wd, band), minutes in sorted(cells.items()):
                booked = conn.execute(
                    update(capacity)
                    .where(
                        capacity.c.provider_id == row.provider_id,
                        capacity.c.weekday == wd,
                        capacity.c.band == band,
                        capacity.c.minutes_left >= minutes,
                    )
                    .values(minutes_left=capacity.c.minutes_left - minutes)
                )
                if booked.rowcount != 1:
                    left = conn.execute(
                        select(capacity.c.minutes_left).where(
                            capacity.c.provider_id == row.provider_id, capacity.c.weekday == wd, capacity.c.band == band
                        )
                    ).scalar()
                    short.append(f"{_cell_text(wd, band)} needs {_hours(minutes)}, {_hours(left or 0)} left")
            if short:
                # Raised inside the transaction: every booking above is rolled back.
                raise InputError(
                    f"cannot place offer {offer_id}: provider {row.provider_id} lacks capacity: " + "; ".join(short)
                )
            booked_text = ", ".join(f"{_cell_text(wd, b)} {_hours(m)}" for (wd, b), m in sorted(cells.items()))
            self._audit(
                conn,
                now,
                actor,
                "place",
                offer_id,
                row.package_id,
                row.provider_id,
                f"placed with {row.provider_id}; booked {booked_text}",
            )
        log.info("offer %d placed", offer_id)
        return self.get(offer_id)

    # -- reading --------------------------------------------------------------
    def get(self, offer_id: int) -> StoredOffer:
        """One offer.

        Raises
        ------
        InputError
            On an unknown offer id.
        """
        with self._tx() as conn:
            return _stored(self._row(conn, offer_id))

    def history(self, package_id: str) -> list[StoredOffer]:
        """Every offer of a package, oldest first."""
        return self.offers(package_id)

    def offers(self, package_id: str | None = None, status: str | None = None) -> list[StoredOffer]:
        """Offers, oldest first, optionally of one package and/or in one status."""
        q = select(offers).order_by(offers.c.id)
        if package_id is not None:
            q = q.where(offers.c.package_id == package_id)
        if status is not None:
            if status not in STATUSES:
                raise InputError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")
            q = q.where(offers.c.status == status)
        with self._tx() as conn:
            return [_stored(r) for r in conn.execute(q)]

    def audit(self, package_id: str | None = None) -> list[AuditEntry]:
        """The audit trail, oldest first (optionally about one package)."""
        q = select(audit_log).order_by(audit_log.c.id)
        if package_id is not None:
            q = q.where(audit_log.c.package_id == package_id)
        with self._tx() as conn:
            return [AuditEntry(**r._mapping) for r in conn.execute(q)]

    def capacity_left(self, provider_id: str | None = None) -> dict[tuple[str, int, str], float]:
        """Hours left per (provider, weekday, band); weekday -1 is 'week'."""
        q = select(capacity)
        if provider_id is not None:
            q = q.where(capacity.c.provider_id == provider_id)
        with self._tx() as conn:
            return {(r.provider_id, r.weekday, r.band): r.minutes_left / 60 for r in conn.execute(q)}

    # -- helpers --------------------------------------------------------------
    def _row(self, conn: Connection, offer_id: int) -> Any:
        row = conn.execute(select(offers).where(offers.c.id == int(offer_id))).first()
        if row is None:
            raise InputError(f"unknown offer {offer_id}")
        return row

    def _live_offer(self, conn: Connection, package_id: str) -> Any:
        return conn.execute(select(offers).where(offers.c.package_id == package_id, _live)).first()

    def _known(self, conn: Connection, package_id: str, provider_id: str) -> None:
        if conn.execute(select(func.count()).select_from(meta)).scalar() == 0:
            raise InputError("the offers store is empty: seed it from a scenario first (store.seed(s))")
        if conn.execute(select(packages.c.package_id).where(packages.c.package_id == package_id)).first() is None:
            raise InputError(f"package {package_id!r} is not awaiting a provider in the seeded scenario")
        if conn.execute(select(providers.c.provider_id).where(providers.c.provider_id == provider_id)).first() is None:
            raise InputError(f"unknown provider {provider_id!r}")

    def _cells(self, conn: Connection, package_id: str, provider_id: str) -> dict[tuple[int, str], int]:
        """Minutes the package needs from the provider, per capacity cell."""
        banded = conn.execute(select(providers.c.banded).where(providers.c.provider_id == provider_id)).scalar()
        need = {
            (r.weekday, r.band): r.minutes for r in conn.execute(select(needs).where(needs.c.package_id == package_id))
        }
        if banded and need:
            return {k: m for k, m in need.items() if m > 0}
        hours = conn.execute(select(packages.c.hours_week).where(packages.c.package_id == package_id)).scalar() or 0.0
        return {WEEK: round(hours * 60)}

    def _move(self, conn: Connection, offer_id: int, expected: str, **values: object) -> None:
        """Compare-and-set an offer's status; InputError if someone got there first."""
        moved = conn.execute(
            update(offers).where(offers.c.id == offer_id, offers.c.status == expected).values(**values)
        )
        if moved.rowcount != 1:
            raise InputError(f"offer {offer_id} changed meanwhile (no longer {expected}); look at it again")

    def _audit(
        self,
        conn: Connection,
        at: dt.datetime,
        actor: str,
        action: str,
        offer_id: int | None = None,
        package_id: str | None = None,
        provider_id: str | None = None,
        detail: str = "",
    ) -> None:
        conn.execute(
            audit_log.insert().values(
                at=at,
                actor=actor,
                action=action,
                offer_id=offer_id,
                package_id=package_id,
                provider_id=provider_id,
                detail=detail,
            )
        )


def _floor_minutes(hours: float) -> int:
    """Hours as whole minutes, rounded down (never below 0)."""
    return max(0, math.floor(hours * 60 + 1e-6))


def _stored(row: Any) -> StoredOffer:
    return StoredOffer(**row._mapping)


def _live_error(package_id: str, live: Any) -> InputError:
    if live is None:  # the winner was already withdrawn; still refuse this write
        return InputError(f"package {package_id!r} was offered by someone else at the same time; look at it again")
    return InputError(
        f"package {package_id!r} already has a live offer: offer {live.id} to {live.provider_id} is {live.status}"
    )


__all__ = [
    "DEFAULT_URL",
    "LIVE",
    "OFFER_TTL_HOURS",
    "STATUSES",
    "STATUS_CHECK",
    "AuditEntry",
    "OfferStore",
    "StoredOffer",
    "default_actor",
    "fingerprint",
    "make_engine",
    "offer_ttl_hours",
    "utcnow",
]
