"""Scan and phone-photo effects on page images, and image-only PDF / TIFF wrappers."""
from __future__ import annotations

import io
import random

import cv2
import numpy as np
from PIL import Image

DESKS = [(92, 64, 45), (140, 110, 80), (60, 60, 66), (180, 170, 160), (120, 86, 60)]


def _np_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(32))


def scan(img: Image.Image, rng: random.Random, angle: float | None = None) -> Image.Image:
    """Small rotation (`angle` degrees counter-clockwise, else random), uneven lighting, gaussian noise and slight blur."""
    nr = _np_rng(rng)
    a = np.asarray(img.convert("RGB"), dtype=np.uint8)
    h, w = a.shape[:2]
    drawn = rng.choice([-1, 1]) * rng.uniform(0.3, 2.5)  # drawn even when given: same rng sequence either way
    m = cv2.getRotationMatrix2D((w / 2, h / 2), drawn if angle is None else angle, 1.0)
    a = cv2.warpAffine(a, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(250, 250, 248)).astype(np.float32)
    gx = np.linspace(rng.uniform(0.86, 1.0), rng.uniform(0.92, 1.03), w, dtype=np.float32)
    gy = np.linspace(rng.uniform(0.9, 1.02), rng.uniform(0.88, 1.0), h, dtype=np.float32)
    a *= (gy[:, None] * gx[None, :])[..., None]
    a += nr.normal(0, rng.uniform(3, 10), (h, w, 1)).astype(np.float32)
    a = np.clip(a, 0, 255).astype(np.uint8)
    k = rng.choice([0, 3, 3, 5])
    if k:
        a = cv2.GaussianBlur(a, (k, k), rng.uniform(0.3, 0.9))
    return Image.fromarray(a)


def photo(img: Image.Image, rng: random.Random) -> Image.Image:
    """Page photographed on a desk: perspective, shadow gradient, desk-coloured border, noise."""
    nr = _np_rng(rng)
    src = np.asarray(img.convert("RGB"), dtype=np.uint8)
    h, w = src.shape[:2]
    mx, my = int(w * rng.uniform(0.06, 0.14)), int(h * rng.uniform(0.05, 0.12))
    W, H = w + 2 * mx, h + 2 * my
    desk = np.array(rng.choice(DESKS), dtype=np.float32)
    canvas = np.empty((H, W, 3), dtype=np.float32)
    canvas[:] = desk
    canvas += nr.normal(0, 6, (H, W, 1)).astype(np.float32)
    j = lambda s: rng.uniform(-s, s)  # noqa: E731
    dst = np.float32([[mx + j(mx * .7), my + j(my * .7)], [mx + w + j(mx * .7), my + j(my * .7)],
                      [mx + w + j(mx * .7), my + h + j(my * .7)], [mx + j(mx * .7), my + h + j(my * .7)]])
    m = cv2.getPerspectiveTransform(np.float32([[0, 0], [w, 0], [w, h], [0, h]]), dst)
    warped = cv2.warpPerspective(src, m, (W, H), flags=cv2.INTER_LINEAR).astype(np.float32)
    mask = cv2.warpPerspective(np.ones((h, w), np.float32), m, (W, H))[..., None]
    out = warped * mask + canvas * (1 - mask)
    ang = rng.uniform(0, np.pi)
    grad = (np.cos(ang) * np.arange(W, dtype=np.float32)[None, :] / W
            + np.sin(ang) * np.arange(H, dtype=np.float32)[:, None] / H)
    grad = (grad - grad.min()) / (np.ptp(grad) + 1e-6)
    out *= (1 - rng.uniform(0.15, 0.4) * grad)[..., None]
    out *= np.float32([rng.uniform(0.95, 1.0), rng.uniform(0.93, 1.0), rng.uniform(0.85, 0.97)])
    out += nr.normal(0, rng.uniform(4, 9), (H, W, 1)).astype(np.float32)
    out = cv2.GaussianBlur(np.clip(out, 0, 255).astype(np.uint8), (3, 3), rng.uniform(0.5, 1.1))
    return Image.fromarray(out)


def jpeg_bytes(img: Image.Image, quality: int, dpi: int | None = None, exif: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    kw = {"quality": quality}
    if dpi:
        kw["dpi"] = (dpi, dpi)
    if exif:
        kw["exif"] = exif
    img.convert("RGB").save(buf, "JPEG", **kw)
    return buf.getvalue()


def exif_rotated(img: Image.Image) -> tuple[Image.Image, bytes]:
    """Pixels stored sideways with EXIF Orientation=6 (viewers rotate 90° clockwise to show it upright)."""
    ex = Image.Exif()
    ex[0x0112] = 6
    ex[0x010F] = "Xiaomi"
    ex[0x0110] = "Redmi Note 8"
    return img.rotate(90, expand=True), ex.tobytes()


def image_pdf(jpegs: list[bytes], dpi: int) -> bytes:
    """Image-only PDF: each JPEG embedded as is, one per page, page size from the pixel size and dpi."""
    from reportlab import rl_config
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    rl_config.useA85 = 0  # binary JPEG streams: no ASCII85 (pure-Python and slow without rl_accel)

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    for jb in jpegs:
        w, h = Image.open(io.BytesIO(jb)).size
        pw, ph = w * 72.0 / dpi, h * 72.0 / dpi
        c.setPageSize((pw, ph))
        c.drawImage(ImageReader(io.BytesIO(jb)), 0, 0, pw, ph)
        c.showPage()
    c.save()
    return buf.getvalue()


def tiff(pages: list[Image.Image], dpi: int) -> bytes:
    buf = io.BytesIO()
    gray = [p.convert("L") for p in pages]
    gray[0].save(buf, "TIFF", save_all=True, append_images=gray[1:], compression="tiff_deflate", dpi=(dpi, dpi))
    return buf.getvalue()
