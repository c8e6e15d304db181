"""Queue depth measured on the real brokers (Redis on 127.0.0.1:6379, RabbitMQ on :5672), directly and
through `prescreen metrics` over HTTP. Under CI=true a broker that cannot be reached fails the test."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from prescreen.metrics import QueueDepthCollector
from prescreen.tasks_app import QueueSettings, make_app
from tests.integration.s3_fixtures import free_port
from tests.integration.test_celery_worker import BROKERS, _delete_queue, _require

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def scrape(url: str, timeout_s: float = 30) -> dict[tuple[str, tuple], float]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                text = r.read().decode()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_queue_depth_counts_the_messages_waiting(broker: str):
    url = BROKERS[broker]
    _require(broker, url)
    queue, absent = f"prescreen-depth-{uuid.uuid4().hex[:12]}", f"prescreen-absent-{uuid.uuid4().hex[:12]}"
    client = make_app(QueueSettings(broker_url=url, queue=queue), set_as_current=False)
    try:
        collector = QueueDepthCollector(url, [queue, absent])
        for n in (1, 2, 3):  # no worker reads this queue: every message sent waits in it
            client.send_task("prescreen.recover_stuck", queue=queue, ignore_result=True)
            assert collector.depths() == {queue: n, absent: 0}

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PRESCREEN_", "PROMETHEUS_"))} | {
            "PRESCREEN_BROKER_URL": url, "PRESCREEN_QUEUE": queue, "PRESCREEN_HOME": tempfile.mkdtemp()}
        with open(tempfile.mkstemp(suffix=".log")[1], "w+b") as log:
            exporter = subprocess.Popen([sys.executable, "-m", "prescreen.cli", "metrics", "--host", "127.0.0.1",
                                         "--port", str(port), "--queues", f"{queue},{absent}"],
                                        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            try:
                values = scrape(f"http://127.0.0.1:{port}/metrics")
            finally:
                exporter.terminate()
                exporter.wait(timeout=20)
            log.seek(0)
            output = log.read().decode(errors="replace")
        assert values[("prescreen_queue_depth", (("queue", queue),))] == 3, output
        assert values[("prescreen_queue_depth", (("queue", absent),))] == 0
        assert values[("prescreen_broker_up", ())] == 1
        # No multiprocess folder: the exporter reports the queue only, not its own (empty) task counters.
        assert not any(name.startswith("prescreen_tasks") for name, _ in values)
    finally:
        _delete_queue(client, queue)
