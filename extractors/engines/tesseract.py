"""The one place that runs tesseract (via pytesseract): timeouts, version, error translation.

Tesseract's OpenMP threading halves throughput on small machines when pages already run
in parallel processes, so every call runs with OMP_THREAD_LIMIT=1.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pytesseract
from PIL import Image

from extractors.engines import EngineError, EngineTimeout, tesseract_api

log = logging.getLogger(__name__)

LAYOUT_MAX_HEIGHT = 4.0  # median word heights: a layout word taller than this is not text


@dataclass(frozen=True)
class TessWord:
    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float  # 0..1
    line_key: tuple[int, int, int]  # (block, paragraph, line) as tesseract numbers them


@lru_cache(maxsize=1)
def version() -> str:
    try:
        return str(pytesseract.get_tesseract_version()).split()[0]
    except Exception as exc:  # missing binary, broken install
        raise EngineError("ocr_unavailable", f"tesseract not available: {exc}") from exc


def engine_name(lang: str) -> str:
    return f"tesseract {version()} {lang}"


def _run(fn, image: Image.Image, timeout_s: float, **kw):  # type: ignore[no-untyped-def]
    os.environ["OMP_THREAD_LIMIT"] = "1"  # inherited by the tesseract child process
    try:
        return fn(image, timeout=max(1, int(round(timeout_s))), **kw)
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            raise EngineTimeout(f"tesseract timed out after {timeout_s:.0f}s") from exc
        raise EngineError("ocr_failed", f"tesseract failed: {exc}") from exc
    except pytesseract.TesseractError as exc:
        raise EngineError("ocr_failed", f"tesseract failed: {exc.message}") from exc
    except (OSError, pytesseract.TesseractNotFoundError) as exc:
        raise EngineError("ocr_unavailable", f"tesseract not runnable: {exc}") from exc


def _image(img: np.ndarray) -> Image.Image:
    """The array as a PIL image that pytesseract hands over as BMP: it writes every image to a temp
    file, as PNG unless the image says another format, and PNG encoding cost ~35 ms a page
    (BMP ~6 ms; tesseract reads the same pixels, same output)."""
    im = Image.fromarray(img)
    im.format = "BMP"
    return im


def image_to_words(img: np.ndarray, lang: str, psm: int, timeout_s: float) -> list[TessWord]:
    """Word boxes in the pixel coordinates of `img`; non-text rows (conf -1, blanks) dropped.

    In-process through the C API where libtesseract loads (the same words, without a process and a
    model load per call), else through pytesseract and the CLI."""
    api = _api(lang)
    if api is not None:
        return [TessWord(t, x, y, w, h, conf / 100.0, key) for t, x, y, w, h, conf, key in api.words(img, psm, timeout_s)]
    data = _run(
        pytesseract.image_to_data,
        _image(img),
        timeout_s,
        lang=lang,
        config=f"--psm {psm}",
        output_type=pytesseract.Output.DICT,
    )
    words = []
    for i, text in enumerate(data["text"]):
        conf = float(data["conf"][i])
        if conf < 0 or not str(text).strip():
            continue
        words.append(
            TessWord(
                text=str(text).strip(),
                left=int(data["left"][i]),
                top=int(data["top"][i]),
                width=int(data["width"][i]),
                height=int(data["height"][i]),
                conf=conf / 100.0,
                line_key=(int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i])),
            )
        )
    return words


def layout_words(img: np.ndarray, lang: str, psm: int) -> list[TessWord]:
    """Word boxes of tesseract's layout analysis alone (no recognition): empty texts, confidence 0.

    Without the C API, a whole recognition stands in (its texts are dropped)."""
    api = _api(lang)
    if api is not None:
        words = [TessWord("", x, y, w, h, 0.0, key) for _, x, y, w, h, _, key in api.layout(img, psm)]
    else:
        words = [TessWord("", w.left, w.top, w.width, w.height, 0.0, w.line_key)
                 for w in image_to_words(img, lang, psm, timeout_s=60)]
    if not words:
        return words
    # Layout may hold a "word" as big as the page (a frame's remains); recognition drops it, so do we.
    tall = LAYOUT_MAX_HEIGHT * float(np.median([w.height for w in words]))
    return [w for w in words if w.height <= tall]


def _api(lang: str) -> tesseract_api.TessApi | None:
    try:
        return tesseract_api.load(lang)
    except EngineError:
        raise
    except Exception as exc:  # a broken library: the CLI may still work
        log.warning("tesseract's C API unusable (%s); using the CLI", exc)
        return None


def orientation(img: np.ndarray, timeout_s: float) -> tuple[int, float]:
    """Clockwise degrees the page must be rotated to be upright, with OSD's confidence.

    Returns (0, 0.0) when OSD cannot decide (too little text): the caller keeps the page as is.
    """
    try:
        out = _run(pytesseract.image_to_osd, _image(img), timeout_s, config="--psm 0")
    except EngineTimeout:
        raise
    except EngineError as exc:
        log.debug("OSD gave no answer: %s", exc)
        return 0, 0.0
    rot = re.search(r"Rotate:\s*(\d+)", out)
    conf = re.search(r"Orientation confidence:\s*([\d.]+)", out)
    return (int(rot.group(1)) if rot else 0), (float(conf.group(1)) if conf else 0.0)


def read_restricted(img: np.ndarray, lang: str, chars: str, timeout_s: float) -> tuple[str, float]:
    """One line of `img` read with only `chars` allowed (a closed vocabulary): text and mean confidence."""
    words = _run(pytesseract.image_to_data, _image(img), timeout_s, lang=lang,
                 config=f"--psm 7 -c tessedit_char_whitelist={chars}", output_type=pytesseract.Output.DICT)
    found = [(str(t).strip(), float(c)) for t, c in zip(words["text"], words["conf"], strict=True)
             if float(c) >= 0 and str(t).strip()]
    if not found:
        return "", 0.0
    return "".join(t for t, _ in found), min(c for _, c in found) / 100.0
