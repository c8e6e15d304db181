"""Truth entry of a package, in the format of /work/shared/samples/truth.json (read by acceptance/score.py)."""
from __future__ import annotations

import dataclasses

from . import fmt as F
from .model import CERT_ONLY_RULES, RULE_IDS, Kind, PackageSpec

MATERIAL_ORDER = ["form", "report", "clients", "licence", "premises", "equipment", "staff", "agreements", "selfeval",
                  "qualification", "declaration"]
# where the evidence of a failing rule sits: a low-quality image there makes `review` acceptable too
EVIDENCE = {"X-USCC": ("form", "licence"), "X-NAME": ("form", "licence"), "X-LEGAL-REP": ("form", "licence"),
            "X-ESTABLISHED": ("form", "licence"), "E-NINGBO": ("licence",), "E-AGE": ("licence",),
            "E-SMES": ("clients",), "X-SMES": ("form", "clients"), "E-SMALL-MICRO": ("clients",),
            "X-SMALL-MICRO": ("form", "clients"), "E-PUBLIC-WELFARE": ("clients",), "X-PUBLIC-WELFARE": ("form", "clients"),
            "E-PARTNERS": ("agreements",), "X-PARTNERS": ("form", "agreements"), "E-PREMISES": ("premises",)}


def _low_quality(fmt: str) -> bool:
    return fmt == "photo" or fmt.endswith("150")


def declared(spec: PackageSpec) -> dict:
    f, v = spec.form, spec.variants
    return {
        "applicant.name": f.name, "applicant.uscc": f.uscc, "applicant.legal_representative": f.legal_rep,
        "applicant.address": f.address, "applicant.established_on": f.established_on.isoformat(),
        "application.kind": spec.kind.value, "application.date": spec.application_date.isoformat(),
        "service.categories": list(spec.categories), "service.smes_served": f.smes_served,
        "service.small_micro_share": F.ratio(f.small_micro_share, v.ratio)[1],
        "service.public_welfare_share": F.ratio(f.public_welfare_share, v.ratio)[1],
        "service.partner_institutions": f.partner_institutions,
    }


def observed(spec: PackageSpec) -> tuple[dict, dict, dict]:
    lic, p = spec.licence, spec.premises
    obs = {"applicant.name": lic.name, "applicant.uscc": lic.uscc, "applicant.legal_representative": lic.legal_rep,
           "applicant.address": lic.address, "applicant.established_on": lic.established_on.isoformat(),
           "service.smes_served": None, "service.small_micro_share": None, "service.public_welfare_share": None,
           "service.partner_institutions": None, "premises.lessee": p.lessee,
           "premises.lease_end": p.end.isoformat() if p.end else None}
    alt: dict = {}
    app = spec.application_date
    agreements = [{"name": a.partner, "uscc": a.partner_uscc, "start": a.start.isoformat(), "end": a.end.isoformat(),
                   "valid_on_application": a.start <= app <= a.end} for a in spec.agreements]
    detail = {"client_rows": None, "client_distinct": None, "small_micro_clients": None, "public_welfare_rows": None,
              "agreements": agreements, "premises_kind": p.kind, "lease_start": p.start.isoformat(),
              "report_states_smes": spec.report_states_smes, "selfeval_states_smes": spec.selfeval_states_smes,
              "licence_term_end": lic.term_end.isoformat() if lic.term_end else "长期",
              "report_cumulative_smes": spec.cumulative_smes, "selfeval_target_smes": spec.target_smes}
    if spec.kind is Kind.CERTIFICATION:
        rows = spec.clients
        distinct = {c.uscc: c for c in rows}
        sm = sum(c.size in ("小型", "微型") for c in distinct.values())
        pw = sum(c.public_welfare for c in rows)
        obs["service.smes_served"] = len(distinct)
        obs["service.small_micro_share"] = round(sm / len(distinct), 6)
        obs["service.public_welfare_share"] = round(pw / len(rows), 6)
        obs["service.partner_institutions"] = len({a["uscc"] for a in agreements if a["valid_on_application"]})
        if len(rows) != len(distinct):
            sm_rows = round(sum(c.size in ("小型", "微型") for c in rows) / len(rows), 6)
            pw_clients = round(len({c.uscc for c in rows if c.public_welfare}) / len(distinct), 6)
            if sm_rows != obs["service.small_micro_share"]:
                alt["service.small_micro_share"] = [sm_rows]
            if pw_clients != obs["service.public_welfare_share"]:
                alt["service.public_welfare_share"] = [pw_clients]
        detail.update(client_rows=len(rows), client_distinct=len(distinct), small_micro_clients=sm,
                      public_welfare_rows=pw)
    return obs, alt, detail


