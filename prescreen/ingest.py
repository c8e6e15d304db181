"""`prescreen ingest DIR`: bulk intake of an archive folder, each subfolder or .zip one package.

Intake runs here (this process reads the folder); processing goes to the workers, or runs here without a
broker. A package whose content (file names and bytes: intake's content id) was received before is a
duplicate: reported, not stored or processed again. A package that cannot be received, stored or
processed is recorded as failed with its reason and the run goes on: nothing is lost. Running the same
command again resumes an interrupted run of the same folder.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake.errors import PrescreenIntakeError
from intake.receive import receive
from prescreen.progress_bar import ProgressBar
from prescreen.run_driver import RunOutcome, eager, finished_count, outcome, wait_pending
from prescreen.settings import AppSettings
from prescreen.steps import store_received
from storage.db import ItemStatus, RunKind
from storage.objects import ObjectStore, StorageError
from storage.repository import Repository, RunItem, RunRow

log = logging.getLogger(__name__)

_JUNK = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})  # what OS file managers leave in a folder
NOT_A_PACKAGE = "不是申报包（既不是文件夹也不是 .zip） / not a package (neither a folder nor a .zip)"


@dataclass(frozen=True)
class IngestOptions:
    folder: Path
    ruleset: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "ruleset": self.ruleset}

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


def entries(folder: Path) -> list[str]:
    """The folder's entries in name order, without hidden files and OS junk; non-packages included (reported)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".") and p.name not in _JUNK)


def start_ingest(repo: Repository, options: IngestOptions, new: bool = False) -> tuple[RunRow, bool]:
    """The unfinished run of the same folder and options (resumed: True), or a new one over its entries."""
    if not new and (run := repo.unfinished_run(RunKind.INGEST.value, options.key())) is not None:
        return run, True
    items: list[tuple[str, str | None, int | None]] = [(name, None, None) for name in entries(options.folder)]
    return repo.create_run(uuid.uuid4().hex, RunKind.INGEST.value, options.key(), options.to_json(), items), False


def drive_ingest(run: RunRow, settings: AppSettings, store: ObjectStore, repo: Repository, quiet: bool = False,
                 timeout_s: float | None = None) -> RunOutcome:
    from prescreen.tasks_reprocess import archive_package

    folder = Path(run.options["folder"])
    since = datetime.now(UTC)
    total = sum(repo.run_counts(run.id).values())
    bar = ProgressBar("收件 / ingest", total, lambda: finished_count(repo, run.id), enabled=not quiet)
    with bar:
        for item in repo.run_items(run.id, ItemStatus.PENDING):
            package_id = item.package_id or intake_one(run, item, folder, settings, store, repo)
            if package_id is not None:
                archive_package.apply_async((run.id, package_id), ignore_result=True)  # eager: processed here
        if not eager():
            wait_pending(repo, run.id, timeout_s)
    return outcome(repo, run, since, bar)


def intake_one(run: RunRow, item: RunItem, folder: Path, settings: AppSettings, store: ObjectStore,
               repo: Repository) -> str | None:
    """Receive and store one entry; its package id, or None when the item ended here (not a package,
    unreadable, a duplicate, a storage fault)."""
    path = folder / item.source
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".zip")):
        repo.update_item(run.id, item.seq, status=ItemStatus.SKIPPED, detail=NOT_A_PACKAGE)
        return None
    try:
        received = receive(path, settings.intake)
        dup = repo.find_by_content(received.content_id)
        if dup is not None:
            repo.update_item(run.id, item.seq, status=ItemStatus.DUPLICATE,
                             detail=f"与已收申报包 {dup.id[:12]}（{dup.state}）内容相同 / "
                                    f"same content as package {dup.id} ({dup.state})")
            return None
        submission, _ = store_received(received, store, repo, ruleset_id=run.options.get("ruleset"))
    except PrescreenIntakeError as e:
        p = e.problem
        detail = f"{p.message_zh} / {p.message_en}" + (f"：{p.subject}" if p.subject else "")
    except StorageError as e:
        detail = f"存储错误 / storage error: {e}"
    except OSError as e:
        detail = f"无法读取 / cannot read: {e}"
    else:
        repo.update_item(run.id, item.seq, package_id=submission.package_id)
        return submission.package_id
    log.warning("ingest %s: %s", path, detail)
    repo.update_item(run.id, item.seq, status=ItemStatus.FAILED, detail=detail[:1000])
    return None
