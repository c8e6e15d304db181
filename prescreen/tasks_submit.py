"""Submitting a package to the workers and waiting for it, for `prescreen check --queue`.

Intake runs here (the path is read by this process only); the workers get the package id and
share everything else through the database and the object store. Progress is the package's state.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prescreen.settings import AppSettings
from prescreen.steps import intake
from storage.repository import PackageNotFound, PackageRow, Repository
from storage.settings import open_object_store, open_repository
from storage.states import PackageState
from validators.ruleset import load_ruleset

STATE_TEXT = {PackageState.RECEIVED: "排队中 / queued", PackageState.EXTRACTING: "提取中 / extracting",
              PackageState.CHECKING: "检查中 / checking", PackageState.DONE: "完成 / done",
              PackageState.FAILED: "失败 / failed"}
FINAL = frozenset({PackageState.DONE, PackageState.FAILED})


class StillProcessing(TimeoutError):
    """The wait ended before the package did; it goes on in the workers."""


def submit(path: Path, settings: AppSettings, declared: dict[str, Any] | None = None,
           declared_name: str = "declared.json", ruleset_id: str | None = None) -> tuple[str, Repository]:
    """Receive and store the package, queue its processing; the package id and the repository to watch it in."""
    from prescreen.tasks import process_package  # the Celery app only when queueing

    if ruleset_id:
        load_ruleset(ruleset_id)  # an unknown rule set is the operator's mistake: refused before anything is stored
    repo = open_repository(settings.storage)
    submission, _ = intake(path, settings, open_object_store(settings.storage), repo, declared, declared_name,
                           ruleset_id)
    package_id = submission.package_id
    try:  # progress is read from the database, not from a result backend
        result = process_package.apply_async((package_id,), ignore_result=True)
    except Exception as exc:  # broker unreachable: failed, not left in received where no recovery looks
        repo.transition(package_id, PackageState.FAILED, reason=f"not queued: {exc!r}"[:500])
        raise
    if process_package.app.conf.task_always_eager:
        result.get()  # processed already, here: a failure to even start it is raised now, not waited for
    return package_id, repo


def wait(repo: Repository, package_id: str, progress: Callable[[str], None], timeout_s: float,
         poll_s: float = 0.5) -> PackageRow:
    """The package's row once it is done or failed; each state change reported through `progress`."""
    deadline = time.monotonic() + timeout_s
    seen = None
    while True:
        row = repo.get_package(package_id)
        if row is None:
            raise PackageNotFound(f"no package {package_id!r}")
        if row.state != seen:
            seen = row.state
            progress(STATE_TEXT.get(PackageState(row.state), row.state))
        if row.state in FINAL:
            return row
        if time.monotonic() >= deadline:
            raise StillProcessing(f"package {package_id} still {row.state} after {timeout_s:.0f}s")
        time.sleep(poll_s)
