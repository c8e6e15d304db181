"""Content of each material as abstract blocks (headings, paragraphs, tables), shared by all renderers."""
from __future__ import annotations

import random

from . import fmt as F
from .blocks import Doc, Heading, PageBreak, Para, Seal, Signature, Table
from .model import CATEGORIES, Kind, PackageSpec

FORM_TITLE = "宁波市中小企业公共服务平台培育认定申请表"


def _lab(spec: PackageSpec, key: str, default: str) -> str:
    return spec.variants.labels.get(key, default)


def form(spec: PackageSpec, rng: random.Random) -> Doc:
    v, f, lic = spec.variants, spec.form, spec.licence
    d = lambda x: F.date(x, v.date)  # noqa: E731
    kind = "认定" if spec.kind is Kind.CERTIFICATION else "入库培育"
    intro = (f"{f.name}是一家面向中小微企业提供{'、'.join(spec.categories)}等服务的专业服务机构，现有专职服务人员"
             f"{f.staff_count}人，服务场地{f.area_m2}平方米，已建立线上线下相结合的服务体系。")
    fields = [
        (_lab(spec, "name", "申请单位名称"), f.name, True),
        (_lab(spec, "uscc", "统一社会信用代码"), f.uscc, False), (_lab(spec, "legal_rep", "法定代表人"), f.legal_rep, False),
        ("单位地址", f.address, True),
        (_lab(spec, "established", "成立日期"), d(f.established_on), False), ("注册资本", f"{lic.capital_wan}万元", False),
        ("联系人", f.contact, False), ("联系电话", f.phone, False),
        ("申请类别", F.checks(["入库培育", "认定"], {kind}, v.check), True),
        ("服务类别", F.checks(CATEGORIES[:4], set(spec.categories), v.check) + "\n" +
         F.checks(CATEGORIES[4:], set(spec.categories), v.check), True),
        (_lab(spec, "smes", "年服务中小微企业数"), F.num(f.smes_served, v.num), False),
        (_lab(spec, "small_micro", "小微企业占比"), F.ratio(f.small_micro_share, v.ratio)[0], False),
        (_lab(spec, "pw", "公益性服务比例"), F.ratio(f.public_welfare_share, v.ratio)[0], False),
        (_lab(spec, "partners", "集聚服务机构数"), F.num(f.partner_institutions, v.num), False),
        ("专职服务人员数", F.num(f.staff_count, v.num, "人"), False), ("场地面积", f"{f.area_m2}平方米", False),
        ("平台简介", intro, True),
    ]
    date_line = Para(f"申请日期：{d(spec.application_date)}", "right")
    blocks: list = [Heading(FORM_TITLE)]
    top = rng.random() < 0.5
    if top:
        blocks.append(date_line)
    if v.form_layout == "paragraph":
        for lab, val, _ in fields:
            blocks.append(Para(f"{lab}：{val}"))
    elif v.form_layout == "grid":
        blocks.append(Table([[lab, val] for lab, val, _ in fields] + [["区县经信部门推荐意见", "\n\n（盖章）\n年　月　日"]],
                            header_rows=0, widths=[1, 3], lines=v.table_lines if v.table_lines != "none" else "grid"))
    else:
        rows, merges, pend = [], [], []
        for lab, val, wide in fields:
            if wide:
                if pend:
                    rows.append(pend + ["", ""])
                    merges.append((len(rows) - 1, 1, len(rows) - 1, 3))
                    pend = []
                rows.append([lab, val, val, val])
                merges.append((len(rows) - 1, 1, len(rows) - 1, 3))
            else:
                pend += [lab, val]
                if len(pend) == 4:
                    rows.append(pend)
                    pend = []
        rows.append(["区县经信部门\n推荐意见", "\n\n（盖章）\n年　月　日", "", ""])
        merges.append((len(rows) - 1, 1, len(rows) - 1, 3))
        blocks.append(Table(rows, header_rows=0, widths=[1.3, 2, 1.3, 2], merges=merges, lines="grid"))
    blocks += [Para(f"申请单位（盖章）：{f.name}", "right"), Seal(lic.name if rng.random() < 0.5 else f.name),
               Para("法定代表人（签字）：", "right")]
    if not top:
        blocks.append(date_line)
    return Doc(FORM_TITLE, blocks)


