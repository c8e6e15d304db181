"""Tick boxes by shape: rows of ☑/□ found and told apart; squares inside words are not boxes."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from extractors import imaging
from extractors.checkboxes import _area, find_checkboxes
from extractors.imaging import blob_boxes
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


def test_blob_boxes_are_the_connected_components_boxes_and_areas_exact() -> None:
    """blob_boxes (outer borders) finds the boxes connectedComponentsWithStats does; _area counts a
    blob's own pixels even where another blob reaches into its box or it has holes."""
    rng = np.random.default_rng(3)
    ink = (rng.random((120, 160)) < 0.08).astype(np.uint8)
    ink[20:50, 30:60] = 1  # a solid square ...
    ink[30:40, 40:50] = 0  # ... with a hole ...
    ink[34:36, 44:46] = 1  # ... and a blob inside the hole
    ink[60:90, 100:102] = 1  # an L whose box another blob reaches into
    ink[88:90, 100:130] = 1
    _, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    blobs = blob_boxes(ink)
    assert sorted(b for b, _ in blobs) == sorted(tuple(int(v) for v in s[:4]) for s in stats[1:])
    for (x, y, w, h), start in blobs:
        assert ink[start[1], start[0]]
        own = int(stats[labels[start[1], start[0]], cv2.CC_STAT_AREA])
        got = _area(ink, x, y, w, h, start)
        assert got == own or (got < 0.9 * w * h and own < 0.9 * w * h)  # exact, or both below FILLED


def test_box_shaped_characters_ocr_surely_read_are_no_checklist() -> None:
    """A licence's 91330205MA21TTML0R in a square font: its 9 and 0 have the shape of boxes, one "ticked"
    (the 9's stroke inside), as have 自 of 自然人 and the 11 of 3月11日. OCR reads the digits as digits, and
    a row without them is no checklist; real boxes, read as 回, M or dropped, stay."""
    from extractors.checkboxes import Checkbox, not_read_as_text
    from extractors.models import BBox, Word

    ch = 30.0
    nine, zero = Checkbox(BBox(100, 100, 125, 130), True), Checkbox(BBox(520, 100, 545, 130), False)
    code = [Word("91330205MA21TTML0R", BBox(98, 96, 600, 134), 0.9)]
    assert not_read_as_text([[nine, zero]], [code], ch) == []
    options = [Checkbox(BBox(100, 200, 125, 230), True), Checkbox(BBox(300, 200, 325, 230), False)]
    labels = [Word("回信息咨询", BBox(98, 198, 290, 232), 0.6), Word("技术创新", BBox(330, 198, 450, 232), 0.9)]
    assert not_read_as_text([[nine, zero], options], [code, labels], ch) == [options]
    ziran, day = Checkbox(BBox(410, 300, 440, 330), True), Checkbox(BBox(905, 300, 935, 330), False)
    licence = [Word("类型有限责任公司(自然人投资或控股)成立日期2017年3月11日", BBox(100, 296, 1000, 334), 0.95)]
    assert not_read_as_text([[ziran, day]], [licence], ch) == []
    dropped = [Word("信息咨询", BBox(130, 198, 290, 232), 0.95), Word("技术创新", BBox(330, 198, 450, 232), 0.9)]
    assert not_read_as_text([options], [dropped], ch) == [options]
    as_m = [Word("□技术创新M人才培训", BBox(60, 198, 450, 232), 0.95)]  # ☑ read as M with confidence
    assert not_read_as_text([[Checkbox(BBox(62, 200, 87, 230), False), Checkbox(BBox(245, 200, 270, 230), True)]],
                             [as_m], ch) != []
    # "[ ]质量管理 [ ]创业辅导": bracket pairs have a box's sides; OCR read brackets, and the ticks are read there
    brackets = [Word("[M管理咨询[]质量管理[]创业辅导", BBox(100, 396, 700, 434), 0.95)]
    pairs = [Checkbox(BBox(300, 400, 325, 430), True), Checkbox(BBox(500, 400, 525, 430), False)]
    assert not_read_as_text([pairs], [brackets], ch) == []
