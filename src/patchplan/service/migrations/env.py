"""Alembic environment: runs on the connection :func:`patchplan.service.db.migrate` passes in."""

from __future__ import annotations

from alembic import context

from patchplan.service.db import metadata

connection = context.config.attributes["connection"]
# The service keeps its own version table: the offers store's tables are not Alembic's.
context.configure(connection=connection, target_metadata=metadata, version_table="service_alembic_version")
with context.begin_transaction():
    context.run_migrations()
