"""Counts, ratios, Chinese numerals and the number finder."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

try:  # an independent renderer, when installed (not a project dependency)
    import cn2an
except ImportError:  # pragma: no cover
    cn2an = None

from extractors.normalize.numbers import NumberKind, cn_to_int, find_numbers, parse_count, parse_ratio, to_halfwidth

_LOWER = "零一二三四五六七八九"
_UPPER = "零壹贰叁肆伍陆柒捌玖"


def _below_10k(x: int, digits: str, units: tuple[str, str, str]) -> str:
    out, pending_zero = "", False
    for value, name in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d = x // value % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out, pending_zero = out + digits[0], False
        out += digits[d] + name
    return out


def to_cn(n: int, *, upper: bool = False) -> str:
    """Positional Chinese numeral for 0..99_999_999 (一万零二十, 十二; 壹拾贰 in the financial form)."""
    digits, units, wan = (_UPPER, ("拾", "佰", "仟"), "万") if upper else (_LOWER, ("十", "百", "千"), "万")

    def part(x: int) -> str:
        s = _below_10k(x, digits, units)
        return s[1:] if not upper and 10 <= x < 20 else s  # 十二, not 一十二

    if n == 0:
        return digits[0]
    hi, lo = divmod(n, 10_000)
    if not hi:
        return part(lo)
    s = part(hi) + wan
    if lo:
        s += (digits[0] if lo < 1000 else "") + _below_10k(lo, digits, units)
    return s


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("五十六", 56), ("一百零二", 102), ("十二", 12), ("十", 10), ("两百", 200), ("二〇一六", 2016),
        ("二零一六", 2016), ("壹佰", 100), ("叁佰万", 3_000_000), ("５６", 56), ("一千零一十", 1010),
        ("一千零十", 1010), ("十万", 100_000), ("二十万零五", 200_005), ("三亿五千万", 350_000_000),
        ("两百五", 250), ("一万五", 15_000), ("3万", 30_000), ("零", 0), ("壹拾贰", 12), ("一百一十", 110),
    ],
)  # fmt: skip
def test_cn_to_int(raw: str, value: int) -> None:
    assert cn_to_int(raw) == value


@pytest.mark.parametrize("raw", ["", "万", "百", "十百", "一万二万", "五十六家", "统一", "2〇16", "abc", "1.5"])
def test_cn_to_int_rejects(raw: str) -> None:
    assert cn_to_int(raw) is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("56", 56),
        ("56家", 56),
        ("56户", 56),
        ("５６家", 56),
        ("五十六家", 56),
        ("共计56家", 56),
        ("1,024", 1024),
        (" 56 家 ", 56),
        ("合计 五十六 家", 56),
        ("0", 0),
    ],
)
def test_parse_count(raw: str, value: int) -> None:
    assert parse_count(raw) == value


@pytest.mark.parametrize("raw", ["", "56.5", "-5", "68%", "约56家", "56余家", "abc", "1,02", "五十六点五", "第五家"])
def test_parse_count_rejects(raw: str) -> None:
    assert parse_count(raw) is None


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("68.5%", 0.685),
        ("68.5 %", 0.685),
        ("６８．５％", 0.685),
        ("0.685", 0.685),
        ("百分之六十八点五", 0.685),
        ("百分之六十", 0.6),
        ("55.77%", 0.5577),
        ("100%", 1.0),
        ("0%", 0.0),
        ("1", 1.0),
        ("百分之一百", 1.0),
        ("百分之68.5", 0.685),
        ("六十%", 0.6),
        (".5", 0.5),
    ],
)
def test_parse_ratio(raw: str, value: float) -> None:
    assert parse_ratio(raw) == value


@pytest.mark.parametrize("raw", ["68.5‰", "68.5", "101%", "百分之", "百分之一百零一", "abc", "", "-5%", "68.5%%"])
def test_parse_ratio_rejects(raw: str) -> None:
    assert parse_ratio(raw) is None


def test_parse_ratio_bare_percent_only_when_asked() -> None:
    assert parse_ratio("68.5") is None
    assert parse_ratio("68.5", assume_percent=True) == 0.685
    assert parse_ratio("0.5", assume_percent=True) == 0.5  # at most 1 stays a fraction
    assert parse_ratio("150", assume_percent=True) is None


def test_find_numbers_bounds_chinese_numerals() -> None:
    text = "统一社会信用代码91330212338367416P，一是服务能力，第一条，第十二家，几十家，唯一一家"
    spans = find_numbers(text)
    # no number inside 统一 / 一是 / 第一 / 第十二 / 几十, nor inside the code; 唯一一家 gives 一家
    assert [(s.raw, s.value) for s in spans] == [("一家", 1)]


def test_find_numbers_kinds_units_and_offsets() -> None:
    text = "共计56家，其中小微企业五十余家，占比68.5%，即百分之六十八点五；二〇一六年成立，服务１，０２４人，约50人，1,024次"
    got = [(s.raw, s.value, s.kind, s.unit, s.approximate) for s in find_numbers(text)]
    assert got == [
        ("56家", 56, NumberKind.ARABIC, "家", False),
        ("五十余家", 50, NumberKind.CHINESE, "家", True),
        ("68.5%", 68.5, NumberKind.PERCENT, "%", False),
        ("百分之六十八点五", 68.5, NumberKind.PERCENT, "%", False),
        ("二〇一六年", 2016, NumberKind.CHINESE, "年", False),
        ("１", 1, NumberKind.ARABIC, None, False),  # a full-width comma is punctuation, not grouping
        ("０２４人", 24, NumberKind.ARABIC, "人", False),
        ("50人", 50, NumberKind.ARABIC, "人", True),
        ("1,024次", 1024, NumberKind.ARABIC, "次", False),
    ]
    for s in find_numbers(text):
        assert text[s.start : s.end] == s.raw


def test_find_numbers_percent_ratio() -> None:
    (span,) = find_numbers("占比55.77%")
    assert span.kind == "percent" and span.ratio == 0.5577
    (plain,) = find_numbers("56家")
    assert plain.ratio is None


def test_to_halfwidth_keeps_length() -> None:
    s = "ＡＢ１２３　％．，"
    assert to_halfwidth(s) == "AB123 %.，" and len(to_halfwidth(s)) == len(s)


@given(st.integers(min_value=0, max_value=99_999_999))
def test_renderings_agree(n: int) -> None:
    renderings = [
        str(n),
        fullwidth(str(n)),
        to_cn(n),
        to_cn(n, upper=True),
        "".join("〇一二三四五六七八九"[int(d)] for d in str(n)),
    ]
    for r in renderings:
        assert cn_to_int(r) == n, r
        assert parse_count(r + "家") == n, r


@pytest.mark.skipif(cn2an is None, reason="cn2an not installed")
@given(st.integers(min_value=0, max_value=99_999))
def test_cn2an_renderings_parse(n: int) -> None:
    assert cn_to_int(cn2an.an2cn(n)) == n
    assert cn_to_int(cn2an.an2cn(n, "up")) == n


@given(st.integers(min_value=1, max_value=99_999), st.sampled_from("家户个人次项名"))
def test_find_numbers_in_sentence(n: int, unit: str) -> None:
    for r, kind in (
        (str(n), NumberKind.ARABIC),
        (fullwidth(str(n)), NumberKind.ARABIC),
        (to_cn(n), NumberKind.CHINESE),
    ):
        text = f"申报年度服务企业{r}{unit}，统一开展活动。"
        (span,) = find_numbers(text)
        assert (span.value, span.kind, span.unit, span.raw) == (n, kind, unit, r + unit)


@given(st.integers(min_value=0, max_value=1000))
def test_percent_renderings_agree(tenths: int) -> None:
    whole, frac = divmod(tenths, 10)
    expected = float(Decimal(tenths) / 1000)
    text = f"{whole}.{frac}"
    cn = to_cn(whole) + ("点" + _LOWER[frac] if frac else "")
    for r in (text + "%", text + " %", fullwidth(text + "%"), "百分之" + cn):
        assert parse_ratio(r) == expected, r
    assert parse_ratio(text, assume_percent=True) == (expected if tenths > 10 else float(Decimal(text)))
