"""Integration fixtures: real services, each test on data nothing else can see.

PostgreSQL: one fresh database per test run (CREATE DATABASE prescreen_test_<random>, dropped at
the end) and a fresh schema inside it per test. Under CI=true a service that cannot be reached
is a failure, never a skip.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.repository import Repository

# Any database on the server will do to issue CREATE/DROP DATABASE; tests never write there.
PG_ADMIN_URL = os.environ.get("PRESCREEN_TEST_PG_ADMIN_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def service_unavailable(what: str, exc: BaseException) -> NoReturn:
    """Fail under CI (a missing service there is a broken pipeline), skip on a developer machine."""
    message = f"{what} not reachable: {type(exc).__name__}: {exc}".strip()
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(f"{message} (set CI=true to make this a failure)")


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """URL of a database created for this run alone."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"prescreen_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connect failure means "no server"
        admin.dispose()
        service_unavailable(f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)}", exc)
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_schema_url(pg_database_url: str) -> Iterator[str]:
    """A fresh, empty schema in the run's database; the URL puts it first on the search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    setup = make_engine(pg_database_url, isolation_level="AUTOCOMMIT")
    with setup.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield make_url(pg_database_url).update_query_dict({"options": f"-csearch_path={schema}"}) \
            .render_as_string(hide_password=False)
    finally:
        with setup.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        setup.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an empty SQLite file and on an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'prescreen.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def repo(engine: Engine) -> Repository:
    repo = Repository(engine)
    repo.create_schema()
    return repo
