"""The served-client list read from hand-built pages: tables with and without headers, fragments, text lines."""
from __future__ import annotations

import pytest

from extractors.facts.clients import client_facts, pw_of, read_clients, size_of
from extractors.facts.textview import build_view
from extractors.models import BBox, Cell, ExtractedDocument, Line, Page, PageSource, Table
from extractors.normalize.uscc import compute_check17, compute_check18

HEADER = ("序号", "企业名称", "统一社会信用代码", "企业规模", "服务内容", "服务日期", "收费金额(元)", "是否公益/低收费")


def uscc(n: int) -> str:
    """A valid code, different for each n."""
    first16 = f"91330203{n:08d}"
    first17 = first16 + compute_check17(first16)
    return first17 + compute_check18(first17)


def org(n: int) -> str:
    """Names one character apart, as real lists have them (宁波永润液压 / 宁波永海液压)."""
    return f"宁波{'甲乙丙丁戊己庚辛壬癸'[n % 10]}{'东南西北中'[n // 10 % 5]}机械有限公司"


def client(n: int, size: str = "小型", pw: str = "是", name: str | None = None) -> tuple[str, ...]:
    return (str(n), name or org(n), uscc(n), size, "政策咨询", "2023.01.05", "0", pw)


def table(*rows: tuple[str, ...], top: float = 100.0) -> Table:
    cells = tuple(
        tuple(Cell(t, BBox(100.0 * i, top + 40 * r, 100.0 * i + 90, top + 40 * r + 30), 0.95) for i, t in enumerate(row))
        for r, row in enumerate(rows)
    )
    return Table(rows=cells, bbox=BBox(0, top, 800, top + 40 * len(rows)))


def page(number: int, *tables: Table, lines: tuple[str, ...] = (), source: PageSource = PageSource.OCR) -> Page:
    ls = tuple(Line(t, BBox(0, 50.0 * i, 800, 50.0 * i + 30), 0.95) for i, t in enumerate(lines))
    return Page(number=number, source=source, lines=ls, tables=tables, width=1000, height=2000, unit="px")


def read(*pages: Page) -> dict:
    doc = ExtractedDocument("服务企业名单.pdf", "0" * 64, pages, "test")
    return client_facts(read_clients(doc, build_view(doc)))


def test_multi_page_table_with_header_once():
    p1 = page(1, table(HEADER, *(client(n) for n in range(1, 11))))
    p2 = page(2, table(*(client(n, size="中型", pw="否") for n in range(11, 16))))  # no header on page 2
    facts = read(p1, p2)
    assert facts["service.smes_served"].value == 15
    assert facts["service.small_micro_share"].value == pytest.approx(10 / 15, abs=1e-6)
    assert facts["service.public_welfare_share"].value == pytest.approx(10 / 15, abs=1e-6)
    assert facts["service.smes_served"].evidence[-1].page == 2


def test_table_without_header_or_ruling_lines_is_judged_by_content():
    # cells from text alignment: no header row survived, columns still recognisable
    rows = [client(n, size=("微型" if n % 2 else "大型")) for n in range(1, 9)]
    facts = read(page(1, table(*rows)))
    assert facts["service.smes_served"].value == 8
    assert facts["service.small_micro_share"].value == pytest.approx(0.5)


def test_non_client_table_is_ignored():
    staff = table(("序号", "姓名", "职务", "职称"), ("1", "张三", "总经理", "工程师"), ("2", "李四", "培训师", "会计师"))
    assert read(page(1, staff)) == {}


def test_total_row_skipped():
    rows = [client(n) for n in range(1, 6)]
    facts = read(page(1, table(HEADER, *rows, ("合计", "5家", "", "", "", "", "0", ""))))
    assert facts["service.smes_served"].value == 5
    assert facts["service.smes_served"].details["rows"] == 5


def test_duplicate_client_counted_once_but_both_rows_count_for_public_welfare():
    rows = [client(n, pw="否") for n in range(1, 5)] + [client(2, pw="是")]
    facts = read(page(1, table(HEADER, *rows)))
    assert facts["service.smes_served"].value == 4
    assert facts["service.smes_served"].details["duplicates"] == 1
    assert facts["service.public_welfare_share"].value == pytest.approx(1 / 5)


def test_same_client_with_misread_code_still_counted_once_by_name():
    bad = client(3)[:2] + ("91330203MA2X",) + client(3)[3:]
    facts = read(page(1, table(HEADER, client(1), client(2), client(3), bad)))
    assert facts["service.smes_served"].value == 3


