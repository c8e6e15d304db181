"""A 4-page scan on real prefork workers (Redis, PostgreSQL, S3 through the MinIO adapter): its OCR pages go
out as ocr_page_batch tasks, join_document assembles it, and the worker's own /metrics (summed over its
pool children through PROMETHEUS_MULTIPROC_DIR) counts the tasks, pages and OCR seconds.

Run on Redis with one pool process and with two, and on RabbitMQ with two; the wall time of each is printed
(`-s`) and, with two, the batches must have run at the same time in different processes. Under CI=true a
missing service fails.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from extractors.context import OcrSettings
from intake.limits import IntakeLimits
from prescreen import extraction_cache as cache
from prescreen.settings import AppSettings
from prescreen.steps import intake, stored_documents
from prescreen.tasks_app import QueueSettings, make_app
from prescreen.tasks_submit import wait
from storage.settings import open_object_store, open_repository
from storage.states import PackageState
from tests.integration import s3_fixtures
from tests.integration.s3_fixtures import MotoServer, free_port, store_settings, unique_bucket
from tests.integration.test_celery_worker import (
    BROKERS,
    REDIS_URL,
    TaskLog,
    WorkerProcess,
    _delete_queue,
    _drop_schema,
    _require,
    _schema,
)
from tests.integration.test_metrics_queue_depth import scrape
from tests.unit.test_metrics import scanned_pdf

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.ocr, pytest.mark.xdist_group("celery_worker")]

moto_s3 = s3_fixtures.moto_s3
WAIT_S = 600  # 4 scanned pages with the cascade on one busy core


@dataclass
class Run:
    broker: str
    processes: int
    seconds: float
    package_id: str
    sha256: str
    tasks: TaskLog
    metrics: dict[tuple[str, tuple], float]
    settings: AppSettings
    log: str  # the worker's log ("Task ... succeeded in 9.1s" per task)


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return scanned_pdf(tmp_path_factory.mktemp("scan") / "scan.pdf", pages=4, dpi=200).read_bytes()


def _run(processes: int, scan: bytes, moto: MotoServer, database_url: str, tmp: Path,
         extra_env: dict[str, str] | None = None, broker: str = "redis") -> Run:
    """A worker with `processes` pool children checks a package of the scan (new bytes: nothing cached)."""
    bucket, queue, node = unique_bucket(), f"prescreen-pages-{uuid.uuid4().hex[:12]}", f"p{uuid.uuid4().hex[:8]}"
    storage = store_settings(moto.endpoint, bucket, database_url=database_url)
    settings = AppSettings(intake=IntakeLimits(), ocr=OcrSettings(), storage=storage)
    store, repo = open_object_store(storage), open_repository(storage)
    client = make_app(QueueSettings(broker_url=BROKERS[broker], result_backend=REDIS_URL, queue=queue),
                      set_as_current=False)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRESCREEN_", "PROMETHEUS_"))} | {
        "PRESCREEN_HOME": str(tmp / "home"), "PRESCREEN_BROKER_URL": BROKERS[broker],
        "PRESCREEN_RESULT_BACKEND": REDIS_URL,
        "PRESCREEN_QUEUE": queue, "PRESCREEN_DATABASE_URL": database_url, "PRESCREEN_OBJECT_STORE": "minio",
        "PRESCREEN_MINIO_ENDPOINT": moto.endpoint, "PRESCREEN_MINIO_BUCKET": bucket,
        "PRESCREEN_MINIO_ACCESS_KEY": "testing", "PRESCREEN_MINIO_SECRET_KEY": "testing",
        "PRESCREEN_MINIO_REGION": s3_fixtures.REGION, "PRESCREEN_TEST_TASK_LOG": str(tmp / "tasks.jsonl"),
        "PRESCREEN_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prometheus"),
    } | (extra_env or {})
    celery = str(Path(sys.executable).with_name("celery"))
    argv = [celery, "-A", "worker", "worker", "--loglevel", "INFO", "--pool", "prefork", "--concurrency",
            str(processes), "--queues", queue, "-n", f"{node}@%h", "--without-mingle", "--without-gossip",
            "--include", "tests.integration.celery_probe"]
    worker = WorkerProcess(argv, env, Path(tempfile.mkstemp(suffix=".log")[1]))
    try:
        worker.wait_ready(node)
        folder = tmp / "pkg"
        folder.mkdir()
        data = scan + f"\n% {uuid.uuid4().hex}\n".encode()  # after %%EOF: the same pages, content not cached
        (folder / "营业执照及报告扫描件.pdf").write_bytes(data)
        submission, _ = intake(folder, settings, store, repo)
        started = time.monotonic()
        client.send_task("prescreen.process_package", args=[submission.package_id])
        try:
            row = wait(repo, submission.package_id, lambda _msg: None, WAIT_S, poll_s=0.2)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{worker.log_tail()}") from None
        seconds = time.monotonic() - started
        assert row.state == PackageState.DONE, f"{row.state}: {row.error}\n{worker.log_tail()}"
        values = scrape(f"http://127.0.0.1:{port}/metrics")
        return Run(broker, processes, seconds, submission.package_id, hashlib.sha256(data).hexdigest(),
                   TaskLog(tmp / "tasks.jsonl"), values, settings, worker.log.read_text(errors="replace"))
    finally:
        worker.stop()
        worker.log.unlink(missing_ok=True)
        _delete_queue(client, queue)
        repo.engine.dispose()


RUNS = [("redis", 1), ("redis", 2), ("rabbitmq", 2)]


@pytest.fixture(scope="module")
def runs(scan: bytes, moto_s3: MotoServer, pg_database_url: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, int], Run]]:
    for broker in sorted(BROKERS):
        _require(broker, BROKERS[broker])
    _require("Redis (result backend)", REDIS_URL)
    schema, database_url = _schema(pg_database_url)
    try:
        out = {(b, n): _run(n, scan, moto_s3, database_url, tmp_path_factory.mktemp(f"pages-{b}-{n}"), broker=b)
               for b, n in RUNS}
        for (b, n), run in out.items():
            print(f"\n4-page scan on {b}, {n} worker process(es): {run.seconds:.1f} s from queued to done")
        yield out
    finally:
        _drop_schema(pg_database_url, schema)


def _records(run: Run, task: str, event: str = "start") -> list[dict[str, Any]]:
    position = 1 if task in ("prescreen.join_document", "prescreen.finish_package") else 0  # chord bodies: results first
    return [r for r in run.tasks.records() if r["event"] == event and r["task"] == task
            and len(r["args"]) > position and r["args"][position] == run.package_id]


@pytest.mark.parametrize("key", RUNS, ids=[f"{b}-{n}" for b, n in RUNS])
def test_a_scan_is_ocrd_in_page_batches_and_joined(runs: dict[tuple[str, int], Run], key: tuple[str, int]):
    run = runs[key]
    (extract,) = _records(run, "prescreen.extract_document", "end")
    assert extract["state"] == "IGNORED"  # replaced by its page batches and their join
    batches = _records(run, "prescreen.ocr_page_batch", "end")
    assert sorted(r["args"][2] for r in batches) == [[1, 2], [3, 4]]
    assert all(r["state"] == "SUCCESS" and r["result"]["ocr"] == 2 for r in batches)
    (joined,) = _records(run, "prescreen.join_document", "end")
    assert joined["state"] == "SUCCESS" and joined["result"]["pages"] == 4 and joined["result"]["cached"] is False
    assert len(_records(run, "prescreen.finish_package", "end")) == 1

    # The document is cached as a whole, four OCR pages with text, for the report and any later check.
    storage = run.settings.storage
    store, repo = open_object_store(storage), open_repository(storage)
    try:
        (doc,) = [d for d in stored_documents(repo, run.package_id) if d.sha256 == run.sha256]
        extracted = cache.cached(doc, run.settings.extraction_context(), store, repo)
        assert extracted is not None and [p.number for p in extracted.pages] == [1, 2, 3, 4]
        assert all(p.source.value == "ocr" and p.lines for p in extracted.pages)
        assert repo.latest_report(run.package_id) is not None
    finally:
        repo.engine.dispose()


@pytest.mark.parametrize("key", RUNS, ids=[f"{b}-{n}" for b, n in RUNS])
def test_the_workers_metrics_count_tasks_pages_and_ocr_seconds(runs: dict[tuple[str, int], Run],
                                                                key: tuple[str, int]):
    values = runs[key].metrics

    def tasks(name: str) -> float:
        return values.get(("prescreen_tasks_succeeded_total", (("task", f"prescreen.{name}"),)), 0)

    assert [tasks(n) for n in ("process_package", "ocr_page_batch", "join_document", "finish_package")] == [1, 2, 1, 1]
    assert tasks("extract_document") == 0  # replaced (Ignore): neither a success nor a failure
    assert values[("prescreen_pages_extracted_total", (("source", "ocr"),))] == 4
    engine = (("engine", "rapid-lines"),)  # the default
    assert values[("prescreen_ocr_page_seconds_count", engine)] == 4
    assert values[("prescreen_ocr_page_seconds_sum", engine)] > 1.0  # four real pages of OCR
    assert not any(name == "prescreen_tasks_failed_total" for name, _ in values)


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_two_processes_run_the_batches_at_the_same_time(runs: dict[tuple[str, int], Run], broker: str):
    run = runs[(broker, 2)]
    events = [r for r in run.tasks.records() if r["task"] == "prescreen.ocr_page_batch"
              and r["args"][0] == run.package_id]
    order = [r["event"] for r in events]
    assert order[:2] == ["start", "start"], order  # the second began before the first ended
    assert len({r["pid"] for r in events}) == 2
