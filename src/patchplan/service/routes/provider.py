"""The provider's routes (and the reads brokers share): offers addressed to
the provider with the referral details it needs, accept or decline, "can we
fit it?" against its own rounds, the published live demand, its rounds, a
week of rounds planned with care teams (a background job, its roster to
download), and transfer proposals addressed to it.

Every query is filtered by the provider the user is bound to: an offer,
package, roster or proposal of another provider is answered 404, exactly as
one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, Response

from patchplan.broker.brokerage import fit
from patchplan.core.errors import InputError
from patchplan.service.context import Context, NotFound
from patchplan.service.deps import Csrf, CtxDep, CurrentSession, OwnProviderId, ProviderId, Scope
from patchplan.service.jobs import first_day
from patchplan.service.schemas import (
    AnswerForm,
    AnswerRequest,
    CsrfForm,
    IdPath,
    ReasonForm,
    ReasonRequest,
    RoundsPlanForm,
    RoundsPlanRequest,
)
from patchplan.service.views import back, render

pages = APIRouter(prefix="/provider", tags=["pages: provider"])
api = APIRouter(prefix="/api", tags=["provider"])


# -- shared -------------------------------------------------------------------------------------
def _offer_view(ctx: Context, offer_id: int, scope: str | None) -> dict[str, Any]:
    offer = ctx.offer_for(offer_id, scope)
    return {**offer.as_dict(), "referral": ctx.referral(offer.package_id, placed=offer.status == "placed")}


def _accept(ctx: Context, offer_id: int, provider_id: str, actor: str) -> dict[str, Any]:
    """Accept, then place at once: the provider's yes books its capacity, so
    the broker sees the package placed. If placing fails (the capacity went
    to another package meanwhile), the acceptance stands, the offer stays
    accepted for the broker to place or withdraw, and ``placement_problem``
    says which cells were short."""
    ctx.offer_for(offer_id, provider_id)
    ctx.offers.accept(offer_id, actor)
    problem = None
    try:
        ctx.offers.place(offer_id, actor)
    except InputError as exc:
        problem = str(exc)
    return {**_offer_view(ctx, offer_id, provider_id), "placement_problem": problem}


def _decline(ctx: Context, offer_id: int, provider_id: str, reason: str, actor: str) -> dict[str, Any]:
    ctx.offer_for(offer_id, provider_id)
    ctx.offers.decline(offer_id, actor, reason)
    return _offer_view(ctx, offer_id, provider_id)


def _fit(ctx: Context, offer_id: int, provider_id: str) -> dict[str, Any]:
    offer = ctx.offer_for(offer_id, provider_id)
    # The fit reads only today's rounds (never capacity): the base state, built once, serves every request.
    calls = fit(ctx.scenario, offer.package_id, provider_id, state=ctx.broker_base())
    known = [c.added_travel_min for c in calls if c.added_travel_min is not None]
    return {
        "offer_id": offer_id,
        "calls": [c.as_dict() for c in calls],
        "added_travel_min_week": sum(known) if len(known) == len(calls) else None,
        "calls_in_rounds": sum(1 for c in calls if c.fits_round),
        "calls_new_trip": sum(1 for c in calls if c.added_travel_min is not None and not c.fits_round),
        "calls_no_carer": sum(1 for c in calls if c.added_travel_min is None),
        "carers": sorted({cid for c in calls for cid in c.carer_ids}),
    }


def _rounds(ctx: Context, provider_id: str, scope: str | None) -> dict[str, Any]:
    s = ctx.scenario
    if not s.has("provider", provider_id) or (scope is not None and scope != provider_id):
        raise NotFound(provider_id)
    carers = {c.id for c in s.carers_of(provider_id)}
    roster = s.status_quo
    rounds = [] if roster is None else [r for r in roster.rounds if r.carer_id in carers]
    return {
        "provider_id": provider_id,
        "carers": len(carers),
        "rounds": [
            {"carer_id": r.carer_id, "day": r.day, "calls": len(r.stops), "leave": r.leave}
            for r in sorted(rounds, key=lambda r: (r.day, r.carer_id))
        ],
    }


def _plan(ctx: Context, provider_id: str, job_id: int) -> dict[str, Any]:
    """A week-of-rounds job of this provider (404 for any other job, as for a missing one)."""
    job = ctx.store.job(job_id)
    if job is None or job["kind"] != "rounds" or job["params"].get("provider_id") != provider_id:
        raise NotFound(job_id)
    return job


def _plans(ctx: Context, provider_id: str) -> list[dict[str, Any]]:
    return [j for j in ctx.store.jobs("rounds") if j["params"].get("provider_id") == provider_id]


def _start_plan(ctx: Context, provider_id: str, body: RoundsPlanRequest, actor: str) -> int:
    week = None if body.week is None else body.week.isoformat()
    try:
        first_day(ctx.scenario, week)  # a week outside the scenario is refused now, not when the job runs
    except InputError as exc:
        raise RequestValidationError([{"loc": ("body", "week"), "msg": str(exc), "type": "value_error"}]) from None
    params = {
        "provider_id": provider_id,
        "week": week,
        "team_cap": body.team_cap,
        "time_limit_s": body.time_limit_s,
        "seed": body.seed,
    }
    return ctx.jobs.submit("rounds", params, actor)


#: The files of a planned roster a provider may download (io.roster.write_roster).
RosterFile = Literal["roster", "rounds", "unassigned"]


def _roster_csv(ctx: Context, provider_id: str, job_id: int, name: str) -> Response:
    """A finished plan's roster file: ``roster`` (one row per call: carer, date, start, travel),
    ``rounds`` (one per carer-shift) or ``unassigned`` (each call left out, with its reason)."""
    job = _plan(ctx, provider_id, job_id)
    path = ctx.jobs.report_dir(job_id) / "roster" / f"{name}.csv"
    if job["status"] != "done" or not path.is_file():
        raise NotFound(job_id)
    return FileResponse(path, media_type="text/csv", filename=f"{name}-{provider_id}-plan-{job_id}.csv")


# -- pages ---------------------------------------------------------------------------------------------
@pages.get("")
def offers_page(request: Request, ctx: CtxDep, provider_id: ProviderId) -> Response:
    offers = ctx.provider_offers(provider_id)
    return render(
        request,
        "provider/offers.html",
        offers=[
            {**o.as_dict(), "referral": ctx.referral(o.package_id, placed=o.status == "placed")}
            for o in reversed(offers)
        ],
        provider=ctx.scenario.provider(provider_id),
    )


@pages.get("/offers/{offer_id}")
def offer_page(request: Request, ctx: CtxDep, provider_id: ProviderId, offer_id: IdPath) -> Response:
    return render(request, "provider/offer.html", offer=_offer_view(ctx, offer_id, provider_id))


@pages.get("/offers/{offer_id}/fit")
def fit_fragment(request: Request, ctx: CtxDep, provider_id: ProviderId, offer_id: IdPath) -> Response:
    return render(request, "provider/fit.html", fit=_fit(ctx, offer_id, provider_id))


@pages.post("/offers/{offer_id}/accept", dependencies=[Csrf])
def accept_form(
    ctx: CtxDep, session: CurrentSession, provider_id: ProviderId, offer_id: IdPath, _form: Annotated[CsrfForm, Form()]
) -> Response:
    _accept(ctx, offer_id, provider_id, session.user.username)
    return back(f"/provider/offers/{offer_id}")


@pages.post("/offers/{offer_id}/decline", dependencies=[Csrf])
def decline_form(
    ctx: CtxDep, session: CurrentSession, provider_id: ProviderId, offer_id: IdPath, form: Annotated[ReasonForm, Form()]
) -> Response:
    _decline(ctx, offer_id, provider_id, form.reason, session.user.username)
    return back(f"/provider/offers/{offer_id}")


@pages.get("/demand")
def demand_page(request: Request, ctx: CtxDep, provider_id: ProviderId) -> Response:
    return render(request, "provider/demand.html", demand=ctx.published_demand(), k=ctx.settings.k)


@pages.get("/demand/table")
def demand_table(request: Request, ctx: CtxDep, provider_id: ProviderId) -> Response:
    return render(request, "provider/demand_table.html", demand=ctx.published_demand(), k=ctx.settings.k)


@pages.get("/rounds")
def rounds_page(request: Request, ctx: CtxDep, provider_id: ProviderId) -> Response:
    return render(
        request,
        "provider/rounds.html",
        rounds=_rounds(ctx, provider_id, provider_id),
        plans=_plans(ctx, provider_id),
        first_day=ctx.scenario.start.isoformat(),
    )


@pages.post("/rounds/plans", dependencies=[Csrf])
def plan_start(
    ctx: CtxDep, session: CurrentSession, provider_id: ProviderId, form: Annotated[RoundsPlanForm, Form()]
) -> Response:
    job_id = _start_plan(ctx, provider_id, form, session.user.username)
    return back(f"/provider/rounds/plans/{job_id}")


@pages.get("/rounds/plans/{job_id}")
def plan_page(request: Request, ctx: CtxDep, provider_id: ProviderId, job_id: IdPath) -> Response:
    return render(request, "provider/plan.html", job=_plan(ctx, provider_id, job_id))


@pages.get("/rounds/plans/{job_id}/progress")
def plan_progress(request: Request, ctx: CtxDep, provider_id: ProviderId, job_id: IdPath) -> Response:
    return render(
        request, "progress.html", job=_plan(ctx, provider_id, job_id), page=f"/provider/rounds/plans/{job_id}"
    )


@pages.get("/rounds/plans/{job_id}/{name}.csv")
def plan_file(ctx: CtxDep, provider_id: ProviderId, job_id: IdPath, name: RosterFile) -> Response:
    return _roster_csv(ctx, provider_id, job_id, name)


@pages.get("/transfers")
def transfers_page(request: Request, ctx: CtxDep, provider_id: ProviderId) -> Response:
    return render(request, "provider/transfers.html", proposals=ctx.proposals(provider_id), me=provider_id)


@pages.post("/transfers/{proposal_id}/answer", dependencies=[Csrf])
def answer_form(
    ctx: CtxDep,
    session: CurrentSession,
    provider_id: ProviderId,
    proposal_id: IdPath,
    form: Annotated[AnswerForm, Form()],
) -> Response:
    ctx.answer(proposal_id, provider_id, form.agree, session.user.username)
    return back("/provider/transfers")


# -- API --------------------------------------------------------------------------------------------------
# The routes stay plain functions (run in the thread pool), even the cheap read-only ones: made
# async, they ran on the event loop ahead of every pooled request, and under load a shortlist's
# p95 went from 266 to 567 ms (Colchester) while theirs dropped: fairness, not speed.
@api.get("/offers")
def api_offers(ctx: CtxDep, scope: Scope) -> list[dict[str, Any]]:
    """Offers, oldest first: all of them for a broker, a provider's own for a provider user."""
    return [o.as_dict() for o in (ctx.all_offers() if scope is None else ctx.provider_offers(scope))]


