"""Real `celery worker` processes, once on Redis and once on RabbitMQ, sharing PostgreSQL and an S3 server
(moto, through the production MinIO adapter) with the test process, as a deployment shares them.

The test process does the intake (as `prescreen check --queue` or an API would) and sends task ids; the
worker fans out per document and joins for the report. Checked: the report and the package state in the
database, each document extracted once, repeats and redeliveries adding no report version, and a worker
child killed with SIGKILL mid-extraction replaced and its task redelivered. Under CI=true a missing
service fails these tests instead of skipping them.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from kombu import Connection
from sqlalchemy import text
from sqlalchemy.engine import make_url

from benchmarks.processes import stop_group
from extractors.context import OcrSettings
from intake.limits import IntakeLimits
from prescreen.settings import AppSettings
from prescreen.steps import intake, load_submission
from prescreen.tasks_app import QueueSettings, make_app
from prescreen.tasks_submit import wait
from storage.db import make_engine
from storage.objects import ObjectStore
from storage.repository import Repository
from storage.settings import open_object_store, open_repository
from storage.states import PackageState
from tests.e2e.builders import digital_package
from tests.integration import s3_fixtures
from tests.integration.conftest import service_unavailable
from tests.integration.s3_fixtures import MotoServer, store_settings, unique_bucket

# One group: with `--dist loadgroup` the tests share one worker per broker instead of one per xdist process.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("celery_worker")]

moto_s3 = s3_fixtures.moto_s3

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("PRESCREEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
BROKERS = {"redis": REDIS_URL,
           "rabbitmq": os.environ.get("PRESCREEN_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")}
WAIT_S = 150  # per package; a cold one takes ~15 s on 2 busy cores


class TaskLog:
    """What tests/integration/celery_probe.py wrote: one record per task start and end."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def of(self, event: str, task: str, package_id: str) -> list[dict[str, Any]]:
        position = 1 if task == "prescreen.finish_package" else 0  # finish gets the chord's results first
        return [r for r in self.records() if r["event"] == event and r["task"] == task
                and len(r["args"]) > position and r["args"][position] == package_id]

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = next((r for r in self.records() if match(r)), None)
            if found is not None:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no task record matched within {timeout_s:.0f}s")


class WorkerProcess:
    """A worker in its own process group, so stopping it takes its pool children along."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def wait_ready(self, node: str, timeout_s: float = 90) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            if f"{node}@" in (text := self.log.read_text(errors="replace")) and " ready." in text:
                return
            time.sleep(0.2)
        raise AssertionError(f"worker not ready after {timeout_s:.0f}s:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        stop_group(self.proc)


@dataclass
class Stack:
    broker: str
    settings: AppSettings  # the test process's view of the shared services
    env: dict[str, str]  # the worker's environment, also for `prescreen` subprocesses
    client: Celery
    store: ObjectStore
    repo: Repository
    tasks: TaskLog
    worker: WorkerProcess

    def submit(self, path: Path) -> str:
        submission, _ = intake(path, self.settings, self.store, self.repo)
        self.client.send_task("prescreen.process_package", args=[submission.package_id])
        return submission.package_id

    def wait_done(self, package_id: str) -> Any:
        try:
            row = wait(self.repo, package_id, lambda _msg: None, WAIT_S, poll_s=0.2)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{self.worker.log_tail()}") from None
        assert row.state == PackageState.DONE, f"{row.state}: {row.error}\n{self.worker.log_tail()}"
        return row

    def call(self, name: str, *args: Any) -> dict[str, Any]:
        return self.client.send_task(name, args=list(args)).get(timeout=60)


def _require(what: str, url: str) -> None:
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # noqa: BLE001 - any failure means "no server"
        service_unavailable(f"{what} at {make_url(url).render_as_string(hide_password=True)}", exc)


def _schema(database_url: str) -> tuple[str, str]:
    """A fresh schema in the run's database: its name and a URL that puts it first on the search_path."""
    name = f"w_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    admin.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={name}"})
    return name, url.render_as_string(hide_password=False)


def _drop_schema(database_url: str, name: str) -> None:
    admin = make_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    admin.dispose()


