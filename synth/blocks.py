"""Abstract content blocks shared by the docx, PDF and xlsx renderers."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 0  # 0 = document title


@dataclass(frozen=True)
class Para:
    text: str
    align: str = "left"  # left / center / right
    indent: bool = False


@dataclass(frozen=True)
class Table:
    rows: list[list[str]]
    header_rows: int = 1
    widths: list[float] = field(default_factory=list)  # relative
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    lines: str = "grid"
    repeat_header: bool = True


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass(frozen=True)
class Seal:
    org: str  # red round seal drawn over the preceding lines


@dataclass(frozen=True)
class Signature:
    name: str


@dataclass(frozen=True)
class Doc:
    title: str
    blocks: list
