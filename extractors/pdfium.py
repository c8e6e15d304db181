"""The one place that uses pypdfium2: opening (encryption/corruption), rendering, text fallback.

pdfium is not thread-safe; callers use it from one thread and send rendered images to workers.
"""
from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from extractors.engines import EngineError
from extractors.models import BBox, Word

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def version() -> str:
    return f"pdfium {pdfium.version.PDFIUM_INFO.build}"


def open_pdf(data: bytes) -> pdfium.PdfDocument:
    """Open or raise EngineError with code `encrypted` / `corrupt`."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == pdfium_c.FPDF_ERR_PASSWORD:
            raise EngineError("encrypted", "PDF is password-protected") from exc
        raise EngineError("corrupt", f"PDF cannot be opened: {exc}") from exc


def render_rgb(doc: pdfium.PdfDocument, index: int, dpi: int, max_pixels: int) -> np.ndarray:
    """Render a page as RGB at `dpi` (lowered if the page would exceed `max_pixels`)."""
    page = doc[index]
    try:
        w, h = page.get_size()
        scale = dpi / 72
        if w * h * scale * scale > max_pixels:
            scale = (max_pixels / (w * h)) ** 0.5
        return np.asarray(page.render(scale=scale).to_pil().convert("RGB"))
    except pdfium.PdfiumError as exc:
        raise EngineError("render_failed", f"page {index + 1} cannot be rendered: {exc}") from exc
    finally:
        page.close()


def text_chars(doc: pdfium.PdfDocument, index: int) -> tuple[list[Word], float, float]:
    """One Word per character with its box in PDF points, top-left origin (like pdfplumber).

    Used when pdfminer returns nothing for a page that has a text layer (some CJK fonts).
    """
    page = doc[index]
    try:
        w, h = page.get_size()
        tp = page.get_textpage()
        chars = []
        for i in range(tp.count_chars()):
            ch = chr(pdfium_c.FPDFText_GetUnicode(tp.raw, i))
            if not ch.strip() or ch in "\ufffe\uffff":
                continue
            left, bottom, right, top = tp.get_charbox(i)
            chars.append(Word(ch, BBox(left, h - top, right, h - bottom)))
        tp.close()
        return chars, w, h
    except pdfium.PdfiumError as exc:
        raise EngineError("corrupt", f"page {index + 1} text cannot be read: {exc}") from exc
    finally:
        page.close()
