"""Premises facts from a lease (租赁合同) or a property certificate (产权证明)."""
from __future__ import annotations

import re

from extractors.facts.common import fact_from
from extractors.facts.terms import Term, find_term
from extractors.facts.textview import TextView
from extractors.facts.values import org_name
from extractors.models import Fact
from extractors.normalize.dates import find_dates

# "承租方（乙方）：…"; OCR may drop the colon ("承租方(乙方)宁波…"), so a name must follow at once
_LESSEE = re.compile(r"(?:承租方|承租人|承租单位)\s*(?:[(（]\s*乙方\s*[)）])?\s*[:：]?\s*"
                     r"|乙方\s*(?:[(（]\s*(?:承租方|承租人)\s*[)）])?\s*[:：]\s*")
_HOLDER = re.compile(r"(?:权利人|所有权人|产权人|房屋所有权人)\s*[:：]?\s*")
_TERM = re.compile(r"租赁期限|租赁期间|租赁期|租期|租赁时间")
_USE_TERM = re.compile(r"使用期限|土地使用期限")
_ADDRESS = re.compile(r"(?:坐落于|坐落在|位于|房屋坐落|房屋地址|坐落)\s*[:：]?\s*([^，,。;；\n]{6,60}?)(?:的房屋|的房产|房屋|，|,|。|\n)")


def _party(view: TextView, rx: re.Pattern[str], name: str) -> Fact | None:
    for m in rx.finditer(view.text):
        got = org_name(view.text[m.end(): m.end() + 60])
        # only a colon or a table rule may stand between the label and the name
        if got and re.fullmatch(r"[\s|:：]*", view.text[m.end(): m.end() + max(got[1], 0)]) and (
                got[1] > 0 or re.search(r"[:：|]\s*$", m.group(0)) or m.group(0).rstrip().endswith((")", "）", "人", "方"))):
            text, off = got
            s = m.end() + max(off, 0)
            return fact_from(view, name, text, s, s + len(text))
    return None


def _term_facts(view: TextView, out: dict[str, Fact], keyword: re.Pattern[str], with_end: bool) -> None:
    """Lease start and end from the term. OCR-damaged dates are repaired only when one anniversary
    of the other date is a single character away (see terms.read_term). A stated length
    (租赁期限为3年) fills in an illegible end date, but is too often written loosely to be trusted
    alone: such an end is marked `derived` and E-PREMISES sends it to an officer."""
    got = find_term(view.text, keyword)
    if got is None:
        return
    term, base = got
    dates = [(k, v) for k, v in (("premises.lease_start", term.start), ("premises.lease_end", term.end)) if v]
    for k, v in dates:
        if k == "premises.lease_end" and not with_end:
            continue
        s, e = _date_span(view.text, base, v, term)
        out[k] = fact_from(view, k, v, s, e, note=term.note, derived_from_length=term.from_length)


def _date_span(text: str, base: int, value, term: Term) -> tuple[int, int]:
    """Offsets of `value` in the term window when written there, else the whole term."""
    window = text[base: base + 120]
    for d in find_dates(window):
        if d.value == value:
            return base + d.start, base + d.end
    if term.span:
        return base + term.span[0], base + term.span[1]
    return base, base


def read_premises(view: TextView) -> dict[str, Fact]:
    text = view.text
    out: dict[str, Fact] = {}
    is_certificate = bool(re.search(r"产权证|不动产权|房屋所有权证|房产证", text[:200])) and not re.search(
        r"租赁合同|租赁协议", text[:200])
    out["premises.kind"] = fact_from(view, "premises.kind", "property" if is_certificate else "lease", 0, min(len(text), 20))
    lessee = _party(view, _HOLDER if is_certificate else _LESSEE, "premises.lessee")
    if lessee:
        out["premises.lessee"] = lessee
    if is_certificate:
        _term_facts(view, out, _USE_TERM, with_end=False)  # a land-use term is no lease end
    else:
        _term_facts(view, out, _TERM, with_end=True)
    m = _ADDRESS.search(text)
    if m:
        addr = m.group(1).replace(" ", "")
        out["premises.address"] = fact_from(view, "premises.address", addr, m.start(1), m.end(1))
    return out
