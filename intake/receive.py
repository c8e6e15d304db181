"""receive(): a folder or .zip becomes a Package of typed Documents plus their bytes."""
from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import IO
from xml.sax import SAXException
from xml.sax.handler import ContentHandler

import pypdfium2 as pdfium
from defusedxml.common import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser
from PIL import Image, UnidentifiedImageError

from intake.archive import Entry, unpack
from intake.errors import fmt_bytes, problem
from intake.limits import IntakeLimits
from intake.models import Document, FileType, Package, Problem
from intake.sniff import sniff

log = logging.getLogger(__name__)

_PDFIUM_LOCK = threading.Lock()  # PDFium is not thread-safe
_MAX_OFFICE_PARTS = 10_000
_PROLOG_MAX = 1024 * 1024  # a DOCTYPE must come before the root element; padding past this is hostile
_XML_CHUNK = 16 * 1024
_BOMB_PIXELS = re.compile(r"\((\d+) pixels\)")


@dataclass(frozen=True)
class ReceivedPackage:
    """The package plus the bytes of each readable document (sha256 -> bytes).

    `notes` records what was accepted but is worth knowing: skipped OS junk, duplicate content.
    """

    package: Package
    payloads: Mapping[str, bytes]
    notes: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def content_id(self) -> str:
        return content_id(self.package.documents)


def content_id(documents: Iterable[Document]) -> str:
    """sha256 over the sorted (name, sha256) pairs: identical packages get the same id."""
    pairs = sorted((d.name, d.sha256) for d in documents)
    return hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()


def receive(path: Path, limits: IntakeLimits) -> ReceivedPackage:
    """Receive the folder or .zip at `path`; raises IntakeError only if it cannot be read as a whole."""
    path = Path(path)
    # Downstream decoders (extractors) get the same bound; PIL reads it at open time.
    Image.MAX_IMAGE_PIXELS = limits.max_image_pixels
    unpacked = unpack(path, limits)
    documents: list[Document] = []
    payloads: dict[str, bytes] = {}
    for entry in sorted(unpacked.entries, key=lambda e: e.name):
        doc = _document(entry, limits)
        documents.append(doc)
        if doc.readable and entry.data is not None:
            payloads[doc.sha256] = entry.data
    notes = [problem("os_junk", name) for name in sorted(unpacked.skipped)]
    notes += _duplicates(documents)
    package = Package(
        package_id=uuid.uuid4().hex,
        source=str(path),
        documents=tuple(documents),
        received_at=datetime.now(UTC),
        refusals=tuple(unpacked.refusals),
    )
    log.info("received package %s: %d documents (%d unreadable), %d refused, %d notes",
             package.package_id, len(documents), sum(not d.readable for d in documents),
             len(package.refusals), len(notes))
    return ReceivedPackage(package=package, payloads=MappingProxyType(payloads), notes=tuple(notes))


def _duplicates(documents: list[Document]) -> list[Problem]:
    first: dict[str, str] = {}
    notes = []
    for doc in documents:
        if doc.size == 0:
            continue  # every empty file has the same hash; already flagged as empty
        if doc.sha256 in first:
            notes.append(problem("duplicate_content", doc.name, other=first[doc.sha256]))
        else:
            first[doc.sha256] = doc.name
    return notes


def _document(entry: Entry, limits: IntakeLimits) -> Document:
    file_type = sniff(entry.data if entry.data is not None else entry.head)
    found = check(entry.data, entry.size, file_type, limits)
    if found is not None:
        found = Problem(found.code, found.message_zh, found.message_en, subject=entry.name)
    return Document(name=entry.name, sha256=entry.sha256, size=entry.size, file_type=file_type, problem=found)


def check(data: bytes | None, size: int, file_type: FileType, limits: IntakeLimits) -> Problem | None:
    """The per-document checks; `data` is None when the file was too large to keep."""
    if size == 0:
        return problem("empty_file")
    if data is None or size > limits.max_file_bytes:
        return problem("file_too_large", size=fmt_bytes(size), limit=fmt_bytes(limits.max_file_bytes))
    if file_type is FileType.PDF:
        return _check_pdf(data, limits)
    if file_type.is_image:
        return _check_image(data, limits)
    if file_type in (FileType.DOCX, FileType.XLSX):
        return _check_office(data, limits)
    return problem("unsupported_type")


def _check_pdf(data: bytes, limits: IntakeLimits) -> Problem | None:
    with _PDFIUM_LOCK:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
                return problem("pdf_encrypted")
            return problem("pdf_corrupt")
        try:
            pages = len(pdf)
        finally:
            pdf.close()
    if pages > limits.max_pdf_pages:
        return problem("pdf_too_many_pages", pages=pages, limit=limits.max_pdf_pages)
    return None


def _check_image(data: bytes, limits: IntakeLimits) -> Problem | None:
    """Pixel count from the header only: Image.open does not decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                width, height = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        m = _BOMB_PIXELS.search(str(exc))
        return problem("image_too_large", pixels=m.group(1) if m else "?", limit=limits.max_image_pixels)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return problem("image_corrupt")
    if width * height > limits.max_image_pixels:
        return problem("image_too_large", pixels=width * height, limit=limits.max_image_pixels)
    return None


def _check_office(data: bytes, limits: IntakeLimits) -> Problem | None:
    """Refuse DTD/ENTITY declarations (XXE, billion laughs) and bomb parts; never expands entities."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return problem("office_corrupt")
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_OFFICE_PARTS:
            return problem("office_corrupt")
        for info in infos:
            # Office readers inflate whole parts: bound them like package entries.
            if info.file_size > max(limits.ratio_floor_bytes, 1) and (
                    info.file_size / max(info.compress_size, 1) > limits.max_compression_ratio
                    or info.file_size > limits.max_total_bytes):
                return problem("office_zip_bomb", part=info.filename)
            if not info.filename.lower().endswith((".xml", ".rels")):
                continue
            try:
                with zf.open(info) as f:
                    verdict = _xml_declares_dtd(f)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError):
                return problem("office_corrupt")
            if verdict is None:
                return problem("office_corrupt")
            if verdict:
                return problem("office_xml_dtd", part=info.filename)
    return None


class _RootReached(Exception):
    """Raised at the first element: no DTD can follow, stop reading."""


class _StopAtRoot(ContentHandler):
    def startElement(self, name: str, attrs: object) -> None:  # noqa: N802 - SAX API
        raise _RootReached

    def startElementNS(self, name: object, qname: object, attrs: object) -> None:  # noqa: N802
        raise _RootReached


def _xml_declares_dtd(stream: IO[bytes]) -> bool | None:
    """True if the prolog declares a DOCTYPE/ENTITY, False if not, None if the prolog is hostile."""
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(_StopAtRoot())
    read = 0
    try:
        while chunk := stream.read(_XML_CHUNK):
            read += len(chunk)
            if read > _PROLOG_MAX:
                return None
            parser.feed(chunk)
        parser.close()
    except _RootReached:
        return False
    except DefusedXmlException:
        return True
    except SAXException:
        return False  # malformed XML is the extractor's concern, not a security one
    return False
