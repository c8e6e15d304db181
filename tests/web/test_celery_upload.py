"""An upload through the workbench's API processed by a real `celery worker` process, as deployed: `prescreen serve`
with PRESCREEN_BROKER_URL set (Redis) and the worker run in processes of their own, sharing PostgreSQL and an S3
server (moto, through the production MinIO adapter). The server only takes the package in and queues it; the
worker (tests/integration/celery_probe.py records each task it runs) extracts and checks it; the page polls the
server until done. Under CI=true a missing service fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import sessionmaker

import web.models  # noqa: F401 - the workbench tables, migrated with the rest before any process starts
from prescreen.tasks_app import QueueSettings, make_app
from storage.settings import open_object_store, open_repository
from tests.integration import conftest as integration
from tests.integration import s3_fixtures
from tests.integration.s3_fixtures import MotoServer, free_port, store_settings, unique_bucket
from tests.integration.test_celery_worker import (
    REDIS_URL,
    TaskLog,
    WorkerProcess,
    _delete_queue,
    _drop_schema,
    _require,
    _schema,
)
from tests.web.conftest import PASSWORD, SECRET, generated_package, package_files, wait_done
from web.accounts import create_user, issue_token
from web.models import Role

# The worker group of tests/integration/test_celery_worker.py: with `--dist loadgroup` one xdist process runs them.
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.ocr,  # the generated package's licence is an image
              pytest.mark.xdist_group("celery_worker")]

moto_s3 = s3_fixtures.moto_s3
pg_database_url = integration.pg_database_url
WAIT_S = 300  # 7 documents, one OCR'd, on one worker child of 2 busy cores


@dataclass
class Deployment:
    url: str
    server: WorkerProcess  # any process in its own group: `prescreen serve` here
    worker: WorkerProcess
    tasks: TaskLog
    queue: str
    tokens: dict[str, dict[str, str]]

    def logs(self) -> str:
        return f"--- server\n{self.server.log_tail()}\n--- worker\n{self.worker.log_tail()}"


def _wait_healthy(server: WorkerProcess, url: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.alive():
            raise AssertionError(f"prescreen serve exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"prescreen serve not healthy after {timeout_s:.0f}s:\n{server.log_tail()}")


@pytest.fixture(scope="module")
def deployment(request: pytest.FixtureRequest, moto_s3: MotoServer, pg_database_url: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    _require("Redis", REDIS_URL)
    schema, database_url = _schema(pg_database_url)
    request.addfinalizer(lambda: _drop_schema(pg_database_url, schema))
    bucket, queue, node = unique_bucket(), f"prescreen-web-{uuid.uuid4().hex[:12]}", f"w{uuid.uuid4().hex[:8]}"
    storage = store_settings(moto_s3.endpoint, bucket, database_url=database_url)
    open_object_store(storage)  # the bucket, and the schema below, exist before either process starts
    repo = open_repository(storage)
    db = sessionmaker(repo.engine, expire_on_commit=False)
    tokens = {}
    for name, district in (("yinzhou", "鄞州区"), ("haishu", "海曙区")):
        user = create_user(db, name, PASSWORD, Role.OFFICER, district, actor="test")
        tokens[name] = {"Authorization": f"Bearer {issue_token(db, user, 'tests', SECRET)[0]}"}
    repo.engine.dispose()
    client = make_app(QueueSettings(broker_url=REDIS_URL, result_backend=REDIS_URL, queue=queue), set_as_current=False)
    request.addfinalizer(lambda: _delete_queue(client, queue))

    work = tmp_path_factory.mktemp("web-workers")
    shared = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")} | {
        "PRESCREEN_BROKER_URL": REDIS_URL, "PRESCREEN_RESULT_BACKEND": REDIS_URL, "PRESCREEN_QUEUE": queue,
        "PRESCREEN_DATABASE_URL": database_url, "PRESCREEN_OBJECT_STORE": "minio",
        "PRESCREEN_MINIO_ENDPOINT": moto_s3.endpoint, "PRESCREEN_MINIO_BUCKET": bucket,
        "PRESCREEN_MINIO_ACCESS_KEY": "testing", "PRESCREEN_MINIO_SECRET_KEY": "testing",
        "PRESCREEN_MINIO_REGION": s3_fixtures.REGION}
    shared.pop("PROMETHEUS_MULTIPROC_DIR", None)
    celery = str(Path(sys.executable).with_name("celery"))
    worker = WorkerProcess(
        [celery, "-A", "worker", "worker", "--loglevel", "INFO", "--pool", "prefork", "--concurrency", "1",
         "--queues", queue, "-n", f"{node}@%h", "--without-mingle", "--without-gossip",
         "--include", "tests.integration.celery_probe"],
        shared | {"PRESCREEN_HOME": str(work / "worker"), "PRESCREEN_TEST_TASK_LOG": str(work / "tasks.jsonl")},
        Path(tempfile.mkstemp(prefix="worker-", suffix=".log")[1]))
    port = free_port()
    server = WorkerProcess(
        [sys.executable, "-m", "prescreen.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        shared | {"PRESCREEN_HOME": str(work / "web"), "PRESCREEN_SECRET_KEY": SECRET},
        Path(tempfile.mkstemp(prefix="serve-", suffix=".log")[1]))
    try:
        _wait_healthy(server, f"http://127.0.0.1:{port}")
        worker.wait_ready(node)
        yield Deployment(f"http://127.0.0.1:{port}", server, worker, TaskLog(work / "tasks.jsonl"), queue, tokens)
    finally:
        for process in (server, worker):
            process.stop()
            process.log.unlink(missing_ok=True)


def test_an_upload_through_the_api_is_processed_by_the_worker_process(deployment: Deployment):
    yz, hs = deployment.tokens["yinzhou"], deployment.tokens["haishu"]
    with httpx.Client(base_url=deployment.url, timeout=60) as http:
        r = http.post("/api/packages", files=package_files(), data={"district": "鄞州区", "application_kind": ""},
                      headers=yz)
        assert r.status_code == 202, r.text
        done = wait_done(http, r.json()["status_url"], yz, timeout_s=WAIT_S)
        package_id, pkg = done["package_id"], done["package"]
        assert done["state"] == "submitted" and pkg, f"{done}\n{deployment.logs()}"
        assert pkg["state"] == "done" and pkg["verdict"] == "needs_review", f"{pkg}\n{deployment.logs()}"
        assert (pkg["total"], pkg["extracted"]) == (7, 7)

        # The worker did the work, each task once: the server (which has no probe) only queued it.
        for task in ("prescreen.process_package", "prescreen.finish_package"):
            assert len(deployment.tasks.of("start", task, package_id)) == 1, task
        extracted = deployment.tasks.of("end", "prescreen.extract_document", package_id)
        assert len({r["args"][1] for r in extracted}) == 7 and {r["state"] for r in extracted} == {"SUCCESS"}
        pids = {r["pid"] for r in deployment.tasks.records()}
        assert deployment.server.proc.pid not in pids and deployment.worker.alive()

        # What the worker stored is what the officer reads: the report, and a page image it rendered into MinIO.
        flag = http.get(f"/api/packages/{package_id}/flags/X-LEGAL-REP", headers=yz).json()
        on_licence = generated_package().truth["observed"]["applicant.legal_representative"]
        assert (flag["finding"]["outcome"], flag["finding"]["observed"]) == ("fail", on_licence)
        image = http.get(next(e["image_url"] for e in flag["evidence"] if e["image_url"]), headers=yz)
        assert image.status_code == 200 and image.content[:2] == b"\xff\xd8"
        assert http.get(f"/api/packages/{package_id}", headers=hs).status_code == 404

        # The server's /metrics (a local scrape) asks the same broker: up, and nothing left waiting.
        scrape = http.get("/metrics")
        assert scrape.status_code == 200
        samples = {(s.name, tuple(s.labels.items())): s.value
                   for f in text_string_to_metric_families(scrape.text) for s in f.samples}
        assert samples[("prescreen_broker_up", ())] == 1.0
        assert samples[("prescreen_queue_depth", (("queue", deployment.queue),))] == 0.0
