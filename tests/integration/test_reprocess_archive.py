"""Archive runs on real services: PostgreSQL, an S3 server (moto, through the production MinIO adapter) and,
for the queued path, a real Celery worker on Redis.

Fault: the S3 server stops in the middle of `prescreen ingest` (in process). The package being processed
is retried (5 times), then failed with the reason; the next package cannot even be stored and is recorded
failed; the run goes on and ends with exit status 1. With the server back, `prescreen reprocess --failed`
recovers the first, and the same ingest again the second (the rest are duplicates).

Queued: with PRESCREEN_BROKER_URL set, `prescreen ingest` and `prescreen reprocess` send their tasks to the
worker and wait for the run's items in the database. Under CI=true a missing service fails these tests.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import suppress
from pathlib import Path

import pytest

from prescreen.tasks_app import QueueSettings, make_app
from storage.db import ItemStatus, make_engine
from storage.repository import Repository
from storage.settings import open_object_store
from storage.states import PackageState
from tests.integration import s3_fixtures
from tests.integration.s3_fixtures import MotoServer, free_port, store_settings, unique_bucket
from tests.integration.test_celery_worker import (
    REDIS_URL,
    ROOT,
    TaskLog,
    WorkerProcess,
    _delete_queue,
    _require,
    _worker_argv,
)
from tests.unit.test_reprocess import small_package

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("reprocess_archive")]

moto_s3 = s3_fixtures.moto_s3
CLI_TIMEOUT_S = 300


class TcpRelay:
    """The S3 endpoint the services are given: a TCP relay to moto that can be stopped like a server (new
    connections refused, open ones cut) and started again on the same port, the data behind it kept."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port, self.port = upstream_port, free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._open:
                with suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        with suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


def service_env(home: Path, database_url: str, endpoint: str, bucket: str, **more: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")} | {
        "PRESCREEN_HOME": str(home), "PRESCREEN_DATABASE_URL": database_url, "PRESCREEN_OBJECT_STORE": "minio",
        "PRESCREEN_MINIO_ENDPOINT": endpoint, "PRESCREEN_MINIO_BUCKET": bucket,
        "PRESCREEN_MINIO_ACCESS_KEY": "testing", "PRESCREEN_MINIO_SECRET_KEY": "testing",
        "PRESCREEN_MINIO_REGION": s3_fixtures.REGION, "PRESCREEN_MINIO_RETRIES": "2",
        "PRESCREEN_MINIO_BACKOFF_S": "0.01", "PRESCREEN_MINIO_BACKOFF_MAX_S": "0.05",
        "PRESCREEN_MINIO_CONNECT_TIMEOUT_S": "1", "PRESCREEN_MINIO_READ_TIMEOUT_S": "10"} | more


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "prescreen.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=CLI_TIMEOUT_S)


