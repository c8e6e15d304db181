"""Pages fed in upside down: found by RapidOCR's direction classifier before tesseract reads them."""
from __future__ import annotations

import numpy as np
import pytest

from extractors import imaging
from extractors.engines import tesseract
from extractors.models import ExtractedDocument
from extractors.registry import extract_document
from extractors.upside_down import looks_upside_down, text_line_boxes
from intake.models import FileType
from tests.unit.test_extract_cascade import NAME, USCC, form_pdf
from tests.unit.test_extract_fixtures import ctx, doc, jpeg, render, scanned, text_pdf


@pytest.fixture(scope="module")
def prep() -> imaging.Prepared:
    page = render(text_pdf(), dpi=200)[0]
    return imaging.prepare(np.asarray(page.convert("L")))


def test_text_lines_are_found_one_line_high(prep: imaging.Prepared) -> None:
    boxes = text_line_boxes(prep)
    assert len(boxes) >= 3
    for x0, y0, x1, y1 in boxes:
        assert 0.5 * prep.char_h <= y1 - y0 <= 1.8 * prep.char_h
        assert x1 - x0 >= 2.5 * prep.char_h


def test_an_upright_page_is_left_alone(prep: imaging.Prepared) -> None:
    assert not looks_upside_down(prep)


def test_a_page_turned_half_round_is_seen(prep: imaging.Prepared) -> None:
    assert looks_upside_down(imaging.half_turn(prep))


def test_a_blank_page_is_left_alone() -> None:
    blank = imaging.prepare(np.full((800, 600), 255, np.uint8))
    assert not looks_upside_down(blank)


def test_half_turn_flips_the_images_and_maps_boxes_back_to_the_same_place(prep: imaging.Prepared) -> None:
    turned = imaging.half_turn(prep)
    h, w = prep.ocr_image.shape
    assert turned.rotation == 180 and turned.char_h == prep.char_h
    assert turned.ocr_image[10, 20] == prep.ocr_image[h - 11, w - 21]
    assert np.array_equal(turned.gray[::-1, ::-1], prep.gray)
    box = (100.0, 200.0, 300.0, 240.0)
    same = (w - 1 - box[2], h - 1 - box[3], w - 1 - box[0], h - 1 - box[1])
    assert np.allclose(imaging.map_box_back(same, turned.matrix), imaging.map_box_back(box, prep.matrix))


def test_an_upside_down_scan_is_read_without_tesseract_osd(monkeypatch: pytest.MonkeyPatch) -> None:
    """The classifier turns the page first: one tesseract reading, no orientation check."""
    def no_osd(*_a: object, **_k: object) -> tuple[int, float]:
        raise AssertionError("OSD was asked")

    monkeypatch.setattr(tesseract, "orientation", no_osd)
    page = scanned(render(form_pdf(), dpi=200)[0], angle=1.0, quality=70).rotate(180, expand=True)
    data = jpeg(page)
    r: ExtractedDocument = extract_document(data, doc("申请表.jpg", data, FileType.JPEG), ctx(jobs=1))
    text = r.text.replace(" ", "")
    assert NAME in text and USCC in text
