"""Character error rate: edit distance between what an engine read and the page's true text.

Both sides are NFKC-normalised the way every extractor normalises text (extractors.text) and
stripped of all whitespace first: engines differ in where they put spaces and line breaks, and
neither counts as a character a reader would miss. Reading order still counts (a line read in
another order costs edits); `bag_errors` gives the order-free lower bound beside it.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from extractors.text import normalize_text


def comparable(text: str) -> str:
    return "".join(normalize_text(text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: cost 1 each).

    One numpy pass per character of the shorter string: the row's insertion chain
    cur[j] = min(cur[j-1] + 1, tmp[j]) is a running minimum of tmp[k] - k, shifted by j.
    A 2,000-character page pair takes a few milliseconds instead of seconds in pure Python.
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    bs = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1)
    prev = idx.copy()
    for i, ch in enumerate(a, 1):
        tmp = np.empty_like(prev)
        tmp[0] = i
        # substitute/match from the diagonal, delete from above
        tmp[1:] = np.minimum(prev[:-1] + (bs != ord(ch)), prev[1:] + 1)
        prev = np.minimum.accumulate(tmp - idx) + idx
    return int(prev[-1])


def bag_errors(read: str, truth: str) -> int:
    """Characters missing or extra regardless of order: a lower bound of the edit distance."""
    r, t = Counter(read), Counter(truth)
    return max(sum((t - r).values()), sum((r - t).values()))


def cer(read: str, truth: str) -> float:
    """Edit distance over the length of the truth, after `comparable` on both (can exceed 1 for junk)."""
    r, t = comparable(read), comparable(truth)
    return edit_distance(r, t) / max(1, len(t))
