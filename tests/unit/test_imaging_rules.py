"""Ruling lines: long rules by length, and cell dividers one row tall by meeting a rule at both ends."""
from __future__ import annotations

import numpy as np

from extractors.imaging import ruling_masks

CHAR_H = 30.0


def _page() -> np.ndarray:
    """Two horizontal rules 70 px apart (one table row) with a divider between them, a free vertical
    stroke as tall as the divider (a glyph's stroke, not touching any rule) and a tick-box square."""
    img = np.full((400, 900), 255, np.uint8)
    img[100:103, 50:850] = 0  # the row's top rule
    img[170:173, 50:850] = 0  # and bottom rule
    img[100:173, 400:403] = 0  # a divider one row tall: shorter than 3 character heights
    img[250:320, 300:303] = 0  # a free stroke of the same height
    img[240:268, 600:628] = 0  # a square box, 28 px: its sides meet only its own edges
    img[243:265, 603:625] = 255
    return img


def test_a_divider_one_row_tall_is_a_rule_and_a_free_stroke_or_a_box_is_not():
    hm, vm = ruling_masks(_page(), CHAR_H)
    assert hm[101, 200] and hm[171, 200]
    assert vm[135, 401], "the divider between two rules"
    assert not vm[285, 301], "a free stroke is text"
    assert not vm[255, 601], "a tick box's side is the box"
