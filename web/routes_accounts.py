"""The REST API of accounts: who am I, my password, my API tokens, users (administrators), rule sets."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from validators.ruleset import RULESET_DIR, load_ruleset
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
from web.auth import Principal, api_admin, api_user, client_ip, principal
from web.models import Role
from web.passwords import TooManyAttempts, WrongPassword, change_password
from web.state import Workbench, workbench

router = APIRouter(prefix="/api", tags=["accounts"])
WB = Annotated[Workbench, Depends(workbench)]
U = Annotated[User, Depends(api_user)]
Admin = Annotated[User, Depends(api_admin)]


@router.get("/me", summary="当前用户")
def me(user: U) -> dict:
    return user.to_json()


class PasswordIn(BaseModel):
    current_password: str = Field(..., max_length=1024)
    new_password: str = Field(..., max_length=1024, description="至少10个字符，不同于当前密码")


@router.post("/me/password", summary="修改自己的密码（需当前密码；结束本人的其他登录会话）")
def my_password(request: Request, wb: WB, user: U, p: Annotated[Principal | None, Depends(principal)],
                body: PasswordIn) -> dict:
    """Sessions other than the calling one end (with a Bearer token: all of them); API tokens stay valid."""
    try:
        ended = change_password(wb.db, wb.web, user, body.current_password, body.new_password,
                                p.session_token if p else None, client_ip(request))
    except TooManyAttempts as e:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(e)) from e
    except WrongPassword as e:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(e)) from e
    except AccountError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from e
    return {"changed": True, "sessions_ended": ended}


class TokenIn(BaseModel):
    name: str = Field("API", max_length=128)


@router.get("/tokens", summary="我的API令牌")
def tokens(wb: WB, user: U) -> list[dict]:
    return [t.to_json() for t in list_tokens(wb.db, user)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="签发API令牌（明文只返回这一次）")
def new_token(wb: WB, user: U, body: TokenIn) -> dict:
    plain, token = issue_token(wb.db, user, body.name, wb.web.secret_key.get_secret_value())
    return {**token.to_json(), "token": plain}


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT, summary="吊销API令牌")
def delete_token(wb: WB, user: U, token_id: int) -> None:
    if not revoke_token(wb.db, user, token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "令牌不存在 / token not found")


class UserIn(BaseModel):
    username: str
    password: str = Field(..., min_length=1)
    role: Role
    district: str | None = None
    display_name: str | None = None


class UserPatch(BaseModel):
    role: Role | None = None
    district: str | None = None
    active: bool | None = None
    password: str | None = None


@router.get("/users", summary="用户列表（管理员）")
def users(wb: WB, admin: Admin) -> list[dict]:
    return [u.to_json() for u in list_users(wb.db)]


@router.post("/users", status_code=status.HTTP_201_CREATED, summary="创建用户（管理员）")
def add_user(wb: WB, admin: Admin, body: UserIn) -> dict:
    try:
        return create_user(wb.db, body.username, body.password, body.role, body.district, body.display_name,
                           actor=admin.username).to_json()
    except AccountError as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from e


@router.patch("/users/{user_id}", summary="修改用户：角色、区县、停用、重设密码（管理员）")
def change_user(wb: WB, admin: Admin, user_id: int, body: UserPatch) -> dict:
    if user_id == admin.id and (body.active is False or (body.role and body.role is not Role.ADMIN)):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "不能停用自己或取消自己的管理员权限")
    try:
        return update_user(wb.db, user_id, admin.username, role=body.role, district=body.district,
                           active=body.active, password=body.password).to_json()
    except AccountError as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND if "不存在" in str(e) else 422, str(e)) from e


@router.get("/rulesets", summary="规则集")
def rulesets(user: U) -> list[dict]:
    out = []
    for path in sorted(RULESET_DIR.glob("*.toml")):
        rs = load_ruleset(path.stem)
        out.append({"id": rs.id, "title": rs.title, "effective_from": rs.effective_from.isoformat(),
                    "effective_to": rs.effective_to and rs.effective_to.isoformat(), "thresholds": rs.thresholds,
                    "materials": {k: list(v) for k, v in rs.materials.items()}, "articles": rs.articles})
    return out
