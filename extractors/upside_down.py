"""Pages fed in upside down, told before tesseract reads them, by RapidOCR's text-direction classifier.

Tesseract reads a page turned 180° as confident-looking garbage only after a full reading
(1.5-2.5 s), and then needed its orientation check (OSD, ~1 s) and a second reading. The cascade
has RapidOCR loaded anyway: its direction classifier, on a dozen crops of text lines found in
the prepared image, says "0" or "180" for each in ~50 ms a page. The page is turned only when
the sure verdicts clearly say 180; anything else leaves the page to the usual path (tesseract,
then OSD when the reading is weak), so a wrong "upright" costs time, never text. Pages turned
90° are not this module's: their lines run down the page and the classifier only knows 0/180.
"""
from __future__ import annotations

import logging

import cv2
import numpy as np

from extractors import imaging
from extractors.engines import EngineError
from extractors.engines import rapidocr as rapid

log = logging.getLogger(__name__)

SAMPLE_LINES = 12  # longest stretches of text classified
SURE = 0.9  # classifier score from which a verdict counts (RapidOCR's own cls_thresh)
MIN_TURNED = 3  # sure "180" verdicts needed ...
TURNED_SHARE = 0.8  # ... and their share of the sure verdicts
SMALL_CHAR_PX = 12  # lines are found on a copy scaled to about this character height
MAX_RATIO = 5.0  # crops are cut to this width/height: the classifier squeezes wider ones into 192×48


def text_line_boxes(prep: imaging.Prepared, limit: int = SAMPLE_LINES) -> list[tuple[int, int, int, int]]:
    """The widest stretches of text one line high (x0, y0, x1, y1 in prepared pixels), widest first.

    Glyphs are smeared together along the line on a small copy of the line-free binary image;
    blobs one character high and at least three wide are stretches of a text line.
    """
    ch = prep.char_h
    f = min(1.0, SMALL_CHAR_PX / max(ch, 1.0))
    ink = (prep.ocr_image < 128).astype(np.uint8) * 255
    if f < 1.0:
        ink = cv2.resize(ink, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    smear = cv2.dilate((ink > 64).astype(np.uint8), np.ones((1, max(3, round(0.8 * ch * f))), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(smear, connectivity=8)
    found = [(x, y, w, h) for x, y, w, h, _ in stats[1:] if 0.6 * ch * f <= h <= 1.6 * ch * f and w >= 3 * ch * f]
    found.sort(key=lambda b: -b[2])
    out = []
    for x, y, w, h in found[:limit]:
        x0, y0, x1, y1 = x / f, y / f, (x + w) / f, (y + h) / f
        x1 = min(x1, x0 + MAX_RATIO * (y1 - y0))
        out.append((int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))))
    return out


def looks_upside_down(prep: imaging.Prepared, threads: int = 1) -> bool:
    """True when RapidOCR's classifier is clearly sure most of the page's text lines are turned 180°."""
    boxes = text_line_boxes(prep)
    if len(boxes) < MIN_TURNED:
        return False
    try:
        verdicts = rapid.text_directions(prep.gray, boxes, threads, pad=round(0.25 * prep.char_h))
    except EngineError as exc:
        log.warning("no direction check by RapidOCR: %s", exc)
        return False
    turned = sum(label == "180" and score >= SURE for label, score in verdicts)
    upright = sum(label == "0" and score >= SURE for label, score in verdicts)
    return turned >= MIN_TURNED and turned >= TURNED_SHARE * (turned + upright)
