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
    # one row so read between lines of prose is a quotation, not a list
    prose = ("本平台上年度重点服务了以下企业，取得了良好成效，企业满意度较高，服务覆盖面持续扩大，效果显著。",
             "平台将继续加强服务能力建设，拓展服务范围，提升服务质量和水平，为中小微企业发展提供有力支撑。")
    assert DocumentKind.CLIENT_LIST not in classify(_doc(prose[0], *[doc.pages[0].lines[i].text for i in (0, 1)],
                                                         prose[1], "一3一")).kinds


def test_a_last_photo_holding_two_rows_and_nothing_else_is_a_client_list() -> None:
    """附件3-服务企业名单_3.png held rows 45 and 46 and the page number: too few rows for a list, it was
    unidentified, its rows went uncounted (44 clients for 46) and M-STAFF went to review for it."""
    doc = _doc("4 5慈溪市毅盛照明电器股份有限公司9133028274027856 X 微型管理人员培训2023.11.2 2 5000市场价",
               "4 6宁波远明电器厂9133021162585749 5T微型知识产权咨询2023.11.2 9 2800市场价", "一3一")
    assert DocumentKind.CLIENT_LIST in classify(doc).kinds
    # one of those rows inside a page of prose is quoted, not listed
    prose = ("本平台上年度重点服务了以下企业，取得了良好成效，企业满意度较高，服务覆盖面持续扩大，效果显著。",
             "平台将继续加强服务能力建设，拓展服务范围，提升服务质量和水平，为中小微企业发展提供有力支撑。",
             "同时进一步完善服务记录管理制度，做好服务记录和回访工作，确保各项服务工作落到实处并取得实效。")
    assert DocumentKind.CLIENT_LIST not in classify(_doc(*prose, doc.pages[0].lines[0].text)).kinds
