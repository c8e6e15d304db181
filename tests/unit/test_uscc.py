"""统一社会信用代码: both check digits, OCR repair, finding codes in text, agreement with python-stdnum."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from extractors.normalize.uscc import (
    ALPHABET,
    AUTHORITIES,
    UsccProblem,
    compute_check17,
    compute_check18,
    find_usccs,
    is_valid_uscc,
    repair_uscc,
    validate_uscc,
)

VALID = [
    "91330282MA22QF4HX4", "91330212338367416P", "91330206578096686U", "31330200384777467D",
    "513302127155047203", "12330200638839032M", "9133020348630349X4",
]  # fmt: skip


@pytest.mark.parametrize("code", VALID)
def test_known_valid(code: str) -> None:
    check = validate_uscc(code)
    assert check.valid and check.reasons == () and check.code == code
    assert check.is_ningbo and check.area_code == code[2:8]
    assert compute_check18(code[:17]) == code[17]
    assert compute_check17(code[:16]) == code[16]
    assert repair_uscc(code) == code  # never "repaired"


def test_known_invalid_final_char() -> None:
    check = validate_uscc("91330212807012424D")
    assert not check.valid and check.reasons == (UsccProblem.CHECK18,)
    assert check.reasons == ("check18",)  # reasons compare equal to their plain codes
    assert compute_check18("91330212807012424") == "C"
    assert validate_uscc("91330212807012424C").valid
    assert repair_uscc("91330212807012424D") is None  # check digits are never guessed


def test_district_and_normalisation() -> None:
    check = validate_uscc(" 9133 0212-3383 6741 6p ")
    assert check.valid and check.code == "91330212338367416P" and check.district == "鄞州区"
    assert validate_uscc("９１３３０２１２３３８３６７４１６Ｐ").valid
    other = "91110000600037341L"  # Beijing, from the stdnum docs
    assert validate_uscc(other).valid and not validate_uscc(other).is_ningbo and validate_uscc(other).district is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9133021233836741", UsccProblem.LENGTH),
        ("91330212338367416PX", UsccProblem.LENGTH),
        ("", UsccProblem.LENGTH),
        ("9133O212338367416P", UsccProblem.CHARSET),
        ("B1330212338367416P", UsccProblem.AUTHORITY),
        ("0133021233836741 6P", UsccProblem.AUTHORITY),
        ("91A30212338367416P", UsccProblem.AREA),
        ("91330212338367417P", UsccProblem.CHECK17),
    ],
)
def test_reasons(code: str, reason: UsccProblem) -> None:
    check = validate_uscc(code)
    assert not check.valid and reason in check.reasons


def test_check17_only_error_is_ours_not_stdnums() -> None:
    # a wrong organisation-code digit with a recomputed final digit: stdnum (which skips check17) accepts it
    first16 = "9133021233836741"
    bad17 = "7" if compute_check17(first16) != "7" else "8"
    code = first16 + bad17 + compute_check18(first16 + bad17)
    assert stdnum_uscc.is_valid(code)
    assert validate_uscc(code).reasons == (UsccProblem.CHECK17,)


@pytest.mark.parametrize("prefix", ["A1", "N1", "Y1", "N2", "Y9"])
def test_letter_authorities_accepted(prefix: str) -> None:
    first16 = prefix + "330212" + "MA2AB3CD"
    first17 = first16 + compute_check17(first16)
    code = first17 + compute_check18(first17)
    assert validate_uscc(code).valid
    assert not stdnum_uscc.is_valid(code)  # stdnum wants eight leading digits


def test_compute_helpers_reject_bad_input() -> None:
    with pytest.raises(ValueError):
        compute_check18("9133021233836741")
    with pytest.raises(ValueError):
        compute_check18("9133021233836741O")
    with pytest.raises(ValueError):
        compute_check17("913302123383674")


def test_repair() -> None:
    assert repair_uscc("9133O212338367416P") == "91330212338367416P"
    assert repair_uscc("9I33O2O6578O96686U") == "91330206578096686U"
    assert repair_uscc("91330282MA22QF4HX4") == "91330282MA22QF4HX4"
    assert repair_uscc("9133021Z338367416P") == "91330212338367416P"
    assert repair_uscc("91330206578O96686V") == "91330206578096686U"
    assert repair_uscc("9133D212338367416P") == "91330212338367416P"  # area code: digit look-alikes too
    assert repair_uscc("913302B2338367416P") is None  # B -> 8 does not validate: no guess
    assert repair_uscc("9133021233836741") is None
    assert repair_uscc("9133021233836741??") is None


def test_find_usccs() -> None:
    text = (
        "统一社会信用代码：91330212 338367416P 法定代表人 身份证330203198001011234 "
        "代码９１３３０２０６５７８０９６６８６Ｕ，9133O212338367416P，电话057487654321，ABCDEFGHJKLMNPQRTU"
    )
    spans = find_usccs(text)
    got = [(s.code, s.valid, s.repaired) for s in spans]
    assert got == [
        ("91330212338367416P", True, None),
        ("330203198001011234", False, None),  # an ID card number looks alike; it is not valid
        ("91330206578096686U", True, None),
        ("9133O212338367416P", False, "91330212338367416P"),
    ]
    for s in spans:
        assert text[s.start : s.end] == s.raw


# --- properties ---------------------------------------------------------------

_alnum = st.sampled_from(ALPHABET)


@st.composite
def valid_codes(
    draw: st.DrawFn, authorities: str = AUTHORITIES, types: str = ALPHABET, org_alphabet: str = ALPHABET
) -> str:
    first16 = (
        draw(st.sampled_from(authorities))
        + draw(st.sampled_from(types))
        + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=6)))
        + "".join(draw(st.lists(st.sampled_from(org_alphabet), min_size=8, max_size=8)))
    )
    first17 = first16 + compute_check17(first16)
    return first17 + compute_check18(first17)


@given(valid_codes())
def test_generated_codes_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert repair_uscc(code) == code


@given(valid_codes(), st.integers(min_value=0, max_value=17), _alnum)
def test_single_substitution_rejected(code: str, pos: int, ch: str) -> None:
    assume(code[pos] != ch)
    assert not is_valid_uscc(code[:pos] + ch + code[pos + 1 :])


@given(valid_codes(authorities="123456789", types="0123456789", org_alphabet="0123456789"))
def test_agrees_with_stdnum_on_numeric_codes(code: str) -> None:
    assert stdnum_uscc.is_valid(code) and is_valid_uscc(code)


@given(valid_codes(authorities="123456789", types="0123456789"), _alnum)
def test_check18_agrees_with_stdnum(code: str, last: str) -> None:
    # stdnum checks only position 18: on every final character the two agree about it
    candidate = code[:17] + last
    assert stdnum_uscc.is_valid(candidate) == (UsccProblem.CHECK18 not in validate_uscc(candidate).reasons)
    assert stdnum_uscc.is_valid(candidate) == is_valid_uscc(candidate)


_CORRUPT = {"0": "O", "1": "I", "5": "S", "2": "Z"}


@given(valid_codes(), st.sets(st.integers(min_value=0, max_value=17), min_size=1, max_size=6))
def test_repair_restores_ocr_corruption(code: str, positions: set[int]) -> None:
    chars = list(code)
    for p in positions:
        chars[p] = _CORRUPT.get(chars[p], chars[p])
    corrupted = "".join(chars)
    assume(corrupted != code)
    assert not is_valid_uscc(corrupted)
    assert repair_uscc(corrupted) == code
    assert repair_uscc(corrupted.lower()) == code


@given(valid_codes(), st.integers(min_value=1, max_value=17))
def test_find_with_one_inner_space(code: str, at: int) -> None:
    text = f"统一社会信用代码：{code[:at]} {code[at:]}。"
    (span,) = find_usccs(text)
    assert (span.code, span.valid, span.raw) == (code, True, f"{code[:at]} {code[at:]}")
