"""Every user changes their own password: the current one is required, the new one stored as an argon2id hash,
the change (and each wrong current password) in the audit log, the user's other sessions ended while the one
making the change stays; API tokens stay. Expired session rows are deleted at login and at start-up."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import PASSWORD, SECRET, login
from web import audit
from web.accounts import authenticate, create_user, issue_token
from web.models import Role, SessionRecord, UserRecord
from web.security import new_session_token, token_hash, verify_password

NEW = "a-brand-new-password"


@pytest.fixture
def person(app):
    """A fresh officer with an API token."""
    user = create_user(app.state.workbench.db, f"pw-{uuid.uuid4().hex[:10]}", PASSWORD, Role.OFFICER, "鄞州区",
                       actor="test")
    token, _ = issue_token(app.state.workbench.db, user, "tests", SECRET)
    return user, {"Authorization": f"Bearer {token}"}


def browser(app) -> TestClient:
    return TestClient(app)


def live_sessions(app, user_id: int) -> int:
    with app.state.workbench.db() as s:
        return s.scalar(select(func.count()).select_from(SessionRecord).where(
            SessionRecord.user_id == user_id, SessionRecord.revoked_at.is_(None),
            SessionRecord.expires_at > datetime.now(UTC)))


def stored_hash(app, user_id: int) -> str:
    with app.state.workbench.db() as s:
        return s.get(UserRecord, user_id).password_hash


def actions(app, username: str) -> list[audit.AuditEntry]:
    return audit.entries(app.state.workbench.db, actor=username)


def test_changing_ones_password_on_the_page_ends_the_other_sessions(app, person):
    user, token = person
    here, elsewhere, third = browser(app), browser(app), browser(app)
    csrf = login(here, user.username)
    login(elsewhere, user.username)
    login(third, user.username)
    assert live_sessions(app, user.id) == 3
    page = here.get("/account")
    assert page.status_code == 200 and "修改密码" in page.text and 'name="current_password"' in page.text

    r = here.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW,
                                              "confirm_password": NEW, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account?ended=2"
    assert "已结束您在其他地方的 2 个登录会话" in here.get(r.headers["location"]).text
    # This browser stays signed in; the others are out, cookie or API call alike.
    assert here.get("/api/me").status_code == 200 and live_sessions(app, user.id) == 1
    for other in (elsewhere, third):
        assert other.get("/packages", follow_redirects=False).status_code == 303
        assert other.get("/api/me").status_code == 401
    assert TestClient(app).get("/api/me", headers=token).json()["username"] == user.username  # tokens stay

    # argon2id, the new password only.
    h = stored_hash(app, user.id)
    assert h.startswith("$argon2id$") and verify_password(h, NEW) and not verify_password(h, PASSWORD)
    assert authenticate(app.state.workbench.db, user.username, PASSWORD) is None
    with pytest.raises(AssertionError):
        login(browser(app), user.username)  # the old password no longer signs in
    login(browser(app), user.username, NEW)

    (entry,) = [e for e in actions(app, user.username) if e.action == "password_changed"]
    assert entry.detail == {"sessions_ended": 2} and entry.ip == "testclient"


@pytest.mark.parametrize(("current", "new", "confirm", "message"), [
    ("wrong-password-x", NEW, NEW, "当前密码错误"),
    (PASSWORD, "short", "short", "至少需要10个字符"),
    (PASSWORD, NEW, NEW + "x", "两次输入的新密码不一致"),
    (PASSWORD, PASSWORD, PASSWORD, "不能与当前密码相同"),
], ids=["wrong-current", "too-short", "not-confirmed", "unchanged"])
def test_a_refused_change_changes_nothing(app, person, current, new, confirm, message):
    user, _ = person
    here, elsewhere = browser(app), browser(app)
    csrf = login(here, user.username)
    login(elsewhere, user.username)
    before = stored_hash(app, user.id)
    r = here.post("/account/password", data={"current_password": current, "new_password": new,
                                              "confirm_password": confirm, "csrf_token": csrf})
    assert r.status_code == 200 and message in r.text  # back on the form, with the reason
    assert stored_hash(app, user.id) == before and live_sessions(app, user.id) == 2
    logged = [e.action for e in actions(app, user.username)]
    assert "password_changed" not in logged
    assert logged.count("password_change_failed") == (1 if message == "当前密码错误" else 0)


def test_the_page_form_needs_its_csrf_token(app, person):
    user, _ = person
    here = browser(app)
    login(here, user.username)
    r = here.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW,
                                              "confirm_password": NEW})
    assert r.status_code == 403 and verify_password(stored_hash(app, user.id), PASSWORD)


def test_the_api_with_a_token_ends_every_session(app, person):
    user, token = person
    api = TestClient(app)
    login(browser(app), user.username)
    assert api.post("/api/me/password", json={"current_password": "nope-nope-nope", "new_password": NEW},
                    headers=token).json() == {"detail": "当前密码错误"}
    assert api.post("/api/me/password", json={"current_password": PASSWORD, "new_password": "short"},
                    headers=token).status_code == 422
    assert api.post("/api/me/password", json={"new_password": NEW}, headers=token).status_code == 422
    r = api.post("/api/me/password", json={"current_password": PASSWORD, "new_password": NEW}, headers=token)
    assert r.status_code == 200 and r.json() == {"changed": True, "sessions_ended": 1}
    assert live_sessions(app, user.id) == 0 and verify_password(stored_hash(app, user.id), NEW)
    assert api.get("/api/me", headers=token).status_code == 200
    assert api.post("/api/me/password", json={"current_password": PASSWORD, "new_password": NEW},
                    headers={"Authorization": "Bearer psk_nope"}).status_code == 401


def test_the_api_with_a_session_keeps_it_and_needs_the_csrf_header(app, person):
    user, _ = person
    here, elsewhere = browser(app), browser(app)
    csrf = login(here, user.username)
    login(elsewhere, user.username)
    body = {"current_password": PASSWORD, "new_password": NEW}
    assert here.post("/api/me/password", json=body).status_code == 403
    r = here.post("/api/me/password", json=body, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["sessions_ended"] == 1
    assert here.get("/api/me").status_code == 200 and elsewhere.get("/api/me").status_code == 401


def test_wrong_current_passwords_are_throttled(app, person):
    user, token = person
    api = TestClient(app)
    for _ in range(5):  # PRESCREEN_LOGIN_MAX_FAILURES
        assert api.post("/api/me/password", json={"current_password": "guess-guess-guess", "new_password": NEW},
                        headers=token).status_code == 403
    r = api.post("/api/me/password", json={"current_password": PASSWORD, "new_password": NEW}, headers=token)
    assert r.status_code == 429 and "过多" in r.json()["detail"]
    assert verify_password(stored_hash(app, user.id), PASSWORD)
    assert [e.action for e in actions(app, user.username)].count("password_change_failed") == 5


def test_every_role_may_change_its_password_and_the_audit_page_names_it(app, people):
    reviewer = create_user(app.state.workbench.db, "pw-reviewer", PASSWORD, Role.REVIEWER, actor="test")
    here = browser(app)
    csrf = login(here, reviewer.username)
    assert here.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW,
                                                 "confirm_password": NEW, "csrf_token": csrf}).status_code == 200
    assert '<a href="/account"' in here.get("/packages").text  # reachable from every page's header
    log = TestClient(app)
    login(log, "admin")
    text = log.get("/admin/audit").text
    assert "修改密码" in text and "pw-reviewer" in text


def _session_row(user_id: int, expires: datetime, revoked: datetime | None = None) -> SessionRecord:
    return SessionRecord(user_id=user_id, token_hash=token_hash(SECRET, new_session_token()),
                         created_at=expires - timedelta(hours=8), expires_at=expires, revoked_at=revoked)


def test_expired_session_rows_are_purged_at_login_and_at_start_up(app, person, wb_home):
    user, _ = person
    db, now = app.state.workbench.db, datetime.now(UTC)
    with db.begin() as s:
        s.add_all([_session_row(user.id, now - timedelta(days=3)),
                   _session_row(user.id, now - timedelta(minutes=1), revoked=now - timedelta(hours=2)),
                   _session_row(user.id, now + timedelta(hours=1), revoked=now)])  # revoked, not yet expired: kept

    def rows() -> list[tuple[bool, bool]]:
        with db() as s:
            return sorted((r.expires_at > datetime.now(UTC), r.revoked_at is not None)
                          for r in s.scalars(select(SessionRecord).where(SessionRecord.user_id == user.id)))

    assert rows() == [(False, False), (False, True), (True, True)]
    here = browser(app)
    login(here, user.username)
    assert rows() == [(True, False), (True, True)]  # the new login and the revoked live row

    with db.begin() as s:
        s.add(_session_row(user.id, now - timedelta(seconds=1)))
    from web.app import create_app

    restarted = create_app()
    try:
        assert rows() == [(True, False), (True, True)]
    finally:
        restarted.state.workbench.processor.shutdown()
    assert here.get("/api/me").status_code == 200  # a live session survives both
