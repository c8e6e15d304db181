"""Document kinds from content: continuation pages of a client list without its header."""
from __future__ import annotations

from extractors.facts.kinds import DocumentKind, classify
from extractors.models import ExtractedDocument, Line, Page, PageSource


def _doc(*lines: str) -> ExtractedDocument:
    return ExtractedDocument("p.png", "0" * 64, (Page(1, PageSource.OCR, tuple(Line(t) for t in lines)),), "test")


def test_a_last_page_of_wrapped_rows_is_a_client_list() -> None:
    """Narrow columns wrap each code onto two lines, so few lines hold a whole code; a last page may hold
    four rows: a client's name, its size and 是/否 on one line mark it."""
    doc = _doc("3宁波祥昱家居用品厂1EX5小型工商代理500是4 91330213984225",
               "4宁波市合启印刷股份有限公司57F小型工商代理2020-11-0 3600否4",
               "宁波宏新食品有限公司913302114211761知识产权2020-11-1",
               "5宁波宏新食品有限公司86Q小型咨询6 200是4 913302827788862",
               "6慈溪市璟宏模具厂013小型工商代理4500否")
    assert DocumentKind.CLIENT_LIST in classify(doc).kinds


def test_an_equipment_list_naming_small_machines_is_not() -> None:
    doc = _doc("主要服务设施设备清单", "1 小型数控机床 台 2 宁波甲乙机械有限公司 2021年",
               "2 小型激光打标机 台 1 宁波丙丁设备厂 2022年", "3 微型投影仪 台 3 宁波戊己科技有限公司 2022年")
    assert DocumentKind.CLIENT_LIST not in classify(doc).kinds


def test_wrapped_rows_read_as_two_lines_each_still_make_a_client_list() -> None:
    """The same page read another way: each row split in two lines, the size and 是/否 in one, the name in
    the other (the upper line holds the 序号's first digit and the first half of the code)."""
    doc = _doc("4宁波祥昱家居用品厂91330203MA2W90", "3 1EX5小型工商代理500是",
               "4 91330213984225", "4宁波市合启印刷股份有限公司57F小型工商代理2020-11-0 3600否",
               "4", "宁波宏新食品有限公司913302114211761知识产权2020-11-1", "5 86Q小型咨询6 200是",
               "4 913302827788862", "6慈溪市璟宏模具厂013小型工商代理4500否", "一3一")
    assert DocumentKind.CLIENT_LIST in classify(doc).kinds
    # one row so read is not a list
    assert DocumentKind.CLIENT_LIST not in classify(_doc(*[doc.pages[0].lines[i].text for i in (0, 1, 9)])).kinds
