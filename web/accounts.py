"""Users, browser sessions and API tokens as rows; who may see which district."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from extractors.normalize.districts import NINGBO_DISTRICTS
from web import audit
from web.audit import AuditAction
from web.models import ApiTokenRecord, Role, SessionRecord, UserRecord
from web.security import hash_password, new_api_token, new_session_token, password_problem, token_hash, verify_password

# Today's districts, counties and county-level cities (historical codes such as 江东区 are not offices).
DISTRICTS: tuple[str, ...] = tuple(d for d in NINGBO_DISTRICTS if d not in ("江东区", "奉化市"))
ROLE_ZH = {Role.OFFICER: "区县经信部门", Role.REVIEWER: "复核员", Role.ADMIN: "管理员"}
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class AccountError(ValueError):
    """A user, password or token request refused; the message is Chinese, for the form or the API."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str | None
    role: Role
    district: str | None
    active: bool

    @property
    def all_districts(self) -> bool:
        return self.role in (Role.REVIEWER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def may_see(self, district: str | None) -> bool:
        return self.all_districts or (district is not None and district == self.district)

    def to_json(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role.value, "district": self.district, "active": self.active}


def _user(r: UserRecord) -> User:
    return User(r.id, r.username, r.display_name, Role(r.role), r.district, r.active)


def _validate(role: Role, district: str | None) -> None:
    if role is Role.OFFICER and district not in DISTRICTS:
        raise AccountError(f"区县经信部门用户必须指定区县（{'、'.join(DISTRICTS)}）")
    if district is not None and district not in DISTRICTS:
        raise AccountError(f"未知区县：{district}")


def create_user(db: sessionmaker, username: str, password: str, role: Role, district: str | None = None,
                display_name: str | None = None, actor: str | None = None) -> User:
    username = username.strip()
    if not _USERNAME.match(username):
        raise AccountError("用户名须为2–64个字母、数字或 _ . @ -")
    if (problem := password_problem(password)) is not None:
        raise AccountError(problem)
    district = district or None
    _validate(role, district)
    with db.begin() as s:
        if s.scalar(select(UserRecord.id).where(UserRecord.username == username)) is not None:
            raise AccountError(f"用户名已存在：{username}")
        row = UserRecord(username=username, display_name=display_name or None, password_hash=hash_password(password),
                         role=role.value, district=district, active=True, created_at=datetime.now(UTC))
        s.add(row)
        s.flush()
        audit.record(s, actor or username, AuditAction.USER_CREATED,
                     detail={"username": username, "role": role.value, "district": district})
        return _user(row)


def update_user(db: sessionmaker, user_id: int, actor: str, *, role: Role | None = None,
                district: str | None = None, active: bool | None = None, password: str | None = None) -> User:
    with db.begin() as s:
        row = s.get(UserRecord, user_id)
        if row is None:
            raise AccountError("用户不存在")
        changed: dict = {}
        new_role = role or Role(row.role)
        new_district = (district or None) if district is not None else row.district
        _validate(new_role, new_district)
        if role is not None and role.value != row.role:
            row.role = changed["role"] = role.value
        if new_district != row.district:
            row.district = changed["district"] = new_district
        if active is not None and active != row.active:
            row.active = changed["active"] = active
            if not active:  # a disabled account's sessions end now
                s.execute(update(SessionRecord).where(SessionRecord.user_id == user_id,
                                                      SessionRecord.revoked_at.is_(None))
                          .values(revoked_at=datetime.now(UTC)))
        if password:
            if (problem := password_problem(password)) is not None:
                raise AccountError(problem)
            row.password_hash = hash_password(password)
            changed["password"] = "changed"
        audit.record(s, actor, AuditAction.USER_UPDATED, detail={"username": row.username, **changed})
        return _user(row)


def list_users(db: sessionmaker) -> list[User]:
    with db() as s:
        return [_user(r) for r in s.scalars(select(UserRecord).order_by(UserRecord.username))]


def count_admins(db: sessionmaker) -> int:
    with db() as s:
        return len(s.scalars(select(UserRecord.id).where(UserRecord.role == Role.ADMIN.value)).all())


def authenticate(db: sessionmaker, username: str, password: str) -> User | None:
    with db() as s:
        row = s.scalar(select(UserRecord).where(UserRecord.username == username.strip()))
    ok = verify_password(row.password_hash if row else None, password)
    return _user(row) if ok and row is not None and row.active else None


# --- browser sessions -------------------------------------------------------------------------

def open_session(db: sessionmaker, user: User, secret: str, hours: float) -> str:
    """A new login; returns the cookie's token (only its keyed hash is stored). Expired rows go meanwhile."""
    token = new_session_token()
    now = datetime.now(UTC)
    with db.begin() as s:
        _purge(s, now)
        s.add(SessionRecord(user_id=user.id, token_hash=token_hash(secret, token), created_at=now,
                            expires_at=now + timedelta(hours=hours)))
    return token


def purge_expired_sessions(db: sessionmaker) -> int:
    """Delete the session rows past their expiry (revoked or not: either way no cookie opens them); how many."""
    with db.begin() as s:
        return _purge(s, datetime.now(UTC))


def _purge(s: Session, now: datetime) -> int:
    # Logins and logouts are in the audit log; a session row is only what lets a cookie in.
    return s.execute(delete(SessionRecord).where(SessionRecord.expires_at <= now)).rowcount or 0


def user_for_session(db: sessionmaker, token: str, secret: str) -> User | None:
    now = datetime.now(UTC)
    with db() as s:
        row = s.execute(select(UserRecord).join(SessionRecord, SessionRecord.user_id == UserRecord.id).where(
            SessionRecord.token_hash == token_hash(secret, token), SessionRecord.revoked_at.is_(None),
            SessionRecord.expires_at > now, UserRecord.active.is_(True))).scalar_one_or_none()
    return _user(row) if row else None


def close_session(db: sessionmaker, token: str, secret: str) -> None:
    with db.begin() as s:
        s.execute(update(SessionRecord).where(SessionRecord.token_hash == token_hash(secret, token))
                  .values(revoked_at=datetime.now(UTC)))


# --- API tokens -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "prefix": self.prefix, "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at and self.last_used_at.isoformat(),
                "revoked_at": self.revoked_at and self.revoked_at.isoformat()}


