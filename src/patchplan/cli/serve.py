"""``patchplan serve`` (the web service) and ``patchplan users add|list|disable``.

``serve_app`` is mounted without a name (``app.add_typer(serve_app)`` in
:mod:`patchplan.cli.app`), so its command is ``patchplan serve``;
``users_app`` is mounted as ``patchplan users``. Both are created before
:mod:`patchplan.cli.app` is imported, so either module may be imported first.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

serve_app = typer.Typer(help="The web service: broker's board, providers' portal, patch comparisons.")
users_app = typer.Typer(help="Service accounts: add, list, disable.", no_args_is_help=True)

from rich.table import Table

from patchplan.cli.common import emit_json, err, job, out
from patchplan.core.errors import InputError

DEFAULT_DB = "sqlite:///patchplan-service.db"
DbOpt = Annotated[
    str,
    typer.Option(
        "--db", envvar="PATCHPLAN_SERVICE_DB", help="Database: any SQLAlchemy URL (SQLite file or PostgreSQL)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


@serve_app.command("serve")
@job
def serve(
    db: DbOpt = DEFAULT_DB,
    scenario: Annotated[Path | None, typer.Option("--scenario", help="Scenario folder the offers are about.")] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help="Embedded Essex county in a fresh SQLite database, with demo accounts.")
    ] = False,
    district: Annotated[
        str | None, typer.Option("--district", help="With --demo: one district only (starts in seconds, not ~25 s).")
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Folder for patch comparison reports (default: ./patchplan-service-data; with --demo, beside its database).",
        ),
    ] = None,
    k: Annotated[
        int, typer.Option("--k", help="Published demand: smallest number of clients a cell may describe.", min=1)
    ] = 5,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)] = 8000,
    as_json: JsonOpt = False,
) -> None:
    """Serve the broker's board, the providers' portal and patch comparisons (stops on Ctrl-C)."""
    import uvicorn

    from patchplan.service import Settings, create_app

    if demo == (scenario is not None):
        raise InputError("give --scenario DIR, or --demo for the embedded Essex county (not both)")
    if district is not None and not demo:
        raise InputError(f"--district {district!r}: only with --demo")
    if demo:
        from patchplan.essex import essex

        folder = Path(tempfile.mkdtemp(prefix="patchplan-demo-"))
        db = f"sqlite:///{folder / 'demo.db'}"
        err.print("Building the embedded Essex scenario" + (f" ({district})" if district else " (whole county, ~25 s)"))
        s = essex(seed=1) if district is None else essex(district=district, seed=1)
    else:
        from patchplan.io.folder import read_scenario

        assert scenario is not None  # exactly one of --scenario and --demo, checked above
        s = read_scenario(scenario)
        folder = Path(".")
    settings = Settings(db_url=db, data_dir=data_dir or folder / "patchplan-service-data", k=k)
    app = create_app(settings, s, source=None if scenario is None else str(scenario.resolve()))
    if demo:
        accounts = _demo_accounts(app.state.ctx, s)
        if as_json:
            emit_json({"url": f"http://{host}:{port}/", "db": db, "accounts": accounts})
        else:
            table = Table(title=f"Demo accounts (passwords shown once) · database {db}")
            for col in ("user", "role", "provider", "password"):
                table.add_column(col)
            for a in accounts:
                table.add_row(a["username"], a["role"], a["provider_id"] or "", a["password"])
            out.print(table)
    (err if as_json else out).print(f"patchplan serve: http://{host}:{port}/ (API page at /api/docs)")
    from patchplan.service.app import freeze_heap

    freeze_heap()
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")


def _demo_accounts(ctx: object, s: object) -> list[dict[str, str | None]]:
    """A broker, the first two framework providers' users, a commissioner and an admin, with random passwords."""
    from patchplan.service.auth import random_password

    framework = [p for p in s.providers if not p.spot][:2]  # type: ignore[attr-defined]
    wanted = [("broker", "broker", None), ("commissioner", "commissioner", None), ("admin", "admin", None)]
    wanted[1:1] = [(f"provider-{p.id.lower()}", "provider", p.id) for p in framework]
    made = []
    for username, role, provider_id in wanted:
        password = random_password()
        ctx.accounts.add(username, role, password, provider_id=provider_id, actor="patchplan serve --demo")  # type: ignore[attr-defined]
        made.append({"username": username, "role": role, "provider_id": provider_id, "password": password})
    return made


def _accounts(db: str):
    """Accounts on ``db`` (the service tables migrated first), and the seeded providers."""
    from sqlalchemy import select

    from patchplan.broker.offers import make_engine, providers
    from patchplan.service.auth import Accounts
    from patchplan.service.db import ServiceStore, migrate

    engine = make_engine(db)
    try:
        migrate(engine)
    except Exception as exc:  # noqa: BLE001 - a database that cannot be opened is the user's input
        raise InputError(f"--db {db}: cannot open the database: {type(exc).__name__}: {exc}") from None
    from patchplan.broker.offers import metadata

    metadata.create_all(engine)
    with engine.begin() as conn:
        known = {r.provider_id for r in conn.execute(select(providers.c.provider_id))}
    return Accounts(ServiceStore(engine)), known or None


@users_app.command("add")
@job
def users_add(
    username: Annotated[str, typer.Argument(help="User name (lower case).")],
    role: Annotated[str, typer.Option("--role", help="broker, provider, commissioner or admin.")],
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider", help="Provider id a provider user is bound to (checked when the database is seeded)."
        ),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option("--password", envvar="PATCHPLAN_NEW_PASSWORD", help="Default: a random one, printed once."),
    ] = None,
    db: DbOpt = DEFAULT_DB,
    as_json: JsonOpt = False,
) -> None:
    """Add a user (password hashed with argon2id; a random one is printed once when none is given)."""
    from patchplan.broker.offers import default_actor
    from patchplan.service.auth import random_password

    accounts, known = _accounts(db)
    shown = password is None
    password = password or random_password()
    user = accounts.add(username, role, password, provider_id=provider, actor=default_actor(), known_providers=known)
    payload = {**user.as_dict(), **({"password": password} if shown else {})}
    if as_json:
        emit_json(payload)
        return
    out.print(f"user {user.username} added as {user.role}" + (f" for {user.provider_id}" if user.provider_id else ""))
    if shown:
        out.print(f"password (shown once): {password}")


@users_app.command("list")
@job
def users_list(db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False) -> None:
    """List users (never their passwords)."""
    accounts, _ = _accounts(db)
    users = accounts.list()
    if as_json:
        emit_json([u.as_dict() for u in users])
        return
    table = Table(title="Users")
    for col in ("user", "role", "provider", "active"):
        table.add_column(col)
    for u in users:
        table.add_row(u.username, u.role, u.provider_id or "", "yes" if u.active else "no")
    out.print(table)


@users_app.command("disable")
@job
def users_disable(
    username: Annotated[str, typer.Argument(help="User name.")], db: DbOpt = DEFAULT_DB, as_json: JsonOpt = False
) -> None:
    """Disable a user (their sessions end at once)."""
    from patchplan.broker.offers import default_actor

    accounts, _ = _accounts(db)
    user = accounts.disable(username, actor=default_actor())
    if as_json:
        emit_json(user.as_dict())
        return
    out.print(f"user {user.username} disabled")
