"""Packages as an officer sees them: only their district's, filtered and searched, with live processing progress.

A package's district is the receiving office's (wb_uploads.district) when it came through the workbench, else
what the machine read from its USCC (packages.district). The latter is rewritten when processing ends, so the
office's choice is kept apart and wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import sessionmaker

from extractors.context import ExtractionContext
from intake.models import FileType
from prescreen.extraction_cache import index_key
from storage.db import DocumentRecord, ExtractionRecord, PackageRecord
from storage.states import PackageState
from web.accounts import User
from web.models import UploadRecord, UploadState, UserRecord

DISTRICT = func.coalesce(UploadRecord.district, PackageRecord.district)
KIND = func.coalesce(PackageRecord.application_kind, UploadRecord.application_kind)
STATE_ZH = {"received": "排队中", "extracting": "提取中", "checking": "检查中", "done": "完成", "failed": "失败",
            UploadState.RECEIVING.value: "接收中", UploadState.REFUSED.value: "被拒收"}
FINAL = frozenset({PackageState.DONE.value, PackageState.FAILED.value})


@dataclass(frozen=True)
class PackageFilter:
    district: str | None = None
    kind: str | None = None
    verdict: str | None = None
    state: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = None  # applicant name (part) or USCC (prefix)
    limit: int = 100
    offset: int = 0

    def query_string(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items() if v not in (None, "") and k not in ("limit", "offset")}


@dataclass(frozen=True)
class PackageView:
    id: str
    source: str
    received_at: datetime
    state: str
    state_changed_at: datetime
    error: str | None
    district: str | None
    machine_district: str | None
    application_kind: str | None
    application_date: date | None
    applicant_name: str | None
    applicant_uscc: str | None
    verdict: str | None
    ruleset: str | None
    attempts: int
    uploaded_by: str | None = None
    file_names: list[str] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "received_at": self.received_at.isoformat(),
                "state": self.state, "state_changed_at": self.state_changed_at.isoformat(), "error": self.error,
                "district": self.district, "machine_district": self.machine_district,
                "application_kind": self.application_kind,
                "application_date": self.application_date and self.application_date.isoformat(),
                "applicant_name": self.applicant_name, "applicant_uscc": self.applicant_uscc,
                "verdict": self.verdict, "ruleset": self.ruleset, "attempts": self.attempts,
                "uploaded_by": self.uploaded_by, "file_names": self.file_names}


def _base() -> Select:
    return (select(PackageRecord, UploadRecord.district, UploadRecord.application_kind, UploadRecord.file_names,
                   UserRecord.username)
            .outerjoin(UploadRecord, UploadRecord.package_id == PackageRecord.id)
            .outerjoin(UserRecord, UserRecord.id == UploadRecord.user_id))


def scoped(q: Select, user: User) -> Select:
    """Only what the user may see: an officer, their own district's packages."""
    return q if user.all_districts else q.where(DISTRICT == user.district)


def _view(row: Any) -> PackageView:
    p, up_district, up_kind, files, username = row
    return PackageView(id=p.id, source=p.source, received_at=p.received_at, state=p.state,
                       state_changed_at=p.state_changed_at, error=p.error, district=up_district or p.district,
                       machine_district=p.district, application_kind=p.application_kind or up_kind,
                       application_date=p.application_date, applicant_name=p.applicant_name,
                       applicant_uscc=p.applicant_uscc, verdict=p.verdict, ruleset=p.ruleset, attempts=p.attempts,
                       uploaded_by=username, file_names=list(files or []))


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=UTC)


def filtered(q: Select, f: PackageFilter) -> Select:
    if f.district:
        q = q.where(DISTRICT == f.district)
    if f.kind:
        q = q.where(KIND == f.kind)
    if f.verdict:
        q = q.where(PackageRecord.verdict == f.verdict)
    if f.state:
        q = q.where(PackageRecord.state == f.state)
    if f.date_from:
        q = q.where(PackageRecord.received_at >= _day_start(f.date_from))
    if f.date_to:
        q = q.where(PackageRecord.received_at < _day_start(f.date_to + timedelta(days=1)))
    if f.q and f.q.strip():
        term = f.q.strip()
        q = q.where(or_(PackageRecord.applicant_name.contains(term, autoescape=True),
                        PackageRecord.applicant_uscc.startswith(term.upper(), autoescape=True)))
    return q


