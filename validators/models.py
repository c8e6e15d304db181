"""What validation produces: findings with outcomes, and the verdict."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from extractors.models import Evidence


class Outcome(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    REVIEW = "review"
    NOT_APPLICABLE = "not_applicable"


class Verdict(str, Enum):
    ELIGIBLE = "eligible"
    NEEDS_REVIEW = "needs_review"
    INELIGIBLE = "ineligible"


class ApplicationKind(str, Enum):
    CULTIVATION = "cultivation"
    CERTIFICATION = "certification"


@dataclass(frozen=True)
class Finding:
    rule: str
    outcome: Outcome
    message: str
    article: str | None = None
    declared: Any = None
    observed: Any = None
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None  # why review: missing_evidence, low_confidence, declared_only, unreadable, ...
