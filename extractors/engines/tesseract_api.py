"""Tesseract in-process, through libtesseract's C API (ctypes): the model is loaded once per process.

The CLI (what pytesseract runs) starts a process and loads chi_sim on every call, ~0.17 s before a
pixel is read; a page takes one to three calls. Here one TessBaseAPI per thread and language stays
loaded. Layout analysis alone (lines and word boxes, no recognition) is offered too: it takes a
tenth of a recognition's time and is all the RapidOCR-lines engine needs from tesseract.

`load()` returns None where the library cannot be loaded (another platform, a missing package):
callers fall back to pytesseract. Images are set with 96 dpi, the resolution pytesseract's BMP
files carry, so the readings equal the CLI's.
"""
from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import logging
import os
import threading
from functools import lru_cache

import numpy as np

from extractors.engines import EngineError, EngineTimeout

log = logging.getLogger(__name__)

SOURCE_DPI = 96  # what Pillow writes into the BMP pytesseract hands the CLI
RIL_BLOCK, RIL_PARA, RIL_TEXTLINE, RIL_WORD = 0, 1, 2, 3
_P = ctypes.c_void_p
_INT_P = ctypes.POINTER(ctypes.c_int)
# name: (restype, argtypes)
_SIGNATURES = {
    "TessBaseAPICreate": (_P, []),
    "TessBaseAPIInit3": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "TessBaseAPIDelete": (None, [_P]),
    "TessBaseAPISetPageSegMode": (None, [_P, ctypes.c_int]),
    "TessBaseAPISetImage": (None, [_P, _P, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]),
    "TessBaseAPISetSourceResolution": (None, [_P, ctypes.c_int]),
    "TessBaseAPIRecognize": (ctypes.c_int, [_P, _P]),
    "TessBaseAPIAnalyseLayout": (_P, [_P]),
    "TessBaseAPIGetIterator": (_P, [_P]),
    "TessBaseAPIClear": (None, [_P]),
    "TessBaseAPISetVariable": (ctypes.c_int, [_P, ctypes.c_char_p, ctypes.c_char_p]),
    "TessResultIteratorGetPageIterator": (_P, [_P]),
    "TessResultIteratorGetUTF8Text": (_P, [_P, ctypes.c_int]),
    "TessResultIteratorConfidence": (ctypes.c_float, [_P, ctypes.c_int]),
    "TessResultIteratorDelete": (None, [_P]),
    "TessPageIteratorBoundingBox": (ctypes.c_int, [_P, ctypes.c_int, _INT_P, _INT_P, _INT_P, _INT_P]),
    "TessPageIteratorNext": (ctypes.c_int, [_P, ctypes.c_int]),
    "TessPageIteratorIsAtBeginningOf": (ctypes.c_int, [_P, ctypes.c_int]),
    "TessPageIteratorDelete": (None, [_P]),
    "TessDeleteText": (None, [_P]),
    "TessMonitorCreate": (_P, []),
    "TessMonitorDelete": (None, [_P]),
    "TessMonitorSetDeadlineMSecs": (None, [_P, ctypes.c_int]),
}

# One word as the TSV renderer gives it: text, left, top, width, height, conf (0..100), (block, par, line).
RawWord = tuple[str, int, int, int, int, float, tuple[int, int, int]]


@lru_cache(maxsize=1)
def _library() -> ctypes.CDLL | None:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # read once when libgomp starts (see engines.tesseract)
    name = ctypes.util.find_library("tesseract") or "libtesseract.so.5"
    try:
        lib = ctypes.CDLL(name)
        for fn, (restype, argtypes) in _SIGNATURES.items():
            f = getattr(lib, fn)
            f.restype, f.argtypes = restype, argtypes
    except (OSError, AttributeError) as exc:
        log.info("libtesseract not loadable in-process (%s); tesseract runs as a CLI", exc)
        return None
    return lib


