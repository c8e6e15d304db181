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
MISREAD_OPTION_MIN = 4  # characters: a shorter option one character off may be another word
_BOX_GLYPHS = "☑☐□口■"
_CJK_ONLY = re.compile(r"[\u4e00-\u9fff]+")

# Glyphs a checked box comes out as: real symbols, and what OCR makes of them.
CHECKED = "☑✔✓√■▣☒⊠●◉回团囚凶加図区四田目国因"
UNCHECKED = "□☐口○◯〇oO0D"  # an empty box is a clean square: OCR reads it as 口 or a round letter


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


_OPEN, _CLOSE = "[【(（〈《", "]】)）〉》』」"  # 〈《』」 are OCR's readings of a bracket too


def _mark(s: str) -> str | None:
    """The box glyph in a short stretch next to an option: "√" for ticked, "□" for empty, None if none.

    Bracket boxes come back from OCR as "[V]", "[M", "【】", "[ ]", "[1": whatever stands inside the
    bracket is the tick; an empty pair is an empty box.
    """
    t = s.replace(" ", "")
    for i, ch in enumerate(t):
        if ch in _OPEN:
            inner = t[i + 1: i + 2]
            if not inner or inner in _CLOSE or inner in "1|lI!":  # "]" is often read as 1 or |
                return "□"
            if not ("\u4e00" <= inner <= "\u9fff") or inner in CHECKED:
                return "√"
    if ("( )" in s or "[ ]" in s) and "√" not in s:
        return "□"
    for ch in t:
        if ch in CHECKED:
            return "√"
        if ch in UNCHECKED:
            return "□"
    return None


def _read_into_box(text: str, options: tuple[str, ...], hits: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Options not found as written but with their first character misread right after a box glyph
    ("☑言息化应用" for □信息化应用): the character's left part (信's 亻) was read into the box."""
    found = {name for _, _, name in hits}
    out: list[tuple[int, int, str]] = []
    for name in options:
        if name in found or len(name) < MISREAD_OPTION_MIN:
            continue
        for m in re.finditer(re.escape(name[1:]), text):
            i = m.start() - 1
            taken = any(a < m.end() and i < b for a, b, _ in hits + out)
            if i > 0 and not taken and text[i - 1] in _BOX_GLYPHS and _CJK_ONLY.fullmatch(text[i]):
                out.append((i, m.end(), name))
                break
    return out


def options_read_into_box(text: str, options: tuple[str, ...]) -> list[str]:
    """The options of a row OCR read with their first character into the box, whose tick then says nothing."""
    hits = [(m.start(), m.end(), n) for n in options for m in re.finditer(re.escape(n), text)]
    return [name for _, _, name in _read_into_box(text, options, hits)]


def checked_options(text: str, options: tuple[str, ...], synonyms: dict[str, str] | None = None,
                    hint: str | None = None) -> list[str] | None:
    """Options ticked in a row such as "□入库培育 ☑认定" or "入库培育( )认定(√)"; None when no box is seen.

    Whether the box stands before or after its option is decided once per row, from which side
    of the first option a box glyph sits on.
    """
    synonyms = synonyms or {}
    hits = sorted((m.start(), m.end(), name) for name in list(options) + list(synonyms)
                  for m in re.finditer(re.escape(name), text))
    # drop options found inside a longer one (信息化 inside 信息化应用)
    hits = [h for h in hits if not any(o[0] <= h[0] and h[1] <= o[1] and o != h for o in hits)]
    boxed = _read_into_box(text, options, hits)
    hits = sorted(hits + boxed)
    if not hits:
        return None
    first_start, first_end, _ = hits[0]
    before_first = _mark(text[max(0, first_start - 3): first_start])
    after_last = _mark(text[hits[-1][1]: hits[-1][1] + 3])
    # boxes after their options mark the last option too ("认定( )"); a lone tick between two
    # options ("入库培育 √认定") belongs to the option after it
    # ... and so do brackets after the first option when none stands before it ("信息咨询( )技术创新"):
    # the last one's bracket may be lost ("信息化应用)")
    bracket_after_first = len(hits) > 1 and any(ch in _OPEN for ch in text[first_end: hits[1][0]])
    suffix = before_first is None and (after_last is not None or bracket_after_first)
    into_box = {name for _, _, name in boxed}  # their box's tick may be their first character's stroke
    marks: list[tuple[str, str | None]] = []
    for i, (start, end, name) in enumerate(hits):
        if name in into_box:
            marks.append((name, None))
            continue
        if suffix:
            stop = hits[i + 1][0] if i + 1 < len(hits) else min(len(text), end + 4)
            mark = _mark(text[end: min(stop, end + 4)])
        else:
            prev_end = hits[i - 1][1] if i else max(0, start - 3)
            mark = _mark(text[max(prev_end, start - 3): start])
        marks.append((synonyms.get(name, name), mark))
    # In a row of boxes OCR keeps the empty ones (clean squares) but may drop a ticked one: an
    # option with no glyph there was most likely ticked. Rows of bare ticks ("√认定") have no boxes.
    if all(m is None for _, m in marks):
        # no box survived OCR at all: the form's own description of its services is all there is
        return [c for c, _ in marks if hint and c in hint] if hint else None
    # When OCR lost a glyph, `hint` (the form's own description of its services) decides; without
    # one, a lost glyph in a row of boxes is taken as ticked.
    boxes = any(m == "□" for _, m in marks)
    found: list[str] = []
    for canon, mark in marks:
        if mark is None:
            ticked = (canon in hint) if hint else boxes
        else:
            ticked = mark == "√"
        if ticked and canon not in found:
            found.append(canon)
    return found
