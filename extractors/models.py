"""What extraction produces: pages, lines, words, tables; facts and their evidence.

Coordinates are in page units: PDF points for text-layer pages, pixels of the
page image for OCR pages (`Page.unit` says which). Confidences are 0..1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple

from intake.models import Problem


class BBox(NamedTuple):
    x0: float
    y0: float
    x1: float
    y1: float

    def union(self, other: BBox) -> BBox:
        return BBox(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))

    @staticmethod
    def around(boxes: list[BBox]) -> BBox | None:
        it = [b for b in boxes if b is not None]
        if not it:
            return None
        out = it[0]
        for b in it[1:]:
            out = out.union(b)
        return out


class PageSource(str, Enum):
    """How a page's text was obtained (decided and recorded per page)."""

    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    DOCX = "docx"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Word:
    text: str
    bbox: BBox | None = None
    conf: float | None = None


@dataclass(frozen=True)
class Line:
    """A visual line (or a docx paragraph / table row) in reading order."""

    text: str
    bbox: BBox | None = None
    conf: float | None = None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Cell:
    text: str
    bbox: BBox | None = None
    conf: float | None = None
    colspan: int = 1


@dataclass(frozen=True)
class Table:
    """Rows of cells; a merged cell appears once, with its colspan."""

    rows: tuple[tuple[Cell, ...], ...]
    bbox: BBox | None = None

    def texts(self) -> list[list[str]]:
        return [[c.text for c in r] for r in self.rows]


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    source: PageSource
    lines: tuple[Line, ...] = ()
    tables: tuple[Table, ...] = ()
    width: float | None = None
    height: float | None = None
    unit: str | None = None  # "pt" | "px" | None (docx/xlsx have no geometry)
    engine: str | None = None  # e.g. "pdfplumber 0.11.10", "tesseract 5.3.0"
    mean_conf: float | None = None
    image_key: str | None = None  # object-store key of the rendered page image, when stored
    image_size: tuple[int, int] | None = None  # that image's pixels (width, height)
    problem: Problem | None = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class ExtractedDocument:
    name: str
    sha256: str
    pages: tuple[Page, ...]
    extractor: str
    problem: Problem | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(p.text for p in self.pages)


@dataclass(frozen=True)
class Evidence:
    """Where a value was read: the officer's way back to the page (docling's ProvenanceItem)."""

    document: str
    page: int | None
    text: str
    bbox: BBox | None = None
    char_span: tuple[int, int] | None = None
    confidence: float | None = None
    source: PageSource | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "page": self.page,
            "text": self.text,
            "bbox": list(self.bbox) if self.bbox else None,
            "char_span": list(self.char_span) if self.char_span else None,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "source": self.source.value if self.source else None,
        }


@dataclass(frozen=True)
class Fact:
    """A value with the evidence it was read from. `value` is normalised (date, int, float, str, tuple)."""

    name: str
    value: Any
    evidence: tuple[Evidence, ...] = ()
    confidence: float | None = None
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict, compare=False)
