"""The Celery tasks. They take ids, never file contents, and run the steps of prescreen/steps.py.

    process_package(id)                      received → extracting (claim), then a chord:
      extract_document(id, sha256, attempt)  one per distinct readable content, in parallel; in a worker a
                                             scan with several OCR pages becomes a chord of its own:
        ocr_page_batch(id, sha256, pages)    some of its pages each, in parallel (prescreen/ocr_batches.py)
        → join_document(results, id, sha256) the document from its stored pages, in extract_document's place
      → finish_package(results, id, attempt) extracting → checking → done: facts, rules, report
    recover_stuck()                          packages whose worker died: back to received, queued again
    record_failure(id, reason, attempt)      a final failure the task could not record (database down), later

Every task is idempotent: extractions are cached by content (a repeat reads the cache), the claim lets
one processing run per package and attempt, and a repeated report is the same version, not a new one.
"""
from __future__ import annotations

import inspect
import logging
import multiprocessing
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from celery import Task, chord
from celery.signals import after_setup_logger, worker_init, worker_process_init
from sqlalchemy.exc import OperationalError

from extractors.context import ExtractionContext
from extractors.facts.nlp import nlp
from intake.models import Document
from prescreen import ocr_batches
from prescreen.pipeline import extract_all, extract_one
from prescreen.settings import AppSettings
from prescreen.steps import choose_ruleset, finish, load_submission, stored_documents, stored_originals
from prescreen.tasks_app import (
    FINISH_HARD_S,
    FINISH_SOFT_S,
    SHORT_HARD_S,
    SHORT_SOFT_S,
    QueueSettings,
    app,
)
from prescreen.viewer_images import page_image_manifest
from storage.objects import ObjectStore, StoreUnreachable
from storage.repository import PackageNotFound, Repository
from storage.settings import open_object_store, open_repository
from storage.states import PackageState

log = logging.getLogger(__name__)

# Transient: the store or the database did not answer. Other storage faults (access denied, missing
# bucket, conflicting object) need an operator; retrying them only delays the failure.
RETRYABLE = (StoreUnreachable, OperationalError)


@dataclass(frozen=True)
class Services:
    settings: AppSettings
    store: ObjectStore
    repo: Repository


_services: Services | None = None


def services() -> Services:
    """Settings, object store and database, opened once per process (after the fork, never before)."""
    global _services
    if _services is None:
        settings = AppSettings.from_env()
        _services = Services(settings, open_object_store(settings.storage), open_repository(settings.storage))
    return _services


def reset_services() -> None:
    global _services
    if _services is not None:
        _services.repo.engine.dispose(close=False)  # a forked child must not use its parent's connections
    _services = None


def extraction_context(settings: AppSettings) -> ExtractionContext:
    """Celery's prefork children are daemonic processes, which may not start the OCR page pool (it would fail
    at its first page): there a document's pages run one after another, and documents run in parallel as tasks."""
    ctx = settings.extraction_context()
    return replace(ctx, jobs=1) if multiprocessing.current_process().daemon else ctx


@worker_init.connect
def _warm_parent(**_: Any) -> None:
    warm()  # prefork children inherit it; solo and threads pools use it as is


@worker_process_init.connect
def _warm_child(**_: Any) -> None:
    reset_services()
    warm()


@after_setup_logger.connect
def _quiet_migrations(**_: Any) -> None:
    logging.getLogger("alembic").setLevel(logging.WARNING)  # each new child checks the schema: no news


def warm() -> None:
    """Load the spaCy pipeline (with jieba's dictionary) and the default rule set once per process."""
    nlp()("法定代表人张三")
    choose_ruleset(None, None)


