"""Dates in every style the documents use, in isolation and in running text; terms."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.normalize.dates import find_dates, parse_date, parse_term

D = date(2016, 3, 18)
_CN = "〇一二三四五六七八九"


def _cn_small(n: int) -> str:
    """1..31 the way dates write them: 三, 十, 十八, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    return ("" if tens < 2 else _CN[tens]) + ("十" if tens else "") + (_CN[ones] if ones else "")


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def renderings(d: date) -> list[str]:
    y, m, dd = d.year, d.month, d.day
    cn_year = "".join(_CN[int(c)] for c in str(y))
    return [
        f"{y}年{m}月{dd}日",
        f"{y}年{m:02d}月{dd:02d}日",
        f"{y} 年 {m} 月 {dd} 日",
        f"{y}-{m:02d}-{dd:02d}",
        f"{y}.{m:02d}.{dd:02d}",
        f"{y}.{m}.{dd}",
        f"{y}/{m}/{dd}",
        f"{cn_year}年{_cn_small(m)}月{_cn_small(dd)}日",
        f"{cn_year.replace('〇', '零')}年{_cn_small(m)}月{_cn_small(dd)}日",
        fullwidth(f"{y}年{m}月{dd}日"),
        fullwidth(f"{y}-{m:02d}-{dd:02d}"),
    ]


@pytest.mark.parametrize(
    "raw",
    [
        "2016年3月18日",
        "2016年03月18日",
        "2016-03-18",
        "2016.03.18",
        "2016/3/18",
        "2016.3.18",
        "二〇一六年三月十八日",
        "二零一六年三月十八日",
        "2016 年 3 月 18 日",
        "２０１６年３月１８日",
        " 2016-03-18 ",
        "二O一六年三月十八日",
        "二C一六年三月十八日",  # OCR of 〇 on a 200 dpi photo
        "二0一六年三月十八日",  # ... and an Arabic zero (a scanned form of the second corpus)
        "2016年:3月18日",  # a speck read as punctuation
        "2016年:3.月18日",  # ... before 月 too (a 200 dpi photo of a lease)
        "2016年3月18.日",
        "二〇一六年三月，十八日",
        "2016年3月18号",
    ],
)
def test_parse_date(raw: str) -> None:
    assert parse_date(raw) == D


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "2016-02-30",
        "2016-13-01",
        "2016-00-10",
        "1948-12-31",
        "2101-01-01",
        "2016-03/18",
        "20160318",
        "2016年3月",
        "二〇一六年十三月一日",
        "成立于2016-03-18",
        "abc",
    ],
)
def test_parse_date_rejects(raw: str) -> None:
    assert parse_date(raw) is None


def test_leap_day() -> None:
    assert parse_date("2020-02-29") == date(2020, 2, 29)
    assert parse_date("2100-02-29") is None


def test_find_dates_in_running_text() -> None:
    text = "成立日期：2016年3月18日；营业期限：2016-06-24 至 2036-06-23，申请日期二〇二四年五月六日。版本1.2.3，电话0574-12345678"
    spans = find_dates(text)
    assert [s.value for s in spans] == [D, date(2016, 6, 24), date(2036, 6, 23), date(2024, 5, 6)]
    for s in spans:
        assert text[s.start : s.end] == s.raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2016年06月24日至长期", (date(2016, 6, 24), None, True)),
        ("自2019-08-13起至2024-08-12止", (date(2019, 8, 13), date(2024, 8, 12), False)),
        ("2019年4月5日至2024年4月4日", (date(2019, 4, 5), date(2024, 4, 4), False)),
        ("2016-06-24 至 2036-06-23", (date(2016, 6, 24), date(2036, 6, 23), False)),
        ("长期", (None, None, True)),
        ("永久", (None, None, True)),
        ("不约定期限", (None, None, True)),
        ("2016年06月24日至", (date(2016, 6, 24), None, False)),
        ("至2024年8月12日", (None, date(2024, 8, 12), False)),
        ("", (None, None, False)),
    ],
)
def test_parse_term(raw: str, expected: tuple[date | None, date | None, bool]) -> None:
    assert parse_term(raw) == expected


dates = st.dates(min_value=date(1949, 1, 1), max_value=date(2100, 12, 31))


@given(dates)
def test_all_styles_round_trip(d: date) -> None:
    for r in renderings(d):
        assert parse_date(r) == d, r


@given(dates, st.integers(min_value=0, max_value=10))
def test_styles_found_in_text(d: date, style: int) -> None:
    r = renderings(d)[style]
    text = f"营业执照成立日期{r}，统一社会信用代码见正本。"
    (span,) = find_dates(text)
    assert (span.value, span.raw) == (d, r)


@given(dates, dates, st.integers(min_value=0, max_value=10))
def test_terms_round_trip(a: date, b: date, style: int) -> None:
    ra, rb = renderings(a)[style], renderings(b)[style]
    assert parse_term(f"{ra}至{rb}") == (a, b, False)
    assert parse_term(f"自{ra}起至{rb}止") == (a, b, False)
    assert parse_term(f"{ra}至长期") == (a, None, True)


def test_a_chinese_date_whose_day_mark_was_misread_still_ends_at_its_day() -> None:
    # 日 read as 晶 on a 150 dpi form: the day ends where a character that is no numeral follows
    assert [s.value for s in find_dates("成立时间二CO六年七月十八晶注册资本200万元")] == [date(2006, 7, 18)]
    # a day ending in 十 may have lost its last digit (十[八]): without its 日 it is no date
    assert find_dates("成立时间二〇〇六年七月十注册资本") == []
    assert find_dates("成立时间二〇〇六年七月十") == []


@pytest.mark.parametrize(("text", "want"), [("至二加二九年三月二十一日", date(2029, 3, 21)),
                                            ("二口二三年五月一日", date(2023, 5, 1)), ("二回二四年一月二日", date(2024, 1, 2))])
def test_a_box_like_glyph_for_the_zero_of_a_chinese_year_is_the_zero(text, want):
    """Under a seal OCR reads 〇 as 加/口/回 (seed 1 P0013's lease end 二加二九年 was lost)."""
    assert [d.value for d in find_dates(text)] == [want]
    assert find_dates("加口加口年") == []


def test_a_nine_where_only_the_zero_of_a_chinese_year_can_stand_is_the_zero():
    """A photographed lease under a red seal read 至二9二三年十一月十九日 (seed 1 P0014's lease end was lost).
    After 二, a year's second digit is 〇; elsewhere a 9 among Chinese digits stays unread."""
    assert [d.value for d in find_dates("起至二9二三年十一月十九日止")] == [date(2023, 11, 19)]
    assert find_dates("一9九八年三月一日") == []
    assert find_dates("二〇9三年三月一日") == []
