"""The Celery application: `celery -A worker worker` (or `prescreen worker`).

Tasks take ids, never file contents (prescreen/tasks.py); settings come from the environment
(prescreen/tasks_app.py). Without PRESCREEN_BROKER_URL — the embedded default — the same tasks run
eagerly in the calling process; with a broker URL (Redis by default, RabbitMQ works too) they are
queued for workers.
"""
from __future__ import annotations

from prescreen import tasks
from prescreen.tasks_app import app

__all__ = ["app", "tasks"]
