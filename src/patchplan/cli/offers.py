"""``patchplan offers``: offer packages, record the answers, place them.

Mounted on the main app as ``patchplan offers`` (``app.add_typer(offers_app,
name="offers")`` in :mod:`patchplan.cli.app`). ``offers_app`` is created before
:mod:`patchplan.cli.app` is imported, so either module may be imported first.

The store is a database (``--db``, any SQLAlchemy URL; default the SQLite
file ``patchplan-offers.db`` here, or ``$PATCHPLAN_OFFERS_DB``). ``offer``
seeds it from the scenario on first use and records the scenario's folder,
so ``decline`` can find the next provider without being told the folder
again. Who acts is ``--broker`` (default: your login name) and is kept in
the audit trail.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

offers_app = typer.Typer(
    help="Offers and their outcome: offer, accept, decline (next provider), place; list and audit trail.",
    no_args_is_help=True,
)

from rich.table import Table  # noqa: E402

from patchplan.cli.common import emit_json, err, job, out  # noqa: E402
from patchplan.core.errors import InputError  # noqa: E402

if TYPE_CHECKING:
    from patchplan.broker.brokerage import Offer
    from patchplan.broker.offers import OfferStore, StoredOffer

DEFAULT_DB = "sqlite:///patchplan-offers.db"

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="PATCHPLAN_OFFERS_DB",
        help="Offers database: any SQLAlchemy URL (e.g. postgresql+psycopg://host/db).",
    ),
]
ActorOpt = Annotated[
    str | None,
    typer.Option("--broker", help="Who acts, for the audit trail (default: your login name)."),
]
OfferArg = Annotated[int, typer.Argument(help="Offer id (see `offers list`).")]
PolicyOpt = Annotated[
    str,
    typer.Option(
        "--policy",
        help="cascade (rank order), tiered (least travel in the best tier) or weighted (60% quality / 40% cost).",
    ),
]


def _store(db: str) -> OfferStore:
    from patchplan.broker.offers import OfferStore

    return OfferStore(db)


def _actor(name: str | None) -> str:
    from patchplan.broker.offers import default_actor

    return name.strip() if name and name.strip() else default_actor()


def _attach_scenario(store: OfferStore, folder: Path | None) -> None:
    """Read the scenario (given, or the folder recorded at seeding)."""
    from patchplan.io.folder import read_scenario

    if folder is None:
        source = store.seeded().get("source")
        if not source:
            raise InputError("finding the next provider needs the scenario: pass --scenario FOLDER")
        folder = Path(source)
    store.attach(read_scenario(folder))


def _when(value: dt.datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _where(o: Offer) -> str:
    return f"{o.provider_id} {o.provider_name}: {o.reason}"


def _show(rec: StoredOffer, verb: str) -> None:
    out.print(f"Offer [bold]{rec.id}[/]: package {rec.package_id} {verb} {rec.provider_id}.")


@offers_app.command("offer")
@job
def offers_offer(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (seeds the store on first use).")],
    package: Annotated[str, typer.Option("--package", help="Package id (awaiting a provider).")],
    provider: Annotated[
        str | None,
        typer.Option("--provider", help="Provider id (default: the policy's choice among providers not tried yet)."),
    ] = None,
    policy: PolicyOpt = "cascade",
    ttl_hours: Annotated[float, typer.Option("--ttl-hours", help="Hours the provider has to answer.")] = 48.0,
    force: Annotated[
        bool, typer.Option("--force", help="Offer even if the shortlist says the provider cannot take it.")
    ] = False,
    db: DbOpt = DEFAULT_DB,
    broker: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Offer a package to a provider (the policy's pick unless --provider)."""
    from patchplan.io.folder import read_scenario

    s = read_scenario(scenario)
    store = _store(db)
    try:
        if store.seed(s, source=str(scenario.resolve()), actor=_actor(broker)):
            err.print(f"Seeded the offers store from {scenario} ({len(s.providers)} providers).")
        rec = store.offer(package, provider, _actor(broker), ttl_hours, policy=policy, force=force)
    finally:
        store.close()
    if as_json:
        emit_json(rec.as_dict())
        return
    where = "spot market" if rec.rank is None else f"rank {rec.rank}"
    travel = "" if rec.added_travel_min_week is None else f", +{rec.added_travel_min_week} min travel a week"
    _show(rec, "offered to")
    out.print(f"  {where}, tier {rec.tier}{travel}; answer due by {_when(rec.expires_at)} UTC.")