@api.get("/offers/{offer_id}")
def api_offer(ctx: CtxDep, scope: Scope, offer_id: IdPath) -> dict[str, Any]:
    """One offer with its referral (no client id or address; the postcode once placed)."""
    return _offer_view(ctx, offer_id, scope)


@api.get("/packages/{package_id}")
def api_package(ctx: CtxDep, scope: Scope, package_id: str) -> dict[str, Any]:
    """A package's referral; for a provider user only a package offered to it. A broker also
    gets its offers so far and the next provider to offer it to (the policy's pick of those not tried)."""
    pkg = ctx.package_for(package_id, scope)
    history = ctx.offers.history(pkg.id)
    placed_here = any(o.status == "placed" and (scope is None or o.provider_id == scope) for o in history)
    out = ctx.referral(pkg.id, placed=placed_here)
    if scope is None:
        nxt = ctx.next_provider(pkg.id)
        out["offers"] = [o.as_dict() for o in history]
        out["next_provider"] = None if nxt is None else nxt.as_dict()
    return out


@api.post("/offers/{offer_id}/accept", dependencies=[Csrf])
def api_accept(ctx: CtxDep, session: CurrentSession, provider_id: ProviderId, offer_id: IdPath) -> dict[str, Any]:
    """Accept an offer made to this provider (and place it)."""
    return _accept(ctx, offer_id, provider_id, session.user.username)


