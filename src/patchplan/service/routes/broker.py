"""The broker's routes: the board (backlog), a package's shortlist and
trail, offering, withdrawing, placing, expiring, joint allocations (a
background job reviewed before its offers go out) and transfers of care."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from patchplan.broker.offers import StoredOffer, offer_ttl_hours
from patchplan.core.errors import InputError
from patchplan.core.model import BAND_NAMES, COHORTS, SERVICE_TYPES
from patchplan.service.context import Context, NotFound
from patchplan.service.deps import BrokerUser, Csrf, CtxDep
from patchplan.service.schemas import (
    AllocationForm,
    AllocationRequest,
    BoardFilter,
    CsrfForm,
    IdPath,
    IndexPath,
    OfferForm,
    OfferRequest,
    ReasonForm,
    ReasonRequest,
)
from patchplan.service.views import back, render

pages = APIRouter(prefix="/broker", tags=["pages: broker"])
api = APIRouter(prefix="/api", tags=["broker"])


# -- what pages and API share ------------------------------------------------------------
def _offer(ctx: Context, package_id: str, req: OfferRequest, actor: str) -> StoredOffer:
    pkg = ctx.package(package_id)
    ttl = req.ttl_hours if req.ttl_hours is not None else offer_ttl_hours(pkg.urgency)
    provider_id = req.provider_id
    if provider_id is None:  # the policy's pick, found on the service's quick shortlist (the store checks it again)
        pick = ctx.next_provider(pkg.id, req.policy)
        if pick is None:
            raise InputError(f"no provider can take package {pkg.id!r} (all infeasible or already tried)")
        provider_id = pick.provider_id
    return ctx.offers.offer(pkg.id, provider_id, actor, ttl_hours=ttl, policy=req.policy)


def _withdraw(ctx: Context, offer_id: int, reason: str, actor: str) -> dict[str, Any]:
    """A broker withdraws a live offer (:meth:`~patchplan.broker.offers.OfferStore.withdraw`: its own
    status and audit row; a placed package's hours go back to the provider). The package is back in
    the backlog, and the provider the offer's policy would pick now is named."""
    ctx.offer_for(offer_id, None)
    offer = ctx.offers.withdraw(offer_id, actor, reason)
    nxt = ctx.next_provider(offer.package_id, offer.policy or "cascade")
    return {"offer": offer.as_dict(), "next_provider": None if nxt is None else nxt.as_dict()}


def _place(ctx: Context, offer_id: int, actor: str) -> StoredOffer:
    ctx.offer_for(offer_id, None)
    return ctx.offers.place(offer_id, actor)


def _shortlist(ctx: Context, package_id: str) -> list[dict[str, Any]]:
    return [o.as_dict() for o in ctx.shortlist(package_id)]


def _allocation_job(ctx: Context, job_id: int) -> dict[str, Any]:
    job = ctx.store.job(job_id)
    if job is None or job["kind"] != "allocation":
        raise NotFound(job_id)
    send = ctx.jobs.send_job_of(job_id) if job["status"] == "sent" else None
    return {**job, "send_job_id": None if send is None else send["id"]}


def _send_job(ctx: Context, job_id: int) -> dict[str, Any]:
    """The job sending allocation ``job_id``'s offers (NotFound before they are sent)."""
    _allocation_job(ctx, job_id)
    send = ctx.jobs.send_job_of(job_id)
    if send is None:
        raise NotFound(job_id)
    return send


# -- pages --------------------------------------------------------------------------------------
@pages.get("")
def board(request: Request, ctx: CtxDep, session: BrokerUser, filters: Annotated[BoardFilter, Query()]) -> Response:
    rows = ctx.board(**filters.model_dump())
    return render(
        request,
        "broker/board.html",
        rows=rows,
        filters=filters,
        districts=sorted(ctx.district_names().values()),
        service_types=SERVICE_TYPES,
        cohorts=COHORTS,
        bands=BAND_NAMES,
    )


@pages.get("/packages/{package_id}")
def package_page(request: Request, ctx: CtxDep, session: BrokerUser, package_id: str) -> Response:
    pkg = ctx.package(package_id)
    return render(
        request,
        "broker/package.html",
        pkg=pkg,
        referral=ctx.referral(pkg.id, placed=True),
        shortlist=_shortlist(ctx, pkg.id),
        history=ctx.offers.history(pkg.id),
        audit=ctx.offers.audit(pkg.id),
        ttl=offer_ttl_hours(pkg.urgency),
        next_provider=ctx.next_provider(pkg.id),
    )


@pages.post("/packages/{package_id}/offer", dependencies=[Csrf])
def offer_form(ctx: CtxDep, session: BrokerUser, package_id: str, form: Annotated[OfferForm, Form()]) -> Response:
    _offer(ctx, package_id, form, session.user.username)
    return back(f"/broker/packages/{package_id}")


@pages.post("/offers/{offer_id}/withdraw", dependencies=[Csrf])
def withdraw_form(ctx: CtxDep, session: BrokerUser, offer_id: IdPath, form: Annotated[ReasonForm, Form()]) -> Response:
    offer = ctx.offer_for(offer_id, None)
    _withdraw(ctx, offer_id, form.reason, session.user.username)
    return back(f"/broker/packages/{offer.package_id}")


@pages.post("/offers/{offer_id}/place", dependencies=[Csrf])
def place_form(ctx: CtxDep, session: BrokerUser, offer_id: IdPath, _form: Annotated[CsrfForm, Form()]) -> Response:
    offer = _place(ctx, offer_id, session.user.username)
    return back(f"/broker/packages/{offer.package_id}")


@pages.post("/expire", dependencies=[Csrf])
def expire_form(ctx: CtxDep, session: BrokerUser, _form: Annotated[CsrfForm, Form()]) -> Response:
    ctx.offers.expire(actor=session.user.username)
    return back("/broker")


@pages.get("/audit")
def audit_page(request: Request, ctx: CtxDep, session: BrokerUser) -> Response:
    return render(request, "audit.html", audit=list(reversed(ctx.offers.audit()))[:500])


@pages.get("/allocations")
def allocations_page(request: Request, ctx: CtxDep, session: BrokerUser) -> Response:
    return render(
        request, "broker/allocations.html", jobs=ctx.store.jobs("allocation"), awaiting=len(ctx.offers.awaiting())
    )


@pages.post("/allocations", dependencies=[Csrf])
def allocation_start(ctx: CtxDep, session: BrokerUser, form: Annotated[AllocationForm, Form()]) -> Response:
    params = form.model_dump(exclude={"csrf"})
    job_id = ctx.jobs.submit("allocation", params, session.user.username)
    return back(f"/broker/allocations/{job_id}")


@pages.get("/allocations/{job_id}")
def allocation_page(request: Request, ctx: CtxDep, session: BrokerUser, job_id: IdPath) -> Response:
    job = _allocation_job(ctx, job_id)
    send = None if job["send_job_id"] is None else ctx.store.job(job["send_job_id"])
    return render(request, "broker/allocation.html", job=job, send=send)


@pages.get("/allocations/{job_id}/progress")
def allocation_progress(request: Request, ctx: CtxDep, session: BrokerUser, job_id: IdPath) -> Response:
    job = _allocation_job(ctx, job_id)
    return render(request, "progress.html", job=job, page=f"/broker/allocations/{job_id}")


@pages.post("/allocations/{job_id}/send", dependencies=[Csrf])
def allocation_send(ctx: CtxDep, session: BrokerUser, job_id: IdPath, _form: Annotated[CsrfForm, Form()]) -> Response:
    _allocation_job(ctx, job_id)
    ctx.jobs.send(job_id, session.user.username)
    return back(f"/broker/allocations/{job_id}")


@pages.get("/allocations/{job_id}/send/progress")
def allocation_send_progress(request: Request, ctx: CtxDep, session: BrokerUser, job_id: IdPath) -> Response:
    return render(
        request,
        "progress.html",
        job=_send_job(ctx, job_id),
        page=f"/broker/allocations/{job_id}/send",
        result_page=f"/broker/allocations/{job_id}",
    )


@pages.get("/transfers")
def transfers_page(request: Request, ctx: CtxDep, session: BrokerUser) -> Response:
    moves = ctx.transfers(wait=False)
    return render(
        request,
        "broker/transfers.html",
        transfers=None if moves is None else list(enumerate(moves)),
        proposals=ctx.proposals(),
    )


@pages.post("/transfers/{index}/propose", dependencies=[Csrf])
def propose_form(ctx: CtxDep, session: BrokerUser, index: IndexPath, _form: Annotated[CsrfForm, Form()]) -> Response:
    ctx.propose(index, session.user.username)
    return back("/broker/transfers")


# -- API ------------------------------------------------------------------------------------------------
@api.get("/backlog")
def api_backlog(ctx: CtxDep, session: BrokerUser, filters: Annotated[BoardFilter, Query()]) -> list[dict[str, Any]]:
    """The board: every seeded package and its live offer, most urgent and longest waiting first."""
    return ctx.board(**filters.model_dump())


@api.get("/packages/{package_id}/shortlist")
def api_shortlist(ctx: CtxDep, session: BrokerUser, package_id: str) -> list[dict[str, Any]]:
    """The package's providers in framework order, each with its reason, against the capacity left."""
    return _shortlist(ctx, package_id)


@api.post("/packages/{package_id}/offers", status_code=201, dependencies=[Csrf])
def api_offer(ctx: CtxDep, session: BrokerUser, package_id: str, body: OfferRequest) -> dict[str, Any]:
    """Offer a package to a provider (or to the policy's pick)."""
    return _offer(ctx, package_id, body, session.user.username).as_dict()


@api.get("/packages/{package_id}/audit")
def api_package_audit(ctx: CtxDep, session: BrokerUser, package_id: str) -> list[dict[str, Any]]:
    """Every recorded action on a package, oldest first."""
    ctx.package(package_id)
    return [a.as_dict() for a in ctx.offers.audit(package_id)]


@api.post("/offers/{offer_id}/withdraw", dependencies=[Csrf])
def api_withdraw(ctx: CtxDep, session: BrokerUser, offer_id: IdPath, body: ReasonRequest) -> dict[str, Any]:
    """Withdraw an offer (with a reason); names the next provider to offer it to."""
    return _withdraw(ctx, offer_id, body.reason, session.user.username)


@api.post("/offers/{offer_id}/place", dependencies=[Csrf])
def api_place(ctx: CtxDep, session: BrokerUser, offer_id: IdPath) -> dict[str, Any]:
    """Place an accepted offer (books the provider's capacity)."""
    return _place(ctx, offer_id, session.user.username).as_dict()


@api.post("/expire", dependencies=[Csrf])
def api_expire(ctx: CtxDep, session: BrokerUser) -> dict[str, Any]:
    """Expire every offer past its response deadline now."""
    return {"expired": ctx.offers.expire(actor=session.user.username)}


@api.get("/audit")
def api_audit(ctx: CtxDep, session: BrokerUser) -> list[dict[str, Any]]:
    """The whole audit trail, oldest first."""
    return [a.as_dict() for a in ctx.offers.audit()]


@api.post("/jobs/allocation", status_code=202, dependencies=[Csrf])
def api_allocation(ctx: CtxDep, session: BrokerUser, body: AllocationRequest) -> dict[str, Any]:
    """Start a joint allocation of the awaiting packages (a background job)."""
    job_id = ctx.jobs.submit("allocation", body.model_dump(), session.user.username)
    return _allocation_job(ctx, job_id)


@api.get("/jobs/allocation/{job_id}")
def api_allocation_job(ctx: CtxDep, session: BrokerUser, job_id: IdPath) -> dict[str, Any]:
    """An allocation job: status, progress, and (when done) its placements beside the plain cascade's."""
    return _allocation_job(ctx, job_id)


@api.post("/jobs/allocation/{job_id}/send", status_code=202, dependencies=[Csrf])
def api_allocation_send(ctx: CtxDep, session: BrokerUser, job_id: IdPath) -> dict[str, Any]:
    """Send a reviewed allocation's offers (once), as a background job: the send job is returned."""
    _allocation_job(ctx, job_id)
    ctx.jobs.send(job_id, session.user.username)
    return _send_job(ctx, job_id)


@api.get("/jobs/allocation/{job_id}/send")
def api_allocation_send_job(ctx: CtxDep, session: BrokerUser, job_id: IdPath) -> dict[str, Any]:
    """The job sending an allocation's offers: progress, and (when done) each package's offer id or problem."""
    return _send_job(ctx, job_id)


@api.get("/transfers")
def api_transfers(ctx: CtxDep, session: BrokerUser) -> list[dict[str, Any]]:
    """Suggested transfers and swaps of care, best saving first (``index`` to propose one)."""
    return [{"index": i, **t.as_dict()} for i, t in enumerate(ctx.transfers())]


@api.post("/transfers/{index}/propose", status_code=201, dependencies=[Csrf])
def api_propose(ctx: CtxDep, session: BrokerUser, index: IndexPath) -> dict[str, Any]:
    """Propose a suggested transfer to both providers."""
    return ctx.propose(index, session.user.username)
