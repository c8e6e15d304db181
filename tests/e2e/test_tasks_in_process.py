"""The Celery tasks on the embedded default (no broker: eager, in process), on SQLite and the local store.

The same tasks a worker runs: their report is check_package's, and a repeated, redelivered or stale
task adds nothing. Real workers and brokers: tests/integration/test_celery_worker.py.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from extractors.models import ExtractedDocument
from intake.models import Problem
from prescreen.extraction_cache import refuse_interrupted
from prescreen.pipeline import check_package
from prescreen.settings import AppSettings
from prescreen.steps import intake, load_submission
from prescreen.tasks import (
    extract_document,
    finish_package,
    process_package,
    recover_and_requeue,
    services,
)
from storage.states import PackageState
from tests.e2e.builders import digital_package
from tests.embedded import embedded

VOLATILE = ("package_id", "generated_at")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A data folder of this module's own, and the tasks eager whatever the shell says."""
    home = tmp_path_factory.mktemp("tasks-home")
    with embedded(home):
        yield AppSettings.from_env()


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return digital_package(tmp_path_factory.mktemp("pkg"))


@pytest.fixture(scope="module")
def in_process_report(env, package):
    return check_package(package, env)  # fills the extraction cache for the tests after it


def submit(path: Path, settings: AppSettings, **options) -> str:
    svc = services()
    submission, _ = intake(path, settings, svc.store, svc.repo, **options)
    return submission.package_id


def stable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k not in VOLATILE}


def test_the_tasks_report_is_check_packages(env, package, in_process_report):
    package_id = submit(package, env)
    process_package.delay(package_id)
    repo = services().repo
    row = repo.get_package(package_id)
    assert row.state == PackageState.DONE and row.attempts == 1
    assert row.applicant_name and row.verdict == in_process_report["verdict"]
    assert stable(repo.latest_report(package_id)) == stable(in_process_report)


def test_a_repeated_or_redelivered_task_adds_nothing(env, package, in_process_report):
    repo = services().repo
    package_id = submit(package, env)
    first = process_package.delay(package_id).get()
    assert first["attempt"] == 1
    sha = load_submission(package_id, services().store, repo).readable_hashes()[0]

    assert process_package.delay(package_id).get()["skipped"] == PackageState.DONE
    assert finish_package.delay([], package_id, 1).get()["skipped"] == PackageState.DONE
    assert extract_document.delay(package_id, sha, 1).get()["skipped"] == PackageState.DONE
    assert len(repo.list_reports(package_id)) == 1 and repo.get_package(package_id).attempts == 1


def test_a_finish_redelivered_in_checking_resumes_and_keeps_one_version(env, package, in_process_report):
    """The worker died after checking began (before done, or after the report was saved): the redelivered
    finish completes the package, and the same result is the same report version."""
    repo = services().repo
    package_id = submit(package, env)
    for _ in range(2):
        attempt = repo.claim(package_id)
        for sha in load_submission(package_id, services().store, repo).readable_hashes():
            assert extract_document.delay(package_id, sha, attempt).get()["cached"] is True
        assert repo.transition(package_id, PackageState.CHECKING, attempt=attempt)
        assert finish_package.delay([], package_id, attempt).get()["verdict"] == in_process_report["verdict"]
        assert repo.get_package(package_id).state == PackageState.DONE
        assert repo.transition(package_id, PackageState.RECEIVED)  # an explicit re-check of the same files
    assert [v.version for v in repo.list_reports(package_id)] == [1]


def test_recovery_requeues_and_a_stale_attempt_changes_nothing(env, package, in_process_report):
    repo = services().repo
    package_id = submit(package, env)
    stale = repo.claim(package_id)  # a worker took it, then died
    found = recover_and_requeue(repo, older_than=timedelta(0))  # queued again: processed here, eagerly
    assert package_id in found["requeued"]
    row = repo.get_package(package_id)
    assert row.state == PackageState.DONE and row.attempts == stale + 1
    sha = load_submission(package_id, services().store, repo).readable_hashes()[0]
    assert finish_package.delay([], package_id, stale).get()["skipped"] == PackageState.DONE
    assert extract_document.delay(package_id, sha, stale).get()["skipped"] == PackageState.DONE
    assert len(repo.list_reports(package_id)) == 1


def test_a_failing_task_marks_the_package_failed(env, package, in_process_report):
    package_id = submit(package, env, ruleset_id="ningbo-1999")
    process_package.delay(package_id)  # the finish task fails: recorded on the package, as in a worker
    row = services().repo.get_package(package_id)
    assert row.state == PackageState.FAILED
    assert "prescreen.finish_package" in row.error and "ningbo-1999" in row.error


def test_a_received_package_is_rebuilt_from_the_database_and_the_store(env, package, tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    docx = sorted(package.glob("*.docx"))[:2]
    for f in docx:
        shutil.copy(f, folder / f.name)
    shutil.copy(docx[0], folder / "副本.docx")  # duplicate content: a note
    (folder / "空文件.pdf").write_bytes(b"")  # unreadable: a document problem
    (folder / ".DS_Store").write_bytes(b"junk")  # skipped: a note
    svc = services()
    submission, _ = intake(folder, env, svc.store, svc.repo, declared={"service.smes_served": 99},
                           declared_name="online.json", ruleset_id="ningbo-2018")
    assert {p.code for p in submission.notes} == {"os_junk", "duplicate_content"}
    assert any(d.problem for d in submission.package.documents)
    assert load_submission(submission.package_id, svc.store, svc.repo) == submission
    assert len(submission.readable_hashes()) == 2


def test_a_soft_time_limit_inside_an_extractor_is_raised_not_cached():
    caught = Problem("extractor_error", "文件解析出错，需人工查看", "pdf failed: SoftTimeLimitExceeded()", "a.pdf")
    with pytest.raises(SoftTimeLimitExceeded):
        refuse_interrupted(ExtractedDocument("a.pdf", "0" * 64, (), "pdf", caught))
    refuse_interrupted(ExtractedDocument("a.pdf", "0" * 64, (), "pdf", None))


def cli(*args: str, settings: AppSettings) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRESCREEN_")}
    env["PRESCREEN_HOME"] = str(settings.storage.home)
    return subprocess.run([sys.executable, "-m", "prescreen.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_cli_queue_without_a_broker_runs_the_tasks_here(env, package, in_process_report):
    p = cli("check", str(package), "--queue", "--json", "-q", settings=env)
    assert p.returncode == 0, p.stderr
    assert stable(json.loads(p.stdout)) == stable(in_process_report)


def test_cli_worker_needs_a_broker_and_recover_reports(env):
    p = cli("worker", settings=env)
    assert p.returncode == 2 and "PRESCREEN_BROKER_URL" in p.stderr
    p = cli("recover", settings=env)
    assert p.returncode == 0, p.stderr
    assert "requeued: 0" in p.stdout