def _worker_argv(broker: str, queue: str, node: str) -> list[str]:
    # Both ways in: Celery's own command on Redis, `prescreen worker` on RabbitMQ.
    probe = ["-n", f"{node}@%h", "--without-mingle", "--without-gossip", "--include", "tests.integration.celery_probe"]
    if broker == "redis":
        celery = str(Path(sys.executable).with_name("celery"))
        return [celery, "-A", "worker", "worker", "--loglevel", "INFO", "--pool", "prefork", "--concurrency", "2",
                "--queues", queue, *probe]
    return [sys.executable, "-m", "prescreen.cli", "worker", "--concurrency", "2", "--queues", queue, "--", *probe]


@pytest.fixture(scope="module", params=sorted(BROKERS))
def stack(request: pytest.FixtureRequest, moto_s3: MotoServer, pg_database_url: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    broker = request.param
    _require(broker, BROKERS[broker])
    _require("Redis (result backend)", REDIS_URL)
    schema, database_url = _schema(pg_database_url)
    request.addfinalizer(lambda: _drop_schema(pg_database_url, schema))
    bucket, queue, node = unique_bucket(), f"prescreen-test-{uuid.uuid4().hex[:12]}", f"t{uuid.uuid4().hex[:8]}"
    storage = store_settings(moto_s3.endpoint, bucket, database_url=database_url)
    settings = AppSettings(intake=IntakeLimits(), ocr=OcrSettings(), storage=storage)
    store, repo = open_object_store(storage), open_repository(storage)  # bucket and schema made before any worker
    request.addfinalizer(repo.engine.dispose)
    client = make_app(QueueSettings(broker_url=BROKERS[broker], result_backend=REDIS_URL, queue=queue),
                      set_as_current=False)
    request.addfinalizer(lambda: _delete_queue(client, queue))
    work = tmp_path_factory.mktemp(f"worker-{broker}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")} | {
        "PRESCREEN_HOME": str(work / "home"), "PRESCREEN_BROKER_URL": BROKERS[broker],
        "PRESCREEN_RESULT_BACKEND": REDIS_URL, "PRESCREEN_QUEUE": queue, "PRESCREEN_DATABASE_URL": database_url,
        "PRESCREEN_OBJECT_STORE": "minio", "PRESCREEN_MINIO_ENDPOINT": moto_s3.endpoint,
        "PRESCREEN_MINIO_BUCKET": bucket, "PRESCREEN_MINIO_ACCESS_KEY": "testing",
        "PRESCREEN_MINIO_SECRET_KEY": "testing", "PRESCREEN_MINIO_REGION": s3_fixtures.REGION,
        "PRESCREEN_TEST_TASK_LOG": str(work / "tasks.jsonl"),
    }
    worker = WorkerProcess(_worker_argv(broker, queue, node), env, Path(tempfile.mkstemp(suffix=".log")[1]))
    try:
        worker.wait_ready(node)
        yield Stack(broker, settings, env, client, store, repo, TaskLog(work / "tasks.jsonl"), worker)
    finally:
        worker.stop()
        worker.log.unlink(missing_ok=True)


def _delete_queue(client: Celery, queue: str) -> None:
    """The run's queue, what is left in it, and its exchange (declared first: Redis deletes known queues only)."""
    with client.connection_for_write() as conn:
        bound = client.amqp.queues[queue].bind(conn.default_channel)
        bound.declare()
        bound.purge()
        bound.delete()
        bound.exchange.delete()


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return digital_package(tmp_path_factory.mktemp("pkg"))


