"""Packages processed while the worker is SIGKILLed again and again, on Redis and on RabbitMQ: a prefork child
mid-task (the pool replaces it, the broker gives its task to another process), then the whole worker with its
pool (a new worker is started), then a child again. Shared PostgreSQL and S3 (moto, through the production
MinIO adapter). At the end nothing is lost and nothing is doubled: every package done, one report row
(version 1) and one report object each, every task killed mid-way delivered again.

The driver is benchmarks/worker_kills.py (`python -m benchmarks.worker_kills` runs it at scale and prints the
figure); for Redis it compresses the visibility timeout, after which a dead worker's unacknowledged messages
go to another worker, from 50 minutes to 15 s. Under CI=true a missing service fails this test.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.worker_kills import BROKERS, REDIS_URL, run, text_packages
from tests.integration import s3_fixtures
from tests.integration.s3_fixtures import MotoServer, store_settings, unique_bucket
from tests.integration.test_celery_worker import _require

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.xdist_group("celery_worker")]

moto_s3 = s3_fixtures.moto_s3

PACKAGES, KILLS = 6, 3


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Generated packages, their text documents only (no OCR: tasks of a fraction of a second)."""
    return text_packages(tmp_path_factory.mktemp("kills"), PACKAGES, seed=5)


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_every_package_ends_done_with_one_report_through_repeated_worker_kills(
        broker: str, packages: list[Path], moto_s3: MotoServer, pg_schema_url: str, tmp_path: Path):
    _require(broker, BROKERS[broker])
    _require("Redis (result backend)", REDIS_URL)
    storage = store_settings(moto_s3.endpoint, unique_bucket(), database_url=pg_schema_url)

    out = run(broker, packages, KILLS, storage, tmp_path, visibility_s=15, timeout_s=300)

    log_tail = (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    assert [k.kind for k in out.kills] == ["child", "worker", "child"], log_tail
    assert all(k.interrupted for k in out.kills), out.kills  # each kill hit tasks mid-way
    assert out.not_redelivered == [], out.not_redelivered  # and each of those tasks was delivered again
    assert out.lost == [], (out.states, log_tail)
    assert set(out.states.values()) == {"done"} and len(out.states) == PACKAGES
    assert out.report_rows == dict.fromkeys(out.states, 1)  # one version each: no duplicate rows
    assert out.report_objects == dict.fromkeys(out.states, 1)  # and no second object beside it
    assert out.dangling == []  # each row's object is there
    assert out.duplicates == 0
    print(out.figure())
