"""The whole check as one readable function: intake → storage → extraction → facts → rules → report.

Documents are extracted in parallel processes (one per core, tesseract single-
threaded inside each: its own threading halves speed on 2 cores). Extraction
results are cached by (document sha256, extractor versions, extraction settings),
so a re-check of the same files, or a new rule set, does no OCR again.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from extractors import serialize
from extractors.context import ExtractionContext
from extractors.facts.assemble import assemble
from extractors.models import ExtractedDocument
from extractors.registry import EXTRACTORS, extract_document
from intake.models import Document
from intake.receive import ReceivedPackage, receive
from prescreen import __version__
from prescreen.report import build_report
from prescreen.settings import AppSettings
from prescreen.viewer_images import with_page_images
from storage.keys import derived_key, original_key, report_content_key
from storage.objects import ObjectStore
from storage.repository import Repository
from storage.settings import open_object_store, open_repository
from validators.engine import assess
from validators.ruleset import load_ruleset, ruleset_for

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def extractor_version() -> str:
    return "+".join(f"{e.name}-{e.version}" for e in EXTRACTORS)


def settings_hash(ctx: ExtractionContext) -> str:
    relevant = {k: v for k, v in asdict(ctx).items() if k not in ("jobs", "page_timeout_s")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def _extract_job(args: tuple[bytes, Document, ExtractionContext]) -> bytes:
    data, doc, ctx = args
    return serialize.dumps(extract_document(data, doc, ctx))


def extract_all(received: ReceivedPackage, ctx: ExtractionContext, store: ObjectStore, repo: Repository,
                progress: Progress) -> list[tuple[Document, ExtractedDocument]]:
    version, shash = extractor_version(), settings_hash(ctx)
    results: dict[str, ExtractedDocument] = {}
    todo: list[Document] = []
    for doc in received.package.documents:
        if doc.sha256 in results:
            continue
        if doc.problem is not None or doc.sha256 not in received.payloads:
            results[doc.sha256] = ExtractedDocument(doc.name, doc.sha256, (), "none", doc.problem)
            continue
        cached = repo.get_extraction(doc.sha256, version, shash)
        if cached is not None and cached.blob_key and store.exists(cached.blob_key):
            results[doc.sha256] = replace(serialize.loads(store.get(cached.blob_key)), name=doc.name)
            progress(f"{doc.name}：已有提取结果（缓存） / cached")
            continue
        todo.append(doc)
    if todo:
        jobs = min(ctx.jobs, len(todo))
        # Pages run serially inside a document job when documents themselves run in parallel.
        inner = replace(ctx, jobs=1) if jobs > 1 else ctx
        args = [(received.payloads[d.sha256], d, inner) for d in todo]
        if jobs > 1:
            with ProcessPoolExecutor(jobs) as pool:
                blobs = list(_with_progress(pool.map(_extract_job, args), todo, progress))
        else:
            blobs = list(_with_progress(map(_extract_job, args), todo, progress))
        for doc, blob in zip(todo, blobs):
            key = derived_key(doc.sha256, "extraction", hashlib.sha256(version.encode()).hexdigest()[:16],
                              f"{shash}.json")
            store.put(key, blob, "application/json")
            repo.save_extraction(doc.sha256, version, shash, blob_key=key)
            results[doc.sha256] = serialize.loads(blob)
    return [(d, replace(results[d.sha256], name=d.name)) for d in received.package.documents]


def _with_progress(it, docs: list[Document], progress: Progress):
    for i, (doc, blob) in enumerate(zip(docs, it), 1):
        progress(f"[{i}/{len(docs)}] {doc.name}：提取完成 / extracted")
        yield blob


def check_package(path: Path, settings: AppSettings, declared: dict[str, Any] | None = None,
                  declared_name: str = "declared.json", ruleset_id: str | None = None,
                  progress: Progress = lambda _msg: None) -> dict[str, Any]:
    received = receive(path, settings.intake)
    package = received.package
    store = open_object_store(settings.storage)
    repo = open_repository(settings.storage)
    repo.save_package(package, received.content_id)
    for doc in package.documents:
        data = received.payloads.get(doc.sha256)
        if data is not None:
            store.put_if_absent(original_key(doc.sha256), data)
    progress(f"收到 {len(package.documents)} 个文件 / received {len(package.documents)} files")
    attempt = repo.claim(package.package_id)  # received -> extracting, under a checked transition
    try:
        ctx = settings.extraction_context()
        extracted = with_page_images(received, extract_all(received, ctx, store, repo, progress), ctx, store)
        repo.transition(package.package_id, "checking", attempt=attempt)
        facts = assemble(extracted, declared, declared_name)
        for doc in facts.documents:
            repo.set_detected_kinds(package.package_id, doc.name, [k.value for k in doc.kinds])
        ruleset = load_ruleset(ruleset_id) if ruleset_id else ruleset_for(facts.application_date())
        assessment = assess(facts, ruleset)
        report = build_report(package, facts, assessment, ruleset, received.notes,
                              versions={"prescreen": __version__, "extractors": extractor_version()})
        text = json.dumps(report, ensure_ascii=False, sort_keys=True).encode("utf-8")
        key = report_content_key(package.package_id, hashlib.sha256(text).hexdigest()[:16])
        store.put(key, text, "application/json")
        repo.save_report(package.package_id, report, assessment.verdict.value, ruleset.id, key)
        uscc = facts.observed.get("applicant.uscc") or facts.declared.get("applicant.uscc")
        name = facts.observed.get("applicant.name") or facts.declared.get("applicant.name")
        repo.transition(package.package_id, "done", attempt=attempt, application_kind=report["application_kind"],
                        application_date=facts.application_date(), applicant_name=name and name.value,
                        applicant_uscc=uscc and uscc.value, district=report["district"])
        return report
    except Exception as exc:
        repo.transition(package.package_id, "failed", reason=repr(exc)[:500], attempt=attempt)
        raise