def test_a_package_queued_from_the_cli_is_checked_by_the_worker(stack: Stack, package: Path):
    p = subprocess.run([sys.executable, "-m", "prescreen.cli", "check", str(package), "--queue", "--json", "-q",
                        "--timeout", str(WAIT_S)], env=stack.env, cwd=ROOT, capture_output=True, text=True,
                       timeout=WAIT_S + 60)
    assert p.returncode == 0, p.stderr + stack.worker.log_tail()
    report = json.loads(p.stdout)
    package_id = report["package_id"]
    assert report["verdict"] == "eligible"

    row = stack.repo.get_package(package_id)
    assert row.state == PackageState.DONE and row.attempts == 1 and row.applicant_name
    (version,) = stack.repo.list_reports(package_id)
    assert stack.store.exists(version.object_key)
    # Fanned out: one extraction task per distinct readable content, each run once, none from a cache.
    readable = load_submission(package_id, stack.store, stack.repo).readable_hashes()
    started = Counter(r["args"][1] for r in stack.tasks.of("start", "prescreen.extract_document", package_id))
    assert started == Counter(readable)
    ended = stack.tasks.of("end", "prescreen.extract_document", package_id)
    assert len(ended) == len(readable) and not any(r["result"]["cached"] for r in ended)
    assert len(stack.tasks.of("start", "prescreen.process_package", package_id)) == 1
    assert len(stack.tasks.of("start", "prescreen.finish_package", package_id)) == 1


def test_the_same_package_again_reuses_extractions_and_repeats_add_no_report(stack: Stack, package: Path):
    stack.wait_done(stack.submit(package))  # cached already when the test above ran
    package_id = stack.submit(package)
    row = stack.wait_done(package_id)
    ended = stack.tasks.of("end", "prescreen.extract_document", package_id)
    assert ended and all(r["result"]["cached"] for r in ended)

    # The same submission again, and the join delivered again: both see the package done.
    assert stack.call("prescreen.process_package", package_id)["skipped"] == PackageState.DONE
    assert stack.call("prescreen.finish_package", [], package_id, row.attempts)["skipped"] == PackageState.DONE
    # A join redelivered after its worker died in checking: it resumes, and the same result is the same version.
    assert stack.repo.transition(package_id, PackageState.RECEIVED)
    attempt = stack.repo.claim(package_id)
    assert stack.repo.transition(package_id, PackageState.CHECKING, attempt=attempt)
    assert stack.call("prescreen.finish_package", [], package_id, attempt)["verdict"] == "eligible"
    assert stack.repo.get_package(package_id).state == PackageState.DONE
    assert [v.version for v in stack.repo.list_reports(package_id)] == [1]


def test_a_worker_process_killed_mid_extraction_is_replaced_and_its_task_redelivered(stack: Stack, package: Path,
                                                                                      tmp_path: Path):
    folder = tmp_path / "kill"
    folder.mkdir()
    scan = sorted(package.glob("*.jpg"))[0]
    # New bytes after the JPEG's end: content nothing has extracted yet (OCR, seconds), the same image.
    data = scan.read_bytes() + uuid.uuid4().bytes
    (folder / scan.name).write_bytes(data)
    shutil.copy(sorted(package.glob("*.docx"))[0], folder)
    target = hashlib.sha256(data).hexdigest()

    package_id = stack.submit(folder)
    victim = stack.tasks.wait_for(lambda r: r["event"] == "start" and r["task"] == "prescreen.extract_document"
                                  and r["args"][:2] == [package_id, target], timeout_s=60)
    os.kill(victim["pid"], signal.SIGKILL)

    stack.wait_done(package_id)
    runs = [r for r in stack.tasks.of("start", "prescreen.extract_document", package_id) if r["args"][1] == target]
    assert len(runs) == 2 and runs[0]["pid"] != runs[1]["pid"] and runs[0]["id"] == runs[1]["id"]
    done = [r for r in stack.tasks.of("end", "prescreen.extract_document", package_id) if r["args"][1] == target]
    assert [r["state"] for r in done] == ["SUCCESS"]  # only the redelivered run ended
    assert stack.worker.alive()  # the pool replaced its child
    assert len(stack.repo.list_reports(package_id)) == 1


def test_a_package_whose_worker_died_is_recovered_and_queued_again(stack: Stack, package: Path):
    submission, _ = intake(package, stack.settings, stack.store, stack.repo)
    package_id = submission.package_id
    assert stack.repo.claim(package_id) == 1  # taken by a worker that died before fanning out
    p = subprocess.run([sys.executable, "-m", "prescreen.cli", "recover", "--older-than", "0"], env=stack.env,
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"requeued {package_id}" in p.stdout
    assert stack.wait_done(package_id).attempts == 2
    assert len(stack.repo.list_reports(package_id)) == 1
