"""Figures the applicant states in prose: served SMEs in the report and self-evaluation, service categories.

A statement about the last year counts; cumulative totals (累计, 自成立以来) and
targets (目标, 计划, 力争, 下一年度) are not the annual figure and are skipped.
"""
from __future__ import annotations

import re

from extractors.facts.common import fact_from
from extractors.facts.textview import TextView
from extractors.facts.values import CATEGORIES, CATEGORY_SYNONYMS
from extractors.models import Fact
from extractors.normalize.dates import find_dates
from extractors.normalize.numbers import parse_count

_SERVED = re.compile(
    r"服务(?:了)?(?:各类)?(?:中小微企业|中小企业|小微企业|企业)(?:共计|共|合计|总数)?(?:达到|达|为)?\s*"
    r"([0-9０-９]+|[零〇一二两三四五六七八九十百千]+)\s*(?:家|户|个)"
)
_SKIP_BEFORE = re.compile(r"累计|累积|自成立以来|成立以来|历年|目标|计划|力争|预计|拟|下一年度|下年度|明年|未来|将")
_STOP = "。；;\n"


def _clause_head(text: str, pos: int) -> str:
    """The clause before a figure (back to the previous sentence stop), where 累计/目标 would sit."""
    start = max(text.rfind(ch, 0, pos) for ch in _STOP) + 1
    return text[max(start, pos - 40): pos]


def stated_served(view: TextView, name: str) -> Fact | None:
    text = view.text
    for m in _SERVED.finditer(text):
        if _SKIP_BEFORE.search(_clause_head(text, m.start()) + text[m.start(): m.start(1)]):
            continue
        value = parse_count(m.group(1) + "家")
        if value is not None:
            return fact_from(view, name, value, m.start(), m.end())
    return None


def observed_categories(view: TextView) -> Fact | None:
    text = view.text
    found: dict[str, int] = {}
    for name in CATEGORIES + tuple(CATEGORY_SYNONYMS):
        i = text.find(name)
        if i >= 0:
            found.setdefault(CATEGORY_SYNONYMS.get(name, name), i)
    if not found:
        return None
    first = min(found.values())
    ordered = tuple(c for c in CATEGORIES if c in found)
    return fact_from(view, "service.categories", ordered, first, first + 4)


def report_kind(view: TextView) -> Fact | None:
    m = re.search(r"(入库培育|培育|认定)申请报告", view.text[:400])
    if not m:
        return None
    kind = "certification" if m.group(1) == "认定" else "cultivation"
    return fact_from(view, "application.kind", kind, m.start(), m.end())


def report_date(view: TextView) -> Fact | None:
    """The report's date: under its title, or in the signature at its end."""
    text = view.text
    head = find_dates(text[:300])
    if head:
        d = head[0]
        return fact_from(view, "report.date", d.value, d.start, d.end)
    tail_start = max(0, len(text) - 200)
    tail = find_dates(text[tail_start:])
    if tail:
        d = tail[-1]
        return fact_from(view, "report.date", d.value, tail_start + d.start, tail_start + d.end)
    return None
