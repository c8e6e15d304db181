"""Render one PackageSpec to files (folder or .zip) and return its truth entry."""
from __future__ import annotations

import io
import random
import shutil
import zipfile
from pathlib import Path

import pypdfium2 as pdfium

from . import degrade, render_docx, render_img, render_pdf, render_xlsx
from . import documents as D
from .model import DocPlan, PackageSpec
from .truth import package_truth


def _pages(pdf: bytes, dpi: int) -> list:
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def _suffixed(name: str, k: int) -> str:
    stem, dot, ext = name.rpartition(".")
    return name if k == 1 else f"{stem}_{k}.{ext}"


def _images_out(pages: list, plan: DocPlan, rng: random.Random) -> list[tuple[str, bytes]]:
    fmt = plan.fmt
    dpi = int("".join(c for c in fmt if c.isdigit()) or 150)
    if fmt == "photo":
        out = []
        for k, p in enumerate(pages, 1):
            img, exif = degrade.photo(p, rng), None
            if plan.exif_rotate:
                img, exif = degrade.exif_rotated(img)
            out.append((_suffixed(plan.filename, k), degrade.jpeg_bytes(img, rng.randint(60, 90), exif=exif)))
        return out
    scanned = [degrade.scan(p, rng) for p in pages]
    q = rng.randint(35, 85)
    if fmt.startswith(("scan", "scanpdf")):
        return [(plan.filename, degrade.image_pdf([degrade.jpeg_bytes(s, q, dpi) for s in scanned], dpi))]
    if fmt.startswith("tiff"):
        return [(plan.filename, degrade.tiff(scanned, dpi))]
    if fmt.startswith("png"):
        out = []
        for k, s in enumerate(scanned, 1):
            buf = io.BytesIO()
            s.convert("L").save(buf, "PNG", dpi=(dpi, dpi))
            out.append((_suffixed(plan.filename, k), buf.getvalue()))
        return out
    return [(_suffixed(plan.filename, k), degrade.jpeg_bytes(s, q, dpi)) for k, s in enumerate(scanned, 1)]


def render_doc(spec: PackageSpec, plan: DocPlan, rng: random.Random) -> tuple[list[tuple[str, bytes]], int]:
    """Files (name, bytes) for one planned document and its page count (0 = not paginated, .docx/.xlsx)."""
    mat = plan.materials[0]
    if mat in ("licence", "qualification"):
        img = (render_img.licence if mat == "licence" else render_img.qualification)(spec, plan.font, rng)
        if plan.fmt == "jpg":
            return [(plan.filename, degrade.jpeg_bytes(img, rng.randint(82, 95)))], 1
        if plan.fmt == "png":
            buf = io.BytesIO()
            img.save(buf, "PNG")
            return [(plan.filename, buf.getvalue())], 1
        dpi = int("".join(c for c in plan.fmt if c.isdigit()) or 150)
        long_px = int(11.69 * dpi)
        scale = long_px / max(img.size)
        img = img.resize((int(img.width * scale), int(img.height * scale)))
        return _images_out([img], plan, rng), 1
    if mat == "clients" and plan.fmt == "xlsx":
        return [(plan.filename, render_xlsx.render(spec, plan.font, rng))], 0
    doc = D.agreements(spec, plan.agreements, rng) if mat == "agreements" else D.TEXT_DOCS[mat](spec, rng)
    if plan.fmt == "docx":
        return [(plan.filename, render_docx.render(doc, plan.font, rng))], 0
    pdf, n = render_pdf.render(doc, plan.font, rng)
    if plan.fmt == "pdf":
        return [(plan.filename, pdf)], n
    dpi = 150 if plan.fmt == "photo" else int("".join(c for c in plan.fmt if c.isdigit()))
    return _images_out(_pages(pdf, dpi), plan, rng), n


class _GbkInfo(zipfile.ZipInfo):
    """Entry name stored in GBK without the UTF-8 flag, as Chinese Windows zip tools write it."""

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's private hook)
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _write_zip(path: Path, files: list[tuple[str, bytes]], gbk: bool, date) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = (_GbkInfo if gbk else zipfile.ZipInfo)(name, date_time=(date.year, date.month, date.day, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def generate_package(spec: PackageSpec, out_dir: str | Path) -> dict:
    """Write the package under out_dir (folder `id/` or `id.zip`) and return its truth entry."""
    out_dir = Path(out_dir)
    files: list[tuple[str, bytes]] = []
    rendered = []
    for k, plan in enumerate(spec.docs):
        rng = random.Random(f"{spec.seed}:{spec.id}:{k}:{plan.filename}")
        out, pages = render_doc(spec, plan, rng)
        files += out
        rendered.append((plan, [n for n, _ in out], pages))
    if spec.delivery == "folder":
        target = out_dir / spec.id
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        for name, data in files:
            (target / name).write_bytes(data)
        rel = spec.id
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        rel = spec.id + ".zip"
        _write_zip(out_dir / rel, files, spec.delivery == "zip_gbk", spec.application_date)
    return package_truth(spec, rel, rendered)
