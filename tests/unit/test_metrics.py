"""Prometheus metrics (prescreen/metrics.py) from real tasks run eagerly, multiprocess mode in real child
processes, and the page runners of prescreen/ocr_batches.py on real OCR.

Queue depth on real Redis and RabbitMQ, and page batches on a real worker: tests/integration/test_metrics_*.py.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from extractors.context import ExtractionContext
from extractors.models import PageSource
from extractors.registry import extract_document as extract_registry
from intake.models import Document, FileType
from prescreen import metrics, ocr_batches
from prescreen.settings import AppSettings
from prescreen.steps import intake
from prescreen.tasks import process_package, recover_stuck, reset_services, services
from prescreen.tasks_app import app
from storage.objects import LocalObjectStore
from storage.settings import StorageSettings, open_repository

ROOT = Path(__file__).resolve().parents[2]


def scanned_pdf(path: Path, pages: int, dpi: int = 150, seed: int = 7) -> Path:
    """A scanned (image-only) PDF of `pages` pages of generated application documents: synthetic data."""
    from synth import degrade, render_pdf
    from synth import documents as D
    from synth.model import Kind, Profile
    from synth.package import _pages
    from synth.plan import make_spec

    rng = random.Random(seed)
    spec = make_spec(random.Random(seed), "S0001", seed, Profile.QUICK, 0.0,
                     force={"kind": Kind.CERTIFICATION, "defects": []})
    images = []
    for material in ("form", "report", "premises", "staff", "selfeval", "declaration"):
        pdf, _ = render_pdf.render(D.TEXT_DOCS[material](spec, rng), "wqy-zenhei", rng)
        images += _pages(pdf, dpi)
        if len(images) >= pages:
            break
    jpegs = [degrade.jpeg_bytes(degrade.scan(p, rng), 80, dpi) for p in images[:pages]]
    path.write_bytes(degrade.image_pdf(jpegs, dpi))
    return path


def sample(name: str, labels: dict[str, str] | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


@pytest.fixture
def eager(tmp_path, monkeypatch):
    """Tasks eager on SQLite and the local store of this test; OCR cheap (tesseract alone, 150 dpi, one job)."""
    monkeypatch.setenv("PRESCREEN_HOME", str(tmp_path / "home"))
    for name in ("PRESCREEN_DATABASE_URL", "PRESCREEN_OBJECT_STORE", "PRESCREEN_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PRESCREEN_OCR_ENGINE", "tesseract")
    monkeypatch.setenv("PRESCREEN_OCR_RENDER_DPI", "150")
    monkeypatch.setenv("PRESCREEN_OCR_JOBS", "1")
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    reset_services()
    yield services()
    reset_services()


@pytest.mark.ocr
def test_an_eager_check_counts_its_tasks_pages_and_ocr_seconds(eager, tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    scanned_pdf(package / "报告扫描件.pdf", pages=2)
    names = ("prescreen.process_package", "prescreen.extract_document", "prescreen.finish_package")
    before = {n: sample("prescreen_tasks_succeeded_total", {"task": n}) for n in names}
    pages_before = sample("prescreen_pages_extracted_total", {"source": "ocr"})
    tesseract = {"engine": "tesseract"}
    ocr_count = sample("prescreen_ocr_page_seconds_count", tesseract)
    ocr_sum = sample("prescreen_ocr_page_seconds_sum", tesseract)
    joins = sample("prescreen_tasks_succeeded_total", {"task": "prescreen.join_document"})

    submission, _ = intake(package, eager.settings, eager.store, eager.repo)
    process_package.delay(submission.package_id)

    assert eager.repo.get_package(submission.package_id).state == "done"
    assert {n: sample("prescreen_tasks_succeeded_total", {"task": n}) - before[n] for n in names} == dict.fromkeys(names, 1)
    assert sample("prescreen_pages_extracted_total", {"source": "ocr"}) - pages_before == 2
    assert sample("prescreen_ocr_page_seconds_count", tesseract) - ocr_count == 2
    assert sample("prescreen_ocr_page_seconds_sum", tesseract) - ocr_sum > 0.05  # real OCR, not a zero-time stand-in
    # In process the page pool (here: one job) reads the pages; page batches are a worker's.
    assert sample("prescreen_tasks_succeeded_total", {"task": "prescreen.join_document"}) == joins

    # Again: the extraction comes from the cache, so no page is counted twice and nothing is OCR'd.
    again, _ = intake(package, eager.settings, eager.store, eager.repo)
    process_package.delay(again.package_id)
    assert sample("prescreen_pages_extracted_total", {"source": "ocr"}) - pages_before == 2
    assert sample("prescreen_ocr_page_seconds_count", tesseract) - ocr_count == 2


def test_a_task_whose_database_is_down_counts_its_retries_then_its_failure(tmp_path, monkeypatch):
    monkeypatch.setenv("PRESCREEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PRESCREEN_DATABASE_URL", "postgresql+psycopg2://nobody@127.0.0.1:1/none")  # nothing listens
    monkeypatch.delenv("PRESCREEN_OBJECT_STORE", raising=False)
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    labels = {"task": "prescreen.recover_stuck"}
    retried, failed = sample("prescreen_tasks_retried_total", labels), sample("prescreen_tasks_failed_total", labels)
    reset_services()
    try:
        result = recover_stuck.delay()
    finally:
        reset_services()
    assert result.failed()
    assert sample("prescreen_tasks_retried_total", labels) - retried == recover_stuck.max_retries
    assert sample("prescreen_tasks_failed_total", labels) - failed == 1


def test_metrics_text_has_queue_depth_and_says_when_the_broker_is_down(monkeypatch):
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    monkeypatch.setenv("PRESCREEN_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens
    monkeypatch.setenv("PRESCREEN_METRICS_BROKER_TIMEOUT_S", "1")
    body, content_type = metrics.render_metrics()
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert [s.value for s in families["prescreen_broker_up"].samples] == [0]
    assert {"prescreen_tasks_succeeded", "prescreen_pages_extracted", "prescreen_ocr_page_seconds"} <= set(families)

    monkeypatch.delenv("PRESCREEN_BROKER_URL")  # embedded default: no broker, so no queue to report
    body, _ = metrics.render_metrics()
    assert b"prescreen_broker_up" not in body and b"prescreen_tasks_succeeded" in body


def test_the_asgi_app_for_the_workbench_serves_the_same_text(monkeypatch):
    import asyncio

    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    monkeypatch.delenv("PRESCREEN_BROKER_URL", raising=False)
    metrics.PAGES_EXTRACTED.labels("docx").inc(0)  # a sample to look for
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/metrics", "query_string": b"", "headers": []}
    asyncio.run(metrics.metrics_app()(scope, receive, send))
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    assert start["status"] == 200
    assert b'prescreen_pages_extracted_total{source="docx"}' in body


MULTIPROCESS_SCRIPT = textwrap.dedent("""
    import multiprocessing as mp, os, sys
    from prescreen import metrics, metrics_celery

    class Task:
        name = "prescreen.extract_document"

    def child(archive):
        metrics_celery._succeeded(sender=Task())
        metrics.observe_ocr_page(2.5, "cascade")
        if archive:  # as a prefork child does when it ends (worker_process_shutdown)
            metrics_celery._child_ends(pid=os.getpid())

    if __name__ == "__main__":
        mp.set_start_method("fork")
        for archive in (True, True, False):
            p = mp.Process(target=child, args=(archive,))
            p.start(); p.join()
            assert p.exitcode == 0
        print(p.pid, file=sys.stderr)
        sys.stdout.write(metrics.render_metrics()[0].decode())
