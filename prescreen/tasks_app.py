"""The Celery application: its settings (env prefix `PRESCREEN_`) and the configuration built from them.

No PRESCREEN_BROKER_URL: the embedded default, every task runs eagerly in the calling process.
With one (redis://… by default, amqp://… for RabbitMQ) the same tasks are queued for
`prescreen worker` / `celery -A worker worker`.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from celery import Celery
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from prescreen import metrics_celery

# One document: a 200-page scan at ~5 s a page fits. The hard limit stays under RabbitMQ's default
# consumer_timeout (30 min), past which the broker would close the channel of an unacked (acks_late) task.
EXTRACT_SOFT_S, EXTRACT_HARD_S = 1200, 1500
FINISH_SOFT_S, FINISH_HARD_S = 300, 420  # facts, rules, report, page images a worker did not render
SHORT_SOFT_S, SHORT_HARD_S = 60, 120  # claim and fan out; recovery


class QueueSettings(BaseSettings):
    """e.g. PRESCREEN_BROKER_URL=redis://127.0.0.1:6379/0, PRESCREEN_QUEUE=prescreen."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_", frozen=True, extra="ignore")

    broker_url: str | None = None  # None: the embedded default (eager, in process)
    result_backend: str | None = None  # None: derived from the broker (chords need one)
    queue: str = "prescreen"
    worker_max_tasks_per_child: int = Field(50, ge=1)  # OCR and spaCy hold memory
    worker_max_memory_per_child_mb: int = Field(2048, ge=64)
    # A package in extracting/checking longer than this is taken for dead (its worker died): longer than
    # both hard limits together, plus a margin for queueing.
    recover_after_s: int = Field(EXTRACT_HARD_S + FINISH_HARD_S + 600, gt=FINISH_HARD_S)
    recover_every_s: float = Field(600, gt=0)  # beat schedule of recover_stuck
    recover_max_attempts: int = Field(3, ge=1)
    # A scanned document's OCR pages go out as tasks of this many pages (prescreen/ocr_batches.py), so its
    # pages run on every free worker process; 0: one task OCRs the whole document. At most
    # page_batches_max tasks a document: each task renders the pages before its own (~0.1 s a page).
    page_batch_size: int = Field(2, ge=0)
    page_batches_max: int = Field(16, ge=2)

    @property
    def eager(self) -> bool:
        return not self.broker_url

    @property
    def resolved_result_backend(self) -> str | None:
        """The configured backend, else Redis: the broker itself, or for RabbitMQ Redis on the broker's host."""
        if self.result_backend or self.eager:
            return self.result_backend
        url = urlsplit(self.broker_url)
        if url.scheme in ("redis", "rediss"):
            return self.broker_url
        return f"redis://{url.hostname or '127.0.0.1'}:6379/0"


def celery_config(s: QueueSettings) -> dict[str, Any]:
    return {
        "task_always_eager": s.eager,
        # A failing eager task is recorded (PackageTask.on_failure) as in a worker, not raised through the chord.
        "task_eager_propagates": False,
        "task_default_queue": s.queue,
        # A task is acknowledged when it ends; one whose process died is given to another.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_cancel_long_running_tasks_on_connection_loss": True,  # their messages come back anyway
        "task_soft_time_limit": EXTRACT_SOFT_S,
        "task_time_limit": EXTRACT_HARD_S,
        "worker_prefetch_multiplier": 1,  # long tasks: a worker holds no queue of them others could run
        "worker_max_tasks_per_child": s.worker_max_tasks_per_child,
        "worker_max_memory_per_child": s.worker_max_memory_per_child_mb * 1024,  # KiB
        "worker_proc_alive_timeout": 30,  # a child warms spaCy (see tasks.warm) before it reports up
        # Events for Flower and `celery events` (queue depth and task counters for Prometheus: prescreen/metrics.py).
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_track_started": True,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_expires": 24 * 3600,
        "broker_connection_retry_on_startup": True,
        # Redis: an unacknowledged task goes back to the queue after this; longer than any task or retry delay.
        "broker_transport_options": {"visibility_timeout": 2 * EXTRACT_HARD_S},
        "beat_schedule": {"recover-stuck-packages": {"task": "prescreen.recover_stuck",
                                                     "schedule": s.recover_every_s}},
        "timezone": "UTC",
        "prescreen_page_batch_size": s.page_batch_size,  # ours, read by prescreen/tasks.py
        "prescreen_page_batches_max": s.page_batches_max,
    }


def make_app(settings: QueueSettings | None = None, *, set_as_current: bool = True) -> Celery:
    """The app for `settings` (default: from the environment); set_as_current=False for a second app
    in one process, e.g. a client of another broker."""
    s = settings or QueueSettings()
    app = Celery("prescreen", broker=s.broker_url or "memory://localhost/", backend=s.resolved_result_backend,
                 include=["prescreen.tasks", "prescreen.tasks_reprocess"], set_as_current=set_as_current)
    app.conf.update(celery_config(s))
    metrics_celery.connect()
    return app


app = make_app()
