"""Driving an archive run: send its pending packages to the tasks, show progress, wait for the end.

With a broker the tasks go to the workers and this process watches the run's items in the database;
without one the same tasks run here, one after another. Either way the database says what is finished,
so an interrupted run (Ctrl-C, a crash) is resumed by sending what is still pending.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from prescreen.progress_bar import ProgressBar
from storage.db import ItemStatus
from storage.repository import Repository, RunRow

CHUNK_SIZE = 25  # rules-only rechecks per task and per commit: ~25 reports a transaction


@dataclass(frozen=True)
class RunOutcome:
    run: RunRow
    counts: dict[str, int]  # items per status
    finished: bool  # no item left pending
    elapsed_s: float  # this session's
    processed: int  # items this session finished
    extractions: int  # documents extracted (not read from the cache) during this session

    @property
    def rate(self) -> float:
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0


def finished_count(repo: Repository, run_id: str) -> int:
    return sum(n for status, n in repo.run_counts(run_id).items() if status != ItemStatus.PENDING)


def chunks(items: list[str], size: int = CHUNK_SIZE) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def eager() -> bool:
    from prescreen.tasks_app import app

    return bool(app.conf.task_always_eager)


def wait_pending(repo: Repository, run_id: str, timeout_s: float | None, poll_s: float = 0.5) -> bool:
    """Until no item is pending (True) or the timeout passes (False)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while repo.run_counts(run_id).get(ItemStatus.PENDING, 0):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(poll_s)
    return True


def drive_reprocess(run: RunRow, repo: Repository, quiet: bool = False, timeout_s: float | None = None) -> RunOutcome:
    from prescreen.tasks_reprocess import archive_chunk

    pending = [i.package_id for i in repo.run_items(run.id, ItemStatus.PENDING) if i.package_id]
    total = sum(repo.run_counts(run.id).values())
    since = datetime.now(UTC)
    bar = ProgressBar("重新处理 / reprocess", total, lambda: finished_count(repo, run.id), enabled=not quiet)
    with bar:
        for chunk in chunks(pending, CHUNK_SIZE):
            archive_chunk.apply_async((run.id, chunk), ignore_result=True)  # in eager mode: done on return
        if not eager():
            wait_pending(repo, run.id, timeout_s)
    return outcome(repo, run, since, bar)


def outcome(repo: Repository, run: RunRow, since: datetime, bar: ProgressBar) -> RunOutcome:
    finished = repo.finish_run(run.id)
    return RunOutcome(run=repo.get_run(run.id) or run, counts=repo.run_counts(run.id), finished=finished,
                      elapsed_s=bar.elapsed, processed=bar.processed,
                      extractions=repo.count_extractions_since(since))