def list_packages(db: sessionmaker, user: User, f: PackageFilter = PackageFilter()) -> list[PackageView]:
    """Newest first."""
    q = filtered(scoped(_base(), user), f).order_by(PackageRecord.received_at.desc(), PackageRecord.id)
    with db() as s:
        return [_view(r) for r in s.execute(q.limit(min(f.limit, 1000)).offset(f.offset)).all()]


def get_package(db: sessionmaker, user: User, package_id: str) -> PackageView | None:
    """The package if it exists and the user may see it: another district's is as absent as a missing one."""
    with db() as s:
        row = s.execute(scoped(_base(), user).where(PackageRecord.id == package_id)).first()
    return _view(row) if row else None


# --- uploads not yet received as packages ------------------------------------------------------

@dataclass(frozen=True)
class UploadView:
    id: str
    package_id: str | None
    district: str
    application_kind: str | None
    file_names: list[str]
    total_bytes: int
    created_at: datetime
    state: str
    error: str | None
    uploaded_by: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "package_id": self.package_id, "district": self.district,
                "application_kind": self.application_kind, "file_names": self.file_names,
                "total_bytes": self.total_bytes, "created_at": self.created_at.isoformat(), "state": self.state,
                "error": self.error, "uploaded_by": self.uploaded_by}


def _upload_view(u: UploadRecord, username: str) -> UploadView:
    return UploadView(u.id, u.package_id, u.district, u.application_kind, list(u.file_names or []), u.total_bytes,
                      u.created_at, u.state, u.error, username)


def get_upload(db: sessionmaker, user: User, upload_id: str) -> UploadView | None:
    with db() as s:
        row = s.execute(select(UploadRecord, UserRecord.username).join(UserRecord, UserRecord.id == UploadRecord.user_id)
                        .where(UploadRecord.id == upload_id)).first()
    if row is None or not user.may_see(row[0].district):
        return None
    return _upload_view(*row)


def pending_uploads(db: sessionmaker, user: User) -> list[UploadView]:
    """Uploads without a package yet (being received) or refused as a whole: shown above the packages."""
    q = (select(UploadRecord, UserRecord.username).join(UserRecord, UserRecord.id == UploadRecord.user_id)
         .where(UploadRecord.package_id.is_(None)).order_by(UploadRecord.created_at.desc()).limit(50))
    if not user.all_districts:
        q = q.where(UploadRecord.district == user.district)
    with db() as s:
        return [_upload_view(*r) for r in s.execute(q).all()]


# --- progress ------------------------------------------------------------------------------------

def progress(db: sessionmaker, package: PackageView, ctx: ExtractionContext) -> dict[str, Any]:
    """What the upload page polls: state, each document's extraction, done, failed with its reason."""
    with db() as s:
        docs = s.scalars(select(DocumentRecord).where(DocumentRecord.package_id == package.id)
                         .order_by(DocumentRecord.name)).all()
        # each document's cache entry is keyed by the version and settings of the extractor that reads it
        wanted = {(d.sha256, *index_key(FileType(d.file_type), ctx)) for d in docs if not d.problem_code}
        rows = s.execute(select(ExtractionRecord.sha256, ExtractionRecord.extractor_version,
                                ExtractionRecord.settings_hash).where(
            ExtractionRecord.sha256.in_({w[0] for w in wanted}))).all() if wanted else []
        extracted = {sha for sha, version, shash in rows if (sha, version, shash) in wanted}
    documents = []
    for d in docs:
        status = "unreadable" if d.problem_code else ("extracted" if d.sha256 in extracted else "pending")
        documents.append({"name": d.name, "status": status, "problem": d.problem_zh})
    readable = [d for d in documents if d["status"] != "unreadable"]
    return {"package_id": package.id, "state": package.state, "state_text": STATE_ZH.get(package.state, package.state),
            "done": package.state == PackageState.DONE.value, "failed": package.state == PackageState.FAILED.value,
            "error": package.error, "verdict": package.verdict, "documents": documents,
            "extracted": sum(d["status"] == "extracted" for d in readable), "total": len(readable)}
