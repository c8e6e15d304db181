"""Presentation choices: label synonyms, value styles, formats, fonts and file names of each document."""
from __future__ import annotations

import random

from .model import DocPlan, Profile, Variants

FONT_FAMILIES = ["wqy-zenhei", "wqy-microhei", "noto-sans", "noto-serif", "uming", "ukai"]
PDF_FONTS = ["wqy-zenhei", "wqy-microhei", "uming", "ukai"]  # reportlab cannot embed CFF (Noto) outlines
LABELS = {
    "name": ["申请单位名称", "单位名称", "机构名称"],
    "uscc": ["统一社会信用代码", "社会信用代码", "信用代码"],
    "legal_rep": ["法定代表人", "法人代表"],
    "established": ["成立日期", "注册日期", "成立时间"],
    "smes": ["年服务中小微企业数", "上年度服务中小微企业数量", "服务企业数"],
    "small_micro": ["小微企业占比", "小型微型企业占比"],
    "pw": ["公益性服务比例", "公益性或低收费服务占比"],
    "partners": ["集聚服务机构数", "合作服务机构数量"],
}
SIZE_HEADERS = ["企业规模", "规模", "企业类型（大中小微）"]
PW_HEADERS = {"yesno": ["是否公益/低收费", "是否公益性或低收费"], "feetype": ["收费类型"], "pwyesno": ["公益性服务"]}
TITLES = {
    "form": ["培育认定申请表", "宁波市中小企业公共服务平台培育认定申请表", "申请表"],
    "report": ["申请报告", "认定申请报告", "入库培育申请报告"],
    "clients": ["服务企业名单", "服务企业明细表", "上年度服务中小微企业名单"],
    "licence": ["营业执照", "营业执照副本", "营业执照复印件"],
    "premises": ["租赁合同", "房屋租赁合同", "场地证明"],
    "equipment": ["设施设备清单", "服务设施设备清单", "主要服务设施、软件或仪器设备清单"],
    "staff": ["人员名单", "管理人员和专业人员名单", "服务人员名单"],
    "agreements": ["合作协议", "战略合作协议"],
    "selfeval": ["服务成效自评报告", "自评报告"],
    "qualification": ["资质证书", "从业资质证明", "质量管理体系认证证书"],
    "declaration": ["真实性声明", "申请材料真实性声明", "真实性承诺书"],
}
EXT = {"docx": ".docx", "pdf": ".pdf", "xlsx": ".xlsx", "photo": ".jpg", "tiff": ".tif", "scan": ".pdf",
       "scanpdf": ".pdf", "jpg": ".jpg", "png": ".png"}


def fmt_ext(fmt: str) -> str:
    base = fmt.rstrip("0123456789")
    return EXT[base]


def choose_variants(rng: random.Random, cert: bool) -> Variants:
    fonts = tuple(rng.sample(FONT_FAMILIES, rng.choice([1, 2, 2, 3])))
    labels = {k: rng.choice(v) for k, v in LABELS.items() if rng.random() < 0.6}
    pw_words = rng.choice(["yesno", "yesno", "feetype", "pwyesno"])
    client_headers = {}
    if rng.random() < 0.5:
        client_headers["size"] = rng.choice(SIZE_HEADERS[1:])
    if pw_words != "yesno" or rng.random() < 0.3:
        client_headers["pw"] = rng.choice(PW_HEADERS[pw_words])
    return Variants(
        fonts=fonts, labels=labels,
        num=rng.choice(["arabic", "arabic_unit", "arabic_unit", "cn", "fullwidth"]),
        ratio=rng.choice(["pct", "pct", "pct1", "decimal", "cn"]),
        date=rng.choice(["iso", "cn", "dot", "slash", "cn_numeral"]),
        report_numbers=rng.choice(["arabic_unit", "arabic_unit", "cn"]),
        check=rng.choice(["☑□", "☑□", "■□", "√", "[√]"]),
        file_names=rng.choice(["meaningful", "numbered", "numbered_dot", "scan", "phone", "hex"]),
        table_lines=rng.choice(["grid", "grid", "hrules", "none"]),
        repeat_header=rng.random() < 0.6,
        form_layout=rng.choice(["pairs", "pairs", "grid", "paragraph"]),
        size_words=rng.choice(["std", "std", "short"]),
        pw_words=pw_words,
        list_date=rng.choice(["iso", "cn", "dot"]),
        client_headers=client_headers,
        toc=rng.random() < 0.25,
        cumulative_distractor=cert and rng.random() < 0.3,
        selfeval_target_table=cert and rng.random() < 0.3,
        xlsx_total_row=rng.random() < 0.5,
        merged_agreements=cert and rng.random() < 0.2,
        clients_in_report=cert and rng.random() < 0.2,
    )


