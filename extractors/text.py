"""Text normalisation used by every extractor: NFKC plus removal of stray spaces around CJK.

OCR engines and pdfplumber put spaces between CJK characters ("宁 波 市"); downstream
regexes and comparisons expect "宁波市". Spaces between Latin/digit tokens are kept.
"""
from __future__ import annotations

import re
import unicodedata

# CJK ideographs (incl. ext. A and compatibility), CJK symbols/punctuation, and the
# full-width forms NFKC leaves alone (e.g. "。", "、", "《》", "【】").
_CJK = r"\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
# A space next to a CJK character is an artefact (OCR, pdfminer word splitting): "56 家" is
# "56家" on the page. Only spaces between two non-CJK tokens ("Co., Ltd.", "5 3") survive.
_SPACE_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+")
_SPACE_BEFORE_CJK = re.compile(rf"[ \t]+(?=[{_CJK}])")
_SPACES = re.compile(r"[ \t\u00a0\u200b]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")


def normalize_text(s: str) -> str:
    """NFKC (full-width → half-width, Kangxi radicals → ideographs), collapse spaces,
    drop spaces next to CJK characters; line breaks are kept."""
    if not s:
        return ""
    s = unicodedata.normalize("NFKC", s).replace("\u200b", "")
    out = []
    for line in s.splitlines():
        line = _SPACES.sub(" ", line).strip()
        line = _SPACE_AFTER_CJK.sub("", line)
        line = _SPACE_BEFORE_CJK.sub("", line)
        out.append(line)
    return "\n".join(out)


def is_cjk(ch: str) -> bool:
    return bool(_CJK_CHAR.match(ch))


def meaningful_chars(s: str) -> int:
    """Letters, digits and ideographs: what counts as real text on a page (not dots, rules, CID junk)."""
    s = re.sub(r"\(cid:\d+\)", "", s)
    return sum(1 for ch in s if ch.isalnum())
