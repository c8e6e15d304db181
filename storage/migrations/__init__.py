"""Alembic migrations of the metadata database; run them with storage.migrate.upgrade."""
