"""receive(): every refusal names the file and the limit; the rest of the package still arrives."""
from __future__ import annotations

import io
import os
import re
import stat
import struct
import warnings
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.archive import safe_name
from intake.errors import IntakeError, PrescreenIntakeError
from intake.limits import IntakeLimits
from intake.models import FileType
from intake.receive import ReceivedPackage, receive

LIMITS = IntakeLimits()


# --- synthetic files ---------------------------------------------------------------------

def pdf(pages: int = 1, encrypt: str | None = None) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=encrypt)
    for i in range(pages):
        c.drawString(72, 720, f"page {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def png(width: int, height: int) -> bytes:
    """A PNG header only: enough for Image.open, nothing to decode."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def small_png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return buf.getvalue()


def docx_bytes(document_xml: bytes | None = None) -> bytes:
    import docx

    buf = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("真实性声明")
    d.save(buf)
    if document_xml is None:
        return buf.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = document_xml if info.filename == "word/document.xml" else src.read(info)
            dst.writestr(info.filename, body)
    return out.getvalue()


def make_zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def gbk_zip(entries: dict[str, bytes]) -> bytes:
    """Names as GBK bytes without the UTF-8 flag, as Chinese Windows tools write them."""
    placeholders = {chr(ord("A") + i) * len(n.encode("gbk")): n for i, n in enumerate(entries)}
    data = make_zip({p: entries[n] for p, n in placeholders.items()})
    for placeholder, name in placeholders.items():
        data = data.replace(placeholder.encode(), name.encode("gbk"))  # local header + central directory
    return data


def receive_zip(tmp_path: Path, data: bytes, limits: IntakeLimits = LIMITS) -> ReceivedPackage:
    path = tmp_path / "package.zip"
    path.write_bytes(data)
    return receive(path, limits)


def codes(received: ReceivedPackage) -> dict[str, str]:
    """subject -> code for refusals and document problems."""
    out = {p.subject or "": p.code for p in received.package.refusals}
    out.update({d.name: d.problem.code for d in received.package.documents if d.problem})
    return out


# --- the package as a whole --------------------------------------------------------------

def test_folder_package(tmp_path: Path) -> None:
    (tmp_path / "附件" / "扫描").mkdir(parents=True)
    (tmp_path / "附件3 租赁合同.pdf").write_bytes(pdf())
    (tmp_path / "附件" / "扫描" / "scan0001.png").write_bytes(small_png())
    (tmp_path / "申请报告.docx").write_bytes(docx_bytes())
    r = receive(tmp_path, LIMITS)
    docs = r.package.documents
    assert [d.name for d in docs] == sorted(["附件3 租赁合同.pdf", "附件/扫描/scan0001.png", "申请报告.docx"])
    assert {d.name: d.file_type for d in docs}["附件/扫描/scan0001.png"] is FileType.PNG
    assert all(d.readable for d in docs) and not r.package.refusals
    assert set(r.payloads) == {d.sha256 for d in docs}
    assert len(r.package.package_id) == 32


def test_same_content_same_content_id_new_package_id(tmp_path: Path) -> None:
    data = make_zip({"a.pdf": pdf(), "b.png": small_png()})
    first, second = receive_zip(tmp_path, data), receive_zip(tmp_path, data)
    assert first.content_id == second.content_id
    assert first.package.package_id != second.package.package_id


@pytest.mark.parametrize(("make", "code"), [
    (lambda p: p / "missing", "path_missing"),
    (lambda p: (p / "a.pdf").write_bytes(pdf()) and p / "a.pdf", "not_a_package"),
    (lambda p: (p / "x.zip").write_bytes(b"PK\x03\x04garbage" * 10) and p / "x.zip", "archive_corrupt"),
])
def test_unreadable_packages_raise(tmp_path: Path, make, code: str) -> None:
    with pytest.raises(IntakeError) as exc:
        receive(make(tmp_path), LIMITS)
    assert exc.value.code == code and isinstance(exc.value, PrescreenIntakeError)
    assert exc.value.problem.message_zh and exc.value.problem.message_en


def test_too_many_entries(tmp_path: Path) -> None:
    data = make_zip({f"{i}.pdf": b"%PDF-1.4" for i in range(4)})
    with pytest.raises(IntakeError) as exc:
        receive_zip(tmp_path, data, IntakeLimits(max_files=3))
    assert exc.value.code == "too_many_files" and "3" in exc.value.problem.message_en


def test_package_over_total_size(tmp_path: Path) -> None:
    data = make_zip({"a.bin": os.urandom(4000), "b.bin": os.urandom(4000)}, zipfile.ZIP_STORED)
    with pytest.raises(IntakeError) as exc:
        receive_zip(tmp_path, data, IntakeLimits(max_total_bytes=6000))
    assert exc.value.code == "package_too_large"


# --- zip entries -------------------------------------------------------------------------

def test_gbk_names_are_decoded(tmp_path: Path) -> None:
    r = receive_zip(tmp_path, gbk_zip({"附件3 租赁合同.pdf": pdf(), "申报材料/营业执照.png": small_png()}))
    assert [d.name for d in r.package.documents] == ["申报材料/营业执照.png", "附件3 租赁合同.pdf"]


def test_utf8_flagged_names_kept(tmp_path: Path) -> None:
    r = receive_zip(tmp_path, make_zip({"附件1 申请表.pdf": pdf()}))
    assert r.package.documents[0].name == "附件1 申请表.pdf"


@pytest.mark.parametrize("name", ["../evil.pdf", "/etc/evil.pdf", "a/../../evil.pdf", "C:/evil.pdf",
                                  "C:\\Windows\\evil.pdf", "..\\evil.pdf"])
def test_path_traversal_refused(tmp_path: Path, name: str) -> None:
    r = receive_zip(tmp_path, make_zip({name: pdf(), "ok.pdf": pdf()}))
    assert [d.name for d in r.package.documents] == ["ok.pdf"]
    (refusal,) = r.package.refusals
    assert refusal.code == "unsafe_path" and refusal.subject


@given(st.text(alphabet="ab./\\:C", max_size=12))
def test_safe_name_never_escapes(raw: str) -> None:
    name = safe_name(raw)
    if name is not None:
        parts = name.split("/")
        assert ".." not in parts and "" not in parts and not re.match(r"^[A-Za-z]:", name)


def test_symlink_entry_refused(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("link.pdf")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("ok.pdf", pdf())
    r = receive_zip(tmp_path, buf.getvalue())
    assert codes(r) == {"link.pdf": "symlink"}
    assert [d.name for d in r.package.documents] == ["ok.pdf"]


def test_zip_bomb_refused_by_ratio(tmp_path: Path) -> None:
    r = receive_zip(tmp_path, make_zip({"bomb.pdf": b"\0" * (20 * 1024 * 1024), "ok.pdf": pdf()}))
    (refusal,) = r.package.refusals
    assert refusal.code == "zip_bomb" and refusal.subject == "bomb.pdf" and "200" in refusal.message_en
    assert [d.name for d in r.package.documents] == ["ok.pdf"]


def test_nested_archives_unpacked_to_depth(tmp_path: Path) -> None:
    level3 = make_zip({"deep.pdf": pdf()})
    level2 = make_zip({"c.zip": level3, "two.pdf": pdf(2)})
    level1 = make_zip({"b.zip": level2, "one.pdf": pdf(3)})
    r = receive_zip(tmp_path, make_zip({"a.zip": level1, "top.pdf": pdf(4)}))
    assert [d.name for d in r.package.documents] == ["a.zip/b.zip/two.pdf", "a.zip/one.pdf", "top.pdf"]
    (refusal,) = r.package.refusals
    assert refusal.code == "archive_too_deep" and refusal.subject == "a.zip/b.zip/c.zip"


def test_os_junk_skipped_but_recorded(tmp_path: Path) -> None:
    r = receive_zip(tmp_path, make_zip({"__MACOSX/._a.pdf": b"x", "a.pdf": pdf(), ".DS_Store": b"x",
                                        "sub/Thumbs.db": b"x", "~$申请表.docx": b"x"}))
    assert [d.name for d in r.package.documents] == ["a.pdf"]
    assert {n.subject for n in r.notes if n.code == "os_junk"} == {
        "__MACOSX/._a.pdf", ".DS_Store", "sub/Thumbs.db", "~$申请表.docx"}
    assert not r.package.refusals


# --- per-document checks -----------------------------------------------------------------

def test_document_problems(tmp_path: Path) -> None:
    files = {
        "empty.pdf": b"",
        "notes.txt": "说明".encode(),
        "locked.pdf": pdf(encrypt="secret"),
        "huge.png": png(100_000, 100_000),  # 1e10 pixels: PIL's own bomb error
        "big.png": png(8000, 8000),  # 64 MP: over 60 MP, under PIL's hard 2x
        "xxe.docx": docx_bytes(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                               b"<w:document>&x;</w:document>"),
        "laughs.docx": docx_bytes(b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
                                  b'<!ENTITY b "&a;&a;&a;&a;">]><w:document>&b;</w:document>'),
        "broken.docx": docx_bytes()[:-200],  # central directory cut off
        "broken.pdf": b"%PDF-1.4\nnot really",
        "good.docx": docx_bytes(),
        "good.pdf": pdf(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    r = receive(tmp_path, LIMITS)
    assert codes(r) == {
        "empty.pdf": "empty_file", "notes.txt": "unsupported_type", "locked.pdf": "pdf_encrypted",
        "huge.png": "image_too_large", "big.png": "image_too_large", "xxe.docx": "office_xml_dtd",
        "laughs.docx": "office_xml_dtd", "broken.docx": "office_corrupt", "broken.pdf": "pdf_corrupt",
    }
    by_name = {d.name: d for d in r.package.documents}
    assert "64000000" in by_name["big.png"].problem.message_en
    assert "word/document.xml" in by_name["xxe.docx"].problem.message_zh
    assert by_name["xxe.docx"].problem.subject == "xxe.docx"
    assert set(r.payloads) == {by_name["good.docx"].sha256, by_name["good.pdf"].sha256}


def test_pdf_page_and_file_size_limits(tmp_path: Path) -> None:
    (tmp_path / "long.pdf").write_bytes(pdf(5))
    (tmp_path / "large.pdf").write_bytes(pdf(1) + b"\n%" + b"x" * 5000)
    r = receive(tmp_path, IntakeLimits(max_pdf_pages=4, max_file_bytes=4000))
    by_name = {d.name: d for d in r.package.documents}
    assert by_name["long.pdf"].problem.code == "pdf_too_many_pages"
    assert by_name["large.pdf"].problem.code == "file_too_large"
    assert by_name["large.pdf"].file_type is FileType.PDF and by_name["large.pdf"].size > 4000
    assert by_name["large.pdf"].sha256 not in r.payloads


def test_duplicate_content_noted(tmp_path: Path) -> None:
    data = pdf()
    r = receive_zip(tmp_path, make_zip({"a.pdf": data, "copy/a.pdf": data}))
    assert len(r.package.documents) == 2 and len(r.payloads) == 1
    (note,) = [n for n in r.notes if n.code == "duplicate_content"]
    assert note.subject == "copy/a.pdf" and "a.pdf" in note.message_en


def test_folder_symlinks_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "outside.pdf"
    secret.write_bytes(pdf())
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.pdf").write_bytes(pdf())
    (pkg / "link.pdf").symlink_to(secret)
    (pkg / "linkdir").symlink_to(tmp_path)
    r = receive(pkg, LIMITS)
    assert [d.name for d in r.package.documents] == ["a.pdf"]
    assert codes(r) == {"link.pdf": "symlink", "linkdir": "symlink"}


def test_limits_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESCREEN_INTAKE_MAX_FILES", "7")
    assert IntakeLimits().max_files == 7
    assert IntakeLimits().max_file_bytes == 50 * 1024 * 1024


def test_corrupt_encrypted_and_duplicate_entries(tmp_path: Path) -> None:
    data = bytearray(make_zip({"crc.pdf": b"%PDF-1.4 " + b"x" * 100, "ok.pdf": pdf()}, zipfile.ZIP_STORED))
    data[data.find(b"xxxx")] = ord("y")  # body no longer matches its CRC
    buf = io.BytesIO(bytes(data))
    with zipfile.ZipFile(buf, "a") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate on purpose
        zf.writestr("locked.pdf", b"secret")
        zf.writestr("ok.pdf", pdf(2))  # same name twice
    out = bytearray(buf.getvalue())
    local = out.find(b"locked.pdf")
    central = out.find(b"locked.pdf", local + 1)
    out[local - 30 + 6] |= 0x1  # general-purpose flag bit 0: encrypted (zipfile will not write it)
    out[central - 46 + 8] |= 0x1
    buf = io.BytesIO(bytes(out))
    r = receive_zip(tmp_path, buf.getvalue())
    assert codes(r) == {"crc.pdf": "entry_corrupt", "locked.pdf": "entry_encrypted", "ok.pdf": "duplicate_name"}
    assert [d.name for d in r.package.documents] == ["ok.pdf"]
