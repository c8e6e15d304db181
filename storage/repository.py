"""Repository: packages, documents, extractions and reports as rows. No rule of the measures here."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.models import Package
from intake.receive import content_id as compute_content_id
from storage.db import DocumentRecord, ExtractionRecord, PackageRecord, ReportRecord
from storage.objects import StorageError
from storage.states import HALF_STATES, InvalidTransition, PackageState, sources

_ID_PREFIX = re.compile(r"^[0-9a-f]{1,32}$")
# Managed by transitions only: state_changed_at and attempts; state goes through transition().
_UPDATABLE = frozenset(c.key for c in PackageRecord.__table__.columns) - {"id", "state_changed_at", "attempts"}
_FIELDS = _UPDATABLE - {"state", "error"}  # what a transition may set alongside the state
_VERSION_RETRIES = 5
# Top-level report keys that differ between two runs with the same result; ignored by the content hash.
VOLATILE_REPORT_KEYS = frozenset({"generated_at"})


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
    error: str | None  # the failure reason, while state is failed
    state_changed_at: datetime
    attempts: int


@dataclass(frozen=True)
class ReportVersion:
    package_id: str
    version: int
    ruleset: str
    verdict: str
    created_at: datetime
    object_key: str | None
    content_sha256: str


@dataclass(frozen=True)
class Recovered:
    """Packages recover_stuck found in a half state: put back to received, or failed for good."""

    requeued: list[str]
    failed: list[str]


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
                      verdict=r.verdict, ruleset=r.ruleset, error=r.error,
                      state_changed_at=r.state_changed_at, attempts=r.attempts)


def report_content_sha256(report_json: dict[str, Any]) -> str:
    """What makes two reports the same result: canonical JSON without the volatile keys (a redelivered
    task re-generating the same findings a minute later hashes the same). Migration 0003 mirrors this."""
    stable = {k: v for k, v in report_json.items() if k not in VOLATILE_REPORT_KEYS}
    return hashlib.sha256(json.dumps(stable, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


class Repository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    def create_schema(self) -> None:
        """Migrate the database to the newest schema (idempotent; adopts a pre-migration database)."""
        from storage.migrate import upgrade

        upgrade(self.engine)

    # --- packages ---------------------------------------------------------------------------

    def save_package(self, package: Package, content_id: str | None = None) -> None:
        """Insert or replace the package row and its document rows."""
        with self._session.begin() as s:
            existing = s.get(PackageRecord, package.package_id)
            row = existing or PackageRecord(id=package.package_id, state=PackageState.RECEIVED.value,
                                            state_changed_at=datetime.now(UTC), attempts=0)
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
        """Set columns of a package row, e.g. verdict="eligible". With state=…, a checked transition
        (error=… is then the failure reason): InvalidTransition if the current state does not allow it."""
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise TypeError(f"not a package column: {', '.join(sorted(unknown))}")
        if "state" in fields:
            target = str(_plain(fields.pop("state")))
            if not self.transition(package_id, target, reason=fields.pop("error", None), **fields):
                raise InvalidTransition(package_id, self._state_of(package_id), target)
            return
        with self._session.begin() as s:
            row = s.get(PackageRecord, package_id)
            if row is None:
                raise PackageNotFound(f"no package {package_id!r}")
            for key, value in fields.items():
                setattr(row, key, _plain(value))

    # --- state machine (storage/states.py) ----------------------------------------------------

    def transition(self, package_id: str, target: PackageState | str, *, reason: str | None = None,
                   attempt: int | None = None, **fields: Any) -> bool:
        """Move the package to `target` if its current state allows it, atomically (one conditional
        UPDATE): False when it does not — e.g. another worker got there first. `reason` is required
        for failed; `attempt` (from claim) makes a worker whose package was recovered meanwhile lose;
        `fields` are other columns written in the same statement (e.g. applicant_name with done)."""
        with self._session.begin() as s:
            return self._move(s, package_id, PackageState(_plain(target)), reason, attempt, fields)

    def claim(self, package_id: str) -> int | None:
        """received → extracting for the caller; the attempt number (pass it to later transitions)
        or None when the package is not waiting to be processed."""
        with self._session.begin() as s:
            if not self._move(s, package_id, PackageState.EXTRACTING, None, None, {}):
                return None
            return s.scalar(select(PackageRecord.attempts).where(PackageRecord.id == package_id))

    def recover_stuck(self, older_than: timedelta, max_attempts: int = 3,
                      now: datetime | None = None) -> Recovered:
        """Packages in extracting/checking for longer than `older_than` (their worker died): back to
        received, or failed once `max_attempts` processings began. `older_than` must exceed the longest
        honest run (the worker's hard time limit), or a live worker loses its package."""
        cutoff = (now or datetime.now(UTC)) - older_than
        requeued: list[str] = []
        failed: list[str] = []
        with self._session.begin() as s:
            stuck = s.execute(select(PackageRecord.id, PackageRecord.state, PackageRecord.attempts).where(
                PackageRecord.state.in_([st.value for st in HALF_STATES]),
                PackageRecord.state_changed_at < cutoff).order_by(PackageRecord.state_changed_at)).all()
            for package_id, state, attempts in stuck:
                # Guarded by state and attempt: a package that moved meanwhile is left alone.
                guard = (PackageRecord.id == package_id, PackageRecord.state == state,
                         PackageRecord.attempts == attempts)
                if attempts >= max_attempts:
                    reason = f"stuck in {state} after {attempts} attempts; gave up"
                    values: dict[str, Any] = {"state": PackageState.FAILED.value, "error": reason}
                else:
                    values = {"state": PackageState.RECEIVED.value, "error": None}
                moved = s.execute(update(PackageRecord).where(*guard).values(
                    state_changed_at=datetime.now(UTC), **values)
                    .execution_options(synchronize_session=False)).rowcount
                if moved:
                    (failed if values["state"] == PackageState.FAILED else requeued).append(package_id)
        return Recovered(requeued=requeued, failed=failed)

    def _move(self, s: Session, package_id: str, target: PackageState, reason: str | None,
              attempt: int | None, fields: dict[str, Any]) -> bool:
        unknown = set(fields) - _FIELDS
        if unknown:
            raise TypeError(f"not a column a transition may set: {', '.join(sorted(unknown))}")
        if (target is PackageState.FAILED) != (reason is not None):
            raise ValueError("a reason is required for failed, and only for failed")
        values = {k: _plain(v) for k, v in fields.items()}
        values.update(state=target.value, state_changed_at=datetime.now(UTC), error=reason)
        if target is PackageState.EXTRACTING:
            values["attempts"] = PackageRecord.attempts + 1
        stmt = update(PackageRecord).where(PackageRecord.id == package_id,
                                           PackageRecord.state.in_([st.value for st in sources(target)]))
        if attempt is not None:
            stmt = stmt.where(PackageRecord.attempts == attempt)
        moved = s.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount
        if not moved and s.scalar(select(PackageRecord.id).where(PackageRecord.id == package_id)) is None:
            raise PackageNotFound(f"no package {package_id!r}")
        return moved == 1

    def _state_of(self, package_id: str) -> str | None:
        with self._session() as s:
            return s.scalar(select(PackageRecord.state).where(PackageRecord.id == package_id))

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
        """Store a new report version (1, 2, …; old ones stay) and copy its verdict/ruleset to the
        package row. The same report as the latest version again (report_content_sha256) is that version,
        kept as first stored (a repeated task adds nothing); an earlier version's content again is a new
        version (it is the newest result)."""
        text = json.dumps(report_json, ensure_ascii=False, sort_keys=True)
        digest = report_content_sha256(report_json)
        for _ in range(_VERSION_RETRIES):
            try:
                with self._session.begin() as s:
                    pkg = s.get(PackageRecord, package_id)
                    if pkg is None:
                        raise PackageNotFound(f"no package {package_id!r}")
                    latest = s.execute(select(ReportRecord.version, ReportRecord.content_sha256)
                                       .where(ReportRecord.package_id == package_id)
                                       .order_by(ReportRecord.version.desc()).limit(1)).first()
                    if latest is not None and latest.content_sha256 == digest:
                        return latest.version
                    version = (latest.version if latest else 0) + 1
                    s.add(ReportRecord(package_id=package_id, version=version, ruleset=ruleset,
                                       verdict=_plain(verdict), created_at=datetime.now(UTC),
                                       object_key=object_key, json_text=text, content_sha256=digest))
                    pkg.verdict, pkg.ruleset = _plain(verdict), ruleset
                return version
            except IntegrityError:
                continue  # a concurrent writer took this version number: look again
        raise StorageError(f"could not allocate a report version for {package_id!r}")

    def latest_report(self, package_id_or_prefix: str) -> dict[str, Any] | None:
        return self.get_report(package_id_or_prefix)

    def get_report(self, package_id_or_prefix: str, version: int | None = None) -> dict[str, Any] | None:
        """One version of the report (the latest when `version` is None), or None."""
        package_id = self.resolve_package_id(package_id_or_prefix)
        if package_id is None:
            return None
        query = select(ReportRecord.json_text).where(ReportRecord.package_id == package_id)
        query = query.where(ReportRecord.version == version) if version is not None else query
        with self._session() as s:
            text = s.scalar(query.order_by(ReportRecord.version.desc()).limit(1))
        return json.loads(text) if text is not None else None

    def list_reports(self, package_id_or_prefix: str) -> list[ReportVersion]:
        """Every stored version of the package's report, oldest first ([] for an unknown package)."""
        package_id = self.resolve_package_id(package_id_or_prefix)
        if package_id is None:
            return []
        with self._session() as s:
            rows = s.scalars(select(ReportRecord).where(ReportRecord.package_id == package_id)
                             .order_by(ReportRecord.version))
            return [ReportVersion(package_id=r.package_id, version=r.version, ruleset=r.ruleset,
                                  verdict=r.verdict, created_at=r.created_at, object_key=r.object_key,
                                  content_sha256=r.content_sha256) for r in rows]

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
