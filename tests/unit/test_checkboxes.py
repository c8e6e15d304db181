"""Tick boxes by shape: rows of ☑/□ found and told apart; squares inside words are not boxes."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors import imaging
from extractors.checkboxes import find_checkboxes
from tests.unit.test_extract_fixtures import FONT_PATH

DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _page(rows: list[str], size: int = 40) -> np.ndarray:
    """Rows of text with ☑ drawn from DejaVu (CJK fonts lack it) and everything else in a CJK font."""
    im = Image.new("L", (1600, 120 + 90 * len(rows)), 250)
    dr = ImageDraw.Draw(im)
    cjk, sym = ImageFont.truetype(FONT_PATH, size), ImageFont.truetype(DEJAVU, size)
    for r, row in enumerate(rows):
        x, y = 60, 60 + 90 * r
        for ch in row:
            font = sym if ch == "☑" else cjk
            dr.text((x, y), ch, font=font, fill=15)
            x += dr.textlength(ch, font=font)
    return np.asarray(im)


def _find(gray: np.ndarray):
    prep = imaging.prepare(gray)
    return find_checkboxes(prep.gray, prep.h_mask, prep.v_mask, prep.char_h)


def test_a_row_of_options_is_read_by_shape():
    rows = _find(_page(["服务类别：☑信息咨询　□技术创新　☑人才培训　□市场拓展"]))
    assert len(rows) == 1
    assert [b.ticked for b in rows[0]] == [True, False, True, False]


def test_two_rows_and_the_application_kind_row():
    rows = _find(_page(["□入库培育　☑认定", "□管理咨询　□质量管理　☑创业辅导　□信息化应用"]))
    assert [[b.ticked for b in r] for r in rows] == [[False, True], [False, False, True, False]]


@pytest.mark.parametrize("text", [
    "宁波国家高新区研发园口腔医院旁，出口加工区四号楼",  # 国 园 口 四 回 in running text
    "注：回执请于三日内寄回，联系电话0574-88888888",
])
def test_squares_inside_text_are_not_boxes(text: str):
    assert _find(_page([text])) == []


@pytest.mark.parametrize(("font", "check", "layout", "dpi"), [
    ("ukai", "☑□", "grid", 200),
    ("wqy-zenhei", "☑□", "grid", 200),
    ("ukai", "■□", "grid", 200),
    ("wqy-zenhei", "☑□", "paragraph", 300),  # "服务类别：☑…": 服 must not pass for a box
    ("wqy-microhei", "☑□", "grid", 150),  # Micro Hei's □ is half the height of its ☑
])
def test_generated_form_scanned(font: str, check: str, layout: str, dpi: int):
    """Our generator's application form (☑/■ and □ as Word prints them), scanned: thin □ frames
    break up and still count; the ticked boxes are the application kind and the categories chosen."""
    import dataclasses
    import random

    from synth import degrade, documents, render_pdf
    from synth.model import CATEGORIES, Kind, Profile
    from synth.package import _pages
    from synth.plan import make_spec

    spec = make_spec(random.Random(5), "T0001", 5, Profile.QUICK, 0.0, force={"kind": Kind.CERTIFICATION, "defects": []})
    spec = dataclasses.replace(spec, variants=dataclasses.replace(spec.variants, check=check, form_layout=layout))
    pdf, _ = render_pdf.render(documents.form(spec, random.Random(1)), font, random.Random(1))
    scan = degrade.scan(_pages(pdf, dpi)[0], random.Random(2))
    rows = _find(np.asarray(scan.convert("L")))
    ticks = [[b.ticked for b in r] for r in rows]
    assert ticks[0] == [False, True]  # □入库培育 ☑认定
    assert ticks[1] + ticks[2] == [c in spec.categories for c in CATEGORIES]
