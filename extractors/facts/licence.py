"""Observed applicant facts from the business licence (营业执照) or legal-person certificate."""
from __future__ import annotations

from extractors.facts.common import best_uscc, fact_from, read_date, read_org, read_person, read_text, read_uscc
from extractors.facts.labels import LICENCE_LABELS, read_labelled
from extractors.facts.textview import TextView
from extractors.models import Fact
from extractors.normalize.dates import parse_term

_READERS = {
    "applicant.name": read_org,
    "applicant.uscc": read_uscc,
    "applicant.legal_representative": read_person,
    "applicant.address": read_text,
    "applicant.established_on": read_date,
}


def _address_continuation(view: TextView, fact: Fact) -> Fact:
    """住所 often wraps onto a second row in the value column: append that row when it carries no label."""
    ev = fact.evidence[0]
    if not ev.char_span or ev.bbox is None:
        return fact
    end = ev.char_span[1]
    text = view.text
    if not text.startswith("\n", end):
        return fact
    nstart = end + 1
    nend = text.find("\n", nstart)
    nend = len(text) if nend < 0 else nend
    seg = next((s for s in view.segments if s.start == nstart), None)
    nxt = text[nstart:nend].strip()
    if not seg or not seg.line.bbox or not nxt or len(nxt) > 24:
        return fact
    aligned = abs(seg.line.bbox.x0 - ev.bbox.x0) < (ev.bbox.x1 - ev.bbox.x0) * 0.25 + 5
    if not aligned or any(ch in nxt for ch in "：:") or read_labelled_has_label(nxt):
        return fact
    return fact_from(view, fact.name, fact.value + nxt.replace(" ", ""), ev.char_span[0], nend)


def read_labelled_has_label(s: str) -> bool:
    return any(lbl in s for names in LICENCE_LABELS.values() for lbl in names if len(lbl) >= 2) or "登记机关" in s


def read_licence(view: TextView) -> dict[str, Fact]:
    out: dict[str, Fact] = {}
    for lv in read_labelled(view, LICENCE_LABELS):
        if lv.fact in out:
            continue
        if lv.fact == "licence.term":
            start, end, open_ended = parse_term(lv.value)
            if start or end or open_ended:
                out["licence.term"] = fact_from(view, "licence.term", {"start": start, "end": end, "open": open_ended},
                                                lv.start, lv.end)
            continue
        reader = _READERS.get(lv.fact)
        fact = reader(view, lv, lv.fact) if reader else None
        if fact is not None:
            out[lv.fact] = fact
    if "applicant.address" in out:
        out["applicant.address"] = _address_continuation(view, out["applicant.address"])
    if "applicant.uscc" not in out:
        # the code stands above the title, often without its label on the same line
        got = best_uscc(view.text)
        if got:
            code, s, e, valid, repaired = got
            out["applicant.uscc"] = fact_from(view, "applicant.uscc", code, s, e, valid=valid, repaired=repaired)
    return out
