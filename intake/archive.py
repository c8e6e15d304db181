"""Unpack a folder or .zip into raw entries, inside the limits; never trusts names or sizes.

Refused entries become Problems; only package-wide failures raise IntakeError.
"""
from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from intake.errors import fmt_bytes, intake_error, problem
from intake.limits import IntakeLimits
from intake.models import FileType, Problem
from intake.sniff import sniff

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
HEAD_BYTES = 64 * 1024  # kept for sniffing files too large to keep whole
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1
_UNIX = 3
_UNICODE_PATH_EXTRA = 0x7075
# Folders and OS junk do not count as files, but the walk itself must stay bounded.
_RAW_ENTRY_FACTOR = 10
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_JUNK_DIRS = {"__macosx"}
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Entry:
    """One file read from the package. `data` is None when over the per-file limit."""

    name: str
    sha256: str
    size: int
    head: bytes
    data: bytes | None


@dataclass
class Unpacked:
    """What one walk produced (mutable while walking; receive() freezes it)."""

    limits: IntakeLimits
    entries: list[Entry] = field(default_factory=list)
    refusals: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    total_bytes: int = 0
    raw_entries: int = 0

    def count_file(self) -> None:
        if len(self.entries) >= self.limits.max_files:
            raise intake_error("too_many_files", limit=self.limits.max_files)

    def count_raw(self) -> None:
        self.raw_entries += 1
        if self.raw_entries > self.limits.max_files * _RAW_ENTRY_FACTOR:
            raise intake_error("too_many_files", limit=self.limits.max_files)

    def add_bytes(self, n: int) -> None:
        self.total_bytes += n
        if self.total_bytes > self.limits.max_total_bytes:
            raise intake_error("package_too_large", limit=fmt_bytes(self.limits.max_total_bytes))


def unpack(path: Path, limits: IntakeLimits) -> Unpacked:
    """Read every acceptable file of the folder or zip at `path`."""
    out = Unpacked(limits)
    if not path.exists():
        raise intake_error("path_missing", str(path))
    if path.is_dir():
        _walk_folder(path, "", out)
        return out
    if not path.is_file():
        raise intake_error("not_a_package", str(path))
    with path.open("rb") as f:
        head = f.read(8)
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        raise intake_error("not_a_package", path.name)
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise intake_error("archive_corrupt", path.name) from exc
    with zf:
        _walk_zip(zf, "", 0, out)
    return out


def is_junk(name: str) -> bool:
    parts = name.lower().split("/")
    base = parts[-1]
    return (any(p in _JUNK_DIRS for p in parts) or base in _JUNK_NAMES
            or base.startswith(("~$", "._")))  # Office lock files, AppleDouble forks


# --- folders -------------------------------------------------------------------------------