def items(repo: Repository, run_id: str) -> dict:
    return {i.source: i for i in repo.run_items(run_id)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made, archive = tmp_path / "made", tmp_path / "archive"
    made.mkdir()
    archive.mkdir()
    for name, seed in (("P1", 11), ("P2", 12), ("P3", 14)):
        small_package(made, seed).rename(archive / name)
    return archive


@pytest.fixture
def repo(pg_schema_url: str):
    repo = Repository(make_engine(pg_schema_url))
    repo.create_schema()  # before any subprocess: the tests watch the tables from the start
    yield repo
    repo.engine.dispose()


def test_s3_stopped_mid_run_fails_packages_with_their_reason_and_they_recover(
        moto_s3: MotoServer, pg_schema_url: str, repo: Repository, folder: Path, tmp_path: Path):
    relay = TcpRelay(moto_s3.port)
    relay.start()
    bucket = unique_bucket()
    env = service_env(tmp_path / "home", pg_schema_url, relay.endpoint, bucket)
    try:
        proc = subprocess.Popen([sys.executable, "-m", "prescreen.cli", "ingest", str(folder), "-q"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + CLI_TIMEOUT_S
        while True:  # stop the server once P2 is received and stored, while it is being processed
            runs = repo.list_runs("ingest", limit=1)
            got = items(repo, runs[0].id) if runs else {}
            if "P2" in got and got["P2"].package_id:
                relay.stop()
                break
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        out, err = proc.communicate(timeout=CLI_TIMEOUT_S)
        assert proc.returncode == 1, out + err  # packages failed, the run went on to the end
        run = repo.list_runs("ingest", limit=1)[0]
        got = items(repo, run.id)
        assert got["P1"].status == ItemStatus.DONE
        p2 = got["P2"]
        assert p2.status == ItemStatus.FAILED and "object store" in p2.detail and "after 5 retries" in p2.detail
        row = repo.get_package(p2.package_id)
        assert row.state == PackageState.FAILED and "object store" in row.error
        assert got["P3"].status == ItemStatus.FAILED and got["P3"].package_id is None  # could not be stored
        assert "存储错误 / storage error" in got["P3"].detail
        assert "P2" in out and "P3" in out and "失败 / failed: 2" in out

        relay.start()  # the server is back
        p = cli(env, "reprocess", "--failed", "-q")
        assert p.returncode == 0, p.stdout + p.stderr
        assert "完成 1" in p.stdout
        row = repo.get_package(p2.package_id)
        assert row.state == PackageState.DONE and row.verdict and row.error is None
        store = open_object_store(store_settings(relay.endpoint, bucket))
        assert store.exists(repo.list_reports(p2.package_id)[-1].object_key)

        p = cli(env, "ingest", str(folder), "-q")
        assert p.returncode == 0, p.stdout + p.stderr
        again = items(repo, repo.list_runs("ingest", limit=1)[0].id)
        assert {s: i.status for s, i in again.items()} == {
            "P1": ItemStatus.DUPLICATE, "P2": ItemStatus.DUPLICATE, "P3": ItemStatus.DONE}
        assert repo.get_package(again["P3"].package_id).state == PackageState.DONE
    finally:
        relay.stop()


def test_archive_runs_go_to_the_workers_when_a_broker_is_set(moto_s3: MotoServer, pg_schema_url: str,
                                                               repo: Repository, folder: Path, tmp_path: Path):
    _require("Redis", REDIS_URL)
    queue, node = f"prescreen-test-{uuid.uuid4().hex[:12]}", f"r{uuid.uuid4().hex[:8]}"
    task_log = tmp_path / "tasks.jsonl"
    env = service_env(tmp_path / "home", pg_schema_url, moto_s3.endpoint, unique_bucket(),
                      PRESCREEN_BROKER_URL=REDIS_URL, PRESCREEN_RESULT_BACKEND=REDIS_URL, PRESCREEN_QUEUE=queue,
                      PRESCREEN_TEST_TASK_LOG=str(task_log))
    worker = WorkerProcess(_worker_argv("redis", queue, node), env, Path(tempfile.mkstemp(suffix=".log")[1]))
    try:
        worker.wait_ready(node)
        p = cli(env, "ingest", str(folder), "-q")
        assert p.returncode == 0, p.stdout + p.stderr + worker.log_tail()
        ingest = items(repo, repo.list_runs("ingest", limit=1)[0].id)
        assert {i.status for i in ingest.values()} == {ItemStatus.DONE}
        ran = TaskLog(task_log).records()
        processed = {r["args"][1] for r in ran if r["task"] == "prescreen.archive_package" and r["event"] == "end"}
        assert processed == {i.package_id for i in ingest.values()}  # in the worker, not in the CLI

        p = cli(env, "reprocess", "--ruleset", "ningbo-2018", "-q", "--diff-out", str(tmp_path / "diff.json"))
        assert p.returncode == 0, p.stdout + p.stderr + worker.log_tail()
        diff = json.loads((tmp_path / "diff.json").read_text(encoding="utf-8"))
        assert diff["totals"]["finished"] == 3 and diff["totals"]["new_versions"] == 0  # the same result again
        assert "提取文件 0 个" in p.stdout
        chunks = [r for r in TaskLog(task_log).records() if r["task"] == "prescreen.archive_chunk"
                  and r["event"] == "end"]
        assert chunks and sum(r["result"]["rechecked"] for r in chunks) == 3
    finally:
        worker.stop()
        worker.log.unlink(missing_ok=True)
        _delete_queue(make_app(QueueSettings(broker_url=REDIS_URL, result_backend=REDIS_URL, queue=queue),
                               set_as_current=False), queue)
