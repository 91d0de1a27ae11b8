"""The human API page, ``/api/docs``: the vendored Swagger UI (``static/swagger-ui/``)
on ``/api/openapi.json``, served from our own origin under the service's content
security policy (scripts from 'self' only). Public, like the document it shows:
it holds no data, and every call it makes is authorised as any other."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from patchplan.service.views import render

pages = APIRouter(tags=["docs"])
api = APIRouter()


@pages.get("/api/docs", include_in_schema=False)
def api_docs(request: Request) -> Response:
    return render(request, "api_docs.html")
