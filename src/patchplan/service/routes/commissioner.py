"""The commissioner's routes: start a patch comparison (a background job with
progress), follow it, open its report, and the list of past runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from patchplan.service.context import Context, NotFound
from patchplan.service.deps import CommissionerUser, Csrf, CtxDep
from patchplan.service.jobs import check_designs
from patchplan.service.schemas import ComparisonForm, ComparisonRequest, IdPath
from patchplan.service.views import back, render

pages = APIRouter(prefix="/commissioner", tags=["pages: commissioner"])
api = APIRouter(prefix="/api", tags=["commissioner"])


def _run(ctx: Context, job_id: int) -> dict[str, Any]:
    job = ctx.store.job(job_id)
    if job is None or job["kind"] != "comparison":
        raise NotFound(job_id)
    return job


def _start(ctx: Context, designs: list[str], mode: str, seed: int, actor: str) -> int:
    return ctx.jobs.submit("comparison", {"designs": check_designs(designs), "mode": mode, "seed": seed}, actor)


@pages.get("")
def runs_page(request: Request, ctx: CtxDep, session: CommissionerUser) -> Response:
    return render(request, "commissioner/runs.html", jobs=ctx.store.jobs("comparison"))


@pages.post("/runs", dependencies=[Csrf])
def run_start(ctx: CtxDep, session: CommissionerUser, form: Annotated[ComparisonForm, Form()]) -> Response:
    job_id = _start(ctx, form.designs.split(","), form.mode, form.seed, session.user.username)
    return back(f"/commissioner/runs/{job_id}")


@pages.get("/runs/{job_id}")
def run_page(request: Request, ctx: CtxDep, session: CommissionerUser, job_id: IdPath) -> Response:
    return render(request, "commissioner/run.html", job=_run(ctx, job_id))


@pages.get("/runs/{job_id}/progress")
def run_progress(request: Request, ctx: CtxDep, session: CommissionerUser, job_id: IdPath) -> Response:
    return render(request, "progress.html", job=_run(ctx, job_id), page=f"/commissioner/runs/{job_id}")


@pages.get("/runs/{job_id}/report")
def run_report(ctx: CtxDep, session: CommissionerUser, job_id: IdPath) -> Response:
    job = _run(ctx, job_id)
    index = ctx.jobs.report_dir(job_id) / "index.html"
    if job["status"] != "done" or not index.is_file():
        raise NotFound(job_id)
    from patchplan.service.app import REPORT_CSP

    return HTMLResponse(index.read_text(encoding="utf-8"), headers={"Content-Security-Policy": REPORT_CSP})


@api.get("/jobs/comparison")
def api_runs(ctx: CtxDep, session: CommissionerUser) -> list[dict[str, Any]]:
    """Past and running patch comparisons, newest first."""
    return ctx.store.jobs("comparison")


@api.post("/jobs/comparison", status_code=202, dependencies=[Csrf])
def api_start(ctx: CtxDep, session: CommissionerUser, body: ComparisonRequest) -> dict[str, Any]:
    """Start a patch comparison of the named designs (a background job)."""
    return _run(ctx, _start(ctx, body.designs, body.mode, body.seed, session.user.username))


@api.get("/jobs/comparison/{job_id}")
def api_run(ctx: CtxDep, session: CommissionerUser, job_id: IdPath) -> dict[str, Any]:
    """A comparison job: status, progress, headline KPIs per design when done."""
    return _run(ctx, job_id)
