"""Alembic migrations of the service tables (run by patchplan.service.db.migrate)."""
