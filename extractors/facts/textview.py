"""A matchable text view over an extracted document, and the way back to page boxes.

Regexes run over one string per document; every match maps back to the pages,
lines and words it came from, so a fact's evidence carries page, quote, box and
the OCR confidence of exactly those words. Visual line breaks inside a wrapped
sentence are joined (a line that reaches the right margin and does not end a
sentence), so "法定代表人周立\n华" matches as one name.
"""
from __future__ import annotations

from dataclasses import dataclass

from extractors.models import BBox, Evidence, ExtractedDocument, Line, Page
from extractors.tables import join_words

_SENTENCE_END = set("。；;：:！!？?）)」”\"|")
_WRAP_MARGIN = 0.06  # a line ending within 6 % of the page's text right edge is treated as wrapped


@dataclass(frozen=True)
class _Segment:
    start: int
    end: int
    page: Page
    line: Line


@dataclass(frozen=True)
class TextView:
    document: ExtractedDocument
    text: str
    segments: tuple[_Segment, ...]

    def evidence(self, start: int, end: int, quote: str | None = None) -> Evidence:
        """Evidence for text[start:end]: page of the first character, box and min confidence of its words."""
        hit = [s for s in self.segments if s.start < end and s.end > start] or [
            min(self.segments, key=lambda s: abs(s.start - start))
        ] if self.segments else []
        if not hit:
            return Evidence(document=self.document.name, page=None, text=quote or self.text[start:end])
        page = hit[0].page
        boxes: list[BBox] = []
        confs: list[float] = []
        for seg in hit:
            if seg.page.number != page.number:
                continue
            lo, hi = max(start, seg.start) - seg.start, min(end, seg.end) - seg.start
            words = _words_in_range(seg.line, lo, hi)
            if words:
                boxes.extend(w.bbox for w in words if w.bbox)
                confs.extend(w.conf for w in words if w.conf is not None)
            else:
                if seg.line.bbox:
                    boxes.append(seg.line.bbox)
                if seg.line.conf is not None:
                    confs.append(seg.line.conf)
        return Evidence(
            document=self.document.name,
            page=page.number,
            text=quote if quote is not None else self.text[start:end],
            bbox=BBox.around(boxes),
            char_span=(start, end),
            confidence=min(confs) if confs else None,
            source=page.source,
        )

    def context(self, start: int, end: int, before: int = 12, after: int = 12) -> str:
        return self.text[max(0, start - before): min(len(self.text), end + after)].replace("\n", " ")


def _words_in_range(line: Line, lo: int, hi: int) -> list:
    """Words of `line` overlapping line.text[lo:hi], located by a forward search."""
    if not line.words:
        return []
    out, cursor = [], 0
    for w in line.words:
        t = w.text.replace(" ", "")
        if not t:
            continue
        pos = line.text.find(t, cursor)
        if pos < 0:
            pos = line.text.find(t[0], cursor)
            if pos < 0:
                continue
        wend = pos + len(t)
        cursor = wend
        if pos < hi and wend > lo:
            out.append(w)
    return out


def _right_edge(page: Page) -> float | None:
    xs = [ln.bbox.x1 for ln in page.lines if ln.bbox]
    if len(xs) < 3:
        return None
    xs.sort()
    return xs[int(len(xs) * 0.9) - 1]


def _is_wrapped(line: Line, nxt: Line, edge: float | None, page: Page) -> bool:
    if not line.text or not nxt.text or edge is None or line.bbox is None or nxt.bbox is None or page.width is None:
        return False
    if line.text[-1] in _SENTENCE_END or "|" in line.text or "|" in nxt.text:
        return False
    height = max(1.0, line.bbox.y1 - line.bbox.y0)
    # the continuation starts on the next row, at (or a first-line indent left of) this line's start
    below = nxt.bbox.y0 > line.bbox.y0 + 0.5 * height
    same_column = line.bbox.x0 - 3 * height <= nxt.bbox.x0 <= line.bbox.x0 + height
    return below and same_column and line.bbox.x1 >= edge - _WRAP_MARGIN * page.width


_COLUMN_GAP = 2.6  # a horizontal gap wider than this many character heights separates columns


def split_columns(line: Line) -> list[Line]:
    """Cut a visual line where a wide gap separates its words: a licence's two columns, a form's
    label and value cells. OCR reads across the page, so without this a value runs into the next
    column's text."""
    words = [w for w in line.words if w.bbox is not None and w.text.strip()]
    if len(words) < 2 or len(words) != len([w for w in line.words if w.text.strip()]):
        return [line]
    heights = sorted(w.bbox.y1 - w.bbox.y0 for w in words)
    gap_limit = _COLUMN_GAP * heights[len(heights) // 2]
    groups: list[list] = [[words[0]]]
    for prev, w in zip(words, words[1:]):
        if w.bbox.x0 - prev.bbox.x1 > gap_limit:
            groups.append([w])
        else:
            groups[-1].append(w)
    if len(groups) == 1:
        return [line]
    out = []
    for g in groups:
        text = join_words(g)
        confs = [w.conf for w in g if w.conf is not None]
        out.append(Line(text=text, bbox=BBox.around([w.bbox for w in g]), conf=min(confs) if confs else None,
                        words=tuple(g)))
    return out


def build_view(doc: ExtractedDocument, columns: bool = False) -> TextView:
    """The document as one string. With `columns`, visual lines are cut at wide gaps (forms, licences)."""
    parts: list[str] = []
    segments: list[_Segment] = []
    pos = 0
    for pi, page in enumerate(doc.pages):
        if pi:
            parts.append("\n\n")
            pos += 2
        edge = _right_edge(page)
        lines = tuple(part for ln in page.lines for part in split_columns(ln)) if columns else page.lines
        for li, line in enumerate(lines):
            segments.append(_Segment(pos, pos + len(line.text), page, line))
            parts.append(line.text)
            pos += len(line.text)
            if li + 1 < len(lines):
                sep = "" if _is_wrapped(line, lines[li + 1], edge, page) else "\n"
                parts.append(sep)
                pos += len(sep)
    return TextView(document=doc, text="".join(parts), segments=tuple(segments))
