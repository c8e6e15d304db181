"""One-page documents for the OCR benchmark, each with its true text and the SPEC facts it carries.

Built with the package generator (synth): a PackageSpec per sample, a document of it rendered to
a text PDF (or, for the licence, drawn as an image). The true text of a PDF page is its own text
layer (pdfplumber, visual line order, as OCR reads); the licence's is every string drawn on it
except the seal's red ones. Fact truth is synth.truth's for the same spec.

Document types:
- text: the application report (申请报告): prose with headings
- form: the application form (申请表), in the spec's layout (label/value grid, pairs, paragraphs)
- clients_ruled / clients_plain: the served-client list with full grid lines / no lines at all,
  cut to the rows that fit on one page so its facts are the page's own
- licence: the business licence image with the registration authority's seal
- declaration: the declaration of authenticity with the applicant's red seal over its name
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pdfplumber
from PIL import Image, ImageDraw

from synth import documents as D
from synth import render_img, render_pdf
from synth.layout import FONT_FAMILIES, PDF_FONTS
from synth.model import Kind, PackageSpec, Profile
from synth.package import _pages
from synth.plan import make_spec
from synth.truth import declared, observed

DOC_TYPES = ("text", "form", "clients_ruled", "clients_plain", "licence", "declaration")
LICENCE_LONG_IN = 11.69  # the licence is scanned as an A4 landscape sheet, as synth.package does


@dataclass(frozen=True)
class FactTruth:
    key: str  # "declared:applicant.name", "observed:service.smes_served", "extra:declaration.name"
    want: Any
    alts: tuple = ()

    @property
    def name(self) -> str:
        return self.key.split(":", 1)[1]


@dataclass(frozen=True)
class Sample:
    doc_type: str
    index: int  # 1-based within its type
    font: str
    truth_text: str
    facts: tuple[FactTruth, ...]
    pdf: bytes | None = None  # one-page text PDF ...
    image: Image.Image | None = None  # ... or the drawn image (licence)

    @property
    def label(self) -> str:
        return f"{self.doc_type}#{self.index}"

    def page(self, dpi: int) -> Image.Image:
        """The page as a flatbed scanner at `dpi` would see it, before any degradation (RGB)."""
        if self.pdf is not None:
            return _pages(self.pdf, dpi)[0]
        assert self.image is not None
        scale = LICENCE_LONG_IN * dpi / max(self.image.size)
        return self.image.resize((round(self.image.width * scale), round(self.image.height * scale)))


def _spec(seed: int, doc_type: str, index: int, attempt: int) -> PackageSpec:
    rng = random.Random(f"bench:{seed}:{doc_type}:{index}:{attempt}")
    force: dict[str, Any] = {"defects": []}
    if doc_type.startswith("clients"):
        force["kind"] = Kind.CERTIFICATION  # only certification packages list their clients
    spec = make_spec(rng, f"B{index:03d}", seed, Profile.FULL, 0.0, force)
    v = dataclasses.replace(spec.variants, toc=False, clients_in_report=False)
    if doc_type == "clients_ruled":
        v = dataclasses.replace(v, table_lines="grid")
    elif doc_type == "clients_plain":
        v = dataclasses.replace(v, table_lines="none")
    return dataclasses.replace(spec, variants=v)


def _render(spec: PackageSpec, material: str, font: str, seed: str) -> tuple[bytes, int]:
    doc = D.TEXT_DOCS[material](spec, random.Random(seed + ":doc"))
    return render_pdf.render(doc, font, random.Random(seed + ":pdf"))


def _pdf_text(pdf: bytes) -> str:
    with pdfplumber.open(io.BytesIO(pdf)) as p:
        return p.pages[0].extract_text() or ""


def _one_page_clients(spec: PackageSpec, font: str, seed: str) -> tuple[PackageSpec, bytes]:
    """The spec with as many of its clients as fit on one page (binary search on the row count)."""
    lo, hi = 1, len(spec.clients)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _render(dataclasses.replace(spec, clients=spec.clients[:mid]), "clients", font, seed)[1] == 1:
            lo = mid
        else:
            hi = mid - 1
    spec = dataclasses.replace(spec, clients=spec.clients[:lo])
    return spec, _render(spec, "clients", font, seed)[0]


def _facts(doc_type: str, spec: PackageSpec) -> tuple[FactTruth, ...]:
    app = spec.application_date.isoformat()
    if doc_type == "text":
        return (FactTruth("declared:application.kind", spec.kind.value),
                FactTruth("extra:report.smes_stated", spec.report_states_smes), FactTruth("extra:report.date", app))
    if doc_type == "form":
        return tuple(FactTruth(f"declared:{k}", v) for k, v in declared(spec).items())
    if doc_type == "declaration":
        return (FactTruth("extra:declaration.name", spec.licence.name), FactTruth("extra:declaration.date", app))
    obs, alt, _ = observed(spec)
    if doc_type == "licence":
        names = ("applicant.name", "applicant.uscc", "applicant.legal_representative", "applicant.established_on",
                 "applicant.address")
    else:
        names = ("service.smes_served", "service.small_micro_share", "service.public_welfare_share")
    return tuple(FactTruth(f"observed:{k}", obs[k], tuple(alt.get(k, ()))) for k in names)


@contextlib.contextmanager
def _recording_text(calls: list) -> Iterator[None]:
    """Record every ImageDraw.text call (position, string, colour, size) while drawing."""
    original = ImageDraw.ImageDraw.text

    def text(self, xy, text, *args, **kw):  # type: ignore[no-untyped-def]
        fill = kw.get("fill", args[0] if args else None)
        font = kw.get("font", args[1] if len(args) > 1 else None)
        calls.append((float(xy[0]), float(xy[1]), str(text), fill, float(getattr(font, "size", 20))))
        return original(self, xy, text, *args, **kw)

    ImageDraw.ImageDraw.text = text  # type: ignore[method-assign]
    try:
        yield
    finally:
        ImageDraw.ImageDraw.text = original  # type: ignore[method-assign]


def drawn_text(calls: list) -> str:
    """Recorded strings in reading order: rows of strings whose middles lie within half a glyph,
    left to right. Red strings are the seal's (removed before OCR, and not text of the document)."""
    items = sorted((c for c in calls if not (isinstance(c[3], tuple) and c[3][0] > 150 and c[3][1] < 100)),
                   key=lambda c: c[1] + c[4] / 2)
    rows: list[list] = []
    for c in items:
        first = rows[-1][0] if rows else None
        if first and abs(c[1] + c[4] / 2 - first[1] - first[4] / 2) <= 0.5 * max(c[4], first[4]):
            rows[-1].append(c)
        else:
            rows.append([c])
    return "\n".join("".join(c[2] for c in sorted(r, key=lambda c: c[0])) for r in rows)


