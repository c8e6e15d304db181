"""X-*: what the form declares against what the evidence shows."""
from __future__ import annotations

from difflib import SequenceMatcher

from extractors.models import Fact
from extractors.normalize.lookalikes import code_misread, lookalike_typo
from extractors.normalize.names import norm_org_name, norm_person_name
from extractors.normalize.uscc import validate_uscc
from validators.models import Finding, Outcome
from validators.rules.base import BOTH, CERT, Rule, RuleContext, bounds, finding, low_conf_review, pct, weakly_ended

O = Outcome


def _pair(ctx: RuleContext, rule: str, t: str, name: str) -> tuple[Fact, Fact] | Finding:
    d, o = ctx.facts.declared.get(name), ctx.facts.observed.get(name)
    if d is None and o is None:
        return finding(rule, O.REVIEW, f"{t}：申请表和证明材料中均未识别到该项", reason="missing_evidence")
    if d is None:
        return finding(rule, O.REVIEW, f"{t}：申请表中未识别到申报值", o, observed=o.value, reason="missing_evidence")
    if o is None:
        return finding(rule, O.REVIEW, f"{t}：证明材料中未识别到该项", d, declared=d.value, reason="missing_evidence")
    return d, o


def _equal(rule: str, t: str, name: str, same, show=str, misread=None):
    """`misread(d, o)`: the two values differ the way an OCR misreading does (checked only when one was OCR'd)."""
    def check(ctx: RuleContext) -> Finding:
        got = _pair(ctx, rule, t, name)
        if isinstance(got, Finding):
            return got
        d, o = got
        if same(d.value, o.value):
            return finding(rule, O.PASS, f"{t}：申报值与证明材料一致（{show(o.value)}）", d, o, declared=d.value,
                           observed=o.value)
        if ctx.low(d, o):
            return low_conf_review(rule, t, d, o, declared=d.value, observed=o.value)
        if misread is not None and ctx.ocr_unsure(d, o, strict=1.01) and misread(d.value, o.value):
            return finding(rule, O.REVIEW, f"{t}：申请表为“{show(d.value)}”，证明材料为“{show(o.value)}”，仅一字之差且为"
                           "形近字，可能是识别误差，需人工核对原件", d, o, declared=d.value, observed=o.value,
                           reason="possible_misread")
        return finding(rule, O.FAIL, f"{t}：申请表为“{show(d.value)}”，证明材料为“{show(o.value)}”", d, o,
                       declared=d.value, observed=o.value)

    return check


def _obstructed(read: str, ref: str) -> bool:
    """A damaged copy of `ref` (seal ink, signature strokes over it), not another organisation's name."""
    a, b = norm_org_name(read), norm_org_name(ref)
    if len(a) < len(b) and (b.endswith(a) or b.startswith(a)):  # only the part beside the seal was legible
        return True
    if len(a) < len(b) and a[:2] == b[:2] and a[-4:] == b[-4:] and _similar(a, b) >= 0.6:
        return True
    return _similar(a, b) >= 0.75


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, norm_org_name(a), norm_org_name(b)).ratio()


def name(ctx: RuleContext) -> Finding:
    t = "申请单位名称一致"
    sources = [("申请表", ctx.facts.declared.get("applicant.name")), ("营业执照", ctx.facts.observed.get("applicant.name")),
               ("租赁合同", ctx.facts.observed.get("premises.lessee")), ("真实性声明", ctx.facts.extra.get("declaration.name"))]
    present = [(w, f) for w, f in sources if f is not None]
    if len(present) < 2:
        return finding("X-NAME", O.REVIEW, f"{t}：可比对的名称不足两处", *(f for _, f in present), reason="missing_evidence")
    # The reference is the name most documents agree on (ties: the licence, then the form), so one
    # misread document is the odd one out rather than making every other document look wrong.
    groups: dict[str, list[tuple[str, Fact]]] = {}
    for w, f in present:
        groups.setdefault(norm_org_name(f.value), []).append((w, f))
    order = {"营业执照": 0, "申请表": 1, "租赁合同": 2, "真实性声明": 3}
    ref_key = max(groups, key=lambda k: (len(groups[k]), -min(order[w] for w, _ in groups[k])))
    ref = groups[ref_key][0][1]
    differ: list[tuple[str, Fact]] = []
    obstructed: list[str] = []
    for w, f in present:
        if norm_org_name(f.value) == ref_key:
            continue
        # a lease held by another company altogether is a premises question (E-PREMISES), not a naming one
        if w == "租赁合同" and _similar(f.value, ref.value) < 0.6:
            continue
        # the declaration's signature line lies under the seal and the signature by design: a read that
        # keeps the name's beginning and end but loses characters in between is an obstructed copy
        if w == "真实性声明" and _obstructed(f.value, ref.value):
            obstructed.append(f.value)
            continue
        differ.append((w, f))
    facts = [f for _, f in present]
    observed = {w: f.value for w, f in present}
    declared = ctx.facts.value("declared", "applicant.name")
    if not differ:
        note = f"；真实性声明落款被印章或签名部分遮挡（识别为“{obstructed[0]}”）" if obstructed else ""
        return finding("X-NAME", O.PASS, f"{t}：{'、'.join(w for w, _ in present)}一致（{ref.value}）{note}", *facts,
                       declared=declared, observed=ref.value)
    # A name read surely on the form, the licence or the lease that differs is a mismatch, whatever a
    # document read weakly beside it says; weak readings alone leave it to the officer.
    sure = [(w, f) for w, f in differ if not ctx.low(f)]
    if ctx.low(*(f for _, f in differ)) and not any(w != "真实性声明" for w, _ in sure):
        return low_conf_review("X-NAME", t, *facts, declared=declared, observed=observed)
    if [w for w, _ in differ] == ["真实性声明"]:
        f = differ[0][1]
        legible_other = (f.confidence or 0) >= 0.95 and _similar(f.value, ref.value) < 0.6
        if not legible_other:  # the signature line is where seal and signature cover the name
            return finding("X-NAME", O.REVIEW, f"{t}：真实性声明落款名称识别为“{f.value}”，与其他材料（{ref.value}）不一致，"
                           "落款处常被印章和签名覆盖，需人工核对", *facts, declared=declared, observed=observed,
                           reason="low_confidence")
    detail = "；".join(f"{w}为“{f.value}”" for w, f in present)
    return finding("X-NAME", O.FAIL, f"{t}：名称不一致，{detail}", *facts, declared=declared, observed=observed)


