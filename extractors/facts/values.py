"""Value readers for the shapes facts take in text: organisation and person names, checkbox choices."""
from __future__ import annotations

import re

ORG_SUFFIX = (
    "有限责任公司|股份有限公司|有限公司|分公司|公司|律师事务所|会计师事务所|事务所|企业家协会|协会|商会|学会|促进会|联合会|"
    "基金会|研究院|研究所|服务中心|中心|合作社|集团|大学|学院|银行|支行|担保|孵化器|众创空间"
)
_ORG_CHARS = r"[\u4e00-\u9fff()（）A-Za-z0-9·]"
ORG_RX = re.compile(f"{_ORG_CHARS}{{2,40}}?(?:{ORG_SUFFIX})(?:\\([^)]{{1,12}}\\))?")
_PERSON_RX = re.compile(r"[\u4e00-\u9fff·]{2,5}")
_NOT_PERSON = set("签字盖章日期年月日签名")

CATEGORIES = ("信息咨询", "技术创新", "人才培训", "市场拓展", "管理咨询", "质量管理", "创业辅导", "信息化应用")
CATEGORY_SYNONYMS = {"人力培训": "人才培训", "信息化服务": "信息化应用"}

# Glyphs a checked box comes out as: real symbols, and what OCR makes of them.
CHECKED = "☑✔✓√■▣☒⊠●◉回团囚凶加図区四田目国因"
UNCHECKED = "□☐口○◯"


def org_name(value: str) -> tuple[str, int] | None:
    """The organisation name at the start of `value` (its text and offset), or None."""
    v = value.replace(" ", "")
    m = ORG_RX.search(v)
    if not m or m.start() > 6:
        return None
    name = m.group(0)
    # greedy extension: "…有限公司" may be followed by "(…分公司)" etc.; take the longest suffix end
    longest = None
    for mm in re.finditer(f"(?:{ORG_SUFFIX})", v[m.start(): m.start() + 48]):
        cand = v[m.start(): m.start() + mm.end()]
        if re.fullmatch(f"{_ORG_CHARS}+", cand):
            longest = cand
    if longest and len(longest) > len(name):
        name = longest
    return name, value.find(name[0]) if name else 0


def all_org_names(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in ORG_RX.finditer(text):
        out.append((m.group(0), m.start(), m.end()))
    return out


def person_name(value: str) -> tuple[str, int] | None:
    """A person's name at the start of `value`; jieba (through spaCy) decides where it ends."""
    from extractors.facts.nlp import person_at_start

    v = value.strip().replace(" ", "")
    name = person_at_start(v)
    if name is None:
        m = _PERSON_RX.match(v)
        if not m or len(m.group(0)) > 4 or any(ch in _NOT_PERSON for ch in m.group(0)[:2]):
            return None
        name = m.group(0)
    return name, value.find(name[0])


def checked_options(text: str, options: tuple[str, ...], synonyms: dict[str, str] | None = None) -> list[str] | None:
    """Options ticked in a row such as "□入库培育 ☑认定"; None when no box glyph is seen at all."""
    synonyms = synonyms or {}
    names = list(options) + list(synonyms)
    found: list[str] = []
    saw_box = False
    for name in names:
        for m in re.finditer(re.escape(name), text):
            before = text[max(0, m.start() - 3): m.start()].replace(" ", "")
            mark = before[-1:] if before else ""
            if before.endswith("[√]") or before.endswith("(√)"):
                mark = "√"
            if mark and (mark in CHECKED or mark in UNCHECKED):
                saw_box = True
            if mark and mark in CHECKED:
                canon = synonyms.get(name, name)
                if canon not in found:
                    found.append(canon)
    if not saw_box:
        return None
    return found
