"""The admin's routes: users (add, list, disable) and the whole audit trail."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from patchplan.service.context import Context
from patchplan.service.deps import AdminUser, Csrf, CtxDep
from patchplan.service.schemas import CsrfForm, UserForm, UserRequest
from patchplan.service.views import back, render

pages = APIRouter(prefix="/admin", tags=["pages: admin"])
api = APIRouter(prefix="/api", tags=["admin"])


def _add(ctx: Context, req: UserRequest, actor: str) -> dict[str, Any]:
    providers = {p.id for p in ctx.scenario.providers}
    user = ctx.accounts.add(
        req.username, req.role, req.password, provider_id=req.provider_id, actor=actor, known_providers=providers
    )
    return user.as_dict()


@pages.get("")
def admin_page(request: Request, ctx: CtxDep, session: AdminUser) -> Response:
    return render(
        request,
        "admin.html",
        users=ctx.accounts.list(),
        providers=ctx.scenario.providers,
        audit=list(reversed(ctx.offers.audit()))[:200],
    )


@pages.post("/users", dependencies=[Csrf])
def add_form(ctx: CtxDep, session: AdminUser, form: Annotated[UserForm, Form()]) -> Response:
    _add(ctx, form, session.user.username)
    return back("/admin")


@pages.post("/users/{username}/disable", dependencies=[Csrf])
def disable_form(ctx: CtxDep, session: AdminUser, username: str, _form: Annotated[CsrfForm, Form()]) -> Response:
    ctx.accounts.disable(username, actor=session.user.username)
    return back("/admin")


@api.get("/users")
def api_users(ctx: CtxDep, session: AdminUser) -> list[dict[str, Any]]:
    """Every user (never a password or its hash)."""
    return [u.as_dict() for u in ctx.accounts.list()]


@api.post("/users", status_code=201, dependencies=[Csrf])
def api_add(ctx: CtxDep, session: AdminUser, body: UserRequest) -> dict[str, Any]:
    """Add a user."""
    return _add(ctx, body, session.user.username)


@api.post("/users/{username}/disable", dependencies=[Csrf])
def api_disable(ctx: CtxDep, session: AdminUser, username: str) -> dict[str, Any]:
    """Disable a user (their sessions end at once)."""
    return ctx.accounts.disable(username, actor=session.user.username).as_dict()
