"""Agreement reader: counterparties and terms as written, merged files, OCR-damaged dates."""
from __future__ import annotations

from datetime import date

import pytest

from extractors.facts.agreements import Agreement, read_agreements
from extractors.facts.terms import read_term
from extractors.facts.textview import build_view
from extractors.models import ExtractedDocument, Line, Page, PageSource

APPLICANT = "宁波昱博工业设计有限公司"
APPLICANT_USCC = "913302119982656858"


def _view(*pages: str, name: str = "合作协议.pdf"):
    doc = ExtractedDocument(name, "0" * 64, tuple(
        Page(i, PageSource.OCR, tuple(Line(t) for t in text.split("\n"))) for i, text in enumerate(pages, 1)), "test")
    return build_view(doc)


def _agreement(partner: str, uscc: str, term: str, *, title: str = "合作协议", applicant_side: str = "甲方",
               label: str = "") -> str:
    a_line = f"甲方{label if applicant_side == '乙方' else ''}：{APPLICANT if applicant_side == '甲方' else partner}"
    b_line = f"乙方{label if applicant_side == '甲方' else ''}：{partner if applicant_side == '甲方' else APPLICANT}"
    a_code = APPLICANT_USCC if applicant_side == "甲方" else uscc
    b_code = uscc if applicant_side == "甲方" else APPLICANT_USCC
    service = "乙方作为甲方服务平台" if applicant_side == "甲方" else "甲方作为乙方服务平台"
    return "\n".join([
        title, a_line, f"统一社会信用代码：{a_code}", "地址：浙江省宁波市镇海区红联路827号", b_line, f"统一社会信用代码：{b_code}",
        "为充分整合社会化服务资源，甲乙双方经友好协商，达成如下协议：", "一、合作内容",
        f"{service}的集聚服务机构，为平台服务的中小微企业提供检验检测服务。", "三、合作期限", term,
        f"甲方（盖章）：{APPLICANT if applicant_side == '甲方' else partner}",
        f"乙方（盖章）：{partner if applicant_side == '甲方' else APPLICANT}", "日期：2020/1/7"])


PARTNER = "宁波力优工业设计有限公司"
PARTNER_USCC = "91330225MA27FT7J8A"


@pytest.mark.parametrize("term, start, end", [
    ("本协议有效期自2020年1月13日起至2023年1月12日止。期满双方无异议的，可另行续签。", date(2020, 1, 13), date(2023, 1, 12)),
    ("合作期限：2020.01.13至2023.01.12。", date(2020, 1, 13), date(2023, 1, 12)),
    ("合作期限：2020/1/13至2023/1/12。", date(2020, 1, 13), date(2023, 1, 12)),
    ("合作期限：2020-01-13至2023-01-12。", date(2020, 1, 13), date(2023, 1, 12)),
    ("合作期限为三年，自二〇二〇年一月十三日起至二〇二三年一月十二日止。", date(2020, 1, 13), date(2023, 1, 12)),
    ("合作期限：二0二0年一月十三日至二O二三年一月十二日。", date(2020, 1, 13), date(2023, 1, 12)),  # OCR zeros
    ("合作期限为三年，自2020年1月13日起。", date(2020, 1, 13), date(2023, 1, 12)),  # end from the length
    ("期限为两年，自2020/1/13起。", date(2020, 1, 13), date(2022, 1, 12)),
    ("本协议有效期自2019-1220起至202212-19止。", date(2019, 12, 20), date(2022, 12, 19)),  # separators lost
    ("本协议有效期自20230319起至20260318期满", date(2023, 3, 19), date(2026, 3, 18)),
    ("本协议有效期自20224/3起至20274/2止。", date(2022, 4, 3), date(2027, 4, 2)),
    ("合作期限为三年，自2020/1/13起至2123/1/12上", date(2020, 1, 13), date(2023, 1, 12)),  # year out of range
    ("合作期限：2022/8/30至2024/8/291止。", date(2022, 8, 30), date(2024, 8, 29)),  # one digit from an anniversary
])
def test_term_phrasings(term: str, start: date, end: date) -> None:
    [a] = read_agreements(_view(_agreement(PARTNER, PARTNER_USCC, term)))
    assert (a.party_b, a.party_b_uscc, a.start, a.end) == (PARTNER, PARTNER_USCC, start, end)
    assert a.valid_on(start) and a.valid_on(end) and not a.valid_on(date(end.year + 1, 1, 1))