@offers_app.command("accept")
@job
def offers_accept(
    offer_id: OfferArg, db: DbOpt = DEFAULT_DB, broker: ActorOpt = None, as_json: JsonOpt = False
) -> None:
    """Record that the provider accepted an offer."""
    store = _store(db)
    try:
        rec = store.accept(offer_id, _actor(broker))
    finally:
        store.close()
    if as_json:
        emit_json(rec.as_dict())
        return
    _show(rec, "accepted by")
    out.print(f"  Place it with: patchplan offers place {rec.id}")


@offers_app.command("decline")
@job
def offers_decline(
    offer_id: OfferArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the provider declined (kept in the audit trail).")],
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario folder (default: the one the store was seeded from).")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    broker: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record that the provider declined, and print the next provider to offer it to."""
    store = _store(db)
    try:
        _attach_scenario(store, scenario)
        nxt = store.decline(offer_id, _actor(broker), reason)
        rec = store.get(offer_id)
    finally:
        store.close()
    if as_json:
        emit_json({"offer": rec.as_dict(), "next_provider": None if nxt is None else nxt.as_dict()})
        return
    _show(rec, "declined by")
    if nxt is None:
        out.print(
            f"  No other provider can take {rec.package_id}: it stays awaiting (see `patchplan broker shortlist`)."
        )
    else:
        out.print(f"  Next: [bold]{_where(nxt)}[/]")
        out.print(
            f"  Offer it with: patchplan offers offer SCENARIO --package {rec.package_id} --provider {nxt.provider_id}"
        )


@offers_app.command("place")
@job
def offers_place(offer_id: OfferArg, db: DbOpt = DEFAULT_DB, broker: ActorOpt = None, as_json: JsonOpt = False) -> None:
    """Place an accepted offer: book the package's hours with the provider."""
    store = _store(db)
    try:
        rec = store.place(offer_id, _actor(broker))
    finally:
        store.close()
    if as_json:
        emit_json(rec.as_dict())
        return
    _show(rec, "placed with")


@offers_app.command("expire")
@job
def offers_expire(
    now: Annotated[
        str | None, typer.Option("--now", help="Expire as of this UTC time (YYYY-MM-DDTHH:MM; default now).")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    broker: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Expire offers not answered in time (their packages can be offered again)."""
    when = None
    if now is not None:
        try:
            when = dt.datetime.fromisoformat(now)
        except ValueError:
            raise InputError(f"--now {now!r}: expected a time YYYY-MM-DDTHH:MM") from None
        if when.tzinfo is not None:  # the store keeps UTC clock times
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
    store = _store(db)
    try:
        done = store.expire(when, actor=_actor(broker) if broker else "system")
    finally:
        store.close()
    if as_json:
        emit_json({"expired": done})
        return
    out.print(f"{len(done)} offer(s) expired" + (": " + ", ".join(map(str, done)) if done else "."))


@offers_app.command("list")
@job
def offers_list(
    package: Annotated[str | None, typer.Option("--package", help="Only this package's offers.")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Only offers in this status.")] = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Offers, oldest first."""
    store = _store(db)
    try:
        recs = store.offers(package, status)
    finally:
        store.close()
    if as_json:
        emit_json([r.as_dict() for r in recs])
        return
    table = Table(title="Offers" + (f" of {package}" if package else ""))
    for col in ("id", "package", "provider", "status", "offered", "decided", "expires", "broker", "reason"):
        table.add_column(col)
    for r in recs:
        table.add_row(
            str(r.id),
            r.package_id,
            r.provider_id,
            r.status,
            _when(r.offered_at),
            _when(r.placed_at or r.decided_at),
            _when(r.expires_at),
            r.broker,
            r.reason or "",
        )
    out.print(table)


@offers_app.command("audit")
@job
def offers_audit(
    package: Annotated[str | None, typer.Option("--package", help="Only rows about this package.")] = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """The audit trail: who did what, to which package and provider, when (UTC)."""
    store = _store(db)
    try:
        rows = store.audit(package)
    finally:
        store.close()
    if as_json:
        emit_json([r.as_dict() for r in rows])
        return
    table = Table(title="Audit trail (UTC)")
    for col in ("#", "at", "actor", "action", "offer", "package", "provider", "detail"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id),
            r.at.strftime("%Y-%m-%d %H:%M:%S"),
            r.actor,
            r.action,
            "" if r.offer_id is None else str(r.offer_id),
            r.package_id or "",
            r.provider_id or "",
            r.detail,
        )
    out.print(table)


__all__ = ["offers_app"]
