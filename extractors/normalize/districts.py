"""Ningbo administrative-division codes (GB/T 2260), as they appear in USCC positions 3-8.

Historical codes stay: a licence issued before a merger keeps its code
(江东区 330204 merged into 鄞州/海曙 in 2016; 奉化市 330283 became 奉化区 330213).
"""

from __future__ import annotations

NINGBO_PREFIX = "3302"

_CODES: dict[str, str] = {
    "330200": "宁波市",
    "330201": "市辖区",
    "330203": "海曙区",
    "330204": "江东区",  # historical
    "330205": "江北区",
    "330206": "北仑区",
    "330211": "镇海区",
    "330212": "鄞州区",
    "330213": "奉化区",
    "330225": "象山县",
    "330226": "宁海县",
    "330281": "余姚市",
    "330282": "慈溪市",
    "330283": "奉化市",  # historical
}

# District, county and county-level city names, for OCR post-correction of addresses.
NINGBO_DISTRICTS: tuple[str, ...] = tuple(n for c, n in _CODES.items() if c not in ("330200", "330201"))


def district_for_code(area6: str) -> str | None:
    """Name of a known Ningbo area code, else None (other cities are not listed)."""
    return _CODES.get(area6.strip())


def is_ningbo_area(area6: str) -> bool:
    """Any six-digit 3302xx code: the rule (E-NINGBO) is the prefix, not our list."""
    a = area6.strip()
    return len(a) == 6 and a.isdigit() and a.startswith(NINGBO_PREFIX)
