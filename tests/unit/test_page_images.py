"""Viewer page images: the evidence box times `scale` lands on the same ink in the image."""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from extractors.page_images import VIEWER_DPI, page_images
from extractors.registry import extract_document
from intake.models import FileType
from tests.unit.test_extract_fixtures import USCC, ctx, doc, jpeg, render, scanned, text_pdf


def _ink_inside(img: bytes, box, scale: float) -> float:
    """Share of dark pixels in the box drawn on the image (text ink is dark, paper is light)."""
    a = np.asarray(Image.open(io.BytesIO(img)).convert("L"))
    x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
    region = a[y0:y1 + 1, x0:x1 + 1]
    return float((region < 128).mean()) if region.size else 0.0


def _line(ex, text: str):
    return next(ln for p in ex.pages for ln in p.lines if text in ln.text)


def test_text_pdf_pages_are_rendered_at_viewer_dpi_with_point_scale():
    data = text_pdf(pages=2)
    ex = extract_document(data, doc("a.pdf", data, FileType.PDF), ctx())
    imgs = list(page_images(data, FileType.PDF, ex, ctx()))
    assert [i.page for i in imgs] == [1, 2]
    assert imgs[0].scale == pytest.approx(VIEWER_DPI / 72, rel=0.01)
    assert Image.open(io.BytesIO(imgs[0].jpeg)).size == (imgs[0].width, imgs[0].height)
    line = _line(ex, USCC)
    assert _ink_inside(imgs[0].jpeg, line.bbox, imgs[0].scale) > 0.05


@pytest.mark.ocr
def test_scanned_image_boxes_map_onto_the_viewer_image():
    data = jpeg(scanned(render(text_pdf(), dpi=200)[0], angle=1.5))
    ex = extract_document(data, doc("scan.jpg", data, FileType.JPEG), ctx())
    (img,) = page_images(data, FileType.JPEG, ex, ctx())
    assert img.scale == pytest.approx(img.width / ex.pages[0].width)
    line = _line(ex, USCC)
    assert _ink_inside(img.jpeg, line.bbox, img.scale) > 0.05
    blank = (line.bbox.x0, line.bbox.y1 + 400, line.bbox.x1, line.bbox.y1 + 440)  # paper under the page's text
    assert _ink_inside(img.jpeg, blank, img.scale) < 0.05


def test_unreadable_input_gives_no_images_and_no_error():
    data = text_pdf()
    ex = extract_document(data, doc("a.pdf", data, FileType.PDF), ctx())
    assert list(page_images(b"%PDF-1.4 broken", FileType.PDF, ex, ctx())) == []
