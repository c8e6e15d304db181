"""The extraction cache: one result per (document content, its extractor's version, the settings it reads).

A re-check of the same files, a new rule set, or a redelivered task finds the result here and does
no OCR again; writing the same entry twice writes the same key and upserts the same row.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

from celery.exceptions import SoftTimeLimitExceeded

from extractors import serialize
from extractors.context import ExtractionContext
from extractors.models import ExtractedDocument
from extractors.registry import EXTRACTORS
from intake.models import Document, FileType
from storage.keys import derived_key
from storage.objects import ObjectStore
from storage.repository import Repository

_VERSION_COLUMN = 64  # extractions.extractor_version is String(64)


# Extractors that never OCR: a new OCR pipeline or other OCR settings leave their results valid.
OCR_FREE = frozenset({"docx", "xlsx"})


def extractor_version() -> str:
    """All extractors' versions: what a report names, and what the facts cache depends on."""
    return "+".join(f"{e.name}-{e.version}" for e in EXTRACTORS)


def document_version(doc: Document) -> str:
    """The version of the one extractor that reads this document: a new OCR pipeline re-extracts scans,
    photos and PDFs, not the .docx and .xlsx files beside them."""
    return _type_version(doc.file_type)


def _type_version(file_type: FileType) -> str:
    extractor = next((e for e in EXTRACTORS if e.handles(file_type)), None)
    return f"{extractor.name}-{extractor.version}" if extractor else "none"


def index_key(file_type: FileType, ctx: ExtractionContext) -> tuple[str, str]:
    """(extractor_version, settings_hash) as the cache index holds them for a document of this type."""
    version = _type_version(file_type)
    return _column(version), _settings_digest(ctx, ocr=version.split("-", 1)[0] not in OCR_FREE)


def _settings_digest(ctx: ExtractionContext, ocr: bool = True) -> str:
    """The settings that can change a result: none for an extractor that never OCRs."""
    relevant = {k: v for k, v in asdict(ctx).items() if k not in ("jobs", "page_timeout_s")} if ocr else {}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:16]


def _column(full: str) -> str:
    """A version as the cache row holds it: the column takes 64 characters (PostgreSQL enforces it), so a
    longer one keeps a readable start and a hash of the whole."""
    if len(full) <= _VERSION_COLUMN:
        return full
    return f"{full[:_VERSION_COLUMN - 17]}~{hashlib.sha256(full.encode()).hexdigest()[:16]}"


def cache_version() -> str:
    return _column(extractor_version())


def settings_hash(ctx: ExtractionContext, doc: Document | None = None) -> str:
    """The extraction settings that can change a result (for `doc`: only those its extractor reads)."""
    return index_key(doc.file_type, ctx)[1] if doc is not None else _settings_digest(ctx)


def unreadable(doc: Document) -> ExtractedDocument:
    """What a document intake refused (or kept no bytes of) contributes: no pages, its problem."""
    return ExtractedDocument(doc.name, doc.sha256, (), "none", doc.problem)


def cached(doc: Document, ctx: ExtractionContext, store: ObjectStore, repo: Repository) -> ExtractedDocument | None:
    row = repo.get_extraction(doc.sha256, *index_key(doc.file_type, ctx))
    if row is None or not row.blob_key or not store.exists(row.blob_key):
        return None
    return replace(serialize.loads(store.get(row.blob_key)), name=doc.name)


def save(doc: Document, blob: bytes, ctx: ExtractionContext, store: ObjectStore,
         repo: Repository) -> ExtractedDocument:
    """Store a fresh extraction (serialize.dumps bytes) and index it; returns it under the document's name."""
    extracted = serialize.loads(blob)
    refuse_interrupted(extracted)
    version, shash = document_version(doc), settings_hash(ctx, doc)
    key = derived_key(doc.sha256, "extraction", hashlib.sha256(version.encode()).hexdigest()[:16], f"{shash}.json")
    store.put(key, blob, "application/json")
    repo.save_extraction(doc.sha256, _column(version), shash, blob_key=key)
    return replace(extracted, name=doc.name)


def refuse_interrupted(extracted: ExtractedDocument) -> None:
    """Celery's soft time limit raises inside the extractor, whose catch-all turns it into an
    `extractor_error` problem; caching that would make the timeout permanent, so raise it again."""
    problem = extracted.problem
    if problem is not None and problem.code == "extractor_error" and "SoftTimeLimitExceeded" in problem.message_en:
        raise SoftTimeLimitExceeded(problem.message_en)
