"""Prometheus metrics: what the workers did, and how much waits in the queue.

    prescreen_tasks_succeeded_total{task}   tasks that returned (Celery task_success), by task name
    prescreen_tasks_failed_total{task}      tasks that failed for good (task_failure; retries are not failures)
    prescreen_tasks_retried_total{task}     retries scheduled (task_retry): storage or database faults
    prescreen_pages_extracted_total{source} pages of fresh extractions (cache hits are not counted), by
                                            source (ocr, text_layer, docx, xlsx); pages/s = rate(...)
    prescreen_ocr_page_seconds{engine}      histogram of the OCR time of one page, observed where a page is
                                            OCR'd in a worker (prescreen/ocr_batches.py); engine: rapid-lines,
                                            cascade, tesseract or rapidocr (PRESCREEN_OCR_ENGINE)
    prescreen_queue_depth{queue}            messages waiting in the broker, read at scrape time
    prescreen_broker_up                     1 when the broker answered that scrape

Why multiprocess mode: a prefork worker runs its tasks in child processes, replaced every
worker_max_tasks_per_child tasks. In-memory counters would live in whichever child ran the task and
die with it, and the parent, which could serve HTTP, sees none of them. With PROMETHEUS_MULTIPROC_DIR
set, prometheus_client keeps every process's values in mmap files in that folder (one per pid), and the
process serving /metrics sums them (MultiProcessCollector). A Celery-events exporter (as Flower) could
count tasks from outside, but not pages or OCR seconds, and it misses whatever happens while it is down.
Children that end fold their files into one archive file (archive_process), so a long-running worker
does not leave thousands of per-pid files to read on every scrape.

Queue depth is not an observation of any process: QueueDepthCollector asks the broker at each scrape.
"""
from __future__ import annotations

import fcntl
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.multiprocess import MultiProcessCollector
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from extractors.models import ExtractedDocument

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client itself, when it is first imported
if os.environ.get(MULTIPROC_ENV):  # the folder must exist before the first value is written
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)

# Every metric has labels, so no value (and, in multiprocess mode, no file) exists before the first
# observation: a worker can wipe the folder at start without losing its own process's values.
TASKS_SUCCEEDED = Counter("prescreen_tasks_succeeded", "Celery tasks that returned, by task name", ["task"])
TASKS_FAILED = Counter("prescreen_tasks_failed", "Celery tasks that failed after their retries, by task name",
                       ["task"])
TASKS_RETRIED = Counter("prescreen_tasks_retried", "Celery task retries scheduled, by task name", ["task"])
PAGES_EXTRACTED = Counter("prescreen_pages_extracted", "Pages of fresh document extractions, by page source",
                          ["source"])
# A clean 300-dpi scan takes 2-4 s a page on one core with the default engine; dense tables and photos up to the 120 s limit.
OCR_PAGE_SECONDS = Histogram("prescreen_ocr_page_seconds", "OCR time of one page in a worker, by OCR engine",
                             ["engine"], buckets=(0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120))


