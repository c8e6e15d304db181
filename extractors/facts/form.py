"""Declared values from the application form (培育认定申请表), whatever its format."""
from __future__ import annotations

import re

from extractors.facts.common import (
    APPLICANT_READERS,
    fact_from,
    read_count,
    read_date,
    read_ratio,
)
from extractors.facts.labels import FORM_LABELS, read_labelled
from extractors.facts.textview import TextView
from extractors.facts.values import CATEGORIES, CATEGORY_SYNONYMS, checked_options
from extractors.models import Fact

KINDS = {"入库培育": "cultivation", "培育": "cultivation", "认定": "certification"}

_READERS = {
    **APPLICANT_READERS,
    "application.date": read_date,
    "service.smes_served": read_count,
    "service.small_micro_share": read_ratio,
    "service.public_welfare_share": read_ratio,
    "service.partner_institutions": read_count,
}


def _choice_row(view: TextView, start: int) -> tuple[int, int]:
    """The label's row, plus the rows just above and below when the options wrap onto them (a label
    centred in a two-row cell sits between its option rows)."""
    text = view.text
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", start)
    le = len(text) if le < 0 else le

    def has_options(a: int, b: int) -> bool:
        row = text[a:b]
        return any(c in row for c in CATEGORIES + ("人力培训", "入库培育", "认定")) and not re.search(r"[:：]", row)

    prev_start = text.rfind("\n", 0, max(0, ls - 1)) + 1
    if ls > 0 and has_options(prev_start, ls - 1) and not has_options(ls, le):
        ls = prev_start
    nxt = text.find("\n", le + 1)
    nxt = len(text) if nxt < 0 else nxt
    if le < len(text) and has_options(le + 1, nxt):
        le = nxt
    return ls, le


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
            s, e = _choice_row(view, lv.label_start)
            got = checked_options(view.text[s:e], ("入库培育", "认定"))
            if got and len(got) == 1:
                out[lv.fact] = fact_from(view, lv.fact, KINDS[got[0]], s, e)
        elif lv.fact == "service.categories":
            s, e = _choice_row(view, lv.label_start)
            got = checked_options(view.text[s:e], CATEGORIES, CATEGORY_SYNONYMS)
            if got is not None:
                ordered = tuple(c for c in CATEGORIES if c in got)
                out[lv.fact] = fact_from(view, lv.fact, ordered, s, e)
    return out
