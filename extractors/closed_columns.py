"""Scanned table columns whose cells come from a closed vocabulary, re-read cell by cell.

A client list's size column holds only 微型/小型/中型/大型 (or 微/小/中/大) and its public-welfare
column only 是/否. OCR on photos loses or garbles a few such short cells ("型", "4凶"), and one lost
size moves the small/micro share. A column is taken as closed when most of its cells are words of
one vocabulary; each other cell of a data row is cropped over the column's width and re-read by
RapidOCR, then by tesseract allowed only the vocabulary's characters. A re-reading replaces the
cell only when it is a word of the vocabulary, with the engine's confidence (a weak one still
sends the fact to review).
"""
from __future__ import annotations

import logging
import re
from statistics import median

from extractors import imaging
from extractors.context import ExtractionContext
from extractors.engines import EngineError
from extractors.engines import rapidocr as rapid
from extractors.engines import tesseract as tess
from extractors.models import BBox, Cell, Table
from extractors.text import normalize_text

log = logging.getLogger(__name__)

VOCABULARIES = (
    frozenset({"微型", "小型", "中型", "大型", "微", "小", "中", "大"}),
    frozenset({"是", "否"}),
)
MIN_HITS = 2  # cells of the vocabulary before a column counts as closed ...
MIN_SHARE = 0.6  # ... and their share of the column's cells in data rows
PAD = 0.3  # character heights added around the column's width and the row's height
SURE_OTHER = 0.8  # RapidOCR this sure of a word outside the vocabulary: not forced into it
RESTRICTED_TIMEOUT_S = 5.0
_DIGIT = re.compile(r"\d")


def _word(text: str) -> str:
    return re.sub(r"\s+", "", normalize_text(text))


def closed_columns(prep: imaging.Prepared, table: Table, ctx: ExtractionContext, threads: int = 1) -> Table:
    """The table (prepared-image coordinates) with misread cells of closed columns re-read."""
    rows = [list(r) for r in table.rows]
    todo = [(i, col, box, vocab) for col, vocab in _closed(rows) for i, box in _misread(rows, col, vocab, prep.char_h)
            if not _cut_glyph(prep, box)]
    if not todo:
        return table
    try:
        read = rapid.recognize_lines(prep.clean_gray, [box for _, _, box, _ in todo], threads,
                                     pad=round(PAD * prep.char_h))
    except EngineError as exc:
        log.warning("RapidOCR unusable for closed columns: %s", exc)
        read = [("", 0.0)] * len(todo)
    for (i, col, box, vocab), (raw, score) in zip(todo, read, strict=True):
        text, conf = _word(raw), score
        if text not in vocab and not (score >= SURE_OTHER and text):
            text, conf = _restricted(prep, box, vocab, ctx)
        if text in vocab:
            rows[i][col] = Cell(text, box, round(conf, 4), rows[i][col].colspan)
    return Table(tuple(tuple(r) for r in rows), table.bbox)


def _closed(rows: list[list[Cell]]) -> list[tuple[int, frozenset[str]]]:
    width = max((len(r) for r in rows), default=0)
    out = []
    for col in range(width):
        texts = [_word(r[col].text) for r in rows if col < len(r) and _data_row(r, col)]
        for vocab in VOCABULARIES:
            hits = sum(t in vocab for t in texts)
            if hits >= MIN_HITS and hits >= MIN_SHARE * len(texts):
                out.append((col, vocab))
    return out


def _data_row(row: list[Cell], col: int) -> bool:
    """A digit in some other cell (serial, code, date, amount): headers have none."""
    return any(_DIGIT.search(c.text) for k, c in enumerate(row) if k != col)


def _misread(rows: list[list[Cell]], col: int, vocab: frozenset[str], char_h: float) -> list[tuple[int, BBox]]:
    """Data rows whose cell in `col` is not a vocabulary word, with the box to re-read: the column's
    width, the row's height."""
    hits = [r[col].bbox for r in rows if col < len(r) and r[col].bbox and _word(r[col].text) in vocab]
    if not hits:
        return []
    pad = PAD * char_h
    x0, x1 = min(b.x0 for b in hits) - pad, max(b.x1 for b in hits) + pad
    out = []
    for i, r in enumerate(rows):
        if col >= len(r) or _word(r[col].text) in vocab or r[col].colspan != 1:
            continue
        if not _data_row(r, col):
            continue
        ys = [c.bbox for c in r if c.bbox]
        if not ys:
            continue
        y0, y1 = median(b.y0 for b in ys), median(b.y1 for b in ys)
        out.append((i, BBox(x0, y0 - pad / 2, x1, y1 + pad / 2)))
    return out


def _cut_glyph(prep: imaging.Prepared, box: BBox) -> bool:
    """Ink on the box's top or bottom edge: a glyph centred between two lines of a wrapped row,
    whose half would read as a word of this row and count the client twice."""
    h, w = prep.ocr_image.shape[:2]
    x0, y0, x1, y1 = max(0, int(box.x0)), max(0, int(box.y0)), min(w, int(box.x1)), min(h, int(box.y1))
    if x1 - x0 < 2 or y1 - y0 < 3:
        return True
    ink = prep.ocr_image[y0:y1, x0:x1] < 128
    return bool(ink[0].any() or ink[-1].any())


def _restricted(prep: imaging.Prepared, box: BBox, vocab: frozenset[str], ctx: ExtractionContext) -> tuple[str, float]:
    h, w = prep.clean_gray.shape[:2]
    x0, y0, x1, y1 = max(0, int(box.x0)), max(0, int(box.y0)), min(w, int(box.x1)), min(h, int(box.y1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return "", 0.0
    crop = prep.ocr_image[y0:y1, x0:x1]
    try:
        text, conf = tess.read_restricted(crop, ctx.lang, "".join(sorted(set("".join(vocab)))), RESTRICTED_TIMEOUT_S)
    except EngineError as exc:
        log.debug("restricted re-read failed: %s", exc)
        return "", 0.0
    return _word(text), conf
