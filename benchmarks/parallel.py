"""Does a multi-page scan use both cores? Wall time of one scanned PDF with jobs=2 against jobs=1.

The PDF is what a scanner produces: one JPEG per page (the `rotated` variant), image only, so
the PDF extractor renders and OCRs every page (extractors.ocr.ocr_pages: a process pool of
`jobs` workers, pages in order). The parallel wall time includes starting that pool, as in use;
the first parallel run in a process also starts multiprocessing's forkserver, reported apart.
It runs before the per-page benchmark, so the load average beside it is other people's work.

On its own, several rounds (each: jobs=1, then jobs=2 twice) and their median:

    python -m benchmarks.parallel --pages 8 --rounds 3
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time

from extractors.context import ExtractionContext, OcrSettings
from extractors.registry import extract_document
from intake.models import Document, FileType
from synth import degrade

from .samples import Sample, make_samples
from .scans import degrade_page


def scanned_pdf(samples: list[Sample], dpi: int, seed: int) -> bytes:
    jpegs = [degrade_page(s.page(dpi), "rotated", dpi, random.Random(f"bench:{seed}:parallel:{s.label}")).data
             for s in samples]
    return degrade.image_pdf(jpegs, dpi)


def measure(samples: list[Sample], dpi: int, seed: int, engine: str | None = None, jobs: int = 2) -> dict:
    engine = engine or OcrSettings().engine.value  # the default engine unless one is named
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


MIX = ("text", "form", "clients_ruled", "clients_plain")  # short and long pages, as a real package mixes them


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.parallel", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=8, help="pages of the scan, the document types in turn (default 8)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--dpi", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if a.pages < 2 or a.rounds < 1:
        ap.error("--pages must be at least 2 and --rounds at least 1")
    os.environ["OMP_THREAD_LIMIT"] = "1"
    samples = make_samples(list(MIX), 1, a.seed)
    pick = [samples[i % len(samples)] for i in range(a.pages)]
    runs = []
    for r in range(a.rounds):
        print(f"round {r + 1}/{a.rounds}: {a.pages} pages at {a.dpi} dpi, jobs=1 then jobs=2 …", file=sys.stderr)
        load = os.getloadavg()[0]
        runs.append({"load_before": round(load, 2), **measure(pick, a.dpi, a.seed)})
        print(json.dumps({k: v for k, v in runs[-1].items() if k != "documents"}), flush=True)
    print(f"jobs=2 / jobs=1 (pool start included, forkserver excluded): median "
          f"{statistics.median(x['ratio'] for x in runs):.3f} over {a.rounds} rounds", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
