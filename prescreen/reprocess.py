"""Reprocessing stored packages: which ones a run takes, and what each one needs.

A done package whose facts are cached (or whose every extraction is) is re-checked without a state
change: the rules over the cached facts, the report saved as a new version only when it differs, many
packages to one commit (`recheck`, `save_rechecked`). Anything else — a failed package, or an extraction
missing because an extractor changed — goes through the state machine like a new package
(`process_fully`), reading what the caches hold and extracting the rest. Old report versions stay.

The Celery tasks that run these steps are in prescreen/tasks_reprocess.py; the loop that sends them and
shows progress in prescreen/run_driver.py.
"""
from __future__ import annotations

import hashlib
import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from extractors.context import ExtractionContext
from extractors.facts.factset import FactSet
from prescreen import extraction_cache, facts_cache
from prescreen.pipeline import extract_all
from prescreen.steps import (
    Submission,
    assemble_facts,
    conclude,
    enter_checking,
    load_submission,
    report_for,
    stored_originals,
    summary_columns,
)
from storage.db import ItemStatus, RunKind
from storage.keys import report_content_key
from storage.objects import ObjectStore
from storage.repository import (
    PackageFilter,
    PackageNotFound,
    Recheck,
    Repository,
    RunItem,
    RunRow,
    report_content_sha256,
)
from storage.states import HALF_STATES, PackageState

log = logging.getLogger(__name__)
_PUT_THREADS = 8


class Busy(Exception):
    """The package is being processed by someone else (not this run): left to them."""


@dataclass(frozen=True)
class ReprocessOptions:
    """What a reprocess run takes (the filter) and does (a forced rule set, else each package's own)."""

    filter: PackageFilter = field(default_factory=PackageFilter)
    ruleset: str | None = None

    def to_json(self) -> dict[str, Any]:
        f = {k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v)
             for k, v in asdict(self.filter).items()}
        return {"filter": f, "ruleset": self.ruleset}

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


def start_run(repo: Repository, options: ReprocessOptions, new: bool = False) -> tuple[RunRow, bool]:
    """The unfinished run with the same options (resumed: True), or a new one over the packages they select."""
    if not new and (run := repo.unfinished_run(RunKind.REPROCESS.value, options.key())) is not None:
        return run, True
    items = [(source, package_id, version) for package_id, source, version in repo.select_packages(options.filter)]
    return repo.create_run(uuid.uuid4().hex, RunKind.REPROCESS.value, options.key(), options.to_json(), items), False


def forced_ruleset(run: RunRow) -> str | None:
    return run.options.get("ruleset")


def _with_ruleset(sub: Submission, ruleset_id: str | None) -> Submission:
    return replace(sub, ruleset_id=ruleset_id) if ruleset_id else sub


# --- rules only: a done package from its cached facts ---------------------------------------------

@dataclass(frozen=True)
class Rechecked:
    package_id: str
    report: dict[str, Any]
    facts: FactSet


def recheck(package_id: str, ruleset_id: str | None, ctx: ExtractionContext, store: ObjectStore,
            repo: Repository) -> Rechecked | None:
    """The package's report from its cached facts (or from its cached extractions, the facts then cached);
    None when an extraction is missing: the package needs full processing. Writes no row."""
    sub = _with_ruleset(load_submission(package_id, store, repo), ruleset_id)
    key = facts_cache.facts_key(sub.package.documents, sub.declared, sub.declared_name, ctx)
    facts = facts_cache.load(key, store)
    if facts is None:
        extracted = []
        for doc in sub.package.documents:
            ex = (extraction_cache.cached(doc, ctx, store, repo) if doc.readable
                  else extraction_cache.unreadable(doc))
            if ex is None:
                return None
            extracted.append((doc, ex))
        facts = assemble_facts(sub, extracted, ctx, store, stored_originals(store))
    return Rechecked(package_id, report_for(sub, facts), facts)


