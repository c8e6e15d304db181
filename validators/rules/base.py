"""What every rule gets (RuleContext) and the helpers rules share for outcomes and confidence."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from extractors.facts.factset import FactSet
from extractors.models import Evidence, Fact
from validators.models import ApplicationKind, Finding, Outcome
from validators.ruleset import RuleSet

CERT = (ApplicationKind.CERTIFICATION,)
BOTH = (ApplicationKind.CULTIVATION, ApplicationKind.CERTIFICATION)


@dataclass(frozen=True)
class RuleContext:
    facts: FactSet
    ruleset: RuleSet
    kind: ApplicationKind | None
    application_date: date | None

    def ocr_unsure(self, *facts: Fact | None, strict: float = 0.95) -> bool:
        """True when a fact was read by OCR without near-certainty: a check digit that fails on such a
        reading says "misread" at least as loudly as "invalid code"."""
        return any(f is not None and any(e.source is not None and e.source.value == "ocr" and
                                         (e.confidence is None or e.confidence < strict) for e in f.evidence)
                   for f in facts)

    def weak(self, confidence: float | None) -> bool:
        """True for an OCR confidence under the rule set's threshold (None: not OCR, certain)."""
        return confidence is not None and confidence < float(self.ruleset.t("low_confidence"))

    def low(self, *facts: Fact | None) -> bool:
        """True when any of the facts was read from words under the OCR confidence threshold."""
        return any(f is not None and self.weak(f.confidence) for f in facts)


@dataclass(frozen=True)
class Rule:
    id: str
    kinds: tuple[ApplicationKind, ...]
    check: Callable[[RuleContext], Finding]
    title: str

    def evaluate(self, ctx: RuleContext) -> Finding:
        article = ctx.ruleset.articles.get(self.id)
        if ctx.kind is not None and ctx.kind not in self.kinds:
            return Finding(self.id, Outcome.NOT_APPLICABLE, f"{self.title}：不适用于本申请类别", article)
        if ctx.kind is None and self.kinds == CERT:
            return Finding(self.id, Outcome.REVIEW, f"{self.title}：申请类别无法确定，需人工判断", article,
                           reason="kind_unknown")
        f = self.check(ctx)
        return f if f.article else Finding(f.rule, f.outcome, f.message, article, f.declared, f.observed, f.evidence,
                                           f.reason)


def ev(*facts: Fact | None) -> tuple[Evidence, ...]:
    return tuple(e for f in facts if f is not None for e in f.evidence)


def json_value(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, tuple):
        return list(v)
    return v


def finding(rule: str, outcome: Outcome, message: str, *facts: Fact | None, declared: Any = None,
            observed: Any = None, reason: str | None = None) -> Finding:
    return Finding(rule, outcome, message, None, json_value(declared), json_value(observed), ev(*facts), reason)


def low_conf_review(rule: str, title: str, *facts: Fact | None, declared: Any = None, observed: Any = None) -> Finding:
    return finding(rule, Outcome.REVIEW, f"{title}：低置信度识别，需人工核对原件", *facts, declared=declared,
                   observed=observed, reason="low_confidence")


def bounds(f: Fact, rows: bool = False) -> tuple[Any, Any]:
    """How far a counted fact could be off: the range unreadable cells leave (`rows`: also rows a scanned
    list may have lost or gained, see extractors.facts.clients), else (value, value)."""
    key = f.name.split(".")[-1].replace("_share", "") + ("_row_bounds" if rows else "_bounds")
    return f.details.get(key, (f.value, f.value)) if f.details else (f.value, f.value)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def weakly_ended(ctx: RuleContext, f: Fact) -> int:
    """Agreements judged not in force on the application date from words read under the confidence threshold
    (an end date under a seal read 2003 for 2020): each may be one more partner."""
    return sum(ctx.weak(c) for c in (f.details or {}).get("excluded_confs", []))
