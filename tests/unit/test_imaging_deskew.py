"""Deskewing a scan: the corners the turn uncovers must not binarise to ink."""
from __future__ import annotations

import random

import numpy as np
import pytest

from extractors.imaging import prepare


@pytest.fixture(scope="module")
def client_list_page():
    from synth import documents, render_pdf
    from synth.model import Kind, Profile
    from synth.package import _pages
    from synth.plan import make_spec

    spec = make_spec(random.Random(5), "T0001", 5, Profile.QUICK, 0.0, force={"kind": Kind.CERTIFICATION, "defects": []})
    pdf, _ = render_pdf.render(documents.clients(spec, random.Random(1)), "uming", random.Random(1))
    return _pages(pdf, 150)[-1]


@pytest.mark.parametrize("seed", [0, 3])
def test_corners_uncovered_by_deskew_stay_paper(client_list_page, seed):
    # A 150 dpi list scanned 2° off under uneven light: the white corners our turn used to add beside
    # gray paper binarised to a black band down the page's edge, which OCR read as "上", "]", "1"
    # glued before each row's 序号 (seed 2 P0029 lost five rows of 23 that way).
    from synth import degrade

    scan = np.asarray(degrade.scan(client_list_page, random.Random(seed), angle=2.0).convert("L"))
    prep = prepare(scan)
    assert abs(prep.skew_deg) >= 1.5
    ink = prep.ocr_image < 128
    edge = int(prep.char_h)
    for strip in (ink[:, :edge], ink[:, -edge:], ink[:edge, :], ink[-edge:, :]):
        assert strip.mean() < 0.005
