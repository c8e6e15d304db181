"""Text lines tesseract skipped inside table cells: found by their ink, read by RapidOCR.

With --psm 6 tesseract reads a ruled table as one block of lines. In a row where some cells hold
two lines (a wrapped credit code, "2020年1" over "月6日", a 序号 "1" over "0") beside cells with one
centred line, it follows one baseline through the row and drops the other line of the two-line
cells altogether: no word, no box, nothing for the cascade to re-read. Here each grid cell's ink
is cut into text lines by its inked rows; a line no word overlaps is read by RapidOCR's recogniser
and added to the tesseract line through that row, so the cell then holds both of its lines.
Lists without rules get their cells from the blank strips between their columns and rows.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

import numpy as np

from extractors import imaging
from extractors.models import BBox, Cell, Line, Table, Word
from extractors.tables import group_into_lines, make_line, split_runs
from extractors.text import normalize_text

CELL_INSET = 0.15  # character heights kept clear of a cell's rules (their remains read as 丨 or 1)
ROW_GAP = 0.12  # character heights of blank rows that separate two text lines in a cell
MIN_HEIGHT = 0.45  # character heights: inked rows lower than this are specks or an underline
MIN_WIDTH = 0.12  # character heights: narrower ink is a speck (a "1" is ~0.2)
COVERED = 0.4  # share of a line's height a word's box must overlap for the line to count as read
MIN_SCORE = 0.8  # RapidOCR's reading of a lost line is kept from this score
DOUBLE_OVERLAP = 0.6  # of the lower height: two readings this much on the same rows are of the same ink ...
DOUBLE_SIMILAR = 0.8  # ... when their texts are this alike

ALIGN_GAP = 1.5  # character heights: a gap this wide between words splits a line of a list without rules
COLUMN_GAP = 0.6  # character heights: a blank strip this wide down all the list's rows is a column gap

Reader = Callable[[list[BBox]], list[tuple[str, float]]]


def unruled_grids(binary: np.ndarray, lines: Sequence[Line], ch: float) -> list[Table]:
    """Lists without rules as grids of empty cells, for `recover` to look for lost lines in.

    Tesseract drops the lines of two-line cells here as in ruled tables (a wrapped name and code
    gone, the row read as "6小型财税代理2000市场价"). A run of lines split by wide gaps is a list;
    its columns are where the ink of all its rows leaves a blank strip between (the gaps tesseract's
    words leave vary from row to row). Each column and line gets a cell: across, to the middle of
    the blank strips; down, to the blank strip between it and the lines above and below nearest half
    way (the lost lines sit a fraction of a character above and below the row's line).
    """
    grids = []
    for span in split_runs(lines, ALIGN_GAP * ch):
        rows = [lines[i] for i in span if lines[i].bbox is not None]
        if len(rows) < 2:
            continue
        mids = [_middle(ln) for ln in rows]
        pitch = float(np.median(np.diff(mids)))
        left = min(ln.bbox.x0 for ln in rows if ln.bbox)
        right = max(ln.bbox.x1 for ln in rows if ln.bbox)
        inked = (binary[:, max(0, int(left)):int(right) + 1] < 128).any(axis=1)
        cuts = [mids[0] - pitch / 2] + [_row_cut(inked, a, b) for a, b in zip(mids, mids[1:], strict=False)] \
            + [mids[-1] + pitch / 2]
        edges = _column_edges(binary, (left, cuts[0], right, cuts[-1]), ch)
        if len(edges) < 4:  # fewer than three columns: no list
            continue
        cells = tuple(tuple(Cell("", BBox(edges[k], cuts[r], edges[k + 1], cuts[r + 1])) for k in range(len(edges) - 1))
                      for r in range(len(rows)))
        grids.append(Table(cells, BBox(edges[0], cuts[0], edges[-1], cuts[-1])))
    return grids


def _row_cut(inked: np.ndarray, upper: float, lower: float) -> float:
    """Between two rows' line centres: the middle of the blank strip across the list nearest half way
    (a row's wrapped lines reach almost half way to the next row's centre); half way if none."""
    a, b = max(0, int(upper)), min(len(inked), int(lower) + 1)
    half = (upper + lower) / 2
    blank = np.flatnonzero(~inked[a:b])
    if not len(blank):
        return half
    strips = np.split(blank, np.flatnonzero(np.diff(blank) > 1) + 1)
    best = min(strips, key=lambda g: abs(a + (g[0] + g[-1]) / 2 - half))
    return a + (best[0] + best[-1]) / 2


def _column_edges(binary: np.ndarray, box: tuple[float, float, float, float], ch: float) -> list[float]:
    """x of the list's outer edges and of the middle of each blank strip at least COLUMN_GAP wide."""
    h, w = binary.shape[:2]
    x0, y0 = max(0, int(box[0] - ch)), max(0, int(box[1]))
    x1, y1 = min(w, int(box[2] + ch)), min(h, int(box[3]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return []
    blank = ~(binary[y0:y1, x0:x1] < 128).any(axis=0)
    edges = [float(box[0] - ch / 2)]
    runs = np.flatnonzero(np.diff(np.concatenate(([0], blank.astype(np.int8), [0]))))
    for a, b in zip(runs[::2], runs[1::2], strict=True):
        if b - a >= COLUMN_GAP * ch and a > 0 and b < len(blank):
            edges.append(x0 + (a + b) / 2)
    edges.append(float(box[2] + ch / 2))
    return edges


def lost_boxes(prep: imaging.Prepared, tables: Sequence[Table], words: Sequence[Word]) -> list[tuple[BBox, BBox]]:
    """(box, its cell's box) of each text line inside the tables' cells that no word covers (prepared pixels)."""
    ch = prep.char_h
    boxes = [w.bbox for w in words if w.bbox]
    out = []
    for table in tables:
        for row in table.rows:
            for cell in row:
                if cell.bbox is not None:
                    out += [(b, cell.bbox) for b in _uncovered(prep.ocr_image, cell.bbox, boxes, ch)]
    return out


def _uncovered(binary: np.ndarray, cell: BBox, boxes: list[BBox], ch: float) -> list[BBox]:
    inset = CELL_INSET * ch
    x0, y0 = max(0, int(cell.x0 + inset)), max(0, int(cell.y0 + inset))
    x1, y1 = min(binary.shape[1], int(cell.x1 - inset)), min(binary.shape[0], int(cell.y1 - inset))
    if x1 - x0 < MIN_WIDTH * ch or y1 - y0 < MIN_HEIGHT * ch:
        return []
    ink = binary[y0:y1, x0:x1] < 128
    rows = np.flatnonzero(ink.any(axis=1))
    if not len(rows):
        return []
    inside = [b for b in boxes if x0 <= (b.x0 + b.x1) / 2 <= x1 and y0 - ch <= (b.y0 + b.y1) / 2 <= y1 + ch]
    out = []
    for g in np.split(rows, np.flatnonzero(np.diff(rows) > max(1.0, ROW_GAP * ch)) + 1):
        top, bottom = y0 + int(g[0]), y0 + int(g[-1]) + 1
        if bottom - top < MIN_HEIGHT * ch:
            continue
        cols = np.flatnonzero(ink[g[0]:g[-1] + 1].any(axis=0))
        left, right = x0 + int(cols[0]), x0 + int(cols[-1]) + 1
        if right - left < MIN_WIDTH * ch:
            continue
        if any(min(b.y1, bottom) - max(b.y0, top) >= COVERED * (bottom - top) for b in inside):
            continue
        out.append(BBox(float(left), float(top), float(right), float(bottom)))
    return out


def recover(prep: imaging.Prepared, lines: list[Line], tables: Sequence[Table], read: Reader) -> tuple[list[Line], int]:
    """`lines` with the table cells' lost lines added (read by `read`); and how many were added.

    A reading joins the line through its cell's row whose centre is nearest (the row's tesseract
    line), else it is a line of its own. Text the cell's words already hold is not added twice.
    """
    words = [w for ln in lines for w in ln.words]
    lost = lost_boxes(prep, tables, words)
    if not lost:
        return lines, 0
    extra: dict[int, list[Word]] = {}
    alone = []
    for (box, cell), (raw, score) in zip(lost, read([b for b, _ in lost]), strict=True):
        text = normalize_text(raw).strip()
        if score < MIN_SCORE or not any(c.isalnum() for c in text) or _already_read(text, box, words, prep.char_h):
            continue
        word = Word(text, box, round(score, 4))
        cy = (box.y0 + box.y1) / 2
        through = [i for i, ln in enumerate(lines) if ln.bbox and cell.y0 <= (ln.bbox.y0 + ln.bbox.y1) / 2 <= cell.y1]
        if through:
            extra.setdefault(min(through, key=lambda i: abs(_middle(lines[i]) - cy)), []).append(word)
        else:
            alone.append(word)
    added = sum(map(len, extra.values())) + len(alone)
    if not added:
        return lines, 0
    out = [stacked_line([*ln.words, *extra[i]]) if i in extra else ln for i, ln in enumerate(lines)]
    out += [stacked_line([w]) for w in alone]
    out.sort(key=_middle)
    return out, added


def _middle(line: Line) -> float:
    return (line.bbox.y0 + line.bbox.y1) / 2 if line.bbox else 0.0


def _already_read(text: str, box: BBox, words: Sequence[Word], ch: float) -> bool:
    """Some word beside the box (same cell) already holds this text: a box tesseract put off its ink."""
    key = text.replace(" ", "")
    near = "".join(w.text.replace(" ", "") for w in words if w.bbox and w.bbox.x0 < box.x1 and box.x0 < w.bbox.x1
                   and w.bbox.y0 < box.y1 + 2 * ch and box.y0 - 2 * ch < w.bbox.y1)
    return len(key) >= 2 and key in near


def drop_double_reads(lines: list[Line], tables: Sequence[Table]) -> list[Line]:
    """One table cell's text read into two neighbouring lines kept only in the line nearer to it.

    A name centred in a two-line row lies around both of the row's lines; the cascade re-reads each
    line's segment from the ink around the line's words, so both can come back with the name, and the
    cell then reads "宁波X有限公司宁波X有限公司". Only words inside the tables' cells are looked at: in a
    list without rules the rows are read from the lines, and the row's own line needs its name.
    """
    cells = [c.bbox for t in tables for r in t.rows for c in r if c.bbox]
    out = [list(ln.words) for ln in lines]
    for i in range(len(out) - 1):
        for w in list(out[i + 1]):
            if not _in_any(w, cells):
                continue
            twins = _twins(w, out[i])
            if not twins:
                continue
            box = w.bbox
            assert box is not None
            cy = (box.y0 + box.y1) / 2
            # The nearer line keeps the cell; the fuller reading of the two is what it keeps (a licence's code
            # read whole on one line and as "130211886698" on a ghost line across its lower half).
            if abs(_centre(out[i + 1]) - cy) > abs(_centre(out[i]) - cy):
                out[i + 1].remove(w)
                if _fuller(twins, [w]) == [w]:
                    out[i] = sorted([x for x in out[i] if x not in twins] + [w], key=_left)
            else:
                out[i] = [x for x in out[i] if x not in twins]
                if _fuller([w], twins) == twins:
                    out[i + 1] = sorted([x for x in out[i + 1] if x is not w] + twins, key=_left)
    return [ln if list(ln.words) == ws else make_line(ws) for ln, ws in zip(lines, out, strict=True) if ws]


def _fuller(a: list[Word], b: list[Word]) -> list[Word]:
    """Of two readings of the same ink, the one with more characters (`a` at equal length)."""
    def chars(ws: list[Word]) -> int:
        return len("".join(w.text for w in ws).replace(" ", ""))

    return b if chars(b) > chars(a) else a


def _left(w: Word) -> float:
    return w.bbox.x0 if w.bbox else 0.0


def _in_any(w: Word, boxes: list[BBox]) -> bool:
    b = w.bbox
    if b is None:
        return False
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    return any(c.x0 <= cx <= c.x1 and c.y0 <= cy <= c.y1 for c in boxes)


def _twins(w: Word, others: list[Word]) -> list[Word]:
    """The words of `others` that read the same ink as `w` (within its span, on its rows, same text)."""
    b = w.bbox
    if b is None or len(w.text.replace(" ", "")) < 2:
        return []
    inside = [o for o in others if o.bbox and b.x0 <= (o.bbox.x0 + o.bbox.x1) / 2 <= b.x1]
    around = BBox.around([o.bbox for o in inside if o.bbox])
    if around is None:
        return []
    rows = min(b.y1, around.y1) - max(b.y0, around.y0)
    if rows < DOUBLE_OVERLAP * min(b.y1 - b.y0, around.y1 - around.y0):
        return []
    text = "".join(o.text for o in inside).replace(" ", "")
    return inside if SequenceMatcher(None, text, w.text.replace(" ", "")).ratio() >= DOUBLE_SIMILAR else []


def _centre(words: list[Word]) -> float:
    box = BBox.around([w.bbox for w in words if w.bbox])
    return (box.y0 + box.y1) / 2 if box else 0.0


def stacked_line(words: Sequence[Word]) -> Line:
    """One line from words some of which sit one above the other in a cell: read column by column
    (words whose spans overlap across), each column top to bottom, so a wrapped cell reads in order."""
    ws = sorted((w for w in words if w.bbox), key=lambda w: w.bbox.x0)  # type: ignore[union-attr]
    columns: list[list[Word]] = []
    right = -1e9
    width = 0.0  # of the column's narrowest word
    for w in ws:
        b = w.bbox
        assert b is not None
        if columns and min(right, b.x1) - b.x0 > 0.3 * min(width, b.x1 - b.x0):
            columns[-1].append(w)  # overlaps the column by a third of the narrower: a code's tail under its head
            right, width = max(right, b.x1), min(width, b.x1 - b.x0)
        else:
            columns.append([w])
            right, width = b.x1, b.x1 - b.x0
    ordered = [w for col in columns for ln in group_into_lines(col) for w in ln.words]
    text = normalize_text(" ".join(w.text for w in ordered))
    confs = [w.conf for w in ordered if w.conf is not None]
    return Line(text, BBox.around([w.bbox for w in ordered if w.bbox]), sum(confs) / len(confs) if confs else None,
                tuple(ordered))
