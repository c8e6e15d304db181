"""The Celery tasks of archive runs (`prescreen reprocess`, `prescreen ingest`). They take ids and run the
steps of prescreen/reprocess.py; without a broker they run eagerly in the calling process.

    archive_chunk(run_id, package_ids)   rules only for the done packages whose facts or extractions are
                                         cached, written in one transaction; the rest → archive_package
    archive_package(run_id, package_id)  one package through the state machine: extraction where the cache
                                         misses, facts, rules, report

Both are idempotent: an item already finished is skipped, a report equal to the latest adds no version, and
a package this run claimed but whose task died is taken back by the redelivered task.
"""
from __future__ import annotations

import inspect
import logging
from typing import Any

from celery import Task

from prescreen.reprocess import (
    Busy,
    forced_ruleset,
    mark_busy,
    mark_failed,
    process_fully,
    recheck,
    run_item,
    save_rechecked,
)
from prescreen.tasks import RETRYABLE, extraction_context, services
from prescreen.tasks_app import FINISH_HARD_S, FINISH_SOFT_S, app
from storage.db import ItemStatus
from storage.repository import PackageNotFound
from storage.states import PackageState

log = logging.getLogger(__name__)


class ArchiveTask(Task):
    """Transient faults retried with backoff; after the last retry every package of the task still pending
    in its run is failed with the reason, and the run goes on with the others."""

    autoretry_for = RETRYABLE
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 5

    def on_failure(self, exc: BaseException, task_id: str, args: tuple, kwargs: dict, einfo: Any) -> None:
        called = inspect.signature(self.run).bind_partial(*args, **kwargs).arguments
        run_id = called.get("run_id")
        package_ids = called.get("package_ids") or [called.get("package_id")]
        retries = self.request.retries or 0
        reason = f"{self.name}: {type(exc).__name__}: {exc}" + (f"（重试 {retries} 次后 / after {retries} retries）" if retries else "")
        for package_id in package_ids:
            try:
                mark_failed(services().repo, run_id, package_id, reason)
            except Exception:  # the database may be what failed: the item stays pending, a resume retries it
                log.exception("could not mark package %s of run %s failed", package_id, run_id)


@app.task(base=ArchiveTask, name="prescreen.archive_chunk", soft_time_limit=FINISH_SOFT_S, time_limit=FINISH_HARD_S)
def archive_chunk(run_id: str, package_ids: list[str]) -> dict[str, Any]:
    svc = services()
    run = svc.repo.get_run(run_id)
    if run is None:
        return {"run_id": run_id, "skipped": "no such run"}
    ruleset_id = forced_ruleset(run)
    ctx = extraction_context(svc.settings)
    pending = [i.package_id for i in svc.repo.run_items(run_id, ItemStatus.PENDING, package_ids) if i.package_id]
    states = svc.repo.package_states(pending)
    rechecked, full = [], []
    for package_id in pending:
        if package_id not in states:
            mark_failed(svc.repo, run_id, package_id, "申报包已不存在 / package no longer exists")
            continue
        if states[package_id] != PackageState.DONE:
            full.append(package_id)
            continue
        try:
            result = recheck(package_id, ruleset_id, ctx, svc.store, svc.repo)
        except RETRYABLE:
            raise  # the whole chunk again: nothing of it is written yet
        except Exception as exc:  # one package's problem (a damaged receipt, a rule's bug) is its own failure
            log.warning("recheck of package %s failed: %r", package_id, exc, exc_info=log.isEnabledFor(logging.DEBUG))
            mark_failed(svc.repo, run_id, package_id, f"recheck: {exc!r}")
            continue
        (rechecked.append(result) if result is not None else full.append(package_id))
    versions = save_rechecked(run_id, rechecked, svc.store, svc.repo)
    for package_id in full:
        archive_package.apply_async((run_id, package_id), ignore_result=True)
    return {"run_id": run_id, "rechecked": len(versions), "queued": len(full)}


@app.task(base=ArchiveTask, name="prescreen.archive_package")
def archive_package(run_id: str, package_id: str) -> dict[str, Any]:
    svc = services()
    run = svc.repo.get_run(run_id)
    item = run_item(svc.repo, run_id, package_id)
    if run is None or item is None:
        raise PackageNotFound(f"package {package_id!r} is not in run {run_id!r}")
    if item.status != ItemStatus.PENDING:
        return {"package_id": package_id, "skipped": item.status}
    try:
        version = process_fully(run_id, package_id, forced_ruleset(run), extraction_context(svc.settings),
                                svc.store, svc.repo)
    except Busy as exc:
        mark_busy(svc.repo, run_id, package_id, str(exc))
        return {"package_id": package_id, "skipped": "busy"}
    return {"package_id": package_id, "version": version}
