"""Assembly of a package's facts from hand-built extracted documents (no OCR)."""
from __future__ import annotations

from extractors.facts.assemble import assemble
from extractors.models import BBox, ExtractedDocument, Line, Page, PageSource, Word
from intake.models import Document, FileType


def doc(name: str, *lines: str) -> tuple[Document, ExtractedDocument]:
    d = Document(name, name.encode().hex()[:64].ljust(64, "0"), 1, FileType.DOCX)
    page = Page(1, PageSource.DOCX, tuple(Line(t) for t in lines))
    return d, ExtractedDocument(name, d.sha256, (page,), "test")


FORM = doc("form.docx", "宁波市中小企业公共服务平台培育认定申请表", "申请单位名称 | 宁波甲乙服务有限公司",
           "申请类别 | 入库培育认定", "服务类别 | 信息咨询技术创新", "年服务中小微企业数 | 二十五家",
           "平台简介 | 本单位面向中小微企业提供信息咨询等服务。", "申请日期：2021年3月1日")
AGREEMENT = doc("a.docx", "合作协议", "甲方：宁波甲乙服务有限公司", "乙方：宁波丙丁会计师事务所有限公司",
                "本协议有效期自2020年1月1日起至2023年12月31日止。")


def test_illegible_kind_is_inferred_from_certification_materials():
    facts = assemble([FORM, AGREEMENT])
    kind = facts.declared["application.kind"]
    assert kind.value == "certification" and "推断" in kind.note
    assert facts.declared["service.smes_served"].value == 25
    assert facts.declared["application.date"].value.isoformat() == "2021-03-01"


def test_categories_without_any_box_come_from_the_form_description():
    facts = assemble([FORM])
    assert facts.declared["service.categories"].value == ("信息咨询",)
    assert "application.kind" not in facts.declared


def test_partners_counted_on_the_application_date():
    facts = assemble([FORM, AGREEMENT])
    assert facts.observed["service.partner_institutions"].value == 1


def _scanned(name: str, *lines: tuple[str, float]) -> tuple[Document, ExtractedDocument]:
    d = Document(name, name.encode().hex()[:64].ljust(64, "0"), 1, FileType.JPEG)
    page = Page(1, PageSource.OCR, tuple(Line(t, conf=c, words=(Word(t, BBox(0, 20 * i, 500, 20 * i + 18), c),))
                                         for i, (t, c) in enumerate(lines)))
    return d, ExtractedDocument(name, d.sha256, (page,), "test")


def test_partners_record_how_surely_what_was_left_out_was_read():
    """E-PARTNERS may fail a weakly read count only when nothing left out was read weakly (validators)."""
    counted = _scanned("b.jpg", ("合作协议", 0.99), ("甲方：宁波甲乙服务有限公司", 0.99),
                       ("乙方：宁波戊己知识产权代理有限公司", 0.98), ("本协议有效期自2020年1月1日起至2023年12月31日止。", 0.5))
    ended = _scanned("c.jpg", ("合作协议", 0.99), ("甲方：宁波甲乙服务有限公司", 0.99),
                     ("乙方：宁波庚辛律师事务所", 0.97), ("本协议有效期自2017年1月1日起至2020年1月31日止。", 0.45))
    f = assemble([FORM, counted, ended]).observed["service.partner_institutions"]
    assert f.value == 1 and f.confidence == 0.5
    assert f.details["excluded_conf"] == 0.45  # the ended agreement's term was weak: it might still run
    assert f.details["counted_names_conf"] == 0.98
