"""Shared helpers of the per-kind fact readers: turning a labelled value into a typed Fact."""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from extractors.facts.labels import LabelledValue
from extractors.facts.textview import TextView
from extractors.facts.values import org_name, person_name
from extractors.models import Fact
from extractors.normalize.dates import find_dates, parse_date
from extractors.normalize.numbers import find_numbers, parse_count, parse_ratio
from extractors.normalize.uscc import find_usccs, validate_uscc


def fact_from(view: TextView, name: str, value: Any, start: int, end: int, **details: Any) -> Fact:
    ev = view.evidence(start, end)
    return Fact(name=name, value=value, evidence=(ev,), confidence=ev.confidence, details=dict(details))


def _leading(find: Callable[[str], tuple[str, int] | None]) -> Callable[[TextView, LabelledValue, str], Fact | None]:
    """A reader for a name the value starts with (`find` returns the name and its offset)."""
    def reader(view: TextView, lv: LabelledValue, name: str) -> Fact | None:
        got = find(lv.value)
        if not got:
            return None
        text, off = got
        s = lv.start + max(off, 0)
        return fact_from(view, name, text, s, s + len(text))

    return reader


read_org = _leading(org_name)
read_person = _leading(person_name)


def read_text(view: TextView, lv: LabelledValue, name: str) -> Fact | None:
    value = lv.value.replace(" ", "")
    return fact_from(view, name, value, lv.start, lv.end) if value else None


_PUNCT_LOOKALIKES = str.maketrans({"]": "J", "}": "J", "|": "1", "!": "1", "l": "1", "o": "0"})


def best_uscc(text: str) -> tuple[str, int, int, bool, bool] | None:
    got = _best_uscc(text)
    if got is not None and got[3]:
        return got
    # OCR reads J as "]" and 1 as "|": same length, so offsets stay; accepted only if it validates
    fixed = _best_uscc(text.translate(_PUNCT_LOOKALIKES))
    if fixed is not None and fixed[3]:
        return fixed[0], fixed[1], fixed[2], True, True
    return got


def _best_uscc(text: str) -> tuple[str, int, int, bool, bool] | None:
    """The most trustworthy credit code in `text`: (code, start, end, valid, repaired).

    Valid codes first, then uniquely repairable ones, then an 18-character window of a longer
    alphanumeric run (OCR glues stray letters on), and only then an invalid code as read.
    """
    spans = find_usccs(text)
    for sp in spans:
        if sp.valid:
            return sp.code, sp.start, sp.end, True, False
    for sp in spans:
        if sp.repaired:
            return sp.repaired, sp.start, sp.end, True, True
    # OCR glues stray characters on or splits the code with a space: slide over the compacted run
    for m in re.finditer(r"[0-9A-Za-z](?:[0-9A-Za-z]| (?=[0-9A-Za-z])){17,45}", text):
        where = [m.start() + i for i, ch in enumerate(m.group(0)) if ch != " "]
        run = m.group(0).replace(" ", "").upper()
        for i in range(len(run) - 17):
            window = run[i:i + 18]
            if validate_uscc(window).valid:
                return window, where[i], where[i + 17] + 1, True, False
    if spans:
        sp = spans[0]
        return sp.code, sp.start, sp.end, False, False
    return None


def read_uscc(view: TextView, lv: LabelledValue, name: str) -> Fact | None:
    got = best_uscc(lv.value)
    if got is None:
        raw = lv.value.replace(" ", "")
        if len(raw) != 18:
            return None
        got = (raw.upper(), 0, len(lv.value), validate_uscc(raw).valid, False)
    code, s, e, valid, repaired = got
    return fact_from(view, name, code, lv.start + s, lv.start + e, valid=valid, repaired=repaired)


def _typed(parse: Callable[[str], Any]) -> Callable[[TextView, LabelledValue, str], Fact | None]:
    def reader(view: TextView, lv: LabelledValue, name: str) -> Fact | None:
        v = parse(lv.value)
        return None if v is None else fact_from(view, name, v, lv.start, lv.end)

    return reader


def _first_date(s: str):
    ds = find_dates(s)
    return ds[0].value if ds else parse_date(s)


_SPACED_DIGITS = re.compile(r"(\d(?: \d){1,3})\s*[家户个]?")  # "5 2": OCR put a space between a count's digits


def _first_count(s: str):
    v = parse_count(s.strip())
    if v is not None:
        return v
    if m := _SPACED_DIGITS.fullmatch(s.strip()):
        return int(m.group(1).replace(" ", ""))
    for n in find_numbers(s):
        if n.kind != "percent" and float(n.value).is_integer():
            return int(n.value)
    return None


def _first_ratio(s: str):
    v = parse_ratio(s.strip(), assume_percent=True)
    if v is not None:
        return v
    for n in find_numbers(s):
        r = n.ratio if n.kind == "percent" else parse_ratio(n.raw, assume_percent=True)
        if r is not None and 0 <= r <= 1:  # "509%" is a misread, not a share
            return r
    return None


read_date = _typed(_first_date)
read_count = _typed(_first_count)
read_ratio = _typed(_first_ratio)


def read_address(view: TextView, lv: LabelledValue, name: str) -> Fact | None:
    """An address, with Ningbo district and street names OCR damaged (碶, 鄞) mended."""
    from extractors.normalize.places import mend_address

    value = mend_address(lv.value.replace(" ", ""))
    return fact_from(view, name, value, lv.start, lv.end) if value else None


# How each applicant fact is read from its labelled value (the form and the licence share these).
APPLICANT_READERS = {
    "applicant.name": read_org,
    "applicant.uscc": read_uscc,
    "applicant.legal_representative": read_person,
    "applicant.address": read_address,
    "applicant.established_on": read_date,
}
