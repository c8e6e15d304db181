"""Cooperation agreements (聚集服务机构合作协议): counterparties and terms, one file may hold several.

Terms are read by `extractors.facts.terms`; this module finds the agreements in a file, their
parties, and which party is the counterparty (the service institution the applicant brings in).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from extractors.facts.common import best_uscc
from extractors.facts.terms import Term, find_term
from extractors.facts.textview import TextView
from extractors.facts.values import org_name
from extractors.models import Evidence
from extractors.normalize.names import norm_org_name

# "乙方：", "乙方（服务机构）：", "甲方(盖章):"; the role in brackets says who is who when present
_PARTY = re.compile(r"(甲方|乙方)\s*(?:[(（]([^)）\n]{0,12})[)）])?\s*([:：]?)\s*")
_SIGNATURE = re.compile(r"盖章|签章|签字|签名|公章")
_SERVICE_ROLE = re.compile(r"服务机构|合作机构|入驻机构|服务方|机构方")
_PLATFORM_ROLE = re.compile(r"平台|运营|载体|申请")
# "乙方作为甲方服务平台的集聚服务机构": the first role named is the counterparty
_SERVICE_SENTENCE = re.compile(r"(甲方|乙方)作为(甲方|乙方)[^。\n]{0,16}?(?:集聚|合作|入驻)?服务机构")
_TERM = re.compile(r"有效期|合作期限|协议期限|合作期|服务期限|期限")
_TITLE = re.compile(r"[^\n]{0,20}(?:合作协议|框架协议|协议书|合作备忘录)[^\n]{0,10}\n")
@dataclass(frozen=True)
class Agreement:
    """One agreement. `party_a` is the platform (the applicant's side) and `party_b` the service
    institution it brings in, whichever of 甲方/乙方 each is called on the page (`partner_role`)."""

    party_a: str | None
    party_b: str | None
    party_b_uscc: str | None
    start: date | None
    end: date | None
    open_ended: bool
    evidence: tuple[Evidence, ...]
    term: Term | None = None
    partner_role: str = "乙方"
    party_a_uscc: str | None = None

    def valid_on(self, day: date) -> bool | None:
        if self.term is not None:
            return self.term.valid_on(day)
        return Term(self.start, self.end, self.open_ended).valid_on(day)


@dataclass(frozen=True)
class _Party:
    role: str
    label: str
    name: str
    start: int
    end: int
    uscc: str | None


def _split(text: str) -> list[tuple[int, int]]:
    """(start, end) of each agreement: a new one begins at a party line once both parties of the
    current one were named, backed up to its title line when one stands just above."""
    starts = [0]
    seen: set[str] = set()
    for m in _PARTY.finditer(text):
        if _SIGNATURE.search(m.group(2) or "") or not _line_start(text, m.start()) or not _names_org(text, m):
            continue
        if m.group(1) in seen and len(seen) == 2:
            lo = max(starts[-1], m.start() - 80)
            titles = list(_TITLE.finditer(text, lo, m.start()))
            starts.append(titles[-1].start() if titles else text.rfind("\n", 0, m.start()) + 1)
            seen = set()
        seen.add(m.group(1))
    return [(s, starts[i + 1] if i + 1 < len(starts) else len(text)) for i, s in enumerate(starts)]


def _names_org(text: str, m: re.Match[str]) -> bool:
    """A party line names an organisation right after its label (OCR may drop the colon)."""
    got = org_name(text[m.end(): m.end() + 60])
    return got is not None and (bool(m.group(3)) or got[1] == 0)


def _line_start(text: str, pos: int) -> bool:
    head = text[text.rfind("\n", 0, pos) + 1: pos]
    return len(head.strip(" |一-_.,;:'\"“”『』【】[]")) <= 2  # OCR leaves specks before a line


def _parties(text: str, s: int, e: int) -> dict[str, _Party]:
    out: dict[str, _Party] = {}
    for m in _PARTY.finditer(text, s, e):
        role, label = m.group(1), m.group(2) or ""
        got = org_name(text[m.end(): m.end() + 60])
        if not got or not (m.group(3) or got[1] == 0):
            continue
        name, off = got
        ps = m.end() + max(off, 0)
        code = best_uscc(text[ps + len(name): ps + len(name) + 60])
        uscc = code[0] if code and code[1] < 30 and code[3] else None
        signature = bool(_SIGNATURE.search(label))
        if role not in out:
            out[role] = _Party(role, "" if signature else label, name, ps, ps + len(name), uscc)
        elif out[role].uscc is None and uscc and not signature:
            out[role] = _Party(role, out[role].label, out[role].name, out[role].start, out[role].end, uscc)
    return out


def _partner_role(chunk: str, parties: dict[str, _Party], applicant: tuple[str | None, str | None]) -> str:
    """Which of 甲方/乙方 is the service institution: the side that is not the applicant, else the
    role its label or the body gives it, else 乙方."""
    name, uscc = applicant
    for role, p in parties.items():
        other = "甲方" if role == "乙方" else "乙方"
        if (uscc and p.uscc == uscc) or (name and norm_org_name(p.name) == norm_org_name(name)):
            return other
    for role, p in parties.items():
        other = "甲方" if role == "乙方" else "乙方"
        if _SERVICE_ROLE.search(p.label):
            return role
        if _PLATFORM_ROLE.search(p.label):
            return other
    m = _SERVICE_SENTENCE.search(chunk)
    if m and m.group(1) != m.group(2):
        return m.group(1)
    return "乙方"


def _common_party(chunks: list[dict[str, _Party]]) -> tuple[str | None, str | None]:
    """The party named in every agreement of a file with several: the applicant."""
    if len(chunks) < 2:
        return None, None
    keys = [{p.uscc or norm_org_name(p.name) for p in c.values()} for c in chunks]
    common = set.intersection(*keys)
    if len(common) != 1:
        return None, None
    key = common.pop()
    for c in chunks:
        for p in c.values():
            if key in (p.uscc, norm_org_name(p.name)):
                return p.name, p.uscc
    return None, None


def read_agreements(view: TextView, applicant: tuple[str | None, str | None] = (None, None)) -> list[Agreement]:
    """The agreements in one document. `applicant` (name, USCC), when known, says which side is the
    applicant; otherwise labels, the body, and the party common to a file's agreements decide."""
    text = view.text
    chunks = [(s, e, _parties(text, s, e)) for s, e in _split(text)]
    chunks = [c for c in chunks if c[2]]
    if applicant == (None, None):
        applicant = _common_party([c[2] for c in chunks if len(c[2]) == 2])
    out: list[Agreement] = []
    for s, e, parties in chunks:
        chunk = text[s:e]
        role = _partner_role(chunk, parties, applicant)
        partner = parties.get(role)
        if partner is None:
            continue
        own = parties.get("甲方" if role == "乙方" else "乙方")
        evid = [view.evidence(partner.start, partner.end)]
        got = find_term(chunk, _TERM)
        term, base = got if got else (None, 0)
        if term and term.span:
            ts, te = s + base + term.span[0], s + base + term.span[1]
            ev = view.evidence(ts, te)
            evid.append(ev if term.note is None else replace(ev, text=f"{ev.text}（{term.note}）"))
        out.append(Agreement(own.name if own else None, partner.name, partner.uscc,
                             term.start if term else None, term.end if term else None,
                             term.open_ended if term else False, tuple(evid), term, role, own.uscc if own else None))
    return out
