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
    # RapidOCR read an empty "( )"'s ")" as "』" (seed 7 P0017): a bracket's other half, not a tick
    ("服务类别:信息咨询(』技术创新(√)人才培训( )市场拓展( )", ["技术创新"]),
])
def test_which_side_of_its_option_a_mark_stands(row: str, ticked: list[str]) -> None:
    from extractors.facts.values import checked_options
    from synth.model import CATEGORIES

    assert checked_options(row, (*CATEGORIES, "入库培育", "认定")) == ticked


def test_an_option_whose_first_character_ocr_read_into_its_box_is_decided_by_the_form_s_description() -> None:
    """Two 200 dpi forms read "☑言息咨询" and "☑言息化应用": 信's 亻 went into the box. On the first the box was
    ticked, on the second it was empty and the stroke read as the tick. The form's own sentence on its
    services decides such an option, as it does one whose box OCR lost; the fact carries a note."""
    from extractors.facts.values import CATEGORIES, CATEGORY_SYNONYMS, checked_options, options_read_into_box

    ticked = "服务类别☑言息咨询☑技术创新☑人才培训□市场拓展\n务类□管理咨询☑质量管理□创业辅导□信息化应用"
    hint = "信息咨询、技术创新、人才培训、质量管理"
    assert checked_options(ticked, CATEGORIES, CATEGORY_SYNONYMS, hint=hint) == ["信息咨询", "技术创新", "人才培训", "质量管理"]
    empty = "服务类别□信息咨询口技术创新☑人才培训□市场拓展\n□管理咨询□质量管理□创业辅导☑言息化应用"
    assert checked_options(empty, CATEGORIES, CATEGORY_SYNONYMS, hint="人才培训") == ["人才培训"]
    assert options_read_into_box(empty, CATEGORIES) == ["信息化应用"]
    # a word two characters off is no option; an option read whole is judged by its own box
    assert checked_options("☑法律咨询☑技术创新□人才培训", CATEGORIES, CATEGORY_SYNONYMS) == ["技术创新"]
    assert options_read_into_box("☑信息咨询□技术创新", CATEGORIES) == []
    # only the character beside the box: a 150 dpi scan's "加人才培订" (训 misread, 加 a box's noise) is no option
    assert checked_options("这信息吉均回技术创新加人才培订口市场柏展", CATEGORIES, CATEGORY_SYNONYMS) == ["技术创新"]


def test_the_categories_of_a_form_with_an_option_read_into_its_box_carry_a_note_and_low_confidence() -> None:
    from extractors.models import BBox, Line, Page, PageSource

    rows = ("服务类别□信息咨询口技术创新☑人才培训□市场拓展", "□管理咨询□质量管理□创业辅导☑言息化应用",
            "平台简介宁波甲乙有限公司是一家面向中小微企业提供人才培训等服务的专业服务机构。")
    lines = tuple(Line(t, BBox(0, 40.0 * i, 700, 40.0 * i + 30), 0.95) for i, t in enumerate(rows))
    doc = ExtractedDocument("申请表.jpg", "0" * 64, (Page(1, PageSource.OCR, lines, (), 1000, 2000, "px"),), "test")
    fact = read_form(build_view(doc))["service.categories"]
    assert fact.value == ("人才培训",)
    assert fact.confidence is not None and fact.confidence < 0.6 and "信息化应用" in (fact.note or "")


def test_option_rows_continue_past_a_piece_of_their_wrapped_label() -> None:
    """Read cell by cell, a 200 dpi form gave "服务类别", the first options row, "务类" (the label's wrapped
    part, a cell of its own), then the second options row: the ticked 质量管理 there was dropped, silently."""
    from extractors.models import BBox, Line, Page, PageSource

    cells = ((0, "服务类别"), (200, "☑信息咨询☑技术创新☑人才培训□市场拓展"), (0, "务类"),
             (200, "□管理咨询☑质量管理□创业辅导□信息化应用"), (0, "年服务中小微企业数"), (200, "71家"))
    lines = tuple(Line(t, BBox(x, 40.0 * i, x + 25.0 * len(t), 40.0 * i + 30), 0.95) for i, (x, t) in enumerate(cells))
    doc = ExtractedDocument("申请表.jpg", "0" * 64, (Page(1, PageSource.OCR, lines, (), 1000, 2000, "px"),), "test")
    assert read_form(build_view(doc))["service.categories"].value == ("信息咨询", "技术创新", "人才培训", "质量管理")