def _token(r: ApiTokenRecord) -> ApiToken:
    return ApiToken(r.id, r.name, r.prefix, r.created_at, r.last_used_at, r.revoked_at)


def issue_token(db: sessionmaker, user: User, name: str, secret: str) -> tuple[str, ApiToken]:
    """A new Bearer token for `user`: the plain token (shown once) and its record."""
    name = name.strip()[:128] or "API"
    plain = new_api_token()
    with db.begin() as s:
        row = ApiTokenRecord(user_id=user.id, name=name, prefix=plain[:12], token_hash=token_hash(secret, plain),
                             created_at=datetime.now(UTC))
        s.add(row)
        s.flush()
        audit.record(s, user.username, AuditAction.TOKEN_ISSUED, detail={"token_id": row.id, "name": name})
        return plain, _token(row)


def list_tokens(db: sessionmaker, user: User) -> list[ApiToken]:
    with db() as s:
        return [_token(r) for r in s.scalars(select(ApiTokenRecord).where(ApiTokenRecord.user_id == user.id)
                                             .order_by(ApiTokenRecord.id))]


def revoke_token(db: sessionmaker, user: User, token_id: int) -> bool:
    with db.begin() as s:
        row = s.get(ApiTokenRecord, token_id)
        if row is None or row.user_id != user.id or row.revoked_at is not None:
            return False
        row.revoked_at = datetime.now(UTC)
        audit.record(s, user.username, AuditAction.TOKEN_REVOKED, detail={"token_id": token_id, "name": row.name})
        return True


def user_for_api_token(db: sessionmaker, plain: str, secret: str) -> User | None:
    with db.begin() as s:
        found = s.execute(select(ApiTokenRecord, UserRecord).join(UserRecord, ApiTokenRecord.user_id == UserRecord.id)
                          .where(ApiTokenRecord.token_hash == token_hash(secret, plain),
                                 ApiTokenRecord.revoked_at.is_(None), UserRecord.active.is_(True))).first()
        if found is None:
            return None
        token, user = found
        now = datetime.now(UTC)
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):  # not a write per call
            token.last_used_at = now
        return _user(user)
