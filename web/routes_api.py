"""The REST API (/api/…): packages, uploads, reports, page images, the queue, decisions, audit, export.

Every route needs a user (Bearer token, or the session cookie with its CSRF header); a package of another
district answers 404, exactly as a package that does not exist.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from prescreen.report import plain
from storage.db import ReportRecord
from storage.objects import ObjectNotFound
from web import audit, flags
from web.accounts import DISTRICTS, User
from web.audit import AuditAction
from web.auth import api_admin, api_user, client_ip
from web.corrections import CORRECTABLE, parse_value, reassess
from web.decisions import DecisionError, active_corrections, current, decide, decisions, superseded
from web.export import workbook
from web.models import Action
from web.packages import PackageFilter, PackageView, get_package, get_upload, list_packages, pending_uploads, progress
from web.processing import IncomingFile, UploadRefused, link_pending
from web.state import Workbench, workbench
from web.views import finding, image_keys, place

router = APIRouter(prefix="/api", tags=["api"])
Kind = Literal["cultivation", "certification"]
Verdict = Literal["eligible", "needs_review", "ineligible"]
State = Literal["received", "extracting", "checking", "done", "failed"]
Status = Literal["open", "confirm", "dismiss", "correct"]
NOT_FOUND = "申报包不存在 / package not found"


# --- shared lookups ----------------------------------------------------------------------------

def visible(wb: Workbench, user: User, package_id: str) -> PackageView:
    package = get_package(wb.db, user, package_id)
    if package is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    return package


def report_of(wb: Workbench, package_id: str, version: int | None = None) -> tuple[int, dict[str, Any]]:
    """(version, report): the latest when `version` is None; 404 when there is none (yet)."""
    with wb.db() as s:
        q = select(ReportRecord.version, ReportRecord.json_text).where(ReportRecord.package_id == package_id)
        if version is not None:
            q = q.where(ReportRecord.version == version)
        row = s.execute(q.order_by(ReportRecord.version.desc()).limit(1)).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "尚无检查报告 / no report (yet)")
    return row.version, json.loads(row.json_text)


def package_filter(district: str | None = None, kind: Kind | None = None, verdict: Verdict | None = None,
                   state: State | None = None, date_from: date | None = None, date_to: date | None = None,
                   q: Annotated[str | None, Query(description="申请单位名称（部分）或统一社会信用代码（前缀）")] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0)] = 0) -> PackageFilter:
    return PackageFilter(district or None, kind, verdict, state, date_from, date_to, q or None, limit, offset)


def queue_filter(district: str | None = None, rule: str | None = None,
                 status_: Annotated[Status | Literal[""] | None, Query(
                     alias="status", description="open (default), confirm, dismiss, correct; empty for all")] = "open",
                 outcome: Literal["fail", "review"] | None = None,
                 min_age_days: Annotated[int | None, Query(ge=0)] = None,
                 max_age_days: Annotated[int | None, Query(ge=0)] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 200,
                 offset: Annotated[int, Query(ge=0)] = 0) -> flags.QueueFilter:
    return flags.QueueFilter(district or None, rule or None, status_ or None, outcome, min_age_days, max_age_days,
                             limit, offset)


WB = Annotated[Workbench, Depends(workbench)]
U = Annotated[User, Depends(api_user)]


# --- packages and uploads ----------------------------------------------------------------------

@router.post("/packages", status_code=status.HTTP_202_ACCEPTED, summary="上传申报包（多个文件或一个 .zip）")
def upload(request: Request, wb: WB, user: U, files: Annotated[list[UploadFile], File()],
           application_kind: Annotated[Kind | Literal[""] | None, Form()] = None,
           district: Annotated[str | None, Form()] = None) -> dict:
    """Stores the files and returns at once; processing goes on in the background (poll `status_url`)."""
    district = district or user.district
    if not user.may_see(district) or district not in DISTRICTS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT if user.all_districts else status.HTTP_403_FORBIDDEN,
                            "区县无效或无权上传到该区县 / invalid district, or not yours")
    incoming = [IncomingFile(f.filename or "file", f.file) for f in files]
    try:
        upload_id, _ = wb.processor.upload(user, incoming, district, application_kind or None, client_ip(request))
    except UploadRefused as e:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE if "上限" in str(e) else 422, str(e)) from e
    return {"upload_id": upload_id, "status_url": f"/api/uploads/{upload_id}"}


@router.get("/uploads/{upload_id}", summary="上传的接收状态；接收后附申报包处理进度")
def upload_status(wb: WB, user: U, upload_id: str) -> dict:
    link_pending(wb.db)
    up = get_upload(wb.db, user, upload_id)
    if up is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "上传记录不存在 / upload not found")
    out = up.to_json()
    package = get_package(wb.db, user, up.package_id) if up.package_id else None
    out["package"] = progress(wb.db, package, wb.settings.extraction_context()) if package else None
    return out


@router.get("/packages", summary="申报包列表（筛选、按申请单位或统一社会信用代码搜索）")
def packages(wb: WB, user: U, f: Annotated[PackageFilter, Depends(package_filter)]) -> dict:
    link_pending(wb.db)
    return {"packages": [p.to_json() for p in list_packages(wb.db, user, f)],
            "receiving": [u.to_json() for u in pending_uploads(wb.db, user)]}


@router.get("/packages/{package_id}", summary="申报包")
def package(wb: WB, user: U, package_id: str) -> dict:
    return visible(wb, user, package_id).to_json()


@router.get("/packages/{package_id}/status", summary="处理进度（页面轮询）")
def package_status(wb: WB, user: U, package_id: str) -> dict:
    return progress(wb.db, visible(wb, user, package_id), wb.settings.extraction_context())


@router.get("/packages/{package_id}/reports", summary="报告各版本")
def report_versions(wb: WB, user: U, package_id: str) -> list[dict]:
    visible(wb, user, package_id)
    return [{"version": v.version, "ruleset": v.ruleset, "verdict": v.verdict, "created_at": v.created_at.isoformat()}
            for v in wb.repo.list_reports(package_id)]


@router.get("/packages/{package_id}/report", summary="检查报告（SPEC.md 格式），附人工决定")
def report(wb: WB, user: U, package_id: str, version: Annotated[int | None, Query(ge=1)] = None) -> dict:
    visible(wb, user, package_id)
    v, rep = report_of(wb, package_id, version)
    decided = decisions(wb.db, package_id)
    flagged = {}
    for f in flags.flagged(rep):
        d = current(decided, f)
        flagged[f["rule"]] = {"decision": d.to_json(applies=True) if d else None,
                              "no_longer_applies": [x.to_json(applies=False) for x in superseded(decided, f)]}
    return {"version": v, "report": rep, "decisions": flagged}


@router.post("/packages/{package_id}/reprocess", status_code=status.HTTP_202_ACCEPTED, summary="重新处理（管理员）")
def reprocess(request: Request, wb: WB, admin: Annotated[User, Depends(api_admin)], package_id: str) -> dict:
    visible(wb, admin, package_id)
    if wb.processor.reprocess(admin, package_id, client_ip(request)) is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "申报包仍在处理中 / still being processed")
    return {"package_id": package_id, "status_url": f"/api/packages/{package_id}/status"}


@router.get("/packages/{package_id}/image", summary="证据页面图像", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}},
                       307: {"description": "MinIO 预签名地址（设置了 PRESCREEN_MINIO_PUBLIC_URL 时）"}})
def page_image(wb: WB, user: U, package_id: str, key: str) -> Response:
    """Only images the package's reports cite are served (a key is no ticket to another package's pages): the bytes,
    or with PRESCREEN_MINIO_PUBLIC_URL a redirect to a presigned URL of the store valid for 10 minutes."""
    visible(wb, user, package_id)
    keys: set[str] = set()
    with wb.db() as s:
        for text in s.scalars(select(ReportRecord.json_text).where(ReportRecord.package_id == package_id)):
            keys |= image_keys(json.loads(text))
    if key not in keys:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "图像不存在 / image not found")
    url = wb.images.presigned(key)
    if url is not None:
        return RedirectResponse(url, status.HTTP_307_TEMPORARY_REDIRECT, headers={"Cache-Control": "no-store"})
    try:
        data = wb.store.get(key)
    except ObjectNotFound as e:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "图像不存在 / image not found") from e
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


# --- the queue, flags and decisions ------------------------------------------------------------

@router.get("/flags", summary="待处理标记队列（最早的在前）")
def queue(wb: WB, user: U, f: Annotated[flags.QueueFilter, Depends(queue_filter)]) -> list[dict]:
    return [item.to_json() for item in flags.queue(wb.db, user, f)]


@router.get("/packages/{package_id}/flags/{rule}", summary="一个标记：申报值与核实值、规则与条款、证据")
def flag(wb: WB, user: U, package_id: str, rule: str, version: Annotated[int | None, Query(ge=1)] = None) -> dict:
    visible(wb, user, package_id)
    v, rep = report_of(wb, package_id, version)
    f = finding(rep, rule)
    if f is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该报告中没有此规则 / no such rule in the report")
    decided = decisions(wb.db, package_id, rule)
    d = current(decided, f)
    return {"package_id": package_id, "version": v, "finding": f, "fingerprint": flags.fingerprint(f),
            "evidence": [p.__dict__ for p in place(rep, f.get("evidence", []), package_id)],
            "decision": d.to_json(applies=True) if d else None,
            "history": [x.to_json(applies=x.fingerprint == flags.fingerprint(f)) for x in decided]}


class DecisionIn(BaseModel):
    action: Action
    reason: str | None = Field(None, max_length=2000, description="排除时必填 / required to dismiss")
    fact: str | None = Field(None, description=f"更正时：{', '.join(CORRECTABLE)}")
    value: str | None = Field(None, max_length=500, description="更正时：更正后的值（如 41、68.5%、2016-03-18）")
    report_version: int | None = Field(None, description="决定所依据的报告版本；不是最新版本时返回 409")


@router.post("/packages/{package_id}/flags/{rule}/decisions", status_code=status.HTTP_201_CREATED,
             summary="处理标记：确认、排除（附理由）或更正识别值")
def make_decision(request: Request, wb: WB, user: U, package_id: str, rule: str, body: DecisionIn) -> dict:
    return record_decision(wb, user, package_id, rule, body, client_ip(request)).to_json(applies=True)


def record_decision(wb: Workbench, user: User, package_id: str, rule: str, body: DecisionIn, ip: str | None):
    """Shared by the API and the flag page's forms."""
    visible(wb, user, package_id)
    v, rep = report_of(wb, package_id)
    if body.report_version is not None and body.report_version != v:
        raise HTTPException(status.HTTP_409_CONFLICT, f"报告已更新为第{v}版，请刷新 / the report is now version {v}")
    f = finding(rep, rule)
    if f is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该报告中没有此规则 / no such rule in the report")
    fact = value = result = None
    try:
        if body.action is Action.CORRECT:
            fact, raw = body.fact or "", body.value or ""
            typed = parse_value(fact, raw)
            prior = active_corrections(decisions(wb.db, package_id), rep)
            corrections = {k: (parse_value(k, str(val)), who) for k, (val, who) in prior.items()}
            corrections[fact] = (typed, user.username)
            result = reassess(package_id, rep["ruleset"], corrections, wb.settings, wb.store, wb.repo)
            value = plain(typed)
        return decide(wb.db, user, package_id, v, f, body.action, body.reason, fact=fact, value=value,
                      result=result, ip=ip)
    except (DecisionError, ValueError) as e:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(e)) from e


