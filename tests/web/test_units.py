"""The workbench's small pieces on their own: file names from browsers, the upload limit, officers' typed values,
what makes two findings the same, and where a box goes on a page image."""
from __future__ import annotations

import io
from datetime import date

import pytest

from web.corrections import CORRECTABLE, RULE_FACTS, parse_value
from web.flags import fingerprint
from web.processing import IncomingFile, UploadRefused, safe_name, save_upload
from web.security import csrf_token, token_hash, verify_password
from web.views import RULE_IDS, place, show


@pytest.mark.parametrize(("sent", "kept"), [
    ("附件3 租赁合同.pdf", "附件3 租赁合同.pdf"),
    ("S03/营业执照副本.png", "营业执照副本.png"),  # a folder upload sends relative paths
    ("C:\\Users\\李\\申请表.docx", "申请表.docx"),
    ("a:b*c?.pdf", "a_b_c_.pdf"),
    ("e\u0301.pdf", "é.pdf"),  # NFC, as intake compares names
])
def test_file_names_are_reduced_to_a_safe_base_name(sent, kept):
    assert safe_name(sent) == kept


@pytest.mark.parametrize("bad", ["", "..", "dir/..", ".tmp-x", "  "])
def test_unusable_file_names_are_refused(bad):
    with pytest.raises(UploadRefused):
        safe_name(bad)


def test_save_upload_keeps_same_named_files_apart_and_a_single_zip_as_is(tmp_path):
    files = [IncomingFile("a/合同.pdf", io.BytesIO(b"1")), IncomingFile("b/合同.pdf", io.BytesIO(b"22"))]
    path, names, total = save_upload(tmp_path, "u1", files, 100)
    assert path == tmp_path / "u1" / "package" and names == ["合同.pdf", "合同 (2).pdf"] and total == 3
    assert (path / "合同 (2).pdf").read_bytes() == b"22"
    path, names, _ = save_upload(tmp_path, "u2", [IncomingFile("材料.ZIP", io.BytesIO(b"PK"))], 100)
    assert path == tmp_path / "u2" / "材料.ZIP" and path.read_bytes() == b"PK"


def test_save_upload_stops_at_the_total_limit_and_leaves_nothing(tmp_path):
    files = [IncomingFile("a.pdf", io.BytesIO(b"x" * 60)), IncomingFile("b.pdf", io.BytesIO(b"y" * 60))]
    with pytest.raises(UploadRefused, match="上限"):
        save_upload(tmp_path, "u3", files, 100)
    assert not (tmp_path / "u3").exists()
    with pytest.raises(UploadRefused):
        save_upload(tmp_path, "u4", [], 100)


@pytest.mark.parametrize(("fact", "typed", "value"), [
    ("service.smes_served", "41家", 41),
    ("service.smes_served", "四十一", 41),
    ("service.small_micro_share", "68.5%", 0.685),
    ("service.small_micro_share", "68.5", 0.685),
    ("service.small_micro_share", "0.685", 0.685),
    ("service.public_welfare_share", "百分之二十", 0.2),
    ("applicant.established_on", "2016年3月18日", date(2016, 3, 18)),
    ("premises.lease_end", "2025-12-31", date(2025, 12, 31)),
    ("applicant.uscc", "91330206 578096686u", "91330206578096686U"),
    ("applicant.legal_representative", " 黄明 ", "黄明"),
])
def test_officers_values_are_read_like_the_machines(fact, typed, value):
    assert parse_value(fact, typed) == (pytest.approx(value) if isinstance(value, float) else value)


@pytest.mark.parametrize(("fact", "typed"), [("service.smes_served", "很多"), ("service.small_micro_share", "150%"),
                                            ("applicant.established_on", "去年"), ("applicant.uscc", "123"),
                                            ("applicant.name", "   "), ("application.kind", "认定")])
def test_unreadable_corrections_are_refused_in_chinese(fact, typed):
    with pytest.raises(ValueError) as e:
        parse_value(fact, typed)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(e.value))


def test_every_correctable_rule_names_correctable_facts():
    assert set(RULE_FACTS) <= set(RULE_IDS)
    assert all(f in CORRECTABLE for facts in RULE_FACTS.values() for f in facts)


def test_a_findings_fingerprint_is_its_rule_observed_value_and_quotes():
    base = {"rule": "X-SMES", "outcome": "fail", "observed": 41, "declared": 56, "message": "a",
            "evidence": [{"document": "名单.pdf", "page": 1, "text": "共41家", "bbox": [1, 2, 3, 4]}]}
    same = {**base, "message": "b", "outcome": "review", "evidence": [{**base["evidence"][0], "bbox": [5, 6, 7, 8]}]}
    assert fingerprint(base) == fingerprint(same)  # wording, outcome and box may change: the finding has not
    assert fingerprint(base) != fingerprint({**base, "observed": 42})
    assert fingerprint(base) != fingerprint({**base, "evidence": [{**base["evidence"][0], "text": "共42家"}]})
    assert fingerprint(base) != fingerprint({**base, "rule": "E-SMES"})


def test_boxes_are_placed_in_percent_of_the_page_image():
    report = {"documents": [{"name": "执照.png", "page_details": [
        {"page": 1, "image": {"key": "k", "width": 1000, "height": 500, "scale": 0.5}}]}]}
    evidence = [{"document": "执照.png", "page": 1, "text": "林宏伟", "bbox": [200, 100, 400, 150],
                 "image": {"key": "k", "scale": 0.5}},
                {"document": "自评报告.docx", "page": 1, "text": "41家", "bbox": None, "image": None}]
    placed = place(report, evidence, "p1")
    assert placed[0].box == {"left": 10.0, "top": 10.0, "width": 10.0, "height": 5.0}
    assert placed[0].image_url == "/api/packages/p1/image?key=k"
    assert placed[1].image_url is None and placed[1].box is None  # a .docx has no page image: the quote only


def test_values_are_shown_as_officers_read_them():
    assert show(0.685, "service.small_micro_share") == "68.5%"
    assert show(56, "service.smes_served") == "56"
    assert show(None) == "—" and show(["信息咨询", "技术创新"]) == "信息咨询、技术创新"
    assert show("certification", "application.kind") == "认定"


def test_keyed_hashes_and_csrf_tokens_depend_on_the_secret():
    assert token_hash("k1", "t") != token_hash("k2", "t") and len(token_hash("k1", "t")) == 64
    assert csrf_token("k1", "session") != csrf_token("k1", "other") != csrf_token("k2", "other")
    assert not verify_password(None, "anything") and not verify_password("not-a-hash", "x")