def uscc(ctx: RuleContext) -> Finding:
    t = "统一社会信用代码一致且有效"
    got = _pair(ctx, "X-USCC", t, "applicant.uscc")
    if isinstance(got, Finding):
        return got
    d, o = got
    dv, ov = validate_uscc(d.value), validate_uscc(o.value)
    if d.value == o.value and dv.valid:
        return finding("X-USCC", O.PASS, f"{t}：{o.value}", d, o, declared=d.value, observed=o.value)
    # An invalid code read by OCR may be a misreading, unless the other code is valid and the two differ
    # where OCR does not confuse characters (Y for M): then the form itself carries the wrong character.
    unsure = [f for f, v, other, other_v in ((d, dv, o, ov), (o, ov, d, dv))
              if not v.valid and ctx.ocr_unsure(f) and not (other_v.valid and not code_misread(f.value, other.value))]
    if ctx.low(d, o) or unsure:
        return low_conf_review("X-USCC", t, d, o, declared=d.value, observed=o.value)
    problems = []
    if d.value != o.value:
        problems.append(f"申请表{d.value}与营业执照{o.value}不一致")
    if not dv.valid:
        problems.append(f"申请表代码{d.value}校验位错误")
    if not ov.valid:
        problems.append(f"营业执照代码{o.value}校验位错误")
    return finding("X-USCC", O.FAIL, f"{t}：{'；'.join(problems)}", d, o, declared=d.value, observed=o.value)


def smes(ctx: RuleContext) -> Finding:
    t = "年服务中小微企业数一致"
    d = ctx.facts.declared.get("service.smes_served")
    o = ctx.facts.observed.get("service.smes_served")
    stated = [(w, ctx.facts.extra.get(k)) for w, k in (("申请报告", "report.smes_stated"), ("自评报告", "selfeval.smes_stated"))]
    stated = [(w, f) for w, f in stated if f is not None]
    if d is None:
        return finding("X-SMES", O.REVIEW, f"{t}：申请表中未识别到申报值", o, reason="missing_evidence")
    mismatches = []
    if o is not None and o.value != d.value:
        mismatches.append((f"服务企业名单仅列{o.value}家" if o.value < d.value else f"服务企业名单列{o.value}家", o))
    for w, f in stated:
        if f.value != d.value:
            mismatches.append((f"{w}载明{f.value}家", f))
    facts = [d, o] + [f for _, f in stated]
    if o is not None and o.value != d.value and len(mismatches) == 1:
        lo, hi = bounds(o, rows=True)
        if lo <= d.value <= hi:  # the list's 序号 show rows that may have been lost or read twice
            return finding("X-SMES", O.REVIEW, f"{t}：申报{d.value}家，名单核实值在{lo}至{hi}家之间（{o.note}），需人工核对",
                           *facts, declared=d.value, observed=o.value, reason="unreadable_cells")
    if mismatches:
        if ctx.low(*(f for _, f in mismatches)):
            return low_conf_review("X-SMES", t, *facts, declared=d.value, observed=o and o.value)
        return finding("X-SMES", O.FAIL, f"申报年服务中小微企业{d.value}家，" + "，".join(m for m, _ in mismatches), *facts,
                       declared=d.value, observed=o.value if o else None)
    if o is None:
        return finding("X-SMES", O.REVIEW, f"{t}：未找到服务企业名单，无法核实申报值{d.value}家", *facts,
                       declared=d.value, reason="missing_evidence")
    return finding("X-SMES", O.PASS, f"{t}：申报{d.value}家，名单去重后{o.value}家", *facts, declared=d.value,
                   observed=o.value)


