"""Repository round-trips on SQLite, and on PostgreSQL (integration)."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from intake.models import Document, FileType, Package, Problem
from storage.db import PackageState, make_engine
from storage.repository import AmbiguousPackageId, PackageNotFound, Repository
from storage.states import InvalidTransition

PG_URL = os.environ.get("PRESCREEN_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def package(package_id: str | None = None, at: datetime | None = None) -> Package:
    docs = (
        Document("附件1 申请表.pdf", "a" * 64, 10, FileType.PDF),
        Document("scan.png", "b" * 64, 20, FileType.PNG,
                 Problem("image_too_large", "图片像素数过大", "image too large", "scan.png")),
    )
    return Package(package_id or uuid.uuid4().hex, "/in/pkg.zip", docs, at or datetime.now(UTC))


@pytest.fixture
def sqlite_repo(tmp_path: Path) -> Repository:
    repo = Repository(make_engine(f"sqlite:///{tmp_path / 'prescreen.db'}"))
    repo.create_schema()
    return repo


@pytest.fixture
def pg_repo() -> Iterator[Repository]:
    """A throw-away schema; in CI a missing server fails rather than skips."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001 - any connect failure means "no server"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    repo = Repository(engine)
    repo.create_schema()
    try:
        yield repo
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def round_trips(repo: Repository) -> None:
    old, new = package(at=datetime.now(UTC) - timedelta(days=1)), package()
    repo.save_package(old)
    repo.save_package(new, content_id="c" * 64)
    repo.save_package(new, content_id="c" * 64)  # saving again replaces, does not duplicate

    rows = repo.list_packages()
    assert [r.id for r in rows] == [new.package_id, old.package_id]
    assert rows[0].content_id == "c" * 64 and rows[0].state == PackageState.RECEIVED
    assert rows[1].received_at == old.received_at and rows[1].received_at.tzinfo is not None
    assert len(rows[1].content_id) == 64
    assert repo.list_packages(limit=1)[0].id == new.package_id

    with pytest.raises(InvalidTransition, match="cannot go from 'received' to 'done'"):
        repo.update_package(new.package_id, state=PackageState.DONE)
    repo.update_package(new.package_id, state="extracting")
    repo.update_package(new.package_id, state="checking")
    repo.update_package(new.package_id, state=PackageState.DONE, application_kind="certification",
                        application_date=date(2018, 6, 1), applicant_name="宁波某某科技有限公司",
                        applicant_uscc="91330201MA2AXXXX0X", district="海曙区")
    row = repo.get_package(new.package_id)
    assert row is not None and row.state == "done" and row.application_date == date(2018, 6, 1)
    assert row.attempts == 1 and row.state_changed_at >= row.received_at and row.error is None
    assert row.applicant_name == "宁波某某科技有限公司"
    with pytest.raises(TypeError):
        repo.update_package(new.package_id, no_such_column=1)
    with pytest.raises(PackageNotFound):
        repo.update_package("f" * 32, state="done")
    repo.set_detected_kinds(new.package_id, "附件1 申请表.pdf", ["M-FORM"])

    assert repo.latest_report(new.package_id) is None
    v1 = repo.save_report(new.package_id, {"verdict": "needs_review", "n": 1}, "needs_review", "ningbo-2018", None)
    v2 = repo.save_report(new.package_id, {"verdict": "eligible", "申请人": "宁波"}, "eligible", "ningbo-2018",
                          f"reports/{new.package_id}/v2.json")
    assert (v1, v2) == (1, 2)
    assert repo.latest_report(new.package_id) == {"verdict": "eligible", "申请人": "宁波"}
    assert repo.latest_report(new.package_id[:8]) == {"verdict": "eligible", "申请人": "宁波"}
    assert repo.latest_report("not-hex") is None and repo.latest_report("f" * 32) is None
    assert repo.get_package(new.package_id).verdict == "eligible"  # type: ignore[union-attr]
    with pytest.raises(PackageNotFound):
        repo.save_report("f" * 32, {}, "eligible", "ningbo-2018", None)

    assert repo.get_extraction("a" * 64, "text-1", "h1") is None
    repo.save_extraction("a" * 64, "text-1", "h1", result={"pages": ["第一页"]})
    repo.save_extraction("a" * 64, "text-1", "h1", result={"pages": ["第一页", "第二页"]})
    repo.save_extraction("a" * 64, "text-1", "h2", blob_key="derived/aa/x/text/1/pages.json")
    got = repo.get_extraction("a" * 64, "text-1", "h1")
    assert got is not None and got.result == {"pages": ["第一页", "第二页"]} and got.blob_key is None
    assert repo.get_extraction("a" * 64, "text-1", "h2").blob_key == "derived/aa/x/text/1/pages.json"  # type: ignore[union-attr]


def test_sqlite_round_trips(sqlite_repo: Repository) -> None:
    round_trips(sqlite_repo)


def test_ambiguous_prefix(sqlite_repo: Repository) -> None:
    sqlite_repo.save_package(package("ab" + "0" * 30))
    sqlite_repo.save_package(package("ab" + "1" * 30))
    with pytest.raises(AmbiguousPackageId):
        sqlite_repo.latest_report("ab")


@pytest.mark.integration
def test_postgresql_round_trips(pg_repo: Repository) -> None:
    round_trips(pg_repo)
