"""Which segments of tesseract's lines the cascade has RapidOCR's recogniser read again.

Recognition costs in proportion to the width read (about 20 ms per crop of a table cell on one
core), and on a scanned client list nearly every cell is doubtful, so each segment skipped here is
time saved. A segment is skipped only where a re-reading cannot change what the fact readers and
the rules see.
"""
from __future__ import annotations

from collections.abc import Sequence

from extractors.models import Word
from extractors.normalize.uscc import validate_uscc


def needs_reread(words: Sequence[Word], spanned: bool, doubt_below: float, review_below: float) -> bool:
    """True when the segment's `words` (tesseract's; none for ink it skipped) are to be re-read.

    Re-read: ink tesseract skipped, a word running across a cell border (`spanned`), or a word
    below `doubt_below`, unless the segment is one credit code that passes both check digits and
    tesseract is at least `review_below` sure of it (see `lone_valid_code`).
    """
    if spanned or not words:
        return True
    least = min(w.conf or 0.0 for w in words)
    if least >= doubt_below:
        return False
    return not (least >= review_below and lone_valid_code(words))


def lone_valid_code(words: Sequence[Word]) -> bool:
    """The segment is one word, an 18-character credit code passing both check digits.

    The cascade never trades a valid code for another reading (a misread passes both checks about
    once in 300), so re-reading it could only repeat it with RapidOCR's confidence; from the review
    threshold up that confidence changes nothing either (the rules ask for review below it).
    """
    return len(words) == 1 and len(words[0].text) == 18 and validate_uscc(words[0].text).valid
