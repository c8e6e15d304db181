"""Page images for the officers' evidence viewer, rendered once per document and stored.

Evidence boxes stay in each page's own unit (PDF points for text-layer pages, pixels of the
OCR input for scans and photos); every image records `scale`, image pixels per page unit, so a
viewer draws a box at `bbox * scale` whatever the page's source. Photos are cut to the page the
same way OCR cut them (crop_to_page is deterministic), so their boxes land on the same pixels.
"""
from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from extractors import pdfium
from extractors.context import ExtractionContext
from extractors.engines import EngineError
from extractors.imaging import crop_to_page
from extractors.models import ExtractedDocument, Page
from intake.models import FileType

log = logging.getLogger(__name__)

# Bump when the rendering below changes: stored images under the old version are redone.
PAGE_IMAGE_VERSION = "2"
VIEWER_DPI = 150  # A4 at 150 dpi is 1240x1754: sharp enough to read a quote, small as JPEG
MAX_SIDE = 2000  # photos and odd page sizes are scaled down to this many pixels at most
JPEG_QUALITY = 80


@dataclass(frozen=True)
class PageImage:
    page: int
    jpeg: bytes
    width: int
    height: int
    scale: float  # image pixels per page unit (the unit the page's evidence boxes are in)


def page_images(data: bytes, file_type: FileType, extracted: ExtractedDocument,
                ctx: ExtractionContext) -> Iterator[PageImage]:
    """Viewer images for the pages of `extracted` that have geometry; never raises for bad input."""
    pages = {p.number: p for p in extracted.pages if p.width and p.unit in ("pt", "px")}
    if not pages:
        return
    try:
        if file_type is FileType.PDF:
            yield from _pdf_images(data, pages, ctx)
        elif file_type.is_image:
            yield from _photo_images(data, pages)
    except (EngineError, OSError, ValueError, Image.DecompressionBombError) as exc:
        log.info("no viewer images for %s: %s", extracted.name, exc)


def _pdf_images(data: bytes, pages: dict[int, Page], ctx: ExtractionContext) -> Iterator[PageImage]:
    doc = pdfium.open_pdf(data)
    try:
        for number, page in sorted(pages.items()):
            if number > len(doc):
                continue
            yield _encode(number, pdfium.render_rgb(doc, number - 1, VIEWER_DPI, ctx.max_image_pixels), page)
    finally:
        doc.close()


def _photo_images(data: bytes, pages: dict[int, Page]) -> Iterator[PageImage]:
    with Image.open(io.BytesIO(data)) as im:
        for number, page in sorted(pages.items()):
            im.seek(number - 1)
            frame = ImageOps.exif_transpose(im.copy()) or im
            yield _encode(number, crop_to_page(np.asarray(frame.convert("RGB"))), page)


def _encode(number: int, rgb: np.ndarray, page: Page) -> PageImage:
    im = Image.fromarray(rgb)
    if max(im.size) > MAX_SIDE:
        im.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    assert page.width  # filtered by page_images
    return PageImage(number, buf.getvalue(), im.width, im.height, round(im.width / page.width, 6))
