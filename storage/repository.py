"""Repository: packages, documents, extractions and reports as rows. No rule of the measures here."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from intake.models import Package
from intake.receive import content_id as compute_content_id
from storage.db import (
    ArchiveRunRecord,
    DocumentRecord,
    ExtractionRecord,
    ItemStatus,
    PackageRecord,
    ReportRecord,
    RunItemRecord,
    RunStatus,
)
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


@dataclass(frozen=True)
class PackageFilter:
    """Which packages a bulk run takes; None matches anything. Dates bound application_date (inclusive)."""

    states: tuple[str, ...] = (PackageState.DONE.value,)
    district: str | None = None
    kind: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    verdict: str | None = None
    ruleset: str | None = None  # the rule set of the latest report


@dataclass(frozen=True)
class RunRow:
    id: str
    kind: str
    status: str
    filter_key: str
    options: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class RunItem:
    run_id: str
    seq: int
    source: str
    package_id: str | None
    status: str
    old_version: int | None
    new_version: int | None
    attempt: int | None
    detail: str | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Recheck:
    """A package's report recomputed without a state change (rules over cached facts), to be saved with
    its run item in one transaction. `object_key`: where the report object was already stored."""

    package_id: str
    report: dict[str, Any]
    object_key: str
    columns: dict[str, Any]  # summary columns of the package row
    kinds: dict[str, list[str]]  # document name -> detected kinds


def _run_row(r: ArchiveRunRecord) -> RunRow:
    return RunRow(id=r.id, kind=r.kind, status=r.status, filter_key=r.filter_key, options=dict(r.options),
                  created_at=r.created_at, finished_at=r.finished_at)


def _item(r: RunItemRecord) -> RunItem:
    return RunItem(run_id=r.run_id, seq=r.seq, source=r.source, package_id=r.package_id, status=r.status,
                   old_version=r.old_version, new_version=r.new_version, attempt=r.attempt, detail=r.detail,
                   finished_at=r.finished_at)


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

    # --- archive runs (bulk reprocess and ingest; prescreen/reprocess.py, prescreen/ingest.py) --------

    def select_packages(self, f: PackageFilter) -> list[tuple[str, str, int | None]]:
        """(package id, source, latest report version) of the packages `f` matches, oldest received first."""
        latest = (select(ReportRecord.package_id, func.max(ReportRecord.version).label("version"))
                  .group_by(ReportRecord.package_id).subquery())
        q = (select(PackageRecord.id, PackageRecord.source, latest.c.version)
             .outerjoin(latest, latest.c.package_id == PackageRecord.id)
             .where(PackageRecord.state.in_(list(f.states))).order_by(PackageRecord.received_at, PackageRecord.id))
        for column, value in ((PackageRecord.district, f.district), (PackageRecord.application_kind, f.kind),
                              (PackageRecord.verdict, f.verdict), (PackageRecord.ruleset, f.ruleset)):
            if value is not None:
                q = q.where(column == value)
        if f.date_from is not None:
            q = q.where(PackageRecord.application_date >= f.date_from)
        if f.date_to is not None:
            q = q.where(PackageRecord.application_date <= f.date_to)
        with self._session() as s:
            return [(r.id, r.source, r.version) for r in s.execute(q)]

    def package_states(self, package_ids: list[str]) -> dict[str, str]:
        """package id -> state, for those that exist (one query for a batch)."""
        with self._session() as s:
            return dict(s.execute(select(PackageRecord.id, PackageRecord.state)
                                  .where(PackageRecord.id.in_(package_ids))).all())

    def find_by_content(self, content_id: str) -> PackageRow | None:
        """The first package received with this content (same file names and bytes), if any."""
        with self._session() as s:
            row = s.scalar(select(PackageRecord).where(PackageRecord.content_id == content_id)
                           .order_by(PackageRecord.received_at, PackageRecord.id).limit(1))
            return _package_row(row) if row else None

    def create_run(self, run_id: str, kind: str, filter_key: str, options: dict[str, Any],
                   items: list[tuple[str, str | None, int | None]]) -> RunRow:
        """A new run with its items (source, package id, latest report version), all pending, in order."""
        now = datetime.now(UTC)
        with self._session.begin() as s:
            run = ArchiveRunRecord(id=run_id, kind=kind, status=RunStatus.RUNNING.value, filter_key=filter_key,
                                   options=options, created_at=now, finished_at=None)
            s.add(run)
            s.flush()
            s.add_all(RunItemRecord(run_id=run_id, seq=i, source=source, package_id=package_id,
                                    status=ItemStatus.PENDING.value, old_version=version)
                      for i, (source, package_id, version) in enumerate(items))
            return _run_row(run)

    def get_run(self, run_id_or_prefix: str) -> RunRow | None:
        """A run by id or unique prefix; AmbiguousPackageId-like error when several match."""
        if not _ID_PREFIX.match(run_id_or_prefix):
            return None
        with self._session() as s:
            rows = list(s.scalars(select(ArchiveRunRecord).where(ArchiveRunRecord.id.startswith(run_id_or_prefix))
                                  .limit(2)))
        if len(rows) > 1 and run_id_or_prefix not in {r.id for r in rows}:
            raise AmbiguousPackageId(f"run id prefix {run_id_or_prefix!r} matches several runs")
        exact = [r for r in rows if r.id == run_id_or_prefix]
        return _run_row((exact or rows)[0]) if rows else None

    def unfinished_run(self, kind: str, filter_key: str) -> RunRow | None:
        """The latest run of this kind and filter that has not finished (interrupted or crashed)."""
        with self._session() as s:
            row = s.scalar(select(ArchiveRunRecord).where(
                ArchiveRunRecord.kind == kind, ArchiveRunRecord.filter_key == filter_key,
                ArchiveRunRecord.status == RunStatus.RUNNING.value).order_by(ArchiveRunRecord.created_at.desc())
                .limit(1))
            return _run_row(row) if row else None

    def list_runs(self, kind: str | None = None, limit: int = 20) -> list[RunRow]:
        q = select(ArchiveRunRecord).order_by(ArchiveRunRecord.created_at.desc()).limit(limit)
        with self._session() as s:
            return [_run_row(r) for r in s.scalars(q.where(ArchiveRunRecord.kind == kind) if kind else q)]

    def run_items(self, run_id: str, status: str | None = None,
                  package_ids: list[str] | None = None) -> list[RunItem]:
        q = select(RunItemRecord).where(RunItemRecord.run_id == run_id).order_by(RunItemRecord.seq)
        if status is not None:
            q = q.where(RunItemRecord.status == status)
        if package_ids is not None:
            q = q.where(RunItemRecord.package_id.in_(package_ids))
        with self._session() as s:
            return [_item(r) for r in s.scalars(q)]

    def run_counts(self, run_id: str) -> dict[str, int]:
        """Items per status (statuses without items left out)."""
        with self._session() as s:
            rows = s.execute(select(RunItemRecord.status, func.count()).where(RunItemRecord.run_id == run_id)
                             .group_by(RunItemRecord.status))
            return {status: n for status, n in rows}

    def update_item(self, run_id: str, seq: int, **fields: Any) -> None:
        """Set an item's package_id, status, versions or detail; a final status stamps finished_at."""
        values = {k: _plain(v) for k, v in fields.items()}
        if values.get("status", ItemStatus.PENDING.value) != ItemStatus.PENDING.value:
            values.setdefault("finished_at", datetime.now(UTC))
        with self._session.begin() as s:
            s.execute(update(RunItemRecord).where(RunItemRecord.run_id == run_id, RunItemRecord.seq == seq)
                      .values(**values).execution_options(synchronize_session=False))

    def finish_run(self, run_id: str) -> bool:
        """Mark the run finished if no item is pending; False (still running) otherwise."""
        with self._session.begin() as s:
            pending = s.scalar(select(func.count()).where(RunItemRecord.run_id == run_id,
                                                          RunItemRecord.status == ItemStatus.PENDING.value))
            if pending:
                return False
            s.execute(update(ArchiveRunRecord).where(ArchiveRunRecord.id == run_id,
                                                     ArchiveRunRecord.status == RunStatus.RUNNING.value)
                      .values(status=RunStatus.FINISHED.value, finished_at=datetime.now(UTC)))
            return True

    def latest_report_digests(self, package_ids: list[str]) -> dict[str, tuple[int, str]]:
        """package id -> (latest report version, its content hash), for the packages that have a report."""
        latest = (select(ReportRecord.package_id, func.max(ReportRecord.version).label("version"))
                  .where(ReportRecord.package_id.in_(package_ids)).group_by(ReportRecord.package_id).subquery())
        q = select(ReportRecord.package_id, ReportRecord.version, ReportRecord.content_sha256).join(
            latest, (latest.c.package_id == ReportRecord.package_id) & (latest.c.version == ReportRecord.version))
        with self._session() as s:
            return {pid: (version, digest) for pid, version, digest in s.execute(q)}

    def save_rechecks(self, run_id: str, rechecks: list[Recheck], unchanged: dict[str, int]) -> dict[str, int]:
        """In one transaction (one commit for many packages): each recheck's report as a new version unless it
        equals the latest, its verdict, rule set and summary columns on the package row, its documents' kinds,
        and its run item done; `unchanged` (package id -> the latest version, same result) items done too.
        Returns package id -> the version each item ended on."""
        for _ in range(_VERSION_RETRIES):
            try:
                return self._save_rechecks(run_id, rechecks, unchanged)
            except IntegrityError:
                continue  # a concurrent writer took a version number: the whole batch again
        raise StorageError(f"could not allocate report versions for run {run_id!r}")

    def _save_rechecks(self, run_id: str, rechecks: list[Recheck], unchanged: dict[str, int]) -> dict[str, int]:
        now = datetime.now(UTC)
        ended = dict(unchanged)
        with self._session.begin() as s:
            ids = [r.package_id for r in rechecks]
            latest = dict(s.execute(select(ReportRecord.package_id, func.max(ReportRecord.version))
                                    .where(ReportRecord.package_id.in_(ids)).group_by(ReportRecord.package_id))
                          .all()) if ids else {}
            digests = {(pid, v): d for pid, v, d in s.execute(
                select(ReportRecord.package_id, ReportRecord.version, ReportRecord.content_sha256)
                .where(ReportRecord.package_id.in_(ids)))} if ids else {}
            for r in rechecks:
                digest = report_content_sha256(r.report)
                version = latest.get(r.package_id)
                if version is None or digests.get((r.package_id, version)) != digest:
                    version = (version or 0) + 1
                    s.add(ReportRecord(package_id=r.package_id, version=version, ruleset=r.report["ruleset"],
                                       verdict=r.report["verdict"], created_at=now, object_key=r.object_key,
                                       json_text=json.dumps(r.report, ensure_ascii=False, sort_keys=True),
                                       content_sha256=digest))
                s.execute(update(PackageRecord).where(PackageRecord.id == r.package_id).values(
                    verdict=r.report["verdict"], ruleset=r.report["ruleset"],
                    **{k: _plain(v) for k, v in r.columns.items()}).execution_options(synchronize_session=False))
                for name, kinds in r.kinds.items():
                    s.execute(update(DocumentRecord).where(DocumentRecord.package_id == r.package_id,
                                                           DocumentRecord.name == name)
                              .values(detected_kinds=kinds).execution_options(synchronize_session=False))
                ended[r.package_id] = version
            for package_id, version in ended.items():
                s.execute(update(RunItemRecord).where(RunItemRecord.run_id == run_id,
                                                      RunItemRecord.package_id == package_id)
                          .values(status=ItemStatus.DONE.value, new_version=version, finished_at=now)
                          .execution_options(synchronize_session=False))
        return ended

    def count_extractions_since(self, since: datetime) -> int:
        """Extraction cache entries written since `since`: documents actually extracted (a cache hit writes none)."""
        with self._session() as s:
            return s.scalar(select(func.count()).where(ExtractionRecord.created_at >= since)) or 0
