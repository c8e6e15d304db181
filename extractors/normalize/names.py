"""Comparison forms of organisation names, person names and addresses (rule X-NAME and kin).

These are for comparing, never for display: the officer sees the text as read.
"""

from __future__ import annotations

import re
import unicodedata

# NFKC already folds （） and ［］; these bracket forms survive it.
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")",
                           "〖": "(", "〗": ")", "{": "(", "}": ")", "﹝": "(", "﹞": ")"})  # fmt: skip
_SPACE = re.compile(r"\s+")
_EDGE_QUOTES = "\"'“”‘’「」『』《》"
_TRAILING = ".。,，;；:：、!！?？" + _EDGE_QUOTES
# Middle-dot look-alikes in names such as 阿卜杜·热合曼; OCR and IMEs mix them freely.
_DOTS = re.compile(r"[·・•‧∙⋅･.·]")
_ADDRESS_PREFIXES = ("中华人民共和国", "中国", "浙江省")


def _base(s: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", s))


def norm_org_name(s: str) -> str:
    """NFKC, no whitespace, one bracket style, no surrounding quotes or trailing punctuation."""
    t = _base(s).translate(_BRACKETS)
    return t.lstrip(_EDGE_QUOTES).rstrip(_TRAILING)


def same_org(a: str, b: str) -> bool:
    """Same organisation name once width, spaces and brackets are normalised; blanks never match."""
    na, nb = norm_org_name(a), norm_org_name(b)
    return bool(na) and na == nb


def norm_person_name(s: str) -> str:
    """NFKC, no whitespace, no middle dots (any variant)."""
    return _DOTS.sub("", _base(s)).rstrip(_TRAILING)


def norm_address(s: str) -> str:
    """As org names, without a leading 中国 / 浙江省 (present on some documents, not others)."""
    t = norm_org_name(s)
    changed = True
    while changed:
        changed = False
        for p in _ADDRESS_PREFIXES:
            if t.startswith(p):
                t, changed = t[len(p) :], True
    return t
