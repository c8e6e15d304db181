"""ExtractedDocument <-> JSON, for the extraction cache (JSON, never pickle: the store is not trusted code)."""
from __future__ import annotations

import json
from typing import Any

from extractors.models import BBox, Cell, ExtractedDocument, Line, Page, PageSource, Table, Word
from intake.models import Problem


def _bbox(b: Any) -> BBox | None:
    return BBox(*b) if b else None


def _problem(p: dict[str, Any] | None) -> Problem | None:
    return Problem(**p) if p else None


def _problem_dict(p: Problem | None) -> dict[str, Any] | None:
    return None if p is None else {"code": p.code, "message_zh": p.message_zh, "message_en": p.message_en,
                                   "subject": p.subject}


def dumps(doc: ExtractedDocument) -> bytes:
    def words(ws):
        return [[w.text, list(w.bbox) if w.bbox else None, w.conf] for w in ws]

    pages = []
    for p in doc.pages:
        pages.append({
            "number": p.number, "source": p.source.value, "width": p.width, "height": p.height, "unit": p.unit,
            "engine": p.engine, "mean_conf": p.mean_conf, "image_key": p.image_key,
            "image_size": list(p.image_size) if p.image_size else None, "problem": _problem_dict(p.problem),
            "lines": [[ln.text, list(ln.bbox) if ln.bbox else None, ln.conf, words(ln.words)] for ln in p.lines],
            "tables": [{"bbox": list(t.bbox) if t.bbox else None,
                        "rows": [[[c.text, list(c.bbox) if c.bbox else None, c.conf, c.colspan] for c in r]
                                 for r in t.rows]} for t in p.tables],
        })
    obj = {"name": doc.name, "sha256": doc.sha256, "extractor": doc.extractor, "problem": _problem_dict(doc.problem),
           "pages": pages}
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes) -> ExtractedDocument:
    obj = json.loads(data.decode("utf-8"))
    pages = []
    for p in obj["pages"]:
        lines = tuple(Line(t, _bbox(b), c, tuple(Word(wt, _bbox(wb), wc) for wt, wb, wc in ws))
                      for t, b, c, ws in p["lines"])
        tables = tuple(Table(rows=tuple(tuple(Cell(ct, _bbox(cb), cc, span) for ct, cb, cc, span in r)
                                        for r in t["rows"]), bbox=_bbox(t["bbox"])) for t in p["tables"])
        pages.append(Page(number=p["number"], source=PageSource(p["source"]), lines=lines, tables=tables,
                          width=p["width"], height=p["height"], unit=p["unit"], engine=p["engine"],
                          mean_conf=p["mean_conf"], image_key=p["image_key"],
                          image_size=tuple(p["image_size"]) if p.get("image_size") else None,  # type: ignore[arg-type]
                          problem=_problem(p["problem"])))
    return ExtractedDocument(name=obj["name"], sha256=obj["sha256"], pages=tuple(pages), extractor=obj["extractor"],
                             problem=_problem(obj["problem"]))
