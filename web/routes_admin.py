"""Pages for accounts and administration: my password, users, my API tokens, rule sets, reprocessing, the whole
audit log."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from validators.ruleset import RULESET_DIR, load_ruleset
from web import audit
from web.accounts import (
    AccountError,
    User,
    create_user,
    issue_token,
    list_tokens,
    list_users,
    revoke_token,
    update_user,
)
from web.auth import SESSION_COOKIE, client_ip, page_admin, page_user
from web.models import Role
from web.passwords import change_password
from web.render import page
from web.routes_api import visible
from web.state import Workbench, workbench

router = APIRouter(include_in_schema=False)
WB = Annotated[Workbench, Depends(workbench)]
PU = Annotated[User, Depends(page_user)]
PA = Annotated[User, Depends(page_admin)]


def _back(path: str, error: str | None = None) -> Response:
    return RedirectResponse(f"{path}?error={quote(error)}" if error else path, status.HTTP_303_SEE_OTHER)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, wb: WB, admin: PA, error: str | None = None):
    return page(request, "users.html", admin, users=list_users(wb.db), error=error)


@router.post("/admin/users")
def users_create(wb: WB, admin: PA, username: Annotated[str, Form()], password: Annotated[str, Form()],
                 role: Annotated[Role, Form()], district: Annotated[str, Form()] = "",
                 display_name: Annotated[str, Form()] = "") -> Response:
    try:
        create_user(wb.db, username, password, role, district or None, display_name or None, actor=admin.username)
    except AccountError as e:
        return _back("/admin/users", str(e))
    return _back("/admin/users")


@router.post("/admin/users/{user_id}")
def users_update(wb: WB, admin: PA, user_id: int, active: Annotated[str, Form()] = "",
                 password: Annotated[str, Form()] = "") -> Response:
    if user_id == admin.id and active == "0":
        return _back("/admin/users", "不能停用自己")
    try:
        update_user(wb.db, user_id, admin.username, active={"1": True, "0": False}.get(active),
                    password=password or None)
    except AccountError as e:
        return _back("/admin/users", str(e))
    return _back("/admin/users")


@router.get("/admin/rulesets", response_class=HTMLResponse)
def rulesets_page(request: Request, admin: PA):
    sets = [load_ruleset(p.stem) for p in sorted(RULESET_DIR.glob("*.toml"))]
    return page(request, "rulesets.html", admin, rulesets=sets)


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_all(request: Request, wb: WB, admin: PA):
    return page(request, "audit.html", admin, p=None, entries=audit.entries(wb.db, limit=1000))


@router.post("/packages/{package_id}/reprocess")
def reprocess(request: Request, wb: WB, admin: PA, package_id: str) -> Response:
    visible(wb, admin, package_id)
    if wb.processor.reprocess(admin, package_id, client_ip(request)) is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "申报包仍在处理中")
    return _back(f"/packages/{package_id}")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: PU, error: str | None = None, ended: int | None = None):
    return page(request, "account.html", user, error=error, ended=ended)


@router.post("/account/password")
def account_password(request: Request, wb: WB, user: PU, current_password: Annotated[str, Form()] = "",
                     new_password: Annotated[str, Form()] = "",
                     confirm_password: Annotated[str, Form()] = "") -> Response:
    if new_password != confirm_password:
        return _back("/account", "两次输入的新密码不一致")
    try:
        ended = change_password(wb.db, wb.web, user, current_password, new_password,
                                request.cookies.get(SESSION_COOKIE), client_ip(request))
    except AccountError as e:
        return _back("/account", str(e))
    return RedirectResponse(f"/account?ended={ended}", status.HTTP_303_SEE_OTHER)


@router.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, wb: WB, user: PU):
    return page(request, "tokens.html", user, tokens=list_tokens(wb.db, user), new_token=None)


@router.post("/tokens", response_class=HTMLResponse)
def tokens_issue(request: Request, wb: WB, user: PU, name: Annotated[str, Form()] = "API"):
    plain, _ = issue_token(wb.db, user, name, wb.web.secret_key.get_secret_value())
    return page(request, "tokens.html", user, tokens=list_tokens(wb.db, user), new_token=plain)


@router.post("/tokens/{token_id}/revoke")
def tokens_revoke(wb: WB, user: PU, token_id: int) -> Response:
    revoke_token(wb.db, user, token_id)
    return _back("/tokens")