def make_sample(doc_type: str, index: int, seed: int) -> Sample:
    for attempt in range(20):  # a spec whose document runs onto a second page is drawn again
        spec = _spec(seed, doc_type, index, attempt)
        key = f"bench:{seed}:{doc_type}:{index}:{attempt}"
        if doc_type == "licence":
            font = random.Random(key).choice(FONT_FAMILIES)
            calls: list = []
            with _recording_text(calls):
                img = render_img.licence(spec, font, random.Random(key + ":img"))
            return Sample(doc_type, index, font, drawn_text(calls), _facts(doc_type, spec), image=img)
        font = random.Random(key).choice(PDF_FONTS)
        if doc_type.startswith("clients"):
            spec, pdf = _one_page_clients(spec, font, key)
            pages = 1
        else:
            pdf, pages = _render(spec, "report" if doc_type == "text" else doc_type, font, key)
        if pages == 1:
            return Sample(doc_type, index, font, _pdf_text(pdf), _facts(doc_type, spec), pdf=pdf)
    raise RuntimeError(f"no one-page {doc_type} in 20 attempts")


def make_samples(doc_types: list[str], count: int, seed: int) -> list[Sample]:
    unknown = set(doc_types) - set(DOC_TYPES)
    if unknown:
        raise ValueError(f"unknown document types {sorted(unknown)}; one of {', '.join(DOC_TYPES)}")
    return [make_sample(t, i, seed) for t in doc_types for i in range(1, count + 1)]