def test_term_evidence_points_at_the_dates() -> None:
    view = _view(_agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。"))
    [a] = read_agreements(view)
    assert a.evidence[0].text == PARTNER
    assert a.evidence[1].text == "2020/1/13至2023/1/12"


def test_ambiguous_repair_is_not_made() -> None:
    # "202-0313" after a 2019 start: 2020-03-13 and 2024-03-13 are equally near; 202x is all that is known
    t = read_term("本协议有效期自2019-03-14起至202-0313止")
    assert t.start == date(2019, 3, 14) and t.end is None
    assert t.end_bounds[0] is not None and t.end_bounds[0].year == 2020
    assert t.valid_on(date(2019, 6, 1)) is True
    assert t.valid_on(date(2020, 3, 21)) is None  # could have ended 2020-03-13


def test_partial_dates_decide_validity_when_certain() -> None:
    # year of the start and the length of the term: the end is late 2026/2027 whatever the lost day
    t = read_term("合作期限为五年,自二〇二二年加3四日起至二七年四月三止。")
    assert t.valid_on(date(2024, 11, 2)) is True
    assert t.valid_on(date(2021, 6, 1)) is False
    # the year of the end lost a digit, but it falls after the start: at least 2025-03-05
    t = read_term("合作期限:二0二四年三月六日3二0二年三月五日。")
    assert t.start == date(2024, 3, 6)
    assert t.valid_on(date(2024, 11, 2)) is True
    # month-day and year on opposite sides: 2027 end, 5 years, start on 11/11 -> 2022-11-11
    t = read_term("合作期限为五年,自202/11/11起至2027/1月止")
    assert t.valid_on(date(2022, 12, 11)) is True


def test_an_end_before_the_start_is_a_misreading_not_an_expiry() -> None:
    # "2022-05-24" read as "20122-05-2": the digit too many is not a lost separator (not 2012-02-05) ...
    t = read_term("本协议有效期自2019-05-25起至20122-05-2止。")
    assert t.start == date(2019, 5, 25) and t.end is None
    # ... and a term that would end before it starts is no term at all: it decides nothing
    t = read_term("本协议有效期自2019-05-25起至2012-05-24止。")
    assert t.start is None and t.end is None and t.valid_on(date(2021, 8, 23)) is None
    assert t.note and "矛盾" in t.note


def test_nothing_legible_is_unknown() -> None:
    t = read_term("本轴议有效期自-O-C年四有长二--涪=ma ar各尖Rn,可另行续签。")
    assert t.valid_on(date(2022, 4, 1)) is None


def test_open_ended() -> None:
    t = read_term("本协议有效期自2020年1月13日起长期有效。")
    assert t.open_ended and t.valid_on(date(2030, 1, 1)) is True and t.valid_on(date(2019, 1, 1)) is False


def test_expired_beside_valid_in_a_merged_file() -> None:
    text = "\n\n".join([
        _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。", title="战略合作协议书"),
        _agreement("宁波祥康融资担保有限公司", "91330204497891004H", "合作期限为二年，自2019年6月28日起至2021年6月27日止。",
                   title="服务合作协议"),
        _agreement("浙江恒润律师事务所", "31330200316063198R", "本协议有效期自2022-01-18起至2025-01-17止。"),
    ])
    got = read_agreements(_view(*text.split("\n\n")))
    assert [a.party_b for a in got] == [PARTNER, "宁波祥康融资担保有限公司", "浙江恒润律师事务所"]
    assert all(a.party_a == APPLICANT for a in got)
    assert [a.valid_on(date(2022, 6, 14)) for a in got] == [True, False, True]


def test_merged_file_without_page_breaks_or_titles() -> None:
    one = _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。", title="")
    two = _agreement("浙江恒润律师事务所", "31330200316063198R", "合作期限：2022/1/18至2025/1/17。", title="")
    got = read_agreements(_view(one.strip() + "\n" + two.strip()))
    assert [(a.party_b, a.start) for a in got] == [(PARTNER, date(2020, 1, 13)), ("浙江恒润律师事务所", date(2022, 1, 18))]


def test_applicant_as_party_b() -> None:
    [a] = read_agreements(_view(_agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。", applicant_side="乙方")))
    assert (a.party_a, a.party_b, a.party_b_uscc, a.partner_role) == (APPLICANT, PARTNER, PARTNER_USCC, "甲方")


def test_applicant_given_decides_the_side() -> None:
    text = _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。", applicant_side="乙方")
    text = text.replace("甲方作为乙方服务平台的集聚服务机构", "双方建立合作关系")
    [a] = read_agreements(_view(text), applicant=(APPLICANT, APPLICANT_USCC))
    assert a.party_b == PARTNER


def test_role_labels_on_party_lines() -> None:
    text = _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。", label="（服务机构）")
    [a] = read_agreements(_view(text))
    assert (a.party_b, a.party_b_uscc) == (PARTNER, PARTNER_USCC)
    text = _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。", applicant_side="乙方", label="（服务机构）")
    text = text.replace("甲方作为乙方服务平台的集聚服务机构", "双方建立合作关系")
    [a] = read_agreements(_view(text))
    assert a.party_b == PARTNER


def test_ocr_lookalikes_in_the_credit_code() -> None:
    text = _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。").replace(PARTNER_USCC, "91330225MA27FT7J8A".replace("J", "]"))
    [a] = read_agreements(_view(text))
    assert a.party_b_uscc == PARTNER_USCC


def test_party_line_without_colon() -> None:
    text = _agreement(PARTNER, PARTNER_USCC, "合作期限：2020/1/13至2023/1/12。").replace(f"乙方：{PARTNER}", f"乙方 {PARTNER}")
    [a] = read_agreements(_view(text))
    assert a.party_b == PARTNER


def test_not_an_agreement() -> None:
    assert read_agreements(_view("申请材料真实性声明\n本单位郑重声明：所提交的材料真实有效。\n宁波昱博工业设计有限公司")) == []


def test_agreement_without_term_object_still_decides() -> None:
    a = Agreement(APPLICANT, PARTNER, None, date(2020, 1, 1), date(2021, 1, 1), False, ())
    assert a.valid_on(date(2020, 6, 1)) is True and a.valid_on(date(2022, 1, 1)) is False


@pytest.mark.parametrize(("text", "start", "end"), [
    ("租赁期限自2019/9/3起至2023,9/2止。", date(2019, 9, 3), date(2023, 9, 2)),  # a comma for a slash
    ("租赁期限:2017.11.13至2020).11.12°", date(2017, 11, 13), date(2020, 11, 12)),  # a mark before the dot
])
def test_strays_inside_an_arabic_date_are_mended(text: str, start: date, end: date) -> None:
    t = read_term(text)
    assert (t.start, t.end) == (start, end)


def test_a_term_whose_start_day_and_until_were_lost_is_split_at_the_second_year() -> None:
    # "自二〇一九年一月九日起至二〇二一年一月八日止" read with "一月九日起至二〇" gone and 〇 as 二: the
    # month and day belong to the end; read as the start's they made the end one day early
    t = read_term("租赁期限为2年,自二0一九年二二二一年一月八日止。")
    assert t.end == date(2021, 1, 8) and t.start == date(2019, 1, 9) and t.from_length


def test_a_speck_inside_a_chinese_year_keeps_the_year() -> None:
    # "二〇二五年" with a speck read as "." and the month lost: the end is in 2025, so valid late 2023
    t = read_term("本协议有效期自二0二二年六月十三日至二0.二五年1二日II期满")
    assert t.start == date(2022, 6, 13) and t.end_bounds == (date(2025, 1, 1), date(2025, 12, 31))
    assert t.valid_on(date(2023, 11, 8)) is True


def test_a_mark_in_place_of_a_lost_year_digit_leaves_a_year_that_lost_a_digit() -> None:
    # "二〇二〇年" under a seal read "二〇二,年": the end is 2020-2042 on 七月一日, after the start, so the
    # agreement runs on 2020-04-06 (the comma had made the year unreadable and the term undecided)
    t = read_term("本协议有效期自二〇一八年七月二日起至二〇二,年七月一日止。")
    assert t.start == date(2018, 7, 2) and t.end_bounds[0] == date(2020, 7, 1)
    assert t.valid_on(date(2020, 4, 6)) is True
    assert t.valid_on(date(2020, 8, 1)) is None  # later, the lost digit decides


def test_a_stray_until_after_the_heading_does_not_beat_the_term_read_in_full() -> None:
    # a seal's remains read as 到 after the heading 合作期限: "到 … 2022年6月1日" looked like an end, and the
    # start was worked out from 三年; the full 自…起至…止 below it is read instead
    from extractors.facts.agreements import _TERM
    from extractors.facts.terms import find_term

    got = find_term("三、合作期限到\n合作期限为三年,自2022年6月1日起至2025年5月31日止六\n甲方(盖章)", _TERM)
    assert got is not None
    assert (got[0].start, got[0].end, got[0].from_length) == (date(2022, 6, 1), date(2025, 5, 31), False)
