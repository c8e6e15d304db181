"""The `prescreen` command as an officer or operator uses it: exit codes, JSON, list/show, bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.builders import digital_package


def run(*args: str, env_home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PRESCREEN_HOME=str(env_home))
    return subprocess.run([sys.executable, "-m", "prescreen.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-home")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> Path:
    return digital_package(tmp_path_factory.mktemp("pkg"))


def test_check_json_prints_the_spec_report(package, home):
    p = run("check", str(package), "--json", "-q", env_home=home)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    for key in ("package", "application_kind", "ruleset", "declared", "observed", "findings", "verdict"):
        assert key in report
    assert report["ruleset"] == "ningbo-2018"
    assert report["verdict"] in ("eligible", "needs_review", "ineligible")


def test_check_summary_is_chinese_and_list_show_reprint(package, home):
    p = run("check", str(package), "-q", env_home=home)
    assert p.returncode == 0, p.stderr
    assert "结论：" in p.stdout
    listing = run("list", env_home=home)
    assert listing.returncode == 0 and package.name in listing.stdout
    pid = listing.stdout.splitlines()[1].split()[0]
    shown = run("show", pid, "--json", env_home=home)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["package_id"].startswith(pid)


def test_missing_path_is_a_usage_error(home, tmp_path):
    p = run("check", str(tmp_path / "nope"), env_home=home)
    assert p.returncode == 2
    assert "不存在" in p.stderr and "not found" in p.stderr
    assert "Traceback" not in p.stderr


def test_bad_declared_file_is_a_usage_error(package, home, tmp_path):
    bad = tmp_path / "declared.json"
    bad.write_text("{not json", encoding="utf-8")
    p = run("check", str(package), "--declared", str(bad), env_home=home)
    assert p.returncode == 2 and "JSON" in p.stderr


def test_unknown_ruleset_is_a_usage_error(package, home):
    p = run("check", str(package), "--ruleset", "ningbo-1999", env_home=home)
    assert p.returncode == 2 and "ningbo-2018" in p.stderr


def test_declared_json_overrides_the_form(package, home, tmp_path):
    declared = tmp_path / "declared.json"
    declared.write_text(json.dumps({"service.smes_served": 99}), encoding="utf-8")
    p = run("check", str(package), "--json", "-q", "--declared", str(declared), env_home=home)
    report = json.loads(p.stdout)
    assert report["declared"]["service.smes_served"] == 99
    x = next(f for f in report["findings"] if f["rule"] == "X-SMES")
    assert x["outcome"] == "fail"


def test_hostile_package_still_gets_a_report(tmp_path, home, package):
    z = tmp_path / "hostile.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(package.iterdir()):
            zf.write(f, f.name)
        zf.writestr("../../escape.txt", b"x")
        zf.writestr("empty.pdf", b"")
        zf.writestr("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\n")
        zf.writestr("notes.txt", b"plain text")
    p = run("check", str(z), "--json", "-q", env_home=home)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    problems = {d["name"]: d["problem"] for d in report["documents"] if d["problem"]}
    assert {"empty.pdf", "broken.pdf", "notes.txt"} <= set(problems)
    assert any("escape" in (x.get("subject") or "") for x in report["problems"])
    assert not (tmp_path.parent / "escape.txt").exists()


def test_empty_package_says_so(home, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    p = run("check", str(empty), "--json", "-q", env_home=home)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert any(x["code"] == "empty_package" for x in report["problems"])
    assert report["verdict"] == "ineligible"


def test_unusable_data_folder_is_a_system_error_not_a_traceback(tmp_path, package):
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    p = run("check", str(package), "-q", env_home=blocker / "home")
    assert p.returncode == 1
    assert "系统错误" in p.stderr and "Traceback" not in p.stderr


def test_report_links_evidence_to_stored_page_images(package, home):
    """The viewer needs, for each cited page, an image in the object store and the box scale."""
    p = run("check", str(package), "--json", "-q", env_home=home)
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    details = [d for doc in report["documents"] for d in doc["page_details"]]
    assert details and all(d["source"] and d["engine"] for d in details)
    imaged = [d for d in details if d["image"]]
    assert imaged, "no page images stored"
    for d in imaged:
        assert (home / "objects" / d["image"]["key"]).is_file()
        assert d["image"]["scale"] > 0
    boxed = [e for f in report["observed"].values() for e in f["evidence"] if e["bbox"]]
    assert boxed and all(e["image"] and e["image"]["key"].endswith(f"page-{e['page']}.jpg") for e in boxed)
