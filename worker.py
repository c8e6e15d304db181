"""The Celery application. Tasks take ids and paths, never file contents.

On the embedded default (no PRESCREEN_BROKER_URL) tasks run in process, eagerly,
through the same functions; a broker URL (Redis by default, RabbitMQ works too)
turns the same tasks into queued work for `celery -A worker worker`.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from celery import Celery

broker = os.environ.get("PRESCREEN_BROKER_URL")
app = Celery("prescreen", broker=broker or "memory://", backend=os.environ.get("PRESCREEN_RESULT_BACKEND"))
app.conf.update(
    task_always_eager=broker is None,
    task_eager_propagates=True,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_max_tasks_per_child=50,  # OCR and spaCy hold memory
    task_soft_time_limit=1800,
    task_time_limit=2100,
    task_serializer="json",
    accept_content=["json"],
)


@app.task(name="prescreen.check_package")
def check_package(path: str, declared: dict[str, Any] | None = None, ruleset_id: str | None = None) -> dict[str, Any]:
    """Pre-screen the package at `path` (a folder or .zip readable by the worker); returns its report."""
    from prescreen.pipeline import check_package as run
    from prescreen.settings import AppSettings

    report = run(Path(path), AppSettings.from_env(), declared=declared, ruleset_id=ruleset_id)
    return {"package_id": report["package_id"], "verdict": report["verdict"]}