def _walk_folder(folder: Path, prefix: str, out: Unpacked) -> None:
    with os.scandir(folder) as it:
        items = sorted(it, key=lambda e: e.name)
    for item in items:
        out.count_raw()
        name = prefix + item.name
        if item.is_symlink():  # never followed: it could point anywhere on the server
            out.refusals.append(problem("symlink", name))
        elif item.is_dir(follow_symlinks=False):
            if is_junk(name + "/x"):
                out.skipped.append(name + "/")
            else:
                _walk_folder(Path(item.path), name + "/", out)
        elif not item.is_file(follow_symlinks=False):
            out.refusals.append(problem("not_regular_file", name))
        elif is_junk(name):
            out.skipped.append(name)
        else:
            out.count_file()
            # O_NOFOLLOW: the file may have been swapped for a symlink since scandir looked.
            try:
                fd = os.open(item.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except OSError:
                out.refusals.append(problem("symlink" if os.path.islink(item.path) else "not_regular_file", name))
                continue
            with os.fdopen(fd, "rb") as f:
                _accept(name, f, 0, out, compressed=None)


# --- zips ----------------------------------------------------------------------------------

def _walk_zip(zf: zipfile.ZipFile, prefix: str, depth: int, out: Unpacked) -> None:
    limits = out.limits
    infos = zf.infolist()
    if len(infos) > limits.max_files * _RAW_ENTRY_FACTOR:
        raise intake_error("too_many_files", limit=limits.max_files)
    seen: set[str] = set()
    for info in infos:
        out.count_raw()
        raw_name = entry_name(info)
        if info.is_dir():
            continue
        safe = safe_name(raw_name)
        if safe is None:
            out.refusals.append(problem("unsafe_path", prefix + raw_name))
            continue
        name = prefix + safe
        if is_junk(safe):
            out.skipped.append(name)
        elif info.create_system == _UNIX and stat.S_ISLNK(info.external_attr >> 16):
            out.refusals.append(problem("symlink", name))
        elif info.flag_bits & _ENCRYPTED_FLAG:
            out.refusals.append(problem("entry_encrypted", name))
        elif name in seen:
            out.refusals.append(problem("duplicate_name", name))
        elif (ratio := _ratio(info.file_size, info.compress_size, limits)) is not None:
            out.refusals.append(problem("zip_bomb", name, ratio=ratio, limit=limits.max_compression_ratio))
        else:
            seen.add(name)
            out.count_file()
            if out.total_bytes + info.file_size > limits.max_total_bytes:
                raise intake_error("package_too_large", limit=fmt_bytes(limits.max_total_bytes))
            try:
                with zf.open(info) as f:
                    _accept(name, f, depth, out, compressed=info.compress_size)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as exc:
                log.debug("entry %r unreadable: %s", name, exc)
                out.refusals.append(problem("entry_corrupt", name))


def _ratio(size: int, compressed: int, limits: IntakeLimits) -> str | None:
    """Formatted ratio when it is over the limit (bomb), else None."""
    if size <= limits.ratio_floor_bytes:
        return None
    ratio = size / max(compressed, 1)
    return f"{ratio:.0f}" if ratio > limits.max_compression_ratio else None


def entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's real name: Info-ZIP Unicode path, UTF-8 flag, else GBK (Chinese Windows tools)."""
    unicode_path = _unicode_path_extra(info)
    if unicode_path is not None:
        return unicode_path
    if info.flag_bits & _UTF8_FLAG:
        return info.filename
    raw = info.orig_filename.encode("cp437")  # zipfile decoded the raw bytes as cp437
    for encoding in ("utf-8", "gb18030"):  # gb18030 is a superset of GBK/CP936
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return info.filename


def _unicode_path_extra(info: zipfile.ZipInfo) -> str | None:
    extra, i = info.extra, 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, i)
        body = extra[i + 4:i + 4 + size]
        i += 4 + size
        if tag == _UNICODE_PATH_EXTRA and len(body) > 5 and body[0] == 1:
            (crc,) = struct.unpack_from("<I", body, 1)
            # Only valid while it still describes the header name it was written for.
            if crc == zlib.crc32(info.orig_filename.encode("cp437", "replace")):
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return None
    return None


def safe_name(raw: str) -> str | None:
    """POSIX path inside the package, or None when it would escape it."""
    name = raw.replace("\\", "/")
    if not name or name.startswith("/") or any(ord(c) < 32 for c in name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts or _DRIVE.match(parts[0]):  # "./C:/x" is still a drive path
        return None
    return "/".join(parts)


# --- reading one file ----------------------------------------------------------------------

def _accept(name: str, f: IO[bytes], depth: int, out: Unpacked, compressed: int | None) -> None:
    """Read one file within the limits; unpack it when it is a nested archive."""
    limits = out.limits
    digest, size, chunks, keep = hashlib.sha256(), 0, list[bytes](), True
    head = b""
    while chunk := f.read(CHUNK):
        size += len(chunk)
        out.add_bytes(len(chunk))
        # Declared sizes were checked; this catches entries that lie about them.
        if compressed is not None and (ratio := _ratio(size, compressed, limits)) is not None:
            out.refusals.append(problem("zip_bomb", name, ratio=ratio, limit=limits.max_compression_ratio))
            return
        digest.update(chunk)
        if len(head) < HEAD_BYTES:
            head += chunk[:HEAD_BYTES - len(head)]
        if keep and size > limits.max_file_bytes:
            keep, chunks = False, []
        if keep:
            chunks.append(chunk)
    data = b"".join(chunks) if keep else None
    if data is not None and sniff(data) is FileType.ZIP:
        _nested(name, data, depth + 1, out)
        return
    out.entries.append(Entry(name=name, sha256=digest.hexdigest(), size=size, head=head, data=data))


def _nested(name: str, data: bytes, depth: int, out: Unpacked) -> None:
    if depth > out.limits.max_archive_depth:
        out.refusals.append(problem("archive_too_deep", name, limit=out.limits.max_archive_depth))
        return
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        out.refusals.append(problem("nested_archive_corrupt", name))
        return
    with zf:
        _walk_zip(zf, name + "/", depth, out)
