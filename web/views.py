"""What the report and flag pages show, computed from a report (SPEC.md) alone: facts declared against observed,
rules with their articles, the materials checklist, and evidence placed on page images."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from prescreen.report import KIND_ZH, OUTCOME_ZH, SPEC_OBSERVED, VERDICT_ZH
from validators.engine import RULES

RULE_TITLES = {r.id: r.title for r in RULES}
RULE_IDS = tuple(RULE_TITLES)
FACT_ZH = {
    "applicant.name": "申请单位名称", "applicant.uscc": "统一社会信用代码", "applicant.legal_representative": "法定代表人",
    "applicant.address": "住所", "applicant.established_on": "成立日期", "application.kind": "申请类别",
    "application.date": "申请日期", "service.categories": "服务类别", "service.smes_served": "年服务中小微企业数",
    "service.small_micro_share": "小微企业占比", "service.public_welfare_share": "公益性服务比例",
    "service.partner_institutions": "集聚服务机构数", "premises.lessee": "承租方", "premises.lease_end": "租赁到期日",
}
DOC_KIND_ZH = {"form": "申请表", "report": "申请报告", "license": "营业执照/法人证书", "premises": "产权证明/租赁合同",
               "equipment": "设备清单", "staff": "人员名单", "declaration": "真实性声明", "agreement": "合作协议",
               "self_eval": "自评报告", "qualification": "资质证明", "client_list": "服务企业名单"}
SOURCE_ZH = {"text_layer": "文字层", "ocr": "OCR识别", "docx": "Word", "xlsx": "Excel"}
SHARES = ("service.small_micro_share", "service.public_welfare_share")
FACT_ORDER = ("applicant.name", "applicant.uscc", "applicant.legal_representative", "applicant.address",
              "applicant.established_on", "application.kind", "application.date", "service.categories",
              "service.smes_served", "service.small_micro_share", "service.public_welfare_share",
              "service.partner_institutions", "premises.lessee", "premises.lease_end")


def show(value: Any, fact: str | None = None) -> str:
    """A value as an officer reads it: shares in percent, lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if fact == "application.kind":
        return KIND_ZH.get(value, str(value))
    if isinstance(value, float) and 0 <= value <= 1 and (fact in SHARES or fact is None):
        return f"{value * 100:.1f}%"
    if isinstance(value, list):
        return "、".join(show(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{show(v)}" for k, v in value.items())
    return str(value)


def where(e: dict[str, Any]) -> str:
    page = f" 第{e['page']}页" if e.get("page") else ""
    return f"{e.get('document') or '—'}{page}"


def fact_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    declared, observed = report.get("declared", {}), report.get("observed", {})
    rows = []
    for name in FACT_ORDER:
        if name not in declared and name not in observed:
            continue
        obs = observed.get(name) or {}
        d, o = declared.get(name), obs.get("value")
        differs = name in declared and name in observed and d != o
        rows.append({"fact": name, "label": FACT_ZH.get(name, name), "declared": show(d, name),
                     "observed": show(o, name) if name in observed else "—", "differs": differs,
                     "sources": sorted({where(e) for e in obs.get("evidence", [])}), "note": obs.get("note"),
                     "confidence": obs.get("confidence")})
    return rows


def rule_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in report.get("findings", []):
        rows.append({**f, "title": RULE_TITLES.get(f["rule"], f["rule"]),
                     "outcome_zh": OUTCOME_ZH.get(f["outcome"], f["outcome"]),
                     "flagged": f["outcome"] in ("fail", "review")})
    return rows


def materials(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The M-* rules as a checklist: required or not for this kind, present or not, which files."""
    out = []
    for f in report.get("findings", []):
        if not f["rule"].startswith("M-"):
            continue
        files = f.get("observed") if isinstance(f.get("observed"), list) else []
        out.append({"rule": f["rule"], "title": RULE_TITLES.get(f["rule"], f["rule"]), "article": f.get("article"),
                    "required": f["outcome"] != "not_applicable", "outcome": f["outcome"],
                    "outcome_zh": OUTCOME_ZH.get(f["outcome"], f["outcome"]), "files": files,
                    "message": f.get("message")})
    return out


def verdict_zh(verdict: str | None) -> str:
    return VERDICT_ZH.get(verdict or "", verdict or "—")


@dataclass(frozen=True)
class Placed:
    """One piece of evidence, with its page image and the box as percentages of the image."""

    document: str
    page: int | None
    text: str
    confidence: float | None
    source: str | None
    image_url: str | None
    box: dict[str, float] | None  # left, top, width, height in % of the image


def _page_images(report: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    out = {}
    for d in report.get("documents", []):
        for p in d.get("page_details") or []:
            if p.get("image"):
                out[(d["name"], p["page"])] = p["image"]
    return out


def image_keys(report: dict[str, Any]) -> set[str]:
    return {img["key"] for img in _page_images(report).values()}


def place(report: dict[str, Any], evidence: list[dict[str, Any]], package_id: str) -> list[Placed]:
    pages = _page_images(report)
    out = []
    for e in evidence:
        img = e.get("image") or {}
        page_img = pages.get((e.get("document"), e.get("page")))
        url = box = None
        if img.get("key"):
            url = f"/api/packages/{package_id}/image?key={quote(img['key'], safe='')}"
        if url and page_img and e.get("bbox") and page_img.get("width") and page_img.get("height"):
            x0, y0, x1, y1 = e["bbox"]
            s, w, h = img.get("scale") or page_img["scale"], page_img["width"], page_img["height"]
            box = {"left": round(x0 * s / w * 100, 3), "top": round(y0 * s / h * 100, 3),
                   "width": round((x1 - x0) * s / w * 100, 3), "height": round((y1 - y0) * s / h * 100, 3)}
        out.append(Placed(e.get("document") or "—", e.get("page"), e.get("text") or "", e.get("confidence"),
                          e.get("source"), url, box))
    return out


def by_document(placed: list[Placed]) -> list[tuple[str, list[Placed]]]:
    """Evidence grouped per cited document, in citation order: the viewer puts the groups side by side."""
    groups: dict[str, list[Placed]] = {}
    for p in placed:
        groups.setdefault(p.document, []).append(p)
    return list(groups.items())


def finding(report: dict[str, Any], rule: str) -> dict[str, Any] | None:
    return next((f for f in report.get("findings", []) if f["rule"] == rule), None)


__all__ = ["DOC_KIND_ZH", "FACT_ZH", "SOURCE_ZH", "KIND_ZH", "OUTCOME_ZH", "RULE_IDS", "RULE_TITLES", "SPEC_OBSERVED", "VERDICT_ZH", "Placed",
           "by_document", "fact_rows", "finding", "image_keys", "materials", "place", "rule_rows", "show",
           "verdict_zh", "where"]
