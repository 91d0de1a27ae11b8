"""The FastAPI application: :func:`create_app` wires the offers store, the
service tables (migrated at start), accounts, background jobs, the page and
API routers, static files, security headers and error pages.

Errors never reach the user as a traceback: a bad field is a 422 naming it,
an action the current state does not allow (InputError from a job or the
store) a 409 with the job's message, an id that is missing or not the
user's a 404, a wrong role a 403, no session a 401 (API) or the login page,
and anything else a plain 500 "internal error" page (logged, without
personal data).
"""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders

from patchplan.broker.offers import OfferStore
from patchplan.core.errors import InputError
from patchplan.core.model import Scenario
from patchplan.service.auth import Accounts, Throttled
from patchplan.service.config import Settings
from patchplan.service.context import Context, NotFound
from patchplan.service.db import ServiceStore, migrate, read_engine
from patchplan.service.deps import BadCsrf, Forbidden, NotSignedIn
from patchplan.service.jobs import JobRunner
from patchplan.service.views import STATIC, is_api, render

log = logging.getLogger("patchplan")

#: No inline script or style anywhere: every script and stylesheet is a file of ours.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: A patch comparison report is a self-contained page with inline scripts
#: (folium): it runs sandboxed, away from the service's cookies and forms.
REPORT_CSP = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: https:; connect-src 'none'; frame-ancestors 'self'"
)
LEAFLET = Path(__file__).parents[1] / "report" / "static" / "leaflet"


class SecurityHeaders:
    """CSP and the usual hardening headers on every response.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` runs every
    request through an extra task and stream, a cost paid on every call.
    """

    PRIVATE = ("/api", "/broker", "/provider", "/commissioner", "/admin")

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, https = scope.get("path", ""), scope.get("scheme") == "https"

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                csp = headers.get("content-security-policy") or CSP
                headers["Content-Security-Policy"] = csp
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Frame-Options"] = "DENY" if "sandbox" not in csp else "SAMEORIGIN"
                if https:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if path.startswith(self.PRIVATE) and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(
    settings: Settings,
    scenario: Scenario,
    *,
    travel: Any = None,
    start_jobs: bool = True,
    source: str | None = None,
) -> FastAPI:
    """The service for ``scenario`` on ``settings.db_url``.

    Opens (and seeds, the first time) the offers store, migrates the service
    tables, and starts the job worker when the app starts.

    Parameters
    ----------
    travel
        Travel model for shortlists (default: the scenario's).
    start_jobs
        Start the background worker (tests may run jobs by hand instead).
    source
        Where the scenario came from (a folder), recorded when the store is seeded.

    Raises
    ------
    InputError
        When the database cannot be opened or holds another scenario.
    """
    offers = OfferStore(settings.db_url, travel=travel)
    offers.seed(scenario, source=source, actor="patchplan serve")
    migrate(offers.engine)
    store = ServiceStore(offers.engine, read_engine(offers.engine))
    accounts = Accounts(
        store,
        max_failures=settings.max_login_failures,
        window_s=settings.login_window_s,
        session_hours=settings.session_hours,
    )
    ctx = Context(settings=settings, scenario=scenario, offers=offers, store=store, accounts=accounts)
    ctx.jobs = JobRunner(ctx)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        threading.Thread(target=ctx.warm, name="patchplan-warm", daemon=True).start()
        if start_jobs:
            ctx.jobs.start()
            ctx.warm_transfers()
        try:
            yield
        finally:
            ctx.jobs.stop()
            ctx.store.close()  # the read connections (the offers store stays open for whoever holds it)

    app = FastAPI(
        title="patchplan",
        summary="Home care brokerage: the broker's board, the providers' portal, patch comparisons.",
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        # FastAPI's own pages load their scripts from a CDN and start them inline, which the CSP (and an
        # offline machine) refuses: /api/docs (routes/docs.py) serves a vendored Swagger UI instead.
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.add_middleware(SecurityHeaders)
    app.mount("/static/leaflet", StaticFiles(directory=str(LEAFLET)), name="leaflet")
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _handlers(app)
    from patchplan.service.routes import admin, auth, broker, commissioner, docs, provider

    for module in (auth, broker, provider, commissioner, admin, docs):
        app.include_router(module.pages)
        app.include_router(module.api)
    return app


def freeze_heap() -> None:
    """Move every object alive now out of the garbage collector's sight (``gc.freeze``).

    For the process that serves: the scenario lives as long as it does, and a
    full collection walks every object (0.6 s on the county, with every
    request thread stopped); once frozen, collections walk only new objects.
    Called by ``patchplan serve`` after the app is built, not by
    :func:`create_app` (a test process builds many apps).
    """
    import gc

    gc.collect()
    gc.freeze()


def _handlers(app: FastAPI) -> None:
    def error(request: Request, status: int, message: str, fields: list[dict[str, str]] | None = None) -> Response:
        if is_api(request):
            body: dict[str, Any] = {"detail": message}
            if fields:
                body["fields"] = fields
            return JSONResponse(body, status_code=status)
        return render(request, "error.html", status_code=status, status=status, message=message, fields=fields or [])

    @app.exception_handler(NotSignedIn)
    async def _anon(request: Request, _exc: NotSignedIn) -> Response:
        if is_api(request):
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden) -> Response:
        return error(request, 403, "this page is for another role")

    @app.exception_handler(BadCsrf)
    async def _csrf(request: Request, _exc: BadCsrf) -> Response:
        return error(request, 403, "the form's security token is missing or stale: reload the page and try again")

    @app.exception_handler(NotFound)
    async def _missing(request: Request, _exc: NotFound) -> Response:
        return error(request, 404, "not found")

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        return error(request, 409, str(exc))

    @app.exception_handler(Throttled)
    async def _throttled(request: Request, exc: Throttled) -> Response:
        response = error(request, 429, str(exc))
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")),
                "message": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        text = "; ".join(f"{f['field'] or 'request'}: {f['message']}" for f in fields)
        return error(request, 422, f"bad input: {text}", fields)

    @app.exception_handler(404)
    async def _no_route(request: Request, _exc: Exception) -> Response:
        return error(request, 404, "not found")

    @app.exception_handler(405)
    async def _no_method(request: Request, _exc: Exception) -> Response:
        return error(request, 405, f"method {request.method} not allowed here")

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:
        log.error("internal error on %s %s: %s", request.method, request.url.path, type(exc).__name__, exc_info=exc)
        return error(request, 500, "internal error: this is a bug in patchplan; it has been logged")