class TessApi:
    """One loaded TessBaseAPI (one language); not shareable between threads."""

    def __init__(self, lib: ctypes.CDLL, lang: str) -> None:
        self._lib = lib
        self._api = lib.TessBaseAPICreate()
        if lib.TessBaseAPIInit3(self._api, None, lang.encode()) != 0:
            lib.TessBaseAPIDelete(self._api)
            raise EngineError("ocr_unavailable", f"tesseract could not load language {lang!r}")
        # Its diagnostics ("Image too small to scale!!", "Mean= 0.00") went to the CLI's stderr, which
        # pytesseract swallowed; in-process they would land in ours, and in officers' terminals.
        lib.TessBaseAPISetVariable(self._api, b"debug_file", os.devnull.encode())

    def _set(self, img: np.ndarray, psm: int) -> np.ndarray:
        if img.ndim != 2 or img.dtype != np.uint8:
            raise ValueError("tesseract_api takes 8-bit grayscale images")
        img = np.ascontiguousarray(img)
        h, w = img.shape
        self._lib.TessBaseAPISetPageSegMode(self._api, psm)
        self._lib.TessBaseAPISetImage(self._api, img.ctypes.data, w, h, 1, w)
        self._lib.TessBaseAPISetSourceResolution(self._api, SOURCE_DPI)
        return img  # the caller holds it until tesseract is done with the pixels

    def words(self, img: np.ndarray, psm: int, timeout_s: float) -> list[RawWord]:
        """Recognised words, as pytesseract's image_to_data has them (blank words dropped)."""
        lib = self._lib
        held = self._set(img, psm)
        monitor = lib.TessMonitorCreate()
        try:
            lib.TessMonitorSetDeadlineMSecs(monitor, max(1, int(timeout_s * 1000)))
            if lib.TessBaseAPIRecognize(self._api, monitor) != 0:
                raise EngineTimeout(f"tesseract timed out after {timeout_s:.0f}s")
            it = lib.TessBaseAPIGetIterator(self._api)
            return self._walk(it, recognised=True) if it else []
        finally:
            lib.TessMonitorDelete(monitor)
            lib.TessBaseAPIClear(self._api)
            del held

    def layout(self, img: np.ndarray, psm: int) -> list[RawWord]:
        """Word boxes of tesseract's layout analysis, no recognition: texts are empty, confidences 0."""
        held = self._set(img, psm)
        try:
            it = self._lib.TessBaseAPIAnalyseLayout(self._api)
            return self._walk(it, recognised=False) if it else []
        finally:
            self._lib.TessBaseAPIClear(self._api)
            del held

    def _walk(self, it: int, recognised: bool) -> list[RawWord]:
        """Every word of an iterator, numbered (block, paragraph, line) from 1 as the TSV renderer does."""
        lib = self._lib
        page_it = lib.TessResultIteratorGetPageIterator(it) if recognised else it
        box = [ctypes.c_int() for _ in range(4)]
        block = par = line = 0
        out: list[RawWord] = []
        try:
            while True:
                if lib.TessPageIteratorIsAtBeginningOf(page_it, RIL_BLOCK):
                    block, par, line = block + 1, 0, 0
                if lib.TessPageIteratorIsAtBeginningOf(page_it, RIL_PARA):
                    par, line = par + 1, 0
                if lib.TessPageIteratorIsAtBeginningOf(page_it, RIL_TEXTLINE):
                    line += 1
                if lib.TessPageIteratorBoundingBox(page_it, RIL_WORD, *[ctypes.byref(b) for b in box]):
                    x0, y0, x1, y1 = (b.value for b in box)
                    text, conf = "", 0.0
                    if recognised:
                        ptr = lib.TessResultIteratorGetUTF8Text(it, RIL_WORD)
                        if ptr:
                            text = ctypes.string_at(ptr).decode("utf-8", "replace")
                            lib.TessDeleteText(ptr)
                        # Whole percents, as the TSV renderer prints them: thresholds were set on those.
                        conf = float(int(lib.TessResultIteratorConfidence(it, RIL_WORD)))
                    if text.strip() or not recognised:
                        out.append((text.strip(), x0, y0, x1 - x0, y1 - y0, conf, (block, par, line)))
                if not lib.TessPageIteratorNext(page_it, RIL_WORD):
                    break
        finally:
            (lib.TessResultIteratorDelete if recognised else lib.TessPageIteratorDelete)(it)
        return out

    def close(self) -> None:
        if self._api:
            self._lib.TessBaseAPIDelete(self._api)
            self._api = None


_local = threading.local()
_made: list[tuple[int, TessApi]] = []  # every handle of this process, freed at exit


@atexit.register
def _free() -> None:
    """Delete this process's handles: left to the library's own teardown, it warns of leaked objects."""
    for pid, api in _made:
        if pid == os.getpid():
            api.close()


def load(lang: str) -> TessApi | None:
    """This thread's loaded API for `lang`, made on first use; None if libtesseract is not loadable.

    Keyed by process id as well: a forked worker must not use its parent's handle."""
    lib = _library()
    if lib is None:
        return None
    apis: dict[tuple[int, str], TessApi] = _local.__dict__.setdefault("apis", {})
    key = (os.getpid(), lang)
    if key not in apis:
        apis[key] = TessApi(lib, lang)
        _made.append((key[0], apis[key]))
    return apis[key]
