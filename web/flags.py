"""Flags: the fail and review findings of each package's latest report, indexed for the discrepancy queue.

The index follows the reports lazily: before the queue is read, packages whose latest report version is newer
than the one indexed are indexed again (a worker that saves a report needs to know nothing of the workbench).
A finding keeps its first_seen_at across versions while its fingerprint (rule + observed value + evidence
quotes) stays the same, so reprocessing does not make an old discrepancy look new.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from storage.db import PackageRecord, ReportRecord
from web.accounts import User
from web.models import DecisionRecord, FlagIndexRecord, FlagRecord, UploadRecord
from web.packages import DISTRICT, scoped

log = logging.getLogger(__name__)
FLAGGED = ("fail", "review")
STATUS_ZH = {"open": "待处理", "confirm": "已确认（需申请人说明）", "dismiss": "已排除", "correct": "已更正识别值"}


def fingerprint(finding: dict[str, Any]) -> str:
    """What makes two findings of two report versions the same discrepancy."""
    quotes = [e.get("text") or "" for e in finding.get("evidence") or []]
    payload = json.dumps([finding["rule"], finding.get("observed"), quotes], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def flagged(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report.get("findings", []) if f.get("outcome") in FLAGGED]


# --- the index ---------------------------------------------------------------------------------

def sync(db: sessionmaker) -> int:
    """Index every package whose latest report is not indexed yet; how many were indexed."""
    latest = (select(ReportRecord.package_id, func.max(ReportRecord.version).label("version"))
              .group_by(ReportRecord.package_id).subquery())
    with db() as s:
        stale = s.execute(select(latest.c.package_id, latest.c.version)
                          .outerjoin(FlagIndexRecord, FlagIndexRecord.package_id == latest.c.package_id)
                          .where((FlagIndexRecord.report_version.is_(None))
                                 | (FlagIndexRecord.report_version < latest.c.version))).all()
    done = 0
    for package_id, version in stale:
        try:
            done += _index(db, package_id, version)
        except IntegrityError:  # another request indexed it at the same moment
            log.debug("flags of %s indexed concurrently", package_id)
    return done


def _index(db: sessionmaker, package_id: str, version: int) -> int:
    with db.begin() as s:
        report_row = s.execute(select(ReportRecord.json_text, ReportRecord.created_at).where(
            ReportRecord.package_id == package_id, ReportRecord.version == version)).one()
        seen = {r.fingerprint: r.first_seen_at for r in s.scalars(
            select(FlagRecord).where(FlagRecord.package_id == package_id))}
        state = s.get(FlagIndexRecord, package_id)
        if state is not None and state.report_version >= version:
            return 0
        s.execute(delete(FlagRecord).where(FlagRecord.package_id == package_id))
        for f in flagged(json.loads(report_row.json_text)):
            fp = fingerprint(f)
            s.add(FlagRecord(package_id=package_id, report_version=version, rule=f["rule"], outcome=f["outcome"],
                             fingerprint=fp, message=f.get("message") or "",
                             first_seen_at=seen.get(fp, report_row.created_at)))
        if state is None:
            s.add(FlagIndexRecord(package_id=package_id, report_version=version))
        else:
            state.report_version = version
    return 1


# --- the queue ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueFilter:
    district: str | None = None
    rule: str | None = None
    status: str | None = "open"  # open, confirm, dismiss, correct; None or "" for all
    outcome: str | None = None  # fail or review
    min_age_days: int | None = None
    max_age_days: int | None = None
    limit: int = 200
    offset: int = 0

    def query_string(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items()
                if v is not None and k not in ("limit", "offset") and (v != "" or k == "status")}


@dataclass(frozen=True)
class QueueItem:
    package_id: str
    report_version: int
    rule: str
    outcome: str
    message: str
    first_seen_at: datetime
    status: str
    applicant_name: str | None
    district: str | None

    def age_days(self, now: datetime | None = None) -> int:
        return ((now or datetime.now(UTC)) - self.first_seen_at).days

    def to_json(self) -> dict[str, Any]:
        return {"package_id": self.package_id, "report_version": self.report_version, "rule": self.rule,
                "outcome": self.outcome, "message": self.message, "first_seen_at": self.first_seen_at.isoformat(),
                "age_days": self.age_days(), "status": self.status, "applicant_name": self.applicant_name,
                "district": self.district}


def _latest_action():
    """The action of the newest decision on the flag's very finding (same fingerprint), as a column."""
    return (select(DecisionRecord.action).where(DecisionRecord.package_id == FlagRecord.package_id,
                                                DecisionRecord.rule == FlagRecord.rule,
                                                DecisionRecord.fingerprint == FlagRecord.fingerprint)
            .order_by(DecisionRecord.id.desc()).limit(1).scalar_subquery())


def queue(db: sessionmaker, user: User, f: QueueFilter = QueueFilter()) -> list[QueueItem]:
    """The user's flags, oldest first."""
    sync(db)
    status = func.coalesce(_latest_action(), "open")
    q = (select(FlagRecord, status.label("status"), PackageRecord.applicant_name, DISTRICT.label("district"))
         .join(PackageRecord, PackageRecord.id == FlagRecord.package_id)
         .outerjoin(UploadRecord, UploadRecord.package_id == PackageRecord.id))
    q = scoped(q, user)
    now = datetime.now(UTC)
    if f.district:
        q = q.where(DISTRICT == f.district)
    if f.rule:
        q = q.where(FlagRecord.rule == f.rule)
    if f.outcome:
        q = q.where(FlagRecord.outcome == f.outcome)
    if f.status:
        q = q.where(status == f.status)
    if f.min_age_days is not None:
        q = q.where(FlagRecord.first_seen_at <= now - timedelta(days=f.min_age_days))
    if f.max_age_days is not None:
        q = q.where(FlagRecord.first_seen_at > now - timedelta(days=f.max_age_days + 1))
    q = q.order_by(FlagRecord.first_seen_at, FlagRecord.package_id, FlagRecord.rule)
    with db() as s:
        rows = s.execute(q.limit(min(f.limit, 1000)).offset(f.offset)).all()
    return [QueueItem(r.FlagRecord.package_id, r.FlagRecord.report_version, r.FlagRecord.rule, r.FlagRecord.outcome,
                      r.FlagRecord.message, r.FlagRecord.first_seen_at, r.status, r.applicant_name, r.district)
            for r in rows]
