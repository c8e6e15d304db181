"""The .xlsx export of a filtered set of packages: one row per package, and a sheet of their findings."""
from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from web.decisions import Decision, current
from web.flags import STATUS_ZH
from web.packages import STATE_ZH, PackageView
from web.views import KIND_ZH, OUTCOME_ZH, RULE_TITLES, show, verdict_zh

PACKAGE_COLUMNS = ("编号", "申请单位", "统一社会信用代码", "区县", "申请类别", "申请日期", "接收时间", "处理状态", "结论",
                   "规则集", "不通过", "需复核", "待处理标记", "上传人")
FINDING_COLUMNS = ("编号", "申请单位", "规则", "规则名称", "条款", "结果", "申报值", "核实值", "说明", "证据", "处理状态",
                   "处理人", "处理理由")


def _sheet(wb: Workbook, title: str, columns: tuple[str, ...], first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    return ws


def workbook(packages: list[PackageView], report_of: Callable[[str], dict[str, Any] | None],
             decisions_of: Callable[[str], list[Decision]]) -> bytes:
    wb = Workbook()
    pkg_ws = _sheet(wb, "申报包", PACKAGE_COLUMNS, first=True)
    find_ws = _sheet(wb, "审查结果", FINDING_COLUMNS)
    for p in packages:
        report = report_of(p.id) if p.state == "done" else None
        findings = report.get("findings", []) if report else []
        decided = decisions_of(p.id) if report else []
        flagged = [f for f in findings if f["outcome"] in ("fail", "review")]
        open_flags = sum(current(decided, f) is None for f in flagged)
        pkg_ws.append([p.id, p.applicant_name, p.applicant_uscc, p.district,
                       KIND_ZH.get(p.application_kind or "", p.application_kind),
                       p.application_date.isoformat() if p.application_date else None,
                       p.received_at.strftime("%Y-%m-%d %H:%M"), STATE_ZH.get(p.state, p.state),
                       verdict_zh(p.verdict) if p.verdict else None, p.ruleset,
                       sum(f["outcome"] == "fail" for f in findings), sum(f["outcome"] == "review" for f in findings),
                       open_flags if report else None, p.uploaded_by])
        for f in findings:
            d = current(decided, f) if f["outcome"] in ("fail", "review") else None
            evidence = "；".join(f"{e.get('document')} 第{e.get('page')}页：{e.get('text')}" if e.get("page")
                                else f"{e.get('document')}：{e.get('text')}" for e in f.get("evidence", [])[:3])
            status = STATUS_ZH[d.action.value] if d else (STATUS_ZH["open"] if f["outcome"] in ("fail", "review")
                                                          else None)
            find_ws.append([p.id, p.applicant_name, f["rule"], RULE_TITLES.get(f["rule"]), f.get("article"),
                            OUTCOME_ZH.get(f["outcome"], f["outcome"]), _cell(f.get("declared")),
                            _cell(f.get("observed")), f.get("message"), evidence or None, status,
                            d.username if d else None, d.reason if d else None])
    for ws, widths in ((pkg_ws, (34, 30, 22, 10, 10, 12, 18, 10, 12, 14, 8, 8, 10, 12)),
                       (find_ws, (34, 30, 18, 22, 10, 8, 20, 20, 50, 50, 20, 12, 30))):
        for i, w in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = w
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """Numbers and text stay themselves in the sheet; shares, lists and dicts as an officer reads them."""
    if value is None or isinstance(value, (int, str)) or (isinstance(value, float) and not 0 <= value <= 1):
        return value
    return show(value)
