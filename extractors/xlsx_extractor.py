"""Excel (.xlsx) extractor: each non-empty sheet -> one page with a table and a line per row."""
from __future__ import annotations

import datetime as dt
import io
import logging
import zipfile

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from extractors.context import ExtractionContext
from extractors.models import Cell, ExtractedDocument, Line, Page, PageSource, Table
from extractors.text import normalize_text
from intake.models import Document, FileType, Problem

log = logging.getLogger(__name__)

MAX_ROWS = 20_000
MAX_COLS = 200


def display(value: object, number_format: str | None) -> str:
    """The value as the applicant saw it where it matters: 68.5%, 2016-03-18, 56 (not 56.0)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            pct = round(float(value) * 100, 6)
            decimals = len(number_format.split(".")[1].split("%")[0]) if "." in number_format else None
            text = f"{pct:.{decimals}f}" if decimals is not None else f"{pct:g}"
            return f"{text}%"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return f"{value:g}" if isinstance(value, float) and abs(value) < 1e15 else str(value)
    return normalize_text(str(value))


class XlsxExtractor:
    name = "xlsx"
    version = f"1 (openpyxl {openpyxl.__version__})"

    def handles(self, file_type: FileType) -> bool:
        return file_type is FileType.XLSX

    def extract(self, data: bytes, document: Document, ctx: ExtractionContext) -> ExtractedDocument:
        pages: list[Page] = []
        problem = None
        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
            problem = Problem("corrupt", "Excel文件损坏，无法读取", f"xlsx cannot be read: {exc}", document.name)
            return ExtractedDocument(document.name, document.sha256, (), self.name, problem)
        try:
            for ws in wb.worksheets:
                rows = []
                for row in ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS):
                    cells = [display(c.value, getattr(c, "number_format", None)) for c in row]
                    while cells and not cells[-1]:
                        cells.pop()
                    if cells:
                        rows.append(tuple(Cell(t) for t in cells))
                if (ws.max_row or 0) > MAX_ROWS:
                    problem = Problem("truncated", f"工作表“{ws.title}”超过{MAX_ROWS}行，仅读取前{MAX_ROWS}行",
                                      f"sheet {ws.title!r} has over {MAX_ROWS} rows; the rest was not read", document.name)
                if rows:
                    lines = tuple(Line(" | ".join(c.text for c in r if c.text)) for r in rows)
                    pages.append(Page(len(pages) + 1, PageSource.XLSX, lines, (Table(tuple(rows)),), engine=self.version))
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:  # truncated sheet parts fail lazily
            problem = Problem("corrupt", "Excel文件部分损坏", f"xlsx partly unreadable: {exc}", document.name)
        finally:
            wb.close()
        return ExtractedDocument(document.name, document.sha256, tuple(pages), self.name, problem)
