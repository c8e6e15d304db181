"""The rapid-lines engine: tesseract's layout analysis finds the lines, RapidOCR's recogniser reads them.

The page is test_extract_cascade's scanned form (200 dpi, 1.5° skew, JPEG q=60), read whole, turned
upside down and turned a quarter, and a blank page.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from extractors.context import OcrEngine
from extractors.engines import rapidocr
from extractors.engines import tesseract as tess
from extractors.models import Page
from tests.unit.test_extract_cascade import DATE, NAME, SHARE, USCC, _page, form_pdf
from tests.unit.test_extract_fixtures import jpeg, render, scanned

pytestmark = pytest.mark.ocr


@pytest.fixture(scope="module")
def image() -> Image.Image:
    return scanned(render(form_pdf(), dpi=200)[0], angle=1.5, quality=60)


@pytest.fixture(scope="module")
def page(image: Image.Image) -> Page:
    return _page(jpeg(image), engine=OcrEngine.RAPID_LINES)


def test_reads_names_codes_dates_and_percentages(page: Page) -> None:
    for value in (NAME, USCC, DATE, SHARE):
        assert value in page.text
    assert page.engine is not None
    assert page.engine.startswith(rapidocr.engine_name()) and tess.engine_name("chi_sim") in page.engine


def test_every_word_is_rapidocrs_with_a_box_on_the_page(page: Page) -> None:
    words = [w for ln in page.lines for w in ln.words]
    assert len(words) >= 15
    assert all(w.text and w.bbox is not None for w in words)
    # RapidOCR's scores (tick boxes drawn from their shapes are 0.99); never tesseract's empty layout words.
    assert all(w.conf is not None and 0 < w.conf <= 1 for w in words)
    assert all(0 <= w.bbox.x0 < w.bbox.x1 <= page.width and 0 <= w.bbox.y0 < w.bbox.y1 <= page.height
               for w in words if w.bbox)


def test_cells_and_tick_boxes(page: Page) -> None:
    cells = [c.text for t in page.tables for row in t.rows for c in row]
    assert NAME in cells and USCC in cells and SHARE in cells
    line = next(ln for ln in page.lines if "入库培育" in ln.text)
    assert line.text.replace(" ", "") == "申请类别□入库培育☑认定"


@pytest.mark.parametrize("turn", [180, 90, 270])
def test_turned_page_is_read_upright(image: Image.Image, turn: int) -> None:
    turned = _page(jpeg(image.rotate(turn, expand=True)), engine=OcrEngine.RAPID_LINES)
    assert NAME in turned.text and USCC in turned.text
    # Boxes refer to the image as uploaded (turned): the name lies inside it.
    assert all(w.bbox is not None and w.bbox.x1 <= turned.width + 1 and w.bbox.y1 <= turned.height + 1
               for ln in turned.lines for w in ln.words)


def test_blank_page_is_low_confidence_not_a_failure() -> None:
    blank = Image.fromarray(np.full((1600, 1200, 3), 250, np.uint8))
    from extractors.registry import extract_document
    from intake.models import FileType
    from tests.unit.test_extract_fixtures import ctx, doc

    data = jpeg(blank)
    r = extract_document(data, doc("空白.jpg", data, FileType.JPEG), ctx(engine=OcrEngine.RAPID_LINES))
    (p,) = r.pages
    assert not p.lines
    assert p.problem is not None and p.problem.code == "low_confidence"


@pytest.mark.parametrize(
    ("rapid", "tess", "expected"),
    [
        # RapidOCR drops the √ of "(√)"; tesseract's "(V )"/"〈Y )" marks go into RapidOCR's own text.
        ("管理咨询()质量管理()创业辅导()信息化应用)", "管理咨询()质量管理()创业和辅导〈Y )信息化应用(V )",
         "管理咨询()质量管理()创业辅导(√)信息化应用(√)"),
        ("信息咨询()人才培训()", "信息咨询(V)人才培训( )", "信息咨询(√)人才培训()"),
        ("信息咨询()人才培训()", "信息咨询()人才培训()", None),  # tesseract saw no mark either
        ("信息咨询()人才培训()", "信息咨询(V)人才培训", None),  # groups do not pair up: whose tick is unknown
        ("信息咨询(√)人才培训()", "信息咨询(V)人才培训()", None),  # RapidOCR already has every mark
    ],
)
def test_transplant_marks(rapid: str, tess: str, expected: str | None) -> None:
    from extractors.ocr import transplant_marks

    assert transplant_marks(rapid, tess) == expected


@pytest.mark.parametrize(("text", "doubtful"), [("信息咨询()", True), ("信息化应用)", True), ("市场拓展(", True),
                                                 ("乙方(盖章):", False), ("(第1页)", False), ("人才培训(V)", False)])
def test_which_segments_tesseract_reads_again(text: str, doubtful: bool) -> None:
    from extractors.ocr import _EMPTY_BRACKETS

    assert bool(_EMPTY_BRACKETS.search(text)) is doubtful


def _glyph_page(draw: str) -> tuple[object, object]:
    """A prepared page of four list rows, 序号 before each name, and the box of row 3's 序号 ink: the
    digit "3", or a frame's sliver (two pixels wide) in its place."""
    from PIL import ImageDraw, ImageFont

    from extractors import imaging
    from extractors.models import BBox
    from tests.unit.test_extract_fixtures import FONT_PATH

    im = Image.new("L", (900, 300), 255)
    dr = ImageDraw.Draw(im)
    font = ImageFont.truetype(FONT_PATH, 24)
    for k in range(4):
        dr.text((200, 30 + 60 * k), "宁波润达食品股份有限公司", font=font, fill=0)
        if k != 2 or draw == "digit":
            dr.text((60, 30 + 60 * k), str(k + 1), font=font, fill=0)
        else:
            dr.rectangle((60, 28 + 60 * k, 61, 58 + 60 * k), fill=0)
    prep = imaging.prepare(np.asarray(im))
    y0 = 140
    band = prep.ocr_image[y0:y0 + 55, 40:150] < 128
    xs, ys = np.flatnonzero(band.any(axis=0)) + 40, np.flatnonzero(band.any(axis=1)) + y0
    return prep, BBox(float(xs[0]), float(ys[0]), float(xs[-1] + 1), float(ys[-1] + 1))


