"""The steps of a check, usable in process and as Celery tasks: intake, load, finish.

Intake is the only step that sees the package's path. Everything a later step needs is in the
database (package and document rows) and the object store (originals under content-addressed keys,
and an intake receipt with what the rows do not hold: refusals, notes, declared values, rule set),
so a task needs only the package id, and a package recovered after a crash can be processed again.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from extractors.context import ExtractionContext
from extractors.facts.assemble import assemble
from extractors.facts.factset import FactSet
from extractors.models import ExtractedDocument
from intake.models import Document, FileType, Package, Problem
from intake.receive import ReceivedPackage, receive
from prescreen import __version__, facts_cache
from prescreen.extraction_cache import extractor_version
from prescreen.report import build_report
from prescreen.settings import AppSettings
from prescreen.viewer_images import Originals, with_page_images
from storage.db import DocumentRecord
from storage.keys import original_key, report_content_key, validate_key
from storage.objects import ObjectNotFound, ObjectStore
from storage.repository import PackageNotFound, Repository, report_content_sha256
from storage.states import PackageState
from validators.engine import assess
from validators.ruleset import RuleSet, load_ruleset, ruleset_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """A received package and what was asked of the check: all the report needs besides extraction."""

    package: Package
    notes: tuple[Problem, ...] = ()
    declared: dict[str, Any] | None = None
    declared_name: str = "declared.json"
    ruleset_id: str | None = None

    @property
    def package_id(self) -> str:
        return self.package.package_id

    def readable_hashes(self) -> list[str]:
        """Each readable content once, in document order: the units of extraction."""
        return list(dict.fromkeys(d.sha256 for d in self.package.documents if d.readable))


def receipt_key(package_id: str) -> str:
    return validate_key(f"receipts/{package_id}.json")


# --- intake ------------------------------------------------------------------------------------

def intake(path: Path, settings: AppSettings, store: ObjectStore, repo: Repository,
           declared: dict[str, Any] | None = None, declared_name: str = "declared.json",
           ruleset_id: str | None = None) -> tuple[Submission, Mapping[str, bytes]]:
    """Receive the package at `path`, store its originals and receipt, save its rows (state received).
    Returns the submission and the readable documents' bytes (sha256 -> bytes) for in-process use."""
    return store_received(receive(path, settings.intake), store, repo, declared, declared_name, ruleset_id)


def store_received(received: ReceivedPackage, store: ObjectStore, repo: Repository,
                   declared: dict[str, Any] | None = None, declared_name: str = "declared.json",
                   ruleset_id: str | None = None) -> tuple[Submission, Mapping[str, bytes]]:
    """The second half of intake, apart so a bulk ingest can look for the content id before storing."""
    package = received.package
    # Originals and receipt before the rows: a package row never points at objects not yet there.
    for doc in package.documents:
        data = received.payloads.get(doc.sha256)
        if data is not None:
            store.put_if_absent(original_key(doc.sha256), data)
    submission = Submission(package, received.notes, declared, declared_name, ruleset_id)
    store.put(receipt_key(package.package_id), _receipt(submission), "application/json")
    repo.save_package(package, received.content_id)
    return submission, received.payloads


def _receipt(sub: Submission) -> bytes:
    return json.dumps({"refusals": [asdict(p) for p in sub.package.refusals], "notes": [asdict(p) for p in sub.notes],
                       "declared": sub.declared, "declared_name": sub.declared_name, "ruleset_id": sub.ruleset_id},
                      ensure_ascii=False, sort_keys=True).encode("utf-8")


# --- loading a received package by id ----------------------------------------------------------

def load_submission(package_id: str, store: ObjectStore, repo: Repository) -> Submission:
    row = repo.get_package(package_id)
    if row is None:
        raise PackageNotFound(f"no package {package_id!r}")
    try:
        receipt = json.loads(store.get(receipt_key(package_id)))
    except ObjectNotFound:  # received before receipts existed: no notes, no declared values
        log.warning("package %s has no intake receipt; checking without notes or declared values", package_id)
        receipt = {}
    package = Package(package_id=package_id, source=row.source, documents=stored_documents(repo, package_id),
                      received_at=row.received_at, refusals=tuple(Problem(**p) for p in receipt.get("refusals", ())))
    return Submission(package, tuple(Problem(**p) for p in receipt.get("notes", ())), receipt.get("declared"),
                      receipt.get("declared_name", "declared.json"), receipt.get("ruleset_id"))


def stored_documents(repo: Repository, package_id: str) -> tuple[Document, ...]:
    """The package's documents as intake made them, from their rows, in intake's order (by name).
    Read straight from the table: the Repository has no reader for document rows yet."""
    with Session(repo.engine) as s:
        rows = s.scalars(select(DocumentRecord).where(DocumentRecord.package_id == package_id)).all()
    docs = (Document(name=r.name, sha256=r.sha256, size=r.size, file_type=FileType(r.file_type),
                     problem=Problem(r.problem_code, r.problem_zh or "", r.problem_en or "", subject=r.name)
                     if r.problem_code else None) for r in rows)
    return tuple(sorted(docs, key=lambda d: d.name))


