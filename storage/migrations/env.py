"""Alembic environment: runs on the connection storage.migrate hands over (no alembic.ini, no URL here)."""
from __future__ import annotations

from alembic import context

import web.models  # noqa: F401  the workbench's tables live on the same metadata; autogenerate must see them
from storage.db import Base
from storage.migrate import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.migrate (python -m storage.migrate upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters most things by rebuilding the table
)
with context.begin_transaction():  # joins the transaction storage.migrate opened
    context.run_migrations()
