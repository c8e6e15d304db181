"""Does a multi-page scan use both cores? Wall time of one scanned PDF with jobs=2 against jobs=1.

The PDF is what a scanner produces: one JPEG per page (the `rotated` variant), image only, so
the PDF extractor renders and OCRs every page (extractors.ocr.ocr_pages: a process pool of
`jobs` workers, pages in order). The parallel wall time includes starting that pool, as in use;
the first parallel run in a process also starts multiprocessing's forkserver, reported apart.
It runs before the per-page benchmark, so the load average beside it is other people's work.
"""
from __future__ import annotations

import hashlib
import random
import time

from extractors.context import ExtractionContext, OcrSettings
from extractors.registry import extract_document
from intake.models import Document, FileType
from synth import degrade

from .samples import Sample
from .scans import degrade_page


def scanned_pdf(samples: list[Sample], dpi: int, seed: int) -> bytes:
    jpegs = [degrade_page(s.page(dpi), "rotated", dpi, random.Random(f"bench:{seed}:parallel:{s.label}")).data
             for s in samples]
    return degrade.image_pdf(jpegs, dpi)


def measure(samples: list[Sample], dpi: int, seed: int, engine: str = "cascade", jobs: int = 2) -> dict:
    pdf = scanned_pdf(samples, dpi, seed)
    doc = Document("scan.pdf", hashlib.sha256(pdf).hexdigest(), len(pdf), FileType.PDF)
    out: dict = {"pages": len(samples), "dpi": dpi, "engine": engine, "documents": [s.label for s in samples]}
    texts = []
    # jobs=N twice: the first run also starts multiprocessing's forkserver (once per process lifetime),
    # the second pays only for its own pool (worker start, RapidOCR sessions loaded per worker).
    for key, n in (("serial", 1), ("parallel_first", jobs), ("parallel", jobs)):
        t0 = time.perf_counter()
        ex = extract_document(pdf, doc, ExtractionContext.from_settings(OcrSettings(jobs=n, engine=engine)))
        out[f"wall_s_{key}"] = round(time.perf_counter() - t0, 2)
        texts.append(ex.text)
    out["ratio"] = round(out["wall_s_parallel"] / out["wall_s_serial"], 3)
    out["same_text"] = len(set(texts)) == 1
    out["jobs"] = jobs
    return out
