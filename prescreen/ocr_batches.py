"""A long scan's OCR pages as Celery tasks: plan, page batches on any free worker process, join.

A Celery prefork child is a daemonic process, which may not start the OCR page pool of
extractors/ocr.py, so in a worker one task used to OCR a document's pages one after another, however
many worker processes stood idle. Here the extraction task hands the pages out instead
(prescreen/tasks.py):

  extract_document  runs the extractor with a `Planner` as its page runner. A document with too few OCR
                    pages for two batches is OCR'd right there; otherwise the planner only notes the page
                    numbers that need OCR, and the task replaces itself with a chord of
  ocr_page_batch    one per batch: runs the extractor with a `BatchRunner`, which OCRs the batch's pages,
                    stops reading page images after its last one, and stores each page (derived key
                    `ocr-page/...`); then
  join_document     runs the extractor once more with the stored pages as its OCR (`StoredPages`; a page
                    missing from the store is OCR'd there), and caches the document as extract_one does.

The extractor itself decides, in every pass, which pages need OCR and assembles the document (text-layer
pages, page and document problems), so a document comes out exactly as when extracted in one process.
Page images are rendered again in each pass rather than stored: rendering is ~0.1 s a page at 300 dpi
against 3-10 s of OCR, while a lossless 300-dpi page image is 3-4 MB and the store never deletes.
Each page OCR'd here is timed into prescreen_ocr_page_seconds.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from extractors import serialize
from extractors.context import ExtractionContext
from extractors.models import ExtractedDocument, Page, PageSource
from extractors.ocr import PAGE_RUNNER, PageRunner, ocr_page
from extractors.registry import extract_document
from intake.models import Document
from prescreen import extraction_cache as cache
from prescreen import metrics
from prescreen.extraction_cache import document_version, refuse_interrupted, settings_hash
from prescreen.viewer_images import Originals
from storage.keys import derived_key
from storage.objects import ObjectStore
from storage.repository import Repository

log = logging.getLogger(__name__)
Images = Iterable[tuple[int, np.ndarray]]


@dataclass(frozen=True)
class BatchPlan:
    """How a document's OCR pages are cut into tasks (QueueSettings.page_batch_size / page_batches_max)."""

    batch_size: int = 2
    max_batches: int = 16

    def batches(self, pages: list[int]) -> list[list[int]]:
        if self.batch_size < 1 or len(pages) < 2:
            return [pages] if pages else []
        size = max(self.batch_size, math.ceil(len(pages) / self.max_batches))
        return [pages[i:i + size] for i in range(0, len(pages), size)]

    def fans_out(self, expected: int | None) -> bool:
        return expected is not None and len(self.batches(list(range(expected)))) >= 2


def timed_ocr(img: np.ndarray, number: int, ctx: ExtractionContext, subject: str | None) -> Page:
    started = time.perf_counter()
    page = ocr_page(img, number, ctx, subject)
    metrics.observe_ocr_page(time.perf_counter() - started, ctx.engine.value)
    return page


def serial(images: Images, ctx: ExtractionContext, subject: str | None, expected: int | None) -> Iterator[Page]:
    """Pages one after another, each timed: what ocr_pages does without a pool, plus the histogram."""
    for n, img in images:
        yield timed_ocr(img, n, ctx, subject)


@contextmanager
def page_runner(runner: PageRunner) -> Iterator[None]:
    token = PAGE_RUNNER.set(runner)
    try:
        yield
    finally:
        PAGE_RUNNER.reset(token)


def _placeholder(number: int) -> Page:
    return Page(number, PageSource.OCR)  # stands for a page OCR'd elsewhere; this pass's result is dropped


@dataclass
class Planner:
    """The first pass: OCR in place, or only note the pages to hand out."""

    plan: BatchPlan
    pages: list[int] = field(default_factory=list)

    def __call__(self, images: Images, ctx: ExtractionContext, subject: str | None,
                 expected: int | None) -> Iterator[Page]:
        if not self.plan.fans_out(expected):
            yield from serial(images, ctx, subject, expected)
            return
        for n, _img in images:
            self.pages.append(n)
            yield _placeholder(n)


