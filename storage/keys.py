"""Object keys: one layout for every store, validated so no key leaves its root."""
from __future__ import annotations

import re

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SEGMENT = re.compile(r"^[^/\\\x00-\x1f]+$")


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative key ('a/b/c'), else raise ValueError."""
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") or not _SEGMENT.match(p) for p in parts):
        raise ValueError(f"unsafe object key: {key!r}")
    if any(p.startswith(".tmp-") for p in parts):  # reserved for LocalObjectStore's temp files
        raise ValueError(f"reserved object key: {key!r}")
    return key


def _sha(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise ValueError(f"not a lowercase sha256 hex digest: {sha256!r}")
    return sha256


def _segment(value: str, what: str) -> str:
    if value in (".", "..") or not _SEGMENT.match(value):
        raise ValueError(f"unsafe {what} for an object key: {value!r}")
    return value


def original_key(sha256: str) -> str:
    """Content-addressed original: originals/ab/abcdef… (fan-out keeps listings short)."""
    sha = _sha(sha256)
    return f"originals/{sha[:2]}/{sha}"


def derived_key(sha256: str, kind: str, version: str, name: str) -> str:
    """An artefact derived from an original, e.g. derived/ab/abc…/ocr/tesseract-5.3/page-1.json."""
    sha = _sha(sha256)
    return (f"derived/{sha[:2]}/{sha}/{_segment(kind, 'kind')}/{_segment(version, 'version')}/"
            f"{_segment(name, 'name')}")


def report_key(package_id: str, report_version: int) -> str:
    if report_version < 1:
        raise ValueError(f"report version must be >= 1: {report_version}")
    return f"reports/{_segment(package_id, 'package id')}/v{report_version}.json"


def report_content_key(package_id: str, digest: str) -> str:
    """A report stored under its own content hash: writing the same report twice is one object."""
    return f"reports/{_segment(package_id, 'package id')}/{_segment(digest, 'digest')}.json"
