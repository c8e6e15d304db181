"""Who is asking: a Bearer token (REST API) or a session cookie (the pages, and their scripts), and the CSRF
check for anything a cookie-authenticated request changes. FastAPI dependencies."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from web.accounts import User, user_for_api_token, user_for_session
from web.security import csrf_token, same
from web.state import Workbench, workbench

SESSION_COOKIE = "prescreen_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
bearer = HTTPBearer(auto_error=False, description="个人API令牌 / a personal API token (psk_…), issued on /tokens")


class LoginRequired(Exception):
    """A page asked for without a session: answered with a redirect to the login page."""


@dataclass(frozen=True)
class Principal:
    user: User
    session_token: str | None  # set when authenticated by cookie: CSRF applies

    def csrf(self, secret: str) -> str | None:
        return csrf_token(secret, self.session_token) if self.session_token else None


async def principal(request: Request, wb: Annotated[Workbench, Depends(workbench)],
                    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal | None:
    if hasattr(request.state, "principal"):  # resolved once per request, however many dependencies ask
        return request.state.principal
    secret = wb.web.secret_key.get_secret_value()
    found = None
    if creds is not None:
        user = user_for_api_token(wb.db, creds.credentials, secret)
        found = Principal(user, None) if user else None
    elif (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
        user = user_for_session(wb.db, cookie, secret)
        found = Principal(user, cookie) if user else None
    if found is not None and found.session_token and request.method not in _SAFE:
        await _check_csrf(request, found.csrf(secret))
    request.state.principal = found
    return found


async def _check_csrf(request: Request, expected: str | None) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get(CSRF_FIELD)
    if not same(str(sent) if sent is not None else None, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF 校验失败，请刷新页面后重试 / CSRF check failed")


def api_user(p: Annotated[Principal | None, Depends(principal)]) -> User:
    if p is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "未登录或令牌无效 / not authenticated",
                            headers={"WWW-Authenticate": "Bearer"})
    return p.user


def api_admin(user: Annotated[User, Depends(api_user)]) -> User:
    if not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "需要管理员权限 / administrators only")
    return user


def page_user(p: Annotated[Principal | None, Depends(principal)]) -> User:
    if p is None:
        raise LoginRequired()
    return p.user


def page_admin(user: Annotated[User, Depends(page_user)]) -> User:
    if not user.is_admin:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "需要管理员权限")
    return user


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
