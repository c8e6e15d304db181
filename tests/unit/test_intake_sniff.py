"""sniff(): the type comes from the bytes, never from the name."""
from __future__ import annotations

import io
import zipfile

import pytest

from intake.models import FileType
from intake.sniff import sniff


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, b"<x/>")
    return buf.getvalue()


@pytest.mark.parametrize(("data", "expected"), [
    (b"%PDF-1.7\n...", FileType.PDF),
    (b"\xef\xbb\xbfjunk %PDF-1.4\n", FileType.PDF),  # leading junk before the header is tolerated
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", FileType.JPEG),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", FileType.PNG),
    (b"II*\x00\x08\x00\x00\x00", FileType.TIFF),
    (b"MM\x00*\x00\x00\x00\x08", FileType.TIFF),
    (b"BM" + b"\x00" * 40, FileType.BMP),
    (b"", FileType.UNKNOWN),
    (b"hello, world", FileType.UNKNOWN),
    (b"PK\x05\x06" + b"\x00" * 18, FileType.ZIP),
])
def test_magic_bytes(data: bytes, expected: FileType) -> None:
    assert sniff(data) is expected


def test_zip_based_types_from_their_parts() -> None:
    assert sniff(_zip("[Content_Types].xml", "word/document.xml")) is FileType.DOCX
    assert sniff(_zip("[Content_Types].xml", "xl/workbook.xml")) is FileType.XLSX
    assert sniff(_zip("a.pdf", "b.jpg")) is FileType.ZIP


def test_damaged_docx_is_still_a_docx() -> None:
    data = _zip("[Content_Types].xml", "word/document.xml")
    broken = data[: data.rfind(b"PK\x01\x02")]  # central directory cut off
    assert sniff(broken) is FileType.DOCX


def test_real_office_files() -> None:
    import docx
    import openpyxl

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("申请报告")
    d.save(buf)
    assert sniff(buf.getvalue()) is FileType.DOCX
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    assert sniff(buf.getvalue()) is FileType.XLSX
