"""OCR/extraction settings (read once at the edge) and the frozen, picklable context passed down."""
from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OcrEngine(str, Enum):
    """Which engine reads scanned pages (docs/ocr.md; the default chosen by facts right per second,
    docs/ocr-benchmark.md)."""

    # Tesseract's layout analysis finds the lines (no recognition), RapidOCR's recogniser reads them all.
    RAPID_LINES = "rapid-lines"
    CASCADE = "cascade"  # tesseract for layout and text; RapidOCR re-reads low-confidence lines
    TESSERACT = "tesseract"
    RAPIDOCR = "rapidocr"  # RapidOCR detection + recognition on the whole page (slow on CPU)


class OcrSettings(BaseSettings):
    """Env prefix `PRESCREEN_OCR_`, e.g. `PRESCREEN_OCR_JOBS=4`."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_OCR_", frozen=True, extra="ignore")

    lang: str = "chi_sim"
    render_dpi: int = Field(300, ge=72, le=600)
    jobs: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    page_timeout_s: float = Field(120, gt=0)
    # A text-layer page with fewer real characters than this is OCRed instead.
    min_text_chars: int = Field(20, ge=0)
    low_conf: float = Field(0.6, ge=0, le=1)
    engine: OcrEngine = OcrEngine.RAPID_LINES
    # Cascade: a tesseract line whose least confident word is below this is re-read by RapidOCR.
    cascade_conf: float = Field(0.90, ge=0, le=1)
    max_pdf_pages: int = Field(200, gt=0)
    max_image_pixels: int = Field(60_000_000, gt=0)


@dataclass(frozen=True)
class ExtractionContext:
    """What an extractor (and each page worker process) needs; no references back to the caller."""

    lang: str = "chi_sim"
    render_dpi: int = 300
    jobs: int = 1
    page_timeout_s: float = 120
    min_text_chars: int = 20
    low_conf: float = 0.6
    engine: OcrEngine = OcrEngine.RAPID_LINES
    cascade_conf: float = 0.90
    max_pdf_pages: int = 200
    max_image_pixels: int = 60_000_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "engine", OcrEngine(self.engine))  # accept "cascade" etc.

    @classmethod
    def from_settings(cls, settings: OcrSettings | None = None) -> ExtractionContext:
        s = settings or OcrSettings()
        return cls(**s.model_dump())
