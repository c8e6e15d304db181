"""Rendering the pages: the template environment and what every page gets (user, CSRF token, labels)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web.accounts import DISTRICTS, ROLE_ZH, User
from web.audit import ACTION_ZH
from web.decisions import ACTION_ZH as DECISION_ZH
from web.flags import STATUS_ZH
from web.packages import STATE_ZH
from web.views import DOC_KIND_ZH, FACT_ZH, KIND_ZH, OUTCOME_ZH, RULE_IDS, RULE_TITLES, SOURCE_ZH, show, verdict_zh

TEMPLATES = Path(__file__).with_name("templates")
LOCAL = timezone(timedelta(hours=8), "CST")  # officers read Asia/Shanghai time (no daylight saving)


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(LOCAL).strftime(fmt)


def make_templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(TEMPLATES))
    t.env.filters.update(local=local_time, show=show, verdict_zh=verdict_zh, urlencode=urlencode)
    t.env.globals.update(KIND_ZH=KIND_ZH, OUTCOME_ZH=OUTCOME_ZH, STATE_ZH=STATE_ZH, STATUS_ZH=STATUS_ZH,
                         ROLE_ZH=ROLE_ZH, ACTION_ZH=ACTION_ZH, DECISION_ZH=DECISION_ZH, FACT_ZH=FACT_ZH,
                         RULE_TITLES=RULE_TITLES, RULE_IDS=RULE_IDS, DISTRICTS=DISTRICTS,
                         DOC_KIND_ZH=DOC_KIND_ZH, SOURCE_ZH=SOURCE_ZH)
    return t


def page(request: Request, name: str, user: User | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    from web.auth import SESSION_COOKIE
    from web.security import csrf_token

    wb = request.app.state.workbench
    cookie = request.cookies.get(SESSION_COOKIE)
    csrf = csrf_token(wb.web.secret_key.get_secret_value(), cookie) if cookie and user else ""
    return wb.templates.TemplateResponse(request, name, {"user": user, "csrf": csrf, "now": datetime.now(UTC),
                                                         **context}, status_code=status_code)
