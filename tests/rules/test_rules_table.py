"""Rule tests as tables: given these facts, this outcome (validators without extractors)."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from extractors.facts.kinds import DocumentKind
from extractors.models import Evidence, Fact, PageSource
from extractors.normalize.lookalikes import lookalike_typo
from tests.rules.factories import NAME, clean_certification, documents, fact
from validators.engine import RULES, assess, verdict_of
from validators.models import Finding, Outcome, Verdict
from validators.ruleset import load_ruleset

RS = load_ruleset("ningbo-2018")
SPEC_RULE_IDS = ["M-FORM", "M-REPORT", "M-LICENSE", "M-PREMISES", "M-EQUIPMENT", "M-STAFF", "M-DECLARATION",
                 "M-AGREEMENTS", "M-SELF-EVAL", "M-QUALIFICATION", "E-ENTITY", "E-NINGBO", "E-AGE", "E-CATEGORY",
                 "E-SMES", "E-SMALL-MICRO", "E-PREMISES", "E-PARTNERS", "E-PUBLIC-WELFARE", "X-NAME", "X-USCC",
                 "X-ESTABLISHED", "X-LEGAL-REP", "X-SMES", "X-SMALL-MICRO", "X-PUBLIC-WELFARE", "X-PARTNERS"]


def outcomes(facts) -> dict[str, Outcome]:
    return {f.rule: f.outcome for f in assess(facts, RS).findings}


def test_rule_ids_unique_and_match_spec():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert ids == SPEC_RULE_IDS


def test_spec_table_lists_the_same_rule_ids():
    spec = Path(__file__).resolve().parents[3] / "shared" / "SPEC.md"
    if not spec.exists():
        pytest.skip("../shared/SPEC.md is not beside this clone")
    text = spec.read_text(encoding="utf-8")
    in_spec = set(re.findall(r"^\| ([EX]-[A-Z-]+) \|", text, re.M)) | set(re.findall(r"^\| (M-[A-Z-]+) \|", text, re.M))
    assert in_spec == set(SPEC_RULE_IDS)


def test_clean_package_passes_every_rule_and_is_eligible():
    got = outcomes(clean_certification())
    assert set(got.values()) == {Outcome.PASS}, {k: v for k, v in got.items() if v is not Outcome.PASS}
    assert assess(clean_certification(), RS).verdict is Verdict.ELIGIBLE


OTHER = "宁波瑞纹知识产权服务有限公司"
CASES = [
    # (changes, rule, expected outcome)
    ({"observed:service.smes_served": fact("service.smes_served", 41)}, "X-SMES", Outcome.FAIL),
    ({"extra:report.smes_stated": fact("report.smes_stated", 60)}, "X-SMES", Outcome.FAIL),
    ({"observed:service.smes_served": None}, "X-SMES", Outcome.REVIEW),
    ({"observed:service.smes_served": fact("service.smes_served", 19)}, "E-SMES", Outcome.FAIL),
    ({"observed:service.smes_served": fact("service.smes_served", 20)}, "E-SMES", Outcome.PASS),
    ({"observed:service.smes_served": None}, "E-SMES", Outcome.REVIEW),
    ({"observed:service.smes_served": fact("service.smes_served", 12, 0.3)}, "E-SMES", Outcome.REVIEW),
    # a scanned list whose 序号 show rows perhaps lost (declared 52): the range decides, or an officer does
    ({"observed:service.smes_served": fact("service.smes_served", 48, smes_served_row_bounds=(48, 53))}, "X-SMES",
     Outcome.REVIEW),
    ({"observed:service.smes_served": fact("service.smes_served", 44, smes_served_row_bounds=(44, 47))}, "X-SMES",
     Outcome.FAIL),
    ({"observed:service.smes_served": fact("service.smes_served", 14, smes_served_row_bounds=(14, 21))}, "E-SMES",
     Outcome.REVIEW),
    ({"observed:service.smes_served": fact("service.smes_served", 14, smes_served_row_bounds=(14, 16))}, "E-SMES",
     Outcome.FAIL),
    # declared 55.77 %: rows perhaps lost could bring 40 % up to it (review), not 30 % (fail); agreeing passes
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.40, small_micro_row_bounds=(0.38, 0.55))},
     "X-SMALL-MICRO", Outcome.REVIEW),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.30, small_micro_row_bounds=(0.28, 0.36))},
     "X-SMALL-MICRO", Outcome.FAIL),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.5577, small_micro_row_bounds=(0.5, 0.6))},
     "X-SMALL-MICRO", Outcome.PASS),
    # 45 % read, 40-52 % with the rows perhaps lost: not corroborated by the declared 55.77 % -> review
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.45, small_micro_row_bounds=(0.40, 0.52))},
     "E-SMALL-MICRO", Outcome.REVIEW),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.49)}, "E-SMALL-MICRO", Outcome.FAIL),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.5)}, "E-SMALL-MICRO", Outcome.PASS),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.45,
                                                 small_micro_bounds=(0.45, 0.55))}, "E-SMALL-MICRO", Outcome.REVIEW),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.5677)}, "X-SMALL-MICRO", Outcome.PASS),
    ({"observed:service.small_micro_share": fact("service.small_micro_share", 0.5470)}, "X-SMALL-MICRO", Outcome.FAIL),
    ({"observed:service.public_welfare_share": fact("service.public_welfare_share", 0.171)}, "E-PUBLIC-WELFARE",
     Outcome.FAIL),
    ({"observed:service.public_welfare_share": fact("service.public_welfare_share", 0.171)}, "X-PUBLIC-WELFARE",
     Outcome.FAIL),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4)}, "E-PARTNERS", Outcome.FAIL),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4)}, "X-PARTNERS", Outcome.FAIL),
    # too few, and the only weak words are in counted agreements' terms: read right, the count could only fall
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.5, excluded_conf=0.97,
                                                    counted_names_conf=0.99)}, "E-PARTNERS", Outcome.FAIL),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.5, excluded_conf=None,
                                                    counted_names_conf=None)}, "E-PARTNERS", Outcome.FAIL),
    # an agreement judged ended on weak words, or weakly read names, could hide a fifth
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.5, excluded_conf=0.4,
                                                    counted_names_conf=0.99)}, "E-PARTNERS", Outcome.REVIEW),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.5, excluded_conf=None,
                                                    counted_names_conf=0.4)}, "E-PARTNERS", Outcome.REVIEW),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.5)}, "E-PARTNERS",
     Outcome.REVIEW),
    # the counted four read surely, but a fifth judged ended on weak words (an end date under a seal read 2003
    # for 2020: seed 7 P0028) could be in force: review, not a fail; one surely ended, or too few either way, fails
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.97, excluded_confs=[0.5])},
     "E-PARTNERS", Outcome.REVIEW),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.97, excluded_confs=[0.5])},
     "X-PARTNERS", Outcome.REVIEW),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.97, excluded_confs=[0.95])},
     "E-PARTNERS", Outcome.FAIL),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 4, 0.97, excluded_confs=[0.95])},
     "X-PARTNERS", Outcome.FAIL),
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 3, 0.97, excluded_confs=[0.5])},
     "E-PARTNERS", Outcome.FAIL),
    # enough: a weak count agreeing with the declared 5 passes as before
    ({"observed:service.partner_institutions": fact("service.partner_institutions", 5, 0.5, excluded_conf=None,
                                                    counted_names_conf=None)}, "E-PARTNERS", Outcome.PASS),
    ({"declared:applicant.uscc": fact("applicant.uscc", "91330282MA22QF4HX5")}, "X-USCC", Outcome.FAIL),
    ({"observed:applicant.uscc": fact("applicant.uscc", "91330282MA22QF4HX5", 0.95)}, "E-ENTITY", Outcome.FAIL),
    ({"observed:applicant.uscc": fact("applicant.uscc", "91330282MA22QF4HX5", 0.3)}, "E-ENTITY", Outcome.REVIEW),
    ({"observed:applicant.established_on": fact("applicant.established_on", date(2016, 6, 25), 0.95)},
     "X-ESTABLISHED", Outcome.FAIL),
    ({"observed:applicant.established_on": fact("applicant.established_on", date(2019, 3, 1), 0.95)}, "E-AGE",
     Outcome.FAIL),
    ({"observed:applicant.established_on": fact("applicant.established_on", date(2019, 2, 25), 0.95)}, "E-AGE",
     Outcome.PASS),
    ({"observed:applicant.established_on": None}, "E-AGE", Outcome.REVIEW),
    ({"observed:applicant.legal_representative": fact("applicant.legal_representative", "林宏伟", 0.95)},
     "X-LEGAL-REP", Outcome.FAIL),
    ({"observed:applicant.legal_representative": fact("applicant.legal_representative", "林宏伟", 0.2)},
     "X-LEGAL-REP", Outcome.REVIEW),
    ({"observed:applicant.name": fact("applicant.name", OTHER, 0.95)}, "X-NAME", Outcome.FAIL),
    ({"observed:applicant.name": fact("applicant.name", OTHER, 0.3)}, "X-NAME", Outcome.REVIEW),
    ({"observed:applicant.name": fact("applicant.name", "宁波瑞弘知识产权服务有限公司 ")}, "X-NAME", Outcome.PASS),
    ({"declared:applicant.name": fact("applicant.name", "宁波瑞弘知识产权服务（有限）公司"),
      "observed:applicant.name": fact("applicant.name", "宁波瑞弘知识产权服务(有限)公司"),
      "observed:premises.lessee": fact("premises.lessee", "宁波瑞弘知识产权服务(有限)公司"),
      "extra:declaration.name": fact("declaration.name", "宁波瑞弘知识产权服务(有限)公司")}, "X-NAME", Outcome.PASS),
    ({"observed:premises.lease_end": fact("premises.lease_end", date(2020, 1, 31))}, "E-PREMISES", Outcome.FAIL),
    ({"observed:premises.lessee": fact("premises.lessee", "宁波某某物业管理有限公司")}, "E-PREMISES", Outcome.FAIL),
    # an end date worked out from the stated length (the written one is illegible) is for an officer
    ({"observed:premises.lease_end": fact("premises.lease_end", date(2030, 1, 31), derived_from_length=True)},
     "E-PREMISES", Outcome.REVIEW),
    ({"extra:premises.kind": fact("premises.kind", "property"), "observed:premises.lease_end": None},
     "E-PREMISES", Outcome.PASS),
    ({"observed:applicant.uscc": fact("applicant.uscc", "913101157989946958", 0.95),
      "observed:applicant.address": fact("applicant.address", "上海市浦东新区张江路1号", 0.95)}, "E-NINGBO", Outcome.FAIL),
    ({"observed:applicant.uscc": fact("applicant.uscc", "913101157989946958", 0.95)}, "E-NINGBO", Outcome.PASS),
    ({"extra:report.categories": None}, "E-CATEGORY", Outcome.REVIEW),
    ({"extra:report.categories": None, "declared:service.categories": None}, "E-CATEGORY", Outcome.FAIL),
]


@pytest.mark.parametrize("changes,rule,expected", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_rule_outcome(changes, rule, expected):
    assert outcomes(clean_certification(changes))[rule] is expected


def test_missing_material_fails_and_unreadable_goes_to_review():
    got = outcomes(clean_certification(docs=documents(DocumentKind.SELF_EVAL)))
    assert got["M-SELF-EVAL"] is Outcome.FAIL
    got = outcomes(clean_certification(docs=documents(unreadable=(DocumentKind.STAFF,))))
    assert got["M-STAFF"] is Outcome.REVIEW


def test_cultivation_makes_certification_rules_not_applicable():
    facts = clean_certification({"declared:application.kind": fact("application.kind", "cultivation")},
                                docs=documents(DocumentKind.AGREEMENT, DocumentKind.SELF_EVAL,
                                               DocumentKind.QUALIFICATION))
    got = outcomes(facts)
    for rid in ("M-AGREEMENTS", "M-SELF-EVAL", "M-QUALIFICATION", "E-AGE", "E-SMES", "E-SMALL-MICRO", "E-PARTNERS",
                "E-PUBLIC-WELFARE", "X-SMES", "X-SMALL-MICRO", "X-PUBLIC-WELFARE", "X-PARTNERS"):
        assert got[rid] is Outcome.NOT_APPLICABLE, rid
    assert assess(facts, RS).verdict is Verdict.ELIGIBLE


def test_unknown_kind_sends_certification_rules_to_review():
    got = outcomes(clean_certification({"declared:application.kind": None}))
    assert got["E-SMES"] is Outcome.REVIEW


@pytest.mark.parametrize("outcomes_,verdict", [
    ({"M-FORM": Outcome.PASS, "X-SMES": Outcome.PASS}, Verdict.ELIGIBLE),
    ({"M-FORM": Outcome.PASS, "X-SMES": Outcome.FAIL}, Verdict.NEEDS_REVIEW),
    ({"M-FORM": Outcome.REVIEW, "X-SMES": Outcome.PASS}, Verdict.NEEDS_REVIEW),
    ({"E-SMES": Outcome.FAIL, "X-SMES": Outcome.FAIL}, Verdict.INELIGIBLE),
    ({"M-REPORT": Outcome.FAIL}, Verdict.INELIGIBLE),
    ({"E-AGE": Outcome.NOT_APPLICABLE}, Verdict.ELIGIBLE),
])
def test_verdict(outcomes_, verdict):
    findings = tuple(Finding(r, o, "") for r, o in outcomes_.items())
    assert verdict_of(findings) is verdict


def test_every_finding_cites_evidence_or_says_why_not():
    for f in assess(clean_certification({"observed:service.smes_served": fact("service.smes_served", 41)}), RS).findings:
        if f.outcome is Outcome.FAIL:
            assert f.evidence, f.rule
        if f.outcome is Outcome.REVIEW:
            assert f.reason, f.rule


def test_lessee_name_variant_matches_applicant():
    got = outcomes(clean_certification({"observed:premises.lessee": fact("premises.lessee", NAME.replace("服务", "服务 "))}))
    assert got["E-PREMISES"] is Outcome.PASS


def test_declaration_name_obstructed_by_seal_is_not_a_mismatch():
    got = outcomes(clean_certification({"extra:declaration.name": fact("declaration.name", "宁波瑞弘服务有限公司", 0.97)}))
    assert got["X-NAME"] is Outcome.PASS
    other = fact("declaration.name", "宁波某某贸易有限公司", 0.97)
    assert outcomes(clean_certification({"extra:declaration.name": other}))["X-NAME"] is Outcome.FAIL


def test_low_confidence_pass_needs_corroboration():
    weak = fact("applicant.established_on", date(2016, 6, 24), 0.3)
    assert outcomes(clean_certification({"observed:applicant.established_on": weak}))["E-AGE"] is Outcome.PASS
    other = fact("applicant.established_on", date(2016, 6, 24), 0.3)
    changed = {"observed:applicant.established_on": other,
               "declared:applicant.established_on": fact("applicant.established_on", date(2015, 1, 1))}
    assert outcomes(clean_certification(changed))["E-AGE"] is Outcome.REVIEW
    weak_count = fact("service.smes_served", 30, 0.3)
    assert outcomes(clean_certification({"observed:service.smes_served": weak_count}))["E-SMES"] is Outcome.REVIEW


def _ocr_fact(name: str, value: str, conf: float) -> Fact:
    return Fact(name, value, (Evidence("licence.jpg", 1, value, confidence=conf, source=PageSource.OCR),), conf)


@pytest.mark.parametrize(("observed", "ocr", "expected"), [
    ("户家豪", True, Outcome.REVIEW),  # 卢→户 read with high confidence on a photo: a misreading, not a fact
    ("户家豪", False, Outcome.FAIL),  # the same difference in two text layers is what the applicant wrote
    ("吴家豪", True, Outcome.FAIL),  # one character apart but not look-alikes: another person
    ("户家", True, Outcome.FAIL),
])
def test_a_one_character_lookalike_difference_read_by_ocr_is_for_an_officer(observed, ocr, expected):
    rep = "applicant.legal_representative"
    seen = _ocr_fact(rep, observed, 0.97) if ocr else fact(rep, observed, 0.97)
    facts = clean_certification({"declared:" + rep: fact(rep, "卢家豪"), "observed:" + rep: seen})
    found = next(f for f in assess(facts, RS).findings if f.rule == "X-LEGAL-REP")
    assert found.outcome is expected
    if expected is Outcome.REVIEW:
        assert "形近字" in found.message


def test_lookalike_typo():
    assert lookalike_typo("卢家豪", "户家豪") and lookalike_typo("王小明", "玉小明")
    assert lookalike_typo("覃丽", "草丽")  # a 150 dpi form of the second corpus
    assert not lookalike_typo("卢家豪", "卢家豪") and not lookalike_typo("卢家豪", "户家毫")
    assert not lookalike_typo("卢家豪", "户家") and not lookalike_typo("", "")


def test_a_form_name_surely_read_and_different_fails_beside_a_weakly_read_declaration():
    """Seed 4 P0025: the form says 咨询 where the licence and lease say 服务, all read surely; the declaration's
    signature line under its seal reads garbled at 0.5. The mismatch stands; weak readings alone would not."""
    form = fact("applicant.name", "宁波瑞弘知识产权咨询有限公司", 0.99)
    garbled = fact("declaration.name", "营波瑞知识有公司", 0.5)
    got = outcomes(clean_certification({"declared:applicant.name": form, "extra:declaration.name": garbled}))
    assert got["X-NAME"] is Outcome.FAIL
    weak_form = fact("applicant.name", "宁波瑞弘知识产权咨询有限公司", 0.4)
    got = outcomes(clean_certification({"declared:applicant.name": weak_form, "extra:declaration.name": garbled}))
    assert got["X-NAME"] is Outcome.REVIEW


@pytest.mark.parametrize(("form_code", "expected"), [
    ("91330282MA22QF4HXM", Outcome.FAIL),  # M for 4: no OCR confusion, the form carries the wrong character
    ("91330282MA22QF4HX9", Outcome.FAIL),  # 9 for 4: not alike either
    ("91330282MA22QF4HXA", Outcome.REVIEW),  # A for 4: look-alikes, perhaps OCR's misreading
    ("91330282MA22QFAHX4", Outcome.REVIEW),  # the same elsewhere in the code
])
def test_an_invalid_form_code_read_by_ocr_fails_when_ocr_cannot_explain_the_difference(form_code, expected):
    """Seed 4 P0027: the form's code differs from the licence's in one character (Y for M), read at 0.92 on a
    scan. An invalid code read by OCR used to go to review whatever the difference; now only where OCR
    could have made it (look-alike characters) does it."""
    got = outcomes(clean_certification({"declared:applicant.uscc": _ocr_fact("applicant.uscc", form_code, 0.92)}))
    assert got["X-USCC"] is expected
