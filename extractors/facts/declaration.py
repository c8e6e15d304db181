"""The applicant's name as signed on the declaration of authenticity (真实性声明)."""
from __future__ import annotations

import re

from extractors.facts.common import fact_from
from extractors.facts.textview import TextView
from extractors.facts.values import all_org_names, org_name
from extractors.models import Fact
from extractors.normalize.dates import find_dates

_SIGNER = re.compile(r"(?:申请单位|声明单位|承诺单位|单位名称|申报单位|声明人)(?:\([^)]{0,6}\))?\s*[:：]?\s*")
_ADDRESSEE = re.compile(r"经济和信息化|经信|中小企业发展服务中心|人民政府")


def read_declaration(view: TextView) -> dict[str, Fact]:
    out = _name(view)
    dates = find_dates(view.text)
    if dates:  # the signature date closes the declaration
        d = dates[-1]
        out["declaration.date"] = fact_from(view, "declaration.date", d.value, d.start, d.end)
    return out


def _name(view: TextView) -> dict[str, Fact]:
    text = view.text
    for m in _SIGNER.finditer(text):
        got = org_name(text[m.end(): m.end() + 60])
        if got:
            name, off = got
            s = m.end() + max(off, 0)
            return {"declaration.name": fact_from(view, "declaration.name", name, s, s + len(name))}
    names = [n for n in all_org_names(text) if not _ADDRESSEE.search(n[0])]
    if names:
        name, s, e = names[-1]
        return {"declaration.name": fact_from(view, "declaration.name", name, s, e, unlabelled=True)}
    return {}
