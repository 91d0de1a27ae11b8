"""Signing in and out, the home page per role, and ``/api/me``.

The login form is protected against cross-site posting with a
double-submit token: a random value in a short-lived cookie and the same
value in the form (there is no session yet whose token it could carry).
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from patchplan.service.auth import same_token
from patchplan.service.deps import COOKIE, LOGIN_COOKIE, Csrf, CtxDep, CurrentSession
from patchplan.service.schemas import CsrfForm, LoginForm, LoginRequest
from patchplan.service.views import back, render

pages = APIRouter(tags=["pages: sign in"])
api = APIRouter(prefix="/api", tags=["sign in"])

HOME = {"broker": "/broker", "provider": "/provider", "commissioner": "/commissioner", "admin": "/admin"}


def _secure(request: Request, ctx: CtxDep) -> bool:
    flag = ctx.settings.secure_cookies
    return request.url.scheme == "https" if flag is None else flag


def _set_session(response: Response, request: Request, ctx: CtxDep, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, ctx),
        max_age=int(ctx.settings.session_hours * 3600),
        path="/",
    )


@pages.get("/", include_in_schema=False)
def home(request: Request, ctx: CtxDep) -> Response:
    session = ctx.accounts.session(request.cookies.get(COOKIE))
    return back("/login" if session is None else HOME[session.user.role])


@pages.get("/login")
def login_page(request: Request, ctx: CtxDep) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=token, message=None)
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request, ctx), max_age=3600
    )
    return response


@pages.post("/login")
def login(request: Request, ctx: CtxDep, form: Annotated[LoginForm, Form()]) -> Response:
    if not same_token(form.csrf, request.cookies.get(LOGIN_COOKIE)):
        return render(
            request,
            "login.html",
            403,
            login_csrf=request.cookies.get(LOGIN_COOKIE) or "",
            message="The form expired: try again.",
        )
    done = ctx.accounts.login(form.username, form.password)
    if done is None:
        return render(
            request,
            "login.html",
            401,
            login_csrf=request.cookies.get(LOGIN_COOKIE),
            message="Wrong user name or password.",
        )
    token, session = done
    response = RedirectResponse(HOME[session.user.role], status_code=303)
    _set_session(response, request, ctx, token)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@pages.post("/logout", dependencies=[Csrf])
def logout(request: Request, ctx: CtxDep, _session: CurrentSession, _form: Annotated[CsrfForm, Form()]) -> Response:
    ctx.accounts.logout(request.cookies.get(COOKIE))
    response = back("/login")
    response.delete_cookie(COOKIE)
    return response


@api.post("/login")
def api_login(request: Request, ctx: CtxDep, body: LoginRequest, response: Response) -> dict[str, object]:
    """Sign in: sets the session cookie; send the returned ``csrf`` as ``X-CSRF-Token`` on every POST."""
    done = ctx.accounts.login(body.username, body.password)
    if done is None:
        response.status_code = 401
        return {"detail": "wrong user name or password"}
    token, session = done
    _set_session(response, request, ctx, token)
    return {"user": session.user.as_dict(), "csrf": session.csrf}


@api.post("/logout", dependencies=[Csrf])
def api_logout(request: Request, ctx: CtxDep, _session: CurrentSession, response: Response) -> dict[str, str]:
    ctx.accounts.logout(request.cookies.get(COOKIE))
    response.delete_cookie(COOKIE)
    return {"detail": "signed out"}


@api.get("/me")
def me(session: CurrentSession) -> dict[str, object]:
    """Who is signed in, and the CSRF token of the session."""
    return {"user": session.user.as_dict(), "csrf": session.csrf}
