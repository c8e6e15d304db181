"""From extracted documents to the package's FactSet: classify, read each kind, pick the sources.

`FACT_READERS` lists, in order, which reader runs on which document kind. Where
several documents of a kind exist (two licences, five agreements) the choice is
made here, once, and recorded in the evidence.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from extractors.facts.agreements import Agreement, read_agreements
from extractors.facts.clients import ClientRow, client_facts, read_clients
from extractors.facts.declaration import read_declaration
from extractors.facts.factset import DocumentInfo, FactSet, PageInfo
from extractors.facts.form import read_form
from extractors.facts.kinds import DocumentKind, classify
from extractors.facts.lease import read_premises
from extractors.facts.licence import read_licence
from extractors.facts.statements import observed_categories, report_date, report_kind, stated_served
from extractors.facts.textview import TextView, build_view
from extractors.models import Evidence, ExtractedDocument, Fact
from intake.models import Document, Problem

log = logging.getLogger(__name__)

APPLICANT_FACTS = ("applicant.name", "applicant.uscc", "applicant.legal_representative", "applicant.address",
                   "applicant.established_on")


def _info(doc: Document, ex: ExtractedDocument, kinds: tuple[DocumentKind, ...], title: Evidence | None,
          problem: Problem | None = None) -> DocumentInfo:
    confs = [p.mean_conf for p in ex.pages if p.mean_conf is not None]
    return DocumentInfo(
        name=doc.name, sha256=doc.sha256, file_type=doc.file_type.value, kinds=kinds, pages=len(ex.pages),
        sources=tuple(p.source.value for p in ex.pages), engines=tuple(sorted({p.engine for p in ex.pages if p.engine})),
        mean_conf=min(confs) if confs else None, problem=doc.problem or ex.problem or problem, title=title,
        page_info=tuple(PageInfo(p.number, p.source.value, p.engine, p.mean_conf, p.width, p.height, p.unit,
                                 p.image_key, p.image_size, p.problem) for p in ex.pages))


def _richest(candidates: list[dict[str, Fact]]) -> dict[str, Fact]:
    return max(candidates, key=len) if candidates else {}


@dataclass
class _Readings:
    """What the per-kind readers found across the package, before sources are chosen."""

    forms: list[dict[str, Fact]] = field(default_factory=list)
    licences: list[dict[str, Fact]] = field(default_factory=list)
    premises: list[dict[str, Fact]] = field(default_factory=list)
    declarations: list[dict[str, Fact]] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    agreement_views: list[TextView] = field(default_factory=list)
    clients: list[ClientRow] = field(default_factory=list)
    extra: dict[str, Fact] = field(default_factory=dict)

    def read(self, ex: ExtractedDocument, view: TextView, kinds: set[DocumentKind]) -> None:
        if kinds & {DocumentKind.FORM, DocumentKind.LICENSE}:
            cells = build_view(ex, columns=True)  # label/value layouts: read cell by cell
            if DocumentKind.FORM in kinds:
                self.forms.append(read_form(cells))
            if DocumentKind.LICENSE in kinds:
                self.licences.append(read_licence(cells))
        if DocumentKind.PREMISES in kinds:
            self.premises.append(read_premises(view))
        if DocumentKind.DECLARATION in kinds:
            self.declarations.append(read_declaration(view))
        if DocumentKind.AGREEMENT in kinds:
            self.agreement_views.append(view)  # read once the applicant is known (who is the counterparty)
        if DocumentKind.CLIENT_LIST in kinds:
            self.clients.extend(read_clients(ex, view))
        if DocumentKind.REPORT in kinds:
            _report(view, self.extra)
        if DocumentKind.SELF_EVAL in kinds:
            f = stated_served(view, "selfeval.smes_stated")
            if f and "selfeval.smes_stated" not in self.extra:
                self.extra["selfeval.smes_stated"] = f


def assemble(extracted: list[tuple[Document, ExtractedDocument]], declared_json: dict[str, Any] | None = None,
             declared_source: str = "declared.json") -> FactSet:
    infos: list[DocumentInfo] = []
    r = _Readings()
    for doc, ex in extracted:
        if not ex.pages:
            infos.append(_info(doc, ex, (), None))
            continue
        cls = classify(ex)
        try:
            r.read(ex, build_view(ex), set(cls.kinds))
        except Exception as exc:  # a reader bug must not stop the package: the document goes to review
            log.exception("fact readers failed on %s", doc.name)
            problem = Problem("facts_error", "读取该文件内容时出错，需人工查看", f"fact readers failed: {exc!r}", doc.name)
            infos.append(_info(doc, ex, cls.kinds, cls.evidence, problem))
            continue
        infos.append(_info(doc, ex, cls.kinds, cls.evidence))
    extra = r.extra
    declared = dict(_richest(r.forms))
    decl = _richest(r.declarations)
    if "application.date" not in declared:
        fallback = extra.get("report.date") or decl.get("declaration.date")
        if fallback is not None:
            declared["application.date"] = Fact("application.date", fallback.value, fallback.evidence,
                                                fallback.confidence, "申请表未载明申请日期，取自申请报告或声明落款")
    if "application.kind" not in declared:
        kind = _kind_from_materials(extra, infos)
        if kind is not None:
            declared["application.kind"] = kind
    if declared_json:
        declared.update(_declared_from_json(declared_json, declared_source))
    licence = _richest(r.licences)
    observed: dict[str, Fact] = {k: licence[k] for k in APPLICANT_FACTS if k in licence}
    if "licence.term" in licence:
        extra["licence.term"] = licence["licence.term"]
    prem = _richest(r.premises)
    for k in ("premises.lessee", "premises.lease_end"):
        if k in prem:
            observed[k] = prem[k]
    for k in ("premises.lease_start", "premises.kind", "premises.address"):
        if k in prem:
            extra[k] = prem[k]
    for k in ("declaration.name", "declaration.date"):
        if k in decl:
            extra[k] = decl[k]
    who = observed.get("applicant.name") or declared.get("applicant.name")
    code = observed.get("applicant.uscc") or declared.get("applicant.uscc")
    for view in r.agreement_views:
        r.agreements.extend(read_agreements(view, (who and who.value, code and code.value)))
    observed.update(client_facts(r.clients))
    if r.clients:
        extra["clients"] = Fact("clients", r.clients, ())
    extra["agreements"] = Fact("agreements", r.agreements, tuple(e for a in r.agreements for e in a.evidence[:1]))
    app_date = declared.get("application.date")
    if app_date is not None and r.agreements:
        observed["service.partner_institutions"] = _partners(r.agreements, app_date.value)
    return FactSet(documents=tuple(infos), declared=declared, observed=observed, extra=extra)


def _kind_from_materials(extra: dict[str, Fact], infos: list[DocumentInfo]) -> Fact | None:
    """The application kind when the form's tick is illegible: the report's title says it (认定申请报告 /
    入库培育申请报告); failing that, materials only certification asks for (Art. 15) say certification."""
    if "report.kind" in extra:
        f = extra["report.kind"]
        return Fact("application.kind", f.value, f.evidence, f.confidence, "申请表申请类别无法辨认，依据申请报告标题")
    cert_only = [d for d in infos if {DocumentKind.AGREEMENT, DocumentKind.SELF_EVAL} & set(d.kinds)]
    if cert_only:
        ev = tuple(d.title for d in cert_only if d.title is not None)[:3]
        return Fact("application.kind", "certification", ev, None,
                    "申请表申请类别无法辨认，依据所附合作协议、自评报告（第十五条认定材料）推断")
    return None


def _report(view: TextView, extra: dict[str, Fact]) -> None:
    for name, reader in (("report.smes_stated", lambda v: stated_served(v, "report.smes_stated")),
                         ("report.categories", observed_categories), ("report.kind", report_kind),
                         ("report.date", report_date)):
        if name not in extra:
            f = reader(view)
            if f is not None:
                extra[name] = f


def _partners(agreements: list[Agreement], day: date) -> Fact:
    from extractors.normalize.names import norm_org_name

    valid: dict[str, Agreement] = {}
    names: dict[str, str] = {}  # normalised name -> key: one counterparty seen with and without its code
    unknown = 0
    for a in agreements:
        ok = a.valid_on(day)
        if ok is None:
            unknown += 1
        if ok:
            name = norm_org_name(a.party_b or "")
            key = names.get(name) or a.party_b_uscc or name
            valid.setdefault(key, a)
            if name:
                names.setdefault(name, key)
    ev = tuple(e for a in valid.values() for e in a.evidence)
    note = f"协议{len(agreements)}份，于申请日有效{len(valid)}家"
    # What a misreading could hide: an agreement judged ended (or not begun) on weak words, or two
    # counterparties merged on weakly read names. Weak dates of counted agreements can only lower the count.
    ended = [a for a in agreements if a.valid_on(day) is False]
    excluded = [e for a in ended for e in a.evidence]
    return Fact("service.partner_institutions", len(valid), ev, _min_conf(ev), note,
                {"agreements": len(agreements), "valid": len(valid), "term_unknown": unknown,
                 "excluded_conf": _min_conf(excluded), "excluded_confs": [_min_conf(a.evidence) for a in ended],
                 "counted_names_conf": _min_conf(a.evidence[0] for a in valid.values())})


def _min_conf(evidence) -> float | None:
    confs = [e.confidence for e in evidence if e.confidence is not None]
    return min(confs) if confs else None


def _declared_from_json(data: dict[str, Any], source: str) -> dict[str, Fact]:
    from extractors.normalize.dates import parse_date
    from extractors.normalize.numbers import parse_count, parse_ratio

    parsers: dict[str, Callable[[Any], Any]] = {
        "applicant.established_on": lambda v: parse_date(str(v)),
        "application.date": lambda v: parse_date(str(v)),
        "service.smes_served": lambda v: v if isinstance(v, int) else parse_count(str(v)),
        "service.partner_institutions": lambda v: v if isinstance(v, int) else parse_count(str(v)),
        "service.small_micro_share": lambda v: float(v) if isinstance(v, (int, float)) else parse_ratio(str(v)),
        "service.public_welfare_share": lambda v: float(v) if isinstance(v, (int, float)) else parse_ratio(str(v)),
        "service.categories": lambda v: tuple(v) if isinstance(v, list) else tuple(str(v).split(",")),
    }
    out = {}
    for k, v in data.items():
        if v is None:
            continue
        value = parsers.get(k, lambda x: str(x))(v)
        if value is not None:
            out[k] = Fact(k, value, (Evidence(document=source, page=None, text=f"{k}: {v}"),), 1.0)
    return out
