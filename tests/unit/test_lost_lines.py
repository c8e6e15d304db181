"""Table-cell lines tesseract dropped: found by their ink, read again, put back in reading order.

The geometry tests draw ink blocks on a blank prepared page (no OCR); the last test scans a
generated client list whose narrow columns wrap every row, as on the lists tesseract read with
whole lines missing, and reads it through the real pipeline.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from extractors import imaging
from extractors.context import OcrEngine
from extractors.lost_lines import drop_double_reads, lost_boxes, recover, stacked_line, unruled_grids
from extractors.models import BBox, Cell, ExtractedDocument, Line, Table, Word
from extractors.normalize.uscc import validate_uscc
from extractors.registry import extract_document
from extractors.tables import make_line
from intake.models import FileType
from tests.unit.test_extract_fixtures import _font, ctx, doc, image_pdf, render

CH = 20.0  # character height of the drawn page, pixels


def _prep(ink: list[tuple[int, int, int, int]]) -> imaging.Prepared:
    img = np.full((300, 600), 255, np.uint8)
    for x0, y0, x1, y1 in ink:
        img[y0:y1, x0:x1] = 0
    empty = np.zeros_like(img)
    return imaging.Prepared(img, img.copy(), empty, empty, np.eye(2, 3), CH, 0.0, 0)


CELL = BBox(100, 10, 300, 90)  # one cell of a ruled row two text lines high
TABLE = Table(((Cell("", BBox(0, 10, 100, 90)), Cell("", CELL)),))
UPPER, LOWER = (110, 20, 280, 40), (110, 55, 170, 75)  # a wrapped code: 14 characters over 4


def test_a_line_of_a_two_line_cell_no_word_covers_is_found() -> None:
    prep = _prep([UPPER, LOWER])
    read_lower = [Word("E44N", BBox(110, 54, 170, 76), 0.9)]
    assert lost_boxes(prep, [TABLE], read_lower) == [(BBox(*map(float, UPPER)), CELL)]
    both = read_lower + [Word("91330213MA2EW9", BBox(108, 19, 282, 41), 0.9)]
    assert lost_boxes(prep, [TABLE], both) == []


def test_specks_and_cells_without_ink_give_nothing() -> None:
    prep = _prep([(150, 50, 153, 53)])  # a 3-pixel speck
    assert lost_boxes(prep, [TABLE], []) == []


def test_a_lost_line_is_read_and_put_before_the_line_under_it_in_the_same_cell() -> None:
    prep = _prep([UPPER, LOWER])
    row = make_line([Word("1", BBox(40, 40, 50, 60), 0.95), Word("E44N", BBox(110, 54, 170, 76), 0.9),
                     Word("小", BBox(320, 40, 340, 60), 0.97)])
    seen: list[list[BBox]] = []

    def reader(boxes: list[BBox]) -> list[tuple[str, float]]:
        seen.append(boxes)
        return [("91330213MA2EW9", 0.99)]

    lines, added = recover(prep, [row], [TABLE], reader)
    assert added == 1 and seen == [[BBox(*map(float, UPPER))]]
    assert [ln.text for ln in lines] == ["1 91330213MA2EW9 E44N小"]


def test_unsure_or_repeated_readings_are_not_added() -> None:
    prep = _prep([UPPER, LOWER])
    row = make_line([Word("E44N", BBox(110, 54, 170, 76), 0.9)])
    assert recover(prep, [row], [TABLE], lambda boxes: [("9133021", 0.5)]) == ([row], 0)
    # tesseract put the text on the wrong rows: the reading repeats it and is dropped
    shifted = make_line([Word("E44N", BBox(110, 54, 170, 76), 0.9), Word("91330213MA2EW9", BBox(110, 60, 280, 76), 0.9)])
    assert recover(prep, [shifted], [TABLE], lambda boxes: [("91330213MA2EW9", 0.99)]) == ([shifted], 0)


def test_words_of_one_line_keep_their_order_and_stacked_words_read_top_down() -> None:
    flat = [Word("宁波", BBox(0, 0, 40, 20)), Word("有限公司", BBox(41, 1, 120, 21))]
    assert stacked_line(flat).text == "宁波有限公司"
    stacked = [Word("月6日", BBox(200, 30, 260, 50)), Word("2020年1", BBox(200, 0, 280, 20)), *flat]
    assert [w.text for w in stacked_line(stacked).words] == ["宁波", "有限公司", "2020年1", "月6日"]


def test_a_centred_cell_read_into_both_lines_of_its_row_stays_in_the_nearer_one() -> None:
    name = [Word("宁波鼎瀚", BBox(100, 100, 180, 120), 0.95), Word("物流有限公司", BBox(182, 100, 300, 120), 0.95)]
    upper = make_line([Word("4", BBox(20, 90, 30, 110), 0.9), *name, Word("913302823017972", BBox(320, 88, 500, 108))])
    twice = Word("宁波鼎瀚物流有限公司", BBox(100, 99, 300, 121), 0.99)
    lower = make_line([Word("8", BBox(20, 118, 30, 138), 0.9), twice, Word("52G", BBox(320, 118, 360, 138))])
    grid = [Table(((Cell("", BBox(0, 85, 90, 145)), Cell("", BBox(90, 85, 310, 145))),))]
    got = drop_double_reads([upper, lower], grid)
    assert [ln.text for ln in got] == [upper.text, "8 52G"]
    # the same text on other rows is another cell's
    apart = make_line([Word("宁波鼎瀚物流有限公司", BBox(100, 140, 300, 160), 0.99)])
    assert drop_double_reads([upper, apart], grid) == [upper, apart]
    # a list without rules is read row by row from its lines: the row's line keeps its name
    assert drop_double_reads([upper, lower], []) == [upper, lower]


def test_the_nearer_line_keeps_the_fuller_of_two_readings() -> None:
    # A licence's code read whole, and again in part on a ghost line across its lower half (the demo's P0001):
    # the ghost's line is the nearer one, and it takes the whole code.
    code = Word("913302118866980211", BBox(454, 239, 829, 288), 0.97)
    whole = make_line([code, Word("_", BBox(2084, 262, 2085, 265), 0.2)])
    ghost = make_line([Word("130211886698", BBox(452, 258, 736, 298), 0.82)])
    grid = [Table(((Cell("", BBox(440, 230, 840, 300)),),))]
    got = drop_double_reads([whole, ghost], grid)
    assert [ln.text for ln in got] == ["_", "913302118866980211"]


# --- through the pipeline: a scanned list whose every row wraps -------------------------------

CODES = ["9133021358073021X2", "91330211MA2U7CH315", "913302030364262143", "91330226MA2KE4401P"]
WIDTHS = [24, 150, 100, 36, 62, 62, 48]


def _wrapped_list_pdf(ruled: bool = True) -> bytes:
    """A list (ruled, or not) with columns so narrow that codes, dates and two-digit 序号 take two lines."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    font = _font()
    xs = [60.0]
    for w in WIDTHS:
        xs.append(xs[-1] + w)
    top, row_h, size = A4[1] - 120, 40, 10.5
    header = [["序", "号"], ["企业名称"], ["统一社会信用", "代码"], ["规模"], ["服务内容"], ["服务日期"], ["公益性"]]
    rows = [header]
    for i, code in enumerate(CODES):
        n = str(10 + i)
        rows.append([[n[0], n[1]], [f"宁波测试{i + 1}号有限公司"], [code[:14], code[14:]], ["小"], ["政策咨询"],
                     ["2020年1", f"月{6 + i}日"], ["是"]])
    for r, cells in enumerate(rows):
        y = top - r * row_h
        if ruled:
            c.line(xs[0], y, xs[-1], y)
        for k, parts in enumerate(cells):
            block = len(parts) * size * 1.25
            for j, part in enumerate(parts):
                c.setFont(font, size)
                c.drawString(xs[k] + 4, y - (row_h - block) / 2 - size - j * size * 1.25, part)
    bottom = top - len(rows) * row_h
    if ruled:
        c.line(xs[0], bottom, xs[-1], bottom)
        for x in xs:
            c.line(x, top, x, bottom)
    c.showPage()
    c.save()
    return buf.getvalue()


