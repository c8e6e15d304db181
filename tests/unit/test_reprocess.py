"""Reprocessing the archive, in process (no broker: the archive tasks run eagerly), on SQLite and the local store.

Checked: a new rule set reuses every extraction and the cached facts (nothing extracted, no fact read
again), old reports stay and new versions are added only where the result changed; a re-run with nothing
changed adds nothing; an interrupted run resumes without redoing finished packages; a storage fault is
retried, then leaves the package failed with its reason, and `--failed` recovers it; a new extractor
version sends packages through full processing; the diff report says what changed.
"""
from __future__ import annotations

import functools
import json
import random
import shutil
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from extractors.registry import EXTRACTORS
from intake.models import Document, FileType
from prescreen import diff_report, extraction_cache, facts_cache, steps
from prescreen.cli import main
from prescreen.pipeline import check_package
from prescreen.reprocess import ReprocessOptions, start_run
from prescreen.run_driver import drive_reprocess
from prescreen.settings import AppSettings
from prescreen.tasks import services
from storage.db import ItemStatus
from storage.objects import StoreUnreachable
from storage.repository import PackageFilter
from storage.states import PackageState
from synth.model import Kind, Profile
from synth.package import generate_package
from synth.plan import make_spec
from tests.embedded import embedded
from validators import ruleset as rulesets

STRICT = "test-strict-2099"  # a later notice asking for 9 of the 8 service categories: E-CATEGORY fails

# The tests share one archive and run in order (each reprocess run builds on the last): one xdist worker.
pytestmark = pytest.mark.xdist_group("reprocess_unit")


