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
