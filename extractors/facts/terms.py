"""Terms of agreements and leases (自…起至…止, 合作期限为三年, 至长期), as OCR leaves them.

Terms are read as written where they can be (`find_dates`); where OCR damaged a date, only what is
certain is kept: a year or year-month gives bounds, a stated duration (合作期限为三年) links start
and end, and a date one character away from exactly one anniversary of the other date is taken as
that anniversary. Whether a term covers a day is then decided from the bounds, and is unknown
(None) rather than guessed when they do not decide it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from extractors.normalize.dates import find_dates
from extractors.normalize.numbers import cn_to_int, to_halfwidth

_WINDOW = 90
_WINDOW_STOP = re.compile(r"[甲乙]方\s*[(（]?\s*(?:盖章|签章|签字)|日期\s*[:：]|签订日期|\n\n")

# OCR reads 〇 as 0, O, o, ○ or 口 inside a Chinese-numeral date
_CN_DIGIT = "〇零一二三四五六七八九"
_ZERO_LIKE = re.compile(r"(?<=[〇零一二三四五六七八九十])[0OoＯ○口]|[0OoＯ○口](?=[〇零一二三四五六七八九十])")
_COMPACT = re.compile(  # 2019-1220, 202212-19, 20230319, 20224/3: one date with a separator lost
    r"(?<![\d.])((?:19|20)\d{2})\s*[-./年]?\s*(?:(\d{2})(\d{2})|(\d{1,2})\s*[-./月]\s*(\d{1,2}))(?!\d)"
    r"(?!\s*[-./]\s*\d)")  # "20122-05-2" has a part more than one date: a digit too many, not a separator lost
_YEAR_MONTH = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月"
                         r"|(?<![〇零一二三四五六七八九])([一二][〇零九][〇零一二三四五六七八九]{2})\s*年\s*([一二三四五六七八九十]{1,3})\s*月")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})\s*[年/.-]"
                   r"|(?<![〇零一二三四五六七八九])([一二][〇零九][〇零一二三四五六七八九]{2})\s*年")
_MONTH_DAY = re.compile(r"(?<![\d〇零一二三四五六七八九十])(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*"
                        r"(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]"
                        r"|(?<![\d/])\d{1,3}\s*([-./])\s*(\d{1,2})\s*\3\s*(\d{1,2})(?!\d)")
_YEAR3 = re.compile(r"(?<![\d.])(\d{3})\s*[年/.-]\s*\d"
                    r"|(?<![〇零一二三四五六七八九])([〇零一二三四五六七八九]{3})\s*年")
_ANY_YEAR = re.compile(r"(?<![\d〇零一二三四五六七八九])(?:\d{4}|[〇零一二三四五六七八九0Oo口]{4})\s*年")
_DURATION = re.compile(r"(?:期限|期|为)\s*(?:为)?\s*([一二三四五六七八九十两]|\d{1,2})\s*年")
_OPEN_ENDED = re.compile(r"长期|永久|无固定期限|不约定期限")
_MAX_YEARS = 30


@dataclass(frozen=True)
class Term:
    """A term as far as it could be read. `start`/`end` are exact; the bounds hold what is certain
    of a date that is only partly legible (earliest, latest; None = unbounded)."""

    start: date | None = None
    end: date | None = None
    open_ended: bool = False
    years: int | None = None
    start_bounds: tuple[date | None, date | None] = (None, None)
    end_bounds: tuple[date | None, date | None] = (None, None)
    span: tuple[int, int] | None = None  # offsets of the term's dates in the text read
    note: str | None = None  # how a damaged date was recovered
    from_length: bool = False  # a date was worked out from the stated length, not read

    @property
    def legible(self) -> bool:
        return bool(self.start or self.end or self.open_ended or any(self.start_bounds) or any(self.end_bounds))

    def valid_on(self, day: date) -> bool | None:
        """True/False when what was read decides it, None when it does not. A side of which
        nothing at all could be read is taken as no limit (as the term reader always did), so
        "自2019-05-25起至222-0止" counts as running; a side read in part must decide by itself."""
        s_lo, s_hi = (self.start, self.start) if self.start else self.start_bounds
        e_lo, e_hi = (self.end, self.end) if self.end else self.end_bounds
        start_unread, end_unread = s_lo is None and s_hi is None, e_lo is None and e_hi is None and not self.open_ended
        if start_unread and end_unread:
            return None
        if (s_lo and s_lo > day) or (e_hi and e_hi < day):
            return False
        started = s_hi is not None and s_hi <= day
        running = self.open_ended or (e_lo is not None and e_lo >= day)
        started = started or start_unread
        running = running or end_unread
        return True if started and running else None

    @property
    def assumed(self) -> bool:
        """One side could not be read at all and was taken as no limit."""
        return self.legible and not self.open_ended and (
            (self.start is None and self.start_bounds == (None, None))
            or (self.end is None and self.end_bounds == (None, None)))


def _add_years(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def _month_bounds(y: int, m: int) -> tuple[date, date] | None:
    if not 1 <= m <= 12:
        return None
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return date(y, m, 1), nxt - timedelta(days=1)


def _cn_zeros(s: str) -> str:
    return _ZERO_LIKE.sub("〇", s)


def _num(s: str) -> int | None:
    return int(s) if s.isdigit() else cn_to_int(s)


@dataclass(frozen=True)
class _Part:
    """One side of a term: an exact date, or what is certain about it."""

    exact: date | None = None
    bounds: tuple[date | None, date | None] = (None, None)
    month_day: tuple[int, int] | None = None
    digits: str = ""  # the Arabic date as read, for the anniversary repair
    year3: str | None = None  # a year that lost a digit: "202", "二〇二"
    span: tuple[int, int] | None = None


# OCR's strays inside a date, mended in place so offsets carry over: a mark before a separator
# ("2020).11.12"), a comma for the separator the rest of the date uses ("2023,9/2"), a speck inside a
# Chinese year ("二〇.二五年", moved out before 年 as a space) or in place of its lost digit ("二〇二,年").
_MARK_BEFORE_SEP = re.compile(r"(?<=\d)[)）\]】'\"°·](?=\s*[-./])")
_COMMA_FOR_SEP = re.compile(r"(?<=(?:19|20)\d\d)[,，](?=\d{1,2}([-./])\d)")
_MARK_IN_CN_YEAR = re.compile(rf"(?<![{_CN_DIGIT}])([{_CN_DIGIT}]{{1,3}})[.·,，'`]([{_CN_DIGIT}]{{1,3}})(\s*)年")
# A mark where a Chinese year's digit was ("二〇二,年", the digit lost under a seal): a year that lost a digit.
_MARK_FOR_CN_DIGIT = re.compile(rf"(?<![{_CN_DIGIT}])([{_CN_DIGIT}]{{3}})[.·,，'`](?=\s*年)")


def _mend_separators(t: str) -> str:
    t = _MARK_IN_CN_YEAR.sub(lambda m: m[1] + m[2] + " " + m[3] + "年" if len(m[1] + m[2]) == 4 else m[0], t)
    t = _MARK_FOR_CN_DIGIT.sub(lambda m: m[1] + " ", t)
    t = _MARK_BEFORE_SEP.sub(" ", t)
    return _COMMA_FOR_SEP.sub(lambda m: m[1], t)


def _read_part(s: str) -> _Part:
    t = _mend_separators(_cn_zeros(to_halfwidth(s)))  # same length: offsets carry over
    ds = find_dates(t)
    if ds:
        return _Part(exact=ds[0].value, span=(ds[0].start, ds[0].end))
    m = _COMPACT.search(t)
    if m:
        try:
            return _Part(exact=date(int(m[1]), int(m[2] or m[4]), int(m[3] or m[5])), span=m.span())
        except ValueError:
            pass
    # the Arabic date as read, separators kept as "/": "2121年12月9日" -> "2121/12/9"
    ad = re.search(r"(?:19|20|21)\d[\d\s./年月日-]{2,12}\d", t)
    digits = re.sub(r"[^\d]+", "/", ad.group(0)) if ad else ""
    bounds: tuple[date | None, date | None] = (None, None)
    span = None
    m = _YEAR_MONTH.search(t)
    if m:
        y: int | None = int(m[1]) if m[1] else cn_to_int(m[3])
        mo: int | None = int(m[2]) if m[2] else cn_to_int(m[4])
        got = _month_bounds(y, mo) if y and mo and 1949 <= y <= 2100 else None
        if got:
            bounds, span = got, m.span()
    if bounds == (None, None):
        m = _YEAR.search(t)
        if m:
            y = int(m[1]) if m[1] else cn_to_int(m[2])
            if y and 1949 <= y <= 2100:
                bounds, span = (date(y, 1, 1), date(y, 12, 31)), m.span()
    md = None
    m = _MONTH_DAY.search(t)
    if m:
        d: int | None
        mo, d = (_num(m[1]), _num(m[2])) if m[1] else (int(m[4]), int(m[5]))
        if mo and d and 1 <= mo <= 12 and 1 <= d <= 31:
            md = (mo, d)
            span = span or m.span()
    m = _YEAR3.search(t)
    y3 = None
    if m and bounds == (None, None):
        y3 = m[1] or "".join(str(max(_CN_DIGIT.index(ch) - 1, 0)) for ch in m[2])
    return _Part(bounds=bounds, month_day=md, digits=digits, year3=y3, span=span)


def _unsure(part: _Part) -> _Part:
    """A side whose exact reading was contradicted: only its span is kept (for the evidence)."""
    return _Part(span=part.span)


def _lost_digit_bounds(part: _Part, known: date, forward: bool) -> tuple[date | None, date | None]:
    """Bounds of a date whose year lost one digit ("二〇二年三月五日"), given the other end of the
    term: every year that gives the three digits read when one digit is dropped, within
    _MAX_YEARS of `known` and on the right side of it."""
    if not part.year3:
        return None, None
    lo_y, hi_y = (known.year, known.year + _MAX_YEARS) if forward else (known.year - _MAX_YEARS, known.year)
    years = [y for y in range(lo_y, hi_y + 1)
             if any(str(y)[:i] + str(y)[i + 1:] == part.year3 for i in range(4))]
    if not years:
        return None, None
    mo, d = part.month_day or (None, None)
    lo = _safe_date(years[0], mo or 1, d or 1)
    hi = _safe_date(years[-1], mo or 12, d or 31)
    if forward and lo is not None and lo <= known:
        lo = _safe_date(years[1], mo or 1, d or 1) if len(years) > 1 else None
    if not forward and hi is not None and hi >= known:
        hi = _safe_date(years[-2], mo or 12, d or 31) if len(years) > 1 else None
    return lo, hi


def _safe_date(y: int, m: int, d: int) -> date | None:
    for day in range(d, 27, -1) if d > 28 else (d,):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    return None


def _edit_distance(a: str, b: str) -> float:
    """Levenshtein distance where adding or dropping a separator ("/") costs half a digit."""
    cost = lambda ch: 0.5 if ch == "/" else 1.0  # noqa: E731
    prev = [0.0]
    for cb in b:
        prev.append(prev[-1] + cost(cb))
    for ca in a:
        cur = [prev[0] + cost(ca)]
        for j, cb in enumerate(b, 1):
            sub = 0.0 if ca == cb else (1.0 if "/" not in (ca, cb) else 1.5)
            cur.append(min(prev[j] + cost(ca), cur[j - 1] + cost(cb), prev[j - 1] + sub))
        prev = cur
    return prev[-1]


def _renderings(d: date) -> set[str]:
    return {f"{d.year}/{d.month}/{d.day}", f"{d.year}/{d.month:02d}/{d.day:02d}"}


def _anniversaries(known: date, forward: bool) -> list[date]:
    """Dates a term commonly ends (or starts) on, given the other end: N years on, or a day less."""
    out = []
    for n in range(1, _MAX_YEARS + 1):
        a = _add_years(known, n if forward else -n)
        out += [a - timedelta(days=1), a] if forward else [a + timedelta(days=1), a]
    return out


def _repair(part: _Part, known: date, forward: bool) -> date | None:
    """The one anniversary of `known` within one digit of the date as read, else None."""
    if len(re.sub(r"\D", "", part.digits)) < 5:
        return None
    scored = sorted((min(_edit_distance(part.digits, r) for r in _renderings(c)), c)
                    for c in _anniversaries(known, forward))
    lo, hi = part.bounds
    scored = [(dist, c) for dist, c in scored if (lo is None or c >= lo) and (hi is None or c <= hi)]
    if scored and scored[0][0] <= 1 and (len(scored) == 1 or scored[1][0] > scored[0][0]):
        return scored[0][1]
    return None


def _with_month_day(bounds: tuple[date | None, date | None], md: tuple[int, int] | None) -> date | None:
    """The single date of month-day `md` inside closed `bounds` spanning at most a year."""
    lo, hi = bounds
    if md is None or lo is None or hi is None or (hi - lo).days > 366:
        return None
    hits = []
    for y in range(lo.year, hi.year + 1):
        try:
            d = date(y, *md)
        except ValueError:
            continue
        if lo <= d <= hi:
            hits.append(d)
    return hits[0] if len(hits) == 1 else None


def _split_term(w: str) -> tuple[str, int, str, int]:
    """Start side and end side of a term window, with their offsets in `w`."""
    m = re.search(r"至|到|[~～]", w)
    if m is None:
        m = re.search(r"起", w)
    if m is None:  # "自二〇一九年二〇二一年一月八日止": 起…至 lost between two dates; the second year starts the end
        years = list(_ANY_YEAR.finditer(w))
        if len(years) >= 2:
            return w[: years[1].start()], 0, w[years[1].start():], years[1].start()
    if m is None:
        t = _cn_zeros(to_halfwidth(w))
        ds = find_dates(t)
        cm = _COMPACT.search(t)
        ends = [x for x in ([ds[0].end] if ds else []) + ([cm.end()] if cm else [])]
        if not ends:
            return w, 0, "", len(w)
        cut = min(ends)
        return w[:cut], 0, w[cut:], cut
    end_side = w[m.end():]
    stop = re.search(r"止|[。;；]", end_side)
    if stop:
        end_side = end_side[: stop.start() + 1]
    return w[: m.start()], 0, end_side, m.end()


def read_term(w: str, use_duration: bool = True) -> Term:
    """The term written in `w` (text just after 有效期/合作期限/租赁期限 …)."""
    open_ended = bool(_OPEN_ENDED.search(w))
    dm = _DURATION.search(w)
    years = _num(dm[1].replace("两", "二")) if dm else None
    s_txt, s_off, e_txt, e_off = _split_term(w)
    sp, ep = _read_part(s_txt), _read_part(e_txt)
    start, end = sp.exact, None if open_ended else ep.exact
    notes = []
    if start and end and end < start:  # misread: a term cannot end before it starts; neither side is sure
        start, end = None, None
        sp, ep = _unsure(sp), _unsure(ep)
        notes.append("起止日期矛盾（止期早于起期），按无法辨认处理")
    s_b, e_b = sp.bounds, ep.bounds
    from_length = False
    if start and not end and not open_ended:
        end = _repair(ep, start, True) if ep.digits else None
        if end:
            notes.append("止期经OCR校正")
        elif years and use_duration and e_b[0] is None:
            end = _add_years(start, years) - timedelta(days=1)
            notes.append(f"止期按合作期限{years}年推算")
            from_length = True
    if end and not start:
        start = _repair(sp, end, False) if sp.digits else None
        if start:
            notes.append("起期经OCR校正")
        elif years and use_duration and s_b[0] is None:
            start = _add_years(end, -years) + timedelta(days=1)
            notes.append(f"起期按合作期限{years}年推算")
            from_length = True
    if years and use_duration:  # carry what is certain of one side over to the other
        if not start and not end:
            if s_b[0] and s_b[1]:
                e_b = _intersect(e_b, (_add_years(s_b[0], years) - timedelta(days=1), _add_years(s_b[1], years)))
            if e_b[0] and e_b[1]:
                s_b = _intersect(s_b, (_add_years(e_b[0], -years), _add_years(e_b[1], -years) + timedelta(days=1)))
            start = _with_month_day(s_b, sp.month_day)
            end = _with_month_day(e_b, ep.month_day)
            if start and not end:
                end = _add_years(start, years) - timedelta(days=1)
            elif end and not start:
                start = _add_years(end, -years) + timedelta(days=1)
            if start or end:
                notes.append(f"按合作期限{years}年推算")
                from_length = True
    if start and not end and not open_ended and e_b == (None, None) and ep.year3:
        e_b = _lost_digit_bounds(ep, start, True)
    if end and not start and s_b == (None, None) and sp.year3:
        s_b = _lost_digit_bounds(sp, end, False)
    if start and not end and not open_ended and e_b == (None, None) and ep.month_day:
        # "至二〇二年三月五日": the year is lost, but the end falls after the start
        e_b = (_next_on(start, ep.month_day), None)
    spans = [(off + sp_[0], off + sp_[1]) for off, sp_ in ((s_off, sp.span), (e_off, ep.span)) if sp_]
    span = (spans[0][0], spans[-1][1]) if spans else None
    return Term(start, end, open_ended, years, s_b, e_b, span, "；".join(notes) or None, from_length)


def _intersect(a: tuple[date | None, date | None], b: tuple[date | None, date | None]) -> tuple[date | None, date | None]:
    lo = max((x for x in (a[0], b[0]) if x), default=None)
    hi = min((x for x in (a[1], b[1]) if x), default=None)
    return (lo, hi) if lo is None or hi is None or lo <= hi else a


def _next_on(after: date, md: tuple[int, int]) -> date | None:
    for y in range(after.year, after.year + 2):
        try:
            d = date(y, *md)
        except ValueError:
            continue
        if d > after:
            return d
    return None


def _term_score(t: Term) -> int:
    # a date worked out from the stated length ranks below one read: "合作期限到" (a heading with a stray 到)
    # before "合作期限为三年，自2022年6月1日起至2025年5月31日止" must not make 2022-06-01 the end
    return (4 * bool(t.start) + 4 * bool(t.end) + 2 * t.open_ended + sum(x is not None for x in t.start_bounds + t.end_bounds)
            - t.from_length)


def find_term(text: str, keyword: re.Pattern[str], use_duration: bool = True) -> tuple[Term, int] | None:
    """The most complete term after any `keyword` match in `text`, with the offset its window starts at."""
    best: tuple[Term, int] | None = None
    for m in keyword.finditer(text):
        w = text[m.end(): m.end() + _WINDOW]
        stop = _WINDOW_STOP.search(w)
        if stop:
            w = w[: stop.start()]
        t = read_term(w, use_duration)
        if t.legible and (best is None or _term_score(t) > _term_score(best[0])):
            best = (t, m.end())
    return best


