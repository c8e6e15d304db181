"""Hand-built facts for rule tests: validators are tested without any extractor."""
from __future__ import annotations

from datetime import date
from typing import Any

from extractors.facts.factset import DocumentInfo, FactSet
from extractors.facts.kinds import DocumentKind
from extractors.models import Evidence, Fact

ALL_KINDS = tuple(DocumentKind)
VALID_USCC = "91330282MA22QF4HX4"
NAME = "宁波瑞弘知识产权服务有限公司"


def fact(name: str, value: Any, conf: float | None = None, doc: str = "doc.pdf", **details: Any) -> Fact:
    return Fact(name, value, (Evidence(doc, 1, str(value), confidence=conf),), conf, details=dict(details))


def documents(*missing: DocumentKind, unreadable: tuple[DocumentKind, ...] = ()) -> tuple[DocumentInfo, ...]:
    out = []
    for k in ALL_KINDS:
        if k in missing:
            continue
        out.append(DocumentInfo(name=f"{k.value}.pdf", sha256="0" * 64, file_type="pdf", kinds=(k,),
                                pages=0 if k in unreadable else 1, sources=("text_layer",), engines=(),
                                mean_conf=None, problem=None if k not in unreadable else _problem()))
    return tuple(out)


def _problem():
    from intake.models import Problem

    return Problem("corrupt", "文件已损坏", "corrupt")


def clean_certification(changes: dict[str, Any] | None = None, docs: tuple[DocumentInfo, ...] | None = None) -> FactSet:
    """A package that passes every rule; `changes` replace facts by 'declared:NAME' / 'observed:NAME' /
    'extra:NAME' (None removes the fact)."""
    declared = {
        "applicant.name": fact("applicant.name", NAME),
        "applicant.uscc": fact("applicant.uscc", VALID_USCC),
        "applicant.legal_representative": fact("applicant.legal_representative", "周立华"),
        "applicant.address": fact("applicant.address", "浙江省宁波市慈溪市白沙路街道三北大街158号"),
        "applicant.established_on": fact("applicant.established_on", date(2016, 6, 24)),
        "application.kind": fact("application.kind", "certification"),
        "application.date": fact("application.date", date(2020, 2, 25)),
        "service.categories": fact("service.categories", ("信息咨询", "人才培训")),
        "service.smes_served": fact("service.smes_served", 52),
        "service.small_micro_share": fact("service.small_micro_share", 0.5577),
        "service.public_welfare_share": fact("service.public_welfare_share", 0.577),
        "service.partner_institutions": fact("service.partner_institutions", 5),
    }
    observed = {
        "applicant.name": fact("applicant.name", NAME, 0.95),
        "applicant.uscc": fact("applicant.uscc", VALID_USCC, 0.95),
        "applicant.legal_representative": fact("applicant.legal_representative", "周立华", 0.95),
        "applicant.address": fact("applicant.address", "浙江省宁波市慈溪市白沙路街道三北大街158号", 0.95),
        "applicant.established_on": fact("applicant.established_on", date(2016, 6, 24), 0.95),
        "service.smes_served": fact("service.smes_served", 52),
        "service.small_micro_share": fact("service.small_micro_share", 0.557692),
        "service.public_welfare_share": fact("service.public_welfare_share", 0.576923),
        "service.partner_institutions": fact("service.partner_institutions", 5),
        "premises.lessee": fact("premises.lessee", NAME),
        "premises.lease_end": fact("premises.lease_end", date(2024, 4, 4)),
    }
    extra = {
        "premises.kind": fact("premises.kind", "lease"),
        "premises.lease_start": fact("premises.lease_start", date(2019, 4, 5)),
        "report.smes_stated": fact("report.smes_stated", 52),
        "selfeval.smes_stated": fact("selfeval.smes_stated", 52),
        "report.categories": fact("report.categories", ("信息咨询", "人才培训")),
        "declaration.name": fact("declaration.name", NAME),
    }
    sections = {"declared": declared, "observed": observed, "extra": extra}
    for key, value in (changes or {}).items():
        section, name = key.split(":", 1)
        if value is None:
            sections[section].pop(name, None)
        else:
            sections[section][name] = value
    return FactSet(documents=docs or documents(), declared=declared, observed=observed, extra=extra)
