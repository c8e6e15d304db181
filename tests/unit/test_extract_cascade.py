"""The OCR cascade: tesseract for layout, RapidOCR re-reading doubtful line segments.

The page is generated here (reportlab form -> 200 dpi render -> 1.5° rotation -> JPEG q=60),
like the scanned application forms tesseract misreads names and digits on.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from extractors.context import ExtractionContext, OcrEngine
from extractors.engines import rapidocr
from extractors.models import BBox, ExtractedDocument, Page
from extractors.ocr import keep_checkboxes
from extractors.registry import extract_document
from intake.models import FileType
from tests.unit.test_extract_fixtures import _font, ctx, doc, jpeg, render, scanned

NAME = "方琳"
USCC = "91330212807012424C"
DATE = "2021-09-07"
SHARE = "56%"
ROWS = [
    ("申请单位名称", "宁波东中创业服务有限公司", "", ""),
    ("统一社会信用代码", USCC, "法定代表人", NAME),
    ("成立日期", "2013-05-01", "注册资本", "100万元"),
    ("年服务中小微企业数", "56家", "小微企业占比", SHARE),
    ("申请类别", "□入库培育 ☑认定", "", ""),
]
COLS = [50, 190, 330, 420, 545]
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # CJK fonts have no U+2611, as in real forms


def _draw(c: canvas.Canvas, x: float, y: float, text: str, font: str) -> None:
    """Text with ☑ taken from DejaVu Sans."""
    for part in text.replace("☑", "\0☑\0").split("\0"):
        face = "DejaVu" if part == "☑" else font
        c.setFont(face, 11)
        c.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, face, 11)


def form_pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    font = _font()
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", DEJAVU))
    top, row_h = A4[1] - 120, 34
    c.setFont(font, 16)
    c.drawString(120, top + 30, "宁波市中小企业公共服务平台培育认定申请表")
    c.setFont(font, 11)
    for r in range(len(ROWS) + 1):
        c.line(COLS[0], top - r * row_h, COLS[-1], top - r * row_h)
    for r, row in enumerate(ROWS):
        y0, y1 = top - r * row_h, top - (r + 1) * row_h
        edges = COLS if row[2] else [COLS[0], COLS[1], COLS[-1]]
        for x in edges:
            c.line(x, y0, x, y1)
        for k, text in enumerate(t for t in row if t):
            _draw(c, edges[k] + 6, y1 + 12, text, font)
    c.drawString(330, top - len(ROWS) * row_h - 40, f"申请日期：{DATE}")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def scan() -> bytes:
    return jpeg(scanned(render(form_pdf(), dpi=200)[0], angle=1.5, quality=60))


def _page(data: bytes, **kw: object) -> Page:
    r: ExtractedDocument = extract_document(data, doc("申请表.jpg", data, FileType.JPEG), ctx(**kw))
    assert r.problem is None, r.problem
    (page,) = r.pages
    return page


@pytest.fixture(scope="module")
def cascade_page(scan: bytes) -> Page:
    return _page(scan, engine=OcrEngine.CASCADE)


@pytest.mark.ocr
def test_cascade_reads_names_codes_dates_and_percentages(cascade_page: Page) -> None:
    text = cascade_page.text
    assert NAME in text
    assert USCC in text
    assert DATE in text
    assert SHARE in text
    assert cascade_page.engine is not None and "rapidocr-onnxruntime" in cascade_page.engine
    assert cascade_page.engine.startswith("tesseract")


@pytest.mark.ocr
def test_replaced_words_have_page_boxes_and_confidence(cascade_page: Page) -> None:
    assert cascade_page.width and cascade_page.height
    line = next(ln for ln in cascade_page.lines if NAME in ln.text)
    # The name is one RapidOCR word when re-read, or tesseract's characters when they were sure.
    words = [w for w in line.words if any(ch in w.text for ch in NAME) and not any(ch in w.text for ch in "法定代表人")]
    assert words and all(w.conf is not None and 0.5 < w.conf <= 1 for w in words)
    assert all(w.bbox is not None for w in words) and line.bbox is not None
    b = BBox.around([w.bbox for w in words])
    assert b is not None
    assert 0 <= b.x0 < b.x1 <= cascade_page.width and 0 <= b.y0 < b.y1 <= cascade_page.height
    # The name sits in the right half of its row, after the 法定代表人 label.
    assert b.x0 > cascade_page.width / 2
    assert line.bbox.y0 - 5 <= b.y0 and b.y1 <= line.bbox.y1 + 5
    label = BBox.around([w.bbox for w in line.words if any(ch in w.text for ch in "法定代表人")])
    assert label is not None and label.x1 <= b.x0


@pytest.mark.ocr
def test_table_cells_carry_the_replaced_text(cascade_page: Page) -> None:
    cells = [c.text for t in cascade_page.tables for row in t.rows for c in row]
    assert NAME in cells and USCC in cells and SHARE in cells


@pytest.mark.ocr
def test_checkbox_glyphs_survive_the_cascade(cascade_page: Page) -> None:
    """The boxes are read by shape (☑ ticked, □ empty), the option names by RapidOCR between them."""
    line = next(ln for ln in cascade_page.lines if "入库培育" in ln.text)
    assert line.text.replace(" ", "") == "申请类别□入库培育☑认定"
    glyphs = [w for w in line.words if w.text in "☑□"]
    assert [w.text for w in glyphs] == ["□", "☑"] and all(w.bbox for w in glyphs)


@pytest.mark.ocr
def test_tesseract_only_still_works(scan: bytes) -> None:
    page = _page(scan, engine="tesseract")
    assert page.engine is not None and page.engine.startswith("tesseract") and "rapidocr" not in page.engine
    assert "申请" in page.text and page.tables
    assert all(w.conf is not None for ln in page.lines for w in ln.words)


@pytest.mark.ocr
@pytest.mark.slow
def test_rapidocr_full_page(scan: bytes) -> None:
    page = _page(scan, engine="rapidocr")
    assert page.engine == rapidocr.engine_name()
    assert NAME in page.text and USCC in page.text and DATE in page.text
    assert any(NAME in c.text for t in page.tables for row in t.rows for c in row)


def test_engine_setting_accepts_strings() -> None:
    assert ExtractionContext(engine="rapidocr").engine is OcrEngine.RAPIDOCR  # type: ignore[arg-type]
    assert ExtractionContext().engine is OcrEngine.RAPID_LINES  # the default: most facts right per second
    with pytest.raises(ValueError):
        ExtractionContext(engine="paddle")  # type: ignore[arg-type]


def test_engine_name_is_the_package_version() -> None:
    assert rapidocr.engine_name().startswith("rapidocr-onnxruntime ")


@pytest.mark.parametrize(
    ("tess", "rapid", "expected"),
    [
        ("口信息咨询四技术创新口人才培训", "信息咨询技术创新人才培训", "口信息咨询四技术创新口人才培训"),  # glyphs dropped
        ("口入库培育四认定", "口入库培育日认定", "口入库培育四认定"),  # ☑ read as a character
        ("口管理咨询四创业辅导", "管理咨询创业輔导", "口管理咨询四创业輔导"),  # text fixed, glyphs kept
        ("浙江省宁波市部州区", "浙江省宁波市鄞州区", "浙江省宁波市鄞州区"),  # 区 is text here
        ("法定代表人7误", "法定代表人方琳", "法定代表人方琳"),  # no glyphs at all
    ],
)
def test_keep_checkboxes(tess: str, rapid: str, expected: str) -> None:
    assert keep_checkboxes(tess, rapid) == expected


def test_keep_checkboxes_gives_up_rather_than_lose_a_tick() -> None:
    assert keep_checkboxes("信四息", "言思") is None  # the caller keeps tesseract's line then


@pytest.mark.ocr
def test_ink_tesseract_skipped_is_read_by_rapidocr() -> None:
    """A one-character table cell ("小") that tesseract returned no word for is still read."""
    import time

    from PIL import Image, ImageDraw, ImageFont

    from extractors import imaging
    from extractors.models import BBox, Word
    from extractors.ocr import _cascade
    from tests.unit.test_extract_fixtures import FONT_PATH

    im = Image.new("L", (1400, 120), 255)
    font = ImageFont.truetype(FONT_PATH, 40)
    dr = ImageDraw.Draw(im)
    parts = [(40, "宁波甬江电子有限公司"), (640, "小"), (860, "技术咨询服务")]
    for x, text in parts:
        dr.text((x, 40), text, font=font, fill=0)
    prep = imaging.prepare(np.asarray(im))
    assert prep.rotation == 0 and abs(prep.skew_deg) < 0.05  # boxes below are in page pixels
    words = [Word(text, BBox(*dr.textbbox((x, 40), text, font=font)), 0.95) for x, text in parts if text != "小"]
    lines, changed = _cascade(prep, [words], ctx(), time.monotonic() + 60, 1)
    assert changed == 1
    assert lines[0].text.replace(" ", "") == "宁波甬江电子有限公司小技术咨询服务"
    new = next(w for w in lines[0].words if w.text == "小")
    assert new.bbox is not None and 630 <= new.bbox.x0 and new.bbox.x1 <= 700


def test_rapidocr_dot_radical_is_read_as_the_enumeration_comma():
    assert rapidocr._text("信息咨询丶技术创新丶人才培训") == "信息咨询、技术创新、人才培训"
