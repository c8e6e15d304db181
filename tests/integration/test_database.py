"""The metadata database on SQLite and PostgreSQL: migrations, the package state machine,
versioned idempotent reports, and races between workers."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, String, Table, Text, insert, select, text
from sqlalchemy.exc import IntegrityError

from intake.models import Document, FileType, Package
from storage import migrate
from storage.db import Base, DocumentRecord, PackageRecord, UTCDateTime, make_engine
from storage.objects import StorageError
from storage.repository import PackageNotFound, Repository, report_content_sha256
from storage.states import InvalidTransition, PackageState, can_move

pytestmark = pytest.mark.integration
T = TypeVar("T")
LATER = datetime.now(UTC) + timedelta(hours=2)  # "now" for recover_stuck: every half state looks stuck
S = PackageState


def new_package(repo: Repository, state_path: tuple[PackageState, ...] = ()) -> str:
    docs = (Document("申请表.pdf", "a" * 64, 10, FileType.PDF), Document("scan.png", "b" * 64, 20, FileType.PNG))
    package = Package(uuid.uuid4().hex, "/in/pkg.zip", docs, datetime.now(UTC))
    repo.save_package(package)
    for state in state_path:
        assert repo.transition(package.package_id, state, reason="test" if state is S.FAILED else None)
    return package.package_id


def race(n: int, attempt: Callable[[int], T]) -> list[T]:
    """Run attempt(0..n-1) in n threads released together; their results in index order."""
    barrier, results = threading.Barrier(n), [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = attempt(i)  # type: ignore[call-overload]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results  # type: ignore[return-value]


# --- migrations ------------------------------------------------------------------------------

def test_migrated_schema_matches_the_models(repo: Repository) -> None:
    with repo.engine.connect() as conn:
        assert migrate.schema_differences(conn) == []
    assert migrate.current(repo.engine) == migrate.head() == "0005"


def test_the_comparison_sees_an_old_schema(engine: Engine) -> None:
    migrate.upgrade(engine, migrate.BASELINE)
    with engine.connect() as conn:
        diffs = {str(d) for d in migrate.schema_differences(conn)}
    assert any("state_changed_at" in d for d in diffs) and any("content_sha256" in d for d in diffs)


def test_create_schema_twice_and_concurrently(database_url: str) -> None:
    engines = [make_engine(database_url) for _ in range(3)]
    try:
        race(3, lambda i: Repository(engines[i]).create_schema())  # workers starting together
        Repository(engines[0]).create_schema()
        assert migrate.current(engines[0]) == migrate.head()
    finally:
        for e in engines:
            e.dispose()


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    Repository(engine).create_schema()
    migrate.downgrade(engine, "base")
    assert migrate.current(engine) is None
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert migrate.schema_differences(conn) == []


def _legacy_tables() -> tuple[Table, Table, Table]:
    """The columns the pre-migration code wrote (today's models have more)."""
    md = MetaData()
    packages = Table("packages", md, Column("id", String), Column("content_id", String), Column("source", Text),
                     Column("received_at", UTCDateTime), Column("state", String), Column("error", Text))
    documents = Table("documents", md, Column("package_id", String), Column("name", Text),
                      Column("sha256", String), Column("size", Integer), Column("file_type", String),
                      Column("detected_kinds", JSON))
    reports = Table("reports", md, Column("package_id", String), Column("version", Integer),
                    Column("ruleset", String), Column("verdict", String), Column("created_at", UTCDateTime),
                    Column("json_text", Text))
    return packages, documents, reports


def test_adopts_a_database_made_by_create_all_and_keeps_its_rows(engine: Engine) -> None:
    # The baseline revision is what create_all made; without alembic_version it is such a database.
    migrate.upgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    received = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
    packages, documents, reports = _legacy_tables()
    with engine.begin() as conn:
        conn.execute(insert(packages), [
            {"id": "a" * 32, "content_id": "c" * 64, "source": "/in/a", "received_at": received, "state": "checking"},
            {"id": "b" * 32, "content_id": "d" * 64, "source": "/in/b", "received_at": received, "state": "received"},
        ])
        conn.execute(insert(documents), [{"package_id": "a" * 32, "name": "x.pdf", "sha256": "e" * 64,
                                          "size": 1, "file_type": "pdf", "detected_kinds": []}])
        conn.execute(insert(reports), [  # the old code saved identical reports twice: both stay
            {"package_id": "a" * 32, "version": v, "ruleset": "ningbo-2018", "verdict": "eligible",
             "created_at": received, "json_text": f'{{"generated_at": "{v}", "verdict": "eligible"}}'}
            for v in (1, 2)])

    repo = Repository(engine)
    repo.create_schema()

    assert migrate.current(engine) == migrate.head()
    with engine.connect() as conn:
        assert migrate.schema_differences(conn) == []
        assert conn.scalar(select(DocumentRecord.name)) == "x.pdf"  # the table rebuild cascaded nothing
    old = repo.get_package("a" * 32)
    assert old is not None and old.state == "checking" and old.attempts == 1 and old.state_changed_at == received
    assert repo.get_package("b" * 32).attempts == 0  # type: ignore[union-attr]
    versions = repo.list_reports("a" * 32)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content_sha256 == versions[1].content_sha256 == report_content_sha256({"verdict": "eligible"})
    assert repo.save_report("a" * 32, {"verdict": "eligible", "generated_at": "3"}, "eligible", "r", None) == 2
    # A half state left by the old code is picked up like any other.
    assert repo.recover_stuck(timedelta(minutes=30), now=LATER).requeued == ["a" * 32]


def test_adopts_a_database_made_by_create_all_with_todays_models(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    Repository(engine).create_schema()
    assert migrate.current(engine) == migrate.head()


def test_refuses_to_adopt_a_partial_schema(engine: Engine) -> None:
    Base.metadata.tables["extractions"].create(engine)
    with pytest.raises(StorageError, match="only some prescreen tables"):
        Repository(engine).create_schema()


# --- state machine ---------------------------------------------------------------------------

PATHS: dict[PackageState, tuple[PackageState, ...]] = {
    S.RECEIVED: (),
    S.EXTRACTING: (S.EXTRACTING,),
    S.CHECKING: (S.EXTRACTING, S.CHECKING),
    S.DONE: (S.EXTRACTING, S.CHECKING, S.DONE),
    S.FAILED: (S.EXTRACTING, S.FAILED),
}


def test_every_transition_is_allowed_or_refused_as_the_table_says(repo: Repository) -> None:
    for current, path in PATHS.items():
        for target in PackageState:
            package_id = new_package(repo, path)
            moved = repo.transition(package_id, target, reason="x" if target is S.FAILED else None)
            assert moved == can_move(current, target), (current, target)
            assert repo.get_package(package_id).state == (target if moved else current)  # type: ignore[union-attr]


def test_a_processing_run_through_the_repository(repo: Repository) -> None:
    package_id = new_package(repo)
    before = repo.get_package(package_id)
    assert before is not None and before.attempts == 0
    attempt = repo.claim(package_id)
    assert attempt == 1 and repo.claim(package_id) is None  # a second worker gets nothing
    assert repo.transition(package_id, S.CHECKING, attempt=attempt)
    assert repo.transition(package_id, S.DONE, attempt=attempt, applicant_name="宁波某某科技有限公司",
                           application_kind="certification")
    row = repo.get_package(package_id)
    assert row is not None and row.state == "done" and row.applicant_name == "宁波某某科技有限公司"
    assert row.state_changed_at > before.state_changed_at and row.error is None


def test_failed_needs_a_reason_and_a_retry_clears_it(repo: Repository) -> None:
    package_id = new_package(repo, (S.EXTRACTING,))
    with pytest.raises(ValueError, match="reason"):
        repo.transition(package_id, S.FAILED)
    with pytest.raises(ValueError, match="reason"):
        repo.transition(package_id, S.CHECKING, reason="why")
    assert repo.transition(package_id, S.FAILED, reason="OCR crashed")
    assert repo.get_package(package_id).error == "OCR crashed"  # type: ignore[union-attr]
    assert repo.transition(package_id, S.RECEIVED)
    assert repo.get_package(package_id).error is None  # type: ignore[union-attr]


def test_update_package_checks_transitions(repo: Repository) -> None:
    package_id = new_package(repo)
    with pytest.raises(InvalidTransition, match="cannot go from 'received' to 'checking'"):
        repo.update_package(package_id, state="checking")
    repo.update_package(package_id, state="extracting")
    repo.update_package(package_id, state="failed", error="ValueError('bad page')")
    row = repo.get_package(package_id)
    assert row is not None and (row.state, row.error) == ("failed", "ValueError('bad page')")
    with pytest.raises(PackageNotFound):
        repo.transition("f" * 32, S.EXTRACTING)
    with pytest.raises(TypeError):
        repo.transition(package_id, S.RECEIVED, attempts=7)
    with pytest.raises(ValueError):
        repo.transition(package_id, "processing")


def test_the_database_refuses_an_unknown_state(repo: Repository) -> None:
    package_id = new_package(repo)
    with pytest.raises(IntegrityError), repo.engine.begin() as conn:
        conn.execute(PackageRecord.__table__.update().where(PackageRecord.id == package_id)
                     .values(state="processing"))


def test_recover_stuck_requeues_then_gives_up(repo: Repository) -> None:
    stuck_extracting = new_package(repo, (S.EXTRACTING,))
    stuck_checking = new_package(repo, (S.EXTRACTING, S.CHECKING))
    untouched = [new_package(repo), new_package(repo, PATHS[S.DONE]), new_package(repo, PATHS[S.FAILED])]

    assert repo.recover_stuck(timedelta(minutes=30)).requeued == []  # nothing is old yet
    got = repo.recover_stuck(timedelta(minutes=30), max_attempts=2, now=LATER)
    assert sorted(got.requeued) == sorted([stuck_extracting, stuck_checking]) and got.failed == []
    assert {repo.get_package(p).state for p in untouched} == {"received", "done", "failed"}  # type: ignore[union-attr]

    assert repo.claim(stuck_extracting) == 2  # second try, dies again
    got = repo.recover_stuck(timedelta(minutes=30), max_attempts=2, now=LATER)
    assert got.failed == [stuck_extracting] and got.requeued == []
    row = repo.get_package(stuck_extracting)
    assert row is not None and row.state == "failed" and "2 attempts" in (row.error or "")


def test_a_worker_whose_package_was_recovered_loses_it(repo: Repository) -> None:
    package_id = new_package(repo)
    stale = repo.claim(package_id)
    repo.recover_stuck(timedelta(minutes=30), now=LATER)
    fresh = repo.claim(package_id)
    assert (stale, fresh) == (1, 2)
    assert not repo.transition(package_id, S.CHECKING, attempt=stale)
    assert repo.transition(package_id, S.CHECKING, attempt=fresh)


# --- races: the database decides, exactly one wins -----------------------------------------------

def test_one_claim_wins(repo: Repository) -> None:
    package_id = new_package(repo)
    attempts = race(8, lambda _i: repo.claim(package_id))
    assert sorted(attempts, key=str) == [1] + [None] * 7
    assert repo.get_package(package_id).attempts == 1  # type: ignore[union-attr]


def test_one_of_done_and_failed_wins(repo: Repository) -> None:
    package_id = new_package(repo, (S.EXTRACTING, S.CHECKING))
    targets = [S.DONE, S.FAILED] * 3
    moved = race(6, lambda i: repo.transition(package_id, targets[i],
                                             reason="timeout" if targets[i] is S.FAILED else None))
    assert moved.count(True) == 1
    assert repo.get_package(package_id).state == targets[moved.index(True)]  # type: ignore[union-attr]


def test_repeated_report_saves_in_a_race_make_one_version(repo: Repository) -> None:
    package_id = new_package(repo)
    versions = race(6, lambda _i: repo.save_report(package_id, {"verdict": "eligible"}, "eligible", "r", None))
    assert versions == [1] * 6 and len(repo.list_reports(package_id)) == 1


def test_different_reports_in_a_race_get_distinct_versions(repo: Repository) -> None:
    package_id = new_package(repo)
    versions = race(4, lambda i: repo.save_report(package_id, {"n": i}, "eligible", "r", None))
    assert sorted(versions) == [1, 2, 3, 4]


# --- versioned reports -------------------------------------------------------------------------

def test_reports_are_versioned_and_repeats_add_nothing(repo: Repository) -> None:
    package_id = new_package(repo)
    first: dict[str, Any] = {"verdict": "needs_review", "申请人": "宁波"}
    second = {"verdict": "eligible"}
    assert repo.save_report(package_id, first, "needs_review", "ningbo-2018", "k1") == 1
    assert repo.save_report(package_id, dict(reversed(first.items())), "needs_review", "ningbo-2018", "k1") == 1
    regenerated = {**first, "generated_at": "2030-01-01T00:00:00+00:00"}  # same findings, a later run
    assert repo.save_report(package_id, regenerated, "needs_review", "ningbo-2018", "k9") == 1
    assert repo.save_report(package_id, second, "eligible", "ningbo-2024", "k2") == 2
    # The first content again is the newest result: a new version, so "latest" stays true.
    assert repo.save_report(package_id, first, "needs_review", "ningbo-2018", "k3") == 3

    versions = repo.list_reports(package_id[:10])
    assert [(v.version, v.verdict, v.ruleset, v.object_key) for v in versions] == [
        (1, "needs_review", "ningbo-2018", "k1"), (2, "eligible", "ningbo-2024", "k2"),
        (3, "needs_review", "ningbo-2018", "k3")]
    assert versions[0].content_sha256 == versions[2].content_sha256 != versions[1].content_sha256
    assert versions[0].created_at <= versions[1].created_at <= versions[2].created_at
    assert repo.get_report(package_id, 2) == second and repo.get_report(package_id, 1) == first
    assert repo.latest_report(package_id) == first and repo.get_report(package_id, 9) is None
    assert repo.get_package(package_id).verdict == "needs_review"  # type: ignore[union-attr]
    assert repo.list_reports("f" * 32) == [] and repo.list_reports("not-hex") == []
