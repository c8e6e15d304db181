"""Signing in: argon2 passwords, session cookies (HttpOnly, SameSite=Lax), CSRF on forms, throttled failures,
no open redirect, logins in the audit log; production refuses default secrets; `prescreen create-admin`."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, SECRET, login
from web import audit
from web.accounts import Role, create_user
from web.models import UserRecord
from web.settings import DEFAULT_SECRET, Env, InsecureSettings, WebSettings


def login_form(client) -> str:
    return re.search(r'name="login_csrf" value="([^"]+)"', client.get("/login").text).group(1)


def test_pages_need_a_login_and_come_back_after_it(client, people):
    r = client.get("/queue?status=open", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/queue%3Fstatus%3Dopen"
    token = login_form(client)
    r = client.post("/login", data={"username": "reviewer", "password": PASSWORD, "login_csrf": token,
                                    "next": "/queue?status=open"}, follow_redirects=False)
    try:
        assert r.status_code == 303 and r.headers["location"] == "/queue?status=open"
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("prescreen_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # development over plain http; production sets it (below)
        assert client.get("/queue").status_code == 200
    finally:
        client.cookies.clear()


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_no_open_redirect_after_login(client, people, target):
    token = login_form(client)
    r = client.post("/login", data={"username": "reviewer", "password": PASSWORD, "login_csrf": token,
                                    "next": target}, follow_redirects=False)
    client.cookies.clear()
    assert r.headers["location"] == "/packages"


def test_passwords_are_argon2_hashes(app, people):
    with app.state.workbench.db() as s:
        hashes = s.scalars(select(UserRecord.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_wrong_passwords_are_logged_and_throttled(app, client, people):
    create_user(app.state.workbench.db, "target", PASSWORD, Role.REVIEWER, actor="test")
    for _ in range(5):
        token = login_form(client)
        r = client.post("/login", data={"username": "target", "password": "wrong", "login_csrf": token})
        assert r.status_code == 401 and "用户名或密码错误" in r.text
    token = login_form(client)  # the right password now: refused all the same until the window passes
    r = client.post("/login", data={"username": "target", "password": PASSWORD, "login_csrf": token},
                    follow_redirects=False)
    assert r.status_code == 429 and "过多" in r.text and "prescreen_session" not in r.headers.get("set-cookie", "")
    actions = [e.action for e in audit.entries(app.state.workbench.db, actor="target")]
    assert actions.count("login_failed") == 5 and "login_throttled" in actions and "login" not in actions
    # Unknown users fail the same way (and take as long: a dummy hash is verified).
    token = login_form(client)
    assert client.post("/login", data={"username": "nobody", "password": "x", "login_csrf": token}).status_code == 401


def test_login_form_needs_its_csrf_token(client, people):
    client.get("/login")
    r = client.post("/login", data={"username": "reviewer", "password": PASSWORD, "login_csrf": "forged"})
    assert r.status_code == 403 and "prescreen_session" not in r.headers.get("set-cookie", "")


def test_forms_and_cookie_api_calls_need_the_csrf_token(client, people):
    csrf = login(client, "admin")
    try:
        r = client.post("/tokens", data={"name": "x"})  # a cross-site form would look like this
        assert r.status_code == 403
        r = client.post("/api/tokens", json={"name": "x"})
        assert r.status_code == 403
        r = client.post("/tokens", data={"name": "页面签发", "csrf_token": csrf})
        assert r.status_code == 200 and re.search(r'id="new-token">psk_', r.text)
        r = client.post("/api/tokens", json={"name": "脚本签发"}, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 201
    finally:
        client.cookies.clear()


def test_logout_ends_the_session(app, client, people):
    csrf = login(client, "reviewer")
    cookie = client.cookies.get("prescreen_session")
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.clear()
    client.cookies.set("prescreen_session", cookie)  # replaying the old cookie
    try:
        assert client.get("/packages", follow_redirects=False).status_code == 303
        assert client.get("/api/me").status_code == 401
    finally:
        client.cookies.clear()
    actions = [e.action for e in audit.entries(app.state.workbench.db, actor="reviewer")]
    assert "login" in actions and "logout" in actions


def test_production_refuses_default_or_weak_secrets(monkeypatch):
    monkeypatch.delenv("PRESCREEN_SECRET_KEY", raising=False)
    with pytest.raises(InsecureSettings):
        WebSettings(env=Env.PRODUCTION).checked()
    with pytest.raises(InsecureSettings):
        WebSettings(env=Env.PRODUCTION, secret_key=DEFAULT_SECRET).checked()
    with pytest.raises(InsecureSettings):
        WebSettings(env=Env.PRODUCTION, secret_key="short").checked()
    ok = WebSettings(env=Env.PRODUCTION, secret_key=SECRET).checked()
    assert ok.secure_cookies  # and cookies are Secure behind TLS
    assert WebSettings().checked().secret_key.get_secret_value() == DEFAULT_SECRET  # development starts


def test_serve_refuses_to_start_in_production_with_default_secrets(wb_home, monkeypatch):
    monkeypatch.setenv("PRESCREEN_ENV", "production")
    monkeypatch.delenv("PRESCREEN_SECRET_KEY")
    r = subprocess.run([sys.executable, "-m", "prescreen.cli", "serve", "--port", "1"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "PRESCREEN_SECRET_KEY" in r.stderr


def test_create_admin_from_the_command_line(app, wb_home, monkeypatch):
    monkeypatch.setenv("PRESCREEN_ADMIN_PASSWORD", "first-admin-password")
    cmd = [sys.executable, "-m", "prescreen.cli", "create-admin", "chief", "--display-name", "张主任"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    with app.state.workbench.db() as s:
        row = s.scalar(select(UserRecord).where(UserRecord.username == "chief"))
    assert row.role == "admin" and row.display_name == "张主任" and row.password_hash.startswith("$argon2id$")
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert again.returncode == 2 and "已存在" in again.stderr
    monkeypatch.delenv("PRESCREEN_ADMIN_PASSWORD")
    no_password = subprocess.run(cmd[:-3] + ["second"], capture_output=True, text=True, timeout=120,
                                 stdin=subprocess.DEVNULL)
    assert no_password.returncode == 2 and "PRESCREEN_ADMIN_PASSWORD" in no_password.stderr
    monkeypatch.setenv("PRESCREEN_ADMIN_PASSWORD", "short")
    weak = subprocess.run(cmd[:-3] + ["second"], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert weak.returncode == 2 and "至少" in weak.stderr


def test_pages_are_not_framed_and_errors_are_in_chinese(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "未找到" in r.text
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/api/no-such-thing").json() == {"detail": "Not Found"}