@api.post("/offers/{offer_id}/decline", dependencies=[Csrf])
def api_decline(
    ctx: CtxDep, session: CurrentSession, provider_id: ProviderId, offer_id: IdPath, body: ReasonRequest
) -> dict[str, Any]:
    """Decline an offer made to this provider, with a reason."""
    return _decline(ctx, offer_id, provider_id, body.reason, session.user.username)


@api.get("/offers/{offer_id}/fit")
def api_fit(ctx: CtxDep, provider_id: ProviderId, offer_id: IdPath) -> dict[str, Any]:
    """Can we fit it? Each call inserted into this provider's rounds: added travel and which carers."""
    return _fit(ctx, offer_id, provider_id)


@api.get(
    "/demand",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, 304: {"description": "unchanged since the ETag sent"}},
)
def api_demand(request: Request, ctx: CtxDep, session: CurrentSession) -> Response:
    """The published live demand (k-anonymous cells, no identifiers), as rows and GeoJSON:
    ``report``, ``rows``, ``geojson`` and ``at`` (when it was published). Sent with an ``ETag``:
    a client that sends it back in ``If-None-Match`` gets 304 and no body while it is unchanged."""
    body, etag = ctx.published_demand_json()
    # Published to every provider (no personal data): a browser may keep it, asking again each time.
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@api.get("/providers/{provider_id}/rounds")
def api_rounds(ctx: CtxDep, scope: Scope, provider_id: str) -> dict[str, Any]:
    """A provider's rounds today; a provider user sees only its own."""
    return _rounds(ctx, provider_id, scope)


