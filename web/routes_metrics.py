"""GET /metrics: prescreen's Prometheus metrics (prescreen/metrics.py) from the workbench process.

What it shows: the task, page and OCR counters of this process (the embedded default processes here), or summed
over every process writing to PROMETHEUS_MULTIPROC_DIR, and with a broker the queue depth, asked at each scrape.

Who may scrape (Prometheus has no session):
    PRESCREEN_METRICS_TOKEN set    `Authorization: Bearer <token>` required, from anywhere (401 otherwise)
    unset                          local scrapes only: a loopback peer with no forwarding header (a request that
                                   came through a reverse proxy on this host is not local); 403 otherwise
"""
from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import Response

from prescreen.metrics import render_metrics
from web.security import same
from web.state import Workbench, workbench

router = APIRouter(include_in_schema=False)
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def _local(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
    return loopback and not any(h in request.headers for h in FORWARDING_HEADERS)


def may_scrape(request: Request, wb: Workbench) -> None:
    token = wb.web.metrics_token
    if token is not None:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not same(sent.strip(), token.get_secret_value()):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "指标需要令牌 / metrics token required",
                                headers={"WWW-Authenticate": "Bearer"})
    elif not _local(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "未设置 PRESCREEN_METRICS_TOKEN 时只允许本机抓取指标 / "
                                                       "without PRESCREEN_METRICS_TOKEN only local scrapes are served")


@router.get("/metrics")
def metrics(request: Request, wb: Annotated[Workbench, Depends(workbench)]) -> Response:
    """A plain (sync) route: FastAPI runs it on a thread, so a slow broker holds no other request up."""
    may_scrape(request, wb)
    data, content_type = render_metrics(request.app.state.metrics_registry)  # made once, by create_app
    return Response(data, media_type=content_type, headers={"Cache-Control": "no-store"})