def _scanned(pdf: bytes) -> ExtractedDocument:
    page = render(pdf, dpi=200)[0].rotate(1.0, resample=Image.BICUBIC, expand=True, fillcolor="white")
    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=70)
    data = image_pdf([Image.open(io.BytesIO(buf.getvalue())).convert("RGB")])
    return extract_document(data, doc("list.pdf", data, FileType.PDF), ctx(jobs=1, engine=OcrEngine.CASCADE))


@pytest.fixture(scope="module")
def wrapped_list() -> ExtractedDocument:
    return _scanned(_wrapped_list_pdf())


def test_every_line_of_a_wrapped_scanned_list_is_read(wrapped_list: ExtractedDocument) -> None:
    # tesseract alone drops the upper or lower line of half these cells (the 序号 "1" over "0" too)
    assert "lost table lines" in (wrapped_list.pages[0].engine or "")
    table = wrapped_list.pages[0].tables[0]
    body = [[c.text for c in r] for r in table.rows[1:]]
    assert len(body) == len(CODES)
    for i, (cells, code) in enumerate(zip(body, CODES, strict=True)):
        assert cells[2].replace(" ", "") == code and validate_uscc(code).valid
        assert f"2020年1月{6 + i}日" in cells[5].replace(" ", "")  # both lines, in order
        assert cells[0].replace(" ", "") == str(10 + i)