def client_table(spec: PackageSpec) -> Table:
    v = spec.variants
    size_h = v.client_headers.get("size", "企业规模")
    pw_h = v.client_headers.get("pw", {"yesno": "是否公益/低收费", "feetype": "收费类型", "pwyesno": "公益性服务"}[v.pw_words])
    rows = [["序号", "企业名称", "统一社会信用代码", size_h, "服务内容", "服务日期", "收费金额（元）", pw_h]]
    for i, c in enumerate(spec.clients, 1):
        size = c.size[0] if v.size_words == "short" else c.size
        if v.pw_words == "feetype":
            pw = ("免费" if c.fee == 0 else "低收费") if c.public_welfare else "市场价"
        else:
            pw = "是" if c.public_welfare else "否"
        rows.append([str(i), c.name, c.uscc, size, c.service, F.date(c.date, v.list_date), str(c.fee), pw])
    return Table(rows, 1, [0.5, 3, 2.2, 0.8, 1.3, 1.3, 1, 1], lines=v.table_lines, repeat_header=v.repeat_header)


def clients(spec: PackageSpec, rng: random.Random) -> Doc:
    y = spec.service_year
    title = f"{y}年服务企业明细表" if rng.random() < 0.5 else f"{y}年度服务中小微企业名单"
    return Doc(title, [Heading(title), Para(f"填报单位：{spec.licence.name}　　统计期间：{y}年1月1日至{y}年12月31日"),
                       client_table(spec)])


def report(spec: PackageSpec, rng: random.Random) -> Doc:
    v, f, lic = spec.variants, spec.form, spec.licence
    cert = spec.kind is Kind.CERTIFICATION
    rn = lambda n, u="家": F.num(n, "cn" if v.report_numbers == "cn" else "arabic_unit", u)  # noqa: E731
    title = "宁波市中小企业公共服务平台" + ("认定申请报告" if cert else "入库培育申请报告")
    secs = ["一、建设或运营单位简介", "二、建设和配套公共服务设施情况", "三、整合社会服务资源情况及开展服务情况",
            "四、对中小微企业的公益性服务和优惠措施", "五、运营经济效益和社会效益"]
    b: list = [Heading(title), Para(f"申请单位：{lic.name}", "center"), Para(F.date(spec.application_date, v.date), "center")]
    if v.toc:
        b += [PageBreak(), Heading("目　录", 1)] + [Para(f"{s}{'.' * 20}{i + 2}") for i, s in enumerate(secs)]
        if v.clients_in_report:
            b.append(Para(f"附件：服务企业名单{'.' * 20}4"))
        b.append(PageBreak())
    partners = "、".join(a.partner for a in spec.agreements[:5])
    n = spec.report_states_smes or 0
    smc = round(f.small_micro_share * n)
    body = {
        0: [f"{lic.name}成立于{F.date(lic.established_on, v.date)}，注册资本{lic.capital_wan}万元，法定代表人{lic.legal_rep}，"
            f"注册地址位于{lic.address}。公司以“服务中小企业、助力创新发展”为宗旨，主要面向中小微企业提供"
            f"{'、'.join(spec.categories)}等服务。"],
        1: [f"平台现有服务场地{f.area_m2}平方米，设有服务大厅、培训教室及洽谈室，配备服务设施和软件共{len(spec.equipment)}项"
            f"（详见设施设备清单）。现有专职服务人员{len(spec.staff)}人。"],
        2: ([f"平台已与{partners}等{rn(len([a for a in spec.agreements if a.end >= spec.application_date]))}专业服务机构签订合作协议。"]
            if spec.agreements else ["平台正积极对接会计、法律、融资等专业服务机构，逐步整合社会化服务资源。"])
        + [f"{spec.service_year}年度，平台共服务中小微企业{rn(n)}，其中服务小型、微型企业{rn(smc)}，"
           f"占服务企业总数的{F.ratio(f.small_micro_share, 'pct')[0]}。"]
        + ([f"平台自成立以来累计服务企业{rn(spec.cumulative_smes)}，累计开展各类服务活动{rn(spec.cumulative_smes // 2, '场')}。"]
           if spec.cumulative_smes else []),
        3: [f"平台对小型微型企业的收费服务给予优惠，{spec.service_year}年公益性或低收费服务占总服务量的"
            f"{F.ratio(f.public_welfare_share, 'pct1')[0]}。"],
        4: [f"{spec.service_year}年平台实现服务收入{rng.randint(80, 900)}万元，服务企业满意度达到{rng.randint(88, 98)}%。"],
    }
    for i, s in enumerate(secs):
        b.append(Heading(s, 1))
        b += [Para(t, indent=True) for t in body[i]]
    b += [Para("特此申请。", indent=True), Para(lic.name, "right"), Para(F.date(spec.application_date, v.date), "right")]
    if v.clients_in_report:
        b += [PageBreak(), Heading(f"附件：{spec.service_year}年服务企业名单", 1), client_table(spec)]
    return Doc(title, b)


