"""Rendering pages: the Jinja2 environment (autoescaped) and the helpers every page route shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.filters["hours"] = lambda h: "" if h is None else f"{float(h):.2f}"
templates.env.filters["label"] = lambda s: "" if s is None else str(s).replace("_", " ")


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the signed-in session (for the menu and the CSRF token) when there is one."""
    session = getattr(request.state, "session", None)
    return templates.TemplateResponse(
        request, name, {"session": session, "user": None if session is None else session.user, **context}, status_code
    )


def back(url: str) -> RedirectResponse:
    """After a form's POST, show the page again with a GET (post/redirect/get)."""
    return RedirectResponse(url, status_code=303)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")
