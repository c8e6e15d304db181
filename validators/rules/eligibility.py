"""E-*: the conditions of Art. 6 (cultivation) and Art. 12 (certification), on observed values."""
from __future__ import annotations

from datetime import date

from extractors.facts.kinds import DocumentKind
from extractors.models import Fact
from extractors.normalize.names import same_org
from extractors.normalize.uscc import validate_uscc
from validators.models import Finding, Outcome
from validators.rules.base import BOTH, CERT, Rule, RuleContext, bounds, finding, low_conf_review, pct, weakly_ended

O = Outcome


def _agrees(declared, observed) -> bool:
    if isinstance(observed, float):
        return abs(float(declared) - observed) <= 0.01 + 1e-9
    return declared == observed


def _declared_only(rule: str, title: str, ctx: RuleContext, name: str) -> Finding:
    d = ctx.facts.declared.get(name)
    if d is not None:
        return finding(rule, O.REVIEW, f"{title}：仅有申报值，未找到可核对的证明材料", d, declared=d.value,
                       reason="declared_only")
    return finding(rule, O.REVIEW, f"{title}：未找到申报值和证明材料", reason="missing_evidence")


def entity(ctx: RuleContext) -> Finding:
    t = "独立法人资格"
    if not ctx.facts.documents_of(DocumentKind.LICENSE):
        return finding("E-ENTITY", O.FAIL, f"{t}：未提交营业执照或法人证书", reason="missing")
    code = ctx.facts.observed.get("applicant.uscc")
    if code is None:
        return finding("E-ENTITY", O.REVIEW, f"{t}：营业执照上未能识别统一社会信用代码", reason="missing_evidence")
    check = validate_uscc(code.value)
    if check.valid:
        return finding("E-ENTITY", O.PASS, f"{t}：营业执照统一社会信用代码{code.value}校验通过", code, observed=code.value)
    if ctx.low(code) or code.details.get("repaired") or ctx.ocr_unsure(code) or len(code.value) != 18:
        return low_conf_review("E-ENTITY", t, code, observed=code.value)
    return finding("E-ENTITY", O.FAIL, f"{t}：营业执照统一社会信用代码{code.value}校验位错误", code, observed=code.value)


def ningbo(ctx: RuleContext) -> Finding:
    t = "在宁波市注册"
    prefix = str(ctx.ruleset.t("ningbo_area_prefix"))
    code = ctx.facts.observed.get("applicant.uscc")
    addr = ctx.facts.observed.get("applicant.address")
    if code is not None and validate_uscc(code.value).valid and code.value[2:6] == prefix:
        return finding("E-NINGBO", O.PASS, f"{t}：信用代码登记管理机关行政区划码{code.value[2:8]}属宁波市", code,
                       observed=code.value[2:8])
    if addr is not None and "宁波" in addr.value:
        return finding("E-NINGBO", O.PASS, f"{t}：住所位于宁波市（{addr.value}）", addr, observed=addr.value)
    if code is None and addr is None:
        return _declared_only("E-NINGBO", t, ctx, "applicant.address")
    if ctx.low(code, addr):
        return low_conf_review("E-NINGBO", t, code, addr)
    where = addr.value if addr is not None else code.value[2:8]
    return finding("E-NINGBO", O.FAIL, f"{t}：信用代码行政区划码与住所均不在宁波市（{where}）", code, addr,
                   observed=where)


def _years_between(a: date, b: date) -> float:
    return (b - a).days / 365.2425


def age(ctx: RuleContext) -> Finding:
    t = "注册运营1年及以上"
    est = ctx.facts.observed.get("applicant.established_on")
    day = ctx.application_date
    if est is None:
        return _declared_only("E-AGE", t, ctx, "applicant.established_on")
    if day is None:
        return finding("E-AGE", O.REVIEW, f"{t}：未能确定申请日期", est, reason="missing_evidence")
    years = int(ctx.ruleset.t("min_years_registered"))
    try:
        anniversary = est.value.replace(year=est.value.year + years)
    except ValueError:  # 29 February
        anniversary = est.value.replace(year=est.value.year + years, day=28)
    ok = anniversary <= day
    declared = ctx.facts.declared.get("applicant.established_on")
    if ctx.low(est) and not (declared is not None and declared.value == est.value):
        return low_conf_review("E-AGE", t, est, observed=est.value)
    msg = f"{t}：成立日期{est.value.isoformat()}，申请日期{day.isoformat()}，已注册{_years_between(est.value, day):.1f}年"
    return finding("E-AGE", O.PASS if ok else O.FAIL, msg, est, observed=est.value)


