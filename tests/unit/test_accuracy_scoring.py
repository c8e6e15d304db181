"""The accuracy scorer's own logic: which wrong facts count as silent."""
from __future__ import annotations

from prescreen.accuracy import score


def _truth(observed: dict) -> dict:
    return {"declared": {}, "observed": observed, "rules": {}, "verdict": {"expected": "eligible", "accept": ["eligible"]}}


def _report(observed: dict, findings: list[tuple[str, str]]) -> dict:
    return {"observed": {k: {"value": v} for k, v in observed.items()}, "verdict": "eligible",
            "findings": [{"rule": r, "outcome": o} for r, o in findings]}


def test_wrong_fact_without_review_is_silent():
    s = score(_report({"service.smes_served": 41}, [("X-SMES", "pass"), ("E-SMES", "pass")]),
              _truth({"service.smes_served": 45}))
    assert s["silent_wrong"] == ["observed:service.smes_served"]


def test_wrong_fact_with_review_on_any_reading_rule_is_flagged():
    s = score(_report({"service.smes_served": 41}, [("X-SMES", "review"), ("E-SMES", "pass")]),
              _truth({"service.smes_served": 45}))
    assert s["silent_wrong"] == []


def test_right_fact_is_never_silent():
    s = score(_report({"premises.lease_end": "2024-01-31"}, [("E-PREMISES", "pass")]),
              _truth({"premises.lease_end": "2024-01-31"}))
    assert s["silent_wrong"] == [] and s["facts"]["observed:premises.lease_end"][0]


def test_a_missing_value_is_not_a_silent_wrong_one():
    s = score(_report({}, [("E-PREMISES", "pass")]), _truth({"premises.lease_end": "2024-01-31"}))
    assert s["silent_wrong"] == [] and not s["facts"]["observed:premises.lease_end"][0]


def test_facts_are_counted_under_the_format_they_were_read_from():
    from prescreen.accuracy_sources import by_source, source_group

    package = {"documents": [
        {"material": "form", "formats": ["docx"]},
        {"material": "licence", "formats": ["jpg"]},
        {"material": "report", "formats": ["png200", "png200"]},
        {"material": "clients", "formats": ["png200"], "inside": "report"},
        {"material": "agreements", "formats": ["pdf", "scan300", "png150", "docx"]},
        {"material": "premises", "formats": ["photo"]},
    ]}
    assert source_group("declared:service.smes_served", package) == "text"
    assert source_group("observed:applicant.uscc", package) == "image"
    assert source_group("observed:service.small_micro_share", package) == "200 dpi"
    assert source_group("observed:service.partner_institutions", package) == "150 dpi"  # the hardest agreement
    assert source_group("observed:premises.lease_end", package) == "photo"
    results = [("P1", {"facts": {"observed:premises.lease_end": (False, None, "2024-01-01"),
                                 "observed:premises.lessee": (True, "x", "x"),
                                 "declared:applicant.name": (True, "x", "x")}})]
    assert by_source(results, {"P1": package}) == {"photo": [1, 2], "text": [1, 1]}
