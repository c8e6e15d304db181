"""What intake produces: a package and its documents (frozen, picklable)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class FileType(str, Enum):
    """File type sniffed from the bytes, never from the name."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"
    BMP = "bmp"
    ZIP = "zip"
    UNKNOWN = "unknown"

    @property
    def is_image(self) -> bool:
        return self in (FileType.JPEG, FileType.PNG, FileType.TIFF, FileType.BMP)


@dataclass(frozen=True)
class Problem:
    """A problem that did not stop the run: shown to the officer in both languages.

    `code` is stable (for filtering and tests); `subject` names the file or page.
    """

    code: str
    message_zh: str
    message_en: str
    subject: str | None = None

    def __str__(self) -> str:
        where = f"{self.subject}: " if self.subject else ""
        return f"{where}{self.message_zh} ({self.message_en})"


@dataclass(frozen=True)
class Document:
    """One file of a package. `name` is its path inside the package (display name)."""

    name: str
    sha256: str
    size: int
    file_type: FileType
    problem: Problem | None = None

    @property
    def readable(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class Package:
    """A received package: its documents in a stable order, and what intake refused."""

    package_id: str
    source: str
    documents: tuple[Document, ...]
    received_at: datetime
    refusals: tuple[Problem, ...] = field(default_factory=tuple)
