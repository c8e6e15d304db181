"""The synthetic package generator: truth format, valid USCCs, files as recorded, determinism."""
from __future__ import annotations

import json
import random
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from synth import generate_corpus, generate_package
from synth.model import CERT_ONLY_RULES, RULE_IDS, Kind, Profile
from synth.names import make_uscc, typo_uscc, uscc_valid
from synth.plan import make_spec

PKG_KEYS = {"id", "path", "delivery", "application_kind", "application_date", "declared", "observed", "observed_alt",
            "facts_detail", "defects", "traps", "hard", "rules", "verdict", "documents", "files", "variants"}
MAGIC = {"docx": b"PK", "xlsx": b"PK", "pdf": b"%PDF", "scan": b"%PDF", "scanpdf": b"%PDF", "jpg": b"\xff\xd8",
         "photo": b"\xff\xd8", "png": b"\x89PNG", "tiff": (b"II*\x00", b"MM\x00*")}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth")
    truth = generate_corpus(out, 3, seed=11, profile="quick")
    return out, json.loads(truth.read_text(encoding="utf-8"))


def _read_files(root: Path, entry: dict) -> dict[str, bytes]:
    p = root / entry["path"]
    if entry["delivery"] == "zip":
        with zipfile.ZipFile(p) as z:
            out = {}
            for i in z.infolist():
                name = i.filename if i.flag_bits & 0x800 else i.filename.encode("cp437").decode("gbk")
                out[name] = z.read(i)
            return out
    return {f.name: f.read_bytes() for f in p.iterdir()}


def _verdict(rules: dict) -> str:
    fails = [r for r, v in rules.items() if v["expected"] == "fail"]
    if any(r[0] in "ME" for r in fails):
        return "ineligible"
    return "needs_review" if fails else "eligible"


def test_uscc_check_digits():
    rng = random.Random(3)
    for area in ("330203", "330212", "330283"):
        code = make_uscc(rng, area)
        assert uscc_valid(code) and code[2:8] == area
        assert not uscc_valid(typo_uscc(rng, code))
    assert uscc_valid("91330282MA22QF4HX4")  # sample licence code
    assert not uscc_valid("91330212807012424D")  # sample form typo


def test_truth_format(corpus):
    _, truth = corpus
    assert truth["rule_ids"] == RULE_IDS and len(truth["categories"]) == 8
    for p in truth["packages"]:
        assert PKG_KEYS <= set(p), p["id"]
        assert set(p["rules"]) == set(RULE_IDS)
        for r, v in p["rules"].items():
            assert v["expected"] in v["accept"], (p["id"], r)
        assert p["verdict"]["expected"] == _verdict(p["rules"])
        assert p["verdict"]["expected"] in p["verdict"]["accept"]
        if p["application_kind"] == "cultivation":
            for r in CERT_ONLY_RULES:
                assert p["rules"][r] == {"expected": "not_applicable", "accept": ["not_applicable", "pass"]}
        for d in p["defects"]:
            for r in d["rules"]:
                assert p["rules"][r]["expected"] == "fail"


def test_usccs_valid(corpus):
    _, truth = corpus
    for p in truth["packages"]:
        assert uscc_valid(p["observed"]["applicant.uscc"])
        for a in p["facts_detail"]["agreements"]:
            assert uscc_valid(a["uscc"]), a
        if "uscc_form_typo" not in {d["id"] for d in p["defects"]}:
            assert p["declared"]["applicant.uscc"] == p["observed"]["applicant.uscc"]


def test_files_exist_and_sniff_as_recorded(corpus):
    root, truth = corpus
    for p in truth["packages"]:
        files = _read_files(root, p)
        assert sorted(files) == sorted(p["files"])
        for doc in p["documents"]:
            for name in doc["files"]:
                data = files[name]
                fmts = {f.rstrip("0123456789") for f in doc["formats"]}
                ok = [m for f in fmts for m in (MAGIC[f] if isinstance(MAGIC[f], tuple) else (MAGIC[f],))]
                assert any(data.startswith(m) for m in ok), (p["id"], name, doc["formats"])
                if fmts == {"scan"}:  # image-only PDF: no text layer
                    pdf = pdfium.PdfDocument(data)
                    assert all(not pdf[i].get_textpage().get_text_range().strip() for i in range(len(pdf)))
                    pdf.close()


def test_cultivation_and_certification_materials(tmp_path):
    for kind in (Kind.CULTIVATION, Kind.CERTIFICATION):
        spec = make_spec(random.Random(5), "P0001", 5, Profile.QUICK, 0.0, force={"kind": kind, "defects": []})
        entry = generate_package(spec, tmp_path / kind.value)
        mats = {d["material"] for d in entry["documents"]}
        base = {"form", "report", "licence", "premises", "equipment", "staff", "declaration"}
        assert base <= mats
        if kind is Kind.CERTIFICATION:
            assert {"clients", "agreements", "selfeval", "qualification"} <= mats
            assert entry["verdict"]["expected"] == "eligible"
        else:
            assert entry["observed"]["service.smes_served"] is None


@pytest.mark.parametrize("defect,rule,fact,value", [
    ("partners_expired", "E-PARTNERS", "service.partner_institutions", 4),
    ("public_welfare_low", "E-PUBLIC-WELFARE", None, None),
    ("uscc_form_typo", "X-USCC", None, None),
])
def test_planted_defect(tmp_path, defect, rule, fact, value):
    spec = make_spec(random.Random(8), "P0001", 8, Profile.QUICK, 0.0,
                     force={"kind": Kind.CERTIFICATION, "defects": [defect]})
    entry = generate_package(spec, tmp_path)
    assert entry["rules"][rule]["expected"] == "fail"
    assert entry["verdict"]["expected"] == ("needs_review" if rule.startswith("X") else "ineligible")
    if fact:
        assert entry["observed"][fact] == value
    if defect == "public_welfare_low":
        assert entry["observed"]["service.public_welfare_share"] < 0.2 <= entry["declared"]["service.public_welfare_share"]


def test_gbk_zip_names(tmp_path):
    spec = make_spec(random.Random(9), "P0001", 9, Profile.QUICK, 0.0, force={"kind": Kind.CULTIVATION, "defects": []})
    from dataclasses import replace
    entry = generate_package(replace(spec, delivery="zip_gbk"), tmp_path)
    with zipfile.ZipFile(tmp_path / entry["path"]) as z:
        infos = z.infolist()
    assert all(not i.flag_bits & 0x800 for i in infos)
    names = [i.filename.encode("cp437").decode("gbk") for i in infos]
    assert sorted(names) == entry["files"]


def test_deterministic(tmp_path):
    a = generate_corpus(tmp_path / "a", 1, seed=4, profile="quick", processes=1)
    b = generate_corpus(tmp_path / "b", 1, seed=4, profile="quick", processes=1)
    ta, tb = json.loads(a.read_text("utf-8")), json.loads(b.read_text("utf-8"))
    assert ta == tb
    fa = _read_files(tmp_path / "a", ta["packages"][0])
    fb = _read_files(tmp_path / "b", tb["packages"][0])
    assert fa.keys() == fb.keys()
    for name in fa:
        if name.endswith((".jpg", ".png", ".tif")):
            assert fa[name] == fb[name], name
        elif name.endswith(".pdf"):  # font subset tags follow a per-process counter: compare the text instead
            assert _pdf_text(fa[name]) == _pdf_text(fb[name]), name


def _pdf_text(data: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()
