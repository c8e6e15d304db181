"""Cooperation agreements (聚集服务机构合作协议): counterparties and terms, one file may hold several."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from extractors.facts.common import fact_from
from extractors.facts.textview import TextView
from extractors.facts.values import org_name
from extractors.models import Evidence
from extractors.normalize.dates import find_dates, parse_term
from extractors.normalize.uscc import find_usccs

_PARTY = re.compile(r"(甲方|乙方)(?:\([^)]{0,8}\))?\s*[:：]\s*")
_TERM = re.compile(r"(?:有效期|合作期限|协议期限|合作期|期限)")
_TITLE = re.compile(r"[^\n]{0,20}(?:合作协议|框架协议|协议书|合作备忘录)[^\n]{0,10}\n")


@dataclass(frozen=True)
class Agreement:
    party_a: str | None
    party_b: str | None
    party_b_uscc: str | None
    start: date | None
    end: date | None
    open_ended: bool
    evidence: tuple[Evidence, ...]

    def valid_on(self, day: date) -> bool | None:
        if self.start is None and self.end is None and not self.open_ended:
            return None
        if self.start and self.start > day:
            return False
        if self.end and self.end < day:
            return False
        return True


def _split(text: str) -> list[tuple[int, int]]:
    """Start offsets of each agreement: a title line followed by 甲方 soon after."""
    starts = [m.start() for m in _TITLE.finditer(text) if re.search(r"甲方", text[m.end(): m.end() + 200])]
    if not starts:
        return [(0, len(text))]
    starts[0] = 0
    return [(s, starts[i + 1] if i + 1 < len(starts) else len(text)) for i, s in enumerate(starts)]


def read_agreements(view: TextView) -> list[Agreement]:
    text = view.text
    out: list[Agreement] = []
    for s, e in _split(text):
        chunk = text[s:e]
        parties: dict[str, tuple[str, int, int]] = {}
        for m in _PARTY.finditer(chunk):
            role = m.group(1)
            if role in parties:
                continue
            got = org_name(chunk[m.end(): m.end() + 60])
            if got:
                name, off = got
                ps = s + m.end() + max(off, 0)
                parties[role] = (name, ps, ps + len(name))
        if "乙方" not in parties:
            continue
        b_name, bs, be = parties["乙方"]
        after_b = text[be: be + 80]
        codes = find_usccs(after_b)
        evid = [view.evidence(bs, be)]
        start = end = None
        open_ended = False
        for m in _TERM.finditer(chunk):
            window = chunk[m.end(): m.end() + 70]
            st, en, op = parse_term(window)
            if st or en or op:
                start, end, open_ended = st, en, op
                ds = find_dates(window)
                if ds:
                    ts = s + m.end() + ds[0].start
                    te = s + m.end() + ds[-1].end if len(ds) > 1 else s + m.end() + ds[0].end
                    evid.append(view.evidence(ts, te))
                break
        a_name = parties.get("甲方", (None, 0, 0))[0]
        out.append(Agreement(a_name, b_name, codes[0].code if codes and codes[0].start < 30 else None,
                             start, end, open_ended, tuple(evid)))
    return out


def agreement_fact(view: TextView, agreements: list[Agreement]):
    return fact_from(view, "agreements", agreements, 0, 0)
