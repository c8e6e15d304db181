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
