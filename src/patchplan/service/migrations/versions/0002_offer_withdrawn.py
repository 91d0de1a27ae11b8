"""Offers may be ``withdrawn`` by a broker: the offers table's status check allows it.

A withdrawal used to be written as a decline; it is its own status now
(:meth:`patchplan.broker.offers.OfferStore.withdraw`). The offers store
creates its tables with the new check on a fresh database; this migration
upgrades a database made before (by ``patchplan offers`` or an older
``patchplan serve``). PostgreSQL replaces the named constraint in place;
SQLite cannot alter a constraint, so the table is rebuilt (renamed, created
anew with the same columns and indexes, rows copied, old table dropped) in
the migration's transaction. The table is left alone when it is missing
(the store creates it later) or already allows the status.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen here (not imported from the store): a migration must mean the same thing forever.
OLD = ("offered", "accepted", "declined", "expired", "placed")
NEW = (*OLD, "withdrawn")
COLUMNS = (
    "id, package_id, provider_id, status, reason, offered_at, decided_at, placed_at, expires_at, "
    "broker, policy, rank, tier, added_travel_min_week"
)


def _check(statuses: tuple[str, ...]) -> str:
    return f"status IN ({', '.join(repr(s) for s in statuses)})"


def upgrade() -> None:
    _set_statuses(NEW)


def downgrade() -> None:
    # Withdrawn offers cannot be told apart from declines afterwards, so they become declines.
    if _has_offers():
        op.execute("UPDATE offers SET status = 'declined' WHERE status = 'withdrawn'")
    _set_statuses(OLD)


def _has_offers() -> bool:
    return "offers" in sa.inspect(op.get_bind()).get_table_names()


def _set_statuses(statuses: tuple[str, ...]) -> None:
    if not _has_offers():
        return
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite(statuses)
        return
    op.execute("ALTER TABLE offers DROP CONSTRAINT IF EXISTS offer_status")
    op.execute(f"ALTER TABLE offers ADD CONSTRAINT offer_status CHECK ({_check(statuses)})")


def _rebuild_sqlite(statuses: tuple[str, ...]) -> None:
    bind = op.get_bind()
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'offers'").scalar()
    if _check(statuses) in (sql or ""):
        return  # already this check (a database the store created with it)
    op.execute("DROP INDEX IF EXISTS one_live_offer_per_package")
    op.execute("DROP INDEX IF EXISTS offers_by_package")
    op.execute("ALTER TABLE offers RENAME TO offers_before_0002")
    op.create_table(
        "offers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.String(64), sa.ForeignKey("packages.package_id"), nullable=False),
        sa.Column("provider_id", sa.String(64), sa.ForeignKey("providers.provider_id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("offered_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("placed_at", sa.DateTime),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("broker", sa.String(200), nullable=False),
        sa.Column("policy", sa.String(20)),
        sa.Column("rank", sa.Integer),
        sa.Column("tier", sa.Integer),
        sa.Column("added_travel_min_week", sa.Integer),
        sa.CheckConstraint(_check(statuses), name="offer_status"),
    )
    op.execute(f"INSERT INTO offers ({COLUMNS}) SELECT {COLUMNS} FROM offers_before_0002")
    op.execute("DROP TABLE offers_before_0002")
    live = sa.text("status IN ('offered', 'accepted', 'placed')")
    op.create_index("one_live_offer_per_package", "offers", ["package_id"], unique=True, sqlite_where=live)
    op.create_index("offers_by_package", "offers", ["package_id"])