def premises(spec: PackageSpec, rng: random.Random) -> Doc:
    p, v = spec.premises, spec.variants
    d = lambda x: F.date(x, v.date)  # noqa: E731
    if p.kind == "property":
        rows = [["权利人", p.lessee], ["共有情况", "单独所有"], ["坐落", p.address], ["不动产单元号", f"3302{rng.randint(10**14, 10**15 - 1)}"],
                ["权利类型", "国有建设用地使用权/房屋所有权"], ["用途", "商务金融用地/办公"], ["面积", f"房屋建筑面积{p.area_m2}平方米"],
                ["使用期限", f"{d(p.start)}起至{d(p.start.replace(year=p.start.year + 40))}止"]]
        return Doc("不动产权证书", [Heading("不动产权证书"), Para(f"浙（{p.start.year}）宁波市不动产权第{rng.randint(10**6, 10**7)}号", "center"),
                                     Table(rows, 0, [1, 3], lines="grid"), Seal("宁波市自然资源和规划局")])
    term = rng.choice([f"租赁期限自{d(p.start)}起至{d(p.end)}止。",
                       f"租赁期限：{d(p.start)}至{d(p.end)}。",
                       f"租赁期限为{round((p.end - p.start).days / 365.25)}年，自{d(p.start)}起至{d(p.end)}止。"])
    b = [Heading("房屋租赁合同"), Para(f"出租方（甲方）：{p.lessor}"), Para(f"承租方（乙方）：{p.lessee}"),
         Para("甲乙双方经友好协商，就乙方租用甲方房屋事宜达成如下协议：", indent=True),
         Para(f"第一条　甲方将位于{p.address}的房屋出租给乙方作为办公及服务场所使用，建筑面积{p.area_m2}平方米。", indent=True),
         Para(f"第二条　{term}", indent=True),
         Para(f"第三条　年租金人民币{p.rent_yuan}元，按季度支付，乙方应于每季度首月10日前支付当季租金。", indent=True),
         Para("第四条　租赁期间，乙方应合理使用房屋及其附属设施，不得擅自改变房屋用途。", indent=True),
         Para("第五条　本合同一式两份，甲乙双方各执一份，自双方签字盖章之日起生效。", indent=True),
         Para(f"甲方（盖章）：{p.lessor}"), Seal(p.lessor), Para(f"乙方（盖章）：{p.lessee}"), Seal(p.lessee),
         Para(f"签订日期：{d(p.start)}")]
    return Doc("房屋租赁合同", b)


def equipment(spec: PackageSpec, rng: random.Random) -> Doc:
    rows = [["序号", "设备/设施名称", "规格型号", "数量", "单位", "购置日期", "金额（万元）", "用途"]]
    for i, e in enumerate(spec.equipment, 1):
        rows.append([str(i), e.name, e.model, str(e.qty), e.unit, F.date(e.bought, spec.variants.list_date),
                     f"{e.amount_wan:.2f}", e.purpose])
    rows.append(["合计", "", "", "", "", "", f"{sum(e.amount_wan for e in spec.equipment):.2f}", ""])
    t = "主要服务设施、软件或仪器设备清单"
    return Doc(t, [Heading(t), Para(f"填报单位：{spec.licence.name}"),
                   Table(rows, 1, [0.5, 2, 2, 0.6, 0.6, 1.3, 1, 1.2], [(len(rows) - 1, 0, len(rows) - 1, 5)],
                         lines=spec.variants.table_lines)])


def staff(spec: PackageSpec, rng: random.Random) -> Doc:
    rows = [["序号", "姓名", "职务", "职称", "学历", "联系电话"]]
    rows += [[str(i), s.name, s.role, s.title, s.education, s.phone] for i, s in enumerate(spec.staff, 1)]
    t = "管理人员和专业人员名单"
    return Doc(t, [Heading(t), Para(f"填报单位：{spec.licence.name}"),
                   Table(rows, 1, [0.6, 1.2, 1.4, 1.4, 1, 1.8], lines=spec.variants.table_lines,
                         repeat_header=spec.variants.repeat_header)])


