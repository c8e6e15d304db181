"""Migration 0005 creates exactly the workbench's models, on SQLite and PostgreSQL, and steps back cleanly."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

import web.models  # noqa: F401 - registers the workbench tables, so the comparison covers them
from storage import migrate
from storage.db import Base, make_engine
from tests.integration.conftest import database_url, pg_database_url, pg_schema_url  # noqa: F401 - fixtures

WB_TABLES = {"wb_users", "wb_sessions", "wb_api_tokens", "wb_uploads", "wb_decisions", "wb_flags", "wb_flag_index",
             "wb_audit"}


def test_the_models_are_registered_on_the_shared_metadata():
    assert WB_TABLES <= set(Base.metadata.tables)


@pytest.mark.integration
def test_migrated_schema_matches_the_models_and_downgrades(database_url):  # noqa: F811 - the imported fixture
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current(engine) == migrate.head()
        with engine.connect() as conn:
            assert migrate.schema_differences(conn) == []
            assert WB_TABLES <= set(inspect(conn).get_table_names())
        migrate.downgrade(engine, "0004")
        with engine.connect() as conn:
            assert not WB_TABLES & set(inspect(conn).get_table_names())
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.schema_differences(conn) == []
    finally:
        engine.dispose()