def save_rechecked(run_id: str, results: list[Rechecked], store: ObjectStore, repo: Repository) -> dict[str, int]:
    """Store the changed reports' objects, then every result and its run item in one transaction.
    A report equal to the package's latest writes nothing but its item. Package id -> version."""
    if not results:
        return {}
    latest = repo.latest_report_digests([r.package_id for r in results])
    rechecks: list[Recheck] = []
    unchanged: dict[str, int] = {}
    objects: list[tuple[str, bytes]] = []
    for r in results:
        known = latest.get(r.package_id)
        if known is not None and known[1] == report_content_sha256(r.report):
            unchanged[r.package_id] = known[0]
            continue
        text = json.dumps(r.report, ensure_ascii=False, sort_keys=True).encode("utf-8")
        # keyed by the result (as steps.save_report): a rerun after a crash overwrites, never adds beside it
        key = report_content_key(r.package_id, report_content_sha256(r.report)[:16])
        objects.append((key, text))
        rechecks.append(Recheck(r.package_id, r.report, key, summary_columns(r.report, r.facts),
                                {d.name: [k.value for k in d.kinds] for d in r.facts.documents}))
    # Objects before rows, as everywhere. Written side by side: each put waits on the disk's fsync or on the
    # network, not on this interpreter, so a batch costs about one write's wait instead of one per report.
    with ThreadPoolExecutor(_PUT_THREADS) as pool:
        list(pool.map(lambda kv: store.put(kv[0], kv[1], "application/json"), objects))
    return repo.save_rechecks(run_id, rechecks, unchanged)


# --- full processing: through the state machine ------------------------------------------------------

def run_item(repo: Repository, run_id: str, package_id: str) -> RunItem | None:
    found = repo.run_items(run_id, package_ids=[package_id])
    return found[0] if found else None


def process_fully(run_id: str, package_id: str, ruleset_id: str | None, ctx: ExtractionContext,
                  store: ObjectStore, repo: Repository) -> int:
    """received/done/failed → extracting → checking → done, from the caches where they hold the result;
    the item done with the report version. Busy when someone else is processing the package."""
    item = run_item(repo, run_id, package_id)
    if item is None:
        raise PackageNotFound(f"package {package_id!r} is not in run {run_id!r}")
    row = repo.get_package(package_id)
    if row is None:
        raise PackageNotFound(f"no package {package_id!r}")
    ours = row.state in HALF_STATES and item.attempt == row.attempts  # this run's, from a task whose process died
    if row.state in (PackageState.DONE, PackageState.FAILED) or ours:
        repo.transition(package_id, PackageState.RECEIVED, attempt=row.attempts)
    attempt = repo.claim(package_id)
    if attempt is None:
        state = repo.get_package(package_id).state  # type: ignore[union-attr]
        raise Busy(f"正在别处处理（{state}） / being processed elsewhere ({state})")
    repo.update_item(run_id, item.seq, attempt=attempt)
    try:
        sub = _with_ruleset(load_submission(package_id, store, repo), ruleset_id)
        originals = stored_originals(store)
        key = facts_cache.facts_key(sub.package.documents, sub.declared, sub.declared_name, ctx)
        facts = facts_cache.load(key, store)
        extracted = extract_all(sub.package.documents, originals, ctx, store, repo) if facts is None else []
        if not enter_checking(repo, package_id, attempt):
            raise Busy("处理中被接管 / taken over while processing")
        if facts is None:
            facts = assemble_facts(sub, extracted, ctx, store, originals)
        conclude(sub, facts, attempt, store, repo)
    except KeyboardInterrupt:  # in process: recorded, so a resumed run (or --failed) takes it up again
        repo.transition(package_id, PackageState.FAILED, reason="interrupted (Ctrl-C) / 已中断", attempt=attempt)
        raise
    version = repo.list_reports(package_id)[-1].version
    repo.update_item(run_id, item.seq, status=ItemStatus.DONE, new_version=version)
    return version


def mark_failed(repo: Repository, run_id: str, package_id: str, reason: str) -> None:
    """The package failed with `reason` (its earlier reports stay; `reprocess --failed` retries it) and its
    item failed. A done package passes through received (the state machine has no done → failed)."""
    reason = reason[:500]
    item = run_item(repo, run_id, package_id)
    row = repo.get_package(package_id)
    if row is not None:
        if row.state == PackageState.DONE:
            repo.transition(package_id, PackageState.RECEIVED, attempt=row.attempts)
        if row.state in (PackageState.DONE, PackageState.RECEIVED) or (
                row.state in HALF_STATES and item is not None and item.attempt == row.attempts):
            repo.transition(package_id, PackageState.FAILED, reason=reason, attempt=row.attempts)
    if item is not None and item.status == ItemStatus.PENDING:
        repo.update_item(run_id, item.seq, status=ItemStatus.FAILED, detail=reason)


def mark_busy(repo: Repository, run_id: str, package_id: str, why: str) -> None:
    item = run_item(repo, run_id, package_id)
    if item is not None and item.status == ItemStatus.PENDING:
        repo.update_item(run_id, item.seq, status=ItemStatus.SKIPPED, detail=why)

