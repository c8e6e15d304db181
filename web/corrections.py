"""An officer's correction of an observed value, and the rules run again with it.

The package's facts are assembled again from the cached extractions (no OCR runs again), the corrected facts
replace the machine's with evidence that says who supplied them, and every rule runs over the result. What comes
out is stored with the decision, apart from the machine's report, which stays as it was.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from extractors.facts.assemble import assemble
from extractors.models import Evidence, Fact
from extractors.normalize.dates import parse_date
from extractors.normalize.numbers import parse_count, parse_ratio, to_halfwidth
from extractors.normalize.uscc import normalize_uscc
from prescreen.pipeline import extract_all
from prescreen.report import plain
from prescreen.settings import AppSettings
from prescreen.steps import load_submission, stored_originals
from prescreen.viewer_images import with_page_images
from storage.objects import ObjectStore
from storage.repository import Repository
from validators.engine import assess
from validators.ruleset import load_ruleset

HUMAN_SOURCE = "人工更正"  # the evidence document of a human-supplied value


def _text(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise ValueError("请填写更正后的值")
    return value


def _date(raw: str):
    value = parse_date(raw.strip())
    if value is None:
        raise ValueError(f"无法识别的日期：{raw}（例如 2016-03-18 或 2016年3月18日）")
    return value


def _count(raw: str) -> int:
    value = parse_count(raw.strip())
    if value is None or value < 0:
        raise ValueError(f"无法识别的数量：{raw}")
    return value


def _ratio(raw: str) -> float:
    text = raw.strip()
    value = parse_ratio(text)
    if value is None:  # a bare number: 0.685, or 68.5 meaning percent
        try:
            number = float(to_halfwidth(text))
        except ValueError:
            raise ValueError(f"无法识别的比例：{raw}（例如 68.5% 或 0.685）") from None
        value = number / 100 if number > 1 else number
    if not 0 <= value <= 1:
        raise ValueError(f"比例应在 0 与 1 之间：{raw}")
    return value


def _uscc(raw: str) -> str:
    value = normalize_uscc(raw)
    if len(value) != 18:
        raise ValueError(f"统一社会信用代码应为18位：{raw}")
    return value


# Observed facts an officer may correct: label and parser of the typed value.
CORRECTABLE: dict[str, tuple[str, Callable[[str], Any]]] = {
    "applicant.name": ("申请单位名称", _text),
    "applicant.uscc": ("统一社会信用代码", _uscc),
    "applicant.legal_representative": ("法定代表人", _text),
    "applicant.address": ("住所", _text),
    "applicant.established_on": ("成立日期", _date),
    "service.smes_served": ("年服务中小微企业数", _count),
    "service.small_micro_share": ("小微企业占比", _ratio),
    "service.public_welfare_share": ("公益性服务比例", _ratio),
    "service.partner_institutions": ("集聚服务机构数", _count),
    "premises.lessee": ("承租方", _text),
    "premises.lease_end": ("租赁到期日", _date),
}

# The observed facts each rule reads: what a correction on a flag of that rule may change.
RULE_FACTS: dict[str, tuple[str, ...]] = {
    "E-ENTITY": ("applicant.uscc",), "E-NINGBO": ("applicant.uscc", "applicant.address"),
    "E-AGE": ("applicant.established_on",), "E-SMES": ("service.smes_served",),
    "E-SMALL-MICRO": ("service.small_micro_share",), "E-PREMISES": ("premises.lessee", "premises.lease_end"),
    "E-PARTNERS": ("service.partner_institutions",), "E-PUBLIC-WELFARE": ("service.public_welfare_share",),
    "X-NAME": ("applicant.name", "premises.lessee"), "X-USCC": ("applicant.uscc",),
    "X-ESTABLISHED": ("applicant.established_on",), "X-LEGAL-REP": ("applicant.legal_representative",),
    "X-SMES": ("service.smes_served",), "X-SMALL-MICRO": ("service.small_micro_share",),
    "X-PUBLIC-WELFARE": ("service.public_welfare_share",), "X-PARTNERS": ("service.partner_institutions",),
}


def parse_value(fact: str, raw: str) -> Any:
    """The typed value of an officer's input for `fact`; ValueError (Chinese message) when it cannot be read."""
    if fact not in CORRECTABLE:
        raise ValueError(f"该事实不可更正：{fact}")
    return CORRECTABLE[fact][1](raw)


def human_fact(fact: str, value: Any, username: str) -> Fact:
    """The corrected fact: full confidence, no machine details, evidence naming who supplied it."""
    quote = f"{username}：{plain(value)}"
    return Fact(fact, value, (Evidence(document=HUMAN_SOURCE, page=None, text=quote),), 1.0,
                note=f"人工更正（{username}）")


def reassess(package_id: str, ruleset_id: str, corrections: dict[str, tuple[Any, str]], settings: AppSettings,
             store: ObjectStore, repo: Repository) -> dict[str, Any]:
    """Verdict and findings with `corrections` (fact -> (typed value, who)) in place of the machine's readings,
    under the rule set the report used."""
    sub = load_submission(package_id, store, repo)
    ctx, originals = settings.extraction_context(), stored_originals(store)
    extracted = with_page_images(extract_all(sub.package.documents, originals, ctx, store, repo), ctx, store,
                                 originals)
    facts = assemble(extracted, sub.declared, sub.declared_name)
    observed = dict(facts.observed)
    for fact, (value, who) in corrections.items():
        observed[fact] = human_fact(fact, value, who)
    assessment = assess(replace(facts, observed=observed), load_ruleset(ruleset_id))
    return {"verdict": assessment.verdict.value, "corrections": {k: plain(v) for k, (v, _) in corrections.items()},
            "findings": [{"rule": f.rule, "outcome": f.outcome.value, "article": f.article,
                          "declared": plain(f.declared), "observed": plain(f.observed), "message": f.message,
                          "reason": f.reason, "human_supplied": any(e.document == HUMAN_SOURCE for e in f.evidence)}
                         for f in assessment.findings]}
