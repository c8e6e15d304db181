"""Repository: packages, documents, extractions and reports as rows. No rule of the measures here."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.models import Package
from intake.receive import content_id as compute_content_id
from storage.db import Base, DocumentRecord, ExtractionRecord, PackageRecord, PackageState, ReportRecord
from storage.objects import StorageError

_ID_PREFIX = re.compile(r"^[0-9a-f]{1,32}$")
_UPDATABLE = frozenset(c.key for c in PackageRecord.__table__.columns) - {"id"}
_VERSION_RETRIES = 5


class PackageNotFound(StorageError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "package not found"


class AmbiguousPackageId(StorageError):
    """A short id matched more than one package."""


@dataclass(frozen=True)
class PackageRow:
    id: str
    content_id: str
    source: str
    received_at: datetime
    state: str
    application_kind: str | None
    application_date: date | None
    applicant_name: str | None
    applicant_uscc: str | None
    district: str | None
    verdict: str | None
    ruleset: str | None
    error: str | None


@dataclass(frozen=True)
class ExtractionRow:
    sha256: str
    extractor_version: str
    settings_hash: str
    result: Any
    blob_key: str | None
    created_at: datetime


def _package_row(r: PackageRecord) -> PackageRow:
    return PackageRow(id=r.id, content_id=r.content_id, source=r.source, received_at=r.received_at,
                      state=r.state, application_kind=r.application_kind, application_date=r.application_date,
                      applicant_name=r.applicant_name, applicant_uscc=r.applicant_uscc, district=r.district,
                      verdict=r.verdict, ruleset=r.ruleset, error=r.error)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def create_schema(self) -> None:
        """Create missing tables (idempotent)."""
        Base.metadata.create_all(self.engine)

    # --- packages ---------------------------------------------------------------------------

    def save_package(self, package: Package, content_id: str | None = None) -> None:
        """Insert or replace the package row and its document rows."""
        with self._session.begin() as s:
            existing = s.get(PackageRecord, package.package_id)
            row = existing or PackageRecord(id=package.package_id, state=PackageState.RECEIVED.value)
            row.content_id = content_id or compute_content_id(package.documents)
            row.source = package.source
            row.received_at = package.received_at
            s.add(row)
            s.execute(delete(DocumentRecord).where(DocumentRecord.package_id == package.package_id))
            s.flush()
            for d in package.documents:
                s.add(DocumentRecord(
                    package_id=package.package_id, name=d.name, sha256=d.sha256, size=d.size,
                    file_type=d.file_type.value, problem_code=d.problem.code if d.problem else None,
                    problem_zh=d.problem.message_zh if d.problem else None,
                    problem_en=d.problem.message_en if d.problem else None, detected_kinds=[]))

    def update_package(self, package_id: str, **fields: Any) -> None:
        """Set columns of a package row, e.g. state=PackageState.DONE, verdict="eligible"."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise TypeError(f"not a package column: {', '.join(sorted(unknown))}")
        with self._session.begin() as s:
            row = s.get(PackageRecord, package_id)
            if row is None:
                raise PackageNotFound(f"no package {package_id!r}")
            for key, value in fields.items():
                setattr(row, key, _plain(value))

    def set_detected_kinds(self, package_id: str, name: str, kinds: list[str]) -> None:
        with self._session.begin() as s:
            doc = s.scalar(select(DocumentRecord).where(DocumentRecord.package_id == package_id,
                                                        DocumentRecord.name == name))
            if doc is None:
                raise PackageNotFound(f"no document {name!r} in package {package_id!r}")
            doc.detected_kinds = list(kinds)

    def get_package(self, package_id: str) -> PackageRow | None:
        with self._session() as s:
            row = s.get(PackageRecord, package_id)
            return _package_row(row) if row else None

    def list_packages(self, limit: int = 50) -> list[PackageRow]:
        """Most recently received first."""
        with self._session() as s:
            rows = s.scalars(select(PackageRecord).order_by(PackageRecord.received_at.desc(),
                                                            PackageRecord.id).limit(limit))
            return [_package_row(r) for r in rows]

    def resolve_package_id(self, id_or_prefix: str) -> str | None:
        """Full id for a full or short (prefix) id; AmbiguousPackageId if several match."""
        if not _ID_PREFIX.match(id_or_prefix):
            return None
        with self._session() as s:
            ids = list(s.scalars(select(PackageRecord.id).where(PackageRecord.id.startswith(id_or_prefix))
                                 .limit(2)))
        if len(ids) > 1 and id_or_prefix not in ids:
            raise AmbiguousPackageId(f"package id prefix {id_or_prefix!r} matches several packages")
        return id_or_prefix if id_or_prefix in ids else (ids[0] if ids else None)

    # --- reports ----------------------------------------------------------------------------

    def save_report(self, package_id: str, report_json: dict[str, Any], verdict: str, ruleset: str,
                    object_key: str | None) -> int:
        """Store a new report version (1, 2, …) and copy its verdict/ruleset to the package row."""
        text = json.dumps(report_json, ensure_ascii=False, sort_keys=True)
        for _ in range(_VERSION_RETRIES):
            try:
                with self._session.begin() as s:
                    pkg = s.get(PackageRecord, package_id)
                    if pkg is None:
                        raise PackageNotFound(f"no package {package_id!r}")
                    last = s.scalar(select(func.max(ReportRecord.version))
                                    .where(ReportRecord.package_id == package_id))
                    version = (last or 0) + 1
                    s.add(ReportRecord(package_id=package_id, version=version, ruleset=ruleset,
                                       verdict=_plain(verdict), created_at=datetime.now(UTC),
                                       object_key=object_key, json_text=text))
                    pkg.verdict, pkg.ruleset = _plain(verdict), ruleset
                return version
            except IntegrityError:
                continue  # a concurrent writer took this version number: take the next one
        raise StorageError(f"could not allocate a report version for {package_id!r}")

    def latest_report(self, package_id_or_prefix: str) -> dict[str, Any] | None:
        package_id = self.resolve_package_id(package_id_or_prefix)
        if package_id is None:
            return None
        with self._session() as s:
            text = s.scalar(select(ReportRecord.json_text).where(ReportRecord.package_id == package_id)
                            .order_by(ReportRecord.version.desc()).limit(1))
        return json.loads(text) if text is not None else None

    # --- extractions (cache keyed by content, extractor version and settings) -----------------

    def get_extraction(self, sha256: str, extractor_version: str, settings_hash: str) -> ExtractionRow | None:
        with self._session() as s:
            r = s.scalar(select(ExtractionRecord).where(
                ExtractionRecord.sha256 == sha256, ExtractionRecord.extractor_version == extractor_version,
                ExtractionRecord.settings_hash == settings_hash))
            if r is None:
                return None
            return ExtractionRow(sha256=r.sha256, extractor_version=r.extractor_version,
                                 settings_hash=r.settings_hash, result=r.result, blob_key=r.blob_key,
                                 created_at=r.created_at)

    def save_extraction(self, sha256: str, extractor_version: str, settings_hash: str,
                        result: Any = None, blob_key: str | None = None) -> None:
        """Idempotent upsert on (sha256, extractor_version, settings_hash)."""
        values = dict(sha256=sha256, extractor_version=extractor_version, settings_hash=settings_hash,
                      result=result, blob_key=blob_key, created_at=datetime.now(UTC))
        dialect = self.engine.dialect.name
        with self._session.begin() as s:
            if dialect in ("sqlite", "postgresql"):
                insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
                stmt = insert(ExtractionRecord).values(**values)
                s.execute(stmt.on_conflict_do_update(
                    index_elements=["sha256", "extractor_version", "settings_hash"],
                    set_={"result": stmt.excluded.result, "blob_key": stmt.excluded.blob_key,
                          "created_at": stmt.excluded.created_at}))
            else:
                self._upsert_portable(s, values)

    @staticmethod
    def _upsert_portable(s: Session, values: dict[str, Any]) -> None:
        row = s.scalar(select(ExtractionRecord).filter_by(
            sha256=values["sha256"], extractor_version=values["extractor_version"],
            settings_hash=values["settings_hash"]))
        if row is None:
            s.add(ExtractionRecord(**values))
        else:
            row.result, row.blob_key, row.created_at = values["result"], values["blob_key"], values["created_at"]
