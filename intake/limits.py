"""Limits that bound the work one package can cause (read once at the edge, passed down)."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MB = 1024 * 1024


class IntakeLimits(BaseSettings):
    """Env prefix `PRESCREEN_INTAKE_`, e.g. `PRESCREEN_INTAKE_MAX_FILES=300`."""

    model_config = SettingsConfigDict(env_prefix="PRESCREEN_INTAKE_", frozen=True, extra="ignore")

    max_file_bytes: int = Field(50 * MB, gt=0)
    max_files: int = Field(200, gt=0)
    max_total_bytes: int = Field(500 * MB, gt=0)
    # Uncompressed/compressed per zip entry; only enforced on entries past `ratio_floor_bytes`,
    # because small, highly compressible files (blank pages, XML) are harmless.
    max_compression_ratio: float = Field(200, gt=1)
    ratio_floor_bytes: int = Field(1 * MB, ge=0)
    # Zips nested inside the package are unpacked this many levels deep (the package zip is level 0).
    max_archive_depth: int = Field(2, ge=0)
    max_image_pixels: int = Field(60_000_000, gt=0)
    max_pdf_pages: int = Field(200, gt=0)