def small_package(out: Path, seed: int) -> Path:
    """A clean cultivation package: text PDFs and .docx, and the licence as a JPEG (one image to OCR)."""
    spec = make_spec(random.Random(seed), f"R{seed:04d}", seed, Profile.QUICK, 0.0,
                     force={"kind": Kind.CULTIVATION, "defects": []})
    return out / generate_package(replace(spec, delivery="folder"), out)["path"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """A data folder of this module's own, the tasks eager whatever the shell says, and a stricter rule set
    in a folder of its own (the shipped folder is not touched)."""
    home = tmp_path_factory.mktemp("reprocess-home")
    sets = tmp_path_factory.mktemp("rulesets")
    for f in rulesets.RULESET_DIR.glob("*.toml"):
        shutil.copy(f, sets)
    base = (rulesets.RULESET_DIR / "ningbo-2018.toml").read_text(encoding="utf-8")
    (sets / f"{STRICT}.toml").write_text(
        base.replace('id = "ningbo-2018"', f'id = "{STRICT}"').replace("effective_from = 2018-01-01",
                                                                       "effective_from = 2099-01-01")
        .replace("min_categories = 1 ", "min_categories = 9 "), encoding="utf-8")
    with embedded(home) as mp:
        mp.setattr(steps, "load_ruleset", functools.partial(rulesets.load_ruleset, directory=sets))
        mp.setattr(steps, "ruleset_for", functools.partial(rulesets.ruleset_for, directory=sets))
        steps.choose_ruleset.cache_clear()
        yield AppSettings.from_env()
    steps.choose_ruleset.cache_clear()


@pytest.fixture(scope="module")
def archive(env, tmp_path_factory) -> dict[str, dict]:
    """Three packages checked once: package id -> its first report."""
    out = tmp_path_factory.mktemp("archive")
    reports = [check_package(small_package(out, seed), env) for seed in (11, 12, 14)]
    return {r["package_id"]: r for r in reports}


def run(options: ReprocessOptions, new: bool = True):
    repo = services().repo
    created, _ = start_run(repo, options, new=new)
    return drive_reprocess(created, repo, quiet=True)


def stable(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "generated_at"}


def test_cached_facts_read_back_equal_and_give_the_same_report(env, archive):
    svc = services()
    ctx = env.extraction_context()
    for package_id, first in archive.items():
        sub = steps.load_submission(package_id, svc.store, svc.repo)
        key = facts_cache.facts_key(sub.package.documents, sub.declared, sub.declared_name, ctx)
        cached = facts_cache.load(key, svc.store)
        assert cached is not None, "check_package keeps the facts it read"
        extracted = [(d, extraction_cache.cached(d, ctx, svc.store, svc.repo)) for d in sub.package.documents]
        fresh = steps.assemble(steps.with_page_images(extracted, ctx, svc.store, steps.stored_originals(svc.store)),
                               sub.declared, sub.declared_name)
        assert cached == fresh
        assert facts_cache.encode(cached) == facts_cache.encode(fresh)  # Fact.details too (not in ==)
        assert stable(steps.report_for(sub, cached)) == stable(first)


def test_the_codec_refuses_what_it_cannot_rebuild():
    with pytest.raises(facts_cache.NotCacheable):
        facts_cache.encode({"x": object()})
    with pytest.raises(TypeError):
        facts_cache.decode({"$dc": "os:system", "f": {}})  # only our own model classes are rebuilt
    doc = Document("a.pdf", "0" * 64, 1, FileType.PDF)
    assert facts_cache.decode(json.loads(json.dumps(facts_cache.encode((doc, {1: doc.file_type}))))) == \
        (doc, {1: FileType.PDF})


def test_a_new_rule_set_reruns_only_the_rules(env, archive, monkeypatch):
    def no_fact_reading(*_a, **_k):
        raise AssertionError("facts were read again instead of coming from the facts cache")

    monkeypatch.setattr(steps, "assemble", no_fact_reading)
    out = run(ReprocessOptions(ruleset=STRICT))
    assert out.finished and out.counts == {ItemStatus.DONE: len(archive)}
    assert out.extractions == 0
    repo = services().repo
    for package_id, first in archive.items():
        versions = repo.list_reports(package_id)
        assert [v.version for v in versions] == [1, 2]  # the old report stays
        assert repo.get_report(package_id, 1) == first
        new = repo.get_report(package_id)
        assert new["ruleset"] == STRICT
        category = next(f for f in new["findings"] if f["rule"] == "E-CATEGORY")
        assert category["outcome"] == "fail" and new["verdict"] == "ineligible"
        row = repo.get_package(package_id)
        assert row.state == PackageState.DONE and row.ruleset == STRICT and row.verdict == new["verdict"]

    diff = diff_report.run_diff(repo, out.run)
    totals = diff.totals()
    assert totals["finished"] == len(archive) and totals["new_versions"] == len(archive)
    assert totals["verdict_changed"] == len(archive)
    for p in diff.packages:
        assert p.old_verdict == archive[p.package_id]["verdict"] != "ineligible"
        assert p.new_verdict == "ineligible"
        assert {c.rule: (c.old_outcome, c.new_outcome) for c in p.findings} == {"E-CATEGORY": ("pass", "fail")}
    text = diff_report.text(diff)
    assert "E-CATEGORY 结果改变：通过 → 不通过" in text and "→ 不符合条件：3 个" in text


def test_the_same_run_again_changes_nothing_and_extracts_nothing(env, archive):
    before = {pid: services().repo.list_reports(pid) for pid in archive}
    out = run(ReprocessOptions(ruleset=STRICT))
    assert out.finished and out.extractions == 0
    diff = diff_report.run_diff(services().repo, out.run)
    assert diff.totals()["changed"] == 0 and diff.totals()["new_versions"] == 0
    assert {pid: services().repo.list_reports(pid) for pid in archive} == before


def test_the_diff_report_as_json_and_xlsx(env, archive, tmp_path, capsys):
    run(ReprocessOptions(ruleset=STRICT))  # every verdict ineligible (a repeat when the test above ran here first)
    run(ReprocessOptions(ruleset="ningbo-2018"))  # back to the measures: every verdict changes back
    runs = services().repo.list_runs("reprocess", limit=1)
    assert main(["reprocess-diff", runs[0].id[:8], "--diff-out", str(tmp_path / "d.json"),
                 "--diff-out", str(tmp_path / "d.xlsx")]) == 0
    printed = capsys.readouterr().out
    assert "不符合条件 →" in printed
    data = json.loads((tmp_path / "d.json").read_text(encoding="utf-8"))
    assert data["totals"]["verdict_changed"] == len(archive)
    assert {p["package_id"] for p in data["packages"]} == set(archive)
    assert all(p["old_verdict"] == "ineligible" for p in data["packages"])
    wb = load_workbook(tmp_path / "d.xlsx")
    assert wb.sheetnames == ["汇总 Summary", "申报包 Packages", "规则变化 Findings", "未完成 Unfinished"]
    assert wb["申报包 Packages"].max_row == 1 + len(archive)
    changes = sum(len(p["findings"]) for p in data["packages"])
    assert wb["规则变化 Findings"].max_row == 1 + changes
    assert main(["reprocess-diff", "x", "--diff-out", str(tmp_path / "d.csv")]) == 2


def test_an_interrupted_run_resumes_without_redoing_finished_packages(env, archive, monkeypatch):
    import prescreen.reprocess as reprocess
    import prescreen.run_driver as driver

    monkeypatch.setattr(driver, "CHUNK_SIZE", 1)
    real, calls = reprocess.report_for, []

    def interrupted_at_the_second(sub, facts):
        calls.append(sub.package_id)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(sub, facts)

    monkeypatch.setattr(reprocess, "report_for", interrupted_at_the_second)
    options = ReprocessOptions(PackageFilter(), ruleset=STRICT)
    with pytest.raises(KeyboardInterrupt):
        run(options)
    repo = services().repo
    (unfinished,) = [r for r in repo.list_runs("reprocess", limit=1)]
    assert repo.run_counts(unfinished.id) == {ItemStatus.DONE: 1, ItemStatus.PENDING: len(archive) - 1}
    first_done = repo.run_items(unfinished.id, ItemStatus.DONE)[0]

    resumed, was_resumed = start_run(repo, options)
    assert was_resumed and resumed.id == unfinished.id
    out = drive_reprocess(resumed, repo, quiet=True)
    assert out.finished and out.processed == len(archive) - 1
    assert calls[2:] == [p for p in calls[2:] if p != first_done.package_id]  # not rechecked again
    assert repo.run_items(unfinished.id, ItemStatus.DONE)[0].finished_at == first_done.finished_at
    assert start_run(repo, options)[1] is False  # finished: the next call starts a new run


def test_a_store_fault_is_retried_then_failed_and_failed_packages_recover(env, archive, monkeypatch, capsys):
    svc = services()
    real_get, attempts = svc.store.get, []

    def unreachable(key: str) -> bytes:
        if key.startswith("facts/"):
            attempts.append(key)
            raise StoreUnreachable("对象存储无法连接 (test)", "object store unreachable (test)")
        return real_get(key)

    monkeypatch.setattr(svc.store, "get", unreachable)
    out = run(ReprocessOptions(ruleset=STRICT))
    assert out.counts == {ItemStatus.FAILED: len(archive)}
    assert len(attempts) == 6  # the first package of the chunk, once and after each of 5 retries
    for item in svc.repo.run_items(out.run.id):
        assert "object store unreachable" in item.detail and "after 5 retries" in item.detail
        row = svc.repo.get_package(item.package_id)
        assert row.state == PackageState.FAILED and "object store unreachable" in row.error
        assert len(svc.repo.list_reports(item.package_id)) >= 2  # the earlier reports stay

    monkeypatch.setattr(svc.store, "get", real_get)  # the store is back
    capsys.readouterr()
    assert main(["reprocess", "--failed", "-q"]) == 0
    assert "完成 3" in capsys.readouterr().out
    for package_id in archive:
        assert svc.repo.get_package(package_id).state == PackageState.DONE
    assert main(["reprocess", "--failed", "-q"]) == 0  # nothing failed any more
    assert "没有符合条件的申报包" in capsys.readouterr().out


def test_a_new_ocr_version_re_extracts_what_it_reads_and_nothing_else(env, archive, monkeypatch):
    repo, store = services().repo, services().store
    package_id = next(iter(archive))
    row = repo.get_package(package_id)
    options = ReprocessOptions(ruleset=STRICT)
    one = repo.create_run(uuid.uuid4().hex, "reprocess", options.key(), options.to_json(),
                          [(row.source, package_id, repo.list_reports(package_id)[-1].version)])
    since = datetime.now(UTC)
    for extractor in EXTRACTORS:  # a new OCR pipeline: the PDF and image readers change, .docx/.xlsx do not
        if extractor.name not in extraction_cache.OCR_FREE:
            monkeypatch.setattr(extractor, "version", f"{extractor.version} (new OCR)")
    out = drive_reprocess(one, repo, quiet=True)
    assert out.finished and out.counts == {ItemStatus.DONE: 1}
    documents = [d for d in steps.load_submission(package_id, store, repo).package.documents if d.readable]
    affected = {d.sha256 for d in documents
                if extraction_cache.document_version(d).split("-", 1)[0] not in extraction_cache.OCR_FREE}
    assert 0 < len(affected) < len({d.sha256 for d in documents})  # the package has both kinds
    assert out.extractions == len(affected) == repo.count_extractions_since(since)
    after = repo.get_package(package_id)
    assert after.state == PackageState.DONE and after.attempts == row.attempts + 1  # claimed: the state machine's way


def test_usage_errors_exit_2(env, capsys):
    assert main(["reprocess", "--ruleset", "no-such-set"]) == 2
    assert main(["reprocess", "--resume", "abc", "--kind", "cultivation"]) == 2
    assert main(["reprocess", "--resume", "0123456789ab"]) == 2
    assert main(["reprocess", "--from", "2024-02-01", "--to", "2024-01-01"]) == 2
    assert main(["reprocess", "--diff-out", "/tmp/x.txt"]) == 2
    err = capsys.readouterr().err
    assert "no-such-set" in err and "--resume" in err and "no reprocess run" in err


def test_the_progress_line_has_count_rate_and_eta():
    from prescreen.progress_bar import render

    line = render("重新处理 / reprocess", 120, 200, 20, 2.0, "包")
    assert "120/200" in line and "60.0%" in line and "50.0 包/s" in line and "ETA 0:00:01" in line
