"""The one place that runs RapidOCR (PP-OCRv4 det/rec on onnxruntime): loading, version, errors.

The models ship inside the `rapidocr_onnxruntime` wheel; nothing is downloaded. Loading the
three ONNX sessions costs about a second, so each process builds one engine lazily, on first
use, per thread setting. When pages already run in parallel processes every session runs with
one intra-op thread (`threads=1`); onnxruntime's own thread pool would only fight them.

Calls cannot be interrupted once started: callers check their deadline before calling.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import metadata
from typing import Any

import cv2
import numpy as np

from extractors.engines import EngineError

log = logging.getLogger(__name__)

PACKAGE = "rapidocr_onnxruntime"
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in the pixels of the image passed in
MIN_SCORE = 0.3  # full-page reading: lines below this are noise (stamps, QR codes, emblems)
# The recogniser pads every crop of a batch with grey to at least rec_img_shape's width (320 px
# at height 48 by default): a one-word table cell then costs as much as a 7-character line. With
# width 48 and small batches (crops sorted by aspect ratio) short cells cost what they hold;
# measured on a scanned client list: 212 cell crops 8.3 s -> 3.5 s, same text.
REC_SETTINGS = {"rec_img_shape": [3, 48, 48], "rec_batch_num": 3}
MIN_RATIO = 2.0  # narrower crops get white sides up to this width/height (a lone "0" reads better)

_lock = threading.Lock()
_engines: dict[int, Any] = {}


@lru_cache(maxsize=1)
def version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError as exc:
        raise EngineError("ocr_unavailable", f"{PACKAGE} is not installed") from exc


def engine_name() -> str:
    return f"rapidocr-onnxruntime {version()}"


def available() -> bool:
    try:
        version()
    except EngineError:
        return False
    return True


def _threads(threads: int) -> int:
    """0 means onnxruntime's default (all cores); otherwise clamp to what the machine has."""
    return 0 if threads <= 0 else min(threads, os.cpu_count() or 1)


def _engine(threads: int) -> Any:
    n = _threads(threads)
    with _lock:
        eng = _engines.get(n)
        if eng is None:
            version()  # a clear error when the package is missing
            try:
                from rapidocr_onnxruntime import RapidOCR  # heavy import: onnxruntime

                kw = {"intra_op_num_threads": n, "inter_op_num_threads": 1} if n else {}
                eng = RapidOCR(print_verbose=False, **REC_SETTINGS, **kw)
            except Exception as exc:  # missing model file, broken onnxruntime
                raise EngineError("ocr_unavailable", f"RapidOCR cannot start: {exc}") from exc
            log.debug("RapidOCR %s loaded (intra-op threads: %s)", version(), n or "default")
            _engines[n] = eng
        return eng


