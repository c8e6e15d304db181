from __future__ import annotations

import time

import pytest

from extractors import ocr
from extractors.models import PageSource
from extractors.registry import EXTRACTORS, extract_document
from intake.models import FileType
from tests.unit.test_extract_fixtures import (
    PARAGRAPH,
    TABLE_ROWS,
    USCC,
    ctx,
    doc,
    image_pdf,
    render,
    scanned,
    text_pdf,
)


def _extract(data: bytes, ft: FileType = FileType.PDF, name: str = "t.pdf", **kw: object):
    return extract_document(data, doc(name, data, ft), ctx(**kw))


def test_registry_is_explicit_and_covers_types() -> None:
    names = [e.name for e in EXTRACTORS]
    assert names == ["pdf", "docx", "xlsx", "image"]
    for ft in (FileType.PDF, FileType.DOCX, FileType.XLSX, FileType.JPEG, FileType.PNG, FileType.TIFF):
        assert any(e.handles(ft) for e in EXTRACTORS)


def test_text_pdf_lines_and_table() -> None:
    r = _extract(text_pdf())
    assert r.problem is None and r.extractor == "pdf"
    (page,) = r.pages
    assert page.source is PageSource.TEXT_LAYER and page.unit == "pt"
    assert page.engine and page.engine.startswith("pdfplumber")
    texts = [ln.text for ln in page.lines]
    assert PARAGRAPH.replace("，", ",") in texts
    assert any(USCC in t for t in texts)
    assert all(ln.bbox is not None and ln.words for ln in page.lines)
    (table,) = page.tables
    rows = table.texts()
    assert [list(r) for r in TABLE_ROWS] == rows[:5]
    assert rows[5] == ["合计:以上数据截至2023年12月31日"] and table.rows[5][0].colspan == 3
    assert table.rows[2][1].bbox is not None


def test_text_pdf_without_rules_gives_aligned_table() -> None:
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from tests.unit.test_extract_fixtures import _font

    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont(_font(), 11)
    rows = [("序号", "企业名称", "企业规模"), ("1", "宁波甲乙科技有限公司", "小型"), ("2", "宁波丙丁贸易有限公司", "微型"),
            ("3", "宁波戊己制造有限公司", "中型")]
    for r, row in enumerate(rows):
        for k, text in enumerate(row):
            c.drawString([60, 140, 400][k], 700 - 22 * r, text)
    c.save()
    page = _extract(buf.getvalue()).pages[0]
    assert page.tables and page.tables[0].texts() == [list(r) for r in rows]


def test_encrypted_pdf_is_a_problem() -> None:
    r = _extract(text_pdf(encrypt="secret"))
    assert r.problem is not None and r.problem.code == "encrypted" and r.problem.subject == "t.pdf"
    assert r.pages == ()


@pytest.mark.parametrize("data", [b"%PDF-1.7\nnot really a pdf", b"\x00" * 100])
def test_corrupt_pdf_is_a_problem(data: bytes) -> None:
    r = _extract(data)
    assert r.problem is not None and r.problem.code == "corrupt"


def test_truncated_pdf_never_raises() -> None:
    data = text_pdf(pages=2)
    r = _extract(data[: len(data) // 2])
    assert r.problem is not None or r.pages  # whatever could be read, and no exception


def test_empty_and_unsupported() -> None:
    assert _extract(b"").problem.code == "empty"  # type: ignore[union-attr]
    assert _extract(b"PK..", FileType.ZIP).problem.code == "unsupported_type"  # type: ignore[union-attr]


def test_page_limit() -> None:
    r = _extract(text_pdf(pages=3), max_pdf_pages=2)
    assert r.problem is not None and r.problem.code == "too_many_pages"


@pytest.mark.ocr
def test_scanned_pdf_is_ocred() -> None:
    img = scanned(render(text_pdf(), dpi=200)[0], angle=2.0)
    r = _extract(image_pdf([img]), jobs=1)
    (page,) = r.pages
    assert page.source is PageSource.OCR and page.unit == "px"
    assert page.engine and "tesseract 5" in page.engine and "chi_sim" in page.engine  # reader or layout, by engine
    assert page.mean_conf is not None and page.mean_conf > 0.7
    text = page.text
    assert USCC in text and "年服务中小微企业数" in text and "68.5%" in text
    (table,) = page.tables
    rows = table.texts()
    assert ["统一社会信用代码", USCC, "有效"] in rows
    assert rows[0] == ["项目", "内容", "备注"]
    assert table.rows[-1][0].colspan == 3


@pytest.mark.ocr
def test_two_page_scan_uses_process_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    pools = []
    real = ocr._pool

    def spy(workers: int):
        pools.append(workers)
        return real(workers)

    monkeypatch.setattr(ocr, "_pool", spy)
    imgs = [scanned(i, angle=-1.0) for i in render(text_pdf(pages=2), dpi=200)]
    t = time.monotonic()
    r = _extract(image_pdf(imgs), jobs=2)
    print(f"2-page scan: {(time.monotonic() - t) / 2:.2f} s/page")
    assert pools == [2]
    assert [p.number for p in r.pages] == [1, 2]
    assert all(p.source is PageSource.OCR and USCC in p.text for p in r.pages)
    assert "第2页" in r.pages[1].text