@pytest.mark.parametrize(("cell", "want"), [("是", True), ("否", False), ("是.", True), ("和否", False),
                                            ("“否", False), ("低收费", True), ("市场价", False), ("免费", True),
                                            ("", None), ("口", None), ("香", False), ("杏.", False)])
def test_ocr_noisy_yes_no_cells(cell, want):
    assert pw_of(cell) is want


def test_noisy_yes_no_cells_in_table_and_unreadable_ones_widen_the_bounds():
    pws = ["是.", "和否", "是", "否", "口", "是"]
    rows = [client(n, pw=pw) for n, pw in enumerate(pws, 1)]
    facts = read(page(1, table(HEADER, *rows)))
    f = facts["service.public_welfare_share"]
    assert f.value == pytest.approx(3 / 6)
    assert f.details["public_welfare_bounds"] == pytest.approx((3 / 6, 4 / 6))


def test_size_cells_short_and_ocr_noisy():
    assert size_of("小") == "small"
    assert size_of("”中") == "medium"
    assert size_of("天") == "large"  # OCR for a lone 大
    assert size_of("型") is None


def test_wrapped_name_fragment_rows_are_joined():
    code = uscc(7)
    rows = [
        HEADER,
        client(6),
        ("", "宁波市奉化区通辰纺织股份有", code[:16], "", "", "2023.03.1", "", ""),
        ("7", "限公司", code[16:], "小型", "市场推广", "3", "2800", "否"),
        client(8),
    ]
    doc = ExtractedDocument("服务企业名单.pdf", "0" * 64, (page(1, table(*rows)),), "test")
    got = read_clients(doc, build_view(doc))
    assert [r.name for r in got][1] == "宁波市奉化区通辰纺织股份有限公司"
    assert got[1].uscc == code and got[1].size == "small" and got[1].public_welfare is False
    assert len(got) == 3


def test_text_line_fallback_reads_glued_ocr_lines():
    lines = (
        "2018年服务企业明细表",
        "序号企业名称统一社会信用代码规模服务内容服务日期额(元)服务",
        f"1宁波市德弘橡胶制品厂{uscc(1)}中型信息化诊2018.01.0 5000否",
        f"一2宁波市鑫弘建材有限公司{uscc(2)}小型政策咨询2018.01.2 3600否",
        f"3宁波优越物流股份有限公司{uscc(3)}微型训2018.02.0 500是:",
        "宁波海宏五金有限公司2018.09.0",  # a fragment: no size, no code
        "平台已与宁波通永管理咨询有限公司签订合作协议。",  # prose naming a company is no client row
        "-1-",
    )
    facts = read(page(1, lines=lines))
    assert facts["service.smes_served"].value == 3
    assert facts["service.small_micro_share"].value == pytest.approx(2 / 3, abs=1e-6)
    assert facts["service.public_welfare_share"].value == pytest.approx(1 / 3, abs=1e-6)


def test_lines_add_rows_the_table_missed_on_the_same_page():
    # the table lost its first and last rows (page edges); the text lines still have them
    t = table(*(client(n) for n in range(2, 6)))
    lines = tuple(f"{n}{org(n)}{uscc(n)}小型政策咨询2023.01.05 0是" for n in range(1, 7))
    facts = read(page(1, t, lines=lines))
    assert facts["service.smes_served"].value == 6
    assert facts["service.smes_served"].details["rows"] == 6
    # the last row's name read cut ("…有限公") and its code's last two characters lost: its code's head and its
    # size still make it a row (a 200 dpi list lost row 20 so, at the foot of its first page)
    cut = (*lines[:5], f"6{org(6)[:-1]}{uscc(6)[:16]}微市场推广7 3600否")
    assert read(page(1, t, lines=cut))["service.smes_served"].value == 6
    # a line gluing the cells of two rows, its code broken too, is no row
    glued = (*lines[:5], f"宁波市江北区海达化工有限公{uscc(6)[:7]}2021.03.1")
    assert read(page(1, t, lines=glued))["service.smes_served"].value == 5


def test_docx_table_rows_also_present_as_lines_are_not_doubled():
    rows = [HEADER, *(client(n) for n in range(1, 6))]
    lines = tuple(" | ".join(r) for r in rows)
    facts = read(page(1, table(*rows), lines=lines, source=PageSource.DOCX))
    assert facts["service.smes_served"].value == 5
    assert facts["service.smes_served"].details["rows"] == 5


