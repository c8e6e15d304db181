"""PostgreSQL going away under a real Celery worker (Redis broker), through a TCP proxy the test controls
(tests/integration/pg_proxy.py): open connections cut, new ones refused, then accepted again.

Restarted mid-run: the tasks that meet the dead connections retry with backoff (RETRYABLE includes
SQLAlchemy's OperationalError) and the package completes with one report. Down for longer than the retries
last: the package ends failed with the reason, once the database answers again, and `prescreen reprocess
--failed` completes it. The test process does the intake straight to the database (as an API would before
the outage); only the worker goes through the proxy. Under CI=true a missing service fails these tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy.engine import make_url

from benchmarks.worker_kills import REDIS_URL, TaskLog, Worker, storage_env
from extractors.context import OcrSettings
from intake.limits import IntakeLimits
from prescreen.settings import AppSettings
from prescreen.steps import intake
from prescreen.tasks import PackageTask
from prescreen.tasks_app import QueueSettings, make_app
from storage.objects import ObjectStore
from storage.repository import PackageRow, Repository
from storage.settings import StorageSettings, open_object_store, open_repository
from storage.states import PackageState
from tests.e2e.builders import digital_package
from tests.integration.pg_proxy import PgProxy
from tests.integration.test_celery_worker import _delete_queue, _require

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("celery_worker")]

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120
# Backoff before retry n is up to 2·2^(n-1) s (full jitter), 5 retries: the last failure within ~62 s of the first.
RETRIES_S = sum(2 * 2 ** n for n in range(PackageTask.max_retries)) + 30


@dataclass
class Site:
    """A worker whose database is behind the proxy; the test's own repository goes straight to it."""

    proxy: PgProxy
    settings: AppSettings
    env: dict[str, str]
    client: Celery
    store: ObjectStore
    repo: Repository
    log: TaskLog
    worker: Worker

    def submit(self, path: Path) -> str:
        submission, _ = intake(path, self.settings, self.store, self.repo)
        self.client.send_task("prescreen.process_package", args=[submission.package_id], ignore_result=True)
        return submission.package_id

    def wait_for(self, what: str, found: Callable[[], Any], timeout_s: float = WAIT_S) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.log.poll()
            if value := found():
                return value
            time.sleep(0.05)
        raise AssertionError(f"{what}: not within {timeout_s:.0f}s\n{self.worker.log_tail()}")

    def ended(self, task: str, package_id: str, state: str) -> list[dict[str, Any]]:
        position = 1 if task == "prescreen.finish_package" else 0  # finish gets the chord's results first
        return [r for r in self.log.records if r["event"] == "end" and r["task"] == task and r["state"] == state
                and len(r["args"]) > position and r["args"][position] == package_id]

    def row(self, package_id: str) -> PackageRow:
        row = self.repo.get_package(package_id)
        assert row is not None
        return row

    def wait_state(self, package_id: str, state: PackageState, timeout_s: float = WAIT_S) -> PackageRow:
        return self.wait_for(f"package {package_id} {state}",
                             lambda: (row := self.row(package_id)).state == state and row, timeout_s)

    def report_objects(self, package_id: str) -> set[str]:
        return set(self.store.list(f"reports/{package_id}/"))


@pytest.fixture
def site(pg_schema_url: str, tmp_path: Path) -> Iterator[Site]:
    _require("Redis", REDIS_URL)
    proxy = PgProxy()
    storage = StorageSettings(home=tmp_path / "home", database_url=pg_schema_url)
    store, repo = open_object_store(storage), open_repository(storage)  # the schema, before the worker
    proxied = make_url(pg_schema_url).set(port=proxy.port).render_as_string(hide_password=False)
    queue = f"prescreen-dbfault-{uuid.uuid4().hex[:12]}"
    client = make_app(QueueSettings(broker_url=REDIS_URL, result_backend=REDIS_URL, queue=queue), set_as_current=False)
    log = TaskLog(tmp_path / "tasks.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")} | storage_env(storage) | {
        "PRESCREEN_DATABASE_URL": proxied, "PRESCREEN_BROKER_URL": REDIS_URL, "PRESCREEN_RESULT_BACKEND": REDIS_URL,
        "PRESCREEN_QUEUE": queue, "PRESCREEN_KILLS_TASK_LOG": str(log.path)}
    worker = Worker(env, queue, tmp_path / "worker.log")
    try:
        worker.start()
        worker.wait_ready()
        yield Site(proxy, AppSettings(IntakeLimits(), OcrSettings(), storage), env, client, store, repo, log, worker)
    finally:
        worker.stop()
        _delete_queue(client, queue)
        proxy.close()
        repo.engine.dispose()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Text documents only: the licence and certificate images (OCR, seconds each) are left out."""
    path = digital_package(tmp_path_factory.mktemp("pkg"))
    for image in path.glob("*.jpg"):
        image.unlink()
    return path


def test_a_database_restarted_mid_run_is_retried_and_the_package_completes_with_one_report(site: Site,
                                                                                           package: Path):
    site.proxy.cut_at(b"INSERT INTO reports")  # later: the database goes away at the report's insert
    package_id = site.submit(package)

    # Restarted while the documents are extracted: whatever the worker holds is cut, for 3 s nothing answers.
    site.wait_for("an extraction started", lambda: any(
        r["event"] == "start" and r["task"] == "prescreen.extract_document" and r["args"][0] == package_id
        for r in site.log.records))
    with site.proxy.down():
        time.sleep(3)

    # Gone again at the worst moment, between the report object and its row: the join retries until it is back.
    assert site.proxy.fired.wait(WAIT_S), site.worker.log_tail()
    site.wait_for("finish_package retried", lambda: site.ended("prescreen.finish_package", package_id, "RETRY"))
    time.sleep(2)
    site.proxy.accept()

    row = site.wait_state(package_id, PackageState.DONE)
    assert row.attempts == 1 and row.error is None  # retried in place: no recovery, no second processing
    (report,) = site.repo.list_reports(package_id)
    assert report.version == 1
    # One object for the one report, though the join built and stored it more than once.
    assert site.report_objects(package_id) == {report.object_key}
    assert len(site.ended("prescreen.finish_package", package_id, "SUCCESS")) == 1
    assert site.proxy.cuts == 2


def test_a_database_down_beyond_the_retries_fails_the_package_with_the_reason_and_reprocess_failed_completes_it(
        site: Site, package: Path):
    with site.proxy.down():
        package_id = site.submit(package)  # received; the worker's claim cannot reach the database
        site.wait_for("process_package gave up", lambda: site.ended("prescreen.process_package", package_id,
                                                                    "FAILURE"), RETRIES_S)
    assert len(site.ended("prescreen.process_package", package_id, "RETRY")) == PackageTask.max_retries

    # Nothing could be written while it was down; once it answers, the failure and its reason are recorded.
    row = site.wait_state(package_id, PackageState.FAILED)
    assert row.error.startswith("prescreen.process_package: OperationalError(")
    assert site.repo.list_reports(package_id) == []

    p = subprocess.run([sys.executable, "-m", "prescreen.cli", "reprocess", "--failed", "-q", "--timeout",
                        str(WAIT_S)], env=site.env, cwd=ROOT, capture_output=True, text=True, timeout=WAIT_S + 60)
    assert p.returncode == 0, p.stdout + p.stderr + site.worker.log_tail()
    row = site.row(package_id)
    assert row.state == PackageState.DONE and row.error is None
    (report,) = site.repo.list_reports(package_id)
    assert site.report_objects(package_id) == {report.object_key}
    assert json.loads(site.store.get(report.object_key))["package_id"] == package_id