@api.get("/providers/{provider_id}/rounds/plans")
def api_plans(ctx: CtxDep, me: OwnProviderId) -> list[dict[str, Any]]:
    """This provider's week-of-rounds jobs, newest first."""
    return _plans(ctx, me)


@api.post("/providers/{provider_id}/rounds/plans", status_code=202, dependencies=[Csrf])
def api_plan_start(ctx: CtxDep, session: CurrentSession, me: OwnProviderId, body: RoundsPlanRequest) -> dict[str, Any]:
    """Plan this provider's rounds for a week with care teams (a background job): when done, its
    ``result`` holds the headline numbers of ``rounds --week --json`` (the plan beside the status
    quo, continuity breaks by reason)."""
    return _plan(ctx, me, _start_plan(ctx, me, body, session.user.username))


@api.get("/providers/{provider_id}/rounds/plans/{job_id}")
def api_plan(ctx: CtxDep, me: OwnProviderId, job_id: IdPath) -> dict[str, Any]:
    """One week-of-rounds job: status, progress, and the headline numbers when done."""
    return _plan(ctx, me, job_id)


@api.get("/providers/{provider_id}/rounds/plans/{job_id}/{name}.csv", response_class=Response)
def api_plan_file(ctx: CtxDep, me: OwnProviderId, job_id: IdPath, name: RosterFile) -> Response:
    """A finished plan's roster as CSV: ``roster`` (one row per call: carer, date, start, travel),
    ``rounds`` (one per carer-shift) or ``unassigned`` (each call left out, with its reason)."""
    return _roster_csv(ctx, me, job_id, name)


@api.get("/proposals")
def api_proposals(ctx: CtxDep, scope: Scope) -> list[dict[str, Any]]:
    """Transfer proposals: all for a broker, those a provider gives or takes for a provider user."""
    return [_plain(p) for p in ctx.proposals(scope)]


@api.get("/proposals/{proposal_id}")
def api_proposal(ctx: CtxDep, scope: Scope, proposal_id: IdPath) -> dict[str, Any]:
    return _plain(ctx.proposal_for(proposal_id, scope))


@api.post("/proposals/{proposal_id}/answer", dependencies=[Csrf])
def api_answer(
    ctx: CtxDep, session: CurrentSession, provider_id: ProviderId, proposal_id: IdPath, body: AnswerRequest
) -> dict[str, Any]:
    """Agree to or decline a transfer proposal addressed to this provider."""
    return _plain(ctx.answer(proposal_id, provider_id, body.agree, session.user.username))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat(timespec="seconds") if hasattr(v, "isoformat") else v for k, v in row.items()}
