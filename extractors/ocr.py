"""OCR of page images: preprocessing, tesseract (+ RapidOCR), lines and tables, pages in parallel.

Each worker gets a picklable job (page image + frozen context) and returns a frozen `Page`
whose boxes are in the pixel coordinates of the page image it was given.

Engines (`ExtractionContext.engine`):
- tesseract: page layout, words and boxes from tesseract alone.
- cascade (default): tesseract as above; every line segment (a run of words between ruling
  lines or wide gaps) holding a word below `cascade_conf` is re-read by RapidOCR's recogniser on
  a crop of the deskewed grayscale page, and replaced when RapidOCR is more confident. Tesseract
  misreads names and digits on 200-300 dpi scans; recognition on crops costs far less than
  RapidOCR's full detection. A page fed in upside down is told first by RapidOCR's direction
  classifier on a few line crops (extractors.upside_down) and turned before tesseract reads it.
- rapidocr: RapidOCR detection + recognition on the whole page (several times slower on CPU).
Tables are built from the final words in every case, so cells carry the replaced text.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from difflib import SequenceMatcher
from typing import NamedTuple, TypeVar

import cv2
import numpy as np

from extractors import imaging, lost_lines
from extractors.checkboxes import Checkbox, find_checkboxes, not_read_as_text
from extractors.closed_columns import closed_columns
from extractors.context import ExtractionContext, OcrEngine
from extractors.engines import EngineError
from extractors.engines import rapidocr as rapid
from extractors.engines import tesseract as tess
from extractors.models import BBox, Cell, Line, Page, PageSource, Table, Word
from extractors.normalize.uscc import find_usccs
from extractors.reread import needs_reread
from extractors.tables import Ruling, aligned_tables, fill_grids, group_into_lines, make_line, rulings
from extractors.text import normalize_text
from extractors.upside_down import looks_upside_down
from intake.models import Problem

# Bump when preprocessing, segmentation or the cascade change: cached OCR results keyed by it are redone.
OCR_PIPELINE_VERSION = "26"

log = logging.getLogger(__name__)
_R = TypeVar("_R")  # an engine's reading of a page (see _best_turn)

PSM_PAGE = 6  # one uniform block: best on forms and lists once ruling lines are gone
OSD_MIN_CONF = 2.0  # below this, tesseract's orientation guess is noise
SEGMENT_GAP = 1.2  # character heights: a wider gap between words starts a new segment (a new cell)
MARGIN = 0.2  # character heights of real pixels kept around a segment's box in its crop ...
PAD = 0.3  # ... and of white margin added around that for the recogniser
# Ink runs no tesseract word covers (short cells such as 小/微 it skips) are re-read when
# 0.6-2.5 characters wide, at least half a character high and centred on the line (character
# heights), and kept only when RapidOCR is this sure and the text is not already in the line.
ORPHAN_MIN_WIDTH = 0.6
ORPHAN_MAX_WIDTH = 2.5
ORPHAN_MIN_HEIGHT = 0.5
ORPHAN_MAX_OFFSET = 0.25
ORPHAN_MIN_SCORE = 0.85
SPAN_OVERLAP = 0.33  # character widths a word must reach into a second run to count as spanning it
SPANNED_MIN_SCORE = 0.8  # RapidOCR's reading of a spanned run replaces tesseract's from this score
JUNK_CONF = 0.5  # tesseract words all below this, off the line's centre: maybe junk (see _cascade)
SEAL_CROSSED_INK = 0.08  # of a character's square erased as seal ink in a word's box: strokes may have gone ...
SEAL_CROSSED_CONF = 0.5  # ... so its confidence is capped below the review threshold (三 cut to 二 reads sure)
UPSIDE_DOWN_SHARE = 0.6  # RapidOCR path: above this share of lines turned 180° by its classifier, the page is
# prepared again the right way up (see _rapid_lines)
GLYPH_MAX_WIDTH = 1.2  # character heights: a lost table line this narrow is one glyph (see _confirm_glyph)
DIGIT_MIN_WIDTH = 0.2  # character heights: narrower ink is no digit (a frame's sliver), see _lone_glyph ...
DIGIT_SURE = 0.9  # ... which takes tesseract's digit (or bracket) from this confidence
# What tesseract reads alone better than RapidOCR does: digits, and the brackets of options (")" read "』" at 0.3
# by RapidOCR made "信息咨询(』" a ticked box).
SURE_GLYPHS = frozenset("0123456789()[]")
UNREAD_GLYPHS = 2  # character widths of ink beyond a run's characters that make tesseract read it too (_unread_ink)
PSM_CHAR = 10  # tesseract: the image is one character
PSM_LINE = 7  # tesseract: the image is one line of text
DIGIT_LOOKALIKES = {"0": "○〇Oo", "1": "lI|丨■"}  # RapidOCR's readings of a lone digit, by its shape
LOST_MARGIN = 0.06  # character heights of real pixels above and below a lost table line in its crop
CASCADE_MIN_LEFT_S = 3.0  # do not start re-reading with less time than this before the deadline
# Checkbox glyphs as tesseract reads ☑/□ (RapidOCR drops them): kept from tesseract's text.
CHECKBOX_GLYPHS = frozenset("□☐口☑回四加团囚凶図区田■√")


def _words(img: np.ndarray, ctx: ExtractionContext, deadline: float) -> list[tess.TessWord]:
    left = deadline - time.monotonic()
    if left <= 0:
        raise EngineError("timeout", "page time limit reached")
    return tess.image_to_words(img, ctx.lang, PSM_PAGE, left)


def _mean(ws: list[tess.TessWord] | list[Word]) -> float:
    return sum(w.conf or 0.0 for w in ws) / len(ws) if ws else 0.0


def _tess_lines(tw: list[tess.TessWord]) -> list[list[Word]]:
    by_line: dict[tuple[int, int, int], list[Word]] = {}
    for w in tw:
        box = BBox(w.left, w.top, w.left + w.width, w.top + w.height)
        by_line.setdefault(w.line_key, []).append(Word(w.text, box, w.conf))
    return [sorted(ws, key=lambda w: w.bbox.x0) for _, ws in sorted(by_line.items())]  # type: ignore[union-attr]


def _build(prep: imaging.Prepared, lines: list[Line], ruled: list[Ruling], ctx: ExtractionContext | None = None,
           threads: int = 1) -> tuple[list[Line], list[Table]]:
    """Tables from the final words (prepared coordinates), then everything mapped to the page image."""
    words = [w for ln in lines for w in ln.words]
    tables = fill_grids(ruled, words, prep.char_h)
    if not tables:  # client lists often have no rules at all
        tables = [t for t, _ in aligned_tables(lines, 1.5 * prep.char_h)]
    if ctx is not None and ctx.engine is not OcrEngine.TESSERACT:
        tables = [closed_columns(prep, t, ctx, threads) for t in tables]
    m = prep.matrix
    return [_map_line(ln, m) for ln in lines], [_map_table(t, m) for t in tables]


# --- cascade: RapidOCR re-reads doubtful segments of tesseract lines ------------------------


class Segment(NamedTuple):
    box: BBox  # prepared-image pixels
    words: list[Word]  # tesseract's words in it (none: ink tesseract skipped)
    spanned: bool = False  # a tesseract word runs into it from a neighbouring cell
    junk: bool = False  # only low-confidence words, off the line: maybe the edge of a neighbour's text


def _segments(words: list[Word], prep: imaging.Prepared, by_overlap: bool = False) -> list[Segment]:
    """Cut a tesseract line into runs of ink split at wide gaps and vertical rules (one run per cell).

    Boxes come from the ink of the line-free binary image, not from tesseract's word boxes, which
    for CJK text are sometimes off by a whole word or squashed to a few pixels. Runs are found in
    a band around the words' median centre; each word joins the run holding its centre (or the
    nearest one); runs without words are dropped. A run's top and bottom are the inked rows around
    its own words' centre (a label centred in a two-row cell sits lower than the values beside it).
    Boxes are in prepared-image pixels. Runs of ink no word fell in (a short table cell such as
    "小" that tesseract skipped) come back with no words, when at least ORPHAN_MIN_WIDTH wide.
    Runs a word overlaps by more than a third of a character besides its own are `spanned`:
    tesseract read across a cell border ("3小信息咨询2"), and each such run is re-read alone.
    `by_overlap` (words of layout analysis, coarse: one may cover a whole title): a word joins every run
    it overlaps so, and nothing is `spanned`.
    """
    boxes = [w.bbox for w in words if w.bbox]
    h, w = prep.ocr_image.shape[:2]
    ch = prep.char_h
    cy = float(np.median([(b.y0 + b.y1) / 2 for b in boxes]))
    y0, y1 = max(0, int(cy - 0.4 * ch)), min(h, int(cy + 0.4 * ch) + 1)
    x_lo, x_hi = max(0, int(min(b.x0 for b in boxes) - ch)), min(w, int(max(b.x1 for b in boxes) + ch) + 1)
    whole = [Segment(_around(words), words)]
    if y1 - y0 < 2 or x_hi - x_lo < 2:
        return whole
    ink = (prep.ocr_image[y0:y1, x_lo:x_hi] < 128).any(axis=0)
    rule = (prep.v_mask[y0:y1, x_lo:x_hi] > 0).sum(axis=0) >= 0.6 * (y1 - y0)
    xs = np.flatnonzero(ink & ~rule)
    if not len(xs):
        return whole
    rules_upto = np.concatenate([[0], np.cumsum(rule)])  # rules_upto[x] = rule columns before x
    cut = (np.diff(xs) > SEGMENT_GAP * ch) | (rules_upto[xs[1:]] > rules_upto[xs[:-1]])
    starts = np.concatenate([[0], np.flatnonzero(cut) + 1])
    ends = np.concatenate([starts[1:] - 1, [len(xs) - 1]])
    runs = [(x_lo + int(xs[s]), x_lo + int(xs[e]) + 1) for s, e in zip(starts, ends, strict=True)]
    owned: list[list[Word]] = [[] for _ in runs]
    spanned = [False] * len(runs)
    for wd in words:
        assert wd.bbox is not None
        cx = (wd.bbox.x0 + wd.bbox.x1) / 2
        owned[min(range(len(runs)), key=lambda k: max(runs[k][0] - cx, cx - runs[k][1], 0.0))].append(wd)
        touched = [k for k, (a, b) in enumerate(runs) if min(b, wd.bbox.x1) - max(a, wd.bbox.x0) > SPAN_OVERLAP * ch]
        if by_overlap:
            for k in touched:
                if wd not in owned[k]:
                    owned[k].append(wd)
        elif len(touched) > 1:
            for k in touched:
                spanned[k] = True
    out = []
    for (a, b), ws, sp in zip(runs, owned, spanned, strict=True):
        if ws:
            centre = float(np.median([(wd.bbox.y0 + wd.bbox.y1) / 2 for wd in ws if wd.bbox]))
        elif ORPHAN_MIN_WIDTH * ch <= b - a <= ORPHAN_MAX_WIDTH * ch:
            centre = cy
        else:
            continue
        top, bottom = _ink_rows(prep, a, b, centre)
        # An orphan must sit on this line: text centred in a two-line cell lies half a line off.
        on_line = abs((top + bottom) / 2 - cy) <= ORPHAN_MAX_OFFSET * ch
        if ws or (bottom - top >= ORPHAN_MIN_HEIGHT * ch and on_line):
            # Weak words off this line's centre may be junk hung on it from the edge of such centred
            # text ("。_" over 二十五家): their re-reading must not repeat the neighbour's line.
            junk = bool(ws) and not on_line and max(wd.conf or 0.0 for wd in ws) < JUNK_CONF
            out.append(Segment(BBox(float(a), top, float(b), bottom), ws, sp, junk))
    return out if any(sg.words for sg in out) else whole


def _ink_rows(prep: imaging.Prepared, x0: int, x1: int, cy: float) -> tuple[float, float]:
    """Top and bottom of the text line through `cy` between x0 and x1: the inked rows around it."""
    ch = prep.char_h
    lo, hi = max(0, int(cy - ch)), min(prep.ocr_image.shape[0], int(cy + ch) + 1)
    rows = np.flatnonzero((prep.ocr_image[lo:hi, x0:x1] < 128).any(axis=1))
    if not len(rows):
        return cy - ch / 2, cy + ch / 2
    groups = np.split(rows, np.flatnonzero(np.diff(rows) > max(1.0, 0.15 * ch)) + 1)
    g = min(groups, key=lambda g: max(g[0] - (cy - lo), (cy - lo) - g[-1], 0))
    return float(lo + g[0]), float(lo + g[-1] + 1)


def _around(words: list[Word]) -> BBox:
    box = BBox.around([w.bbox for w in words if w.bbox])
    assert box is not None  # tesseract words always have boxes
    return box


def _crop_box(box: BBox, prep: imaging.Prepared) -> tuple[int, int, int, int]:
    h, w = prep.gray.shape[:2]
    m = MARGIN * prep.char_h
    return (max(0, int(box.x0 - m)), max(0, int(box.y0 - m)), min(w, int(box.x1 + m + 1)), min(h, int(box.y1 + m + 1)))


def keep_checkboxes(tess_text: str, rapid_text: str) -> str | None:
    """RapidOCR's text with tesseract's checkbox glyphs put back where they stood.

    The two texts are aligned character by character; a glyph tesseract read where RapidOCR
    read nothing (☑/□ are dropped by RapidOCR) is re-inserted before the text that follows it.
    Returns None when the glyphs cannot all be placed: the caller keeps tesseract's line then,
    since which option is ticked matters more than a better reading of the option names.
    """
    glyphs = sum(c in CHECKBOX_GLYPHS for c in tess_text)
    if not glyphs:
        return rapid_text
    out: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, tess_text, rapid_text, autojunk=False).get_opcodes():
        t, r = tess_text[i1:i2], rapid_text[j1:j2]
        if tag == "delete":
            out.append("".join(c for c in t if c in CHECKBOX_GLYPHS))
        elif tag == "replace" and t[0] in CHECKBOX_GLYPHS:
            lead = len(t) - len(t.lstrip("".join(CHECKBOX_GLYPHS)))
            # Same length: RapidOCR read the boxes as some character ("日"); else it dropped them.
            out.append(t[:lead] + (r[lead:] if len(r) == len(t) else r))
        else:  # equal, insert, or a replace that does not start at a glyph
            out.append(r)
    merged = "".join(out)
    return merged if sum(c in CHECKBOX_GLYPHS for c in merged) == glyphs else None


# A mark inside brackets, "(V )", "〈V )", "(√)": a tick in a "人才培训（√）" option. RapidOCR drops the √
# of such options on enlarged scans and returns "()"; tesseract's "V" is then the only trace of it.
_MARKED_BRACKETS = re.compile(r"[(（〈《\[【]\s*[^\s()（）〈《\[【\]】0-9|lI!\u4e00-\u9fff][^()（）\]】]?\s*[)）\]】]")


def _bracket_marks(text: str) -> int:
    return len(_MARKED_BRACKETS.findall(text))


def _orphan_text(text: str, score: float, line_text: str) -> bool:
    """Keep a reading of ink tesseract skipped only when sure, wordy, and not a repeat of the line.

    Tesseract's CJK word boxes are sometimes off by a word, so an "orphan" run may be text it did
    read; text already in the line is taken for such a repeat and dropped.
    """
    return (score >= ORPHAN_MIN_SCORE and any(c.isalnum() for c in text)
            and normalize_text(text) not in line_text.replace(" ", ""))


def _loses_valid_code(before: str, after: str) -> bool:
    """A credit code that passes both check digits is never traded for another reading."""
    valid = {u.code for u in find_usccs(before) if u.valid}
    return bool(valid - {u.code for u in find_usccs(after)})


def _cascade(prep: imaging.Prepared, lines: list[list[Word]], ctx: ExtractionContext, deadline: float,
             threads: int) -> tuple[list[Line], int]:
    """Re-read doubtful segments with RapidOCR; returns the lines and how many lines changed."""
    unchanged = [make_line(ws) for ws in lines]
    segs = [_segments(ws, prep) for ws in lines]
    todo = [(i, k) for i, ss in enumerate(segs) for k, sg in enumerate(ss)
            if needs_reread(sg.words, sg.spanned, ctx.cascade_conf, ctx.low_conf)]
    if not todo:
        return unchanged, 0
    if deadline - time.monotonic() < CASCADE_MIN_LEFT_S:
        log.warning("no time left to re-read %d OCR segments with RapidOCR", len(todo))
        return unchanged, 0
    clean = prep.clean_gray
    try:
        read = rapid.recognize_lines(clean, [_crop_box(segs[i][k].box, prep) for i, k in todo], threads,
                                     pad=round(PAD * prep.char_h))
    except EngineError as exc:
        log.warning("RapidOCR unusable, keeping tesseract's reading: %s", exc)
        return unchanged, 0
    changed: set[int] = set()
    for (i, k), (raw, score) in zip(todo, read, strict=True):
        box, seg, spanned, junk = segs[i][k]
        text = normalize_text(raw)
        if not seg:
            keep = _orphan_text(text, score, "" if spanned else unchanged[i].text)
        else:
            tess_text = make_line(seg).text
            text = keep_checkboxes(tess_text, text) or ""
            sure = score >= SPANNED_MIN_SCORE if spanned else score > sum(w.conf or 0.0 for w in seg) / len(seg)
            keep = bool(text) and sure and not _loses_valid_code(tess_text, text) \
                and _bracket_marks(text) >= _bracket_marks(tess_text)
            if keep and junk and any(text in unchanged[j].text.replace(" ", "")
                                     for j in (i - 1, i + 1) if 0 <= j < len(lines)):
                # The neighbour's text read again from the edge of its glyphs ("二十" of 二十五家): the
                # ink is the neighbour's, and tesseract's words here ("。_") are junk breaking a label.
                segs[i][k] = Segment(box, [], spanned)
                changed.add(i)
                continue
        if keep:
            segs[i][k] = Segment(box, [Word(text, box, round(score, 4))], spanned)
            changed.add(i)
    return [make_line([w for sg in ss for w in sg.words]) if i in changed else unchanged[i]
            for i, ss in enumerate(segs)], len(changed)


def _read_every_segment(prep: imaging.Prepared, lines: list[list[Word]], ctx: ExtractionContext, deadline: float,
                        threads: int) -> list[Line]:
    """RapidOCR's recogniser on every segment of the layout's lines (see _segments): one word per segment,
    with its score as confidence. Ink no layout word covered is kept only as _orphan_text allows.
    Tesseract reads a segment too where RapidOCR alone loses what it holds: a lone glyph (_lone_glyph),
    option ticks (_tesseract_ticks)."""
    segs = [_segments(ws, prep, by_overlap=True) for ws in lines]
    todo = [(i, sg) for i, ss in enumerate(segs) for sg in ss]
    if not todo:
        return []
    crops = [_crop_box(sg.box, prep) for _, sg in todo]
    read = rapid.recognize_lines(prep.clean_gray, crops, threads, pad=round(PAD * prep.char_h))
    by_line: list[list[Word]] = [[] for _ in lines]
    for (i, sg), crop, (raw, score) in zip(todo, crops, read, strict=True):
        text = normalize_text(raw)
        if score < lost_lines.MIN_SCORE and sg.box.x1 - sg.box.x0 <= GLYPH_MAX_WIDTH * prep.char_h:
            text, score = _lone_glyph(prep, sg.box, text, score, ctx.lang, deadline)
        elif _EMPTY_BRACKETS.search(text) or _box_glyphs(text) or _unread_ink(text, sg.box, prep.char_h):
            text, score = _tesseract_ticks(prep, crop, text, score, ctx.lang, deadline)
        if text and (sg.words or _orphan_text(text, score, "")):
            by_line[i].append(Word(text, sg.box, round(score, 4)))
    return [make_line(ws) for ws in by_line if ws]


# An option's bracket with nothing in it, "信息咨询()", or half of one, "信息化应用)" and "市场拓展(" at the
# end: RapidOCR's reading of "(√)" as often as of "( )".
_EMPTY_BRACKETS = re.compile(r"[(（〈《\[【]\s*[)）\]】]|^[^(（〈《\[【]*[\u4e00-\u9fff][)）\]】]|[(（〈《\[【]\s*$")


def _lone_glyph(prep: imaging.Prepared, box: BBox, text: str, score: float, lang: str,
                deadline: float) -> tuple[str, float]:
    """A one-glyph segment RapidOCR is unsure of: a 序号 digit, which RapidOCR reads badly alone at 150 dpi
    ("1" as "凰" at 0.21, "0" as "。" at 0.29, "1" as nothing) and tesseract's single-character mode well
    (0.92-0.96). Confirmed or its lookalike digit taken as in lost table lines (_confirm_glyph), or replaced
    by a digit tesseract is sure of in a segment wide enough to be one: a frame's sliver beside an address
    is a sure "1" to tesseract too."""
    wide = box.x1 - box.x0 >= DIGIT_MIN_WIDTH * prep.char_h
    return _confirm_glyph(prep, box, text, score, lang, deadline, take_sure_digit=wide)


def _unread_ink(text: str, box: BBox, char_h: float) -> bool:
    """A run of Chinese wider than its characters by room for two more: glyphs RapidOCR dropped, such as the
    ☑/□ of "☑信息咨询 ☑技术创新" drawn from a symbol font, which it returns as "信息咨询技术创新"."""
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in text)
    return cjk >= 4 and box.x1 - box.x0 >= (len(text) + UNREAD_GLYPHS) * char_h


def _box_glyphs(text: str) -> bool:
    """A row of tick boxes RapidOCR read some of as text ("信息咨询口技术创新口人才培训"): a box glyph,
    or 口 twice (one 口 is a word's: 出口, 人口)."""
    return any(c in "□☐☑■" for c in text) or text.count("口") >= 2


def _tesseract_ticks(prep: imaging.Prepared, crop: tuple[int, int, int, int], text: str, score: float, lang: str,
                     deadline: float) -> tuple[str, float]:
    """A segment of options RapidOCR may have read without their ticks, read by tesseract too, as the
    cascade does: tesseract's box glyphs put back where they stood (keep_checkboxes, with RapidOCR's
    confidence), or, where RapidOCR read a bracket empty and tesseract saw a mark in it ("(V )", the only
    trace of a √ RapidOCR drops), the mark put into RapidOCR's text (transplant_marks) with the lower of
    the two engines' confidences."""
    got = _tess_crop(prep, crop, PSM_LINE, lang, min(5.0, deadline - time.monotonic()))
    if not got:
        return text, score
    tess_text = normalize_text("".join(w.text for w in got))
    marked = transplant_marks(text, tess_text)
    if marked is not None:
        return marked, min(score, sum(w.conf for w in got) / len(got))
    if _box_glyphs(text) or sum(c in CHECKBOX_GLYPHS for c in tess_text) >= 2:
        return keep_checkboxes(tess_text, text) or text, score
    return text, score


_BRACKET_GROUP = re.compile(r"[(（〈《\[【][^\u4e00-\u9fff()（）〈《\[【\]】]{0,3}[)）\]】]?|[)）\]】]")


def transplant_marks(rapid_text: str, tess_text: str) -> str | None:
    """RapidOCR's text with the ticks tesseract read in its brackets: None when tesseract saw no more marks,
    or when the two texts do not hold the same number of bracket groups (then which option is whose is unknown).

    A group is a bracket pair with up to three non-CJK characters inside, or half of one; RapidOCR's empty
    group k becomes "(√)" where tesseract's group k holds a mark."""
    ours, theirs = list(_BRACKET_GROUP.finditer(rapid_text)), list(_BRACKET_GROUP.finditer(tess_text))
    if len(ours) != len(theirs) or _bracket_marks(tess_text) <= _bracket_marks(rapid_text):
        return None
    out, at = [], 0
    for mine, other in zip(ours, theirs, strict=True):
        out.append(rapid_text[at:mine.start()])
        marked = _bracket_marks(other.group()) and not _bracket_marks(mine.group())
        out.append("(√)" if marked else mine.group())
        at = mine.end()
    return "".join(out) + rapid_text[at:]


# --- lines tesseract dropped inside table cells (extractors.lost_lines) ---------------------


def _mend_table_cells(prep: imaging.Prepared, lines: list[Line], ruled: list[Ruling], lang: str, deadline: float,
                      threads: int) -> tuple[list[Line], int]:
    """Tables' cells: in ruled ones a cell read into two lines kept once; lines tesseract dropped read (and
    counted), in ruled tables and in lists without rules alike."""
    tables = fill_grids(ruled, [w for ln in lines for w in ln.words], prep.char_h)
    if tables:
        lines = lost_lines.drop_double_reads(lines, tables)
    else:
        tables = lost_lines.unruled_grids(prep.ocr_image, lines, prep.char_h)
    if not tables:
        return lines, 0
    if deadline - time.monotonic() < CASCADE_MIN_LEFT_S:
        return lines, 0
    ch = prep.char_h

    def read(boxes: list[BBox]) -> list[tuple[str, float]]:
        # A tight crop: the cell's other line lies a fraction of a character above or below.
        crops = [(max(0, int(b.x0 - MARGIN * ch)), max(0, int(b.y0 - LOST_MARGIN * ch)),
                  int(b.x1 + MARGIN * ch + 1), int(b.y1 + LOST_MARGIN * ch + 1)) for b in boxes]
        out = rapid.recognize_lines(prep.clean_gray, crops, threads, pad=round(PAD * ch))
        return [_confirm_glyph(prep, b, text, score, lang, deadline) for b, (text, score) in zip(boxes, out, strict=True)]

    try:
        return lost_lines.recover(prep, lines, tables, read)
    except EngineError as exc:
        log.warning("RapidOCR unusable, table lines tesseract skipped stay unread: %s", exc)
        return lines, 0


def _confirm_glyph(prep: imaging.Prepared, box: BBox, text: str, score: float, lang: str,
                   deadline: float, take_sure_digit: bool = False) -> tuple[str, float]:
    """A lone glyph RapidOCR is unsure of ("2" of a wrapped 序号 12 at 0.5) is read by tesseract as one
    character too; where both engines read the same, that agreement is the confidence.
    `take_sure_digit`: a digit or bracket (SURE_GLYPHS) tesseract reads from DIGIT_SURE replaces whatever
    RapidOCR read (or nothing)."""
    if score >= lost_lines.MIN_SCORE or box.x1 - box.x0 > GLYPH_MAX_WIDTH * prep.char_h:
        return text, score
    glyph = normalize_text(text).strip()
    if len(glyph) != 1 and not take_sure_digit:
        return text, score
    got = _tess_crop(prep, (int(box.x0), int(box.y0), int(box.x1) + 1, int(box.y1) + 1), PSM_CHAR, lang,
                     min(2.0, deadline - time.monotonic()))
    if got is None or len(got) != 1:
        return text, score
    tess_glyph = normalize_text(got[0].text).strip()
    if tess_glyph == glyph:
        return text, max(score, got[0].conf)
    if glyph and glyph in DIGIT_LOOKALIKES.get(tess_glyph, ""):  # RapidOCR reads a lone 0 as ○
        return tess_glyph, got[0].conf
    if take_sure_digit and len(tess_glyph) == 1 and tess_glyph in SURE_GLYPHS and got[0].conf >= DIGIT_SURE:
        return tess_glyph, got[0].conf
    return text, score


def _tess_crop(prep: imaging.Prepared, box: tuple[int, int, int, int], psm: int, lang: str,
               left_s: float) -> list[tess.TessWord] | None:
    """Tesseract on one crop of the prepared (binary) page, padded with white; None if the engine failed."""
    x0, y0, x1, y1 = box
    pad = round(PAD * prep.char_h)
    crop = cv2.copyMakeBorder(prep.ocr_image[y0:y1, x0:x1], pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    try:
        return tess.image_to_words(crop, lang, psm, max(0.1, left_s))
    except EngineError:
        return None


# --- checklists: tick boxes found by shape, option names re-read between them ---------------


def _checklists(prep: imaging.Prepared, lines: list[list[Word]], threads: int) -> list[list[Word]]:
    """Lines holding a row of tick boxes rebuilt as ☑/□ glyphs (from the boxes' shapes) and the
    option names between them (RapidOCR on each stretch). OCR's own reading of the glyphs is
    wrong too often to decide which option is ticked. Lines are unchanged if RapidOCR fails."""
    rows = not_read_as_text(find_checkboxes(prep.gray, prep.h_mask, prep.v_mask, prep.char_h), lines, prep.char_h)
    if not rows:
        return lines
    clean = prep.clean_gray
    out = list(lines)
    for row in rows:
        top = min(b.bbox.y0 for b in row) - 0.15 * prep.char_h
        bottom = max(b.bbox.y1 for b in row) + 0.15 * prep.char_h
        cy = (top + bottom) / 2
        hit = [i for i, ws in enumerate(out) if ws and _line_span(ws)[0] <= cy <= _line_span(ws)[1]]
        stretches = _option_stretches(prep, row, top, bottom)
        start, end = row[0].bbox.x0, stretches[-1].x1
        line_words = [w for i in hit for w in out[i] if w.bbox]
        kept = [w for w in line_words if w.bbox.x1 <= start + 2 or w.bbox.x0 >= end - 2]  # type: ignore[union-attr]
        # A word running from before the first box into it ("服务类别:口信息…"): its lead is re-read.
        lead = [w.bbox.x0 for w in line_words if w not in kept and w.bbox.x0 < start - prep.char_h]  # type: ignore[union-attr]
        if lead:
            stretches.insert(0, BBox(min(lead), top, start - MARGIN * prep.char_h - 1, bottom))
        try:
            read = rapid.recognize_lines(clean, [_crop_box(b, prep) for b in stretches], threads,
                                         pad=round(PAD * prep.char_h))
        except EngineError as exc:
            log.warning("RapidOCR unusable, keeping OCR's reading of a checklist: %s", exc)
            return lines
        words = [Word("☑" if b.ticked else "□", b.bbox, 0.99) for b in row]
        words += [Word(normalize_text(text), box, round(score, 4))
                  for box, (text, score) in zip(stretches, read, strict=True) if normalize_text(text)]
        for i in hit:
            out[i] = []
        if hit:
            out[hit[0]] = sorted(kept + words, key=lambda w: w.bbox.x0 if w.bbox else 0)
        else:
            out.append(sorted(words, key=lambda w: w.bbox.x0 if w.bbox else 0))
    return [ws for ws in out if ws]


def _line_span(words: list[Word]) -> tuple[float, float]:
    box = _around(words)
    return box.y0, box.y1


def _option_stretches(prep: imaging.Prepared, row: list[Checkbox], top: float, bottom: float) -> list[BBox]:
    """After each box, the stretch up to the next box, or for the last one, up to a wide gap.

    Stretches keep clear of the frames by the crop margin and a bit (a frame's edge left in a
    crop is read as "]" or "【")."""
    clear = MARGIN * prep.char_h + 0.2 * (row[0].bbox.y1 - row[0].bbox.y0)
    out = []
    for b, nxt in zip(row, [*row[1:], None], strict=True):
        x0 = b.bbox.x1 + clear
        x1 = nxt.bbox.x0 - clear if nxt else _ink_end(prep, x0, top, bottom)
        out.append(BBox(x0, top, max(x0 + 1, x1), bottom))
    return out


def _ink_end(prep: imaging.Prepared, x0: float, top: float, bottom: float) -> float:
    """Right end of the text starting at x0: the last inked column before a gap of 1.5 characters."""
    band = prep.ocr_image[max(0, int(top)):int(bottom) + 1, int(x0):]
    cols = np.flatnonzero((band < 128).any(axis=0))
    if not len(cols):
        return x0
    gaps = np.flatnonzero(np.diff(cols) > SEGMENT_GAP * prep.char_h)
    last = cols[gaps[0]] if len(gaps) else cols[-1]
    return x0 + float(last) + 1


# --- RapidOCR alone -------------------------------------------------------------------------


def _rapid_lines(gray: np.ndarray, prep: imaging.Prepared, threads: int,
                 turn_if_upside_down: bool) -> tuple[imaging.Prepared, list[Line]]:
    """Lines read by RapidOCR alone, and the prepared page their boxes refer to.

    On a page turned 180° RapidOCR's angle classifier turns each line back before reading it, so
    the texts are right but the page's geometry and line order are upside down (facts lost). When
    most lines were turned (and no orientation is known yet), the page is prepared again the right
    way up and the boxes carried over to it: no second reading, no OSD (~1 s).
    """
    read, upside_down = rapid.read_page(prep.gray, threads)
    boxes = [BBox(*box) for box, _, _ in read]
    if turn_if_upside_down and upside_down > UPSIDE_DOWN_SHARE and len(read) >= 3:
        turned = imaging.prepare(gray, 180, min_char_px=imaging.RAPID_MIN_CHAR_PX)
        boxes = [_carry(b, prep, turned) for b in boxes]
        prep = turned
    words = [Word(normalize_text(text), box, round(score, 4))
             for box, (_, text, score) in zip(boxes, read, strict=True) if normalize_text(text)]
    return prep, group_into_lines(words)


def _carry(b: BBox, src: imaging.Prepared, dst: imaging.Prepared) -> BBox:
    """A box of one preparation of a page on another: its centre mapped, its size kept (the two
    differ by a half turn and at most a small skew; mapping corners would grow skewed boxes)."""
    m = imaging.compose(dst.matrix, cv2.invertAffineTransform(src.matrix))
    cx, cy = m @ np.array([(b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2, 1.0])
    hw, hh = (b.x1 - b.x0) / 2, (b.y1 - b.y0) / 2
    return BBox(float(cx - hw), float(cy - hh), float(cx + hw), float(cy + hh))


def _map(b: BBox | None, m: np.ndarray) -> BBox | None:
    return None if b is None else BBox(*(round(v, 1) for v in imaging.map_box_back(b, m)))


def _map_line(ln: Line, m: np.ndarray) -> Line:
    return Line(ln.text, _map(ln.bbox, m), ln.conf, tuple(Word(w.text, _map(w.bbox, m), w.conf) for w in ln.words))


def _map_table(t: Table, m: np.ndarray) -> Table:
    rows = tuple(tuple(Cell(c.text, _map(c.bbox, m), c.conf, c.colspan) for c in r) for r in t.rows)
    return Table(rows, _map(t.bbox, m))


def ocr_page(image: np.ndarray, number: int, ctx: ExtractionContext, subject: str | None = None,
             threads: int | None = None) -> Page:
    """OCR one page image (RGB, or grayscale). Never raises for engine trouble.

    Red seals are removed here, in the page's worker process, not by the caller: the extractors'
    page generators run in the parent one page after another, and seal removal (0.2-0.4 s a 300 dpi
    page) there kept the pool's workers waiting.
    `threads`: intra-op threads for RapidOCR; 1 inside a pool of page processes. Default:
    `ctx.jobs` (this page has the machine's share of cores to itself).
    """
    deadline = time.monotonic() + ctx.page_timeout_s
    threads = ctx.jobs if threads is None else threads
    gray = imaging.remove_red(image)
    h, w = gray.shape[:2]
    base = dict(number=number, source=PageSource.OCR, width=float(w), height=float(h), unit="px")
    try:
        rot, osd_done, sideways = 0, False, False
        binary = imaging.binarize(gray)
        ratio = imaging.column_row_ratio(binary)
        if ratio > imaging.VERTICAL_RATIO:  # photos of upright pages come here too: only OSD can tell
            turn = _osd(gray, deadline)
            rot, osd_done, sideways = turn or 0, True, turn is None
        if ctx.engine is OcrEngine.RAPIDOCR:
            engine = rapid.engine_name()
            prep = imaging.prepare(gray, rot, min_char_px=imaging.RAPID_MIN_CHAR_PX, binary=binary)
            prep, found = _rapid_lines(gray, prep, threads, turn_if_upside_down=not osd_done)
        else:
            engine = tess.engine_name(ctx.lang)
            prep = imaging.prepare(gray, rot, binary=binary)
            if ctx.engine is not OcrEngine.TESSERACT and not osd_done and looks_upside_down(prep, threads):
                # spares tesseract a reading of it upside down, and OSD
                prep, rot = imaging.half_turn(prep), (rot + 180) % 360
            if ctx.engine is OcrEngine.RAPID_LINES:
                try:
                    prep, found = _rapid_on_layout(gray, prep, rot, sideways, ctx, deadline, threads)
                    engine = f"{rapid.engine_name()} on the lines of {engine}'s layout"
                except EngineError as exc:
                    if exc.code == "timeout":
                        raise
                    log.warning("RapidOCR unusable (%s); tesseract reads the page alone", exc)
                    found = [make_line(ws) for ws in _tess_lines(_words(prep.ocr_image, ctx, deadline))]
                    engine += " (RapidOCR unusable)"
                return _finish(prep, found, engine, ctx, deadline, threads, number, base, subject)
            tw = _words(prep.ocr_image, ctx, deadline)
            tries: list[int] = []
            if sideways:  # lines run down the page and OSD has no opinion: read it turned both ways
                tries = [90, 270]
            elif not osd_done and (_mean(tw) < ctx.low_conf or len(tw) < 5):
                # Upside-down pages read as garbage with low confidence; ask OSD only then. Its lines run
                # across the page (not looks_vertical), so without an opinion only 180° is left to try.
                extra = _osd(prep.ocr_image, deadline)
                tries = [180] if extra is None else [extra] if extra else []
                if extra in (90, 270) and ratio < 1 / imaging.VERTICAL_RATIO:
                    tries = []  # OSD's guess against lines that clearly run across: a turned read cannot win
            prep, tw = _best_turn(gray, rot, tries, prep, tw, lambda p: _words(p.ocr_image, ctx, deadline),
                                  lambda ws: ws)
            if ctx.engine is OcrEngine.CASCADE:
                found, changed = _cascade(prep, _tess_lines(tw), ctx, deadline, threads)
                if changed:
                    engine += f" + {rapid.engine_name()} ({changed}/{len(found)} lines)"
            else:
                found = [make_line(ws) for ws in _tess_lines(tw)]
    except EngineError as exc:
        return _failed(exc, number, base, subject)
    return _finish(prep, found, engine, ctx, deadline, threads, number, base, subject)


def _finish(prep: imaging.Prepared, found: list[Line], engine: str, ctx: ExtractionContext, deadline: float,
            threads: int, number: int, base: dict, subject: str | None) -> Page:
    """From the engine's lines to the page: tick boxes, seal-crossed words, lost table lines, tables."""
    try:
        if ctx.engine is not OcrEngine.TESSERACT:
            found = [make_line(ws) for ws in _checklists(prep, [list(ln.words) for ln in found], threads)]
        confirm = None if ctx.engine is OcrEngine.TESSERACT else \
            (lambda words: _readings_agree(prep, words, ctx.lang, deadline, threads))
        found = _distrust_seal_crossings(found, prep, confirm)
        ruled = rulings(prep.h_mask, prep.v_mask, prep.char_h)  # the page's final geometry: found once
        if ctx.engine in (OcrEngine.CASCADE, OcrEngine.RAPID_LINES):
            found, lost = _mend_table_cells(prep, found, ruled, ctx.lang, deadline, threads)
            if lost:
                engine += f" + {lost} lost table lines"
        lines, tables = _build(prep, found, ruled, ctx, threads)
    except EngineError as exc:
        return _failed(exc, number, base, subject)
    confs = [wd.conf for ln in lines for wd in ln.words if wd.conf is not None]
    conf = sum(confs) / len(confs) if confs else None
    problem = None
    if conf is None or conf < ctx.low_conf:
        problem = Problem("low_confidence", f"第{number}页识别置信度低，需人工核对",
                          f"low OCR confidence on page {number}", subject)
    return Page(**base, lines=tuple(lines), tables=tuple(tables), engine=engine, mean_conf=conf,  # type: ignore[arg-type]
                problem=problem)


def _failed(exc: EngineError, number: int, base: dict, subject: str | None) -> Page:
    log.warning("OCR failed on %s page %d: %s", subject, number, exc)
    return Page(**base, problem=Problem(exc.code, f"第{number}页文字识别失败", f"OCR failed on page {number}: {exc}",
                                        subject))


def _rapid_on_layout(gray: np.ndarray, prep: imaging.Prepared, rot: int, sideways: bool, ctx: ExtractionContext,
                     deadline: float, threads: int) -> tuple[imaging.Prepared, list[Line]]:
    """OcrEngine.RAPID_LINES: tesseract's layout analysis finds the lines, RapidOCR's recogniser reads
    every segment of them. A page whose reading is weak or nearly empty (turned a quarter, unnoticed)
    is asked of OSD and read again turned; the better reading stays (see _score)."""
    def read(p: imaging.Prepared) -> list[Line]:
        if deadline - time.monotonic() <= 0:
            raise EngineError("timeout", "page time limit reached")
        return _read_every_segment(p, _tess_lines(tess.layout_words(p.ocr_image, ctx.lang, PSM_PAGE)), ctx, deadline,
                                   threads)

    found = read(prep)
    words = [w for ln in found for w in ln.words]
    tries = [90, 270] if sideways else []
    if not sideways and (len(words) < 5 or _mean(words) < ctx.low_conf):
        extra = _osd(prep.ocr_image, deadline)
        tries = [extra] if extra else []
    return _best_turn(gray, rot, tries, prep, found, read, lambda lines: [w for ln in lines for w in ln.words])


def _best_turn(gray: np.ndarray, rot: int, tries: list[int], prep: imaging.Prepared, reading: _R,
               read: Callable[[imaging.Prepared], _R], words: Callable[[_R], list]) -> tuple[imaging.Prepared, _R]:
    """The page prepared turned by each of `tries` more and read again; the reading with the higher _score stays."""
    for turn in tries:
        prep2 = imaging.prepare(gray, (rot + turn) % 360)
        reading2 = read(prep2)
        if _score(words(reading2)) > _score(words(reading)):
            prep, reading = prep2, reading2
    return prep, reading


def _distrust_seal_crossings(lines: list[Line], prep: imaging.Prepared,
                             confirm: Callable[[list[Word]], list[bool]] | None = None) -> list[Line]:
    """Words a colourless seal was erased from get low confidence: the erased strokes may have been theirs.

    `confirm` may vouch for some of them (see _readings_agree): those keep their confidence."""
    if prep.seal_ink is None:
        return lines
    h, w = prep.seal_ink.shape

    def crossed(b: BBox | None) -> bool:
        if b is None:
            return False
        x0, y0, x1, y1 = max(0, int(b.x0)), max(0, int(b.y0)), min(w, int(b.x1) + 1), min(h, int(b.y1) + 1)
        return int(prep.seal_ink[y0:y1, x0:x1].sum()) >= SEAL_CROSSED_INK * prep.char_h ** 2

    doubtful = [wd for ln in lines for wd in ln.words if crossed(wd.bbox)]
    if not doubtful:
        return lines
    vouched = {id(wd) for wd, ok in zip(doubtful, confirm(doubtful) if confirm else [], strict=False) if ok}
    capped = {id(wd) for wd in doubtful} - vouched
    out = []
    for ln in lines:
        words = [Word(wd.text, wd.bbox, min(wd.conf if wd.conf is not None else 1.0, SEAL_CROSSED_CONF))
                 if id(wd) in capped else wd for wd in ln.words]
        out.append(make_line(words) if words != list(ln.words) else ln)
    return out


def _readings_agree(prep: imaging.Prepared, words: list[Word], lang: str, deadline: float, threads: int) -> list[bool]:
    """For words a seal was erased from: do two more readings give the same text? Tesseract reads the
    erased image (strokes cut where the seal was), RapidOCR the gray one (the seal still over them);
    their errors differ, so a text both give, and the word holds, did not lose a stroke that mattered."""
    boxes = [_crop_box(wd.bbox, prep) for wd in words if wd.bbox]
    if len(boxes) != len(words) or deadline - time.monotonic() < CASCADE_MIN_LEFT_S:
        return [False] * len(words)
    try:
        rapid_read = rapid.recognize_lines(prep.clean_gray, boxes, threads, pad=round(PAD * prep.char_h))
    except EngineError as exc:
        log.warning("RapidOCR unusable, words under a seal stay distrusted: %s", exc)
        return [False] * len(words)
    out = []
    for wd, box, (text, _score) in zip(words, boxes, rapid_read, strict=True):
        key = _plain(wd.text)
        if _plain(text) != key:
            out.append(False)
            continue
        tw = _tess_crop(prep, box, PSM_LINE, lang, deadline - time.monotonic())
        out.append(tw is not None and _plain("".join(t.text for t in tw)) == key)
    return out


def _plain(text: str) -> str:
    return normalize_text(text).replace(" ", "")


def _score(words) -> float:
    """How well a page read: confident characters, so a sideways page (few, weak words) loses."""
    return sum(len(w.text) * (w.conf or 0.0) for w in words)


def _osd(img: np.ndarray, deadline: float) -> int | None:
    """Clockwise quarter-turn that makes the page upright (0 when it is), None when OSD cannot tell."""
    rot, conf = tess.orientation(img, max(1.0, min(30.0, deadline - time.monotonic())))
    return rot if conf >= OSD_MIN_CONF and rot in (0, 90, 180, 270) else None


def _job(args: tuple[np.ndarray, int, ExtractionContext, str | None]) -> Page:
    return ocr_page(*args, threads=1)  # pages already run in parallel processes


# Imported once by multiprocessing's forkserver (started once per process), so that every page worker
# forked from it starts with numpy, OpenCV, pytesseract and onnxruntime loaded: a pool is made per
# scan, and its workers importing them again cost ~0.35 s before the first page (a 2-worker pool
# ready with RapidOCR loaded in 0.60 s -> 0.25 s). "__main__" is multiprocessing's own default.
WORKER_PRELOAD = ["__main__", "extractors.ocr", "rapidocr_onnxruntime"]


def _pool(workers: int) -> ProcessPoolExecutor:
    # forkserver: workers do not inherit the caller's threads/locks (Celery, web server).
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)  # no effect once the forkserver runs; missing modules are skipped
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx)


# (images, ctx, subject, expected) -> pages: how a caller dispatches pages instead of the pool below.
PageRunner = Callable[[Iterable[tuple[int, np.ndarray]], ExtractionContext, str | None, int | None], Iterator[Page]]
# Set by a caller around one extraction (prescreen's Celery workers, which cannot start a pool: they time
# pages, or hand them out as tasks); unset, ocr_pages dispatches as below.
PAGE_RUNNER: ContextVar[PageRunner | None] = ContextVar("PAGE_RUNNER", default=None)


def ocr_pages(images: Iterable[tuple[int, np.ndarray]], ctx: ExtractionContext, subject: str | None = None,
              expected: int | None = None) -> Iterator[Page]:
    """OCR pages in a process pool (ctx.jobs workers), yielding pages in order.

    `images` is consumed lazily with at most 2*jobs pages in flight, so a long scan is never
    held in memory at once. Falls back to one process where a pool cannot be started
    (e.g. inside a daemonic worker process). A PAGE_RUNNER set by the caller dispatches instead.
    """
    runner = PAGE_RUNNER.get()
    if runner is not None:
        yield from runner(images, ctx, subject, expected)
        return
    workers = min(ctx.jobs, expected or ctx.jobs)
    it = iter(images)
    if workers <= 1:
        yield from (ocr_page(img, n, ctx, subject) for n, img in it)
        return
    try:
        pool = _pool(workers)
    except (OSError, ValueError, AssertionError) as exc:
        log.warning("no OCR process pool (%s); running pages one by one", exc)
        yield from (ocr_page(img, n, ctx, subject) for n, img in it)
        return
    pending: deque[tuple[int, np.ndarray, Future[Page]]] = deque()
    usable = True
    with pool:
        for n, img in it:
            if usable:
                try:
                    pending.append((n, img, pool.submit(_job, (img, n, ctx, subject))))
                # Workers cannot start: no __main__ guard (RuntimeError), or a daemonic caller such as a
                # Celery prefork child (AssertionError "daemonic processes are not allowed to have children").
                except (RuntimeError, OSError, AssertionError) as exc:
                    log.warning("OCR process pool unusable (%s); running pages in-process", exc)
                    usable = False
            if not usable:
                while pending:
                    yield _result(pending.popleft(), ctx, subject)
                yield ocr_page(img, n, ctx, subject)
                continue
            while len(pending) >= 2 * workers:
                yield _result(pending.popleft(), ctx, subject)
        while pending:
            yield _result(pending.popleft(), ctx, subject)


def _result(item: tuple[int, np.ndarray, Future[Page]], ctx: ExtractionContext, subject: str | None) -> Page:
    n, img, fut = item
    try:
        return fut.result()
    except (BrokenProcessPool, OSError, AssertionError) as exc:
        log.warning("OCR worker lost on page %d (%s); retrying in-process", n, exc)
        return ocr_page(img, n, ctx, subject)
