"""The workbench application: REST API (OpenAPI at /docs and /openapi.json) and the officers' pages, one process.

    create_app()            settings from the environment (the Celery tasks read the same)
    prescreen serve         uvicorn on it
    GET /healthz            the database answers (no login)
    GET /metrics            Prometheus metrics (a token, or local scrapes only: web/routes_metrics.py)
"""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

import web.models  # noqa: F401 - registers the workbench tables before the schema is migrated
from prescreen import __version__
from prescreen.metrics import make_registry
from prescreen.settings import AppSettings
from storage.settings import open_object_store, open_repository
from web import routes_accounts, routes_admin, routes_api, routes_auth, routes_metrics, routes_pages
from web.accounts import User, purge_expired_sessions, user_for_session
from web.auth import SESSION_COOKIE, LoginRequired
from web.images import ImageLinks
from web.processing import Processor
from web.render import make_templates, page
from web.settings import WebSettings
from web.state import Workbench

log = logging.getLogger(__name__)
STATIC = Path(__file__).with_name("static")
DESCRIPTION = """宁波市中小企业公共服务平台申报材料预审工作台 / the officers' workbench of prescreen.

Authenticate with `Authorization: Bearer psk_…` (a personal token issued on the /tokens page or by
`POST /api/tokens`). A package of another district answers 404, as one that does not exist."""


def create_app(settings: AppSettings | None = None, web_settings: WebSettings | None = None) -> FastAPI:
    """Refuses to start (InsecureSettings) in production with a default or weak secret key."""
    web_settings = (web_settings or WebSettings()).checked()
    settings = settings or AppSettings.from_env()
    repo = open_repository(settings.storage)  # migrates, workbench tables included
    db = sessionmaker(repo.engine, expire_on_commit=False)
    processor = Processor(settings, db, repo, web_settings.upload_workers)
    wb = Workbench(settings, web_settings, repo, open_object_store(settings.storage), db, processor, make_templates(),
                   ImageLinks(settings.storage, web_settings.minio_public_url))
    if purged := purge_expired_sessions(db):  # and at each login: the table holds live logins, not history
        log.info("removed %d expired session rows", purged)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        processor.shutdown(wait=False)  # a package cut off mid-way is found by `prescreen recover`

    app = FastAPI(title="prescreen 预审工作台", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.workbench = wb
    app.state.metrics_registry = make_registry()  # its collectors read their sources at each scrape
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (routes_api, routes_accounts, routes_auth, routes_pages, routes_admin, routes_metrics):
        app.include_router(module.router)

    @app.get("/healthz", tags=["ops"], summary="健康检查：数据库可用")
    def healthz() -> dict:
        with repo.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", 303)

    @app.middleware("http")
    async def _headers(request: Request, call_next) -> Response:  # noqa: ANN001 - Starlette's callable
        response = await call_next(request)
        # No framing (clickjacking on the decision forms), no MIME sniffing, no URLs with ids leaking out.
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and the router's own (unknown path, wrong method)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)
        return page(request, "error.html", _page_user(request, wb), exc.status_code, message=exc.detail,
                    code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": jsonable_encoder(exc.errors())}, 422)
        return page(request, "error.html", _page_user(request, wb), 422, code=422,
                    message=f"请求参数无效（{len(exc.errors())}处）")

    return app


def _page_user(request: Request, wb: Workbench) -> User | None:
    """Who is looking at an error page (for its navigation), if the request got that far."""
    p = getattr(request.state, "principal", None)
    if p is not None:
        return p.user
    cookie = request.cookies.get(SESSION_COOKIE)
    return user_for_session(wb.db, cookie, wb.web.secret_key.get_secret_value()) if cookie else None


def _wants_json(request: Request) -> bool:
    return (request.url.path.startswith(("/api/", "/healthz", "/metrics"))
            or "application/json" in request.headers.get("accept", ""))