@dataclass
class BatchRunner:
    """A batch task's pass: OCR these pages; stop reading images once they are done."""

    todo: set[int]
    done: list[Page] = field(default_factory=list)

    def __call__(self, images: Images, ctx: ExtractionContext, subject: str | None,
                 expected: int | None) -> Iterator[Page]:
        left = set(self.todo)
        for n, img in images:
            if n in left:
                left.discard(n)
                page = timed_ocr(img, n, ctx, subject)
                self.done.append(page)
                yield page
            else:
                yield _placeholder(n)
            if not left:
                return  # before the next image is drawn: pages after the batch's last are not rendered


@dataclass
class StoredPages:
    """The join's pass: OCR pages come from the batches; one missing (an evicted object) is OCR'd here."""

    stored: dict[int, Page]

    def __call__(self, images: Images, ctx: ExtractionContext, subject: str | None,
                 expected: int | None) -> Iterator[Page]:
        for n, img in images:
            page = self.stored.get(n)
            if page is None:
                log.warning("OCR of %s page %d not found from its batch; reading it here", subject, n)
                page = timed_ocr(img, n, ctx, subject)
            yield page


# --- stored pages -------------------------------------------------------------------------------

def page_key(doc: Document, ctx: ExtractionContext, number: int) -> str:
    """One OCR'd page, under the same versions and settings as the document's cached extraction."""
    version = hashlib.sha256(document_version(doc).encode()).hexdigest()[:16]
    return derived_key(doc.sha256, "ocr-page", version, f"{settings_hash(ctx)}-page-{number}.json")


def _dump_page(doc: Document, page: Page) -> bytes:
    return serialize.dumps(ExtractedDocument(doc.name, doc.sha256, (page,), "ocr-page"))


def _load_page(data: bytes) -> Page:
    return serialize.loads(data).pages[0]


# --- the three passes -----------------------------------------------------------------------------

def _run(doc: Document, originals: Originals, ctx: ExtractionContext, runner: PageRunner) -> ExtractedDocument:
    """The document's extractor with `runner` dispatching its OCR pages. A storage fault must not happen
    inside (the extractor turns any exception into a problem): runners only read what was loaded before."""
    with page_runner(runner):
        extracted = extract_document(originals(doc) or b"", doc, ctx)
    refuse_interrupted(extracted)  # a soft time limit inside must end the task, not be cached as a problem
    return extracted


def _save(doc: Document, extracted: ExtractedDocument, ctx: ExtractionContext, store: ObjectStore,
          repo: Repository) -> ExtractedDocument:
    saved = cache.save(doc, serialize.dumps(extracted), ctx, store, repo)
    metrics.count_pages(saved)
    return saved


def extract_or_plan(doc: Document, originals: Originals, ctx: ExtractionContext, store: ObjectStore,
                    repo: Repository, plan: BatchPlan) -> tuple[ExtractedDocument | None, bool, list[list[int]]]:
    """(extraction, from the cache, []) when done here; (None, False, batches) when the OCR pages should go
    out as batches."""
    if not doc.readable:
        return cache.unreadable(doc), False, []
    hit = cache.cached(doc, ctx, store, repo)
    if hit is not None:
        return hit, True, []
    planner = Planner(plan)
    extracted = _run(doc, originals, ctx, planner)
    if planner.pages:
        return None, False, plan.batches(planner.pages)
    return _save(doc, extracted, ctx, store, repo), False, []


def ocr_batch(doc: Document, originals: Originals, ctx: ExtractionContext, store: ObjectStore,
              pages: list[int]) -> int:
    """OCR and store those of `pages` not stored yet (a redelivered batch redoes nothing); how many."""
    todo = {n for n in pages if not store.exists(page_key(doc, ctx, n))}
    if not todo:
        return 0
    runner = BatchRunner(todo)
    _run(doc, originals, ctx, runner)
    for page in runner.done:
        store.put(page_key(doc, ctx, page.number), _dump_page(doc, page), "application/json")
    return len(runner.done)


def join(doc: Document, originals: Originals, ctx: ExtractionContext, store: ObjectStore, repo: Repository,
         pages: list[int]) -> tuple[ExtractedDocument, bool]:
    """The document from its stored OCR pages, cached; (extraction, from the cache)."""
    hit = cache.cached(doc, ctx, store, repo)
    if hit is not None:  # a redelivered join
        return hit, True
    stored = {}
    for n in pages:
        key = page_key(doc, ctx, n)
        if store.exists(key):
            stored[n] = _load_page(store.get(key))
    return _save(doc, _run(doc, originals, ctx, StoredPages(stored)), ctx, store, repo), False