def test_a_list_without_rules_is_cut_into_cells_by_the_blank_strips_down_its_rows() -> None:
    # three columns of ink over three rows; the middle column's second row holds two lines, one read
    ink = [(20, 40 + 40 * r, 60, 60 + 40 * r) for r in range(3)] + [(300, 40 + 40 * r, 380, 60 + 40 * r) for r in range(3)]
    ink += [(100, 40, 250, 60), (100, 112, 250, 130), (100, 138, 200, 156), (100, 120, 250, 140)][:3]
    prep = _prep(ink)
    rows = [make_line([Word("1", BBox(20, 40, 60, 60)), Word("宁波甲有限公司", BBox(100, 40, 250, 60)),
                       Word("小", BBox(300, 40, 380, 60))]),
            make_line([Word("2", BBox(20, 80, 60, 100)), Word("小", BBox(300, 80, 380, 100))]),
            make_line([Word("3", BBox(20, 120, 60, 140)), Word("宁波丙", BBox(100, 138, 200, 156)),
                       Word("微", BBox(300, 120, 380, 140))])]
    grids = unruled_grids(prep.ocr_image, rows, CH)
    assert len(grids) == 1 and [len(r) for r in grids[0].rows] == [3, 3, 3]
    # the name column's lost line (row 3, upper) is found; nothing where words cover the ink
    lost = [b for b, _cell in lost_boxes(prep, grids, [w for ln in rows for w in ln.words])]
    assert lost == [BBox(100.0, 112.0, 250.0, 130.0)]
    # prose (lines of one segment) is no list
    prose = [make_line([Word("宁波甲有限公司成立于二〇一六年", BBox(20, 40 + 40 * r, 380, 60 + 40 * r))]) for r in range(3)]
    assert unruled_grids(prep.ocr_image, prose, CH) == []
    # a run whose lines mostly lack a box (an engine that gave words only) is no grid either, and no error
    boxless = [Line(ln.text, None, ln.conf, ln.words) for ln in rows[:2]] + [rows[2]]
    assert unruled_grids(prep.ocr_image, boxless, CH) == []


def test_every_code_of_a_wrapped_scanned_list_without_rules_is_read() -> None:
    """The same list without any rules: tesseract drops one line of most two-line cells (only "21X2" of the
    first code, "年1" of every date). The lost lines come back in order on their row's line: every date whole,
    and the codes tesseract did not misread (it read one code's upper line as 9130211…, over a box so tall
    that its lower line looks read)."""
    page = _scanned(_wrapped_list_pdf(ruled=False)).pages[0]
    assert "lost table lines" in (page.engine or "")
    text = "".join(ln.text.replace(" ", "") for ln in page.lines)
    assert sum(code in text for code in CODES) >= 3
    for i in range(len(CODES)):
        assert f"2020年1月{6 + i}日" in text
