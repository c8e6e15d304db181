"""The facts of one package: what each document is, what was declared, what was observed."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from extractors.facts.kinds import DocumentKind
from extractors.models import Evidence, Fact
from intake.models import Problem


@dataclass(frozen=True)
class PageInfo:
    """How one page was read, and where its viewer image is (set by the pipeline)."""

    number: int
    source: str
    engine: str | None
    mean_conf: float | None
    width: float | None
    height: float | None
    unit: str | None
    image_key: str | None = None
    image_size: tuple[int, int] | None = None  # viewer image pixels (width, height)
    problem: Problem | None = None


@dataclass(frozen=True)
class DocumentInfo:
    name: str
    sha256: str
    file_type: str
    kinds: tuple[DocumentKind, ...]
    pages: int
    sources: tuple[str, ...]  # per page: text_layer / ocr / docx / xlsx
    engines: tuple[str, ...]
    mean_conf: float | None
    problem: Problem | None
    title: Evidence | None = None
    page_info: tuple[PageInfo, ...] = ()

    @property
    def readable(self) -> bool:
        return self.problem is None or self.pages > 0


@dataclass(frozen=True)
class FactSet:
    documents: tuple[DocumentInfo, ...]
    declared: dict[str, Fact]
    observed: dict[str, Fact]
    extra: dict[str, Fact] = field(default_factory=dict)  # supporting readings: stated figures, other names, terms

    def kind(self) -> str | None:
        f = self.declared.get("application.kind") or self.extra.get("report.kind")
        return f.value if f else None

    def application_date(self) -> date | None:
        f = self.declared.get("application.date")
        return f.value if f else None

    def documents_of(self, kind: DocumentKind) -> list[DocumentInfo]:
        return [d for d in self.documents if kind in d.kinds]

    def value(self, section: str, name: str) -> Any:
        f = getattr(self, section).get(name)
        return None if f is None else f.value