class PackageTask(Task):
    """A task on one package: transient faults retried with backoff, a final failure recorded on the package."""

    autoretry_for = RETRYABLE
    retry_backoff = 2  # seconds before the first retry, doubling (jittered), at most retry_backoff_max
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5

    def on_failure(self, exc: BaseException, task_id: str, args: tuple, kwargs: dict, einfo: Any) -> None:
        called = inspect.signature(self.run).bind_partial(*args, **kwargs).arguments
        package_id, attempt = called.get("package_id"), called.get("attempt")
        if package_id is None:
            return
        reason = f"{self.name}: {exc!r}"[:500]
        try:  # guarded by the attempt: a stale task does not fail a package processed again meanwhile
            services().repo.transition(package_id, PackageState.FAILED, reason=reason, attempt=attempt)
        except RETRYABLE:
            # The database (or store) is what failed, still: recorded once it answers. Not left to recover_stuck,
            # which never sees a package that failed before its claim (still received) and would only requeue it.
            log.warning("could not mark package %s failed yet; recording it in a task", package_id)
            try:
                record_failure.apply_async((package_id, reason, attempt), ignore_result=True)
            except Exception:
                log.exception("could not queue the failure of package %s", package_id)
        except Exception:
            log.exception("could not mark package %s failed", package_id)


@app.task(name="prescreen.record_failure", autoretry_for=RETRYABLE, retry_backoff=2, retry_backoff_max=300,
          retry_jitter=True, max_retries=50, soft_time_limit=SHORT_SOFT_S, time_limit=SHORT_HARD_S)
def record_failure(package_id: str, reason: str, attempt: int | None) -> bool:
    """A package task's final failure, recorded when the database is back (hours of retries, ≤ 5 min apart):
    failed with the reason, unless the package moved on meanwhile (the same attempt guard)."""
    return services().repo.transition(package_id, PackageState.FAILED, reason=reason, attempt=attempt)


@app.task(base=PackageTask, name="prescreen.process_package", soft_time_limit=SHORT_SOFT_S,
          time_limit=SHORT_HARD_S)
def process_package(package_id: str) -> dict[str, Any]:
    """Claim a received package and fan out its extraction; a package already claimed (a repeated or
    redelivered submission) or finished is left alone."""
    svc = services()
    submission = load_submission(package_id, svc.store, svc.repo)  # before the claim: a retry must find it free
    attempt = svc.repo.claim(package_id)
    if attempt is None:
        row = svc.repo.get_package(package_id)
        log.info("package %s not claimed (%s): processed elsewhere", package_id, row and row.state)
        return {"package_id": package_id, "skipped": row and row.state}
    body = finish_package.s(package_id, attempt)
    header = [extract_document.s(package_id, sha, attempt) for sha in submission.readable_hashes()]
    result = chord(header)(body) if header else body.delay([])
    return {"package_id": package_id, "attempt": attempt, "documents": len(header), "finish_id": result.id}


def _document(svc: Services, package_id: str, sha256: str, attempt: int | None) -> tuple[Document | None, Any]:
    """The package's document with this content, or (None, the package's state) for a stale task."""
    row = svc.repo.get_package(package_id)
    if row is None:
        raise PackageNotFound(f"no package {package_id!r}")
    if attempt is not None and (row.attempts != attempt or row.state != PackageState.EXTRACTING):
        return None, row.state  # a stale task: the package moved on without it
    doc = next((d for d in stored_documents(svc.repo, package_id) if d.sha256 == sha256), None)
    if doc is None:
        raise PackageNotFound(f"no document {sha256} in package {package_id!r}")
    return doc, row.state


def _page_batches() -> ocr_batches.BatchPlan | None:
    """None in process (eager: the OCR page pool runs the pages) or with PRESCREEN_PAGE_BATCH_SIZE=0."""
    if app.conf.task_always_eager or not app.conf.get("prescreen_page_batch_size"):
        return None
    return ocr_batches.BatchPlan(app.conf.prescreen_page_batch_size, app.conf.prescreen_page_batches_max)


@app.task(base=PackageTask, bind=True, name="prescreen.extract_document")
def extract_document(self: Task, package_id: str, sha256: str, attempt: int | None = None) -> dict[str, Any]:
    """Extract one document of the package (cached by content) and render its viewer page images. In a
    worker, a scan with several OCR pages is replaced by a chord: its page batches, then join_document."""
    svc = services()
    doc, state = _document(svc, package_id, sha256, attempt)
    if doc is None:
        return {"sha256": sha256, "skipped": state}
    ctx, originals = extraction_context(svc.settings), stored_originals(svc.store)
    plan = _page_batches()
    if plan is None:
        extracted, cached = extract_one(doc, originals, ctx, svc.store, svc.repo)
    else:
        found, cached, batches = ocr_batches.extract_or_plan(doc, originals, ctx, svc.store, svc.repo, plan)
        if found is None:
            # The join takes this task's id and place in the package's chord (Celery's Task.replace).
            header = [ocr_page_batch.si(package_id, sha256, pages, attempt) for pages in batches]
            return self.replace(chord(header, join_document.s(package_id, sha256, attempt)))
        extracted = found
    pages = page_image_manifest(doc, extracted, ctx, svc.store, originals)
    return {"sha256": sha256, "cached": cached, "pages": len(extracted.pages), "images": len(pages)}


