"""Tesseract in-process (C API via ctypes) against the CLI pytesseract runs: the same words, boxes,
confidences and line numbers; layout analysis alone; deadlines; the CLI where the library is missing."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from extractors import imaging
from extractors.engines import EngineTimeout, tesseract_api
from extractors.engines import tesseract as tess
from tests.unit.test_extract_fixtures import render, scanned, text_pdf


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """A scanned text page as the OCR path gives it to tesseract: deskewed, binary."""
    img = scanned(render(text_pdf())[0], angle=1.0)
    return imaging.prepare(imaging.remove_red(np.asarray(img.convert("RGB"))), 0).ocr_image


def _cli_words(monkeypatch: pytest.MonkeyPatch, img: np.ndarray, psm: int) -> list[tess.TessWord]:
    with monkeypatch.context() as m:
        m.setattr(tess, "_api", lambda lang: None)
        return tess.image_to_words(img, "chi_sim", psm, 60)


def test_library_loads_here() -> None:
    # CI installs tesseract-ocr, which brings libtesseract: the fallback must not hide a broken binding.
    assert tesseract_api.load("chi_sim") is not None


@pytest.mark.parametrize("psm", [6, 7])
def test_words_equal_the_cli(page: np.ndarray, psm: int, monkeypatch: pytest.MonkeyPatch) -> None:
    img = page if psm == 6 else page[: page.shape[0] // 8]
    api = tess.image_to_words(img, "chi_sim", psm, 60)
    cli = _cli_words(monkeypatch, img, psm)
    assert len(api) > (20 if psm == 6 else 0)
    assert api == cli


def test_layout_gives_the_recognised_lines_without_text(page: np.ndarray) -> None:
    read = tess.image_to_words(page, "chi_sim", 6, 60)
    laid = tess.layout_words(page, "chi_sim", 6)
    assert laid and all(w.text == "" and w.conf == 0.0 for w in laid)
    assert {w.line_key for w in laid} == {w.line_key for w in read}
    # Each line spans the same stretch of the page, give or take the few pixels recognition refits.
    for key in {w.line_key for w in read}:
        for words in ([w for w in laid if w.line_key == key], [w for w in read if w.line_key == key]):
            assert words
        lx0 = min(w.left for w in laid if w.line_key == key)
        lx1 = max(w.left + w.width for w in laid if w.line_key == key)
        ly = np.median([w.top + w.height / 2 for w in laid if w.line_key == key])
        ry = np.median([w.top + w.height / 2 for w in read if w.line_key == key])
        assert lx0 - 5 <= min(w.left for w in read if w.line_key == key)
        assert max(w.left + w.width for w in read if w.line_key == key) <= lx1 + 5
        assert abs(ly - ry) <= 8


def test_deadline_is_a_timeout(page: np.ndarray) -> None:
    api = tesseract_api.load("chi_sim")
    assert api is not None
    big = np.tile(page, (4, 1))
    with pytest.raises(EngineTimeout):
        api.words(big, 6, timeout_s=0.001)
    assert api.words(page[:200], 6, timeout_s=60) is not None  # the handle is usable after a timeout


def test_unknown_language_is_an_engine_error() -> None:
    with pytest.raises(tess.EngineError) as err:
        tesseract_api.load("xx_nonexistent")
    assert err.value.code == "ocr_unavailable"


def test_threads_get_their_own_handle(page: np.ndarray) -> None:
    handles: list[object] = []
    t = threading.Thread(target=lambda: handles.append(tesseract_api.load("chi_sim")))
    t.start()
    t.join()
    assert handles[0] is not None and handles[0] is not tesseract_api.load("chi_sim")


def test_without_the_library_the_cli_reads(page: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract_api, "_library", lambda: None)
    assert tesseract_api.load("chi_sim") is None
    words = tess.image_to_words(page[: page.shape[0] // 4], "chi_sim", 6, 60)
    laid = tess.layout_words(page[: page.shape[0] // 4], "chi_sim", 6)
    assert words and laid and all(w.text == "" for w in laid)


def test_diagnostics_stay_out_of_our_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    # A sliver too small to scale makes tesseract print "Image too small to scale!!" (the CLI's stderr,
    # which pytesseract swallowed); in-process it must not reach the officer's terminal.
    sliver = np.full((48, 2), 255, np.uint8)
    sliver[10:30, 0] = 0
    tess.image_to_words(sliver, "chi_sim", 7, 5)
    tess.image_to_words(np.full((60, 60), 255, np.uint8), "chi_sim", 10, 5)
    assert capfd.readouterr().err == ""
