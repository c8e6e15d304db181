"""Schema migrations (Alembic) run from code: the Config is built here, so there is no alembic.ini
to find and an installed package migrates the same way as a checkout.

    python -m storage.migrate upgrade            # the configured database (PRESCREEN_DATABASE_URL)
    python -m storage.migrate current
    python -m storage.migrate revision "add x"   # autogenerate a new revision against models
"""
from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from storage.objects import StorageError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema create_all made before migrations; unversioned databases are adopted as it
_BASELINE_TABLES = frozenset({"packages", "documents", "extractions", "reports"})
_PG_LOCK_KEY = 0x70726573_63726E  # any constant: serialises concurrent upgrades of one database


def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
    """Only our tables: a shared database or schema may hold other people's."""
    from storage.db import Base

    return type_ != "table" or name in Base.metadata.tables


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(target: Engine | str) -> str | None:
    with _engine(target) as engine, engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_differences(conn: Connection) -> list[Any]:
    """What autogenerate would change to make the database match the models ([] when they agree)."""
    from storage.db import Base

    ctx = MigrationContext.configure(conn, opts={"include_name": include_name})
    return compare_metadata(ctx, Base.metadata)


def upgrade(target: Engine | str, revision: str = "head") -> None:
    """Bring the database to `revision` in one transaction; safe to call from every process at start."""
    with _engine(target) as engine, _migration_transaction(engine) as conn:
        cfg = alembic_config(conn)
        _adopt_unversioned(conn, cfg)
        command.upgrade(cfg, revision)


def downgrade(target: Engine | str, revision: str) -> None:
    """Step the schema back to `revision` ("base" drops every table: data goes with it)."""
    with _engine(target) as engine, _migration_transaction(engine) as conn:
        command.downgrade(alembic_config(conn), revision)


def _adopt_unversioned(conn: Connection, cfg: Config) -> None:
    """A database made by create_all (no alembic_version) gets stamped instead of re-created."""
    tables = set(inspect(conn).get_table_names())
    if "alembic_version" in tables or not tables & _BASELINE_TABLES:
        return  # already versioned, or fresh
    if not schema_differences(conn):
        command.stamp(cfg, "head")  # create_all with today's models
    elif _BASELINE_TABLES <= tables:
        command.stamp(cfg, BASELINE)
    else:
        raise StorageError(f"database has only some prescreen tables ({', '.join(sorted(tables & _BASELINE_TABLES))}) "
                           "and no alembic_version: not adopting it")


@contextmanager
def _engine(target: Engine | str) -> Iterator[Engine]:
    from storage.db import make_engine

    if isinstance(target, Engine):
        yield target
        return
    engine = make_engine(target)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            with _sqlite_transaction(conn):
                yield conn
            return
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn


@contextmanager
def _sqlite_transaction(conn: Connection) -> Iterator[None]:
    """SQLite's own recipe for schema changes: foreign keys off (a table rebuild's DROP TABLE would
    otherwise cascade-delete children; the pragma is ignored inside a transaction), one explicit
    transaction (pysqlite would run DDL outside any), a foreign key check before commit."""
    conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # takes the write lock now: concurrent upgrades queue
        try:
            yield
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StorageError(f"migration left rows without their parent: {broken[:5]}")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
    finally:
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


def _revision(message: str) -> None:
    """Autogenerate against a scratch SQLite database at head (migrations must also suit PostgreSQL:
    review the file)."""
    from storage.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}")
        upgrade(engine)
        latest = head() or "0"
        rev_id = f"{int(latest) + 1:04d}" if latest.isdigit() else None  # keep 0001, 0002, … ordering
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=rev_id)
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from storage.settings import StorageSettings, open_repository

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["revision"] and len(args) == 2:
        _revision(args[1])
        return 0
    settings = StorageSettings()
    if args == ["upgrade"]:
        open_repository(settings)  # creates the default SQLite folder too, then upgrades
    elif args == ["current"]:
        print(current(settings.resolved_database_url) or "(empty database)")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
