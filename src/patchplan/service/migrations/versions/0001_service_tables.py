"""The service's first tables: users, sessions, login failures, jobs, transfer proposals.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("provider_id", sa.String(64)),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("disabled_at", sa.DateTime),
    )
    op.create_table(
        "service_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("service_users.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "service_login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("login_failures_by_user", "service_login_failures", ["username", "at"])
    op.create_table(
        "service_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Float, nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("result", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("started_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_table(
        "service_transfer_proposals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.String(64), nullable=False),
        sa.Column("from_provider", sa.String(64), nullable=False),
        sa.Column("to_provider", sa.String(64), nullable=False),
        sa.Column("swap_package_id", sa.String(64)),
        sa.Column("saving_min_week", sa.Integer, nullable=False),
        sa.Column("hours_week", sa.Float, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("from_answer", sa.String(20)),
        sa.Column("to_answer", sa.String(20)),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.DateTime, nullable=False),
    )
    open_ = sa.text("status = 'proposed'")
    op.create_index(
        "one_open_proposal_per_package",
        "service_transfer_proposals",
        ["package_id"],
        unique=True,
        sqlite_where=open_,
        postgresql_where=open_,
    )


def downgrade() -> None:
    op.drop_table("service_transfer_proposals")
    op.drop_table("service_jobs")
    op.drop_table("service_login_failures")
    op.drop_table("service_sessions")
    op.drop_table("service_users")
