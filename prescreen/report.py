"""The report of SPEC.md (JSON) and its readable Chinese summary."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from extractors.facts.factset import FactSet, PageInfo
from extractors.models import Evidence, Fact
from extractors.normalize.districts import district_for_code
from intake.models import Package, Problem
from validators.engine import Assessment
from validators.models import Finding, Outcome
from validators.ruleset import RuleSet

SPEC_OBSERVED = ("applicant.name", "applicant.uscc", "applicant.legal_representative", "applicant.address",
                 "applicant.established_on", "service.smes_served", "service.small_micro_share",
                 "service.public_welfare_share", "service.partner_institutions", "premises.lessee",
                 "premises.lease_end")
SUPPORTING = ("report.smes_stated", "selfeval.smes_stated", "report.categories", "report.kind", "declaration.name",
              "premises.lease_start", "premises.kind", "premises.address", "licence.term")
VERDICT_ZH = {"eligible": "符合条件", "needs_review": "需人工复核", "ineligible": "不符合条件"}
KIND_ZH = {"cultivation": "入库培育", "certification": "认定"}
OUTCOME_ZH = {"pass": "通过", "fail": "不通过", "review": "需复核", "not_applicable": "不适用"}


def plain(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, (tuple, list)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, float):
        return round(v, 6)
    return v


Images = dict[tuple[str, int], dict[str, Any]]  # (document, page) -> viewer image


def _image_index(facts: FactSet) -> Images:
    out: Images = {}
    for d in facts.documents:
        for p in d.page_info:
            if (img := _page_image(p)) is not None:
                out[(d.name, p.number)] = img
    return out


def _evidence_json(e: Evidence, images: Images) -> dict[str, Any]:
    """Evidence with the page image its box is drawn on (`bbox * scale` in image pixels)."""
    out = e.to_json()
    img = images.get((e.document, e.page)) if e.page else None
    out["image"] = {"key": img["key"], "scale": img["scale"]} if img else None
    return out


def _fact_json(f: Fact, images: Images) -> dict[str, Any]:
    out = {"value": plain(f.value), "evidence": [_evidence_json(e, images) for e in f.evidence]}
    if f.confidence is not None:
        out["confidence"] = round(f.confidence, 3)
    if f.note:
        out["note"] = f.note
    return out


def _problem_json(p: Problem | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"code": p.code, "message": p.message_zh, "message_en": p.message_en, "subject": p.subject}


def _finding_json(f: Finding, images: Images) -> dict[str, Any]:
    return {"rule": f.rule, "outcome": f.outcome.value, "article": f.article, "declared": plain(f.declared),
            "observed": plain(f.observed), "message": f.message, "reason": f.reason,
            "evidence": [_evidence_json(e, images) for e in f.evidence]}


def _page_image(p: PageInfo) -> dict[str, Any] | None:
    if not (p.image_key and p.image_size and p.width):
        return None
    return {"key": p.image_key, "width": p.image_size[0], "height": p.image_size[1],
            "scale": round(p.image_size[0] / p.width, 6)}


def _page_json(p: PageInfo) -> dict[str, Any]:
    """How a page was read (source, engine and version, confidence) and its viewer image.

    Evidence boxes are in the page's unit; `image.scale` is image pixels per unit.
    """
    return {"page": p.number, "source": p.source, "engine": p.engine,
            "confidence": None if p.mean_conf is None else round(p.mean_conf, 3),
            "width": p.width, "height": p.height, "unit": p.unit, "image": _page_image(p),
            "problem": _problem_json(p.problem)}


def _empty(package: Package) -> tuple[Problem, ...]:
    if package.documents:
        return ()
    return (Problem("empty_package", "申报包中没有任何可读取的文件，所有材料均视为缺失",
                    "the package holds no readable files; every material counts as missing", package.source),)


def build_report(package: Package, facts: FactSet, assessment: Assessment, ruleset: RuleSet,
                 notes: tuple[Problem, ...] = (), versions: dict[str, str] | None = None) -> dict[str, Any]:
    declared = {k: plain(f.value) for k, f in facts.declared.items()}
    kind = assessment.kind.value if assessment.kind else None
    if kind and "application.kind" not in declared:
        declared_kind_source = facts.extra.get("report.kind")
        if declared_kind_source is not None:
            declared["application.kind"] = kind
    app_date = facts.application_date()
    code = facts.observed.get("applicant.uscc") or facts.declared.get("applicant.uscc")
    district = district_for_code(str(code.value)[2:8]) if code is not None else None
    images = _image_index(facts)
    return {
        "package": package.source,
        "package_id": package.package_id,
        "application_kind": kind,
        "application_date": app_date.isoformat() if app_date else None,
        "district": district,
        "ruleset": ruleset.id,
        "ruleset_title": ruleset.title,
        "verdict": assessment.verdict.value,
        "declared": declared,
        "declared_evidence": {k: [_evidence_json(e, images) for e in f.evidence] for k, f in facts.declared.items()},
        "observed": {k: _fact_json(facts.observed[k], images) for k in SPEC_OBSERVED if k in facts.observed},
        "supporting": {k: _fact_json(facts.extra[k], images) for k in SUPPORTING if k in facts.extra},
        "findings": [_finding_json(f, images) for f in assessment.findings],
        "documents": [
            {"name": d.name, "sha256": d.sha256, "type": d.file_type, "kinds": [k.value for k in d.kinds],
             "pages": d.pages, "page_sources": list(d.sources), "engines": list(d.engines),
             "min_page_confidence": None if d.mean_conf is None else round(d.mean_conf, 3),
             "page_details": [_page_json(p) for p in d.page_info],
             "problem": _problem_json(d.problem)}
            for d in facts.documents
        ],
        "problems": [_problem_json(p) for p in package.refusals + notes + _empty(package)],
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": versions or {},
    }


def _where(e: dict[str, Any]) -> str:
    page = f" 第{e['page']}页" if e.get("page") else ""
    quote = (e.get("text") or "").replace("\n", " ")
    if len(quote) > 60:
        quote = quote[:57] + "…"
    conf = f"（识别置信度{e['confidence']:.2f}）" if e.get("confidence") is not None else ""
    return f"{e['document']}{page}：“{quote}”{conf}"


def _show(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and 0 <= v <= 1:
        return f"{v * 100:.1f}%"
    if isinstance(v, list):
        return "、".join(map(str, v))
    if isinstance(v, dict):
        return "；".join(f"{k}：{x}" for k, x in v.items())
    return str(v)


def summary_text(report: dict[str, Any]) -> str:
    kind = KIND_ZH.get(report.get("application_kind") or "", "类别未识别")
    lines = [
        f"申请包：{report['package']}（{kind}，{report.get('district') or '区县未识别'}）  "
        f"申请日期：{report.get('application_date') or '未识别'}  "
        f"规则集：{report['ruleset']}  编号：{report['package_id'][:12]}",
        f"结论：{VERDICT_ZH.get(report['verdict'], report['verdict'])}（{report['verdict']}）",
    ]
    flagged = [f for f in report["findings"] if f["outcome"] in (Outcome.FAIL.value, Outcome.REVIEW.value)]
    if flagged:
        lines.append("")
        lines.append("需关注的规则：")
    for f in sorted(flagged, key=lambda f: f["outcome"] != "fail"):
        mark = "✗" if f["outcome"] == "fail" else "?"
        art = f" [第{f['article']}条]" if f.get("article") else ""
        lines.append(f" {mark} {f['rule']} {OUTCOME_ZH[f['outcome']]}{art}：{f['message']}")
        if f.get("declared") is not None or f.get("observed") is not None:
            lines.append(f"     申报：{_show(f.get('declared'))}  核实：{_show(f.get('observed'))}")
        for e in f.get("evidence", [])[:3]:
            lines.append(f"     证据：{_where(e)}")
    counts: dict[str, int] = {}
    for f in report["findings"]:
        counts[f["outcome"]] = counts.get(f["outcome"], 0) + 1
    lines.append("")
    lines.append("规则结果：" + "，".join(f"{OUTCOME_ZH[k]} {counts[k]}" for k in OUTCOME_ZH if k in counts))
    bad_docs = [d for d in report["documents"] if d.get("problem")]
    for d in bad_docs:
        lines.append(f" ! 文件 {d['name']}：{d['problem']['message']}")
    for p in report.get("problems", []):
        lines.append(f" ! {p.get('subject') or ''} {p['message']}")
    return "\n".join(lines)