def test_small_micro_share_is_estimated_over_readable_sizes_with_honest_bounds():
    from extractors.facts.clients import ClientRow, client_facts
    from extractors.models import Evidence

    def row(i, size):
        return ClientRow(f"宁波测试{i}有限公司", None, size, False, Evidence("list.pdf", 1, "row"))

    rows = [row(i, "small") for i in range(6)] + [row(10 + i, "medium") for i in range(2)] + [row(20, None), row(21, None)]
    f = client_facts(rows)["service.small_micro_share"]
    assert f.value == 0.75  # 6 of the 8 clients whose size could be read
    assert f.details["small_micro_bounds"] == (0.6, 0.8)  # the two unreadable could be either
    assert "无法识别" in f.note


def test_a_scanned_list_whose_numbering_disagrees_with_its_rows_widens_the_bounds():
    from extractors.facts.clients import ClientRow, client_facts
    from extractors.models import Evidence, PageSource

    def row(i, serial, source=PageSource.OCR, size="small"):
        return ClientRow(f"宁波测试{i}有限公司", None, size, False,
                         Evidence("list.jpg", 1, "row", confidence=0.98, source=source), serial)

    whole = [row(i, i) for i in range(1, 11)]
    f = client_facts(whole)["service.smes_served"]
    assert f.confidence == 0.98 and f.details["numbering"] is None and f.details["smes_served_row_bounds"] == (10, 10)
    lost = whole[:4] + whole[5:]  # row 5 not read: 9 rows numbered up to 10
    f = client_facts(lost)["service.smes_served"]
    assert f.value == 9 and f.confidence == 0.98 and "序号至10" in f.note
    assert f.details["smes_served_row_bounds"] == (9, 10)
    # 9 small rows read and one lost: the share is 90-100 % whatever the lost row was
    assert f.details["small_micro_row_bounds"] == (0.9, 1.0) and f.details["small_micro_bounds"] == (1.0, 1.0)
    extra = whole + [row(99, 7)]  # a fragment taken for a row, with a number read twice
    f = client_facts(extra)["service.smes_served"]
    # a number seen twice is mostly a misread one: the fragment is told by the rows beyond the top number
    assert "重复" in f.note and f.details["smes_served_row_bounds"] == (10, 11)
    # rows 4-5 lost, an unnumbered row read (a later page's): 9 rows numbered to 10, two gaps
    gaps = whole[:3] + whole[5:] + [row(50, None)]
    assert "缺2个序号" in client_facts(gaps)["service.smes_served"].note
    # a number out of range is unreadable, not a row 97: still a gap
    assert "缺1个序号" in client_facts(whole[:4] + [row(5, 97)] + whole[5:])["service.smes_served"].note
    # more rows than numbers, each number once: the unnumbered rows may be fragments
    f = client_facts(whole + [row(11, None, size="medium")])["service.smes_served"]
    assert f.details["smes_served_row_bounds"] == (10, 11)
    # text-layer lists are read as written: no check
    typed = [row(i, i, PageSource.TEXT_LAYER) for i in range(1, 11) if i != 5]
    assert client_facts(typed)["service.smes_served"].details["numbering"] is None


def test_a_number_read_twice_from_cell_and_line_is_one_number():
    from extractors.facts.clients import _plausible

    assert _plausible(4545, 53) == 45 and _plausible(5151, 53) == 51  # beyond the rows: read twice
    assert _plausible(11, 53) == 11 and _plausible(44, 53) == 44  # row numbers as they are
    assert _plausible(97, 40) is None and _plausible(0, 40) is None and _plausible(None, 40) is None


def test_a_serial_read_into_the_name_cell_is_split_off():
    # On a scan whose 序号 column sits close to the names, OCR puts "47" into the name cell and the
    # 序号 column comes back empty: the number is still the row's, the name still the client's.
    rows = [(" ", f"{n}{org(n)}", *client(n)[2:]) for n in range(1, 7)]
    doc = ExtractedDocument("服务企业名单.jpg", "0" * 64, (page(1, table(*rows)),), "test")
    got = read_clients(doc, build_view(doc))
    assert [(r.serial, r.name) for r in got] == [(n, org(n)) for n in range(1, 7)]


@pytest.mark.parametrize(("text", "size"), [
    ("7 宁波优永照明电器厂 X6。区型 微型 2023.02.1 0 是", "micro"),  # a wrapped code's tail and junk before the size
    ("7 宁波优永照明电器厂 X6 小型 2023.02.1 0 是", "small"),
    ("7 宁波优永照明电器厂 X6 新员工培训 2023.02.1 0 是", None),  # no size: none is made up
    ("7 宁波优永照明电器厂 X6 2023.02.1 中小型企业诊断 0 是", None),  # a size word after a date is no size cell
])
def test_a_size_word_a_few_junk_marks_after_the_code_is_the_size(text: str, size: str | None) -> None:
    from extractors.facts.clients import _parse_text

    assert _parse_text(text)[3] == size