def rules_and_verdict(spec: PackageSpec, low_q: set[str]) -> tuple[dict, dict, bool]:
    cert = spec.kind is Kind.CERTIFICATION
    rules = {r: {"expected": "pass", "accept": ["pass"]} for r in RULE_IDS}
    if not cert:
        for r in CERT_ONLY_RULES:
            rules[r] = {"expected": "not_applicable", "accept": ["not_applicable", "pass"]}
    hard = False
    for d in spec.defects:
        for r in d.rules:
            if r.endswith("?"):  # defensible either way (e.g. X-NAME when the lease names another company)
                rules[r[:-1]] = {"expected": "fail", "accept": ["fail", "pass", "review"]}
                continue
            acc = ["fail"]
            if any(m in low_q for m in EVIDENCE.get(r, ())):
                acc.append("review")
                hard = True
            rules[r] = {"expected": "fail", "accept": acc}
    fails = [r for r, v in rules.items() if v["expected"] == "fail"]
    hard_fails = [r for r in fails if r[0] in "ME"]
    if hard_fails:
        verdict = "ineligible"
    elif fails:
        verdict = "needs_review"
    else:
        verdict = "eligible"
    accept = [verdict]
    if hard_fails and all("review" in rules[r]["accept"] for r in hard_fails):
        accept.append("needs_review")
    return rules, {"expected": verdict, "accept": accept}, hard


def package_truth(spec: PackageSpec, rel_path: str, rendered: list) -> dict:
    docs: dict[str, dict] = {}
    low_q: set[str] = set()
    all_files: list[str] = []
    formats: set[str] = set()
    fonts: set[str] = set()
    for plan, files, pages in rendered:
        all_files += files
        formats.add(plan.fmt)
        fonts.add(plan.font)
        for i, mat in enumerate(plan.materials):
            e = docs.setdefault(mat, {"material": mat, "files": [], "formats": [], "fonts": [], "pages": 0})
            e["files"] += files
            e["formats"] += [plan.fmt] * len(files)
            if plan.font not in e["fonts"]:
                e["fonts"].append(plan.font)
            if i:
                e["inside"], e["pages"] = plan.materials[0], None
            elif e["pages"] is not None:
                e["pages"] += pages
            if _low_quality(plan.fmt):
                low_q.add(mat)
    rules, verdict, hard = rules_and_verdict(spec, low_q)
    obs, alt, detail = observed(spec)
    variants = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(spec.variants).items()}
    variants.update(fonts=sorted(fonts), formats=sorted(formats),
                    zip_names={"zip": "utf8", "zip_gbk": "gbk"}.get(spec.delivery))
    return {
        "id": spec.id, "path": rel_path, "delivery": "folder" if spec.delivery == "folder" else "zip",
        "application_kind": spec.kind.value, "application_date": spec.application_date.isoformat(),
        "declared": declared(spec), "observed": obs, "observed_alt": alt, "facts_detail": detail,
        "defects": [{"id": d.id, "rules": [r.rstrip("?") for r in d.rules], "note": d.note} for d in spec.defects],
        "traps": list(spec.traps), "hard": hard, "rules": rules, "verdict": verdict,
        "documents": [docs[m] for m in MATERIAL_ORDER if m in docs], "files": sorted(all_files), "variants": variants,
    }
