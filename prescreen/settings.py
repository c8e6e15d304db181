"""All settings, read once at the edge (CLI, API, worker) and passed down as frozen values."""
from __future__ import annotations

from dataclasses import dataclass

from extractors.context import ExtractionContext, OcrSettings
from intake.limits import IntakeLimits
from storage.settings import StorageSettings


@dataclass(frozen=True)
class AppSettings:
    intake: IntakeLimits
    ocr: OcrSettings
    storage: StorageSettings

    @classmethod
    def from_env(cls) -> AppSettings:
        return cls(intake=IntakeLimits(), ocr=OcrSettings(), storage=StorageSettings())

    def extraction_context(self) -> ExtractionContext:
        return ExtractionContext.from_settings(self.ocr)
