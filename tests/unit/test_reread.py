"""Which cascade segments RapidOCR reads again (extractors.reread)."""
from __future__ import annotations

import pytest

from extractors.models import BBox, Word
from extractors.reread import lone_valid_code, needs_reread

DOUBT, REVIEW = 0.90, 0.60


CODE = "91330282MA22QF4HX4"  # both check digits pass (tests/unit/test_uscc.py)


def words(*pairs: tuple[str, float]) -> list[Word]:
    return [Word(t, BBox(40.0 * i, 0, 40.0 * i + 30, 30), c) for i, (t, c) in enumerate(pairs)]


def test_confident_segments_are_kept() -> None:
    assert not needs_reread(words(("法定代表人:", 0.95), ("万建平", 0.93)), False, DOUBT, REVIEW)


@pytest.mark.parametrize("ws", [
    words(("法定代表人:", 0.95), ("万建平", 0.71)),  # one doubtful word: the whole segment
    words(("2021711719", 0.85)),  # a date tesseract is fairly sure of is still re-read
    words(("800", 0.89)),  # so is a number: a well-formed misreading would stay unnoticed
])
def test_a_doubtful_word_sends_the_segment_to_rapidocr(ws: list[Word]) -> None:
    assert needs_reread(ws, False, DOUBT, REVIEW)


def test_ink_tesseract_skipped_and_spanned_cells_are_always_reread() -> None:
    assert needs_reread([], False, DOUBT, REVIEW)
    assert needs_reread(words(("信息咨询", 0.99)), True, DOUBT, REVIEW)


def test_a_lone_valid_credit_code_is_not_reread() -> None:
    assert lone_valid_code(words((CODE, 0.79)))
    assert not needs_reread(words((CODE, 0.79)), False, DOUBT, REVIEW)


def test_a_valid_code_under_the_review_threshold_is_reread() -> None:
    # RapidOCR's (higher) confidence may lift the fact above the threshold the rules review below.
    assert needs_reread(words((CODE, 0.41)), False, DOUBT, REVIEW)


@pytest.mark.parametrize("ws", [
    words((CODE[:-1] + ("0" if CODE[-1] != "0" else "1"), 0.8)),  # check digit fails: maybe misread
    words((CODE[:17], 0.8)),  # a code cut short
    words(("统一社会信用代码:", 0.8), (CODE, 0.8)),  # the label beside it is doubtful too
    words((CODE[:9], 0.8), (CODE[9:], 0.8)),  # split in two words: RapidOCR joins it again
])
def test_anything_else_around_codes_is_reread(ws: list[Word]) -> None:
    assert needs_reread(ws, False, DOUBT, REVIEW)