def test_a_lone_digit_rapidocr_misreads_is_tesseracts() -> None:
    from extractors.ocr import _lone_glyph

    prep, box = _glyph_page("digit")
    assert _lone_glyph(prep, box, "凰", 0.21, "chi_sim", deadline=1e12)[0] == "3"
    assert _lone_glyph(prep, box, "", 0.0, "chi_sim", deadline=1e12)[0] == "3"  # RapidOCR read nothing
    assert _lone_glyph(prep, box, "3", 0.5, "chi_sim", deadline=1e12)[1] > 0.9  # both agree: tesseract's confidence


def test_a_frames_sliver_stays_what_rapidocr_read() -> None:
    from extractors.ocr import _lone_glyph

    prep, box = _glyph_page("sliver")
    assert box.x1 - box.x0 < 0.2 * prep.char_h
    assert _lone_glyph(prep, box, "口", 0.55, "chi_sim", deadline=1e12) == ("口", 0.55)


def test_without_rapidocr_tesseract_reads_the_page(image: Image.Image, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractors.engines import EngineError

    def broken(*_a: object, **_k: object) -> None:
        raise EngineError("ocr_unavailable", "RapidOCR cannot start: no model")

    monkeypatch.setattr(rapidocr, "recognize_lines", broken)
    monkeypatch.setattr(rapidocr, "text_directions", broken)
    page = _page(jpeg(image), engine=OcrEngine.RAPID_LINES)
    assert page.engine is not None and "RapidOCR unusable" in page.engine and page.engine.startswith("tesseract")
    assert "申请" in page.text and page.lines


@pytest.mark.parametrize(("text", "width_chars", "unread"), [
    ("信息咨询技术创新人才培训市场拓展", 21, True),  # four ☑ dropped (the shared sample S04's form)
    ("信息咨询技术创新人才培训市场拓展", 17, False),  # one character's slack: spacing, not glyphs
    ("2020年1月13日", 14, False),  # too little Chinese to say
])
def test_a_run_wider_than_its_characters_is_read_by_tesseract_too(text: str, width_chars: int, unread: bool) -> None:
    from extractors.models import BBox
    from extractors.ocr import _unread_ink

    assert _unread_ink(text, BBox(0, 0, width_chars * 30.0, 30), 30.0) is unread
