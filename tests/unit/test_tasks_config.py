"""The Celery configuration read from the environment, and `prescreen worker`'s command line."""
from __future__ import annotations

import pytest

from prescreen import cli
from prescreen.tasks_app import EXTRACT_HARD_S, FINISH_HARD_S, QueueSettings, celery_config, make_app


def test_no_broker_is_the_embedded_default():
    s = QueueSettings(broker_url=None)
    assert s.eager and s.resolved_result_backend is None
    app = make_app(s, set_as_current=False)
    assert app.conf.task_always_eager and not app.conf.task_eager_propagates  # failures recorded as in a worker


@pytest.mark.parametrize(("broker", "backend"), [
    ("redis://10.0.0.5:6379/2", "redis://10.0.0.5:6379/2"),
    ("amqp://guest:guest@10.0.0.7:5672//", "redis://10.0.0.7:6379/0"),  # chords need a result backend
])
def test_the_result_backend_follows_the_broker(broker, backend):
    assert QueueSettings(broker_url=broker).resolved_result_backend == backend
    assert QueueSettings(broker_url=broker, result_backend="redis://other:6379/5").resolved_result_backend \
        == "redis://other:6379/5"


def test_worker_settings_for_long_memory_hungry_tasks():
    conf = celery_config(QueueSettings(broker_url="redis://127.0.0.1:6379/0", queue="q1"))
    assert conf["task_always_eager"] is False and conf["task_default_queue"] == "q1"
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1 and conf["worker_max_tasks_per_child"] == 50
    assert conf["task_soft_time_limit"] < conf["task_time_limit"] == EXTRACT_HARD_S < 30 * 60
    assert conf["worker_send_task_events"] and conf["task_send_sent_event"]
    assert conf["broker_transport_options"]["visibility_timeout"] > EXTRACT_HARD_S
    assert QueueSettings().recover_after_s > EXTRACT_HARD_S + FINISH_HARD_S


def test_the_tasks_retry_transient_faults_only():
    from sqlalchemy.exc import OperationalError

    from prescreen.tasks import extract_document, finish_package, process_package
    from storage.objects import AccessDenied, StoreUnreachable

    for task in (process_package, extract_document, finish_package):
        assert set(task.autoretry_for) == {StoreUnreachable, OperationalError}
        assert task.acks_late and task.reject_on_worker_lost
        assert not issubclass(AccessDenied, task.autoretry_for)
        assert task.retry_backoff and task.max_retries


def test_prescreen_worker_starts_celery_worker_with_its_options(monkeypatch):
    import worker

    monkeypatch.setenv("PRESCREEN_BROKER_URL", "redis://127.0.0.1:6379/0")
    started: list[list[str]] = []
    monkeypatch.setattr(worker.app, "worker_main", started.append)
    monkeypatch.setenv("PRESCREEN_HOME", "/srv/prescreen")
    assert cli.main(["worker", "-c", "3", "-Q", "a,b", "--beat", "--", "-n", "w1@%h"]) == 0
    assert started == [["worker", "--loglevel", "info", "--pool", "prefork", "--concurrency", "3", "--queues", "a,b",
                        "--beat", "--schedule", "/srv/prescreen/celerybeat-schedule", "-n", "w1@%h"]]


def _jobs_in_this_process() -> int:
    from extractors.context import OcrSettings
    from intake.limits import IntakeLimits
    from prescreen.settings import AppSettings
    from prescreen.tasks import extraction_context
    from storage.settings import StorageSettings

    return extraction_context(AppSettings(IntakeLimits(), OcrSettings(jobs=2), StorageSettings())).jobs


def test_a_prefork_child_runs_pages_in_process_and_the_main_process_in_parallel():
    """Celery's pool children are daemonic: a process pool started there fails at its first page."""
    import billiard

    assert _jobs_in_this_process() == 2
    with billiard.Pool(1) as pool:
        assert pool.apply(_jobs_in_this_process) == 1