""")


def test_multiprocess_mode_sums_the_children_and_folds_ended_ones_into_an_archive(tmp_path):
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")} | {
        metrics.MULTIPROC_ENV: str(folder), "PRESCREEN_HOME": str(tmp_path / "home")}
    p = subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT], env=env, cwd=ROOT, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    pids = [int(p.stderr.split()[-1])]
    values = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in text_string_to_metric_families(p.stdout) for s in f.samples}
    assert values[("prescreen_tasks_succeeded_total", (("task", "prescreen.extract_document"),))] == 3
    engine = (("engine", "cascade"),)
    assert values[("prescreen_ocr_page_seconds_count", engine)] == 3
    assert values[("prescreen_ocr_page_seconds_sum", engine)] == 7.5
    assert values[("prescreen_ocr_page_seconds_bucket", (*engine, ("le", "3.0")))] == 3
    assert values[("prescreen_ocr_page_seconds_bucket", (*engine, ("le", "2.0")))] == 0
    # Two ended children live on in the archive files, the third in its own; the parent, which observed
    # nothing, has no file (every metric has labels, so values are made at the first observation).
    files = sorted(f.name for f in folder.glob("*.db"))
    assert files == sorted(["counter_archive.db", "histogram_archive.db", *(f"{k}_{pids[-1]}.db" for k in
                                                                           ("counter", "histogram"))])


def test_a_worker_refuses_a_metrics_port_without_a_multiprocess_folder(monkeypatch):
    from prescreen import metrics_celery

    monkeypatch.setenv("PRESCREEN_METRICS_PORT", "9808")
    monkeypatch.delenv(metrics.MULTIPROC_ENV, raising=False)
    with pytest.raises(SystemExit, match="PROMETHEUS_MULTIPROC_DIR"):
        metrics_celery._start_exporter()


# --- page batches (prescreen/ocr_batches.py) ------------------------------------------------------

@pytest.mark.parametrize(("size", "pages", "expected"), [
    (2, [1, 2, 3, 4], [[1, 2], [3, 4]]),
    (2, [2, 5, 7], [[2, 5], [7]]),
    (1, [1], [[1]]),
    (0, [1, 2, 3], [[1, 2, 3]]),  # batches off
    (2, list(range(1, 101)), [list(range(k, k + 7)) for k in range(1, 99, 7)] + [[99, 100]]),  # at most 16
])
def test_pages_are_cut_into_batches(size, pages, expected):
    plan = ocr_batches.BatchPlan(size, 16)
    assert plan.batches(pages) == expected
    assert plan.fans_out(len(pages)) == (len(expected) >= 2)


def test_a_batch_stops_drawing_page_images_after_its_last_page():
    drawn: list[int] = []

    def images():
        for n in (1, 2, 3, 4):
            drawn.append(n)
            yield n, np.full((400, 300), 255, np.uint8)  # blank: OCR finds nothing, quickly

    runner = ocr_batches.BatchRunner({2})
    pages = list(runner(images(), ExtractionContext(engine="tesseract"), "blank.pdf", 4))
    assert drawn == [1, 2]
    assert [p.number for p in pages] == [1, 2] and [p.number for p in runner.done] == [2]
    assert runner.done[0].engine  # OCR'd (an empty page all the same), where page 1 is only a placeholder
    assert pages[0].engine is None


@pytest.mark.ocr
def test_page_batches_then_the_join_give_the_document_extracted_in_one_go(tmp_path):
    pdf = scanned_pdf(tmp_path / "scan.pdf", pages=3)
    data = pdf.read_bytes()
    import hashlib

    doc = Document(name="scan.pdf", sha256=hashlib.sha256(data).hexdigest(), size=len(data), file_type=FileType.PDF)
    ctx = ExtractionContext(engine="tesseract", render_dpi=150, jobs=1)
    store = LocalObjectStore(tmp_path / "objects")
    repo = open_repository(StorageSettings(home=tmp_path / "home"))
    originals = {doc.sha256: data}.get

    found, cached, batches = ocr_batches.extract_or_plan(doc, lambda d: originals(d.sha256), ctx, store, repo,
                                                         ocr_batches.BatchPlan(2, 16))
    assert (found, cached, batches) == (None, False, [[1, 2], [3]])
    done = [ocr_batches.ocr_batch(doc, lambda d: originals(d.sha256), ctx, store, b) for b in batches]
    assert done == [2, 1]
    assert ocr_batches.ocr_batch(doc, lambda d: originals(d.sha256), ctx, store, [3]) == 0  # a redelivered batch
    joined, cached = ocr_batches.join(doc, lambda d: originals(d.sha256), ctx, store, repo, [1, 2, 3])

    reference = extract_registry(data, doc, ctx)
    assert not cached and joined == replace(reference, name=doc.name)
    assert [p.source for p in joined.pages] == [PageSource.OCR] * 3 and all(p.lines for p in joined.pages)
    # The join cached the document as extract_one would: the next task finds it.
    assert ocr_batches.extract_or_plan(doc, lambda d: originals(d.sha256), ctx, store, repo,
                                       ocr_batches.BatchPlan(2, 16)) == (joined, True, [])


def test_in_process_tasks_never_fan_out_pages(monkeypatch):
    from prescreen.tasks import _page_batches

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    assert _page_batches() is None
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    assert _page_batches() == ocr_batches.BatchPlan(2, 16)
    monkeypatch.setitem(app.conf, "prescreen_page_batch_size", 0)
    assert _page_batches() is None


def test_settings_of_the_worker_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("PRESCREEN_METRICS_QUEUES", "prescreen, urgent,")
    assert metrics.MetricsSettings().queue_names("prescreen") == ["prescreen", "urgent"]
    monkeypatch.delenv("PRESCREEN_METRICS_QUEUES")
    assert metrics.MetricsSettings().queue_names("q1") == ["q1"]
    assert AppSettings.from_env()  # the metrics settings add nothing the application settings refuse
