from __future__ import annotations

import io

import pytest
from PIL import Image

from extractors.models import PageSource
from extractors.registry import extract_document
from intake.models import FileType
from tests.unit.test_extract_fixtures import USCC, ctx, doc, jpeg, render, scanned, text_pdf


@pytest.fixture(scope="module")
def page_image() -> Image.Image:
    return scanned(render(text_pdf(), dpi=200)[0], angle=2.0)


def _extract(data: bytes, ft: FileType, **kw: object):
    return extract_document(data, doc("scan0001", data, ft), ctx(**kw))


@pytest.mark.ocr
def test_jpeg_scan(page_image: Image.Image) -> None:
    r = _extract(jpeg(page_image), FileType.JPEG)
    (page,) = r.pages
    assert r.problem is None and page.source is PageSource.OCR
    assert (page.width, page.height) == page_image.size
    assert USCC in page.text and "年服务中小微企业数" in page.text
    # Boxes are in the pixel coordinates of the image as given (deskew mapped back).
    line = next(ln for ln in page.lines if USCC in ln.text)
    assert line.bbox is not None and 0 <= line.bbox.x0 < line.bbox.x1 <= page.width
    assert all(w.conf is not None and 0 <= w.conf <= 1 for w in line.words)


@pytest.mark.ocr
def test_exif_orientation_is_honoured(page_image: Image.Image) -> None:
    stored = page_image.transpose(Image.Transpose.ROTATE_90)  # camera held sideways
    r = _extract(jpeg(stored, exif_orientation=6), FileType.JPEG)  # 6: display rotated 90° clockwise
    (page,) = r.pages
    assert (page.width, page.height) == page_image.size
    assert USCC in page.text


@pytest.mark.ocr
def test_sideways_page_without_exif_uses_osd(page_image: Image.Image) -> None:
    r = _extract(jpeg(page_image.transpose(Image.Transpose.ROTATE_270)), FileType.JPEG)
    assert USCC in r.pages[0].text


@pytest.mark.ocr
def test_multipage_tiff(page_image: Image.Image) -> None:
    small = page_image.reduce(2).convert("L")
    buf = io.BytesIO()
    small.save(buf, "TIFF", save_all=True, append_images=[small.rotate(0)], compression="tiff_lzw")
    r = _extract(buf.getvalue(), FileType.TIFF)
    assert [p.number for p in r.pages] == [1, 2]
    assert all("年服务中小微企业数" in p.text for p in r.pages)


def test_pixel_limit_checked_before_decoding() -> None:
    buf = io.BytesIO()
    Image.new("L", (4000, 3000), 255).save(buf, "PNG")
    r = _extract(buf.getvalue(), FileType.PNG, max_image_pixels=10_000_000)
    assert r.problem is not None and r.problem.code == "image_too_large" and r.pages == ()


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0 truncated", b"not an image at all"])
def test_corrupt_image_is_a_problem(data: bytes) -> None:
    r = _extract(data, FileType.JPEG)
    assert r.problem is not None and r.problem.code == "corrupt"


@pytest.mark.ocr
def test_truncated_jpeg_never_raises(page_image: Image.Image) -> None:
    data = jpeg(page_image)
    r = _extract(data[: len(data) // 3], FileType.JPEG)
    assert r.problem is not None or r.pages
