"""`prescreen ingest DIR` in process (no broker), on SQLite and the local store: each subfolder or .zip one
package, duplicates recognised by content, files shared between packages extracted once, bad entries
recorded with their reason while the run goes on, usage errors with exit status 2."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from prescreen.cli import main
from prescreen.settings import AppSettings
from prescreen.steps import load_submission
from prescreen.tasks import services
from storage.db import ItemStatus
from storage.states import PackageState
from tests.embedded import embedded
from tests.unit.test_reprocess import small_package


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("ingest-home")
    with embedded(home):
        yield AppSettings.from_env()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A: a package; B: A without its licence (every file shared with A); C.zip: another package zipped;
    A-copy: A again (a duplicate); plus a stray text file, a broken zip and OS junk."""
    made = tmp_path_factory.mktemp("made")
    archive = tmp_path_factory.mktemp("archive")
    a = shutil.copytree(small_package(made, 11), archive / "A")
    b = shutil.copytree(a, archive / "B")
    licence = next(f for f in b.iterdir() if f.suffix.lower() in (".jpg", ".png"))
    licence.unlink()
    shutil.make_archive(str(archive / "C"), "zip", root_dir=small_package(made, 12))
    shutil.copytree(a, archive / "A-copy")
    (archive / "readme.txt").write_text("说明", encoding="utf-8")
    (archive / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip archive")
    (archive / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    return archive


def items_by_source(run_id: str) -> dict:
    return {i.source: i for i in services().repo.run_items(run_id)}


def test_an_archive_folder_is_ingested_with_duplicates_and_bad_entries_reported(env, folder, capsys):
    assert main(["ingest", str(folder), "-q"]) == 1  # one entry failed: exit 1, the others were processed
    out = capsys.readouterr().out
    repo = services().repo
    (run,) = repo.list_runs("ingest")
    items = items_by_source(run.id)
    assert set(items) == {"A", "B", "C.zip", "A-copy", "readme.txt", "broken.zip"}  # OS junk left out
    assert {s: i.status for s, i in items.items()} == {
        "A": ItemStatus.DONE, "B": ItemStatus.DONE, "C.zip": ItemStatus.DONE, "A-copy": ItemStatus.DUPLICATE,
        "readme.txt": ItemStatus.SKIPPED, "broken.zip": ItemStatus.FAILED}
    assert items["A-copy"].package_id is None and items["A"].package_id in items["A-copy"].detail
    assert "不是申报包" in items["readme.txt"].detail and "not a package" in items["readme.txt"].detail
    broken = items["broken.zip"].detail
    assert broken.isascii() is False and "/" in broken  # Chinese, then English
    for source in ("A", "B", "C.zip"):
        row = repo.get_package(items[source].package_id)
        assert row.state == PackageState.DONE and row.verdict and items[source].new_version == 1

    # B shares every file with A: extracted once, for A. The run extracted each distinct content once.
    docs = {s: load_submission(items[s].package_id, services().store, repo).readable_hashes() for s in ("A", "C.zip")}
    assert set(load_submission(items["B"].package_id, services().store, repo).readable_hashes()) < set(docs["A"])
    distinct = len(set(docs["A"]) | set(docs["C.zip"]))
    assert repo.count_extractions_since(run.created_at) == distinct
    assert f"提取文件 {distinct} 个" in out
    assert "重复 / duplicates: 1" in out and "失败 / failed: 1" in out and "broken.zip" in out


def test_the_same_folder_again_is_all_duplicates(env, folder, capsys):
    assert main(["ingest", str(folder), "-q"]) == 1  # broken.zip still fails
    repo = services().repo
    latest = repo.list_runs("ingest", limit=1)[0]
    counts = repo.run_counts(latest.id)
    assert counts == {ItemStatus.DUPLICATE: 4, ItemStatus.SKIPPED: 1, ItemStatus.FAILED: 1}
    assert repo.count_extractions_since(latest.created_at) == 0
    assert "提取文件 0 个" in capsys.readouterr().out


def test_bad_input_is_a_usage_error(env, tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "missing")]) == 2
    (tmp_path / "one.zip").write_bytes(b"")
    assert main(["ingest", str(tmp_path / "one.zip")]) == 2
    (tmp_path / "empty").mkdir()
    assert main(["ingest", str(tmp_path / "empty")]) == 2
    assert main(["ingest", str(tmp_path), "--ruleset", "no-such-set"]) == 2
    err = capsys.readouterr().err
    assert "archive folder not found" in err and "not a folder" in err and "no packages" in err
    assert "no-such-set" in err
