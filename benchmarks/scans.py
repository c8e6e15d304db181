"""How a clean page image becomes the file an applicant uploads, per benchmark variant.

- clean:   the page at the chosen dpi, lossless PNG (recognition alone, nothing to repair)
- rotated: flatbed scan: 0.5–3° skew, uneven lighting, noise, slight blur, JPEG quality 35–85
- turned:  the same scan stored a quarter or half turn round (90° or 180°), no EXIF to say so
- photo:   phone photo on a desk: perspective, shadow gradient, desk border, noise, JPEG 60–90

The effects are synth.degrade's (the same ones the accuracy corpus uses), with the skew and
turn chosen here so each setting is what its name says.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image

from synth import degrade

VARIANTS = ("clean", "rotated", "turned", "photo")
SKEW_DEG = (0.5, 3.0)
TURNS = (90, 180)  # counter-clockwise, as stored; the reader has to turn it back


@dataclass(frozen=True)
class Scan:
    data: bytes
    ext: str  # ".png" / ".jpg"
    size: tuple[int, int]  # pixels of the stored image (width, height)
    skew: float = 0.0  # degrees counter-clockwise
    turn: int = 0
    quality: int | None = None  # JPEG quality


def _png(img: Image.Image, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def degrade_page(page: Image.Image, variant: str, dpi: int, rng: random.Random, turn: int = 90) -> Scan:
    """The uploaded file for one rendered page (RGB at `dpi`); deterministic for a given rng state."""
    page = page.convert("RGB")
    if variant == "clean":
        return Scan(_png(page, dpi), ".png", page.size)
    if variant in ("rotated", "turned"):
        skew = rng.choice([-1, 1]) * rng.uniform(*SKEW_DEG)
        img = degrade.scan(page, rng, angle=skew)
        if variant == "turned":
            if turn not in TURNS:
                raise ValueError(f"turn must be one of {TURNS}")
            img = img.rotate(turn, expand=True)
        else:
            turn = 0
        q = rng.randint(35, 85)
        return Scan(degrade.jpeg_bytes(img, q, dpi), ".jpg", img.size, round(skew, 2), turn, q)
    if variant == "photo":
        img = degrade.photo(page, rng)
        q = rng.randint(60, 90)
        return Scan(degrade.jpeg_bytes(img, q), ".jpg", img.size, quality=q)
    raise ValueError(f"unknown variant {variant!r}; one of {', '.join(VARIANTS)}")