def _share(rule: str, t: str, name: str):
    def check(ctx: RuleContext) -> Finding:
        got = _pair(ctx, rule, t, name)
        if isinstance(got, Finding):
            return got
        d, o = got
        tol = float(ctx.ruleset.t("share_tolerance"))
        lo, hi = bounds(o)
        if hi - lo > 1e-9 and lo - tol <= d.value <= hi + tol:
            return finding(rule, O.REVIEW, f"{t}：部分行无法识别，核实值在{pct(lo)}至{pct(hi)}之间，申报{pct(d.value)}，需人工核对",
                           d, o, declared=d.value, observed=o.value, reason="unreadable_cells")
        if abs(d.value - o.value) <= tol + 1e-9:
            return finding(rule, O.PASS, f"{t}：申报{pct(d.value)}，核实{pct(o.value)}", d, o, declared=d.value,
                           observed=o.value)
        rlo, rhi = bounds(o, rows=True)
        if rlo - tol <= d.value <= rhi + tol:  # rows perhaps lost or added in reading the list could close the gap
            return finding(rule, O.REVIEW, f"{t}：名单序号与识别出的行数不一致，核实值可能在{pct(rlo)}至{pct(rhi)}之间，"
                           f"申报{pct(d.value)}，需人工核对", d, o, declared=d.value, observed=o.value,
                           reason="unreadable_cells")
        if ctx.low(o, d):
            return low_conf_review(rule, t, d, o, declared=d.value, observed=o.value)
        note = f"（{o.note}）" if o.note else ""
        return finding(rule, O.FAIL, f"{t}：申报{pct(d.value)}，名单核实为{pct(o.value)}{note}，相差超过{tol * 100:.0f}个百分点",
                       d, o, declared=d.value, observed=o.value)

    return check


def partners(ctx: RuleContext) -> Finding:
    t = "集聚服务机构数一致"
    d, o = ctx.facts.declared.get("service.partner_institutions"), ctx.facts.observed.get("service.partner_institutions")
    unknown = o.details.get("term_unknown", 0) if o is not None else 0
    if d is not None and o is not None and d.value != o.value and unknown and o.value < d.value <= o.value + unknown:
        return finding("X-PARTNERS", O.REVIEW, f"{t}：申报{d.value}家，可确认于申请日有效的协议{o.value}份，另有{unknown}份合作期限无法辨认",
                       d, o, declared=d.value, observed=o.value, reason="missing_evidence")
    doubtful = weakly_ended(ctx, o) if o is not None else 0
    if d is not None and o is not None and o.value < d.value <= o.value + doubtful:
        return finding("X-PARTNERS", O.REVIEW, f"{t}：申报{d.value}家，可确认于申请日有效的协议{o.value}份；另有{doubtful}份判为"
                       "无效所依据的文字识别置信度低，需人工核对", d, o, declared=d.value, observed=o.value, reason="low_confidence")
    return _equal("X-PARTNERS", t, "service.partner_institutions", lambda a, b: a == b)(ctx)


CONSISTENCY_RULES = (
    Rule("X-NAME", BOTH, name, "申请单位名称一致"),
    Rule("X-USCC", BOTH, uscc, "统一社会信用代码一致"),
    Rule("X-ESTABLISHED", BOTH, _equal("X-ESTABLISHED", "成立日期一致", "applicant.established_on", lambda a, b: a == b,
                                       lambda v: v.isoformat()), "成立日期一致"),
    Rule("X-LEGAL-REP", BOTH, _equal("X-LEGAL-REP", "法定代表人一致", "applicant.legal_representative",
                                     lambda a, b: norm_person_name(a) == norm_person_name(b),
                                     misread=lambda a, b: lookalike_typo(norm_person_name(a), norm_person_name(b))),
         "法定代表人一致"),
    Rule("X-SMES", CERT, smes, "年服务中小微企业数一致"),
    Rule("X-SMALL-MICRO", CERT, _share("X-SMALL-MICRO", "小微企业占比一致", "service.small_micro_share"), "小微企业占比一致"),
    Rule("X-PUBLIC-WELFARE", CERT, _share("X-PUBLIC-WELFARE", "公益性服务比例一致", "service.public_welfare_share"),
         "公益性服务比例一致"),
    Rule("X-PARTNERS", CERT, partners, "集聚服务机构数一致"),
)
