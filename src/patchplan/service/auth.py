"""Accounts and sessions: argon2 password hashes, server-side sessions with a
CSRF token each, login throttling, and the user add/list/disable operations
``patchplan users`` and the admin pages share.

A session cookie holds a random token; the database keeps only its SHA-256
digest, the user and a per-session CSRF token that every form and every
unsafe API call must send back. Disabling a user ends their sessions at once
(each request checks the user is still active). No password, token or
digest is ever logged.

A session found in the database is remembered for :data:`SESSION_CACHE_S`
(one second) so that a page's requests do not each read it again; signing
out or disabling a user in this process forgets it at once, and a user
disabled from another process (``patchplan users disable``) is refused within
that second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from patchplan.broker.offers import utcnow
from patchplan.core.errors import InputError
from patchplan.service.db import ServiceStore, login_failures, sessions, users

log = logging.getLogger("patchplan")

ROLES = ("broker", "provider", "commissioner", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD = 12
#: How long a session read from the database is trusted without reading it again.
SESSION_CACHE_S = 1.0
#: Argon2id with the library's current defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
#: Verified against when the user name is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A signed-in (or listed) user."""

    id: int
    username: str
    role: str
    provider_id: str | None
    active: bool

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A live session: its user and the CSRF token its forms carry."""

    user: User
    csrf: str


class Throttled(Exception):
    """Too many failed logins for a user name: try again after ``retry_after_s``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def random_password() -> str:
    """A random password (about 120 bits), for demo accounts."""
    return secrets.token_urlsafe(15)


def digest(token: str) -> str:
    """What the database keeps of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(
        id=m["id"], username=m["username"], role=m["role"], provider_id=m["provider_id"], active=bool(m["active"])
    )


def check_new_user(username: str, role: str, provider_id: str | None, password: str, known_providers: set[str] | None):
    """Validate a new account's fields (InputError naming the field and value)."""
    if not USERNAME.match(username or ""):
        raise InputError(
            f"username {username!r}: 2-64 characters, lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if role == "provider":
        if not provider_id:
            raise InputError("provider_id: a provider user must be bound to one provider (--provider)")
        if known_providers is not None and provider_id not in known_providers:
            raise InputError(f"provider_id {provider_id!r}: not a provider of the scenario")
    elif provider_id:
        raise InputError(f"provider_id {provider_id!r}: only a provider user is bound to a provider")
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"password: at least {MIN_PASSWORD} characters")


