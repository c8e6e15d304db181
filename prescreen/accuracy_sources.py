"""Fact accuracy by how the fact's document came: text layer, scan at 150/200/300 dpi, photo.

Issue 3 sets targets per resolution (≥ 0.98 at 200-300 dpi, ≥ 0.95 at 150 dpi and on photos); the
corpus truth names each material's files and formats ("pdf", "docx", "scan200", "png150", "photo",
"jpg" for an image drawn at its own size), so each fact is counted under the format it was read from.
A fact read from several documents (partners: every agreement) counts under the hardest of them.
"""
from __future__ import annotations

import re
from typing import Any

# hardest first: a fact read from several documents counts under the hardest of their formats
GROUPS = ("photo", "150 dpi", "200 dpi", "300 dpi", "image", "text")
MATERIAL_OF = {
    "applicant.name": "licence", "applicant.uscc": "licence", "applicant.legal_representative": "licence",
    "applicant.address": "licence", "applicant.established_on": "licence",
    "premises.lessee": "premises", "premises.lease_end": "premises",
    "service.smes_served": "clients", "service.small_micro_share": "clients",
    "service.public_welfare_share": "clients", "service.partner_institutions": "agreements",
}


def group_of(fmt: str) -> str:
    if fmt == "photo":
        return "photo"
    if m := re.search(r"(\d{3})$", fmt):
        return f"{m.group(1)} dpi"
    return "image" if fmt in ("jpg", "jpeg", "png", "tif", "tiff") else "text"


def source_group(fact_key: str, package: dict[str, Any]) -> str | None:
    """The format group a fact ('declared:NAME' / 'observed:NAME') of this truth package was read from."""
    section, name = fact_key.split(":", 1)
    material = "form" if section == "declared" else MATERIAL_OF.get(name)
    docs = {d["material"]: d for d in package.get("documents", [])}
    doc = docs.get(material or "")
    if doc is None:
        return None
    if doc.get("inside"):  # a client list inside the report: the report's formats
        doc = docs.get(doc["inside"], doc)
    groups = [group_of(f) for f in doc.get("formats", [])]
    return min(groups, key=GROUPS.index) if groups else None


def by_source(results: list[tuple[str, dict[str, Any]]], packages: dict[str, dict[str, Any]]) -> dict[str, list[int]]:
    """format group -> [facts right, facts]"""
    out: dict[str, list[int]] = {}
    for pid, r in results:
        for key, (ok, _got, _want) in r["facts"].items():
            group = source_group(key, packages[pid])
            if group is not None:
                c = out.setdefault(group, [0, 0])
                c[0] += ok
                c[1] += 1
    return {g: out[g] for g in GROUPS if g in out}


def print_by_source(table: dict[str, list[int]]) -> None:
    print("\nfact accuracy by the format of the document read (hardest format when several):")
    for group, (ok, tot) in table.items():
        print(f"  {group:10} {ok:4}/{tot:<4} {ok / tot:.3f}")
