"""Tick boxes found by their shape, not by OCR.

Tesseract reads ☑/□ as 回/口/加/四 or drops them, and RapidOCR always drops them, so which
service category was ticked came out wrong on scans. A box is a square frame about one
character high with white before it (options are spaced apart; a 口-shaped part of 息 or 别
is not); it is ticked when there is ink inside the frame. Only rows of two or more boxes of
one size, at least one of them empty, count: a checklist, not a stray square or a row of 回. Frames are found from their top and bottom
sides, not as connected components (a box often touches the character after it), on a more
sensitive binarisation than OCR's: scanned □ frames are one pixel thin and break up.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from extractors.imaging import blob_boxes, paper_level, remove_lines
from extractors.models import BBox, Word

FAINT_INK = 0.8  # darker than this share of the local paper counts as ink here
MIN_SIDE, MAX_SIDE = 0.7, 2.0  # frame side in estimated character heights (a loose estimate)
SQUARE = 0.15  # width and height differ by at most this share
LABEL_HEIGHT = 0.65  # a box is at least this share of the height of the text after it (☑ from a symbol font runs small)
SIDE_COVER = 0.6  # share of the stronger vertical side that must be inked ...
WEAK_SIDE_COVER = 0.15  # ... and of the weaker: thin frames lose whole stretches of a side
TICKED_FILL = 0.08  # share of the inside inked for a ticked box (an empty one has ~0)
FILLED = 0.9  # share of the inside inked for a filled box (■): uniformly black
RING_CLEAR = 0.6  # share of the pixels just inside the frame that must be paper
EMPTY_FILL = 0.02  # at most this for an empty one; in between, undecided (not reported)
GAP_BEFORE = 0.35  # character heights of white before a box
ROW_SIZE_SPREAD = 0.15  # boxes of one row differ in height by at most this share of the row's median


@dataclass(frozen=True)
class FrameSize:
    """What a frame of one size class must look like; lengths in character heights."""

    min_side: float
    max_side: float
    gap: float  # white before the box
    label_height: float  # the box is at least this share of the height of the text after it
    margin: float  # of the frame's side kept clear of the frame when measuring the fill
    small: bool  # smaller than its label: white above and below it required, its label stands taller


FULL = FrameSize(MIN_SIDE, MAX_SIDE, GAP_BEFORE, LABEL_HEIGHT, 0.1, small=False)
# An empty □ drawn small (Micro Hei: half the text's height): its label's space is narrower than 。's,
# its label stands taller than it, and its (blurred, relatively thick) frame takes more of the inside.
SMALL = FrameSize(0.4, MIN_SIDE, 0.25, 0.4, 0.2, small=True)


@dataclass(frozen=True)
class Checkbox:
    bbox: BBox  # in the pixels of the image searched
    ticked: bool


def find_checkboxes(gray: np.ndarray, h_mask: np.ndarray, v_mask: np.ndarray, char_h: float) -> list[list[Checkbox]]:
    """Rows of tick boxes (left to right) on a prepared grayscale page, ruling lines given as masks."""
    flat = gray.astype(np.float32) / np.maximum(paper_level(gray), 1).astype(np.float32)
    binary = remove_lines(np.where(flat < FAINT_INK, 0, 255).astype(np.uint8), h_mask, v_mask)
    ink = (binary < 128).astype(np.uint8)
    boxes = _frames(ink, char_h, FULL)
    boxes += [b for b in _solid_squares(ink, char_h) if not any(_overlaps(b.bbox, f.bbox) for f in boxes)]
    small = [b for b in _frames(ink, char_h, SMALL)
             if b.ticked is False and not any(_overlaps(b.bbox, f.bbox) for f in boxes)]
    return checklist_rows(boxes, char_h, small)


def _frames(ink: np.ndarray, char_h: float, size: FrameSize) -> list[Checkbox]:
    """Square frames anchored on a vertical side: the left one, or the right one when the left
    broke up; the top and bottom sides are then checked along the frame's own width (a box's top
    often runs on into the next character's, so horizontal strokes cannot anchor).

    `size`: FULL boxes, or SMALL ones (see FrameSize)."""
    k = max(3, round(size.min_side * char_h * 0.6))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, k)))
    found: list[Checkbox] = []
    for (x, y, w, h), _start in blob_boxes(vert):
        if not (size.min_side * char_h <= h < size.max_side * char_h and w <= 0.3 * char_h):
            continue
        gap = round(size.gap * char_h)
        for as_left in (True, False):
            if as_left and x > gap and ink[y:y + h, x - gap:x - 1].mean() > 0.02:
                continue  # ink right before it: not the left side of a free-standing box
            box = _square_from_side(ink, int(x), int(x + w), int(y), int(y + h), as_left)
            if box is None or any(_overlaps(box, f.bbox) for f in found):
                continue
            ticked = _frame(ink, box, char_h, size)
            if ticked is not None:
                found.append(Checkbox(box, ticked))
                break
    return found


def _solid_squares(ink: np.ndarray, char_h: float) -> list[Checkbox]:
    """■: a filled square has no sides to anchor on; it is a square blob of solid ink."""
    gap = round(GAP_BEFORE * char_h)
    out = []
    for (x, y, w, h), start in blob_boxes(ink):
        if (MIN_SIDE * char_h <= h <= MAX_SIDE * char_h and abs(w - h) <= SQUARE * h
                and _area(ink, x, y, w, h, start) >= FILLED * w * h
                and not (x > gap and ink[y:y + h, x - gap:x - 1].mean() > 0.02)):
            out.append(Checkbox(BBox(float(x), float(y), float(x + w), float(y + h)), True))
    return out


def _area(ink: np.ndarray, x: int, y: int, w: int, h: int, start: tuple[int, int]) -> int:
    """Pixels of the blob through `start` whose box is (x, y, w, h): labelled within the box only,
    and only when the box holds ink enough to pass FILLED at all (a glyph's box does not)."""
    box = ink[y:y + h, x:x + w]
    total = int(box.sum())
    if total < FILLED * w * h:
        return total  # an upper bound of the blob's own pixels, already too few
    _, labels = cv2.connectedComponents(box, connectivity=8)
    return int((labels == labels[start[1] - y, start[0] - x]).sum())


def _square_from_side(ink: np.ndarray, sx0: int, sx1: int, y0: int, y1: int, as_left: bool) -> BBox | None:
    """The square whose left (or right) side is the vertical stroke sx0..sx1 × y0..y1, if its top
    and bottom sides are there: the other side is put where it is best inked (all candidate
    widths at once, from cumulative sums)."""
    side = y1 - y0
    t = max(1, round(0.12 * side))
    lo, hi = round((1 - SQUARE) * side), round((1 + SQUARE) * side)
    a0, a1 = (sx0, min(ink.shape[1], sx0 + hi + 1)) if as_left else (max(0, sx1 - hi - 1), sx1)
    if a1 - a0 <= lo or y0 - t < 0:
        return None
    top = ink[y0 - t:y0 + t, a0:a1].any(axis=0)
    bottom = ink[y1 - t:y1 + t, a0:a1].any(axis=0)
    band = ink[y0:y1, a0:a1]
    cols = np.zeros((band.shape[0], band.shape[1] + 1), np.int32)
    np.cumsum(band, axis=1, out=cols[:, 1:])  # cols[:, j]: ink in the band's columns before j
    n = a1 - a0
    if as_left:  # the frame spans a0..a0+k; its right side is the t columns before a0+k
        k = np.arange(lo, n + 1)
        top_c = np.cumsum(top)[k - 1] / k
        bot_c = np.cumsum(bottom)[k - 1] / k
        far = ((cols[:, k] - cols[:, np.maximum(k - t, 0)]) > 0).mean(axis=0)
    else:  # the frame spans a1-k..a1; its left side is the t columns from a1-k
        k = np.arange(lo, n + 1)
        start = n - k
        top_c = (top[::-1].cumsum()[k - 1]) / k
        bot_c = (bottom[::-1].cumsum()[k - 1]) / k
        far = ((cols[:, np.minimum(start + t, n)] - cols[:, start]) > 0).mean(axis=0)
    ok = (top_c >= SIDE_COVER) & (bot_c >= SIDE_COVER) & (far >= WEAK_SIDE_COVER)
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmax(far[ok])])
    width = int(k[best])
    x0, x1 = (a0, a0 + width) if as_left else (a1 - width, a1)
    return BBox(float(x0), float(y0), float(x1), float(y1))


