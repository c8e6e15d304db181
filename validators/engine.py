"""Run every rule over a package's facts and decide the verdict (SPEC: Report)."""
from __future__ import annotations

from dataclasses import dataclass

from extractors.facts.factset import FactSet
from validators.models import ApplicationKind, Finding, Outcome, Verdict
from validators.rules.base import Rule, RuleContext
from validators.rules.consistency import CONSISTENCY_RULES
from validators.rules.eligibility import ELIGIBILITY_RULES
from validators.rules.materials import MATERIAL_RULES
from validators.ruleset import RuleSet

RULES: tuple[Rule, ...] = MATERIAL_RULES + ELIGIBILITY_RULES + CONSISTENCY_RULES


@dataclass(frozen=True)
class Assessment:
    kind: ApplicationKind | None
    findings: tuple[Finding, ...]
    verdict: Verdict


def application_kind(facts: FactSet) -> ApplicationKind | None:
    value = facts.kind()
    return ApplicationKind(value) if value in ("cultivation", "certification") else None


def verdict_of(findings: tuple[Finding, ...]) -> Verdict:
    if any(f.outcome is Outcome.FAIL and f.rule[:2] in ("M-", "E-") for f in findings):
        return Verdict.INELIGIBLE
    if any(f.outcome in (Outcome.FAIL, Outcome.REVIEW) for f in findings):
        return Verdict.NEEDS_REVIEW
    return Verdict.ELIGIBLE


def assess(facts: FactSet, ruleset: RuleSet) -> Assessment:
    kind = application_kind(facts)
    ctx = RuleContext(facts=facts, ruleset=ruleset, kind=kind, application_date=facts.application_date())
    findings = tuple(rule.evaluate(ctx) for rule in RULES)
    return Assessment(kind=kind, findings=findings, verdict=verdict_of(findings))
