"""The whole check, in process: intake → claim → extraction → facts → rules → report (prescreen/steps.py).

Documents are extracted in parallel processes (one per core, tesseract single-
threaded inside each: its own threading halves speed on 2 cores). Extraction
results are cached by (document sha256, extractor versions, extraction settings),
so a re-check of the same files, or a new rule set, does no OCR again.
The Celery tasks (prescreen/tasks.py) run the same steps, one document per task.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

from extractors import serialize
from extractors.context import ExtractionContext
from extractors.models import ExtractedDocument
from extractors.registry import extract_document
from intake.models import Document
from prescreen import extraction_cache as cache
from prescreen import metrics
from prescreen.extraction_cache import extractor_version, settings_hash
from prescreen.ocr_batches import page_runner, serial
from prescreen.settings import AppSettings
from prescreen.steps import finish, intake
from prescreen.viewer_images import Originals
from storage.objects import ObjectStore
from storage.repository import Repository
from storage.settings import open_object_store, open_repository
from storage.states import PackageState

__all__ = ["check_package", "extract_all", "extract_one", "extractor_version", "settings_hash"]
log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def _extract_job(args: tuple[bytes, Document, ExtractionContext]) -> bytes:
    data, doc, ctx = args
    if ctx.jobs == 1:  # pages one by one anyway: each timed for prescreen_ocr_page_seconds
        with page_runner(serial):
            return serialize.dumps(extract_document(data, doc, ctx))
    return serialize.dumps(extract_document(data, doc, ctx))


def extract_all(documents: tuple[Document, ...], originals: Originals, ctx: ExtractionContext, store: ObjectStore,
                repo: Repository, progress: Progress = lambda _msg: None) -> list[tuple[Document, ExtractedDocument]]:
    """Every document's extraction, from the cache where it is there, the rest extracted in parallel."""
    results: dict[str, ExtractedDocument] = {}
    todo: dict[str, Document] = {}  # sha256 -> the first document with that content
    for doc in documents:
        if doc.sha256 in results or doc.sha256 in todo:
            continue
        if not doc.readable:
            results[doc.sha256] = cache.unreadable(doc)
        elif (hit := cache.cached(doc, ctx, store, repo)) is not None:
            results[doc.sha256] = hit
            progress(f"{doc.name}：已有提取结果（缓存） / cached")
        else:
            todo[doc.sha256] = doc
    if todo:
        pending = list(todo.values())
        jobs = min(ctx.jobs, len(todo))
        # Pages run serially inside a document job when documents themselves run in parallel.
        inner = replace(ctx, jobs=1) if jobs > 1 else ctx
        args = [(originals(d), d, inner) for d in pending]
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                blobs = list(_with_progress(pool.map(_extract_job, args), pending, progress))
        else:
            blobs = list(_with_progress(map(_extract_job, args), pending, progress))
        for doc, blob in zip(pending, blobs):
            results[doc.sha256] = cache.save(doc, blob, ctx, store, repo)
            metrics.count_pages(results[doc.sha256])
    return [(d, replace(results[d.sha256], name=d.name)) for d in documents]


def extract_one(doc: Document, originals: Originals, ctx: ExtractionContext, store: ObjectStore,
                repo: Repository) -> tuple[ExtractedDocument, bool]:
    """One document's extraction (an extraction task's unit) and whether it came from the cache."""
    if not doc.readable:
        return cache.unreadable(doc), False
    hit = cache.cached(doc, ctx, store, repo)
    if hit is not None:
        return hit, True
    extracted = cache.save(doc, _extract_job((originals(doc), doc, ctx)), ctx, store, repo)
    metrics.count_pages(extracted)
    return extracted, False


def _with_progress(it, docs: list[Document], progress: Progress):
    for i, (doc, blob) in enumerate(zip(docs, it), 1):
        progress(f"[{i}/{len(docs)}] {doc.name}：提取完成 / extracted")
        yield blob


def check_package(path: Path, settings: AppSettings, declared: dict[str, Any] | None = None,
                  declared_name: str = "declared.json", ruleset_id: str | None = None,
                  progress: Progress = lambda _msg: None) -> dict[str, Any]:
    store = open_object_store(settings.storage)
    repo = open_repository(settings.storage)
    submission, payloads = intake(path, settings, store, repo, declared, declared_name, ruleset_id)
    package = submission.package
    progress(f"收到 {len(package.documents)} 个文件 / received {len(package.documents)} files")
    attempt = repo.claim(package.package_id)  # received -> extracting, under a checked transition
    try:
        ctx = settings.extraction_context()
        originals: Originals = lambda doc: payloads.get(doc.sha256)  # noqa: E731 - in memory already
        extracted = extract_all(package.documents, originals, ctx, store, repo, progress)
        report = finish(submission, extracted, attempt, ctx, store, repo, originals)
        if report is None:  # only if someone recovered our fresh package meanwhile
            raise RuntimeError(f"package {package.package_id} was taken over before checking")
        return report
    except Exception as exc:
        repo.transition(package.package_id, PackageState.FAILED, reason=repr(exc)[:500], attempt=attempt)
        raise
