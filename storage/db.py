"""Tables (SQLAlchemy 2, typed) and the engine factory; works on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.states import PackageState

__all__ = ["ArchiveRunRecord", "Base", "DocumentRecord", "ExtractionRecord", "ItemStatus", "PackageRecord",
           "PackageState", "ReportRecord", "RunItemRecord", "RunKind", "RunStatus", "make_engine"]


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite would otherwise hand back naive ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware (UTC) datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class PackageRecord(Base):
    __tablename__ = "packages"
    __table_args__ = (
        # The database itself refuses a state the machine does not know.
        CheckConstraint("state IN (%s)" % ", ".join(f"'{s.value}'" for s in PackageState),
                        name="ck_packages_state"),
        Index("ix_packages_state_changed_at", "state", "state_changed_at"),  # finding stuck packages
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    content_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    application_kind: Mapped[str | None] = mapped_column(String(32))
    application_date: Mapped[date | None] = mapped_column(Date)
    applicant_name: Mapped[str | None] = mapped_column(Text)
    applicant_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    district: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=PackageState.RECEIVED.value)
    verdict: Mapped[str | None] = mapped_column(String(32))
    ruleset: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)  # the reason, while the state is failed
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))  # times processing began


class DocumentRecord(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("package_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    file_type: Mapped[str] = mapped_column(String(16))
    problem_code: Mapped[str | None] = mapped_column(String(64))
    problem_zh: Mapped[str | None] = mapped_column(Text)
    problem_en: Mapped[str | None] = mapped_column(Text)
    detected_kinds: Mapped[list[str]] = mapped_column(Json, default=list)


class ExtractionRecord(Base):
    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("sha256", "extractor_version", "settings_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    extractor_version: Mapped[str] = mapped_column(String(64))
    settings_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[Any | None] = mapped_column(Json)  # small results inline...
    blob_key: Mapped[str | None] = mapped_column(Text)  # ...large ones in the object store
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportRecord(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("package_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    ruleset: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    object_key: Mapped[str | None] = mapped_column(Text)
    json_text: Mapped[str] = mapped_column(Text)  # exactly what was reported, byte for byte
    content_sha256: Mapped[str] = mapped_column(String(64))  # repository.report_content_sha256: same result, same hash


class RunKind(StrEnum):
    REPROCESS = "reprocess"
    INGEST = "ingest"


class RunStatus(StrEnum):
    RUNNING = "running"  # also a run whose process was interrupted: it is resumed, not restarted
    FINISHED = "finished"


class ItemStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    DUPLICATE = "duplicate"  # ingest: the same content was ingested before
    SKIPPED = "skipped"  # ingest: not a package (neither a folder nor a .zip)


class ArchiveRunRecord(Base):
    """A bulk run over the archive (reprocess) or over a folder of packages (ingest)."""

    __tablename__ = "archive_runs"
    __table_args__ = (Index("ix_archive_runs_resume", "kind", "filter_key", "status"),)  # the unfinished run to resume

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    filter_key: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical `options`
    options: Mapped[dict[str, Any]] = mapped_column(Json)  # filter, forced rule set, folder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RunItemRecord(Base):
    """One package of a run: what it was before (report version), what it is after, or why it failed."""

    __tablename__ = "archive_run_items"
    __table_args__ = (UniqueConstraint("run_id", "seq"), Index("ix_archive_run_items_status", "run_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("archive_runs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # order of work within the run
    source: Mapped[str] = mapped_column(Text)  # ingest: the package's path; reprocess: its source as received
    package_id: Mapped[str | None] = mapped_column(String(32), index=True)  # None: intake refused the package
    status: Mapped[str] = mapped_column(String(16))
    old_version: Mapped[int | None] = mapped_column(Integer)  # latest report version when the run began
    new_version: Mapped[int | None] = mapped_column(Integer)  # the report version the run left
    attempt: Mapped[int | None] = mapped_column(Integer)  # the package's attempt this run claimed (full processing)
    detail: Mapped[str | None] = mapped_column(Text)  # failure reason, or the package a duplicate repeats
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def make_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    return engine