def _frame(ink: np.ndarray, b: BBox, char_h: float, size: FrameSize = FULL) -> bool | None:
    """True ticked, False empty, None when `b` is not a free-standing frame or the fill is unclear."""
    x0, y0, x1, y1 = int(b.x0), int(b.y0), int(b.x1), int(b.y1)
    w, h = x1 - x0, y1 - y0
    t = max(1, round(0.12 * min(w, h)))
    left = ink[y0:y1, x0:x0 + t].any(axis=1).mean()
    right = ink[y0:y1, x1 - t:x1].any(axis=1).mean()
    if max(left, right) < SIDE_COVER or min(left, right) < WEAK_SIDE_COVER:
        return None
    gap = ink[y0:y1, max(0, x0 - round(size.gap * char_h)):max(0, x0 - 1)]
    if gap.size and gap.mean() > 0.02:
        return None  # ink right before it: part of a character, not an option's box
    if size.small:  # a small 口 inside a character has strokes above or below it; a box stands free
        reach = max(2, round(0.4 * h))
        around = np.concatenate([ink[max(0, y0 - reach):max(0, y0 - 1), x0:x1].ravel(), ink[y1 + 1:y1 + reach, x0:x1].ravel()])
        if around.size and around.mean() > 0.02:
            return None
    rise = max(h // 2, round(0.5 * char_h)) if size.small else h // 2  # a small box's label stands taller than it
    after = ink[max(0, y0 - rise):y1 + rise, x1 + 1:x1 + 1 + 2 * w]
    rows = np.flatnonzero(after.any(axis=1))
    if len(rows) and h < size.label_height * (rows[-1] - rows[0] + 1):
        return None  # a 口-shaped part of a taller character (号, 路), not a box before its label
    m = t + max(1, round(size.margin * min(w, h)))
    # A bold or blurred frame (☑ at 150 dpi) is thicker than `t`: measure it on the middle row.
    mid = ink[(y0 + y1) // 2, x0:x0 + w // 3]
    thick = int(np.argmin(mid)) if mid.size and not mid.all() else 0
    m = max(m, thick + 1)
    inside = ink[y0 + m:y1 - m, x0 + m:x1 - m]
    if inside.size == 0:
        return None
    fill = float(inside.mean())
    if fill >= FILLED:
        return True  # ■
    # Just inside a box's frame the paper shows (a tick touches it at a point or two); inside
    # the frame-like part of a character (月 in 服, 回) strokes run into it.
    ring = np.concatenate([inside[0], inside[-1], inside[1:-1, 0], inside[1:-1, -1]])
    if ring.mean() > 1 - RING_CLEAR:
        return None
    return True if fill >= TICKED_FILL else False if fill <= EMPTY_FILL else None


def _overlaps(a: BBox, b: BBox) -> bool:
    return min(a.x1, b.x1) > max(a.x0, b.x0) and min(a.y1, b.y1) > max(a.y0, b.y0)


def checklist_rows(boxes: list[Checkbox], char_h: float, small: list[Checkbox] | None = None) -> list[list[Checkbox]]:
    """Boxes grouped into rows; only rows of two or more boxes of one size, spaced like options.

    `small`: empty frames smaller than a box (some fonts draw □ at a third of the text's height
    beside a full-size ☑); they join a row of full-size boxes, never make one."""
    rows: list[list[Checkbox]] = []
    for b in sorted(boxes, key=lambda b: ((b.bbox.y0 + b.bbox.y1) / 2, b.bbox.x0)):
        cy = (b.bbox.y0 + b.bbox.y1) / 2
        row = next((r for r in rows if abs((r[0].bbox.y0 + r[0].bbox.y1) / 2 - cy) <= 0.5 * char_h), None)
        if row is None:
            rows.append([b])
        else:
            row.append(b)
    out = []
    for row in rows:
        size = float(np.median([b.bbox.y1 - b.bbox.y0 for b in row]))
        row = [b for b in row if abs(b.bbox.y1 - b.bbox.y0 - size) <= ROW_SIZE_SPREAD * size]
        if not row:
            continue
        cy = float(np.median([(b.bbox.y0 + b.bbox.y1) / 2 for b in row]))
        row = sorted(row + [b for b in small or () if abs((b.bbox.y0 + b.bbox.y1) / 2 - cy) <= 0.5 * char_h],
                     key=lambda b: b.bbox.x0)
        spaced = all(n.bbox.x0 - p.bbox.x1 >= 1.5 * char_h for p, n in zip(row, row[1:], strict=False))
        # Characters with a frame (回 国 申) look ticked; a row of them is no checklist. A real
        # checklist row has an empty box; one with every option ticked is left to OCR.
        if len(row) >= 2 and spaced and not all(b.ticked for b in row):
            out.append(row)
    return out


# --- boxes OCR read as text ------------------------------------------------------------------

BRACKETS = frozenset("[]【】")  # a "[ ]" before an option has the sides and serifs of a box
READ_AS_TEXT_CONF = 0.8  # a word this sure reads a box-shaped glyph as the character it is (see not_read_as_text)


def not_read_as_text(rows: list[list[Checkbox]], lines: list[list[Word]], char_h: float) -> list[list[Checkbox]]:
    """Rows of boxes less those OCR surely read as digits or brackets: on a licence the 9 and 0 of a credit
    code and the 11 of 3月11日 have the shape of a box in some fonts (and 5 of a form's 2020/7/15), and OCR
    reads them as what they are, while a real box reads as 回/口/田, M/V, or nothing. A "[ ]" read as
    brackets is left to the text too: its tick is read there. The character under a box is placed by its
    share of the word's width, give or take one. A row left with fewer than two boxes is no checklist."""
    words = [w for ws in lines for w in ws if w.bbox and w.text.strip() and (w.conf or 0.0) >= READ_AS_TEXT_CONF]
    out = []
    for row in rows:
        kept = [b for b in row if not any(_reads_as_text(b.bbox, w) for w in words)]
        if kept == row or checklist_rows(kept, char_h):
            out.append(kept)
    return out


def _reads_as_text(box: BBox, word: Word) -> bool:
    wb = word.bbox
    assert wb is not None
    cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    if not (wb.x0 <= cx <= wb.x1 and wb.y0 <= cy <= wb.y1):
        return False
    text = word.text.replace(" ", "")
    at = min(len(text) - 1, int((cx - wb.x0) / max(1.0, wb.x1 - wb.x0) * len(text)))
    near = text[max(0, at - 1):at + 2]
    # "[ ]" read as brackets: the option's tick is read from the text (facts.values). A digit there is a
    # code's or a date's; a tick box is read as 回/口, M or V, and beside it stand the option's name and a space.
    return any(c in BRACKETS or c.isdigit() for c in near)
