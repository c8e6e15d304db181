"""The workbench's tables: users and their credentials, uploads, officers' decisions, the flag index, the audit log.

They live on storage.db's metadata (one schema, one migration history: revision 0005 creates them), but apart
from the machine's rows: a decision or a correction never edits a report; reports never edit decisions.
Importing this module registers the tables; storage.migrate compares them with the migrated schema.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.db import Base, Json, UTCDateTime


class Role(StrEnum):
    OFFICER = "officer"  # 区县经信部门: own district only
    REVIEWER = "reviewer"  # 市中小中心 / third-party reviewer: all districts
    ADMIN = "admin"  # users, rule sets, reprocessing; all districts


class Action(StrEnum):
    """What an officer decides on a flag."""

    CONFIRM = "confirm"  # the discrepancy stands: the applicant must explain
    DISMISS = "dismiss"  # not a discrepancy (reason required)
    CORRECT = "correct"  # the machine misread a value: rules re-run with the human-supplied one


class UploadState(StrEnum):
    RECEIVING = "receiving"  # files stored, intake and queueing running in the background
    SUBMITTED = "submitted"  # intake done: the package row carries the processing state from here
    REFUSED = "refused"  # intake refused the package as a whole (not a zip, a bomb, too large, ...)
    FAILED = "failed"  # a system error before the package was queued


def _check(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN (%s)" % ", ".join(f"'{v.value}'" for v in enum), name=name)


class UserRecord(Base):
    __tablename__ = "wb_users"
    __table_args__ = (_check("role", Role, "ck_wb_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(Text)  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16))
    district: Mapped[str | None] = mapped_column(String(64))  # required for officers
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionRecord(Base):
    """A browser login. The cookie holds a random token; only its keyed hash is stored."""

    __tablename__ = "wb_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("wb_users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiTokenRecord(Base):
    """A Bearer token for the REST API, issued to one user; shown once, stored as a keyed hash."""

    __tablename__ = "wb_api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("wb_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))  # the token's first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UploadRecord(Base):
    """A package as the workbench received it: who, for which district and kind. The district here is the
    receiving office's; packages.district is what the machine read from the USCC and may differ or be empty."""

    __tablename__ = "wb_uploads"
    __table_args__ = (_check("state", UploadState, "ck_wb_uploads_state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    package_id: Mapped[str | None] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), unique=True)
    source: Mapped[str] = mapped_column(Text)  # the folder or .zip handed to intake (packages.source)
    district: Mapped[str] = mapped_column(String(64), index=True)
    application_kind: Mapped[str | None] = mapped_column(String(32))
    file_names: Mapped[list[str]] = mapped_column(Json, default=list)
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(ForeignKey("wb_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    state: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text)


class DecisionRecord(Base):
    """An officer's decision on one flagged finding of one report version. Append-only: a later decision on the
    same finding supersedes an earlier one. `fingerprint` (rule + observed value + evidence quotes) is how a
    decision is carried to a later report version whose finding did not change."""

    __tablename__ = "wb_decisions"
    __table_args__ = (_check("action", Action, "ck_wb_decisions_action"),
                      Index("ix_wb_decisions_package_rule", "package_id", "rule"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"))
    report_version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # the machine's outcome the decision was made on
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    fact: Mapped[str | None] = mapped_column(String(64))  # correct: which observed fact
    value: Mapped[Any | None] = mapped_column(Json)  # correct: the human-supplied value (report JSON form)
    result: Mapped[Any | None] = mapped_column(Json)  # correct: verdict and findings re-evaluated with it
    user_id: Mapped[int] = mapped_column(ForeignKey("wb_users.id"))
    username: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FlagRecord(Base):
    """The queue's index: one row per fail/review finding of each package's latest report version."""

    __tablename__ = "wb_flags"
    __table_args__ = (UniqueConstraint("package_id", "rule"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), index=True)
    report_version: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    fingerprint: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # kept while the finding is unchanged


class FlagIndexRecord(Base):
    """Which report version of a package wb_flags reflects (a package without flags has a row too)."""

    __tablename__ = "wb_flag_index"

    package_id: Mapped[str] = mapped_column(ForeignKey("packages.id", ondelete="CASCADE"), primary_key=True)
    report_version: Mapped[int] = mapped_column(Integer)


class AuditRecord(Base):
    """Append-only log of what people did: uploads, decisions, corrections, reprocessing, logins, accounts.
    No code path updates or deletes a row; package_id is no foreign key, so the log outlives the package."""

    __tablename__ = "wb_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str | None] = mapped_column(String(64), index=True)  # username (for a failed login: the one tried)
    action: Mapped[str] = mapped_column(String(32), index=True)
    package_id: Mapped[str | None] = mapped_column(String(32), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[Any | None] = mapped_column(Json)
