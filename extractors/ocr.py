"""OCR of page images: preprocessing, tesseract, lines and tables, pages in parallel processes.

Each worker gets a picklable job (page image + frozen context) and returns a frozen `Page`
whose boxes are in the pixel coordinates of the page image it was given.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from extractors import imaging
from extractors.context import ExtractionContext
from extractors.engines import EngineError
from extractors.engines import tesseract as tess
from extractors.models import BBox, Cell, Line, Page, PageSource, Table, Word
from extractors.tables import aligned_tables, grid_tables, make_line
from intake.models import Problem

log = logging.getLogger(__name__)

PSM_PAGE = 6  # one uniform block: best on forms and lists once ruling lines are gone
OSD_MIN_CONF = 2.0  # below this, tesseract's orientation guess is noise


def _words(img: np.ndarray, ctx: ExtractionContext, deadline: float) -> list[tess.TessWord]:
    left = deadline - time.monotonic()
    if left <= 0:
        raise EngineError("timeout", "page time limit reached")
    return tess.image_to_words(img, ctx.lang, PSM_PAGE, left)


def _mean(ws: list[tess.TessWord]) -> float:
    return sum(w.conf for w in ws) / len(ws) if ws else 0.0


def _build(prep: imaging.Prepared, tw: list[tess.TessWord]) -> tuple[list[Line], list[Table]]:
    by_line: dict[tuple[int, int, int], list[Word]] = {}
    for w in tw:
        box = BBox(w.left, w.top, w.left + w.width, w.top + w.height)
        by_line.setdefault(w.line_key, []).append(Word(w.text, box, w.conf))
    lines = [make_line(ws) for _, ws in sorted(by_line.items())]
    words = [w for ln in lines for w in ln.words]
    tables = grid_tables(prep.h_mask, prep.v_mask, words, prep.char_h)
    if not tables:  # client lists often have no rules at all
        tables = [t for t, _ in aligned_tables(lines, 1.5 * prep.char_h)]
    m = prep.matrix
    return [_map_line(ln, m) for ln in lines], [_map_table(t, m) for t in tables]


def _map(b: BBox | None, m: np.ndarray) -> BBox | None:
    return None if b is None else BBox(*(round(v, 1) for v in imaging.map_box_back(b, m)))


def _map_line(ln: Line, m: np.ndarray) -> Line:
    return Line(ln.text, _map(ln.bbox, m), ln.conf, tuple(Word(w.text, _map(w.bbox, m), w.conf) for w in ln.words))


def _map_table(t: Table, m: np.ndarray) -> Table:
    rows = tuple(tuple(Cell(c.text, _map(c.bbox, m), c.conf, c.colspan) for c in r) for r in t.rows)
    return Table(rows, _map(t.bbox, m))


def ocr_page(gray: np.ndarray, number: int, ctx: ExtractionContext, subject: str | None = None) -> Page:
    """OCR one page image (grayscale, seal already removed). Never raises for engine trouble."""
    deadline = time.monotonic() + ctx.page_timeout_s
    h, w = gray.shape[:2]
    base = dict(number=number, source=PageSource.OCR, width=float(w), height=float(h), unit="px")
    try:
        engine = tess.engine_name(ctx.lang)
        rot, osd_done = 0, False
        if imaging.looks_vertical(imaging.binarize(gray)):
            rot, osd_done = _osd(gray, deadline), True
        prep = imaging.prepare(gray, rot)
        tw = _words(prep.ocr_image, ctx, deadline)
        if not osd_done and (_mean(tw) < ctx.low_conf or len(tw) < 5):
            # Upside-down or sideways pages read as garbage with low confidence; ask OSD only then.
            extra = _osd(prep.ocr_image, deadline)
            if extra:
                prep2 = imaging.prepare(gray, (rot + extra) % 360)
                tw2 = _words(prep2.ocr_image, ctx, deadline)
                if _mean(tw2) > _mean(tw):
                    prep, tw = prep2, tw2
        lines, tables = _build(prep, tw)
    except EngineError as exc:
        log.warning("OCR failed on %s page %d: %s", subject, number, exc)
        return Page(**base, problem=Problem(exc.code, f"第{number}页文字识别失败", f"OCR failed on page {number}: {exc}",
                                            subject))  # type: ignore[arg-type]
    conf = _mean(tw) if tw else None
    problem = None
    if conf is None or conf < ctx.low_conf:
        problem = Problem("low_confidence", f"第{number}页识别置信度低，需人工核对",
                          f"low OCR confidence on page {number}", subject)
    return Page(**base, lines=tuple(lines), tables=tuple(tables), engine=engine, mean_conf=conf,  # type: ignore[arg-type]
                problem=problem)


def _osd(img: np.ndarray, deadline: float) -> int:
    rot, conf = tess.orientation(img, max(1.0, min(30.0, deadline - time.monotonic())))
    return rot if conf >= OSD_MIN_CONF and rot in (90, 180, 270) else 0


def _job(args: tuple[np.ndarray, int, ExtractionContext, str | None]) -> Page:
    return ocr_page(*args)


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers do not inherit the caller's threads/locks (Celery, web server).
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("forkserver"))


def ocr_pages(images: Iterable[tuple[int, np.ndarray]], ctx: ExtractionContext, subject: str | None = None,
              expected: int | None = None) -> Iterator[Page]:
    """OCR pages in a process pool (ctx.jobs workers), yielding pages in order.

    `images` is consumed lazily with at most 2*jobs pages in flight, so a long scan is never
    held in memory at once. Falls back to one process where a pool cannot be started
    (e.g. inside a daemonic worker process).
    """
    workers = min(ctx.jobs, expected or ctx.jobs)
    it = iter(images)
    if workers <= 1:
        yield from (ocr_page(img, n, ctx, subject) for n, img in it)
        return
    try:
        pool = _pool(workers)
    except (OSError, ValueError, AssertionError) as exc:
        log.warning("no OCR process pool (%s); running pages one by one", exc)
        yield from (ocr_page(img, n, ctx, subject) for n, img in it)
        return
    pending: deque[tuple[int, np.ndarray, Future[Page]]] = deque()
    usable = True
    with pool:
        for n, img in it:
            if usable:
                try:
                    pending.append((n, img, pool.submit(_job, (img, n, ctx, subject))))
                except (RuntimeError, OSError) as exc:  # workers cannot start (e.g. no __main__ guard)
                    log.warning("OCR process pool unusable (%s); running pages in-process", exc)
                    usable = False
            if not usable:
                while pending:
                    yield _result(pending.popleft(), ctx, subject)
                yield ocr_page(img, n, ctx, subject)
                continue
            while len(pending) >= 2 * workers:
                yield _result(pending.popleft(), ctx, subject)
        while pending:
            yield _result(pending.popleft(), ctx, subject)


def _result(item: tuple[int, np.ndarray, Future[Page]], ctx: ExtractionContext, subject: str | None) -> Page:
    n, img, fut = item
    try:
        return fut.result()
    except (BrokenProcessPool, OSError, AssertionError) as exc:
        log.warning("OCR worker lost on page %d (%s); retrying in-process", n, exc)
        return ocr_page(img, n, ctx, subject)