def category(ctx: RuleContext) -> Finding:
    t = "具备8类服务中至少1类"
    obs = ctx.facts.extra.get("report.categories")
    dec = ctx.facts.declared.get("service.categories")
    need = int(ctx.ruleset.t("min_categories"))
    if obs is not None and len(obs.value) >= need:
        return finding("E-CATEGORY", O.PASS, f"{t}：申请报告载明{'、'.join(obs.value)}", obs, declared=dec and dec.value,
                       observed=obs.value)
    if dec is not None and len(dec.value) >= need:
        return finding("E-CATEGORY", O.REVIEW, f"{t}：申请表勾选{'、'.join(dec.value)}，申请报告中未找到相应服务内容",
                       dec, declared=dec.value, reason="declared_only")
    if not ctx.facts.documents_of(DocumentKind.REPORT) and dec is None:
        return finding("E-CATEGORY", O.REVIEW, f"{t}：未找到申请报告和申请表中的服务类别", reason="missing_evidence")
    return finding("E-CATEGORY", O.FAIL, f"{t}：申请表和申请报告均未载明任何一类服务", dec, obs)


def _minimum(rule: str, t: str, name: str, threshold: str, fmt) -> callable:
    def check(ctx: RuleContext) -> Finding:
        f = ctx.facts.observed.get(name)
        if f is None:
            return _declared_only(rule, t, ctx, name)
        need = ctx.ruleset.t(threshold)
        d = ctx.facts.declared.get(name)
        lo, hi = bounds(f)
        note = f"（{f.note}）" if f.note else ""
        if lo < need <= hi:
            return finding(rule, O.REVIEW, f"{t}：部分行的规模或收费类型无法识别，核实值在{fmt(lo)}至{fmt(hi)}之间{note}，需人工核对",
                           f, declared=d and d.value, observed=f.value, reason="unreadable_cells")
        ok = f.value >= need
        # a weak reading decides nothing on its own; the declared value agreeing with it corroborates it
        corroborated = d is not None and _agrees(d.value, f.value)
        rlo, rhi = bounds(f, rows=True)
        if rlo < need <= rhi and not corroborated:  # rows perhaps lost or added could move it across
            return finding(rule, O.REVIEW, f"{t}：名单序号与识别出的行数不一致，核实值可能在{fmt(rlo)}至{fmt(rhi)}之间{note}，"
                           "需人工核对", f, declared=d and d.value, observed=f.value, reason="unreadable_cells")
        if ctx.low(f) and not corroborated:
            return low_conf_review(rule, t, f, declared=d and d.value, observed=f.value)
        msg = f"{t}：核实值{fmt(f.value)}{note}，要求不低于{fmt(need)}"
        return finding(rule, O.PASS if ok else O.FAIL, msg, f, declared=d and d.value, observed=f.value)

    return check


