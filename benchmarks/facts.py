"""SPEC facts read from one page, and scored against the generator's truth.

Facts are read in the benchmark's main process, after the timed OCR and outside the workers'
memory figures: they are the same readers whichever engine produced the text. A bare engine's
text is given to them as one OCR page of plain lines (no boxes, no tables), which is all it has.
Scoring is prescreen.accuracy's comparison (same tolerances as the accuracy command).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from extractors.facts.assemble import assemble
from extractors.models import ExtractedDocument, Line, Page, PageSource
from extractors.text import normalize_text
from intake.models import Document, FileType
from prescreen.accuracy import fact_equal

from .samples import Sample

EXTRA_FACTS = ("report.smes_stated", "report.date", "declaration.name", "declaration.date")
FILE_TYPES = {".png": FileType.PNG, ".jpg": FileType.JPEG, ".jpeg": FileType.JPEG, ".tif": FileType.TIFF}


def _json(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def facts_of(ex: ExtractedDocument) -> dict[str, Any]:
    """Facts our readers find in one extracted document, keyed section:name, values as JSON."""
    doc = Document(ex.name, ex.sha256, 0, FILE_TYPES.get(Path(ex.name).suffix.lower(), FileType.UNKNOWN))
    fs = assemble([(doc, ex)])
    out = {f"declared:{k}": _json(f.value) for k, f in fs.declared.items()}
    out.update({f"observed:{k}": _json(f.value) for k, f in fs.observed.items()})
    out.update({f"extra:{k}": _json(fs.extra[k].value) for k in EXTRA_FACTS if k in fs.extra})
    return out


def facts_of_text(name: str, text: str) -> dict[str, Any]:
    lines = tuple(Line(t) for t in (normalize_text(s) for s in text.splitlines()) if t)
    return facts_of(ExtractedDocument(name, "0" * 64, (Page(1, PageSource.OCR, lines, engine="bare"),), "bare"))


def score(sample: Sample, read: dict[str, Any]) -> tuple[tuple[str, bool], ...]:
    """(label "doc_type fact", right?) for each fact the sample's document carries."""
    return tuple((f"{sample.doc_type} {f.name}", fact_equal(f.name, read.get(f.key), f.want, list(f.alts)))
                 for f in sample.facts)
