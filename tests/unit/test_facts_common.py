"""Value readers shared by the form and the other documents' fact readers."""
from __future__ import annotations

import pytest

from extractors.facts.common import _first_count


@pytest.mark.parametrize(("cell", "want"), [("5 2", 52), ("5 2 家", 52), ("52家", 52), ("五十二家", 52), ("56", 56)])
def test_a_count_whose_digits_ocr_spaced_apart_is_one_number(cell: str, want: int) -> None:
    """Seed 4 P0027's form cell 52 read as "5 2" had made the declared count 5 and X-SMES a false fail."""
    assert _first_count(cell) == want


def test_a_count_among_other_words_is_still_the_first_number() -> None:
    assert _first_count("约56家（含分支机构3家）") == 56