class Accounts:
    """Users, sessions and login throttling over a :class:`ServiceStore`."""

    def __init__(self, store: ServiceStore, *, max_failures: int = 5, window_s: int = 900, session_hours: float = 12):
        self.store = store
        self.max_failures = max_failures
        self.window_s = window_s
        self.session_hours = session_hours
        #: token digest -> (session, its expiry, when it was read: monotonic seconds)
        self._sessions: dict[str, tuple[Session, dt.datetime, float]] = {}

    # -- users ------------------------------------------------------------------
    def add(
        self,
        username: str,
        role: str,
        password: str,
        *,
        provider_id: str | None = None,
        actor: str,
        known_providers: set[str] | None = None,
    ) -> User:
        """Create an active user (audited).

        Raises
        ------
        InputError
            On a bad field, or when the user name is taken.
        """
        check_new_user(username, role, provider_id, password, known_providers)
        now = utcnow()
        try:
            self._insert(username, role, provider_id, password, actor, now)
        except IntegrityError:  # added by someone else at the same moment
            raise InputError(f"username {username!r}: already taken") from None
        return self.get(username)

    def _insert(self, username: str, role: str, provider_id: str | None, password: str, actor: str, now) -> None:
        with self.store.tx() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first() is not None:
                raise InputError(f"username {username!r}: already taken")
            conn.execute(
                users.insert().values(
                    username=username,
                    role=role,
                    provider_id=provider_id,
                    password_hash=hash_password(password),
                    active=1,
                    created_at=now,
                )
            )
            where = f" for provider {provider_id}" if provider_id else ""
            self.store.audit(conn, actor, "user-add", f"user {username} added as {role}{where}", at=now)

    def get(self, username: str) -> User:
        """One user by name (InputError when unknown)."""
        with self.store.tx() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            raise InputError(f"username {username!r}: no such user")
        return _user(row)

    def list(self) -> list[User]:
        """Every user, by name."""
        with self.store.tx() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]

    def disable(self, username: str, *, actor: str) -> User:
        """Disable a user and end their sessions (audited).

        Raises
        ------
        InputError
            When the user is unknown.
        """
        now = utcnow()
        with self.store.tx() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
            if row is None:
                raise InputError(f"username {username!r}: no such user")
            conn.execute(update(users).where(users.c.id == row.id).values(active=0, disabled_at=now))
            conn.execute(delete(sessions).where(sessions.c.user_id == row.id))
            self.store.audit(conn, actor, "user-disable", f"user {username} disabled", at=now)
        self._sessions.clear()  # their remembered sessions too, at once
        return self.get(username)

    # -- logging in -------------------------------------------------------------------
    def login(self, username: str, password: str) -> tuple[str, Session] | None:
        """A new session token for a correct password, else None.

        Raises
        ------
        Throttled
            After too many failures for this user name within the window
            (checked before the password, so guessing stops).
        """
        now = utcnow()
        name = (username or "").strip().lower()[:64]
        since = now - dt.timedelta(seconds=self.window_s)
        with self.store.tx() as conn:
            failures = conn.execute(
                select(func.count(), func.min(login_failures.c.at)).where(
                    login_failures.c.username == name, login_failures.c.at > since
                )
            ).one()
        if failures[0] >= self.max_failures:
            oldest = failures[1]
            raise Throttled(max(1, int((oldest + dt.timedelta(seconds=self.window_s) - now).total_seconds())))
        with self.store.tx() as conn:
            row = conn.execute(select(users).where(users.c.username == name)).first()
        ok = _verify(row.password_hash if row is not None else _DUMMY_HASH, password or "")
        if row is None or not ok or not row.active:
            with self.store.tx() as conn:
                conn.execute(login_failures.insert().values(username=name, at=now))
            log.info("failed login")
            return None
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.tx() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at <= now))
            conn.execute(delete(login_failures).where(login_failures.c.username == name))
            conn.execute(
                sessions.insert().values(
                    token_hash=digest(token),
                    user_id=row.id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + dt.timedelta(hours=self.session_hours),
                )
            )
            if _hasher.check_needs_rehash(row.password_hash):
                conn.execute(update(users).where(users.c.id == row.id).values(password_hash=hash_password(password)))
            self.store.audit(conn, name, "sign-in", f"{name} signed in", at=now)
        return token, Session(user=_user(row), csrf=csrf)

    def session(self, token: str | None) -> Session | None:
        """The live session of a cookie token (None when absent, expired or the user is disabled)."""
        if not token:
            return None
        key = digest(token)
        remembered = self._sessions.get(key)
        if remembered is not None and time.monotonic() - remembered[2] < SESSION_CACHE_S:
            session, expires_at, _ = remembered
            return session if expires_at > utcnow() else None
        with self.store.read() as conn:
            row = conn.execute(
                select(sessions.c.csrf, sessions.c.expires_at, users)
                .join(users, users.c.id == sessions.c.user_id)
                .where(sessions.c.token_hash == key)
            ).first()
        if row is None or row.expires_at <= utcnow() or not row.active:
            self._sessions.pop(key, None)
            return None
        session = Session(user=_user(row), csrf=row.csrf)
        if len(self._sessions) > 10_000:  # bounded: start again
            self._sessions.clear()
        self._sessions[key] = (session, row.expires_at, time.monotonic())
        return session

    def logout(self, token: str | None) -> None:
        """End a session (audited)."""
        if not token:
            return
        self._sessions.pop(digest(token), None)
        with self.store.tx() as conn:
            row = conn.execute(
                select(users.c.username)
                .join(sessions, sessions.c.user_id == users.c.id)
                .where(sessions.c.token_hash == digest(token))
            ).first()
            if row is None:
                return
            conn.execute(delete(sessions).where(sessions.c.token_hash == digest(token)))
            self.store.audit(conn, row.username, "sign-out", f"{row.username} signed out", at=utcnow())


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def same_token(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
