"""The officers' pages (Chinese, server-rendered): packages, upload, report, queue, flag with its evidence, audit."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from web import audit, flags
from web.accounts import User
from web.auth import client_ip, page_user
from web.corrections import CORRECTABLE, RULE_FACTS
from web.decisions import current, decisions, superseded
from web.models import Action
from web.packages import PackageFilter, list_packages, pending_uploads
from web.processing import link_pending
from web.render import page
from web.routes_api import DecisionIn, package_filter, queue_filter, record_decision, report_of, visible
from web.state import Workbench, workbench
from web.views import by_document, fact_rows, finding, materials, place, rule_rows

router = APIRouter(include_in_schema=False)
WB = Annotated[Workbench, Depends(workbench)]
PU = Annotated[User, Depends(page_user)]


@router.get("/")
def home() -> Response:
    return RedirectResponse("/packages", status.HTTP_303_SEE_OTHER)


@router.get("/packages", response_class=HTMLResponse)
def packages_page(request: Request, wb: WB, user: PU, f: Annotated[PackageFilter, Depends(package_filter)]):
    link_pending(wb.db)
    return page(request, "packages.html", user, packages=list_packages(wb.db, user, f),
                receiving=pending_uploads(wb.db, user), f=f, query=f.query_string())


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, user: PU):
    return page(request, "upload.html", user)


@router.get("/packages/{package_id}", response_class=HTMLResponse)
def package_page(request: Request, wb: WB, user: PU, package_id: str, version: Annotated[int | None, Query(ge=1)] = None):
    package = visible(wb, user, package_id)
    versions = wb.repo.list_reports(package_id)
    v = rep = None
    if versions:
        v, rep = report_of(wb, package_id, version)
    decided = decisions(wb.db, package_id)
    rows = rule_rows(rep) if rep else []
    for r in rows:
        if r["flagged"]:
            d = current(decided, r)
            r["decision"], r["superseded"] = d, superseded(decided, r)
    live = {flags.fingerprint(f) for f in rep["findings"]} if rep else set()
    # The newest correction on a finding of this version: its re-evaluation is what the rules say with it.
    corrected = next((d for d in reversed(decided) if d.action is Action.CORRECT and d.fingerprint in live), None)
    return page(request, "package.html", user, p=package, report=rep, version=v, versions=versions, rules=rows,
                facts=fact_rows(rep) if rep else [], materials=materials(rep) if rep else [], corrected=corrected,
                latest=versions[-1].version if versions else None)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, wb: WB, user: PU, f: Annotated[flags.QueueFilter, Depends(queue_filter)]):
    return page(request, "queue.html", user, items=flags.queue(wb.db, user, f), f=f, query=f.query_string())


@router.get("/packages/{package_id}/flags/{rule}", response_class=HTMLResponse)
def flag_page(request: Request, wb: WB, user: PU, package_id: str, rule: str, version: Annotated[int | None, Query(ge=1)] = None,
              error: str | None = None):
    package = visible(wb, user, package_id)
    v, rep = report_of(wb, package_id, version)
    f = finding(rep, rule)
    if f is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "该报告中没有此规则")
    decided = decisions(wb.db, package_id, rule)
    fp = flags.fingerprint(f)
    latest = wb.repo.list_reports(package_id)[-1].version
    facts = RULE_FACTS.get(rule, ())
    return page(request, "flag.html", user, p=package, report=rep, version=v, latest=latest, f=f,
                groups=by_document(place(rep, f.get("evidence", []), package_id)), decision=current(decided, f),
                history=[(d, d.fingerprint == fp) for d in decided], error=error,
                facts=[(k, CORRECTABLE[k][0]) for k in facts] or [(k, lab) for k, (lab, _) in CORRECTABLE.items()],
                flagged=f["outcome"] in flags.FLAGGED)


@router.post("/packages/{package_id}/flags/{rule}/decide")
def decide_form(request: Request, wb: WB, user: PU, package_id: str, rule: str, action: Annotated[Action, Form()],
                report_version: Annotated[int, Form()], reason: Annotated[str, Form()] = "",
                fact: Annotated[str, Form()] = "", value: Annotated[str, Form()] = ""):
    body = DecisionIn(action=action, reason=reason or None, fact=fact or None, value=value or None,
                      report_version=report_version)
    target = f"/packages/{package_id}/flags/{rule}"
    try:
        record_decision(wb, user, package_id, rule, body, client_ip(request))
    except HTTPException as e:
        if e.status_code == status.HTTP_404_NOT_FOUND:
            raise
        return RedirectResponse(f"{target}?error={quote(str(e.detail))}", status.HTTP_303_SEE_OTHER)
    return RedirectResponse(target, status.HTTP_303_SEE_OTHER)


@router.get("/packages/{package_id}/audit", response_class=HTMLResponse)
def audit_page(request: Request, wb: WB, user: PU, package_id: str):
    package = visible(wb, user, package_id)
    return page(request, "audit.html", user, p=package, entries=audit.entries(wb.db, package_id=package_id))
