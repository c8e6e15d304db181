"""The extractor Protocol, the ordered list of extractors, and `extract_document`.

Call sites never branch on file types: the first extractor that handles the type wins.
`extract_document` never raises for bad input; trouble is reported as `problem`.
"""
from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

from extractors.context import ExtractionContext
from extractors.docx_extractor import DocxExtractor
from extractors.image import ImageExtractor
from extractors.models import ExtractedDocument
from extractors.pdf import PdfExtractor
from extractors.xlsx_extractor import XlsxExtractor
from intake.models import Document, FileType, Problem

log = logging.getLogger(__name__)


@runtime_checkable
class DocumentExtractor(Protocol):
    name: str
    version: str

    def handles(self, file_type: FileType) -> bool: ...

    def extract(self, data: bytes, document: Document, ctx: ExtractionContext) -> ExtractedDocument: ...


EXTRACTORS: list[DocumentExtractor] = [
    PdfExtractor(),
    DocxExtractor(),
    XlsxExtractor(),
    ImageExtractor(),
]


def extract_document(data: bytes, document: Document, ctx: ExtractionContext) -> ExtractedDocument:
    def failed(problem: Problem, extractor: str = "none") -> ExtractedDocument:
        return ExtractedDocument(document.name, document.sha256, (), extractor, problem)

    if not data:
        return failed(Problem("empty", "文件为空", "the file is empty", document.name))
    extractor = next((e for e in EXTRACTORS if e.handles(document.file_type)), None)
    if extractor is None:
        return failed(Problem("unsupported_type", f"不支持的文件类型：{document.file_type.value}",
                              f"unsupported file type: {document.file_type.value}", document.name))
    try:
        return extractor.extract(data, document, ctx)
    except Exception as exc:  # last line of defence: a parser bug must not stop the package
        log.exception("extractor %s crashed on %s", extractor.name, document.name)
        return failed(Problem("extractor_error", "文件解析出错，需人工查看", f"{extractor.name} failed: {exc!r}",
                              document.name), extractor.name)
