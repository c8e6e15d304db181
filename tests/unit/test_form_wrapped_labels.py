"""Form labels that wrap inside their cell on scans, as OCR read them."""
from __future__ import annotations

import pytest

from extractors.facts.form import read_form
from extractors.facts.textview import build_view
from extractors.models import BBox, ExtractedDocument, Line, Page, PageSource


def _form(*rows: str) -> ExtractedDocument:
    lines = tuple(Line(t, BBox(0, 40.0 * i, 900, 40.0 * i + 30), 0.93) for i, t in enumerate(rows))
    return ExtractedDocument("申请表.pdf", "0" * 64, (Page(1, PageSource.OCR, lines, (), 1000, 2000, "px"),), "test")


@pytest.mark.parametrize("first", ["公益", ""])
def test_the_public_welfare_share_is_read_when_its_label_wraps_and_ocr_loses_its_first_characters(first: str) -> None:
    """A 300 dpi scan of a form in label/value pairs: the label 公益性或低收费服务占比 wraps over three lines
    of its cell and OCR lost the first ("公益"); the declared share was missing and the planted
    X-PUBLIC-WELFARE discrepancy went uncaught."""
    doc = _form(
        "年服务中小微企业数44小微企业占比百分之七十七点二七",
        *([first] if first else []),
        "性或低收费服务",
        "占比百分之三十四点七五集聚服务机构数6",
        "专职服务人员数16场地面积260平方米",
    )
    facts = read_form(build_view(doc))
    assert facts["service.public_welfare_share"].value == pytest.approx(0.3475)
    assert facts["service.small_micro_share"].value == pytest.approx(0.7727)
    assert facts["service.partner_institutions"].value == 6


def test_the_public_welfare_share_is_read_when_ocr_garbled_the_first_row_of_its_wrapped_label() -> None:
    """A 300 dpi form: "公益性或低收费服务占比" wrapped, its first row read "公益性或作", the second "占比31.47%";
    the declared share was missing and both planted public-welfare fails went uncaught."""
    doc = _form("年服务中小微企业数55小微企业占比80.00%", "公益性或作", "占比31.47%集聚服务机构数6",
                "专职服务人员数19场地面积420平方米")
    facts = read_form(build_view(doc))
    assert facts["service.public_welfare_share"].value == pytest.approx(0.3147)
    assert facts["service.partner_institutions"].value == 6
    # a value on the label's first row is no wrapped label: the plain label reads it
    doc = _form("公益性服务比例 35%", "占比不限的其他说明")
    assert read_form(build_view(doc))["service.public_welfare_share"].value == pytest.approx(0.35)
