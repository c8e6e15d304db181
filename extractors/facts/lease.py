"""Premises facts from a lease (租赁合同) or a property certificate (产权证明)."""
from __future__ import annotations

import re

from extractors.facts.common import fact_from
from extractors.facts.textview import TextView
from extractors.facts.values import org_name
from extractors.models import Fact
from extractors.normalize.dates import find_dates

_LESSEE = re.compile(r"(?:承租方|承租人|承租单位)(?:\((?:乙方)\))?\s*[:：]\s*|乙方(?:\((?:承租方|承租人)\))?\s*[:：]\s*")
_HOLDER = re.compile(r"(?:权利人|所有权人|产权人|房屋所有权人)\s*[:：]?\s*")
_TERM = re.compile(r"(?:租赁期限|租赁期|租期|租赁时间)")
_ADDRESS = re.compile(r"(?:坐落于|坐落在|位于|房屋坐落|房屋地址|坐落)\s*[:：]?\s*([^，,。;；\n]{6,60}?)(?:的房屋|的房产|房屋|，|,|。|\n)")


def _party(view: TextView, rx: re.Pattern[str], name: str) -> Fact | None:
    for m in rx.finditer(view.text):
        got = org_name(view.text[m.end(): m.end() + 60])
        if got:
            text, off = got
            s = m.end() + max(off, 0)
            return fact_from(view, name, text, s, s + len(text))
    return None


def read_premises(view: TextView) -> dict[str, Fact]:
    text = view.text
    out: dict[str, Fact] = {}
    is_certificate = bool(re.search(r"产权证|不动产权|房屋所有权证|房产证", text[:200])) and not re.search(
        r"租赁合同|租赁协议", text[:200])
    out["premises.kind"] = fact_from(view, "premises.kind", "property" if is_certificate else "lease", 0, min(len(text), 20))
    lessee = _party(view, _HOLDER if is_certificate else _LESSEE, "premises.lessee")
    if lessee:
        out["premises.lessee"] = lessee
    for m in _TERM.finditer(text):
        window_end = min(len(text), m.end() + 80)
        dates = [d for d in find_dates(text[m.end():window_end])]
        if len(dates) >= 2:
            d0, d1 = dates[0], dates[1]
            out["premises.lease_start"] = fact_from(view, "premises.lease_start", d0.value, m.end() + d0.start, m.end() + d0.end)
            out["premises.lease_end"] = fact_from(view, "premises.lease_end", d1.value, m.end() + d1.start, m.end() + d1.end)
            break
    if "premises.lease_end" not in out and not is_certificate:
        m = re.search(r"自\s*(\S{6,16}?)\s*起?\s*至\s*(\S{6,16}?)\s*止", text)
        if m:
            ds = find_dates(m.group(0))
            if len(ds) >= 2:
                out["premises.lease_start"] = fact_from(view, "premises.lease_start", ds[0].value, m.start() + ds[0].start, m.start() + ds[0].end)
                out["premises.lease_end"] = fact_from(view, "premises.lease_end", ds[1].value, m.start() + ds[1].start, m.start() + ds[1].end)
    m = _ADDRESS.search(text)
    if m:
        addr = m.group(1).replace(" ", "")
        out["premises.address"] = fact_from(view, "premises.address", addr, m.start(1), m.end(1))
    return out
