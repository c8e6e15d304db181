"""The append-only audit log: uploads, decisions, corrections, reprocessing, logins, passwords, accounts, tokens,
exports.

Only `record` writes, and it only inserts; nothing in the workbench updates or deletes an audit row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from web.models import AuditRecord


class AuditAction(StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"
    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # by the user themself (an administrator's reset is user_updated)
    PASSWORD_CHANGE_FAILED = "password_change_failed"  # the current password was wrong
    UPLOAD = "upload"
    RECEIVED = "received"  # an upload became a package (intake done): the package's first entry
    DECISION = "decision"
    CORRECTION = "correction"
    REPROCESS = "reprocess"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    EXPORT = "export"


ACTION_ZH = {
    AuditAction.LOGIN: "登录", AuditAction.LOGIN_FAILED: "登录失败", AuditAction.LOGIN_THROTTLED: "登录受限",
    AuditAction.LOGOUT: "退出", AuditAction.PASSWORD_CHANGED: "修改密码",
    AuditAction.PASSWORD_CHANGE_FAILED: "修改密码失败（当前密码错误）", AuditAction.UPLOAD: "上传申报包",
    AuditAction.RECEIVED: "接收申报包", AuditAction.DECISION: "处理标记",
    AuditAction.CORRECTION: "更正识别值", AuditAction.REPROCESS: "重新处理", AuditAction.USER_CREATED: "创建用户",
    AuditAction.USER_UPDATED: "修改用户", AuditAction.TOKEN_ISSUED: "签发API令牌", AuditAction.TOKEN_REVOKED: "吊销API令牌",
    AuditAction.EXPORT: "导出",
}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str | None
    action: str
    package_id: str | None
    ip: str | None
    detail: Any

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "package_id": self.package_id, "ip": self.ip, "detail": self.detail}


def record(s: Session, actor: str | None, action: AuditAction, package_id: str | None = None,
           ip: str | None = None, detail: Any = None) -> None:
    """Add an entry to the caller's transaction: the audit row commits with the change it describes, or neither."""
    s.add(AuditRecord(at=datetime.now(UTC), actor=actor, action=action.value, package_id=package_id, ip=ip,
                      detail=detail))


def log(db: sessionmaker, actor: str | None, action: AuditAction, package_id: str | None = None,
        ip: str | None = None, detail: Any = None) -> None:
    """An entry in a transaction of its own (logins, exports: nothing else is written)."""
    with db.begin() as s:
        record(s, actor, action, package_id, ip, detail)


def entries(db: sessionmaker, package_id: str | None = None, actor: str | None = None,
            limit: int = 500) -> list[AuditEntry]:
    """Newest first; one package's, one actor's, or all."""
    q = select(AuditRecord).order_by(AuditRecord.at.desc(), AuditRecord.id.desc()).limit(limit)
    if package_id is not None:
        q = q.where(AuditRecord.package_id == package_id)
    if actor is not None:
        q = q.where(AuditRecord.actor == actor)
    with db() as s:
        return [AuditEntry(r.id, r.at, r.actor, r.action, r.package_id, r.ip, r.detail) for r in s.scalars(q)]


def recent_failures(db: sessionmaker, window_s: int, username: str | None = None, ip: str | None = None,
                    action: AuditAction = AuditAction.LOGIN_FAILED) -> int:
    """Failures (logins by default) in the last `window_s` seconds for a username or from an address (throttling)."""
    since = datetime.now(UTC) - timedelta(seconds=window_s)
    q = select(func.count()).select_from(AuditRecord).where(AuditRecord.action == action.value, AuditRecord.at >= since)
    if username is not None:
        q = q.where(AuditRecord.actor == username)
    if ip is not None:
        q = q.where(AuditRecord.ip == ip)
    with db() as s:
        return int(s.scalar(q) or 0)
