"""Options ticked inside brackets ("人才培训（√）") on a 150 dpi scan, read through the OCR cascade."""
from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from extractors.context import ExtractionContext
from extractors.facts.form import read_form
from extractors.facts.textview import build_view
from extractors.models import ExtractedDocument
from extractors.ocr import _bracket_marks, ocr_page


@pytest.mark.parametrize(("text", "marks"), [
    ("人才培训(V )市场拓展〈V )", 2), ("信息咨询(√)", 1), ("信息咨询( )技术创新《)", 0),
    ("推荐意见(盖章)", 0), ("路796号(3)", 0),  # words and numbers in brackets are not ticks
])
def test_marks_inside_brackets_are_counted(text: str, marks: int) -> None:
    assert _bracket_marks(text) == marks


def test_a_tick_tesseract_saw_inside_brackets_survives_the_cascade() -> None:
    # RapidOCR re-reads the low-confidence "人才培训(V )" of an enlarged 150 dpi scan as "人才培训（)":
    # its reading would have dropped every tick (seed 2 P0024 then read two wrong categories, silently)
    from synth import degrade, documents, render_pdf
    from synth.model import Kind, Profile
    from synth.package import _pages
    from synth.plan import make_spec

    spec = make_spec(random.Random(24), "T0024", 24, Profile.QUICK, 0.0, force={"kind": Kind.CERTIFICATION, "defects": []})
    spec = dataclasses.replace(spec, variants=dataclasses.replace(spec.variants, check="√", form_layout="pairs"))
    pdf, _ = render_pdf.render(documents.form(spec, random.Random(1)), "uming", random.Random(1))
    scan = degrade.scan(_pages(pdf, 150)[0], random.Random(3))
    page = ocr_page(np.asarray(scan.convert("L")), 1, ExtractionContext(jobs=1))
    doc = ExtractedDocument("申请表.jpg", "0" * 64, (page,), "test")
    categories = read_form(build_view(doc)).get("service.categories")
    assert categories is not None
    assert set(categories.value) <= set(spec.categories), "a category read as ticked that is not"
    assert len(categories.value) >= len(spec.categories) - 1


@pytest.mark.parametrize(("row", "ticked"), [
    # brackets after each option; OCR gives 〈 for ( and loses the last option's "(" (seed 2 P0024)
    ("服务类别信息咨询()技术创新()人才培训(V )市场拓展〈V )管理咨询()质量管理()创业辅导〈V )信息化应用)年服务",
     ["人才培训", "市场拓展", "创业辅导", "信息化应用"]),
    ("申请类别入库培育( )认定(√)", ["认定"]),
    ("申请类别□入库培育 ☑认定", ["认定"]),  # boxes before their options
    ("申请类别入库培育 √认定", ["认定"]),  # a bare tick before its option
    ("服务类别【√】信息咨询【】技术创新", ["信息咨询"]),  # bracket boxes before their options
])
def test_which_side_of_its_option_a_mark_stands(row: str, ticked: list[str]) -> None:
    from extractors.facts.values import checked_options
    from synth.model import CATEGORIES

    assert checked_options(row, (*CATEGORIES, "入库培育", "认定")) == ticked


def test_an_option_ocr_misread_by_one_character_still_counts() -> None:
    """A 200 dpi form read "☑言息咨询" (信 lost its radical): the ticked 信息咨询 was dropped, silently."""
    from extractors.facts.values import CATEGORIES, CATEGORY_SYNONYMS, checked_options

    row = "服务类别☑言息咨询☑技术创新☑人才培训□市场拓展\n务类□管理咨询☑质量管理□创业辅导□信息化应用"
    assert checked_options(row, CATEGORIES, CATEGORY_SYNONYMS) == ["信息咨询", "技术创新", "人才培训", "质量管理"]
    # an unticked misread option stays unticked, and a word two characters off is no option
    assert checked_options("□言息咨询☑技术创新□人才培训", CATEGORIES, CATEGORY_SYNONYMS) == ["技术创新"]
    assert checked_options("☑法律咨询☑技术创新□人才培训", CATEGORIES, CATEGORY_SYNONYMS) == ["技术创新"]