@router.get("/packages/{package_id}/decisions", summary="该申报包的全部人工决定（最早的在前）")
def package_decisions(wb: WB, user: U, package_id: str) -> list[dict]:
    visible(wb, user, package_id)
    return [d.to_json() for d in decisions(wb.db, package_id)]


@router.get("/packages/{package_id}/audit", summary="该申报包的审计日志（最新的在前）")
def package_audit(wb: WB, user: U, package_id: str) -> list[dict]:
    visible(wb, user, package_id)
    return [e.to_json() for e in audit.entries(wb.db, package_id=package_id)]


@router.get("/export.xlsx", summary="导出筛选后的申报包（.xlsx：申报包一行一个，另附审查结果表）",
            response_class=Response,
            responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def export(request: Request, wb: WB, user: U, f: Annotated[PackageFilter, Depends(package_filter)]) -> Response:
    rows = list_packages(wb.db, user, f)
    data = workbook(rows, lambda pid: report_of(wb, pid)[1] if wb.repo.list_reports(pid) else None,
                    lambda pid: decisions(wb.db, pid))
    audit.log(wb.db, user.username, AuditAction.EXPORT, None, client_ip(request),
              {"filters": f.query_string(), "packages": len(rows)})
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=\"prescreen-export.xlsx\""})