def premises(ctx: RuleContext) -> Finding:
    t = "固定经营服务场所"
    kind = ctx.facts.extra.get("premises.kind")
    lessee = ctx.facts.observed.get("premises.lessee")
    end = ctx.facts.observed.get("premises.lease_end")
    start = ctx.facts.extra.get("premises.lease_start")
    names = [f for f in (ctx.facts.observed.get("applicant.name"), ctx.facts.declared.get("applicant.name")) if f]
    applicant = next((f for f in names if lessee is not None and same_org(lessee.value, f.value)), names[0] if names else None)
    day = ctx.application_date
    if kind is None:
        return finding("E-PREMISES", O.REVIEW, f"{t}：未找到产权证明或租赁合同", reason="missing_evidence")
    if lessee is None or applicant is None:
        return finding("E-PREMISES", O.REVIEW, f"{t}：未能识别承租方/权利人", kind, reason="missing_evidence")
    if not same_org(lessee.value, applicant.value):
        if ctx.low(lessee):
            return low_conf_review("E-PREMISES", t, lessee, applicant, observed=lessee.value)
        return finding("E-PREMISES", O.FAIL, f"{t}：承租方“{lessee.value}”不是申请单位“{applicant.value}”", lessee,
                       applicant, declared=applicant.value, observed=lessee.value)
    if kind.value == "property":
        return finding("E-PREMISES", O.PASS, f"{t}：产权证明权利人为申请单位", lessee, observed=lessee.value)
    if end is None or day is None:
        return finding("E-PREMISES", O.REVIEW, f"{t}：未能识别租赁期限或申请日期", lessee, reason="missing_evidence")
    covers = end.value >= day and (start is None or start.value <= day)
    if end.details.get("derived_from_length"):
        return finding("E-PREMISES", O.REVIEW, f"{t}：租赁止期无法辨认，按租期推算为{end.value.isoformat()}"
                       f"（{'覆盖' if covers else '未覆盖'}申请日期{day.isoformat()}），需人工核对原件", lessee, start, end,
                       observed=end.value, reason="derived")
    if ctx.low(end, start):
        return low_conf_review("E-PREMISES", t, end, start, observed=end.value)
    span = f"{start.value.isoformat() if start else '?'}至{end.value.isoformat()}"
    if covers:
        return finding("E-PREMISES", O.PASS, f"{t}：租赁期限{span}覆盖申请日期{day.isoformat()}", lessee, start, end,
                       observed=end.value)
    return finding("E-PREMISES", O.FAIL, f"{t}：租赁期限{span}未覆盖申请日期{day.isoformat()}", start, end,
                   observed=end.value)


def partners(ctx: RuleContext) -> Finding:
    f = ctx.facts.observed.get("service.partner_institutions")
    t = "集聚服务机构不少于5家"
    need = int(ctx.ruleset.t("min_partner_institutions"))
    if f is not None and f.value < need:
        if f.details.get("term_unknown"):
            return finding("E-PARTNERS", O.REVIEW, f"{t}：有{f.details['term_unknown']}份协议未能识别合作期限", f,
                           observed=f.value, reason="missing_evidence")
        doubtful = weakly_ended(ctx, f)
        if f.value + doubtful >= need:
            return finding("E-PARTNERS", O.REVIEW, f"{t}：于申请日有效{f.value}家；另有{doubtful}份协议判为无效所依据的文字"
                           "识别置信度低，需人工核对", f, observed=f.value, reason="low_confidence")
        if ctx.low(f) and _weak_only_where_counted(ctx, f):
            d = ctx.facts.declared.get(f.name)
            return finding("E-PARTNERS", O.FAIL, f"{t}：于申请日有效{f.value}家，要求不少于{need}家（识别不确定之处只在已计入的"
                           "协议期限中，实际家数不会更多）", f, declared=d and d.value, observed=f.value)
    return _minimum("E-PARTNERS", t, "service.partner_institutions", "min_partner_institutions", str)(ctx)


def _weak_only_where_counted(ctx: RuleContext, f: Fact) -> bool:
    """Every weak word is in the term of an agreement counted valid: read right, it could only be ended too.
    Agreements judged ended and the counted counterparties' names (two merged into one) were read surely."""
    details = f.details or {}
    if "excluded_conf" not in details:
        return False
    return not any(ctx.weak(c) for c in (details["excluded_conf"], details.get("counted_names_conf")))


ELIGIBILITY_RULES = (
    Rule("E-ENTITY", BOTH, entity, "独立法人资格"),
    Rule("E-NINGBO", BOTH, ningbo, "在宁波市注册"),
    Rule("E-AGE", CERT, age, "注册运营1年及以上"),
    Rule("E-CATEGORY", BOTH, category, "服务类别"),
    Rule("E-SMES", CERT, _minimum("E-SMES", "年服务中小微企业不少于20家", "service.smes_served", "min_smes_served",
                                  lambda v: f"{v}家"), "年服务中小微企业数"),
    Rule("E-SMALL-MICRO", CERT, _minimum("E-SMALL-MICRO", "小微企业户数占比不低于50%", "service.small_micro_share",
                                         "min_small_micro_share", pct), "小微企业占比"),
    Rule("E-PREMISES", BOTH, premises, "经营服务场所"),
    Rule("E-PARTNERS", CERT, partners, "集聚服务机构数"),
    Rule("E-PUBLIC-WELFARE", CERT, _minimum("E-PUBLIC-WELFARE", "公益性或低收费服务不少于总服务量的20%",
                                            "service.public_welfare_share", "min_public_welfare_share", pct),
         "公益性服务比例"),
)
