"""What one running service holds (scenario, offers store, accounts, jobs)
and the read-only views its pages and API share: the board's rows, a
package's referral as a provider may see it, the published demand, the
suggested transfers and the proposals made of them.

Nothing here decides anything: rows are the jobs' results laid out for a
person.

What is immutable per scenario is built once and kept (each package's board
row without its offer, today's rounds indexed for insertion, the base
:class:`~patchplan.broker.brokerage.BrokerState`): under load the service
must not rebuild per request what never changes. A shortlist then reads only
the capacity cells of the package's own candidate providers from the
database (the store's capacity stays the truth) and runs the broker's own
:func:`~patchplan.broker.brokerage.shortlist` on them; the published demand is
recomputed at most every ``demand_refresh_s`` seconds, by one thread at a time. Access rules live in :mod:`patchplan.service.deps` and in the
``*_for`` functions here, which answer "not found" for anything not
addressed to the asking provider, exactly as for an id that does not exist.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

from sqlalchemy import select, true, update
from sqlalchemy.exc import IntegrityError

from patchplan.broker import demand as dm
from patchplan.broker.brokerage import POLICIES, BrokerState, Offer, backlog, choose, package_need, shortlist
from patchplan.broker.offers import LIVE, TRIED, OfferStore, StoredOffer, capacity, new_row_id, utcnow
from patchplan.broker.offers import offers as offers_table
from patchplan.broker.offers import packages as packages_table
from patchplan.broker.transfers import Transfer, find_transfers
from patchplan.core.errors import InputError, PatchplanError
from patchplan.core.model import BAND_NAMES, DAY_MIN, URGENCIES, WEEKDAYS, Package, Scenario
from patchplan.service.auth import Accounts
from patchplan.service.config import Settings
from patchplan.service.db import ServiceStore, proposals

log = logging.getLogger("patchplan")


_LIVE = offers_table.c.status.in_(LIVE)


class NotFound(Exception):
    """An id that does not exist, or one the user may not see (the same answer)."""


@dataclass(slots=True, kw_only=True)
class Context:
    """The objects one service instance shares between requests."""

    settings: Settings
    scenario: Scenario
    offers: OfferStore
    store: ServiceStore
    accounts: Accounts
    jobs: Any = None  # patchplan.service.jobs.JobRunner, set by the app
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _transfers: tuple[Transfer, ...] | None = None
    _transfers_started: bool = False
    _transfers_error: str | None = None
    _transfers_done: threading.Event = field(default_factory=threading.Event)
    #: (packages awaiting, publication, when (monotonic), the publication as JSON bytes)
    _demand: tuple[frozenset[str], dict[str, Any], float, bytes] | None = None
    _demand_lock: threading.Lock = field(default_factory=threading.Lock)
    _base: BrokerState | None = None
    _base_lock: threading.Lock = field(default_factory=threading.Lock)
    _rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    _seeded: list[str] | None = None
    #: package id -> (its candidates' capacity rows when computed, the shortlist then)
    _shortlists: dict[str, tuple[tuple, tuple[Offer, ...]]] = field(default_factory=dict)

    def close(self) -> None:
        """Release every database connection: the reads first, then the offers store's."""
        self.store.close()
        self.offers.close()

    # -- the scenario ------------------------------------------------------------
    def today(self) -> dt.date:
        """The day packages' waiting is counted at: the scenario's start."""
        return self.scenario.start

    def package(self, package_id: str) -> Package:
        """A package of the scenario (NotFound when it is not one)."""
        if not self.scenario.has("package", package_id):
            raise NotFound(package_id)
        return self.scenario.package(package_id)

    def district_names(self) -> dict[str, str]:
        return {d.id: d.name for d in self.scenario.districts}

    # -- the board ------------------------------------------------------------------
    def board(
        self,
        *,
        district: str | None = None,
        service_type: str | None = None,
        cohort: str | None = None,
        band: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every seeded package with its live offer, most urgent and longest waiting first."""
        s = self.scenario
        live = {o.package_id: o for o in self.live_offers()}
        seeded = set(self.awaiting()) | set(live)
        rows = []
        for pid in seeded:
            if not s.has("package", pid):
                continue
            static = self._row(pid)
            if district and district not in (static["_district_id"], static["district"]):
                continue
            if service_type and static["service_type"] != service_type:
                continue
            if cohort and static["cohort"] != cohort:
                continue
            if band and band not in static["bands"]:
                continue
            o = live.get(pid)
            row = {k: v for k, v in static.items() if not k.startswith("_")}
            row["status"] = "awaiting" if o is None else o.status
            row["offer_id"] = None if o is None else o.id
            row["provider_id"] = None if o is None else o.provider_id
            rows.append(row)
        rows.sort(key=lambda r: (URGENCIES.index(r["urgency"]), -(r["days_waiting"] or 0), r["package_id"]))
        return rows

    def _row(self, package_id: str) -> dict[str, Any]:
        """A package's board row without its offer (immutable per scenario: built once)."""
        row = self._rows.get(package_id)
        if row is None:
            s = self.scenario
            pkg = s.package(package_id)
            client = s.client(pkg.client_id)
            row = {
                "package_id": pkg.id,
                "urgency": pkg.urgency,
                "days_waiting": _waiting(pkg, self.today()),
                "district": self.district_names().get(client.district_id, client.district_id),
                "service_type": pkg.service_type,
                "cohort": client.cohort,
                "hours_week": pkg.hours_week,
                "bands": sorted({b for (_, b) in package_need(s, pkg)}, key=_band_order),
                "_district_id": client.district_id,
            }
            self._rows[package_id] = row
        return row

    def live_offers(self) -> list[StoredOffer]:
        """The offers holding their package (offered, accepted or placed), read with a filter in SQL."""
        return self.offers_where(_LIVE)

    def all_offers(self) -> list[StoredOffer]:
        """Every offer, oldest first (through the read engine)."""
        return self.offers_where(true())

    def provider_offers(self, provider_id: str) -> list[StoredOffer]:
        """The offers addressed to one provider, oldest first (filtered in SQL, not in Python)."""
        return self.offers_where(offers_table.c.provider_id == provider_id)

    def offers_where(self, condition: Any) -> list[StoredOffer]:
        with self.store.read() as conn:
            rows = conn.execute(select(offers_table).where(condition).order_by(offers_table.c.id)).all()
        return [StoredOffer(**r._mapping) for r in rows]

    def awaiting(self) -> list[str]:
        """:meth:`OfferStore.awaiting <patchplan.broker.offers.OfferStore.awaiting>` on the read engine:
        the seeded packages without a live offer, in backlog order (both fixed once seeded)."""
        if self._seeded is None:
            with self.store.read() as conn:
                seeded = {r.package_id for r in conn.execute(select(packages_table.c.package_id))}
            self._seeded = [p.id for p in backlog(self.scenario) if p.id in seeded]
        with self.store.read() as conn:
            held = {r.package_id for r in conn.execute(select(offers_table.c.package_id).where(_LIVE))}
        return [pid for pid in self._seeded if pid not in held]

    def tried(self, package_id: str) -> set[str]:
        """Providers that declined the package or let an offer of it expire (the store's rule)."""
        cond = (offers_table.c.package_id == package_id) & offers_table.c.status.in_(TRIED)
        return {o.provider_id for o in self.offers_where(cond)}

    # -- shortlists ---------------------------------------------------------------------------
    def broker_base(self) -> BrokerState:
        """The broker state shortlists and fits start from, built once: today's rounds
        (indexed lazily, then kept) and every package's need never change."""
        with self._base_lock:
            if self._base is None:
                self._base = self.offers.broker_state()
            return self._base

    def warm(self) -> None:
        """Build the base state, index every provider's rounds on every day, and compute
        the awaiting packages' shortlists and board rows, so that no user's first request
        pays for them (run in a thread at start; county: a few seconds)."""
        try:
            base = self.broker_base()
            for p in self.scenario.providers:
                for day in range(self.scenario.days):
                    base.rounds(p.id, day)
            for package_id in self.awaiting():
                self.shortlist(package_id)
            self.board()  # every package's row
        except Exception:
            log.exception("warming the shortlists failed; they are built on first use instead")

    def shortlist(self, package_id: str) -> tuple[Offer, ...]:
        """The package's shortlist against the capacity left in the store, as
        :meth:`OfferStore.shortlist <patchplan.broker.offers.OfferStore.shortlist>`
        gives it, reading only the candidate providers' capacity cells."""
        pkg = self.package(package_id)
        base = self.broker_base()
        ids = [prov.id for prov, _ in base.candidates(pkg)]
        with self.store.read() as conn:
            rows = conn.execute(select(capacity).where(capacity.c.provider_id.in_(ids))).all()
        # A shortlist is a function of the package, today's rounds (fixed) and its candidates'
        # capacity: the same capacity rows give the same shortlist, so it is computed once per state.
        key = tuple(sorted(tuple(r) for r in rows))
        cached = self._shortlists.get(package_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        view = copy.copy(base)  # shares the rounds index and the needs; its own capacity
        view.remaining = dict(base.remaining)
        view.weekly_left = dict(base.weekly_left)
        fresh: dict[str, dict[tuple[int, str], float]] = {pid: {} for pid in ids}
        for r in rows:
            if r.weekday < 0:
                view.weekly_left[r.provider_id] = r.minutes_left / 60
            else:
                fresh[r.provider_id][(r.weekday, r.band)] = r.minutes_left / 60
        seen = {r.provider_id for r in rows}
        view.remaining.update({pid: cells for pid, cells in fresh.items() if pid in seen})
        offers = shortlist(self.scenario, pkg, state=view)
        self._shortlists[package_id] = (key, offers)
        return offers

    def next_provider(self, package_id: str, policy: str = "cascade") -> Offer | None:
        """The policy's pick among the feasible providers not tried yet (the store's rule, on :meth:`shortlist`)."""
        if policy not in POLICIES:
            raise InputError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
        tried = self.tried(package_id)
        return choose([o for o in self.shortlist(package_id) if o.provider_id not in tried], policy)

    # -- referrals: what a provider may see ---------------------------------------------------
    def referral(self, package_id: str, *, placed: bool) -> dict[str, Any]:
        """A package as a provider sees it: area, calls, hours, skills, urgency.

        Never the client's id or exact address; the full postcode only once
        the package is placed with that provider.
        """
        s = self.scenario
        pkg = self.package(package_id)
        client = s.client(pkg.client_id)
        postcode = client.postcode or ""
        sector = postcode[:-2].strip() if len(postcode) > 2 else ""
        calls: list[dict[str, Any]] = []
        week = min(s.days, 7)
        for v in s.visits_of_package(pkg.id):
            if v.day >= week:
                continue
            base = v.day * DAY_MIN
            calls.append(
                {
                    "day": WEEKDAYS[s.weekday(v.day)].title(),
                    "call": v.label or "call",
                    "window": f"{_hhmm(v.early - base)}-{_hhmm(v.late - base)}",
                    "duration_min": v.duration_min,
                    "carers": v.carers_required,
                    "skills": ", ".join(sorted(v.skills)) or "-",
                }
            )
        return {
            "package_id": pkg.id,
            "district": self.district_names().get(client.district_id, client.district_id),
            "area": sector or "(no postcode)",
            "postcode": postcode if placed else None,
            "service_type": pkg.service_type,
            "cohort": client.cohort,
            "urgency": pkg.urgency,
            "start": pkg.start.isoformat(),
            "hours_week": pkg.hours_week,
            "double_ups": sum(1 for c in calls if c["carers"] > 1),
            "skills": sorted({sk for v in s.visits_of_package(pkg.id) for sk in v.skills}),
            "gender_preference": client.gender_preference,
            "calls": calls,
        }

    def offer_for(self, offer_id: int, provider_id: str | None) -> StoredOffer:
        """An offer; for a provider user only one addressed to its provider (else NotFound)."""
        found = self.offers_where(offers_table.c.id == offer_id)
        if not found:
            raise NotFound(offer_id)
        offer = found[0]
        if provider_id is not None and offer.provider_id != provider_id:
            raise NotFound(offer_id)
        return offer

    def package_for(self, package_id: str, provider_id: str | None) -> Package:
        """A package; for a provider user only one offered to its provider (else NotFound)."""
        pkg = self.package(package_id)
        if provider_id is not None and not any(
            o.provider_id == provider_id for o in self.offers_where(offers_table.c.package_id == package_id)
        ):
            raise NotFound(package_id)
        return pkg

    # -- published demand -------------------------------------------------------------------
    def published_demand(self) -> dict[str, Any]:
        """The k-anonymous live demand (:func:`patchplan.broker.demand.publish`) of
        the packages still without a live offer.

        Recomputed when that set has changed, but at most once every
        ``settings.demand_refresh_s`` seconds and by one thread at a time
        (the others meanwhile get the last publication): under load the set
        changes with every offer, and each publication costs a fifth of a
        second on the county."""
        cached = self._demand
        if cached is not None and time.monotonic() - cached[2] < self.settings.demand_refresh_s:
            return cached[1]  # young enough: not even the backlog is read again
        awaiting = frozenset(self.awaiting())
        if cached is not None:
            if cached[0] == awaiting:  # unchanged: still current, as of now
                self._demand = (awaiting, cached[1], time.monotonic(), cached[3])
                return cached[1]
            if not self._demand_lock.acquire(blocking=False):
                return cached[1]  # another thread is publishing the new one
        else:
            self._demand_lock.acquire()
        try:
            if self._demand is not None and self._demand[0] == awaiting:
                return self._demand[1]
            return self._publish(awaiting)
        finally:
            self._demand_lock.release()

    def _publish(self, awaiting: frozenset[str]) -> dict[str, Any]:
        items = [it for it in dm.from_scenario(self.scenario) if it.package.id in awaiting]
        with tempfile.TemporaryDirectory(prefix="patchplan-demand-") as tmp:
            report = dm.publish(items, tmp, k=self.settings.k, level=self.settings.level)
            table = _read_table(Path(tmp) / "demand.csv")
            geojson = json.loads((Path(tmp) / "demand.geojson").read_text(encoding="utf-8"))
        published = {"report": report.as_dict(), "rows": table, "geojson": geojson, "at": utcnow().isoformat()}
        published["report"].pop("out", None)
        published["report"].pop("files", None)
        body = json.dumps(published, separators=(",", ":")).encode()
        self._demand = (awaiting, published, time.monotonic(), body)
        return published

    def published_demand_json(self) -> tuple[bytes, str]:
        """:meth:`published_demand` as JSON, encoded once per publication (the county's map is
        175 kB), and its entity tag (a digest of the bytes) for HTTP revalidation."""
        published = self.published_demand()
        cached = self._demand
        body = (
            cached[3]
            if cached is not None and cached[1] is published
            else json.dumps(published, separators=(",", ":")).encode()
        )
        return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'

    # -- transfers ---------------------------------------------------------------------------
    @overload
    def transfers(self, *, wait: Literal[True] = True) -> tuple[Transfer, ...]: ...
    @overload
    def transfers(self, *, wait: bool) -> tuple[Transfer, ...] | None: ...
    def transfers(self, *, wait: bool = True) -> tuple[Transfer, ...] | None:
        """Suggested transfers of care against today's rounds, computed once (the
        rounds are fixed) in a thread of its own: on the whole county it takes
        most of a minute, and no other page waits for it.

        Parameters
        ----------
        wait
            False: None while the suggestions are still being computed.

        Raises
        ------
        InputError
            When the scenario cannot give suggestions (e.g. it has no rounds).
        """
        self.warm_transfers()
        if not self._transfers_done.is_set():
            if not wait:
                return None
            self._transfers_done.wait()
        if self._transfers_error is not None:
            raise InputError(self._transfers_error)
        return self._transfers

    def warm_transfers(self) -> None:
        """Start computing the suggested transfers (once)."""
        with self._lock:
            if self._transfers_started:
                return
            self._transfers_started = True
        threading.Thread(target=self._compute_transfers, name="patchplan-transfers", daemon=True).start()

    def _compute_transfers(self) -> None:
        try:
            self._transfers = find_transfers(self.scenario, travel=self.offers.travel)
        except PatchplanError as exc:
            self._transfers_error = f"no transfer suggestions: {exc}"
        except Exception:
            log.exception("transfer suggestions failed")
            self._transfers_error = "no transfer suggestions: internal error (logged)"
        finally:
            self._transfers_done.set()

    def proposals(self, provider_id: str | None = None) -> list[dict[str, Any]]:
        """Transfer proposals, newest first; for a provider only those it gives or takes."""
        q = select(proposals).order_by(proposals.c.id.desc())
        if provider_id is not None:
            q = q.where((proposals.c.from_provider == provider_id) | (proposals.c.to_provider == provider_id))
        with self.store.read() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def propose(self, index: int, actor: str) -> dict[str, Any]:
        """Propose suggested transfer number ``index`` to both providers (audited).

        Raises
        ------
        NotFound
            When there is no such suggestion.
        InputError
            When the package already has an open proposal.
        """
        moves = self.transfers()
        if not 0 <= index < len(moves):
            raise NotFound(index)
        t = moves[index]
        now = utcnow()
        try:
            with self.store.tx() as conn:
                open_ = conn.execute(
                    select(proposals.c.id).where(
                        proposals.c.package_id == t.package_id, proposals.c.status == "proposed"
                    )
                ).first()
                if open_ is not None:
                    raise InputError(f"package {t.package_id!r}: transfer proposal {open_.id} is still open")
                new_id = new_row_id(
                    conn.execute(
                        proposals.insert().values(
                            package_id=t.package_id,
                            from_provider=t.from_provider,
                            to_provider=t.to_provider,
                            swap_package_id=t.swap_package_id,
                            saving_min_week=t.saving_min_week,
                            hours_week=t.hours_week,
                            reason=t.reason,
                            status="proposed",
                            proposed_by=actor,
                            proposed_at=now,
                        )
                    )
                )
                self.store.audit(
                    conn,
                    actor,
                    "propose",
                    f"transfer {t.kind} proposal {new_id}: {t.package_id} {t.from_provider} -> {t.to_provider}",
                    at=now,
                    package_id=t.package_id,
                    provider_id=t.to_provider,
                )
        except IntegrityError:
            # Another broker proposed it at the same moment (the unique partial index).
            raise InputError(f"package {t.package_id!r}: another transfer proposal was just made; look again") from None
        return self.proposal_for(new_id, None)

    def proposal_for(self, proposal_id: int, provider_id: str | None) -> dict[str, Any]:
        """One proposal; for a provider only one it gives or takes (else NotFound)."""
        with self.store.read() as conn:
            row = conn.execute(select(proposals).where(proposals.c.id == proposal_id)).first()
        if row is None or (provider_id is not None and provider_id not in (row.from_provider, row.to_provider)):
            raise NotFound(proposal_id)
        return dict(row._mapping)

    def answer(self, proposal_id: int, provider_id: str, agree: bool, actor: str) -> dict[str, Any]:
        """A provider agrees to or declines a proposal addressed to it (audited).

        Agreed by both: ``agreed``; declined by either: ``declined``. The
        move itself is then the brokers' to make (a new offer).

        Raises
        ------
        NotFound
            When the proposal is not addressed to this provider.
        InputError
            When it is no longer open.
        """
        row = self.proposal_for(proposal_id, provider_id)
        if row["status"] != "proposed":
            raise InputError(f"transfer proposal {proposal_id} is {row['status']}: only an open one can be answered")
        side = "from_answer" if row["from_provider"] == provider_id else "to_answer"
        word = "agreed" if agree else "declined"
        answers = {"from_answer": row["from_answer"], "to_answer": row["to_answer"], side: word}
        status = (
            "declined"
            if "declined" in answers.values()
            else ("agreed" if all(a == "agreed" for a in answers.values()) else "proposed")
        )
        now = utcnow()
        with self.store.tx() as conn:
            moved = conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id, proposals.c.status == "proposed")
                .values(**{side: word, "status": status})
            )
            if moved.rowcount != 1:
                raise InputError(f"transfer proposal {proposal_id} changed meanwhile; look at it again")
            self.store.audit(
                conn,
                actor,
                "transfer-answer",
                f"{provider_id} {word} transfer proposal {proposal_id}; now {status}",
                at=now,
                package_id=row["package_id"],
                provider_id=provider_id,
            )
        return self.proposal_for(proposal_id, provider_id)


def _read_table(path: Path) -> list[dict[str, Any]]:
    import csv

    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _waiting(pkg: Package, today: dt.date) -> int | None:
    return None if pkg.received is None else max(0, (today - pkg.received).days)


def _band_order(band: str) -> int:
    return BAND_NAMES.index(band) if band in BAND_NAMES else len(BAND_NAMES)


def _hhmm(minutes: int) -> str:
    return f"{(minutes // 60) % 24:02d}:{minutes % 60:02d}"


__all__ = ["Context", "NotFound"]
