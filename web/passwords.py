"""A user changing their own password: the current one is required, the new one is hashed with argon2id, and
every other login of theirs ends (the session the change came from stays; API tokens are separate credentials and
stay too). The new hash, the revocations and the audit entry commit together. Wrong current passwords are logged
and throttled per user as failed logins are (a session left open is no way to guess the password)."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from web import audit
from web.accounts import AccountError, User
from web.audit import AuditAction
from web.models import SessionRecord, UserRecord
from web.security import hash_password, password_problem, token_hash, verify_password
from web.settings import WebSettings


class WrongPassword(AccountError):
    """The current password given was not the user's."""


class TooManyAttempts(AccountError):
    """Too many wrong current passwords within the login window."""


def change_password(db: sessionmaker, web: WebSettings, user: User, current: str, new: str,
                    session_token: str | None = None, ip: str | None = None) -> int:
    """Set `user`'s password; how many of their other sessions were ended. `session_token`: the cookie of the
    request, whose session stays (None, as for an API token: every session ends)."""
    if audit.recent_failures(db, web.login_window_s, username=user.username,
                             action=AuditAction.PASSWORD_CHANGE_FAILED) >= web.login_max_failures:
        raise TooManyAttempts(f"当前密码错误次数过多，请{max(1, web.login_window_s // 60)}分钟后再试")
    with db() as s:
        stored = s.get(UserRecord, user.id)
        stored_hash = stored.password_hash if stored is not None and stored.active else None
    if not verify_password(stored_hash, current):
        audit.log(db, user.username, AuditAction.PASSWORD_CHANGE_FAILED, ip=ip)
        raise WrongPassword("当前密码错误")
    if (problem := password_problem(new)) is not None:
        raise AccountError(problem)
    if new == current:
        raise AccountError("新密码不能与当前密码相同")
    now = datetime.now(UTC)
    with db.begin() as s:
        s.execute(update(UserRecord).where(UserRecord.id == user.id).values(password_hash=hash_password(new)))
        others = update(SessionRecord).where(SessionRecord.user_id == user.id, SessionRecord.revoked_at.is_(None),
                                             SessionRecord.expires_at > now)
        if session_token is not None:
            keep = token_hash(web.secret_key.get_secret_value(), session_token)
            others = others.where(SessionRecord.token_hash != keep)
        ended = s.execute(others.values(revoked_at=now)).rowcount or 0
        audit.record(s, user.username, AuditAction.PASSWORD_CHANGED, ip=ip, detail={"sessions_ended": ended})
    return ended
