"""Field labels (with the synonyms applicants use) and a key-value reader over a TextView.

A value runs from its label to the next known label or the end of the row; stopper
labels (fields we do not read, such as 注册资本) exist only to end the value before them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.facts.textview import TextView

FORM_LABELS: dict[str, tuple[str, ...]] = {
    "applicant.name": ("申请单位名称", "申报单位名称", "申请单位全称", "单位名称", "机构名称", "企业名称", "申请主体名称", "运营单位名称"),
    "applicant.uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "applicant.legal_representative": ("法定代表人", "法人代表", "法定代表"),
    "applicant.address": ("单位地址", "注册地址", "通讯地址", "办公地址", "单位住所", "住所", "地址"),
    "applicant.established_on": ("成立日期", "注册日期", "成立时间", "注册时间", "设立日期"),
    "application.kind": ("申请类别", "申报类别", "申请类型", "申报类型"),
    "service.categories": ("服务类别", "服务领域", "服务类型", "服务功能"),
    "service.smes_served": (
        "上年度服务中小微企业数量", "上年度服务中小微企业数", "年服务中小微企业数量", "年服务中小微企业数",
        "年服务中小微企业", "服务中小微企业数量", "服务中小微企业数", "服务企业数量", "服务企业数",
        # the label wraps inside its cell and the value sits between its two parts
        "上年度服务中小微企", "年服务中小微企",
    ),
    "service.small_micro_share": (
        "小型微型企业占比", "小型微型企业比例", "小微企业户数占比", "小微企业占比", "小微企业比例", "小微企业比重",
        "服务小微企业占比", "小型微型企业户数占比", "小型微型企业",
    ),
    "service.public_welfare_share": (
        "公益性或低收费服务占比", "公益性或低收费服务比例", "公益性/低收费服务占比", "公益性服务比例", "公益性服务占比",
        "公益服务比例", "公益性服务比重", "公益性服务量占比",
        # a long label wraps inside its cell: its first part stands alone on the row
        "公益性或低收费服务", "公益性/低收费服务",
        # ... and OCR may lose the row above with the label's first two characters
        "性或低收费服务占比", "性或低收费服务",
    ),
    "service.partner_institutions": (
        "集聚服务机构数量", "集聚服务机构数", "合作服务机构数量", "合作服务机构数", "集聚服务机构", "合作机构数量", "合作机构数",
        "合作服务机构",
    ),
    "application.date": ("申请日期", "填报日期", "申报日期", "填表日期"),
}

LICENCE_LABELS: dict[str, tuple[str, ...]] = {
    "applicant.name": ("名称", "单位名称", "机构名称"),
    "applicant.uscc": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "applicant.legal_representative": ("法定代表人", "负责人", "执行事务合伙人", "法人代表"),
    "applicant.address": ("住所", "主要经营场所", "经营场所", "地址"),
    "applicant.established_on": ("成立日期", "注册日期", "设立日期"),
    "licence.term": ("营业期限", "经营期限", "有效期限", "有效期"),
}

# Labels whose values we do not read, known so that a value stops before them.
STOPPERS: tuple[str, ...] = (
    "注册资本", "开办资金", "类型", "经营范围", "业务范围", "登记机关", "联系人", "联系电话", "手机", "电子邮箱", "邮箱",
    "场地面积", "服务场地面积", "专职服务人员数", "专职人员数", "服务人员数", "平台简介", "机构简介", "推荐意见",
    "法定代表人(签字)", "(盖章)", "组成形式", "举办单位", "证照编号", "邮编", "传真", "网址", "职工人数",
)

_TRIM = " \t|:：;；,，、。.（(）)*\"“”'‘’"


@dataclass(frozen=True)
class LabelledValue:
    fact: str
    label: str
    value: str
    start: int  # offsets of the value in the view text
    end: int
    label_start: int


def _near(text: str, i: int, label: str) -> int | None:
    """End of a one-edit OCR variant of `label` starting at text[i] (first character exact), else None."""
    n = len(label)
    cand = text[i:i + n]
    if len(cand) == n and sum(a != b for a, b in zip(cand, label)) == 1 and not _bad(cand):
        return i + n
    cand = text[i:i + n + 1]  # one stray character inserted
    if len(cand) == n + 1 and not _bad(cand):
        for k in range(1, n):
            if cand[:k] == label[:k] and cand[k + 1:] == label[k:]:
                return i + n + 1
    return None


def _bad(s: str) -> bool:
    return any(ch.isspace() or ch.isdigit() or ch in "|:：" for ch in s)


def _fuzzy_matches(text: str, labels: dict[str, tuple[str, ...]]) -> list[tuple[int, int, str]]:
    out = []
    for names in labels.values():
        for label in names:
            if len(label) < 4:
                continue
            i = text.find(label[0])
            while i >= 0:
                end = _near(text, i, label)
                if end:
                    out.append((i, end, label))
                i = text.find(label[0], i + 1)
    return out


# Labels wrapped over two rows of their cell whose first row OCR garbled ("公益性或作" over "占比31.47%"):
# the label's head, a few characters that are no value, perhaps a line break (the view may have joined the
# rows), its tail. Tried before the plain labels.
WRAPPED_LABELS: dict[str, tuple[str, ...]] = {
    "service.public_welfare_share": (r"公益性[^\d\n:：%。，,]{0,8}\n?[^\d\n:：%。，,]{0,4}?占比",),
}


def _label_regex(labels: dict[str, tuple[str, ...]]) -> tuple[re.Pattern[str], dict[str, str], dict[str, str]]:
    owner: dict[str, str] = {}
    for fact, names in labels.items():
        for n in names:
            owner.setdefault(n, fact)
    for s in STOPPERS:
        owner.setdefault(s, "")
    alts = sorted(owner, key=len, reverse=True)
    # Labels may carry OCR-inserted spaces between characters; match them loosely.
    pats = ["(?P<x%d>%s)" % (i, "\\s*".join(map(re.escape, a))) for i, a in enumerate(alts)]
    wrapped = [(rx, fact) for fact, rxs in WRAPPED_LABELS.items() if fact in labels for rx in rxs]
    for k, (rx, fact) in enumerate(wrapped):
        owner[rx] = fact
        pats.insert(k, f"(?P<w{k}>{rx})")
    groups = {f"x{i}": a for i, a in enumerate(alts)} | {f"w{k}": rx for k, (rx, _) in enumerate(wrapped)}
    return re.compile("|".join(pats)), groups, owner


_CACHE: dict[tuple[int, bool], tuple] = {}


def read_labelled(view: TextView, labels: dict[str, tuple[str, ...]], fuzzy: bool | None = None) -> list[LabelledValue]:
    """Every (label, value) pair in reading order; a value ends at the next label or the row's end.

    Fuzzy label matching (one character misread or inserted) is on for documents with OCR pages.
    """
    if fuzzy is None:
        fuzzy = any(p.source.value == "ocr" for p in view.document.pages)
    pairs = _read(view, labels, False)
    missing = set(labels) - {p.fact for p in pairs}
    if fuzzy and missing:
        # second pass: labels of the facts not found yet may be misread by OCR
        wanted = {k: v for k, v in labels.items() if k in missing}
        found = {p.fact for p in pairs}
        pairs += [p for p in _read(view, labels, wanted) if p.fact not in found]
        pairs.sort(key=lambda p: p.start)
    return pairs


def _read(view: TextView, labels: dict[str, tuple[str, ...]],
          fuzzy_for: dict[str, tuple[str, ...]] | None = None) -> list[LabelledValue]:
    key = id(labels)
    if key not in _CACHE:
        _CACHE[key] = _label_regex(labels)
    rx, group_label, owner = _CACHE[key]
    text = view.text
    out: list[LabelledValue] = []
    matches = [(m.start(), m.end(), group_label[m.lastgroup]) for m in rx.finditer(text)]
    if fuzzy_for:
        taken = [(s, e) for s, e, _ in matches]
        extra = [(s, e, lbl) for s, e, lbl in _fuzzy_matches(text, fuzzy_for)
                 if not any(s < te and e > ts for ts, te in taken)]
        matches = sorted(matches + extra)
    for i, (mstart, mend, label) in enumerate(matches):
        fact = owner.get(label, "")
        if not fact:
            continue
        vstart = mend
        line_end = text.find("\n", vstart)
        line_end = len(text) if line_end < 0 else line_end
        nxt = matches[i + 1][0] if i + 1 < len(matches) else len(text)
        vend = min(line_end, nxt)
        raw = text[vstart:vend]
        # a label alone on its row (docx cell / OCR column) takes the next row's text
        if not raw.strip(_TRIM) and vend == line_end and line_end < len(text):
            nstart = line_end + 1
            nline_end = text.find("\n", nstart)
            nline_end = len(text) if nline_end < 0 else nline_end
            nnxt = next((mm[0] for mm in matches[i + 1:] if mm[0] >= nstart), len(text))
            if nnxt > nstart:
                vstart, vend = nstart, min(nline_end, nnxt)
                raw = text[vstart:vend]
        lead = len(raw) - len(raw.lstrip(_TRIM))
        value = raw.strip(_TRIM)
        if not value:
            continue
        s = vstart + lead
        out.append(LabelledValue(fact, label, value, s, s + len(value), mstart))
    return out
