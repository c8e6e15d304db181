"""M-*: each required material (Art. 9 / Art. 15) is present and readable."""
from __future__ import annotations

from extractors.facts.kinds import DocumentKind
from validators.models import Finding, Outcome
from validators.rules.base import BOTH, CERT, Rule, RuleContext

MATERIALS: tuple[tuple[str, DocumentKind, str, tuple], ...] = (
    ("M-FORM", DocumentKind.FORM, "培育认定申请表", BOTH),
    ("M-REPORT", DocumentKind.REPORT, "申请报告", BOTH),
    ("M-LICENSE", DocumentKind.LICENSE, "营业执照或法人证书", BOTH),
    ("M-PREMISES", DocumentKind.PREMISES, "办公场所产权证明或租赁合同", BOTH),
    ("M-EQUIPMENT", DocumentKind.EQUIPMENT, "服务设施、软件或仪器设备清单", BOTH),
    ("M-STAFF", DocumentKind.STAFF, "管理人员和专业人员名单", BOTH),
    ("M-DECLARATION", DocumentKind.DECLARATION, "申请材料真实性声明", BOTH),
    ("M-AGREEMENTS", DocumentKind.AGREEMENT, "聚集服务机构合作协议", CERT),
    ("M-SELF-EVAL", DocumentKind.SELF_EVAL, "服务成效自评报告", CERT),
    ("M-QUALIFICATION", DocumentKind.QUALIFICATION, "从业资格、资质证明", CERT),
)


def _material_check(rule_id: str, kind: DocumentKind, title: str):
    def check(ctx: RuleContext) -> Finding:
        docs = ctx.facts.documents_of(kind)
        readable = [d for d in docs if d.readable]
        names = "、".join(d.name for d in docs)
        evidence = tuple(d.title for d in readable if d.title is not None)
        if readable:
            return Finding(rule_id, Outcome.PASS, f"已提交{title}：{names}", observed=[d.name for d in readable],
                           evidence=evidence)
        if docs:
            return Finding(rule_id, Outcome.REVIEW, f"{title}无法读取：{names}", observed=[d.name for d in docs],
                           reason="unreadable")
        unknown = [d for d in ctx.facts.documents if not d.kinds or not d.readable]
        if unknown:
            which = "、".join(d.name for d in unknown)
            return Finding(rule_id, Outcome.REVIEW, f"未识别到{title}；以下文件无法读取或无法识别，可能包含该材料：{which}",
                           observed=None, reason="unidentified_documents")
        return Finding(rule_id, Outcome.FAIL, f"缺少{title}", observed=None, reason="missing")

    return check


MATERIAL_RULES = tuple(Rule(rid, kinds, _material_check(rid, kind, title), title)
                       for rid, kind, title, kinds in MATERIALS)
