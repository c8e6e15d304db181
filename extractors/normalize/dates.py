"""Dates and terms as written on licences, leases and forms, including OCR spacing.

Accepted: 2016年3月18日, 2016-03-18, 2016.03.18, 2016/3/18, 二〇一六年三月十八日,
二零一六年三月十八日, "2016 年 3 月 18 日", full-width digits. Anything outside
1949..2100 or not a calendar day is not a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .numbers import cn_to_int, to_halfwidth

MIN_YEAR, MAX_YEAR = 1949, 2100

# Year digits written one by one; OCR gives ○, O, C or 0 for 〇, and under a seal the box-like 口, 加, 回 or 田
# (only here, among Chinese digits before 年; the year must still fall within MIN_YEAR..MAX_YEAR).
_CN_YEAR = r"(?:(?=[0０]*[〇零○OoＯCcＣ一二三四五六七八九])[〇零○OoＯCcＣ0０口加回田一二三四五六七八九]{4}" \
    r"|二[9９][〇零一二三四五六七八九]{2})"  # 〇 read as the round 9 where only 〇 can stand: 二9二三年 is 2023
_CN_MD = r"[〇零一二三四五六七八九十]{1,3}"
# A speck on a scan read as punctuation after 年 or 月 ("2025年:1月13日") does not break a date.
_SPECK = r"\s*[:：·'‘’,，、]?\s*"
# ... and one between a figure and 月/日 ("2025年:1.月13日"): a full stop there is never a decimal point.
_SPECK_BEFORE = r"\s*[.:：·'‘’,，]?\s*"
_DATE_RE = re.compile(
    rf"(?<!\d)(?P<y>\d{{4}})\s*年{_SPECK}(?P<m>\d{{1,2}}){_SPECK_BEFORE}月{_SPECK}(?P<d>\d{{1,2}})(?!\d)"
    rf"(?:{_SPECK_BEFORE}[日号])?"
    r"|(?<![\d.])(?P<y2>\d{4})\s*(?P<sep>[-./])\s*(?P<m2>\d{1,2})\s*(?P=sep)\s*(?P<d2>\d{1,2})(?!\d)"
    # 日 misread ("十八晶") ends the day too when a character follows that is no numeral; a day ending in
    # 十 may have lost its last digit ("十[八]"), so it needs its 日
    rf"|(?P<y3>{_CN_YEAR})\s*年{_SPECK}(?P<m3>{_CN_MD})\s*月{_SPECK}(?P<d3>{_CN_MD})(?:\s*[日号]|(?<!十)(?=[^〇零一二三四五六七八九十\s]))"
)


@dataclass(frozen=True)
class DateSpan:
    start: int
    end: int
    raw: str
    value: date


def _make(y: int | None, m: int | None, d: int | None) -> date | None:
    if y is None or m is None or d is None or not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _cn_year(s: str) -> int | None:
    return cn_to_int(re.sub(r"[OoＯCcＣ0０口加回田]", "〇", re.sub(r"^二[9９]", "二〇", s)))


def _value(m: re.Match[str]) -> date | None:
    if m["y"]:
        return _make(int(m["y"]), int(m["m"]), int(m["d"]))
    if m["y2"]:
        return _make(int(m["y2"]), int(m["m2"]), int(m["d2"]))
    return _make(_cn_year(m["y3"]), cn_to_int(m["m3"]), cn_to_int(m["d3"]))


def find_dates(text: str) -> list[DateSpan]:
    """All dates in running text, with offsets into `text`."""
    t = to_halfwidth(text)  # same length, so offsets carry over
    out = []
    for m in _DATE_RE.finditer(t):
        value = _value(m)
        if value is not None:
            out.append(DateSpan(m.start(), m.end(), text[m.start() : m.end()], value))
    return out


def parse_date(s: str) -> date | None:
    """One date filling the whole of `s` (surrounding spaces allowed), else None."""
    t = to_halfwidth(s).strip()
    m = _DATE_RE.fullmatch(t)
    return _value(m) if m else None


_OPEN_ENDED = re.compile(r"长期|永久|不约定期限|无固定期限|无期限")
_TO = re.compile(r"[至到止~～—]|-\s*$")


def parse_term(s: str) -> tuple[date | None, date | None, bool]:
    """(start, end, open_ended) of a term: 2016年06月24日至长期, 自2019-08-13起至2024-08-12止, 长期.

    An open-ended term has no end date. Dates are returned as written, even when
    the end precedes the start: judging that is a rule's job.
    """
    open_ended = bool(_OPEN_ENDED.search(s))
    spans = find_dates(s)
    if len(spans) == 1 and _TO.search(s[: spans[0].start]) and not open_ended:
        return None, spans[0].value, False  # 至2024-08-12: only the end is written
    start = spans[0].value if spans else None
    end = spans[1].value if len(spans) > 1 and not open_ended else None
    return start, end, open_ended