@pytest.mark.parametrize(("text", "name", "size"), [
    # narrow columns: the service cell wrapped onto the lines above and below, the size glued to the name
    ("宁波市盛信智能科技有限公司中12000否7 10A培训8", "宁波市盛信智能科技有限公司", "medium"),
    ("宁波远汉文化传媒有限公司小1500否9 U9P咨询7", "宁波远汉文化传媒有限公司", "small"),
    ("宁波合力机械厂微 300 是", "宁波合力机械厂", "micro"),
    ("宁波大中", "宁波大中", None),  # no organisation's end before it: part of the name
])
def test_a_size_glued_to_the_name_before_the_fee(text: str, name: str, size: str | None) -> None:
    from extractors.facts.clients import _parse_text

    got = _parse_text(text)
    assert (got[1], got[3]) == (name, size)


def test_wrapped_serials_read_short_but_in_place_leave_the_numbering_in_order():
    from extractors.facts.clients import ClientRow, client_facts
    from extractors.models import Evidence, PageSource

    def rows(serials):
        return [ClientRow(f"宁波测试{i}有限公司", None, "small", True,
                          Evidence("list.tif", 1, "row", confidence=0.95, source=PageSource.OCR), s)
                for i, s in enumerate(serials, start=1)]

    # 序号 10-18 wrapped in a narrow column, one digit of several unread: each read is its place or part of it
    short = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 1, 1, 3, 14, 1, 16, 7, 8]
    f = client_facts(rows(short))["service.smes_served"]
    assert f.details["numbering"] is None and f.details["smes_served_row_bounds"] == (18, 18)
    # a wrapped number's digits read bottom first ("41" for 14) are in place too
    assert client_facts(rows(short[:13] + [41] + short[14:]))["service.smes_served"].details["numbering"] is None
    # one number read short and off its place (3 for 17) among 18 is a misread
    assert client_facts(rows(short[:16] + [3, 18]))["service.smes_served"].details["numbering"] is None
    # a number read whole off its place shows a lost row: 1-9 read, then 11 where 10 should be
    lost = client_facts(rows([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 1, 13]))["service.smes_served"]
    assert "缺" in lost.note and lost.details["smes_served_row_bounds"][0] == 12
    assert lost.details["smes_served_row_bounds"][1] >= 13
    # the last row's number off its place: a row added at the end
    extra = client_facts(rows(list(range(1, 13)) + [7]))["service.smes_served"]
    assert extra.details["smes_served_row_bounds"] == (12, 13)


@pytest.mark.parametrize(("text", "size"), [("7中0是", "medium"), ("微财税代理300是", "micro"), ("小1500否", "small"),
                                            ("中型 市场推广 200 是", "medium")])
def test_the_middle_line_of_a_row_wrapped_over_three_gives_the_size_not_a_name(text: str, size: str) -> None:
    """A text-PDF list in narrow columns: name and code on the top and bottom lines, the size centred between
    them, then the fee (no code: "0" and "1500" there are fees). Joined, its size had made the name
    "宁波市沁德医疗器械股份有限中公司" and the size unknown."""
    from extractors.facts.clients import _parse_text

    _serial, name, code, got, _pw = _parse_text(text)
    assert (name, code, got) == ("", "", size)
    # a wrapped name's second line that starts like a size is still a name
    assert _parse_text("中心D78Q咨询6")[1] == "中心"


def test_a_no_read_as_its_look_alike_at_a_row_s_end_is_no() -> None:
    """A phone photo's list whose every 否 OCR read as 香: the rows' public-welfare cells were all unknown."""
    from extractors.facts.clients import _parse_text

    assert _parse_text("7 宁波颐泽五金有限公司 91330281MA2FD2FH58 微 质量管理咨询 2018.03.1 1500 香")[4] is False
    assert _parse_text("8 宁波香港贸易有限公司 91330281MA2FD2FH58 微 质量管理咨询 2018.03.1 1500 是")[4] is True


