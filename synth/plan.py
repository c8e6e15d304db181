"""Random choices and planted defects -> a PackageSpec (what is true about one package)."""
from __future__ import annotations

import datetime as dt
import random

from . import names as N
from .layout import choose_docs, choose_variants
from .model import (
    CATEGORIES,
    MATERIAL_RULE,
    Agreement,
    ClientRow,
    Company,
    Defect,
    Equipment,
    FormValues,
    Kind,
    PackageSpec,
    Premises,
    Profile,
    Staff,
)

# id -> (rules, note, certification only)
DEFECTS = {
    "served_count_mismatch": (("X-SMES",), "declared served SMEs differ from the distinct clients listed", True),
    "too_few_clients": (("E-SMES",), "fewer than 20 distinct clients in the list", True),
    "small_micro_low": (("E-SMALL-MICRO",), "small and micro clients below 50% of distinct clients", True),
    "small_micro_declared_off": (("X-SMALL-MICRO",), "declared small/micro share more than 1 pt off the list", True),
    "public_welfare_low": (("E-PUBLIC-WELFARE", "X-PUBLIC-WELFARE"),
                           "public-welfare/low-fee share from the list below 20% while declared >= 20%", True),
    "partners_expired": (("E-PARTNERS", "X-PARTNERS"), "one of 5 agreements expired before the application date: 4 valid",
                         True),
    "uscc_form_typo": (("X-USCC",), "USCC on the form differs from the licence (wrong character); licence is valid", False),
    "name_mismatch": (("X-NAME",), "applicant name on the form differs from the licence by characters", False),
    "legal_rep_mismatch": (("X-LEGAL-REP",), "legal representative on the form differs from the licence", False),
    "established_mismatch": (("X-ESTABLISHED",), "成立日期 on the form differs from the licence", False),
    "too_young": (("E-AGE",), "registered less than one year before the application date", True),
    "lease_expired": (("E-PREMISES",), "lease ended before the application date", False),
    "lessee_other": (("E-PREMISES",), "the lessee on the lease is a different company", False),
    "missing_material": ((), "a required material is missing from the package", False),
    "outside_ningbo": (("E-NINGBO",), "address outside Ningbo and USCC area code not 3302xx", False),
}
EXCLUSIVE = [{"served_count_mismatch", "too_few_clients"}, {"small_micro_low", "small_micro_declared_off"},
             {"lease_expired", "lessee_other"}, {"too_young", "established_mismatch"}]
START, END = dt.date(2019, 1, 1), dt.date(2024, 12, 31)


def _day(rng: random.Random, a: dt.date, b: dt.date) -> dt.date:
    return a + dt.timedelta(days=rng.randint(0, max(0, (b - a).days)))


def _years(d: dt.date, n: int) -> dt.date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


def pick_defects(rng: random.Random, kind: Kind) -> list[str]:
    if rng.random() < 0.3:
        return []
    pool = [k for k, v in DEFECTS.items() if kind is Kind.CERTIFICATION or not v[2]]
    chosen: list[str] = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        cands = [d for d in pool if d not in chosen and not any(d in g and g & set(chosen) for g in EXCLUSIVE)]
        if cands:
            chosen.append(rng.choice(cands))
    return chosen


def _company(rng, app: dt.date, area: str, young: bool) -> Company:
    est = app - dt.timedelta(days=rng.randint(60, 330)) if young else _day(rng, app.replace(year=app.year - 15),
                                                                              app - dt.timedelta(days=500))
    name = rng.choice(["宁波", "宁波市", "宁波"]) + N.trade(rng) + rng.choice(N.PLATFORM_TRADES) + "有限公司"
    if area in N.OTHER_AREAS:
        name = N.OTHER_AREAS[area][0][:-1] + name[name.index("波") + 1:].lstrip("市")
    term = None if rng.random() < 0.5 else _years(est, rng.choice([20, 30])) - dt.timedelta(days=1)
    return Company(name, N.make_uscc(rng, area), N.person(rng), N.address(rng, area), est,
                   rng.choice([100, 200, 300, 500, 1000, 3000]), term)


