"""Signing in and out of the pages: argon2 passwords, throttled failures, HttpOnly SameSite=Lax session cookies."""
from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web import audit
from web.accounts import User, authenticate, close_session, open_session
from web.audit import AuditAction
from web.auth import SESSION_COOKIE, client_ip, page_user
from web.render import page
from web.security import same
from web.state import Workbench, workbench

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "prescreen_login_csrf"  # double-submit token: no session exists yet to bind one to
WB = Annotated[Workbench, Depends(workbench)]


def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute or scheme-relative URL (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/packages"
    return target


def _login_page(request: Request, error: str | None = None, code: int = 200, next_: str = "/packages",
                username: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", None, code, error=error, login_csrf=token, next=next_, username=username)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", path="/login",
                        secure=request.app.state.workbench.web.secure_cookies)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _login_page(request, next_=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, wb: WB, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/packages", login_csrf: Annotated[str, Form()] = "") -> Response:
    target, ip, username = _safe_next(next), client_ip(request), username.strip()[:64]
    if not same(login_csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return _login_page(request, "页面已过期，请重新登录", status.HTTP_403_FORBIDDEN, target, username)
    limits = wb.web
    if (audit.recent_failures(wb.db, limits.login_window_s, username=username) >= limits.login_max_failures
            or audit.recent_failures(wb.db, limits.login_window_s, ip=ip) >= limits.login_max_failures_per_ip):
        audit.log(wb.db, username, AuditAction.LOGIN_THROTTLED, ip=ip)
        minutes = max(1, limits.login_window_s // 60)
        return _login_page(request, f"登录失败次数过多，请{minutes}分钟后再试", status.HTTP_429_TOO_MANY_REQUESTS, target,
                           username)
    user = authenticate(wb.db, username, password)
    if user is None:
        audit.log(wb.db, username, AuditAction.LOGIN_FAILED, ip=ip)
        return _login_page(request, "用户名或密码错误", status.HTTP_401_UNAUTHORIZED, target, username)
    token = open_session(wb.db, user, limits.secret_key.get_secret_value(), limits.session_hours)
    audit.log(wb.db, user.username, AuditAction.LOGIN, ip=ip)
    response = RedirectResponse(target, status.HTTP_303_SEE_OTHER)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(limits.session_hours * 3600), httponly=True,
                        samesite="lax", secure=limits.secure_cookies, path="/")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, wb: WB, user: Annotated[User, Depends(page_user)]) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        close_session(wb.db, cookie, wb.web.secret_key.get_secret_value())
    audit.log(wb.db, user.username, AuditAction.LOGOUT, ip=client_ip(request))
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
