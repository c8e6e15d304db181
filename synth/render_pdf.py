"""Text PDFs with reportlab (embedded CJK TrueType font), from abstract blocks."""
from __future__ import annotations

import io
import random

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as RLTable

from . import blocks as B
from .fonts import reportlab as rl_font
from .render_img import seal, signature

rl_config.invariant = 1  # deterministic output (no timestamps / random ids)


class _Overlay(Flowable):
    """Zero-height flowable drawing an RGBA image over the lines above it (seal, signature)."""

    def __init__(self, img, w_mm: float, dx_mm: float, dy_mm: float):
        super().__init__()
        buf = io.BytesIO()
        img.save(buf, "PNG")
        buf.seek(0)
        self.reader = ImageReader(buf)
        self.w, self.dx, self.dy = w_mm * mm, dx_mm * mm, dy_mm * mm
        iw, ih = img.size
        self.h = self.w * ih / iw

    def wrap(self, aw, ah):
        return 0, 0

    def draw(self):
        self.canv.drawImage(self.reader, self.dx, self.dy, self.w, self.h, mask="auto")


def _styles(font: str) -> dict:
    base = dict(fontName=font, wordWrap="CJK")
    return {
        "title": ParagraphStyle("t", fontSize=17, leading=26, alignment=TA_CENTER, spaceAfter=8, **base),
        "h": ParagraphStyle("h", fontSize=12.5, leading=20, spaceBefore=6, **base),
        "left": ParagraphStyle("l", fontSize=11, leading=18, alignment=TA_LEFT, **base),
        "center": ParagraphStyle("c", fontSize=11, leading=18, alignment=TA_CENTER, **base),
        "right": ParagraphStyle("r", fontSize=11, leading=18, alignment=TA_RIGHT, **base),
        "indent": ParagraphStyle("i", fontSize=11, leading=18, firstLineIndent=22, **base),
        "cell": ParagraphStyle("cell", fontSize=9, leading=12, **base),
    }


def _esc(s: str) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
    if "☑" in s:  # no CJK family here has U+2611: take it from DejaVu Sans as word processors do
        s = s.replace("☑", f'<font name="{_dejavu()}">☑</font>')
    return s


def _dejavu() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    return "DejaVuSans"


def _table(t: B.Table, st: dict, width: float) -> RLTable:
    ws = t.widths or [1] * len(t.rows[0])
    tot = sum(ws)
    data = [[Paragraph(_esc(c), st["cell"]) for c in r] for r in t.rows]
    tab = RLTable(data, colWidths=[width * w / tot for w in ws], repeatRows=t.header_rows if t.repeat_header else 0)
    cmds = [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("FONTNAME", (0, 0), (-1, -1), st["cell"].fontName)]
    if t.lines == "grid":
        cmds.append(("GRID", (0, 0), (-1, -1), 0.6, colors.black))
    elif t.lines == "hrules":
        cmds += [("LINEABOVE", (0, 0), (-1, 0), 1, colors.black), ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.black)]
    for r0, c0, r1, c1 in t.merges:
        cmds.append(("SPAN", (c0, r0), (c1, r1)))
    tab.setStyle(TableStyle(cmds))
    return tab


def build_story(doc: B.Doc, font_family: str, rng: random.Random) -> list:
    st = _styles(rl_font(font_family))
    width = A4[0] - 40 * mm
    story: list = []
    for b in doc.blocks:
        if isinstance(b, B.Heading):
            story.append(Paragraph(_esc(b.text), st["title" if b.level == 0 else "h"]))
        elif isinstance(b, B.Para):
            story.append(Paragraph(_esc(b.text), st["indent" if b.indent else b.align]))
        elif isinstance(b, B.Table):
            story += [Spacer(1, 4), _table(b, st, width), Spacer(1, 6)]
        elif isinstance(b, B.PageBreak):
            story.append(PageBreak())
        elif isinstance(b, B.Seal):
            story.append(_Overlay(seal(b.org, 360, font_family, rng), 34, rng.uniform(60, 120), rng.uniform(-6, 4)))
        elif isinstance(b, B.Signature):
            story += [_Overlay(signature(b.name), 28, rng.uniform(120, 140), rng.uniform(-2, 3)), Spacer(1, 6)]
    return story


def render(doc: B.Doc, font_family: str, rng: random.Random) -> tuple[bytes, int]:
    """PDF bytes and page count."""
    buf = io.BytesIO()
    pages = [0]

    def footer(canv, d):
        pages[0] = canv.getPageNumber()
        canv.setFont(rl_font(font_family), 9)
        canv.drawCentredString(A4[0] / 2, 12 * mm, f"—{canv.getPageNumber()}—")

    tpl = SimpleDocTemplate(buf, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=doc.title, author="", creator="", producer="")
    tpl.build(build_story(doc, font_family, rng), onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue(), pages[0]
