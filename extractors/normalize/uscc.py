"""统一社会信用代码 (GB 32100-2015): validation with both check digits, OCR repair, finding in text.

Layout: 1 registration authority, 2 entity type, 3-8 area code (GB/T 2260),
9-17 organisation code (GB 11714, its own check digit at 17), 18 check digit (mod 31).
python-stdnum's `stdnum.cn.uscc` checks only position 18 and rejects the A/N/Y
authorities, so we do not rely on it.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from .districts import district_for_code, is_ningbo_area
from .numbers import to_halfwidth

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS18 = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, ...
_WEIGHTS17 = (3, 7, 9, 10, 5, 8, 4, 2)
# 1 机构编制 2 外交 3 司法行政 4 文化 5 民政 6 旅游 7 宗教 8 工会 9 工商(市场监管) A 军队 N 农业 Y 其他
AUTHORITIES = "123456789ANY"


class UsccProblem(StrEnum):
    LENGTH = "length"
    CHARSET = "charset"
    AUTHORITY = "authority"
    AREA = "area"
    CHECK17 = "check17"
    CHECK18 = "check18"


@dataclass(frozen=True)
class UsccCheck:
    code: str  # normalised: NFKC, upper case, no spaces or hyphens
    valid: bool
    reasons: tuple[UsccProblem, ...]
    area_code: str | None = None
    district: str | None = None

    @property
    def is_ningbo(self) -> bool:
        return self.area_code is not None and is_ningbo_area(self.area_code)


def normalize_uscc(raw: str) -> str:
    return re.sub(r"[\s\-‐‑–—]", "", unicodedata.normalize("NFKC", raw)).upper()


def compute_check18(first17: str) -> str:
    """Position 18: 31 - (sum of alphabet index x 3^i mod 31) mod 31, as an alphabet character."""
    if len(first17) != 17 or any(c not in _INDEX for c in first17):
        raise ValueError("need 17 characters of the USCC alphabet")
    total = sum(_INDEX[c] * w for c, w in zip(first17, _WEIGHTS18, strict=True))
    return ALPHABET[-total % 31]


def _gb11714_value(c: str) -> int:
    # GB 11714 reads letters over the full Latin alphabet: A=10 ... Z=35
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def compute_check17(first16: str) -> str:
    """Position 17: the GB 11714 organisation-code check digit over positions 9-16."""
    body = first16[8:16]
    if len(first16) != 16 or not re.fullmatch(r"[0-9A-Z]{8}", body):
        raise ValueError("need 16 characters with an 8-character organisation code body")
    r = 11 - sum(_gb11714_value(c) * w for c, w in zip(body, _WEIGHTS17, strict=True)) % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def validate_uscc(code: str) -> UsccCheck:
    c = normalize_uscc(code)
    if len(c) != 18:
        return UsccCheck(c, False, (UsccProblem.LENGTH,))
    reasons: list[UsccProblem] = []
    if any(ch not in _INDEX for ch in c):
        reasons.append(UsccProblem.CHARSET)
    if c[0] not in AUTHORITIES:
        reasons.append(UsccProblem.AUTHORITY)
    area = c[2:8] if c[2:8].isdigit() else None
    if area is None:
        reasons.append(UsccProblem.AREA)
    if all(ch in _INDEX for ch in c[8:16]) and c[16] != compute_check17(c[:16]):
        reasons.append(UsccProblem.CHECK17)
    if all(ch in _INDEX for ch in c[:17]) and c[17] != compute_check18(c[:17]):
        reasons.append(UsccProblem.CHECK18)
    return UsccCheck(c, not reasons, tuple(reasons), area, district_for_code(area) if area else None)


def is_valid_uscc(code: str) -> bool:
    return validate_uscc(code).valid


# OCR confusions. Anywhere, a character outside the alphabet is mapped to its look-alikes;
# where only digits are allowed (area code, the GB 11714 check digit) letters are too.
_OUTSIDE = {"O": "0", "I": "1", "S": "5", "Z": "2", "V": "UY"}
_DIGIT_LOOKALIKES = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "G": "6", "B": "8"}
_MAX_CANDIDATES = 4096


def _options(i: int, ch: str) -> str:
    if 2 <= i < 8 and not ch.isdigit():
        return _DIGIT_LOOKALIKES.get(ch, ch)
    if i == 16 and not (ch.isdigit() or ch == "X"):
        return _DIGIT_LOOKALIKES.get(ch, ch)
    return ch if ch in _INDEX else _OUTSIDE.get(ch, ch)


def repair_uscc(raw: str) -> str | None:
    """The one valid code an OCR-damaged `raw` can be mapped to, else None.

    A valid code is returned unchanged: only characters that cannot stand where
    they are get replaced, and the result must pass both check digits.
    """
    c = normalize_uscc(raw)
    if len(c) != 18:
        return None
    if validate_uscc(c).valid:
        return c
    options = [_options(i, ch) for i, ch in enumerate(c)]
    n = 1
    for o in options:
        n *= len(o)
    if n > _MAX_CANDIDATES:
        return None
    found = {cand for cand in map("".join, itertools.product(*options)) if validate_uscc(cand).valid}
    return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class UsccSpan:
    start: int
    end: int
    raw: str
    code: str  # as read, normalised
    valid: bool
    repaired: str | None = None  # the unique valid repair of an invalid code, if any


_TOKEN = re.compile(r"[0-9A-Za-z]+")


def _plausible(code: str) -> bool:
    # the area code must be digits, or OCR look-alikes of digits
    return all(ch.isdigit() or ch in _DIGIT_LOOKALIKES for ch in code[2:8])


def find_usccs(text: str) -> list[UsccSpan]:
    """18-character code candidates in running text; one inner space (OCR) is tolerated."""
    t = to_halfwidth(text)
    tokens = list(_TOKEN.finditer(t))
    out: list[UsccSpan] = []
    i = 0
    while i < len(tokens):
        a = tokens[i]
        b = tokens[i + 1] if i + 1 < len(tokens) else None
        span: tuple[int, int] | None = None
        if b is not None and b.start() == a.end() + 1 and t[a.end()] == " " and len(a[0]) + len(b[0]) == 18:
            span, i = (a.start(), b.end()), i + 2
        else:
            span, i = ((a.start(), a.end()) if len(a[0]) == 18 else None), i + 1
        if span is None:
            continue
        code = normalize_uscc(t[span[0] : span[1]])
        if not _plausible(code):
            continue
        valid = validate_uscc(code).valid
        out.append(
            UsccSpan(span[0], span[1], text[span[0] : span[1]], code, valid, None if valid else repair_uscc(code))
        )
    return out
