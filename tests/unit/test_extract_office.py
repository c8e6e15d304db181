from __future__ import annotations

import datetime as dt
import io

import docx
import openpyxl
import pytest
from docx.oxml import parse_xml

from extractors.models import PageSource
from extractors.registry import extract_document
from intake.models import FileType
from tests.unit.test_extract_fixtures import USCC, ctx, doc

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_TEXTBOX = (
    f'<w:r xmlns:w="{_W}" xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape><v:textbox>'
    "<w:txbxContent><w:p><w:r><w:t>文本框：申请日期 2024年5月6日</w:t></w:r></w:p></w:txbxContent>"
    "</v:textbox></v:shape></w:pict></w:r>"
)


def _docx() -> bytes:
    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "页眉不应出现"
    d.add_paragraph("宁波市中小企业公共服务平台培育认定申请表")
    t = d.add_table(rows=4, cols=3)
    t.cell(0, 0).text, t.cell(0, 1).text, t.cell(0, 2).text = "项目", "内容", "备注"
    t.cell(1, 0).text, t.cell(1, 1).text = "统一社会信用代码", USCC
    t.cell(2, 0).text, t.cell(2, 1).text, t.cell(2, 2).text = "年服务中小微企业数", "５６家", "去年"
    merged = t.cell(3, 0).merge(t.cell(3, 2))
    merged.text = "合计 以上内容真实"
    t.cell(1, 2).merge(t.cell(2, 2))  # vertical merge: text kept in the first row only
    inner = t.cell(0, 2).add_table(rows=1, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "嵌套", "表格"
    p = d.add_paragraph("申请单位（盖章）")
    p._p.append(parse_xml(_TEXTBOX))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_docx_order_tables_and_merged_cells() -> None:
    data = _docx()
    r = extract_document(data, doc("申请表.docx", data, FileType.DOCX), ctx())
    assert r.problem is None and r.extractor == "docx"
    (page,) = r.pages
    assert page.source is PageSource.DOCX and page.width is None
    texts = [ln.text for ln in page.lines]
    assert texts[0] == "宁波市中小企业公共服务平台培育认定申请表"
    # merge() moved "去年" up into the vertically merged cell, which appears in its first row only
    assert f"统一社会信用代码 | {USCC} | 去年" in texts[texts.index("嵌套 | 表格"):]
    assert "年服务中小微企业数 | 56家" in texts
    assert texts.index("合计以上内容真实") < texts.index("申请单位(盖章)")  # table sits between paragraphs  # table sits between paragraphs
    assert "文本框:申请日期2024年5月6日" in texts
    assert not any("页眉" in t for t in texts)
    outer = next(t for t in page.tables if len(t.rows) == 4)
    assert outer.rows[3][0].colspan == 3 and len(outer.rows[3]) == 1
    assert outer.texts()[1][2] == "去年" and outer.texts()[2][2] == ""
    assert any(t.texts() == [["嵌套", "表格"]] for t in page.tables)


def _xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["企业名称", "统一社会信用代码", "规模", "服务日期", "收费", "占比"])
    ws.append(["宁波甲乙科技有限公司", USCC, "小型", dt.datetime(2023, 3, 18), 1200.0, 0.685])
    ws.append(["宁波丙丁贸易有限公司", "91330203MA2H7Y8Q1C", "微型", dt.date(2023, 4, 1), 0, 0.25])
    ws["F2"].number_format = "0.0%"
    ws["F3"].number_format = "0%"
    wb.create_sheet("空表")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_values_as_displayed() -> None:
    data = _xlsx()
    r = extract_document(data, doc("名单.xlsx", data, FileType.XLSX), ctx())
    assert r.problem is None
    (page,) = r.pages  # the empty sheet gives no page
    assert page.source is PageSource.XLSX
    rows = page.tables[0].texts()
    assert rows[1] == ["宁波甲乙科技有限公司", USCC, "小型", "2023-03-18", "1200", "68.5%"]
    assert rows[2][3:] == ["2023-04-01", "0", "25%"]
    assert page.lines[1].text == f"宁波甲乙科技有限公司 | {USCC} | 小型 | 2023-03-18 | 1200 | 68.5%"


@pytest.mark.parametrize(("ft", "make"), [(FileType.DOCX, _docx), (FileType.XLSX, _xlsx)])
def test_corrupt_office_files(ft: FileType, make) -> None:  # type: ignore[no-untyped-def]
    data = make()
    for bad in (data[: len(data) // 2], b"PK\x03\x04garbage"):
        r = extract_document(bad, doc("bad", bad, ft), ctx())
        assert r.problem is not None and r.problem.code == "corrupt"