def stored_originals(store: ObjectStore) -> Originals:
    """Originals read back from the store; None for a document intake kept no bytes of."""
    return lambda doc: store.get(original_key(doc.sha256)) if doc.readable else None


# --- checking: facts, rules, report -------------------------------------------------------------

@lru_cache(maxsize=64)
def choose_ruleset(ruleset_id: str | None, application_date: date | None) -> RuleSet:
    """The forced rule set, or the one in force on the date; each choice read from disk once per process."""
    return load_ruleset(ruleset_id) if ruleset_id else ruleset_for(application_date)


def enter_checking(repo: Repository, package_id: str, attempt: int | None) -> bool:
    """Move extracting → checking for this attempt; True too when this attempt is in checking already
    (a redelivered finish resumes). False when the package is no longer this attempt's."""
    if repo.transition(package_id, PackageState.CHECKING, attempt=attempt):
        return True
    row = repo.get_package(package_id)
    return row is not None and row.state == PackageState.CHECKING and (attempt is None or row.attempts == attempt)


def finish(sub: Submission, extracted: list[tuple[Document, ExtractedDocument]], attempt: int | None,
           ctx: ExtractionContext, store: ObjectStore, repo: Repository, originals: Originals) -> dict[str, Any] | None:
    """extracting → checking → done: page images, facts, rules, the report saved once. None when the package
    was taken from this attempt (recovered and claimed again) before checking began."""
    package_id = sub.package_id
    if not enter_checking(repo, package_id, attempt):
        log.warning("package %s is no longer attempt %s's; not checking it", package_id, attempt)
        return None
    return conclude(sub, assemble_facts(sub, extracted, ctx, store, originals), attempt, store, repo)


def assemble_facts(sub: Submission, extracted: list[tuple[Document, ExtractedDocument]], ctx: ExtractionContext,
                   store: ObjectStore, originals: Originals) -> FactSet:
    """Read the facts from the extractions (page images attached) and keep them in the facts cache,
    so reprocessing with another rule set reads them back instead (prescreen/facts_cache.py)."""
    facts = assemble(with_page_images(extracted, ctx, store, originals), sub.declared, sub.declared_name)
    facts_cache.save(facts_cache.facts_key(sub.package.documents, sub.declared, sub.declared_name, ctx), facts, store)
    return facts


def conclude(sub: Submission, facts: FactSet, attempt: int | None, store: ObjectStore,
             repo: Repository) -> dict[str, Any]:
    """checking → done: rules, the report saved once, the summary columns."""
    package_id = sub.package_id
    for doc in facts.documents:
        repo.set_detected_kinds(package_id, doc.name, [k.value for k in doc.kinds])
    report = report_for(sub, facts)
    save_report(package_id, report, report["verdict"], report["ruleset"], store, repo)
    if not repo.transition(package_id, PackageState.DONE, attempt=attempt, **summary_columns(report, facts)):
        log.warning("package %s left checking under attempt %s before done; report kept", package_id, attempt)
    return report


def report_for(sub: Submission, facts: FactSet) -> dict[str, Any]:
    """The rules over the facts, and the report: the same whether the facts were just read or cached."""
    ruleset = choose_ruleset(sub.ruleset_id, facts.application_date())
    assessment = assess(facts, ruleset)
    return build_report(sub.package, facts, assessment, ruleset, sub.notes,
                        versions={"prescreen": __version__, "extractors": extractor_version()})


def save_report(package_id: str, report: dict[str, Any], verdict: str, ruleset_id: str, store: ObjectStore,
                repo: Repository) -> int:
    """The report's version; a repeat of the latest (a redelivered task) writes neither object nor row."""
    versions = repo.list_reports(package_id)
    digest = report_content_sha256(report)
    if versions and versions[-1].content_sha256 == digest:
        return versions[-1].version
    text = json.dumps(report, ensure_ascii=False, sort_keys=True).encode("utf-8")
    # Keyed by the result, not the bytes: a retried or redelivered join that stored its report and died (or lost
    # the database) before the row rebuilds it with another generated_at; it overwrites that object, not beside it.
    key = report_content_key(package_id, digest[:16])
    store.put(key, text, "application/json")
    return repo.save_report(package_id, report, verdict, ruleset_id, key)


def summary_columns(report: dict[str, Any], facts: FactSet) -> dict[str, Any]:
    uscc = facts.observed.get("applicant.uscc") or facts.declared.get("applicant.uscc")
    name = facts.observed.get("applicant.name") or facts.declared.get("applicant.name")
    code = str(uscc.value) if uscc is not None else None
    return {"application_kind": report["application_kind"], "application_date": facts.application_date(),
            "applicant_name": name and name.value,
            "applicant_uscc": code if code and len(code) <= 18 else None,  # a misread longer one is no USCC
            "district": report["district"]}