class MetricsSettings(BaseSettings):
    """e.g. PRESCREEN_METRICS_PORT=9808 (a worker then serves /metrics itself), PRESCREEN_METRICS_QUEUES=a,b."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_METRICS_", frozen=True, extra="ignore")

    port: int | None = Field(None, ge=1, le=65535)  # a worker's own exporter; None: the worker serves none
    host: str = "0.0.0.0"
    queues: str | None = None  # comma-separated queues whose depth is reported; None: PRESCREEN_QUEUE
    broker_timeout_s: float = Field(3.0, gt=0)  # a scrape must not hang on an unreachable broker

    def queue_names(self, default: str) -> list[str]:
        names = [q.strip() for q in (self.queues or default).split(",")]
        return [q for q in names if q]


# --- observations -------------------------------------------------------------------------------

def count_pages(extracted: ExtractedDocument) -> None:
    for page in extracted.pages:
        PAGES_EXTRACTED.labels(page.source.value).inc()


def observe_ocr_page(seconds: float, engine: str) -> None:
    OCR_PAGE_SECONDS.labels(engine).observe(seconds)


# --- queue depth ----------------------------------------------------------------------------------

class QueueDepthCollector:
    """Messages waiting in each queue, asked of the broker at every scrape.

    One call for both brokers: a passive queue_declare returns the queue's message count. On RabbitMQ
    that is AMQP's own answer (ready messages, not those a worker holds unacknowledged); on Redis kombu
    answers it with LLEN of the queue's list (summed over its priority lists). A queue that does not
    exist (Redis deletes an empty list; RabbitMQ has no queue no worker declared) holds nothing: 0.
    """

    def __init__(self, broker_url: str, queues: Iterable[str], timeout_s: float = 3.0) -> None:
        self.broker_url, self.queues, self.timeout_s = broker_url, list(queues), timeout_s

    def depths(self) -> dict[str, int]:
        """Queue -> messages waiting; raises the broker's connection errors."""
        from kombu import Connection

        out: dict[str, int] = {}
        with Connection(self.broker_url, connect_timeout=self.timeout_s,
                        transport_options={"socket_timeout": self.timeout_s, "max_retries": 0}) as conn:
            conn.ensure_connection(max_retries=1, timeout=self.timeout_s)
            for queue in self.queues:
                channel = conn.channel()  # a failed passive declare closes the channel on RabbitMQ
                try:
                    out[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except conn.channel_errors:
                    out[queue] = 0
                finally:
                    try:
                        channel.close()
                    except Exception:  # noqa: BLE001 - already closed by the broker
                        pass
        return out

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("prescreen_queue_depth", "Messages waiting in the broker queue", labels=["queue"])
        up = GaugeMetricFamily("prescreen_broker_up", "1 when the broker answered the last scrape")
        try:
            found = self.depths()
        except Exception as exc:  # noqa: BLE001 - any failure means "broker down" for this scrape
            log.warning("queue depth unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        for queue, n in found.items():
            depth.add_metric([queue], n)
        up.add_metric([], 1)
        yield depth
        yield up


# --- exposition -----------------------------------------------------------------------------------

def multiproc_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def make_registry(queue_depth: bool = True, settings: MetricsSettings | None = None) -> CollectorRegistry:
    """What /metrics shows: the task, page and OCR metrics (summed over every process that wrote to
    PROMETHEUS_MULTIPROC_DIR, else this process's own) and, with a broker configured, queue depth."""
    from prescreen.tasks_app import QueueSettings

    path = multiproc_dir()
    if path is None:
        registry = CollectorRegistry()
        registry.register(_Forward(REGISTRY))
    else:
        path.mkdir(parents=True, exist_ok=True)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(path))
    queues = QueueSettings()
    if queue_depth and not queues.eager:
        s = settings or MetricsSettings()
        registry.register(QueueDepthCollector(queues.broker_url or "", s.queue_names(queues.queue),
                                              s.broker_timeout_s))
    return registry


class _Forward:
    """The default registry's metrics inside another registry (which adds queue depth to them)."""

    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterator[Any]:
        return iter(self.source.collect())


def render_metrics(registry: CollectorRegistry | None = None) -> tuple[bytes, str]:
    """The exposition text and its content type, e.g. for a web framework's /metrics route."""
    return generate_latest(registry or make_registry()), CONTENT_TYPE_LATEST


def metrics_app(registry: CollectorRegistry | None = None) -> Callable[..., Any]:
    """An ASGI app serving /metrics, to mount in the workbench: `app.mount("/metrics", metrics_app())`."""
    from prometheus_client import make_asgi_app

    return make_asgi_app(registry or make_registry())


def serve(host: str, port: int, registry: CollectorRegistry) -> Any:
    """Serve /metrics on a daemon thread; returns the thread."""
    from prometheus_client import start_http_server

    _server, thread = start_http_server(port, addr=host, registry=registry)
    return thread


# --- the multiprocess folder ------------------------------------------------------------------------

def wipe(path: Path) -> None:
    """Remove the value files of an earlier run (prometheus_client asks for it before processes start).
    Only *.db files: the folder may be shared with other things by mistake."""
    path.mkdir(parents=True, exist_ok=True)
    for f in path.glob("*.db"):
        f.unlink(missing_ok=True)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path / "archive.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def archive_process(path: Path, pid: int) -> None:
    """Fold an ending process's counter and histogram files into `<type>_archive.db` and delete them.

    Counters and histograms are sums over files, so adding values key by key keeps every total. The new
    archive is written aside and renamed in; a scrape landing between the rename and the unlink (a few
    microseconds) could count the process twice once. Gauges are not kept in files here (queue depth is
    read at scrape time), so no gauge file needs folding.
    """
    with _locked(path):
        for kind in ("counter", "histogram"):
            mine = path / f"{kind}_{pid}.db"
            if not mine.exists():
                continue
            archive = path / f"{kind}_archive.db"
            totals: dict[str, float] = defaultdict(float)
            for f in (archive, mine):
                if f.exists():
                    for key, value, _ts, _pos in MmapedDict.read_all_values_from_file(str(f)):
                        totals[key] += value
            tmp = path / f"{kind}_archive.tmp"  # not *.db: the collector must not read it half-written
            tmp.unlink(missing_ok=True)
            merged = MmapedDict(str(tmp))
            try:
                for key, value in totals.items():
                    merged.write_value(key, value, 0.0)
            finally:
                merged.close()
            os.replace(tmp, archive)
            mine.unlink()