def _bgr(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else img


def _crop(gray: np.ndarray, box: Box, pad: int) -> np.ndarray | None:
    h, w = gray.shape[:2]
    x0, y0, x1, y1 = max(0, int(box[0])), max(0, int(box[1])), min(w, int(box[2])), min(h, int(box[3]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = gray[y0:y1, x0:x1]
    if pad > 0:
        crop = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    h, w = crop.shape[:2]
    if w < MIN_RATIO * h:  # more white than this makes the recogniser see glyphs in it
        side = int((MIN_RATIO * h - w) / 2)
        crop = cv2.copyMakeBorder(crop, 0, 0, side, side, cv2.BORDER_CONSTANT, value=255)
    return _bgr(np.ascontiguousarray(crop))


def _per_box(gray: np.ndarray, boxes: Sequence[Box], threads: int, pad: int, what: str,
             run: Callable[[Any, list[np.ndarray]], list[tuple[str, float]]]) -> list[tuple[str, float]]:
    """`run` on the crops of the boxes that have one; ("", 0.0) for an empty box; engine errors as EngineError."""
    out: list[tuple[str, float]] = [("", 0.0)] * len(boxes)
    crops = [_crop(gray, b, pad) for b in boxes]
    todo = [i for i, c in enumerate(crops) if c is not None]
    if not todo:
        return out
    try:
        res = run(_engine(threads), [crops[i] for i in todo])  # type: ignore[misc]
    except Exception as exc:
        raise EngineError("ocr_failed", f"RapidOCR {what} failed: {exc}") from exc
    for i, (text, score) in zip(todo, res, strict=True):
        out[i] = (text, float(score))
    return out


def _recognise(eng: Any, crops: list[np.ndarray]) -> list[tuple[str, float]]:
    rec = getattr(eng, "text_rec", None)
    if rec is not None:  # batched: the recogniser sorts crops by width and runs 6 at a time
        res, _elapsed = rec(crops)
    else:  # public per-image call
        res = [(eng(c, use_det=False, use_cls=False, use_rec=True)[0] or [("", 0.0)])[0] for c in crops]
    return [(_text(r[0]), r[1]) for r in res]


def recognize_lines(gray: np.ndarray, boxes: Sequence[Box], threads: int = 0, pad: int = 0) -> list[tuple[str, float]]:
    """Recognition only (no detection, no angle classifier) on each box of `gray`, batched.

    `pad` pixels of white are added around each crop: the recogniser wants a margin, and real
    pixels there would bring in the edges of the lines above and below. Returns (text, score
    0..1) per box, in order; an empty box gives ("", 0.0). Text is the engine's raw output
    (full-width punctuation); the caller normalises it.
    """
    return _per_box(gray, boxes, threads, pad, "recognition", _recognise)


def text_directions(gray: np.ndarray, boxes: Sequence[Box], threads: int = 0, pad: int = 0) -> list[tuple[str, float]]:
    """RapidOCR's text-direction classifier alone on each box of `gray`: ("0" or "180", score 0..1)
    per box, in order; an empty box gives ("", 0.0). About 2 ms a crop on one core."""
    return _per_box(gray, boxes, threads, pad, "direction classifier",
                    lambda eng, crops: [(str(label), score) for label, score in eng.text_cls(crops)[1]])


# The PP-OCR recogniser's dictionary answers 丶 (the "dot" radical) for the enumeration comma 、, which
# running Chinese text uses all the time and the radical never: 5 of 7 errors on a 300 dpi text page.
_LOOKALIKE_PUNCTUATION = str.maketrans({"丶": "、"})


def _text(raw: object) -> str:
    return str(raw).translate(_LOOKALIKE_PUNCTUATION)


def read_page(gray: np.ndarray, threads: int = 0) -> tuple[list[tuple[Box, str, float]], float]:
    """Full detection + angle classification + recognition: (axis-aligned box, text, score) per text
    line, and the share of lines the angle classifier found upside down (≈1 on a page turned 180°:
    each line is then read turned back, but the page's geometry and line order are upside down)."""
    eng = _engine(threads)
    labels: list[str] = []  # per detected line: "180" when the classifier turned it back
    cls = getattr(eng, "text_cls", None)

    def spy(imgs):  # type: ignore[no-untyped-def]
        out = cls(imgs)
        thresh = getattr(cls, "cls_thresh", 0.9)
        labels.extend(str(label) if score > thresh else "" for label, score in out[1])
        return out

    try:
        if cls is not None:
            eng.text_cls = spy  # the classifier's verdicts are not in the result; this call's engine only
        result, _elapsed = eng(_bgr(gray), use_det=True, use_cls=True, use_rec=True, text_score=MIN_SCORE)
    except Exception as exc:
        raise EngineError("ocr_failed", f"RapidOCR failed: {exc}") from exc
    finally:
        if cls is not None:
            eng.text_cls = cls
    out: list[tuple[Box, str, float]] = []
    for quad, text, score in result or []:
        pts = np.asarray(quad, dtype=np.float64)
        box = (int(pts[:, 0].min()), int(pts[:, 1].min()), int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max())))
        out.append((box, _text(text), float(score)))
    upside_down = sum("180" in x for x in labels) / len(labels) if labels else 0.0
    return out, upside_down
