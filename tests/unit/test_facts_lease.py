"""Premises reader: lessee, lease start and end from a lease, holder from a property certificate."""
from __future__ import annotations

from datetime import date

import pytest

from extractors.facts.lease import read_premises
from extractors.facts.textview import build_view
from extractors.models import ExtractedDocument, Line, Page, PageSource

LESSEE = "宁波远联工业设计有限公司"


def _view(text: str):
    doc = ExtractedDocument("租赁合同.pdf", "0" * 64, (Page(1, PageSource.OCR, tuple(Line(t) for t in text.split("\n"))),),
                            "test")
    return build_view(doc)


def _lease(term: str, lessee_line: str = f"承租方（乙方）：{LESSEE}") -> str:
    return "\n".join(["房屋租赁合同", "出租方（甲方）：宁波合优置业有限公司", lessee_line,
                      "甲乙双方经友好协商，就乙方租用甲方房屋事宜达成如下协议：",
                      "第一条 甲方将位于浙江省宁波市奉化区岳林街道四明中路34号12楼12室的房屋出租给乙方作为办公及服务场所使用。",
                      f"第二条 {term}", "第三条 年租金人民币21600元，按季度支付，乙方应于每季度首月10日前支付当季租金。",
                      "甲方（盖章）：宁波合优置业有限公司", f"乙方（盖章）：{LESSEE}", "签订日期：2018年12月10日"])


@pytest.mark.parametrize("term, start, end", [
    ("租赁期限自2018年12月10日起至2021年12月9日止。", date(2018, 12, 10), date(2021, 12, 9)),
    ("租赁期限：2018.12.10至2021.12.09。", date(2018, 12, 10), date(2021, 12, 9)),
    ("租赁期限为3年，自2018/12/10起至2021/12/9止。", date(2018, 12, 10), date(2021, 12, 9)),
    ("租期：二〇一八年十二月十日至二〇二一年十二月九日。", date(2018, 12, 10), date(2021, 12, 9)),
    ("租赁期为三年，自二0一八年十二月十日起至二O二一年十二月九日止。", date(2018, 12, 10), date(2021, 12, 9)),
    ("租赁期限自201812-10起至2021-1209止。", date(2018, 12, 10), date(2021, 12, 9)),  # OCR lost separators
    ("租赁期限为4年,自2018年12月10日起至2121年12月9日止。", date(2018, 12, 10), date(2021, 12, 9)),  # 2121: one digit off
    ("租赁期限为3年,自2022/8/30起至2024/8/291止。", date(2022, 8, 30), date(2024, 8, 29)),
])
def test_lease_terms(term: str, start: date, end: date) -> None:
    out = read_premises(_view(_lease(term)))
    assert out["premises.kind"].value == "lease"
    assert out["premises.lessee"].value == LESSEE
    assert (out["premises.lease_start"].value, out["premises.lease_end"].value) == (start, end)


def test_end_evidence_quotes_the_date() -> None:
    out = read_premises(_view(_lease("租赁期限自2018年12月10日起至2021年12月9日止。")))
    assert out["premises.lease_end"].evidence[0].text == "2021年12月9日"


@pytest.mark.parametrize("term", [
    "租赁期限自二〇一八年十一月二十日起二二年十一月十九日止。",  # two-digit year: 2022 or 2023?
    "租赁期限自2022年1月14日起至20513日止",  # too damaged to repair unambiguously
])
def test_illegible_end_stays_unknown(term: str) -> None:
    out = read_premises(_view(_lease(term)))
    assert "premises.lease_end" not in out
    assert "premises.lease_start" in out


@pytest.mark.parametrize(("term", "end"), [
    ("租赁期限为4年,自2018.03.12起至2止", date(2022, 3, 11)),
    ("租赁期限为4年,自2022年1月14日起至20513日止", date(2026, 1, 13)),
    ("第二条租赁期限为5年,自二〇二四年三月二十二日起至二〇二八三月二十一月止。", date(2029, 3, 21)),
])
def test_illegible_end_is_derived_from_a_stated_length_and_marked(term: str, end: date) -> None:
    out = read_premises(_view(_lease(term)))
    fact = out["premises.lease_end"]
    assert fact.value == end
    assert fact.details["derived_from_length"] and "推算" in fact.details["note"]


def test_a_legible_end_is_not_marked_derived() -> None:
    out = read_premises(_view(_lease("租赁期限为3年，自2018/12/10起至2021/12/9止。")))
    assert not out["premises.lease_end"].details["derived_from_length"]


@pytest.mark.parametrize("line", [
    f"承租方(乙方){LESSEE}",  # OCR dropped the colon
    f"承租人：{LESSEE}",
    f"乙方（承租方）：{LESSEE}",
    f"承租方（乙方） : {LESSEE}",
])
def test_lessee_lines(line: str) -> None:
    out = read_premises(_view(_lease("租赁期限自2018年12月10日起至2021年12月9日止。", line)))
    assert out["premises.lessee"].value == LESSEE


def test_property_certificate() -> None:
    text = "\n".join(["不动产权证书", "浙（2021）宁波市不动产权第3149961号", f"权利人 | {LESSEE}", "共有情况 | 单独所有",
                      "坐落 | 浙江省宁波市象山县丹西街道四明中路717号(研发园A区)12楼03室",
                      "使用期限 | 2021年2月4日起至2061年2月4日止"])
    out = read_premises(_view(text))
    assert out["premises.kind"].value == "property"
    assert out["premises.lessee"].value == LESSEE
    assert out["premises.lease_start"].value == date(2021, 2, 4)
    assert "premises.lease_end" not in out  # a land-use term is no lease end
