"""Background jobs: a joint allocation of the backlog, sending a reviewed
allocation's offers, a patch comparison and a provider's week of rounds,
run one at a time in a worker thread, with progress, persisted in the
database so that a restart loses nothing.

A job is a row of ``service_jobs``: queued -> running -> done | failed. The
worker claims a queued job with a compare-and-set update (so two server
processes never run the same job), reports progress as it goes, and writes
the result in one transaction at the end: a job that fails leaves its error
message and nothing else. A job found ``running`` when the service starts
was cut off by a stop; it is queued again and runs from the start (the jobs
are deterministic given their seed). A comparison's report is written to a
temporary folder and renamed into place, so a half-written report is never
served.

A provider's week of rounds (kind ``rounds``) is the CLI's ``rounds --week``:
care teams, the plan beside the status quo, continuity KPIs; its roster is
written to the job's folder for the provider to download.

Sending an allocation's offers is a job of its own (kind ``send``): the
broker's press moves the allocation done -> sent and queues the send job in
one transaction, so the offers go out once however many brokers press. The
send is idempotent per package: before offering a package the job looks for
an offer of it to the same provider made by the same broker since the send
job was queued (one the job sent before a restart cut it off, even if the
provider has answered since) and adopts it instead of offering again. So a
restart loses no offer and sends none twice.

The jobs' logic is the broker's and the patches' own
(:func:`~patchplan.broker.brokerage.allocate`,
:func:`~patchplan.broker.brokerage.cascade_backlog`,
:func:`~patchplan.patches.evaluate.evaluate`,
:func:`~patchplan.report.pages.patches_report`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from patchplan.broker.brokerage import Allocation, allocate, cascade_backlog
from patchplan.broker.offers import new_row_id, offer_ttl_hours, utcnow
from patchplan.core.errors import InputError, PatchplanError
from patchplan.core.model import Scenario
from patchplan.service.context import Context
from patchplan.service.db import jobs

log = logging.getLogger("patchplan")

KINDS = ("allocation", "comparison", "send", "rounds")
#: Designs a commissioner may name from a browser (no file paths on the server).
DESIGN_SPEC = re.compile(r"^(today|districts|prime|k=\d{1,3}|hours=\d{1,6})$")


def check_designs(designs: list[str]) -> list[str]:
    """The designs of a comparison, validated (InputError naming the bad one)."""
    cleaned = [d.strip() for d in designs if d.strip()]
    if not cleaned:
        raise InputError("designs: give at least one (today, districts, prime, k=N, hours=N)")
    if len(cleaned) > 6:
        raise InputError(f"designs: at most 6 at once, got {len(cleaned)}")
    for d in cleaned:
        if not DESIGN_SPEC.match(d):
            raise InputError(f"designs: {d!r} is not one of today, districts, prime, k=N, hours=N")
    return cleaned


def first_day(s: Scenario, week: str | None) -> int:
    """The day a week plan starts: ``week`` (ISO date; InputError outside
    the scenario), the scenario's first day when None."""
    return 0 if week is None else s.day_of(dt.date.fromisoformat(week))