def _clients(rng, year: int, n: int, sm_share: float, pw_share: float, dup: bool, not_before: dt.date):
    k_sm = min(n, max(0, round(sm_share * n)))
    sizes = ["小型" if rng.random() < 0.6 else "微型" for _ in range(k_sm)]
    sizes += [rng.choice(["中型", "中型", "中型", "大型"]) for _ in range(n - k_sm)]
    rng.shuffle(sizes)
    seen: set[str] = set()
    base = []
    for s in sizes:
        area = rng.choice([a for a in N.NINGBO_AREAS if a != "330201"])
        uscc = N.make_uscc(rng, area)
        nm = N.client_name(rng, area)
        while nm in seen:
            nm = N.client_name(rng, area)
        seen.add(nm)
        base.append((nm, uscc, s))
    if dup:
        base.insert(rng.randrange(len(base) // 2, len(base)), rng.choice(base[: len(base) // 2]))
    rows_n = len(base)
    k_pw = min(rows_n, max(0, round(pw_share * rows_n)))
    pw_flags = [True] * k_pw + [False] * (rows_n - k_pw)
    rng.shuffle(pw_flags)
    lo = max(dt.date(year, 1, 1), not_before)
    dates = sorted(_day(rng, lo, dt.date(year, 12, 31)) for _ in range(rows_n))
    rows = []
    for (nm, uscc, s), pw, d in zip(base, pw_flags, dates):
        fee = rng.choice([0, 0, 200, 300, 500, 800]) if pw else rng.choice([1500, 2000, 2800, 3600, 4500, 5000, 12000])
        rows.append(ClientRow(nm, uscc, s, rng.choice(N.SERVICES), d, fee, pw))
    return tuple(rows)


def _agreements(rng, app: dt.date, n_valid: int, n_expired: int) -> tuple[Agreement, ...]:
    kinds = rng.sample(N.PARTNER_KINDS, n_valid + n_expired)
    out = []
    for i, (tpl, prefix) in enumerate(kinds):
        nm = tpl.format(t=N.trade(rng))
        nm = nm if nm.startswith(("宁波", "浙江")) else "宁波" + nm
        area = "330200" if prefix[0] in "35" or prefix == "12" else rng.choice(list(N.NINGBO_AREAS))
        yrs = rng.choice([2, 3, 3, 5])
        if i < n_valid:
            end_min = app + dt.timedelta(days=30)
            start = _day(rng, max(end_min - dt.timedelta(days=365 * yrs - 10), app - dt.timedelta(days=365 * 3)),
                         app - dt.timedelta(days=20))
        else:
            start = _day(rng, app - dt.timedelta(days=365 * yrs + 400), app - dt.timedelta(days=365 * yrs + 20))
        end = _years(start, yrs) - dt.timedelta(days=1)
        signed = start - dt.timedelta(days=rng.randint(0, 12))
        out.append(Agreement(nm, N.make_uscc(rng, area, prefix), start, end, signed,
                             rng.choice(["财务咨询及代理记账", "法律咨询", "融资对接及担保咨询", "知识产权代理", "工业设计",
                                         "人才招聘与培训", "检验检测", "信息化建设"])))
    rng.shuffle(out)
    return tuple(out)


def _ratio(x: float, digits: int = 4) -> float:
    return round(x, digits)


def make_spec(rng: random.Random, pid: str, seed: int, profile: Profile, scanned_share: float,
              force: dict | None = None) -> PackageSpec:
    force = force or {}
    kind = force.get("kind") or (Kind.CERTIFICATION if rng.random() < 0.7 else Kind.CULTIVATION)
    cert = kind is Kind.CERTIFICATION
    app = _day(rng, START, END)
    defects = force["defects"] if "defects" in force else pick_defects(rng, kind)
    traps: list[str] = []
    area = rng.choice(list(N.OTHER_AREAS)) if "outside_ningbo" in defects else rng.choice(
        [a for a in N.NINGBO_AREAS if a != "330201"])
    lic = _company(rng, app, area, "too_young" in defects)
    if lic.term_end is None:
        traps.append("licence 营业期限 长期")
    year = app.year - 1
    dup = cert and rng.random() < 0.25
    clients: tuple[ClientRow, ...] = ()
    agreements: tuple[Agreement, ...] = ()
    sm_decl = _ratio(rng.uniform(0.55, 0.92))
    pw_decl = _ratio(rng.uniform(0.22, 0.7))
    smes_decl = rng.randint(5, 30)
    partners_decl = rng.randint(0, 3)
    if cert:
        n = rng.randint(8, 19) if "too_few_clients" in defects else rng.randint(22, 60 if profile is Profile.FULL else 34)
        sm = rng.uniform(0.22, 0.45) if "small_micro_low" in defects else rng.uniform(0.56, 0.9)
        pw = rng.uniform(0.04, 0.17) if "public_welfare_low" in defects else rng.uniform(0.24, 0.7)
        clients = _clients(rng, year, n, sm, pw, dup, lic.established_on)
        distinct = {c.uscc: c for c in clients}
        n_d = len(distinct)
        sm_true = sum(c.size in ("小型", "微型") for c in distinct.values()) / n_d
        pw_true = sum(c.public_welfare for c in clients) / len(clients)
        smes_decl = n_d
        if "served_count_mismatch" in defects:
            smes_decl = n_d + rng.choice([-1, 1]) * rng.randint(3, 15)
        elif "too_few_clients" in defects and rng.random() < 0.5:
            smes_decl = rng.randint(20, 35)
        sm_decl = _ratio(sm_true)
        if "small_micro_declared_off" in defects:
            sm_decl = _ratio(min(0.98, sm_true + rng.uniform(0.02, 0.1)) if sm_true < 0.7 else sm_true - rng.uniform(0.02, 0.1))
        elif "small_micro_low" in defects and rng.random() < 0.5:
            sm_decl = _ratio(rng.uniform(0.52, 0.7))
            defects = defects + ["_sm_low_declared_high"]
        pw_decl = _ratio(rng.uniform(0.22, 0.4)) if "public_welfare_low" in defects else _ratio(pw_true)
        n_valid = 4 if "partners_expired" in defects else rng.choice([5, 5, 6, 7])
        n_exp = 1 if "partners_expired" in defects else (1 if rng.random() < 0.2 else 0)
        if n_exp and "partners_expired" not in defects:
            traps.append("an expired agreement beside enough valid ones")
        agreements = _agreements(rng, app, n_valid, n_exp)
        partners_decl = 5 if "partners_expired" in defects else n_valid
        if dup:
            traps.append("one client listed twice (two services, same USCC): distinct clients count once")
    fv_name = N.alter_name(rng, lic.name) if "name_mismatch" in defects else lic.name
    fv_uscc = N.typo_uscc(rng, lic.uscc) if "uscc_form_typo" in defects else lic.uscc
    fv_rep = lic.legal_rep
    while "legal_rep_mismatch" in defects and fv_rep == lic.legal_rep:
        fv_rep = N.person(rng)
    fv_est = lic.established_on
    if "established_mismatch" in defects:
        fv_est = rng.choice([fv_est.replace(day=1 if fv_est.day != 1 else 2),
                             _years(fv_est, rng.choice([-1, 1])), fv_est + dt.timedelta(days=rng.randint(5, 90))])
    # premises
    start = _day(rng, max(lic.established_on, app - dt.timedelta(days=365 * 4)), app - dt.timedelta(days=30))
    yrs = rng.choice([2, 3, 5])
    if "lease_expired" in defects:
        end = app - dt.timedelta(days=rng.randint(10, 300))
        start = _years(end, -yrs) + dt.timedelta(days=1)
    else:
        end = _years(start, yrs) - dt.timedelta(days=1)
        while end <= app + dt.timedelta(days=20):
            end = _years(end, 1)
    lessee = lic.name
    if "lessee_other" in defects:
        lessee = "宁波" + N.trade(rng) + rng.choice(["投资控股有限公司", "实业有限公司", "物业管理有限公司"])
    prop = "lease_expired" not in defects and "lessee_other" not in defects and rng.random() < 0.15
    area_m2 = rng.choice([120, 180, 260, 300, 420, 600, 850, 1200])
    prem = Premises("property" if prop else "lease",
                    lic.name if prop else "宁波" + N.trade(rng) + rng.choice(["置业有限公司", "物业管理有限公司", "科技园开发有限公司"]),
                    lessee, lic.address, area_m2,
                    start, None if prop else end, area_m2 * rng.choice([30, 40, 45, 60]) * 12)
    staff = tuple(Staff(N.person(rng), rng.choice(["总经理", "副总经理", "服务部经理", "咨询师", "培训师", "项目专员", "财务主管"]),
                        rng.choice(["高级工程师", "工程师", "经济师", "会计师", "助理工程师", "无"]),
                        rng.choice(["博士", "硕士", "本科", "本科", "大专"]), f"13{rng.randint(100000000, 999999999)}")
                  for _ in range(rng.randint(8, 22)))
    eq_pool = [("服务器", "DELL PowerEdge R740", "台"), ("台式计算机", "联想 启天M428", "台"), ("笔记本电脑", "ThinkPad E14", "台"),
               ("网络交换机", "华为 S5735", "台"), ("投影仪", "爱普生 CB-X50", "台"), ("视频会议系统", "华为 TE30", "套"),
               ("服务平台管理软件", "V2.0", "套"), ("客户关系管理系统", "V3.1", "套"), ("打印复印一体机", "理光 MP 2555SP", "台"),
               ("防火墙", "深信服 AF-1000", "台"), ("检测仪器", "Keysight 34465A", "台"), ("LED显示屏", "P2.5", "块")]
    equipment = tuple(Equipment(a, b, rng.choice([1, 2, 5, 10, 20]), c, _day(rng, app - dt.timedelta(days=1800), app),
                                round(rng.uniform(0.8, 60), 2), rng.choice(["办公", "培训服务", "咨询服务", "服务平台运行", "路演活动"]))
                      for a, b, c in rng.sample(eq_pool, rng.randint(5, 10)))
    form = FormValues(fv_name, fv_uscc, fv_rep, lic.address, fv_est, smes_decl, sm_decl, pw_decl, partners_decl,
                      len(staff), area_m2, N.person(rng), f"0574-{rng.randint(55000000, 89999999)}")
    cats = tuple(sorted(rng.sample(CATEGORIES, rng.randint(1, 4)), key=CATEGORIES.index))
    variants = choose_variants(rng, cert)
    if variants.cumulative_distractor:
        traps.append("report states a cumulative figure (累计服务企业) beside the annual count")
    if variants.selfeval_target_table:
        traps.append("self-evaluation has a next-year target table (下年度目标服务企业)")
    if variants.merged_agreements:
        traps.append("one agreement file holds two agreements")
    if variants.clients_in_report:
        traps.append("client list at the end of the application report")
    missing = None
    if "missing_material" in defects:
        pool = ["equipment", "staff", "declaration"] + (["qualification", "selfeval"] if cert else [])
        if not variants.clients_in_report:
            pool.append("report")
        missing = rng.choice(pool)
    docs = choose_docs(rng, cert, variants, agreements, profile, scanned_share, missing, pid)
    real = [d for d in defects if not d.startswith("_")]
    dobjs = []
    for d in real:
        rules, note, _ = DEFECTS[d]
        if d == "missing_material":
            rules, note = (MATERIAL_RULE[missing],), f"the {missing} material is missing"
        if d == "too_few_clients" and smes_decl != len({c.uscc for c in clients}):
            rules, note = ("E-SMES", "X-SMES"), note + "; the form declares more"
        if d == "small_micro_low" and "_sm_low_declared_high" in defects:
            rules, note = ("E-SMALL-MICRO", "X-SMALL-MICRO"), note + "; the form declares >= 50%"
        if d == "lessee_other":
            rules = ("E-PREMISES", "X-NAME?")
        dobjs.append(Defect(d, tuple(rules), note))
    if cert and not real:
        traps.append("clean certification package")
    report_smes = smes_decl
    delivery = rng.choices(["folder", "zip", "zip_gbk"], [0.6, 0.2, 0.2])[0]
    return PackageSpec(
        id=pid, seed=seed, profile=profile, kind=kind, application_date=app, delivery=delivery, licence=lic, form=form,
        categories=cats, clients=clients, agreements=agreements, premises=prem, staff=staff, equipment=equipment,
        report_states_smes=report_smes, selfeval_states_smes=smes_decl if cert else None,
        cumulative_smes=(max(smes_decl * rng.randint(3, 8), 120) if variants.cumulative_distractor else None),
        target_smes=(smes_decl + rng.randint(15, 40) if variants.selfeval_target_table else None),
        service_year=year, variants=variants, docs=docs, defects=tuple(dobjs), traps=tuple(traps), hard=False)

