"""Sniff a file's type from its bytes: names never decide the type."""
from __future__ import annotations

import io
import zipfile

from intake.models import FileType

_PDF_SEARCH = 1024  # readers accept junk before %PDF within the first KiB
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # local header, or empty archive's end record
_DOCX_PART = "word/document.xml"
_XLSX_PART = "xl/workbook.xml"


def sniff(data: bytes) -> FileType:
    """Return the type of `data` from its magic bytes (and the zip directory for OOXML)."""
    head = data[:_PDF_SEARCH]
    if b"%PDF-" in head:
        return FileType.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return FileType.TIFF
    if head.startswith(b"BM") and len(head) >= 26:
        return FileType.BMP
    if head.startswith(_ZIP_MAGICS):
        return _sniff_zip(data)
    return FileType.UNKNOWN


def _sniff_zip(data: bytes) -> FileType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        # Damaged directory: the local headers still name the parts, so a broken .docx is
        # reported as a broken .docx rather than as an unreadable archive.
        if _DOCX_PART.encode() in data:
            return FileType.DOCX
        if _XLSX_PART.encode() in data:
            return FileType.XLSX
        return FileType.ZIP
    if _DOCX_PART in names:
        return FileType.DOCX
    if _XLSX_PART in names:
        return FileType.XLSX
    return FileType.ZIP
