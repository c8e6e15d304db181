"""PDF extractor: text layer (pdfplumber, pdfium fallback) or OCR, decided page by page."""
from __future__ import annotations

import contextlib
import io
import logging
import signal
import threading
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pdfplumber

from extractors import pdfium
from extractors.context import ExtractionContext
from extractors.engines import EngineError
from extractors.models import BBox, ExtractedDocument, Line, Page, PageSource, Table, Word
from extractors.ocr import OCR_PIPELINE_VERSION, ocr_pages
from extractors.tables import aligned_tables, build_table, group_into_lines, make_line
from extractors.text import meaningful_chars, normalize_text
from intake.models import Document, FileType, Problem

log = logging.getLogger(__name__)

_TEXT_H_RULES = {"vertical_strategy": "text", "horizontal_strategy": "lines"}


class PageTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """SIGALRM-based limit for pure-Python parsing (pdfminer); a no-op outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(*_: object) -> None:
        raise PageTimeout()

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _problem(code: str, zh: str, en: str, subject: str) -> Problem:
    return Problem(code, zh, en, subject)


class PdfExtractor:
    name = "pdf"
    version = f"1+ocr{OCR_PIPELINE_VERSION} (pdfplumber {pdfplumber.__version__})"

    def handles(self, file_type: FileType) -> bool:
        return file_type is FileType.PDF

    def extract(self, data: bytes, document: Document, ctx: ExtractionContext) -> ExtractedDocument:
        def result(pages: list[Page], problem: Problem | None = None) -> ExtractedDocument:
            return ExtractedDocument(document.name, document.sha256, tuple(pages), self.name, problem)

        subject = document.name
        try:
            doc = pdfium.open_pdf(data)
        except EngineError as exc:
            if exc.code == "encrypted":
                return result([], _problem("encrypted", "PDF已加密，无法读取", "PDF is password-protected", subject))
            return result([], _problem("corrupt", "PDF文件损坏或不完整，无法打开", f"corrupt PDF: {exc}", subject))
        try:
            n = len(doc)
            if n == 0:
                return result([], _problem("empty", "PDF没有页面", "PDF has no pages", subject))
            if n > ctx.max_pdf_pages:
                return result([], _problem("too_many_pages", f"PDF共{n}页，超过上限{ctx.max_pdf_pages}页",
                                           f"PDF has {n} pages, over the limit of {ctx.max_pdf_pages}", subject))
            pages = self._pages(data, doc, n, ctx, subject)
        finally:
            doc.close()
        failed = [p for p in pages if p.problem and not p.lines]
        problem = None
        if len(failed) == len(pages):
            problem = _problem("unreadable", "PDF无法读取任何页面", "no page of the PDF could be read", subject)
        elif failed:
            problem = _problem("partial", f"{len(failed)}页无法读取", f"{len(failed)} page(s) could not be read", subject)
        return result(pages, problem)

    def _pages(self, data: bytes, doc: object, n: int, ctx: ExtractionContext, subject: str) -> list[Page]:
        pages: dict[int, Page] = {}
        try:
            plumber = pdfplumber.open(io.BytesIO(data))
        except Exception as exc:  # pdfminer raises many types on damaged files; pdfium may still read them
            log.info("pdfplumber cannot open %s: %s", subject, exc)
            plumber = None
        try:
            for i in range(n):
                page = None
                if plumber is not None:
                    try:
                        with time_limit(ctx.page_timeout_s):
                            page = _plumber_page(plumber.pages[i], i + 1, ctx)
                    except PageTimeout:
                        log.warning("text layer of %s page %d timed out", subject, i + 1)
                    except Exception as exc:  # same reason as above: pdfminer's error zoo
                        log.info("pdfplumber failed on %s page %d: %s", subject, i + 1, exc)
                if page is None:
                    page = _pdfium_page(doc, i, ctx)
                if page is not None:
                    pages[i + 1] = page
        finally:
            if plumber is not None:
                plumber.close()
        todo = [i for i in range(n) if i + 1 not in pages]
        for page in ocr_pages(self._renders(doc, todo, ctx, subject, pages), ctx, subject, expected=len(todo)):
            pages[page.number] = page
        return [pages[k] for k in sorted(pages)]

    @staticmethod
    def _renders(doc: object, todo: list[int], ctx: ExtractionContext, subject: str,
                 failed: dict[int, Page]) -> Iterator[tuple[int, np.ndarray]]:
        for i in todo:
            try:
                yield i + 1, pdfium.render_rgb(doc, i, ctx.render_dpi, ctx.max_image_pixels)  # type: ignore[arg-type]
            except EngineError as exc:
                failed[i + 1] = Page(i + 1, PageSource.OCR, problem=_problem(
                    exc.code, f"第{i + 1}页无法渲染", str(exc), subject))


def _plumber_page(pp: pdfplumber.page.Page, number: int, ctx: ExtractionContext) -> Page | None:
    raw = pp.extract_words(keep_blank_chars=False, use_text_flow=True)
    words = [Word(t, BBox(w["x0"], w["top"], w["x1"], w["bottom"])) for w in raw if (t := normalize_text(w["text"]))]
    if meaningful_chars("".join(w.text for w in words)) < ctx.min_text_chars:
        return None
    lines = group_into_lines(words)
    return Page(number, PageSource.TEXT_LAYER, tuple(lines), tuple(_tables(pp, words, lines)),
                float(pp.width), float(pp.height), "pt", f"pdfplumber {pdfplumber.__version__}")


def _tables(pp: pdfplumber.page.Page, words: list[Word], lines: list[Line]) -> list[Table]:
    found = [t for t in (_convert(t, words) for t in pp.find_tables()) if t]
    if found:
        return found
    if len(pp.horizontal_edges) >= 3:  # rules between rows only: let the text give the columns
        found = [t for t in (_convert(t, words) for t in pp.find_tables(_TEXT_H_RULES)) if t and _consistent(t)]
        if found:
            return found
    heights = sorted(ln.bbox.y1 - ln.bbox.y0 for ln in lines if ln.bbox)
    gap = 1.5 * heights[len(heights) // 2] if heights else 15.0
    return [t for t, _ in aligned_tables(lines, gap)]


def _consistent(t: Table) -> bool:
    counts = Counter(len(r) for r in t.rows)
    m, k = counts.most_common(1)[0]
    return m >= 2 and len(t.rows) >= 2 and k >= 0.8 * len(t.rows)


def _convert(t: pdfplumber.table.Table, words: list[Word]) -> Table | None:
    """pdfplumber cells -> Table; a merged cell appears once, its colspan counted on the column grid."""
    xs = sorted({round(c[0], 1) for c in t.cells} | {round(max(c[2] for c in t.cells), 1)})
    centres = [(a + b) / 2 for a, b in zip(xs, xs[1:], strict=False)]
    rows = []
    for row in t.rows:
        cells = [BBox(*c) for c in row.cells if c is not None]
        if cells:
            rows.append([(b, max(1, sum(1 for x in centres if b.x0 < x < b.x1))) for b in cells])
    return build_table(rows, words)


def _pdfium_page(doc: object, index: int, ctx: ExtractionContext) -> Page | None:
    """pdfium's own text page: pdfminer returns nothing for some CJK fonts that pdfium reads."""
    try:
        chars, w, h = pdfium.text_chars(doc, index)  # type: ignore[arg-type]
    except EngineError as exc:
        log.info("pdfium text failed on page %d: %s", index + 1, exc)
        return None
    if meaningful_chars("".join(c.text for c in chars)) < ctx.min_text_chars:
        return None
    lines = [make_line(_merge_chars(list(ln.words))) for ln in group_into_lines(chars)]
    heights = sorted(ln.bbox.y1 - ln.bbox.y0 for ln in lines if ln.bbox)
    gap = 1.5 * heights[len(heights) // 2] if heights else 15.0
    tables = [t for t, _ in aligned_tables(lines, gap)]
    return Page(index + 1, PageSource.TEXT_LAYER, tuple(lines), tuple(tables), w, h, "pt", pdfium.version())


def _merge_chars(chars: list[Word]) -> list[Word]:
    """Characters closer than a fifth of their height form one word ("91330282MA22QF4HX4")."""
    out: list[Word] = []
    for c in chars:
        assert c.bbox is not None
        prev = out[-1] if out else None
        if prev and prev.bbox and c.bbox.x0 - prev.bbox.x1 < 0.2 * (c.bbox.y1 - c.bbox.y0):
            out[-1] = Word(prev.text + c.text, prev.bbox.union(c.bbox))
        else:
            out.append(Word(normalize_text(c.text), c.bbox))
    return out
