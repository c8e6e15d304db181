"""Word documents with python-docx (real tables, merged cells, header rows), from abstract blocks."""
from __future__ import annotations

import datetime as dt
import io
import random

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from . import blocks as B
from .fonts import FONTS
from .render_img import seal, signature

ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}


def _font(run, family: str, size: float | None = None, bold: bool = False) -> None:
    run.font.name = family
    rpr = run._element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), family)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


def _borders(table, lines: str) -> None:
    tblpr = table._tbl.tblPr
    b = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        on = lines == "grid" or (lines == "hrules" and edge in ("top", "bottom", "insideH"))
        el.set(qn("w:val"), "single" if on else "nil")
        if on:
            el.set(qn("w:sz"), "6")
            el.set(qn("w:color"), "000000")
        b.append(el)
    tblpr.append(b)


def _picture(doc, img, width_mm: float, align: str = "right") -> None:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    buf.seek(0)
    p = doc.add_paragraph()
    p.alignment = ALIGN[align]
    p.add_run().add_picture(buf, width=Mm(width_mm))


def render(doc: B.Doc, font_family: str, rng: random.Random) -> bytes:
    family = FONTS[font_family][2]
    d = Document()
    d.core_properties.author = ""
    d.core_properties.created = dt.datetime(2020, 1, 1)
    d.core_properties.modified = dt.datetime(2020, 1, 1)
    d.core_properties.title = doc.title
    st = d.styles["Normal"]
    st.font.name = family
    st.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), family)
    st.font.size = Pt(11)
    for b in doc.blocks:
        if isinstance(b, B.Heading):
            p = d.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER if b.level == 0 else WD_ALIGN_PARAGRAPH.LEFT
            _font(p.add_run(b.text), family, 16 if b.level == 0 else 12.5, bold=True)
        elif isinstance(b, B.Para):
            p = d.add_paragraph()
            p.alignment = ALIGN[b.align]
            if b.indent:
                p.paragraph_format.first_line_indent = Pt(22)
            _font(p.add_run(b.text), family)
        elif isinstance(b, B.Table):
            ncol = len(b.rows[0])
            t = d.add_table(rows=len(b.rows), cols=ncol)
            t.alignment = WD_TABLE_ALIGNMENT.CENTER
            _borders(t, b.lines)
            skip: set[tuple[int, int]] = set()
            for r0, c0, r1, c1 in b.merges:
                t.cell(r0, c0).merge(t.cell(r1, c1))
                skip |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1) if (r, c) != (r0, c0)}
            for ri, row in enumerate(b.rows):
                for ci, val in enumerate(row):
                    if (ri, ci) in skip:
                        continue
                    cell = t.cell(ri, ci)
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(val), family, 9.5, bold=ri < b.header_rows)
            if b.header_rows and b.repeat_header:
                trpr = t.rows[0]._tr.get_or_add_trPr()
                h = OxmlElement("w:tblHeader")
                h.set(qn("w:val"), "true")
                trpr.append(h)
            ws = b.widths or [1] * ncol
            for ci, w in enumerate(ws):
                for cell in t.columns[ci].cells:
                    cell.width = Mm(170 * w / sum(ws))
        elif isinstance(b, B.PageBreak):
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        elif isinstance(b, B.Seal):
            _picture(d, seal(b.org, 360, font_family, rng), 36)
        elif isinstance(b, B.Signature):
            _picture(d, signature(b.name), 26)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()
