"""Layout helpers: words -> lines, ruled grids -> tables, aligned rows -> tables.

Works in any unit (PDF points or pixels); callers pass words with boxes.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from extractors.models import BBox, Cell, Line, Table, Word
from extractors.text import normalize_text


def join_words(words: Sequence[Word]) -> str:
    return normalize_text(" ".join(w.text for w in words))


def _mean_conf(words: Sequence[Word]) -> float | None:
    confs = [w.conf for w in words if w.conf is not None]
    return sum(confs) / len(confs) if confs else None


def make_line(words: Sequence[Word]) -> Line:
    ws = tuple(sorted(words, key=lambda w: w.bbox.x0 if w.bbox else 0))
    return Line(join_words(ws), BBox.around([w.bbox for w in ws if w.bbox]), _mean_conf(ws), ws)


def group_into_lines(words: Sequence[Word]) -> list[Line]:
    """Words whose vertical extents overlap by half the smaller height share a visual line."""
    rows: list[list[Word]] = []
    spans: list[tuple[float, float]] = []
    for w in sorted((w for w in words if w.bbox), key=lambda w: (w.bbox.y0, w.bbox.x0)):  # type: ignore[union-attr]
        b = w.bbox
        assert b is not None
        for i, (t, bot) in enumerate(spans):
            overlap = min(bot, b.y1) - max(t, b.y0)
            if overlap >= 0.5 * min(bot - t, b.y1 - b.y0):
                rows[i].append(w)
                spans[i] = (min(t, b.y0), max(bot, b.y1))
                break
        else:
            rows.append([w])
            spans.append((b.y0, b.y1))
    order = sorted(range(len(rows)), key=lambda i: spans[i][0])
    return [make_line(rows[i]) for i in order]


def cell_text(words: Sequence[Word]) -> str:
    """Multi-line cell text joined with a space, which normalisation drops between CJK characters."""
    return normalize_text(" ".join(line.text for line in group_into_lines(words)))


def _inside(b: BBox, box: BBox) -> bool:
    cx, cy = (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2
    return box.x0 <= cx <= box.x1 and box.y0 <= cy <= box.y1


def build_table(cell_boxes: Sequence[Sequence[tuple[BBox, int]]], words: Sequence[Word]) -> Table | None:
    """Rows of (box, colspan) -> Table, words assigned to cells by box centre; empty rows dropped."""
    rows = []
    for row in cell_boxes:
        cells = []
        for box, span in row:
            ws = [w for w in words if w.bbox and _inside(w.bbox, box)]
            cells.append(Cell(cell_text(ws), box, _mean_conf(ws), span))
        if any(c.text for c in cells):
            rows.append(tuple(cells))
    if not rows:
        return None
    return Table(tuple(rows), BBox.around([c.bbox for r in rows for c in r if c.bbox]))


# --- tables from ruling-line masks (scans) -------------------------------------------------


@dataclass(frozen=True)
class _Seg:
    pos: float  # y for horizontal, x for vertical
    a: float  # start along the line
    b: float


def _segments(mask: np.ndarray, horizontal: bool, min_len: float) -> list[_Seg]:
    on = (mask > 0).astype(np.uint8)
    # Labelling costs by the image's area (~50 ms for an empty 300 dpi page), and rules are few:
    # only the box around them is labelled.
    bx, by, bw, bh = cv2.boundingRect(on)
    if not bw:
        return []
    _, _, st, _ = cv2.connectedComponentsWithStats(on[by:by + bh, bx:bx + bw], connectivity=8)
    st[:, 0] += bx
    st[:, 1] += by
    segs = []
    for x, y, w, h, _a in st[1:]:
        if horizontal and w >= min_len:
            segs.append(_Seg(y + h / 2, x, x + w))
        elif not horizontal and h >= min_len:
            segs.append(_Seg(x + w / 2, y, y + h))
    return sorted(segs, key=lambda s: s.pos)


def _merge_collinear(segs: list[_Seg], tol: float) -> list[_Seg]:
    out: list[_Seg] = []
    for s in segs:
        for i, o in enumerate(out):
            if abs(o.pos - s.pos) <= tol and s.a <= o.b + tol and o.a <= s.b + tol:
                out[i] = _Seg((o.pos + s.pos) / 2, min(o.a, s.a), max(o.b, s.b))
                break
        else:
            out.append(s)
    return sorted(out, key=lambda s: s.pos)


def _covers(v: _Seg, y0: float, y1: float, tol: float, frac: float = 0.6) -> bool:
    return min(v.b, y1) - max(v.a, y0) >= frac * (y1 - y0) - tol


@dataclass(frozen=True)
class Ruling:
    """The rules of one ruled table: its horizontal rules top to bottom and the vertical ones among them."""

    hs: list[_Seg]
    vs: list[_Seg]
    tol: float


def rulings(h_mask: np.ndarray, v_mask: np.ndarray, char_h: float) -> list[Ruling]:
    """The ruled tables' geometry, from the ruling-line masks alone (no words): found once per page and
    filled with words by `fill_grids` whenever the words change."""
    tol = max(3.0, 0.4 * char_h)
    hs = _merge_collinear(_segments(h_mask, True, 4 * char_h), tol)
    vs = _merge_collinear(_segments(v_mask, False, 1.5 * char_h), tol)
    groups: list[list[_Seg]] = []
    for h in hs:
        g = groups[-1] if groups else None
        if g:
            prev = g[-1]
            x_overlap = min(prev.b, h.b) - max(prev.a, h.a) >= 0.5 * min(prev.b - prev.a, h.b - h.a)
            linked = any(_covers(v, prev.pos, h.pos, tol, 0.8) and h.a - tol <= v.pos <= h.b + tol for v in vs)
            if x_overlap and (linked or h.pos - prev.pos <= 4 * char_h):
                g.append(h)
                continue
        groups.append([h])
    out = []
    for g in groups:
        inner_v = [v for v in vs if g[0].pos - tol <= v.b and v.a <= g[-1].pos + tol]
        if len(g) < 2 or (len(g) < 3 and not inner_v):
            continue  # a lone rule or an underline pair is not a table
        out.append(Ruling(g, inner_v, tol))
    return out


def fill_grids(found: Sequence[Ruling], words: Sequence[Word], char_h: float) -> list[Table]:
    """Tables from ruled geometry and words; rows without inner vertical rules get columns from word alignment."""
    return [t for r in found if (t := _grid_table(r.hs, r.vs, words, r.tol, char_h)) is not None]


def _grid_table(hs: list[_Seg], vs: list[_Seg], words: Sequence[Word], tol: float, char_h: float) -> Table | None:
    x0, x1 = min(h.a for h in hs), max(h.b for h in hs)
    xs: list[float] = []
    for v in sorted(vs, key=lambda v: v.pos):
        if x0 + tol < v.pos < x1 - tol and not (xs and v.pos - xs[-1] <= tol):
            xs.append(v.pos)
    cols = [x0, *xs, x1]
    rows: list[list[tuple[BBox, int]]] = []
    for top, bot in zip(hs, hs[1:], strict=False):
        ya, yb = top.pos, bot.pos
        present = [x for x in xs if any(abs(v.pos - x) <= tol and _covers(v, ya, yb, tol) for v in vs)]
        edges = [x0, *present, x1]
        rows.append([
            (BBox(a, ya, b, yb), sum(1 for c0, c1 in zip(cols, cols[1:], strict=False) if a - tol <= (c0 + c1) / 2 <= b + tol))
            for a, b in zip(edges, edges[1:], strict=False)
        ])
    if not xs:  # rules only between rows: columns come from how the words line up
        lines = [make_line([w for w in words if w.bbox and _inside(w.bbox, r[0][0])]) for r in rows]
        lines = [ln for ln in lines if ln.words]
        found = aligned_tables(lines, 1.2 * char_h, min_rows=2)
        return found[0][0] if found else None
    return build_table(rows, words)


# --- tables from aligned text (client lists without rules) ---------------------------------


def _split_segments(line: Line, gap: float) -> list[list[Word]]:
    segs: list[list[Word]] = []
    for w in line.words:
        if w.bbox is None:
            continue
        if segs and w.bbox.x0 - segs[-1][-1].bbox.x1 <= gap:  # type: ignore[union-attr]
            segs[-1].append(w)
        else:
            segs.append([w])
    return segs


def _columns(rows: list[list[list[Word]]]) -> list[tuple[float, float]] | None:
    """Column intervals from the rows that have the modal segment count, if they do not overlap."""
    counts = Counter(len(r) for r in rows)
    m, n = counts.most_common(1)[0]
    if m < 2 or n < 2 or n < 0.6 * len(rows):
        return None
    full = [r for r in rows if len(r) == m]
    cols = []
    for j in range(m):
        cols.append((min(s[j][0].bbox.x0 for s in full), max(s[j][-1].bbox.x1 for s in full)))  # type: ignore[union-attr]
    if any(a[1] >= b[0] for a, b in zip(cols, cols[1:], strict=False)):
        return None  # columns overlap: the rows do not line up
    return cols


def aligned_tables(lines: Sequence[Line], gap: float, min_rows: int = 3) -> list[tuple[Table, range]]:
    """Runs of consecutive lines split by wide gaps into the same columns -> tables (with line ranges)."""
    segs = [_split_segments(ln, gap) for ln in lines]
    return [(_aligned_table(segs[r.start:r.stop], cols), r) for cols, r in _aligned_runs(segs, min_rows)]


def split_runs(lines: Sequence[Line], gap: float, min_rows: int = 3) -> list[range]:
    """Runs of at least `min_rows` consecutive lines that wide gaps split into two or more segments."""
    segs = [_split_segments(ln, gap) for ln in lines]
    return [range(i, j) for i, j in _runs(segs, min_rows)]


def _aligned_runs(segs: list[list[list[Word]]], min_rows: int) -> list[tuple[list[tuple[float, float]], range]]:
    return [(cols, range(i, j)) for i, j in _runs(segs, min_rows) if (cols := _columns(segs[i:j])) is not None]


def _runs(segs: list[list[list[Word]]], min_rows: int) -> list[tuple[int, int]]:
    out = []
    i = 0
    while i < len(segs):
        if len(segs[i]) < 2:
            i += 1
            continue
        j = i
        while j < len(segs) and len(segs[j]) >= 2:
            j += 1
        if j - i >= min_rows:
            out.append((i, j))
        i = j
    return out


def _aligned_table(rows: list[list[list[Word]]], cols: list[tuple[float, float]]) -> Table:
    built = []
    for row in rows:
        cells: list[Cell] = []
        taken: list[int] = []
        for seg in row:
            box = BBox.around([w.bbox for w in seg if w.bbox])
            assert box is not None
            hit = [k for k, (a, b) in enumerate(cols) if min(b, box.x1) - max(a, box.x0) > 0] or [
                min(range(len(cols)), key=lambda k: abs((cols[k][0] + cols[k][1]) / 2 - (box.x0 + box.x1) / 2))]
            if taken and hit[0] <= taken[-1]:  # two segments in one column: same cell
                prev = cells.pop()
                cells.append(Cell(normalize_text(prev.text + " " + join_words(seg)), prev.bbox.union(box) if prev.bbox else box,
                                  prev.conf, prev.colspan))
                continue
            for _ in range(taken[-1] + 1 if taken else 0, hit[0]):
                cells.append(Cell("", None))  # empty column before this segment
            cells.append(Cell(join_words(seg), box, _mean_conf(seg), len(hit)))
            taken.append(hit[-1])
        built.append(tuple(cells))
    return Table(tuple(built), BBox.around([c.bbox for r in built for c in r if c.bbox]))