class JobRunner:
    """Queues jobs and runs them in one daemon thread (the machine's cores go
    to the solver, not to several jobs at once)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- submitting ------------------------------------------------------------------------
    def submit(self, kind: str, params: dict[str, Any], actor: str) -> int:
        """Queue a job (audited); returns its id."""
        if kind not in KINDS:
            raise InputError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
        now = utcnow()
        with self.ctx.store.tx() as conn:
            job_id = new_row_id(
                conn.execute(
                    jobs.insert().values(
                        kind=kind,
                        status="queued",
                        progress=0.0,
                        step="queued",
                        params=json.dumps(params),
                        created_by=actor,
                        created_at=now,
                    )
                )
            )
            self.ctx.store.audit(conn, actor, "job-start", f"{kind} job {job_id} queued: {json.dumps(params)}", at=now)
        self._wake.set()
        return int(job_id)

    # -- the worker --------------------------------------------------------------------------------
    def start(self) -> None:
        """Requeue jobs cut off by a stop, then start the worker thread."""
        with self.ctx.store.tx() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.status == "running")
                .values(status="queued", step="queued again after a restart")
            )
        self._thread = threading.Thread(target=self._loop, name="patchplan-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        last_expiry = 0.0
        while not self._stop.is_set():
            every = self.ctx.settings.expire_every_s
            if every > 0 and time.monotonic() - last_expiry >= every:
                last_expiry = time.monotonic()
                self._expire()
            ran = self.run_next()
            if not ran:
                self._wake.wait(2.0)
                self._wake.clear()

    def _expire(self) -> None:
        """Expire offers past their response deadline (the store audits each, as ``system``)."""
        try:
            self.ctx.offers.expire(actor="system")
        except Exception:
            log.warning("expiring offers failed; retrying later", exc_info=True)

    def run_next(self) -> bool:
        """Claim and run the oldest queued job; False when there is none."""
        with self.ctx.store.tx() as conn:
            row = conn.execute(select(jobs).where(jobs.c.status == "queued").order_by(jobs.c.id).limit(1)).first()
            if row is None:
                return False
            claimed = conn.execute(
                update(jobs)
                .where(jobs.c.id == row.id, jobs.c.status == "queued")
                .values(status="running", started_at=utcnow(), step="starting", progress=0.0)
            )
            if claimed.rowcount != 1:
                return True  # another worker took it; look again
        self._run(row)
        return True

    def _run(self, row: Any) -> None:
        job_id, kind, params, actor = row.id, row.kind, json.loads(row.params), row.created_by
        progress = self._progress(job_id)
        try:
            if kind == "allocation":
                result = self._allocation(params, progress)
            elif kind == "send":
                result = self._send(params, actor, row.created_at, progress)
            elif kind == "rounds":
                result = self._rounds(job_id, params, progress)
            else:
                result = self._comparison(job_id, params, progress)
        except PatchplanError as exc:
            self._finish(job_id, actor, error=str(exc))
            return
        except Exception as exc:
            log.exception("job %d failed", job_id)
            self._finish(job_id, actor, error=f"internal error: {type(exc).__name__}: {exc}")
            return
        self._finish(job_id, actor, result=result)

    def _progress(self, job_id: int) -> Callable[[float, str], None]:
        def report(fraction: float, step: str) -> None:
            with self.ctx.store.tx() as conn:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.status == "running")
                    .values(progress=max(0.0, min(1.0, fraction)), step=step[:200])
                )

        return report

    def _finish(self, job_id: int, actor: str, *, result: Any = None, error: str | None = None) -> None:
        now = utcnow()
        status = "failed" if error is not None else "done"
        with self.ctx.store.tx() as conn:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id)
                .values(
                    status=status,
                    progress=1.0 if error is None else 0.0,
                    step=status,
                    result=None if result is None else json.dumps(result),
                    error=error,
                    finished_at=now,
                )
            )
            self.ctx.store.audit(conn, "system", f"job-{status}", f"job {job_id} for {actor}: {status}", at=now)

    # -- the jobs -------------------------------------------------------------------------------------
    def _allocation(self, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
        ctx = self.ctx
        s = ctx.scenario
        policy = params.get("policy", "cascade")
        pkgs = [s.package(pid) for pid in ctx.offers.awaiting()]
        progress(0.05, f"{len(pkgs)} packages awaiting: plain cascade")
        baseline = cascade_backlog(s, pkgs, policy=policy, state=ctx.offers.broker_state())
        steps = {"shortlists": 0.35, "joint allocation": 0.6}
        joint = allocate(
            s,
            policy,
            packages=pkgs,
            time_limit_s=float(params.get("time_limit_s", ctx.settings.allocation_time_limit_s)),
            seed=int(params.get("seed", 0)),
            state=ctx.offers.broker_state(),
            progress=lambda step: progress(steps.get(step, 0.5), step),
        )
        progress(0.95, "writing the result")
        return {"policy": policy, "joint": _allocation_dict(joint), "cascade": _allocation_dict(baseline)}

    def _comparison(
        self, job_id: int, params: dict[str, Any], progress: Callable[[float, str], None]
    ) -> dict[str, Any]:
        from patchplan.patches.evaluate import Levers, build_design, evaluate
        from patchplan.report.pages import patches_report

        s = self.ctx.scenario
        specs = check_designs(list(params.get("designs", [])))
        mode = params.get("mode", "fast")
        seed = int(params.get("seed", 0))
        levers = Levers()
        built = []
        for i, spec in enumerate(specs):
            progress(0.1 * i / len(specs), f"building design {spec}")
            built.append(build_design(s, spec, levers=levers, seed=seed))
        results = []
        for i, d in enumerate(built):

            def step(done: int, total: int, i: int = i, name: str = d.name) -> None:
                progress(0.1 + 0.8 * (i + done / max(total, 1)) / len(built), f"design {name}: {done}/{total} tasks")

            progress(0.1 + 0.8 * i / len(built), f"design {d.name}")
            results.append(evaluate(s, d, mode=mode, scheduler="serial", seed=seed, progress=step))
        progress(0.92, "writing the report")
        final = self.report_dir(job_id)
        tmp = final.with_name(final.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        patches_report(s, built, results, tmp, settings={"mode": mode, "seed": seed})
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        return {"designs": specs, "mode": mode, "headlines": [r.headline() for r in results]}

    def _rounds(self, job_id: int, params: dict[str, Any], progress: Callable[[float, str], None]) -> dict[str, Any]:
        """A provider's week of rounds with care teams, beside the status quo
        (the CLI's ``rounds --week``); its roster folder is written like a
        comparison's report (a temporary folder renamed into place)."""
        from patchplan.check.kpis import COMPARE_KPIS
        from patchplan.core.params import RoundsParams
        from patchplan.io.roster import write_roster
        from patchplan.rounds.job import plan_and_score, week_days, week_params

        s = self.ctx.scenario
        provider = str(params["provider_id"])
        days = week_days(s, first_day(s, params.get("week")))
        limit = float(params.get("time_limit_s", 300.0))
        progress(0.0, f"planning {len(days)} day(s), up to {limit:.0f} s")

        def step(done: int, total: int) -> None:
            progress(0.95 * done / max(total, 1), f"day {done} of {total} planned")

        report = plan_and_score(
            s,
            provider,
            days,
            params=week_params(RoundsParams(), int(params.get("team_cap", 3))),
            time_limit_s=limit,
            seed=int(params.get("seed", 0)),
            progress=step,
        )
        progress(0.97, "writing the roster")
        final = self.report_dir(job_id)
        tmp = final.with_name(final.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        write_roster(report.roster, s, tmp / "roster")
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        return {**report.headline(COMPARE_KPIS), "week": s.date(days[0]).isoformat(), "days_planned": len(days)}

    def report_dir(self, job_id: int) -> Path:
        """Where a comparison job's report (a rounds job's roster) lives."""
        return self.ctx.settings.data_dir / "runs" / f"job-{job_id}"

    # -- sending an allocation's offers --------------------------------------------------------------------
    def send(self, job_id: int, actor: str) -> int:
        """Queue the job that offers every package of a reviewed allocation to its provider.

        The allocation moves done -> sent (compare-and-set) in the same
        transaction that queues the send job, so its offers are sent once
        however many brokers press the button.

        Returns
        -------
        int
            The send job's id.

        Raises
        ------
        InputError
            When the job is not a finished allocation or was sent already.
        """
        ctx = self.ctx
        job = ctx.store.job(job_id)
        if job is None or job["kind"] != "allocation":
            raise InputError(f"job {job_id}: no such allocation")
        now = utcnow()
        with ctx.store.tx() as conn:
            moved = conn.execute(
                update(jobs).where(jobs.c.id == job_id, jobs.c.status == "done").values(status="sent", step="sending")
            )
            if moved.rowcount != 1:
                raise InputError(f"job {job_id} is {job['status']}: only a finished allocation's offers can be sent")
            send_id = new_row_id(
                conn.execute(
                    jobs.insert().values(
                        kind="send",
                        status="queued",
                        progress=0.0,
                        step="queued",
                        params=json.dumps({"allocation_job": job_id}),
                        created_by=actor,
                        created_at=now,
                    )
                )
            )
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(step=f"offers sent by job {send_id}"))
            ctx.store.audit(
                conn, actor, "job-send", f"allocation job {job_id}: its offers go out in job {send_id}", at=now
            )
        self._wake.set()
        return int(send_id)

    def send_job_of(self, allocation_id: int) -> dict[str, Any] | None:
        """The job sending an allocation's offers, or None (not sent yet)."""
        return next(
            (j for j in self.ctx.store.jobs("send") if j["params"].get("allocation_job") == allocation_id), None
        )

    def _send(
        self, params: dict[str, Any], actor: str, queued_at: Any, progress: Callable[[float, str], None]
    ) -> dict[str, Any]:
        """Offer each placed package of the allocation (idempotent per package, see the module docstring)."""
        ctx = self.ctx
        allocation_id = int(params["allocation_job"])
        allocation = ctx.store.job(allocation_id)
        if allocation is None or allocation["result"] is None:
            raise InputError(f"allocation job {allocation_id} has no result to send")
        policy = allocation["result"]["policy"]
        todo = [p for p in allocation["result"]["joint"]["placements"] if p["provider_id"]]
        out = []
        for i, p in enumerate(todo):
            progress(i / max(len(todo), 1), f"{i}/{len(todo)} offers sent")
            out.append(self._send_one(p["package_id"], p["provider_id"], actor, policy, queued_at))
        progress(1.0, f"{len(todo)}/{len(todo)} offers sent")
        return {"allocation_job": allocation_id, "sent": out}

    def _send_one(self, package_id: str, provider_id: str, actor: str, policy: str, queued_at: Any) -> dict[str, Any]:
        ctx = self.ctx
        row = {"package_id": package_id, "provider_id": provider_id, "offer_id": None, "error": None}
        sent_before = [
            o
            for o in ctx.offers.offers(package_id=package_id)
            if o.provider_id == provider_id and o.broker == actor and o.offered_at >= queued_at
        ]
        if sent_before:  # this job sent it before a restart cut it off: never twice
            return {**row, "offer_id": sent_before[0].id}
        try:
            pkg = ctx.scenario.package(package_id)
            o = ctx.offers.offer(pkg.id, provider_id, actor, ttl_hours=offer_ttl_hours(pkg.urgency), policy=policy)
        except InputError as exc:
            return {**row, "error": str(exc)}
        return {**row, "offer_id": o.id}


def _allocation_dict(a: Allocation) -> dict[str, Any]:
    return {
        "method": a.method,
        "policy": a.policy,
        "hours_placed": a.hours_placed,
        "spot_hours": a.spot_hours,
        "added_travel_min": a.added_travel_min,
        "unplaced": len(a.unplaced),
        "shortages": list(a.shortages),
        "placements": [
            {
                "package_id": p.package_id,
                "provider_id": p.provider_id,
                "hours_week": p.hours_week,
                "reason": p.reason,
                "added_travel_min_week": p.added_travel_min_week,
                "spot": p.spot,
            }
            for p in a.placements
        ],
    }
