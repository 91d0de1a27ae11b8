"""Who is asking, declared once as typed dependencies (the full-stack FastAPI
template's pattern): authorisation is a dependency, never an ``if`` in a
route body.

``CurrentSession`` needs a signed-in user; ``BrokerUser``,
``ProviderUser``, ``CommissionerUser`` and ``AdminUser`` need that role
(admin may act as broker and commissioner, never as a provider). A provider
user carries its provider id, and every query of a provider route is
filtered by it. ``Csrf`` checks the session's CSRF token on unsafe requests
(form field ``csrf`` or header ``X-CSRF-Token``).

The dependencies are ``async``: FastAPI runs a plain ``def`` dependency in
its thread pool, one hand-over per dependency per request, and these only
look at the request (the session lookup is an indexed read, remembered for a
second), so they run on the event loop instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from patchplan.service.auth import Session, same_token
from patchplan.service.context import Context, NotFound

COOKIE = "patchplan_session"
LOGIN_COOKIE = "patchplan_login"


class NotSignedIn(Exception):
    """No live session: pages redirect to the login page, the API answers 401."""


class Forbidden(Exception):
    """Signed in, but the route is for another role (403)."""


class BadCsrf(Exception):
    """An unsafe request without the session's CSRF token (403)."""


async def get_ctx(request: Request) -> Context:
    return request.app.state.ctx


CtxDep = Annotated[Context, Depends(get_ctx)]


async def get_session(request: Request, ctx: CtxDep) -> Session:
    session = ctx.accounts.session(request.cookies.get(COOKIE))
    if session is None:
        raise NotSignedIn()
    request.state.session = session
    return session


get_session.roles = ("broker", "provider", "commissioner", "admin")  # type: ignore[attr-defined]
CurrentSession = Annotated[Session, Depends(get_session)]


async def check_csrf(request: Request, session: CurrentSession) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get("csrf")  # type: ignore[assignment]
    if not same_token(sent, session.csrf):  # type: ignore[arg-type]
        raise BadCsrf()


Csrf = Depends(check_csrf)


def _role(*roles: str):
    async def need(session: CurrentSession) -> Session:
        if session.user.role not in roles:
            raise Forbidden()
        return session

    # Read by the access-matrix test, which derives each route's roles from its dependencies.
    need.roles = roles  # type: ignore[attr-defined]
    return need


BrokerUser = Annotated[Session, Depends(_role("broker", "admin"))]
CommissionerUser = Annotated[Session, Depends(_role("commissioner", "admin"))]
AdminUser = Annotated[Session, Depends(_role("admin"))]


async def _provider(session: CurrentSession) -> str:
    """The provider id a provider user is bound to (every provider query filters by it)."""
    if session.user.role != "provider" or not session.user.provider_id:
        raise Forbidden()
    return session.user.provider_id


_provider.roles = ("provider",)  # type: ignore[attr-defined]
ProviderId = Annotated[str, Depends(_provider)]


async def _own_provider(me: ProviderId, provider_id: str) -> str:
    """The ``{provider_id}`` of the path, when it is the provider user's own: another provider's
    answers 404, exactly as one that does not exist (nothing says it is there)."""
    if provider_id != me:
        raise NotFound(provider_id)
    return me


_own_provider.roles = ("provider",)  # type: ignore[attr-defined]
#: For routes under ``/providers/{provider_id}/...``: the path's provider, checked to be the user's.
OwnProviderId = Annotated[str, Depends(_own_provider)]


async def _provider_or_all(session: CurrentSession) -> str | None:
    """None (sees everything) for a broker or admin, the bound provider for a provider user."""
    if session.user.role in ("broker", "admin"):
        return None
    if session.user.role == "provider" and session.user.provider_id:
        return session.user.provider_id
    raise Forbidden()


_provider_or_all.roles = ("broker", "admin", "provider")  # type: ignore[attr-defined]
Scope = Annotated[str | None, Depends(_provider_or_all)]