def agreement_blocks(spec: PackageSpec, i: int, rng: random.Random) -> list:
    a, lic, v = spec.agreements[i], spec.licence, spec.variants
    d = lambda x: F.date(x, v.date)  # noqa: E731
    yrs = round((a.end - a.start).days / 365)
    term = rng.choice([f"本协议有效期自{d(a.start)}起至{d(a.end)}止。期满双方无异议的，可另行续签。",
                       f"合作期限：{d(a.start)}至{d(a.end)}。", f"合作期限为{F.cn_int(yrs)}年，自{d(a.start)}起至{d(a.end)}止。"])
    return [Heading(rng.choice(["战略合作协议书", "合作协议", "服务合作协议"])),
            Para(f"甲方：{lic.name}"), Para(f"统一社会信用代码：{lic.uscc}"), Para(f"地址：{lic.address}"),
            Para(f"乙方：{a.partner}"), Para(f"统一社会信用代码：{a.partner_uscc}"),
            Para("为充分整合社会化服务资源，提升中小微企业公共服务能力，甲乙双方经友好协商，达成如下协议：", indent=True),
            Heading("一、合作内容", 1),
            Para(f"乙方作为甲方服务平台的集聚服务机构，入驻甲方服务平台，为平台服务的中小微企业提供{a.service}服务。", indent=True),
            Heading("二、服务收费", 1), Para("乙方对通过甲方平台对接的小型微型企业给予优惠，收费不高于市场价格的八折。", indent=True),
            Heading("三、合作期限", 1), Para(term, indent=True),
            Para(f"甲方（盖章）：{lic.name}"), Seal(lic.name), Para(f"乙方（盖章）：{a.partner}"), Seal(a.partner),
            Para(f"日期：{d(a.signed)}")]


def agreements(spec: PackageSpec, idx: tuple[int, ...], rng: random.Random) -> Doc:
    b: list = []
    for k, i in enumerate(idx):
        if k:
            b.append(PageBreak())
        b += agreement_blocks(spec, i, rng)
    return Doc("合作协议", b)


def selfeval(spec: PackageSpec, rng: random.Random) -> Doc:
    v, lic = spec.variants, spec.licence
    n = spec.selfeval_states_smes or 0
    rn = F.num(n, "cn" if v.report_numbers == "cn" else "arabic_unit")
    b = [Heading("服务成效自评报告"), Para(f"（{lic.name}）", "center"), Heading("一、总体情况", 1),
         Para(f"{spec.service_year}年，我单位围绕中小微企业发展需求，持续完善服务体系，全年共服务中小微企业{rn}，"
              f"组织各类服务活动{rng.randint(20, 80)}场，企业满意度{rng.randint(900, 985) / 10}%。", indent=True),
         Heading("二、主要成效", 1),
         Para("一是服务能力持续提升；二是资源整合成效明显；三是公益服务覆盖面扩大。", indent=True),
         Heading("三、存在不足及下一步打算", 1),
         Para("平台在服务数字化、服务产品标准化等方面仍有不足，下一步将扩大服务覆盖面，提升服务质量。", indent=True)]
    if spec.target_smes:
        b += [Para(f"{spec.service_year + 2}年度工作目标如下：", indent=True),
              Table([["指标", "下年度目标"], ["服务企业数", F.num(spec.target_smes, "arabic_unit")],
                     ["开展服务活动", f"{rng.randint(40, 90)}场"], ["企业满意度", "95%"]], 1, [2, 2], lines="grid")]
    b += [Para(lic.name, "right"), Para(F.date(spec.application_date, v.date), "right")]
    return Doc("服务成效自评报告", b)


def declaration(spec: PackageSpec, rng: random.Random) -> Doc:
    lic = spec.licence
    t = rng.choice(["真实性声明", "申请材料真实性声明", "真实性承诺书"])
    return Doc(t, [Heading(t), Para("宁波市经济和信息化局："),
                   Para("本单位郑重声明：本次申报宁波市中小企业公共服务平台所提交的全部申请材料内容真实、准确、完整，"
                        "复印件与原件一致，不存在虚假记载、误导性陈述或重大遗漏。", indent=True),
                   Para("本单位对所提交材料的真实性负责，如有虚假，愿承担由此产生的一切法律责任。", indent=True),
                   Para("特此声明。", indent=True), Para(f"申请单位（盖章）：{lic.name}", "right"), Seal(lic.name),
                   Para("法定代表人（签字）：", "right"), Signature(lic.legal_rep),
                   Para(f"日期：{F.date(spec.application_date, spec.variants.date)}", "right")])


TEXT_DOCS = {"form": form, "report": report, "clients": clients, "premises": premises, "equipment": equipment,
             "staff": staff, "selfeval": selfeval, "declaration": declaration}