def _text_format(rng: random.Random, profile: Profile, share: float, material: str) -> str:
    quick = profile is Profile.QUICK
    if rng.random() < (share * (0.5 if quick else 1.0)):
        dpi = rng.choice([150, 200] if quick else [150, 200, 200, 300])
        kinds = ["scan", "scan", "scan", "jpg", "png", "photo"] + ([] if quick else ["tiff"])
        k = rng.choice(kinds)
        return "photo" if k == "photo" else f"{k}{dpi}"
    if material == "clients" and rng.random() < 0.35:
        return "xlsx"
    return rng.choice(["docx", "pdf"])


def _image_format(rng: random.Random, profile: Profile) -> str:
    quick = profile is Profile.QUICK
    dpi = rng.choice([150, 200] if quick else [150, 200, 300])
    return rng.choice(["jpg", "png", f"scanpdf{dpi}", "photo", "jpg"])


def _name(rng, style: str, n: int, sub: int | None, title: str, fmt: str, used: set[str]) -> str:
    ext = fmt_ext(fmt)
    image = ext in (".jpg", ".png", ".tif") or fmt.startswith(("scan", "scanpdf"))
    num = f"{n}-{sub}" if sub else str(n)
    if style == "numbered":
        stem = f"附件{num}-{title}"
    elif style == "numbered_dot":
        stem = f"{num}.{title}"
    elif style == "scan" and image:
        stem = f"scan{len(used) + 1:04d}"
    elif style == "phone" and fmt == "photo":
        stem = f"IMG_{rng.randint(2019, 2024)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}_{rng.randint(800, 2200):04d}"
    elif style == "hex":
        stem = "%012x" % rng.getrandbits(48)
    else:
        stem = title
    name = stem + ext
    k = 2
    while name in used:
        name = f"{stem}({k}){ext}"
        k += 1
    used.add(name)
    return name


def choose_docs(rng: random.Random, cert: bool, v: Variants, agreements, profile: Profile, share: float,
                missing: str | None, pid: str) -> tuple[DocPlan, ...]:
    order = ["form", "report"] + (["clients"] if cert and not v.clients_in_report else []) + \
        ["licence", "premises", "equipment", "staff"] + (["agreements", "selfeval", "qualification"] if cert else []) + \
        ["declaration"]
    used: set[str] = set()
    docs: list[DocPlan] = []

    def font_for(fmt: str) -> str:
        f = rng.choice(v.fonts)
        if fmt != "docx" and f not in PDF_FONTS:
            pdf_ok = [x for x in v.fonts if x in PDF_FONTS]
            f = rng.choice(pdf_ok) if pdf_ok else "wqy-zenhei"
        return f

    for n, mat in enumerate(order, 1):
        if mat == missing:
            continue
        title = rng.choice(TITLES[mat])
        if mat == "report" and not cert:
            title = rng.choice(["申请报告", "入库培育申请报告"])
        if mat in ("licence", "qualification"):
            fmt = _image_format(rng, profile)
            docs.append(DocPlan((mat,), _name(rng, v.file_names, n, None, title, fmt, used), fmt, rng.choice(v.fonts),
                                exif_rotate=fmt == "photo" and rng.random() < 0.4))
            continue
        if mat == "agreements":
            idx = list(range(len(agreements)))
            groups: list[tuple[int, ...]] = []
            if v.merged_agreements and len(idx) >= 2:
                j = rng.randrange(len(idx) - 1)
                groups = [(i,) for i in idx[:j]] + [(idx[j], idx[j + 1])] + [(i,) for i in idx[j + 2:]]
            else:
                groups = [(i,) for i in idx]
            for sub, g in enumerate(groups, 1):
                fmt = _text_format(rng, profile, share, mat)
                a = agreements[g[0]]
                short = a.partner.replace("宁波市", "").replace("宁波", "").replace("浙江", "").replace("有限公司", "")
                t = rng.choice([f"合作协议{sub}", f"合作协议-{short}", f"{short}合作协议"])
                docs.append(DocPlan(("agreements",), _name(rng, v.file_names, n, sub, t, fmt, used), fmt, font_for(fmt),
                                    agreements=g, exif_rotate=fmt == "photo" and rng.random() < 0.4))
            continue
        fmt = _text_format(rng, profile, share, mat)
        mats = ("report", "clients") if mat == "report" and v.clients_in_report else (mat,)
        if mat == "declaration" and fmt in ("docx",) and rng.random() < 0.5:
            fmt = "pdf"
        docs.append(DocPlan(mats, _name(rng, v.file_names, n, None, title, fmt, used), fmt, font_for(fmt),
                            exif_rotate=fmt == "photo" and rng.random() < 0.4))
    return tuple(docs)