@pytest.mark.parametrize(("text", "name", "size", "pw"), [
    ("宁波昱鑫食品有限公司M18理中信息咨询2020年8月2000否", "宁波昱鑫食品有限公司", "medium", False),
    ("宁波中远轴承有限公司XQ法盛大政策宣贯月6日200是", "宁波中远轴承有限公司", "large", True),
])
def test_a_bare_size_after_the_junk_of_a_lost_code_line_is_the_size(text: str, name: str, size: str, pw: bool) -> None:
    """A 200 dpi scan of a list without rules: tesseract lost the top line of the two-line code cell and read
    the bottom one as junk. The bare size stood between that junk and the service, and the row, without a
    size or a whole code, was not counted (41 clients read as 39, a false X-SMES fail)."""
    from extractors.facts.clients import _parse_text

    _serial, got_name, _code, got_size, got_pw = _parse_text(text)
    assert (got_name, got_size, got_pw) == (name, size, pw)
    # digits between the junk and the size are a date or a fee, not junk: no size read across them
    assert _parse_text("宁波中远轴承有限公司XQ法12大政策宣贯")[3] is None
    # without a code before it, a 中 before 信息 is a name's ("申请单位:宁波远中信息技术…" made a report's title a row)
    assert _parse_text("申请单位:宁波远中信息技术服务有限公司")[3] is None


def test_a_name_s_first_glyph_read_as_a_digit_after_the_serial_does_not_hide_the_row() -> None:
    """"18 3镇滞…": the 序号 18, then the garbled name's first glyph read as 3. The 3 was taken as the code,
    the valid code after the name was lost, and the row went uncounted."""
    from extractors.facts.clients import _parse_text

    serial, name, code, size, pw = _parse_text("18 3镇滞民估和于作有有人91330211MA2KRHFN6P小型新员工培2022-04-0是")
    assert (serial, name, code, size, pw) == ("18", "镇滞民估和于作有有人", "91330211MA2KRHFN6P", "small", True)
    # a phone photo's 序号 7 read as Z: the row's second line had no name and was dropped
    assert _parse_text("Z宁波科华塑业有限公司OA小型培训500是")[1:4] == ("宁波科华塑业有限公司", "OA", "small")
    # without a 序号 before it, a digit glued to the name is the 序号 itself
    assert _parse_text("3宁波市镇海区优颐建材有限公司")[:2] == ("3", "宁波市镇海区优颐建材有限公司")


def test_a_row_whose_wrapped_name_lost_its_first_line_counts_by_its_valid_code() -> None:
    """A phone photo's list: OCR lost the first line of row 40's two-line name and read "40限公司<code>小型…".
    With a valid code and a size it is a client, whatever is left of its name; a fragment with neither is not."""
    lines = (
        f"39宁波市鑫弘建材有限公司{uscc(39)}小型政策咨询2018.01.2 3600否",
        f"40限公司{uscc(40)}小型咨询5000",
        f"限公司{uscc(41)[:10]}咨询",
        f"41宁波优越物流股份有限公司{uscc(41)}微型训2018.02.0 500是",
    )
    assert read(page(1, lines=lines))["service.smes_served"].value == 3


def test_a_client_listed_twice_is_counted_once_when_both_its_code_and_its_name_were_cut_short() -> None:
    """A 300 dpi scan with perspective: row 3's name read "…股份有" and its code's last two characters lost;
    row 23, the same client served again, read its name whole and its code cut too. Neither code validated and
    the names differed, so the client counted twice (44 for 43). The first 16 characters fix a code."""
    code = uscc(7)
    lines = (
        f"3宁波市奉化区康祥水产股份有{code[:16]}微型市场推广2023.01.2 0是",
        f"4{org(4)}{uscc(4)}小型政策咨询2023.01.3 0是",
        f"23宁波市奉化区康祥水产股份有限公司{code[:16]}微型市场推广2023.05.2 500是",
    )
    facts = read(page(1, lines=lines))
    assert facts["service.smes_served"].value == 2
    assert facts["service.public_welfare_share"].value == pytest.approx(1.0)  # over rows: all three are 是
    # a code cut shorter than 16 characters names nobody: two different clients stay two
    cut = (f"5宁波甲东机械有限公司{uscc(5)[:12]}小型政策咨询2023.01.2 0是", f"6宁波乙东机械有限公司{uscc(6)[:12]}小型政策咨询2023.01.2 0是")
    assert read(page(1, lines=cut))["service.smes_served"].value == 2


def test_a_name_read_on_both_lines_of_its_row_after_a_stray_glyph_is_one_row() -> None:
    """A 200 dpi list without rules, read as an aligned table: the name centred in a two-line row came back on
    both lines, the upper one after a stray glyph ("四宁波东兴…", its code's head, no size), the lower with the
    size: two rows for one client."""
    code = uscc(4)
    t = table(client(3), ("", "四宁波东兴软件有限公司", code[:16], "", "知识产权", "2020年2月", "", ""),
              ("4", "宁波东兴软件有限公司", code[16:], "中型", "咨询", "6日", "200", "是"), client(5))
    facts = read(page(1, t))
    assert facts["service.smes_served"].details["rows"] == 3
    assert facts["service.smes_served"].value == 3
