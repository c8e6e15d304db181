"""Counts, ratios and Chinese numerals, parsed from short spans or found in running text.

Only matched spans are converted: converting a whole text with a numeral library
turns words such as 统一 into 统1. Chinese numerals are taken as numbers only
where a unit follows (56家, 三年) or 百分之 precedes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

# Full-width ASCII and the ideographic space, mapped one character to one character
# so that offsets found in the translated text are offsets in the original.
# The full-width comma stays: in Chinese text it is punctuation, not a digit grouping.
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if cp != 0xFF0C}
_HALFWIDTH[0x3000] = 0x20


def to_halfwidth(text: str) -> str:
    """Full-width letters, digits and signs to ASCII; the result has the same length."""
    return text.translate(_HALFWIDTH)


_DIGITS = {
    "零": 0, "〇": 0, "○": 0,
    "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6, "七": 7, "柒": 7,
    "八": 8, "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_ZEROS = frozenset("零〇○")
CN_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)

# Units after which a Chinese numeral is taken as a number (see module docstring).
COUNT_UNITS = "家户个人次项名位所"
CN_UNITS = COUNT_UNITS + "年"


def _tokens(s: str) -> list[int | str] | None:
    """Arabic runs become ints; Chinese digits ints; units and zeros stay as characters."""
    out: list[int | str] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch.isascii() and ch.isdigit():
            j = i
            while j < len(s) and s[j].isascii() and s[j].isdigit():
                j += 1
            out.append(int(s[i:j]))
            i = j
            continue
        if ch in _ZEROS:
            out.append("0")
        elif ch in _DIGITS:
            out.append(_DIGITS[ch])
        elif ch in _SMALL_UNITS or ch in _BIG_UNITS:
            out.append(ch)
        else:
            return None
        i += 1
    return out


def _structured(tokens: list[int | str]) -> int | None:
    """Positional reading: 一百零二, 十二, 叁佰万, 3万, 一万五 (colloquial trailing digit)."""
    total = 0  # completed 亿 groups
    wan = 0  # completed 万 group inside the current 亿 group
    section = 0  # below 万
    digit: int | None = None
    last_small = 10**9  # small units must decrease inside a section
    last_unit = 0  # value of the unit just before a trailing bare digit
    zero_seen = False
    for tok in tokens:
        if isinstance(tok, int):
            if digit is not None:
                return None  # two digits in a row: not positional
            digit = tok
        elif tok == "0":
            if digit is not None:
                return None
            zero_seen = True
            last_unit = 0
        elif tok in _SMALL_UNITS:
            unit = _SMALL_UNITS[tok]
            if unit >= last_small:
                return None
            if digit is None:
                # a bare 十 opens a section (十二, 十万) or follows a zero (一千零十)
                if unit != 10 or not (section == 0 or zero_seen):
                    return None
                digit = 1
            section += digit * unit
            digit, last_small, last_unit, zero_seen = None, unit, unit, False
        else:
            unit = _BIG_UNITS[tok]
            group = section + (digit or 0)
            if unit == 10_000:
                if group == 0 or wan:
                    return None
                wan = group * unit
            else:
                if group + wan == 0:
                    return None
                total = (total + wan + group) * unit
                wan = 0
            section, digit, last_small, last_unit, zero_seen = 0, None, 10**9, unit, False
    if digit is not None:
        if last_unit >= 100 and digit < 10:
            # 两百五 = 250, 一万五 = 15000: a bare trailing digit counts in the next unit down
            digit *= last_unit // 10
        section += digit
    return total + wan + section


def cn_to_int(s: str) -> int | None:
    """A whole span of Chinese (or mixed) numerals to an int, else None.

    Positional forms (一百零二, 十二, 两百, 壹佰, 叁佰万, 3万) and digit-by-digit
    forms (二〇一六) are read; full-width digits are accepted.
    """
    s = re.sub(r"\s+", "", to_halfwidth(s))
    if not s:
        return None
    if s.isascii():
        return int(s) if s.isdigit() else None
    tokens = _tokens(s)
    if not tokens:
        return None
    if all(isinstance(t, int) or t == "0" for t in tokens):
        if any(isinstance(t, int) and t > 9 for t in tokens) and len(tokens) > 1:
            return None  # 2〇16: not a way numbers are written
        return int("".join(str(t) for t in tokens))
    return _structured(tokens)


_COUNT_RE = re.compile(
    rf"(?:共计|合计|总计|累计|共)?\s*(?P<num>\d{{1,3}}(?:,\d{{3}})+|[\d{CN_NUMERAL_CHARS}]+)\s*(?P<unit>[{COUNT_UNITS}])?"
)


def parse_count(s: str) -> int | None:
    """A count such as 56, 56家, ５６家, 五十六家, 共计56家, 1,024; None for anything else."""
    m = _COUNT_RE.fullmatch(to_halfwidth(s).strip())
    if not m:
        return None
    return cn_to_int(m["num"].replace(",", ""))


def _decimal(num: str) -> Decimal | None:
    """68.5 or 六十八点五 (digits after 点 are read one by one)."""
    num = re.sub(r"\s+", "", num)
    if not num:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", num):
        return Decimal(num)
    whole, _, frac = num.partition("点")
    iv = cn_to_int(whole) if whole else 0
    if iv is None:
        return None
    if not frac:
        return Decimal(iv) if "点" not in num else None
    if any(c not in _DIGITS or c in "两兩" for c in frac):
        return None
    try:
        return Decimal(f"{iv}." + "".join(str(_DIGITS[c]) for c in frac))
    except InvalidOperation:
        return None


def parse_ratio(s: str, *, assume_percent: bool = False) -> float | None:
    """A share as a float in 0..1: 68.5%, ６８．５％, 0.685, 百分之六十八点五.

    A bare number above 1 (up to 100) is read as a percent only with
    `assume_percent` (a column headed 占比(%)). Per-mille and anything that lands
    outside 0..1 give None.
    """
    t = to_halfwidth(s).strip()
    if not t or "‰" in t:
        return None
    value: Decimal | None
    if t.startswith("百分之"):
        value = _decimal(t[3:])
        value = None if value is None else value / 100
    elif t.endswith("%"):
        value = _decimal(t[:-1])
        value = None if value is None else value / 100
    elif re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", t):
        value = Decimal(t)
        if value > 1:
            value = value / 100 if assume_percent else None
    else:
        return None
    if value is None or not (0 <= value <= 1):
        return None
    return float(value)


class NumberKind(StrEnum):
    ARABIC = "arabic"
    CHINESE = "chinese"
    PERCENT = "percent"


@dataclass(frozen=True)
class NumberSpan:
    """A number found in text. For PERCENT, `value` is as written (68.5) and `ratio` is 0.685."""

    start: int
    end: int
    raw: str
    value: int | float
    kind: NumberKind
    unit: str | None = None
    approximate: bool = False  # 50余家, 约50家, 50多家: not an exact figure

    @property
    def ratio(self) -> float | None:
        return float(Decimal(str(self.value)) / 100) if self.kind is NumberKind.PERCENT else None


_CN = f"[{CN_NUMERAL_CHARS}]"
_FIND_RE = re.compile(
    # 百分之六十八点五 / 百分之68.5
    rf"(?P<cnpct>百分之\s*(?:\d+(?:\.\d+)?|{_CN}+(?:点[零〇○一二三四五六七八九]+)?))"
    # arabic, with thousands grouping and an optional unit or percent sign
    rf"|(?<![0-9A-Za-z.])(?P<num>\d{{1,3}}(?:,\d{{3}})+(?!\d)|\d+)(?P<frac>\.\d+)?(?![0-9A-Za-z])"
    rf"(?:\s?(?P<more>[余多]?)(?P<unit>[{CN_UNITS}%]))?"
    # Chinese numerals only before a unit; 第一, 几十, 数十 are not counts
    rf"|(?<![第几數数若\d{CN_NUMERAL_CHARS}])(?P<cn>{_CN}+)(?=(?P<cnmore>[余多]?)(?P<cnunit>[{CN_UNITS}]))"
)
_APPROX_BEFORE = ("约", "近", "逾", "超过", "大约")
_APPROX_AFTER = ("余", "多", "左右")


def _cn_run(run: str, unit: str) -> tuple[int, int] | None:
    """(offset into run, value) for the longest suffix of `run` that reads as a number.

    A suffix is tried because the run may start inside a word (唯一一家 -> 一家).
    Digit-by-digit runs (二〇一六) are accepted only before 年.
    """
    for off in range(len(run)):
        part = run[off:]
        digit_by_digit = len(part) > 1 and not any(c in _SMALL_UNITS or c in _BIG_UNITS for c in part)
        if digit_by_digit and unit != "年":
            continue
        value = cn_to_int(part)
        if value is not None:
            return off, value
    return None


def find_numbers(text: str) -> list[NumberSpan]:
    """Numbers in running text, with offsets into `text` (full-width digits included)."""
    t = to_halfwidth(text)
    out: list[NumberSpan] = []
    for m in _FIND_RE.finditer(t):
        more = False
        if m["cnpct"]:
            d = _decimal(m["cnpct"][3:])
            if d is None:
                continue
            value: int | float = float(d) if re.search(r"[.点]", m["cnpct"]) else int(d)
            start, end, kind, unit = m.start(), m.end(), NumberKind.PERCENT, "%"
        elif m["num"]:
            digits = m["num"].replace(",", "")
            value = float(digits + m["frac"]) if m["frac"] else int(digits)
            start, end, unit, more = m.start("num"), m.end(), m["unit"], bool(m["more"])
            kind = NumberKind.PERCENT if unit == "%" else NumberKind.ARABIC
        else:
            found = _cn_run(m["cn"], m["cnunit"])
            if found is None:
                continue
            off, value = found
            start, unit, more = m.start("cn") + off, m["cnunit"], bool(m["cnmore"])
            end, kind = m.end("cn") + len(m["cnmore"]) + 1, NumberKind.CHINESE
        approx = more or t[max(0, start - 2) : start].endswith(_APPROX_BEFORE)
        approx = approx or t[end : end + 2].startswith(_APPROX_AFTER)
        out.append(NumberSpan(start, end, text[start:end], value, kind, unit, approx))
    return out