@app.task(base=PackageTask, name="prescreen.ocr_page_batch")
def ocr_page_batch(package_id: str, sha256: str, pages: list[int], attempt: int | None = None) -> dict[str, Any]:
    """OCR some pages of one document and store them for join_document; pages stored already are skipped."""
    svc = services()
    doc, state = _document(svc, package_id, sha256, attempt)
    if doc is None:
        return {"sha256": sha256, "pages": pages, "skipped": state}
    done = ocr_batches.ocr_batch(doc, stored_originals(svc.store), extraction_context(svc.settings), svc.store,
                                 pages)
    return {"sha256": sha256, "pages": pages, "ocr": done}


@app.task(base=PackageTask, name="prescreen.join_document")
def join_document(results: list[dict[str, Any]], package_id: str, sha256: str,
                  attempt: int | None = None) -> dict[str, Any]:
    """A document's extraction from its stored OCR pages, cached, and its viewer page images."""
    svc = services()
    doc, state = _document(svc, package_id, sha256, attempt)
    if doc is None:
        return {"sha256": sha256, "skipped": state}
    ctx, originals = extraction_context(svc.settings), stored_originals(svc.store)
    pages = sorted({n for r in results for n in r.get("pages", ())})
    extracted, cached = ocr_batches.join(doc, originals, ctx, svc.store, svc.repo, pages)
    images = page_image_manifest(doc, extracted, ctx, svc.store, originals)
    return {"sha256": sha256, "cached": cached, "pages": len(extracted.pages), "images": len(images),
            "batches": len(results)}


@app.task(base=PackageTask, name="prescreen.finish_package", soft_time_limit=FINISH_SOFT_S,
          time_limit=FINISH_HARD_S)
def finish_package(results: list[dict[str, Any]], package_id: str, attempt: int | None) -> dict[str, Any]:
    """Join: facts, rules and the report from the cached extractions, then done. A repeat after done or
    failed, or a task of an earlier attempt, changes nothing."""
    svc = services()
    row = svc.repo.get_package(package_id)
    if row is None:
        raise PackageNotFound(f"no package {package_id!r}")
    working = row.state in (PackageState.EXTRACTING, PackageState.CHECKING)
    if not working or (attempt is not None and row.attempts != attempt):
        return {"package_id": package_id, "verdict": row.verdict, "skipped": row.state}
    submission = load_submission(package_id, svc.store, svc.repo)
    ctx, originals = extraction_context(svc.settings), stored_originals(svc.store)
    # All cached by the chord's tasks; anything missing (an evicted cache entry) is extracted here.
    extracted = extract_all(submission.package.documents, originals, ctx, svc.store, svc.repo)
    report = finish(submission, extracted, attempt, ctx, svc.store, svc.repo, originals)
    return {"package_id": package_id, "verdict": report and report["verdict"], "skipped": None if report else "taken"}


@app.task(base=PackageTask, name="prescreen.recover_stuck", soft_time_limit=SHORT_SOFT_S, time_limit=SHORT_HARD_S)
def recover_stuck() -> dict[str, list[str]]:
    """Beat's maintenance task (also `prescreen recover`)."""
    return recover_and_requeue(services().repo)


def recover_and_requeue(repo: Repository, settings: QueueSettings | None = None,
                        older_than: timedelta | None = None) -> dict[str, list[str]]:
    """Packages stuck in extracting/checking (their worker died) back to received and queued again; failed
    after too many attempts. Queued without a broker means processed here and now (eager)."""
    s = settings or QueueSettings()
    if older_than is None:
        older_than = timedelta(seconds=s.recover_after_s)
    found = repo.recover_stuck(older_than, max_attempts=s.recover_max_attempts)
    for package_id in found.requeued:
        process_package.apply_async((package_id,), ignore_result=True)
    return {"requeued": found.requeued, "failed": found.failed}
