"""Value normalisers: numbers, ratios, dates, names, USCC codes, Ningbo districts.

Pure functions over short strings or running text; no I/O, no engines.
"""

from .dates import DateSpan, find_dates, parse_date, parse_term
from .districts import NINGBO_DISTRICTS, district_for_code, is_ningbo_area
from .names import norm_address, norm_org_name, norm_person_name, same_org
from .numbers import NumberKind, NumberSpan, cn_to_int, find_numbers, parse_count, parse_ratio, to_halfwidth
from .uscc import (
    UsccCheck,
    UsccProblem,
    UsccSpan,
    compute_check17,
    compute_check18,
    find_usccs,
    is_valid_uscc,
    repair_uscc,
    validate_uscc,
)

__all__ = [
    "NINGBO_DISTRICTS",
    "DateSpan",
    "NumberKind",
    "NumberSpan",
    "UsccCheck",
    "UsccProblem",
    "UsccSpan",
    "cn_to_int",
    "compute_check17",
    "compute_check18",
    "district_for_code",
    "find_dates",
    "find_numbers",
    "find_usccs",
    "is_ningbo_area",
    "is_valid_uscc",
    "norm_address",
    "norm_org_name",
    "norm_person_name",
    "parse_count",
    "parse_date",
    "parse_ratio",
    "parse_term",
    "repair_uscc",
    "same_org",
    "to_halfwidth",
    "validate_uscc",
]
