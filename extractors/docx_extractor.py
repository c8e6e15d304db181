"""Word (.docx) extractor: body paragraphs and tables in document order, text boxes included."""
from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator

import docx
from docx.oxml.ns import qn
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from lxml import etree

from extractors.context import ExtractionContext
from extractors.models import Cell, ExtractedDocument, Line, Page, PageSource, Table
from extractors.text import normalize_text
from intake.models import Document, FileType, Problem

log = logging.getLogger(__name__)

_TXBX = qn("w:txbxContent")
# Word stores each text box twice (DrawingML choice + VML fallback): read the choice only.
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


class DocxExtractor:
    name = "docx"
    version = f"1 (python-docx {getattr(docx, '__version__', '?')})"

    def handles(self, file_type: FileType) -> bool:
        return file_type is FileType.DOCX

    def extract(self, data: bytes, document: Document, ctx: ExtractionContext) -> ExtractedDocument:
        try:
            d = docx.Document(io.BytesIO(data))
            lines: list[Line] = []
            tables: list[Table] = []
            _walk(d.element.body, d, lines, tables)
        except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError, OSError) as exc:
            # python-docx raises these for truncated zips, missing parts and broken XML.
            problem = Problem("corrupt", "Word文件损坏，无法读取", f"docx cannot be read: {exc}", document.name)
            return ExtractedDocument(document.name, document.sha256, (), self.name, problem)
        page = Page(1, PageSource.DOCX, tuple(lines), tuple(tables), engine=self.version)
        return ExtractedDocument(document.name, document.sha256, (page,), self.name)


def _walk(parent: etree._Element, d: object, lines: list[Line], tables: list[Table]) -> None:
    for child in parent.iterchildren():
        if child.tag == qn("w:p"):
            p = Paragraph(child, d)  # type: ignore[arg-type]
            if text := normalize_text(p.text):
                lines.append(Line(text))
            for box in child.iter(_TXBX):  # text boxes sit inside runs of the paragraph
                if not any(a.tag in (_FALLBACK, _TXBX) for a in box.iterancestors()):
                    _walk(box, d, lines, tables)
        elif child.tag == qn("w:tbl"):
            _table(DocxTable(child, d), d, lines, tables)  # type: ignore[arg-type]
        elif child.tag == qn("w:sdt"):  # content controls wrap ordinary paragraphs/tables
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                _walk(content, d, lines, tables)


def _unique_cells(row: object) -> Iterator[tuple[object, int]]:
    """Cells of a row, a horizontally merged cell once (python-docx repeats it per grid column)."""
    cells = row.cells  # type: ignore[attr-defined]
    k = 0
    while k < len(cells):
        tc = cells[k]._tc
        span = 1
        while k + span < len(cells) and cells[k + span]._tc is tc:
            span += 1
        yield cells[k], span
        k += span


def _cell_text(cell: object, d: object, lines: list[Line], tables: list[Table]) -> str:
    parts = [p.text for p in cell.paragraphs]  # type: ignore[attr-defined]
    for nested in cell.tables:  # type: ignore[attr-defined]
        _table(nested, d, lines, tables)  # nested tables are flattened into the body
    return normalize_text(" ".join(parts))


def _table(t: DocxTable, d: object, lines: list[Line], tables: list[Table]) -> None:
    rows = []
    seen_above: set[object] = set()  # lxml elements hash by identity; holding them keeps proxies stable
    for row in t.rows:
        cells = []
        for cell, span in _unique_cells(row):
            tc = cell._tc  # type: ignore[attr-defined]
            # A vertically merged cell is the same _tc in the rows below: keep it in its first row only.
            text = "" if tc in seen_above else _cell_text(cell, d, lines, tables)
            seen_above.add(tc)
            cells.append(Cell(text, colspan=span))
        if any(c.text for c in cells):
            rows.append(tuple(cells))
            lines.append(Line(" | ".join(c.text for c in cells if c.text)))
    if rows:
        tables.append(Table(tuple(rows)))
