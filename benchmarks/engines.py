"""What is timed per page: our extraction of an uploaded image, and each bare engine on the same file.

- ours:<engine>: `extract_document` on the file's bytes, exactly as the pipeline extracts an
  uploaded JPEG/PNG (EXIF turn, photo crop, seal removal, deskew, binarisation, OSD, the engine,
  lines and tables), one page, one core (jobs=1).
- tesseract-cli: `tesseract FILE stdout -l chi_sim --psm 3`, OMP_THREAD_LIMIT=1, as a shell user would.
- rapidocr-bare: `RapidOCR()(FILE)` with its default settings, onnxruntime held to one thread as ours is.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors import serialize
from extractors.context import ExtractionContext, OcrSettings
from extractors.registry import extract_document
from intake.models import Document, FileType

from .memory import ChildPeak, reset_peak, self_peak_mb

OURS = ("tesseract", "cascade", "rapidocr", "rapid-lines")
BARE_OF = {"tesseract": "tesseract-cli", "cascade": "tesseract-cli", "rapidocr": "rapidocr-bare",
           "rapid-lines": "rapidocr-bare"}
FILE_TYPES = {".png": FileType.PNG, ".jpg": FileType.JPEG, ".jpeg": FileType.JPEG, ".tif": FileType.TIFF}
LANG = "chi_sim"


@dataclass(frozen=True)
class Reading:
    text: str
    seconds: float  # wall time of the engine call on this page
    peak_mb: float  # see benchmarks.memory and each runner's `memory`
    engine: str = ""
    extracted: str | None = None  # ours: the ExtractedDocument (extractors.serialize JSON), for the fact readers


class Ours:
    memory = "worker process peak (VmHWM) + its tesseract children's peak"

    def __init__(self, engine: str) -> None:
        self.name = f"ours:{engine}"
        # From OcrSettings as the product does, so PRESCREEN_OCR_* (cascade_conf, low_conf …) can be tried here
        self.ctx = ExtractionContext.from_settings(OcrSettings(jobs=1, engine=engine))

    def warm_up(self, path: Path) -> None:
        """Load what stays loaded between pages (RapidOCR's sessions, the traineddata in the page cache)."""
        if self.ctx.engine.value != "tesseract":
            from extractors.engines import rapidocr as rapid

            rapid.recognize_lines(np.full((48, 160), 255, np.uint8), [(0, 0, 160, 48)], threads=1)
        self.read(path)

    def read(self, path: Path) -> Reading:
        reset_peak()
        with ChildPeak() as children:
            t0 = time.perf_counter()
            data = path.read_bytes()
            doc = Document(path.name, hashlib.sha256(data).hexdigest(), len(data), FILE_TYPES[path.suffix.lower()])
            ex = extract_document(data, doc, self.ctx)
            seconds = time.perf_counter() - t0
        peak = self_peak_mb() + children.peak_mb
        engines = "; ".join(sorted({p.engine for p in ex.pages if p.engine}))
        return Reading(ex.text, seconds, peak, engines, serialize.dumps(ex).decode("utf-8"))


class TesseractCli:
    name = "tesseract-cli"
    memory = "the tesseract process's peak (VmHWM, sampled every 20 ms)"

    def warm_up(self, path: Path) -> None:
        self.read(path)

    def read(self, path: Path) -> Reading:
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        with ChildPeak() as child:
            t0 = time.perf_counter()
            p = subprocess.run(["tesseract", str(path), "stdout", "-l", LANG, "--psm", "3"], capture_output=True, env=env)
            seconds = time.perf_counter() - t0
        return Reading(p.stdout.decode("utf-8", "replace"), seconds, child.peak_mb,
                       f"tesseract CLI --psm 3 (exit {p.returncode})")


class RapidBare:
    name = "rapidocr-bare"
    memory = "worker process peak (VmHWM)"

    def __init__(self) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.engine = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)

    def warm_up(self, path: Path) -> None:
        self.read(path)

    def read(self, path: Path) -> Reading:
        reset_peak()
        t0 = time.perf_counter()
        result, _elapsed = self.engine(str(path))
        seconds = time.perf_counter() - t0
        text = "\n".join(str(r[1]) for r in result or [])
        return Reading(text, seconds, self_peak_mb(), "RapidOCR()(file)")


def runner(name: str) -> Ours | TesseractCli | RapidBare:
    if name == "tesseract-cli":
        return TesseractCli()
    if name == "rapidocr-bare":
        return RapidBare()
    if name.startswith("ours:") and name[5:] in OURS:
        return Ours(name[5:])
    raise ValueError(f"unknown runner {name!r}")
