"""Celery's signals feeding prescreen/metrics.py: task outcomes, the worker's exporter, child clean-up.

Task outcomes are counted by task_success / task_failure / task_retry, which Celery sends in the
process that ran the task (a prefork child, or the caller in eager mode), so the count lands in the
process's own values: its mmap files under PROMETHEUS_MULTIPROC_DIR in a worker.

A worker with PRESCREEN_METRICS_PORT serves /metrics from its main process (which runs no task under
prefork) by summing its children's files; it refuses to start without PROMETHEUS_MULTIPROC_DIR, where
the numbers would silently stay in the children. The folder is wiped when the worker starts (the files
of a previous run would be added to this one's), so it must be this worker's alone.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import task_failure, task_retry, task_success, worker_init, worker_process_shutdown

from prescreen import metrics

log = logging.getLogger(__name__)


def _name(sender: Any) -> str:
    return getattr(sender, "name", None) or str(sender)


def _succeeded(sender: Any = None, **_: Any) -> None:
    metrics.TASKS_SUCCEEDED.labels(_name(sender)).inc()


def _failed(sender: Any = None, **_: Any) -> None:
    metrics.TASKS_FAILED.labels(_name(sender)).inc()


def _retried(sender: Any = None, **_: Any) -> None:
    metrics.TASKS_RETRIED.labels(_name(sender)).inc()


def _start_exporter(**_: Any) -> None:
    settings = metrics.MetricsSettings()
    path = metrics.multiproc_dir()
    if settings.port is None:
        if path is not None:
            metrics.wipe(path)
        return
    if path is None:
        raise SystemExit(f"设置了 PRESCREEN_METRICS_PORT 时必须设置 {metrics.MULTIPROC_ENV}（每个 worker 独用的目录） / "
                         f"PRESCREEN_METRICS_PORT needs {metrics.MULTIPROC_ENV}: a folder of this worker's own, "
                         "else the counts stay in the pool's child processes")
    metrics.wipe(path)
    # Task metrics only: the queue's depth is the exporter's (`prescreen metrics`), one per deployment.
    try:
        metrics.serve(settings.host, settings.port, metrics.make_registry(queue_depth=False))
    except OSError as exc:  # raised, not logged: Celery would log a receiver's error and start without metrics
        raise SystemExit(f"指标端口 {settings.host}:{settings.port} 无法监听 / cannot serve metrics on "
                         f"{settings.host}:{settings.port}: {exc}") from exc
    log.info("metrics on http://%s:%d/metrics", settings.host, settings.port)


def _child_ends(pid: int | None = None, **_: Any) -> None:
    path = metrics.multiproc_dir()
    if path is not None:
        try:
            metrics.archive_process(path, pid or os.getpid())
        except OSError:  # never block a child's exit: its files stay and are still read as they are
            log.exception("could not archive the metrics of process %s", pid)


def connect() -> None:
    """Connect the receivers once (dispatch_uid makes a repeat a no-op)."""
    task_success.connect(_succeeded, weak=False, dispatch_uid="prescreen.metrics.succeeded")
    task_failure.connect(_failed, weak=False, dispatch_uid="prescreen.metrics.failed")
    task_retry.connect(_retried, weak=False, dispatch_uid="prescreen.metrics.retried")
    worker_init.connect(_start_exporter, weak=False, dispatch_uid="prescreen.metrics.exporter")
    worker_process_shutdown.connect(_child_ends, weak=False, dispatch_uid="prescreen.metrics.child_ends")
