"""Declared values from the application form (培育认定申请表), whatever its format."""
from __future__ import annotations

import re
from dataclasses import replace

from extractors.facts.common import (
    APPLICANT_READERS,
    fact_from,
    read_count,
    read_date,
    read_ratio,
)
from extractors.facts.labels import FORM_LABELS, read_labelled
from extractors.facts.textview import TextView
from extractors.facts.values import CATEGORIES, CATEGORY_SYNONYMS, checked_options, options_read_into_box
from extractors.models import Fact

KINDS = {"入库培育": "cultivation", "培育": "cultivation", "认定": "certification"}
# An option whose first character OCR read into its box ("☑言息化应用" for □信息化应用): the tick may be that
# character's stroke. The form's description of its services decides the option (values.checked_options); the
# fact says so in a note, with its confidence capped below the default review threshold (0.6).
BOX_MISREAD_CONF = 0.5
LABEL_PIECE_CHARS = 3  # the part of a wrapped label OCR may put on a row of its own ("务类" of 服务类别)

_READERS = {
    **APPLICANT_READERS,
    "application.date": read_date,
    "service.smes_served": read_count,
    "service.small_micro_share": read_ratio,
    "service.public_welfare_share": read_ratio,
    "service.partner_institutions": read_count,
}


def _choice_row(view: TextView, start: int, options: tuple[str, ...] = CATEGORIES + ("人力培训",)) -> tuple[int, int]:
    """The label's row and the option rows around it: options wrap onto several rows, a label sits
    centred between them, and cut at wide gaps each group of options may be a row of its own."""
    text = view.text

    def row_at(pos: int) -> tuple[int, int]:
        s = text.rfind("\n", 0, pos) + 1
        e = text.find("\n", pos)
        return s, len(text) if e < 0 else e

    def has_options(a: int, b: int) -> bool:
        row = text[a:b]
        return any(c in row for c in options) and not re.search(r"[:：]", row) \
            and not re.search(r"有限公司|提供|服务的", row)  # prose mentioning categories is not a choice row

    ls, le = row_at(start)
    for _ in range(3):  # rows above the label
        if ls == 0:
            break
        ps, pe = row_at(ls - 1)
        if not has_options(ps, pe) or read_labelled_label(text[ps:pe]):
            break
        ls = ps
    for _ in range(6):  # rows below
        if le >= len(text):
            break
        ns, ne = row_at(le + 1)
        if _label_piece(text[ns:ne]) and ne < len(text):
            ns, ne = row_at(ne + 1)  # the label's wrapped part, cut off as a cell of its own ("务类")
        if not has_options(ns, ne) or read_labelled_label(text[ns:ne]):
            break
        le = ne
    return ls, le


def _label_piece(row: str) -> bool:
    """A few characters of a label on a row of their own: no option, no value."""
    return 0 < len(row.strip()) <= LABEL_PIECE_CHARS and not re.search(r"[\d☑☐□√]", row)


def _services_described(text: str) -> str | None:
    """The form's own sentence on what the platform provides ("提供信息咨询、技术创新等服务")."""
    m = re.search(r"提供([^。；]{2,80}?)等?(?:服务|方面)", text)
    return m.group(1) if m else None


def read_labelled_label(row: str) -> bool:
    """A row that starts another field (申请类别 after 服务类别) ends the option rows."""
    return any(lbl in row for lbl in FORM_LABELS["application.kind"] + FORM_LABELS["service.categories"]) \
        or "年服务" in row


def read_form(view: TextView) -> dict[str, Fact]:
    pairs = read_labelled(view, FORM_LABELS)
    out: dict[str, Fact] = {}
    for lv in pairs:
        if lv.fact in out:
            continue
        if lv.fact in _READERS:
            fact = _READERS[lv.fact](view, lv, lv.fact)
            if fact is not None:
                out[lv.fact] = fact
        elif lv.fact == "application.kind":
            s, e = _choice_row(view, lv.label_start, ("入库培育", "认定"))
            got = checked_options(view.text[s:e], ("入库培育", "认定"))
            if got and len(got) == 1:
                out[lv.fact] = fact_from(view, lv.fact, KINDS[got[0]], s, e)
        elif lv.fact == "service.categories":
            s, e = _choice_row(view, lv.label_start)
            got = checked_options(view.text[s:e], CATEGORIES, CATEGORY_SYNONYMS, hint=_services_described(view.text))
            if got is not None:
                ordered = tuple(c for c in CATEGORIES if c in got)
                fact = fact_from(view, lv.fact, ordered, s, e)
                if into_box := options_read_into_box(view.text[s:e], CATEGORIES):
                    fact = replace(fact, confidence=min(fact.confidence or 1.0, BOX_MISREAD_CONF),
                                   note=f"选项“{'、'.join(into_box)}”首字与方框粘连，勾选状态需人工核对")
                out[lv.fact] = fact
    return out
