"""Observed applicant facts from the business licence (营业执照) or legal-person certificate."""
from __future__ import annotations

import re

from extractors.facts.common import APPLICANT_READERS, best_uscc, fact_from
from extractors.facts.labels import LICENCE_LABELS, read_labelled
from extractors.facts.textview import TextView
from extractors.models import Fact
from extractors.normalize.dates import parse_term
from extractors.normalize.places import mend_address

_READERS = APPLICANT_READERS


def _address_continuation(view: TextView, fact: Fact) -> Fact:
    """住所 often wraps onto the next row of the value column: append that row's segment when it is
    aligned under the value, short, and carries no label."""
    ev = fact.evidence[0]
    if not ev.char_span or ev.bbox is None:
        return fact
    here = next((s for s in view.segments if s.start <= ev.char_span[0] < s.end + 1), None)
    if here is None or here.line.bbox is None:
        return fact
    height = here.line.bbox.y1 - here.line.bbox.y0
    for seg in view.segments:
        b = seg.line.bbox
        if seg.page.number != here.page.number or b is None or seg.start <= here.start:
            continue
        below = 0 < b.y0 - here.line.bbox.y0 < 2.2 * height
        aligned = abs(b.x0 - ev.bbox.x0) < 1.5 * height
        nxt = view.text[seg.start:seg.end].strip()
        if below and aligned and nxt and len(nxt) <= 24 and not any(ch in nxt for ch in "：:") \
                and not read_labelled_has_label(nxt):
            merged = mend_address(fact.value + nxt.replace(" ", ""))
            ev2 = view.evidence(seg.start, seg.end)
            return Fact(fact.name, merged, (ev, ev2), min((c for c in (fact.confidence, ev2.confidence) if c is not None),
                                                            default=None))
    return fact


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
        # the code stands above the title; the 证照编号 beside it is a serial number, not a credit code
        got = best_uscc(re.sub(r"(证照编号|编号|No\.?)[:：]?\s*[0-9A-Za-z]+", lambda m: " " * len(m.group(0)), view.text))
        if got:
            code, s, e, valid, repaired = got
            out["applicant.uscc"] = fact_from(view, "applicant.uscc", code, s, e, valid=valid, repaired=repaired)
    return out
