"""Closed-vocabulary columns (企业规模, 是/否) of scanned tables: misread cells re-read on their own crop."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from extractors import imaging
from extractors.closed_columns import closed_columns
from extractors.context import OcrEngine
from extractors.models import BBox, Cell, Table
from synth.fonts import pil
from tests.unit.test_extract_fixtures import ctx

ROWS = [
    ("序号", "企业名称", "规模", "公益"),
    ("1", "宁波甬达机械有限公司", "小型", "否"),
    ("2", "宁波海成电子有限公司", "微型", "是"),
    ("3", "宁波东汉印刷有限公司", "中型", "否"),
    ("4", "宁波瑞丰包装有限公司", "微型", "否"),
    ("5", "宁波明远科技有限公司", "小型", "是"),
]
X = [40, 140, 560, 700]  # left edge of each column
Y0, ROW_H, SIZE = 40, 60, 30


def _page() -> tuple[imaging.Prepared, list[list[Cell]]]:
    """A 200-dpi-like page of the table, and its cells as OCR would give them (prepared coordinates)."""
    img = Image.new("L", (900, Y0 + ROW_H * len(ROWS) + 40), 250)
    dr = ImageDraw.Draw(img)
    font = pil("wqy-zenhei", SIZE)
    boxes = []
    for r, row in enumerate(ROWS):
        y = Y0 + r * ROW_H
        cells = []
        for c, text in enumerate(row):
            dr.text((X[c], y), text, font=font, fill=20)
            cells.append((text, dr.textbbox((X[c], y), text, font=font)))
        boxes.append(cells)
    prep = imaging.prepare(np.asarray(img))
    m = prep.matrix

    def to_prep(b: tuple[int, int, int, int]) -> BBox:
        (x0, y0), (x1, y1) = ((m[0, 0] * x + m[0, 1] * y + m[0, 2], m[1, 0] * x + m[1, 1] * y + m[1, 2])
                              for x, y in ((b[0], b[1]), (b[2], b[3])))
        return BBox(x0, y0, x1, y1)

    return prep, [[Cell(t, to_prep(b), 0.95) for t, b in row] for row in boxes]


@pytest.fixture(scope="module")
def page() -> tuple[imaging.Prepared, list[list[Cell]]]:
    return _page()


def _with(cells: list[list[Cell]], r: int, c: int, text: str, bbox: BBox | None = None) -> Table:
    rows = [list(row) for row in cells]
    rows[r][c] = Cell(text, bbox if bbox is not None else rows[r][c].bbox, 0.4)
    return Table(tuple(tuple(row) for row in rows))


@pytest.mark.ocr
def test_a_garbled_size_cell_is_read_again_and_carries_the_new_confidence(page) -> None:
    prep, cells = page
    out = closed_columns(prep, _with(cells, 3, 2, "4凶"), ctx(engine=OcrEngine.CASCADE))
    assert out.rows[3][2].text == "中型"
    assert out.rows[3][2].conf != 0.4  # the re-reading's own confidence, not the misread's
    assert [r[2].text for r in out.rows[1:]] == ["小型", "微型", "中型", "微型", "小型"]


@pytest.mark.ocr
def test_a_size_cell_that_lost_its_first_character_is_read_over_the_column_width(page) -> None:
    prep, cells = page
    half = cells[2][2].bbox
    kept = BBox((half.x0 + half.x1) / 2, half.y0, half.x1, half.y1)  # OCR kept only "型"
    out = closed_columns(prep, _with(cells, 2, 2, "型", kept), ctx(engine=OcrEngine.CASCADE))
    assert out.rows[2][2].text == "微型"


@pytest.mark.ocr
def test_a_yes_no_cell_is_read_again(page) -> None:
    prep, cells = page
    out = closed_columns(prep, _with(cells, 5, 3, "旦"), ctx(engine=OcrEngine.CASCADE))
    assert out.rows[5][3].text == "是"


def test_headers_and_open_columns_are_left_alone(page) -> None:
    prep, cells = page
    table = Table(tuple(tuple(r) for r in cells))
    # nothing to re-read: the header row has no digit, the name column is not a closed vocabulary
    assert closed_columns(prep, table, ctx(engine=OcrEngine.CASCADE)) is table


def test_too_few_vocabulary_cells_make_no_closed_column(page) -> None:
    prep, cells = page
    rows = [list(r) for r in cells]
    for r in (1, 2, 3):
        rows[r][2] = Cell("??", rows[r][2].bbox, 0.3)
    table = Table(tuple(tuple(r) for r in rows))
    assert closed_columns(prep, table, ctx(engine=OcrEngine.CASCADE)).rows[1][2].text == "??"
