"""Colourless seals (gray scans): found by their ring, erased, and the words they crossed distrusted."""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from extractors import imaging, seal_rings
from extractors.models import BBox, Line, Word
from extractors.ocr import SEAL_CROSSED_CONF, _distrust_seal_crossings
from synth.render_img import seal
from tests.unit.test_extract_fixtures import FONT_PATH

LINES = ["第二条　租赁期限：2020/07/21至2023/07/20止。", "第三条　年租金人民币408000元，按季度支付。",
         "甲方（盖章）：宁波德凯科技园开发有限公司", "乙方（盖章）：宁波市颐博质量技术服务有限公司"]


def _page(stamp: bool = True, photocopy: bool = False) -> tuple[np.ndarray, tuple[int, int, int]]:
    """A 200 dpi-like gray page: four text lines, a gray seal over the end of the first two (centre, radius).
    `photocopy`: the seal printed as black as the text."""
    page = Image.new("RGB", (1400, 700), (246, 246, 246))
    font = ImageFont.truetype(FONT_PATH, 28)
    draw = ImageDraw.Draw(page)
    for i, text in enumerate(LINES):
        draw.text((60, 120 + 60 * i), text, font=font, fill=(25, 25, 25))
    stamp_img = seal("宁波市颐博质量技术服务有限公司", 270)
    if photocopy:
        stamp_img = Image.merge("RGBA", (*Image.new("RGB", stamp_img.size, (25, 25, 25)).split(),
                                         stamp_img.getchannel("A").point(lambda a: 255 if a > 60 else 0)))
    if stamp:
        page.paste(stamp_img, (560, 20), stamp_img)
    gray = np.asarray(page.convert("L"))  # a grayscale scan: the red is gone, the seal is as dark as text
    return gray, (560 + 135, 20 + 135, 129)


def test_a_gray_seal_is_found_by_its_ring():
    gray, (cx, cy, r) = _page()
    prep = imaging.prepare(gray)
    assert prep.seal_ink is not None
    rings = seal_rings.find_rings(np.where(prep.seal_ink, 0, prep.ocr_image).astype(np.uint8), prep.char_h)
    assert len(rings) == 1
    ring = rings[0]
    assert abs(ring.x - cx) < 6 and abs(ring.y - cy) < 6
    assert ring.r_in < r < ring.r_out + 4


def test_text_without_a_seal_has_no_ring():
    gray, _ = _page(stamp=False)
    binary = imaging.binarize(gray)
    assert seal_rings.find_rings(binary, imaging.char_height(binary)) == []
    assert imaging.prepare(gray).seal_ink is None


def test_seal_ink_goes_and_the_text_lines_stay():
    gray, (cx, cy, r) = _page()
    clean, _ = _page(stamp=False)
    prep = imaging.prepare(gray)
    text = imaging.binarize(clean) < 128
    ink = prep.ocr_image < 128
    yy, xx = np.mgrid[0:ink.shape[0], 0:ink.shape[1]]
    disc = np.hypot(xx - cx, yy - cy) <= r + 4
    # inside the seal, what is left is nearly all the document's text
    left = ink & disc
    assert (left & text).sum() >= 0.8 * left.sum()
    # the lines running through the seal keep most of their ink there; outside it nothing changed
    assert (ink & text & disc).sum() >= 0.6 * (text & disc).sum()
    assert (ink[~disc] != text[~disc]).mean() < 0.002


def test_words_the_seal_was_erased_from_are_distrusted():
    gray, (cx, cy, r) = _page()
    prep = imaging.prepare(gray)
    crossed = Word("2023/07/20止", BBox(cx - r - 20, 118, cx - r + 140, 152), 0.97)
    clear = Word("第二条", BBox(60, 118, 160, 152), 0.97)
    below = Word("乙方", BBox(60, 298, 120, 332), 0.93)
    lines = _distrust_seal_crossings([Line("x", words=(clear, crossed)), Line("y", words=(below,))], prep)
    assert [w.conf for w in lines[0].words] == [0.97, SEAL_CROSSED_CONF]
    assert lines[1].words[0].conf == 0.93


def _ring_band(shape: tuple[int, ...], cx: int, cy: int, r: int) -> np.ndarray:
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    return np.abs(np.hypot(xx - cx, yy - cy) - r) <= 3


def test_text_strokes_darker_than_the_seal_survive_its_ring():
    """A gray scan of a red seal leaves the seal lighter than black text: where the ring crosses a date,
    the date's strokes stay (erasing the ring's whole shape had cut 三 to 二)."""
    gray, (cx, cy, r) = _page()
    clean, _ = _page(stamp=False)
    prep = imaging.prepare(gray)
    crossing = (imaging.binarize(clean) < 128) & _ring_band(gray.shape, cx, cy, r)
    assert crossing.sum() > 50
    assert (prep.ocr_image[crossing] < 128).mean() > 0.7


def test_a_photocopied_seal_as_dark_as_text_is_erased_by_shape():
    gray, (cx, cy, r) = _page(photocopy=True)
    clean, _ = _page(stamp=False)
    prep = imaging.prepare(gray)
    assert prep.seal_ink is not None
    ring_only = _ring_band(gray.shape, cx, cy, r) & ~(imaging.binarize(clean) < 128)
    assert (prep.ocr_image[ring_only] > 128).mean() > 0.97  # nothing of the ring is kept as text


def test_words_under_a_seal_keep_their_confidence_where_confirmed():
    gray, (cx, cy, r) = _page()
    prep = imaging.prepare(gray)
    crossed = Word("2023/07/20止", BBox(cx - r - 20, 118, cx - r + 140, 152), 0.97)
    lines = [Line("x", words=(crossed,))]
    assert _distrust_seal_crossings(lines, prep, lambda words: [True] * len(words))[0].words[0].conf == 0.97
    assert _distrust_seal_crossings(lines, prep, lambda words: [False] * len(words))[0].words[0].conf == SEAL_CROSSED_CONF


def test_words_under_a_gray_seal_are_trusted_only_where_both_engines_read_what_they_hold():
    """Tesseract reads the erased image, RapidOCR the gray one (seal still there). The ring cuts through the
    lease term and the rent, which come back misread or disputed: they stay distrusted. The lessor's line
    under the seal is read alike by both: it keeps its confidence (it was capped before). Under a
    photocopied seal, as dark as the text, nothing misread is trusted either."""
    from extractors.context import ExtractionContext
    from extractors.ocr import ocr_page

    for photocopy in (False, True):
        lines = ocr_page(_page(photocopy=photocopy)[0], 1, ExtractionContext(jobs=1)).lines
        for ln, truth in zip(lines, LINES, strict=True):
            if ln.text.replace(" ", "") != truth.replace("\u3000", "").replace("：", ":").replace("（", "(") \
                    .replace("）", ")").replace("，", ","):
                assert ln.words[-1].conf is not None and ln.words[-1].conf <= SEAL_CROSSED_CONF, ln.text
    lessor = ocr_page(_page()[0], 1, ExtractionContext(jobs=1)).lines[2]
    assert lessor.text == "甲方(盖章):宁波德凯科技园开发有限公司" and lessor.conf is not None and lessor.conf > 0.9
