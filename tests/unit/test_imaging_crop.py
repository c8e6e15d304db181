"""Cropping a photographed page off its desk, and leaving flat scans with uneven lighting alone."""
from __future__ import annotations

import random

import numpy as np
from PIL import Image, ImageDraw

from extractors.imaging import crop_to_page
from synth import degrade


def _text_page() -> Image.Image:
    """An A4-ish page at ~100 dpi with rows of dark bars standing in for text lines."""
    img = Image.new("RGB", (830, 1170), "white")
    d = ImageDraw.Draw(img)
    for y in range(120, 700, 45):  # text only in the upper part: the lower part is blank paper
        for x in range(80, 760, 120):
            d.rectangle((x, y, x + 90, y + 18), fill=(30, 30, 30))
    return img


def test_a_page_photographed_on_a_desk_is_cut_out():
    for seed in range(4):
        photo = np.asarray(degrade.photo(_text_page(), random.Random(seed)))
        cropped = crop_to_page(photo)
        assert cropped.shape != photo.shape, f"seed {seed}: the desk was left around the page"
        border = np.concatenate([cropped[:3].reshape(-1, 3), cropped[-3:].reshape(-1, 3)])
        assert border.mean() > 150, f"seed {seed}: the crop's edge is desk, not paper"


def _sparse_page() -> Image.Image:
    """A 150 dpi page whose few thin text strokes sit in its upper part: Otsu then splits the paper's
    own shades, not ink from paper."""
    img = Image.new("RGB", (1240, 1754), "white")
    d = ImageDraw.Draw(img)
    for y in range(150, 700, 60):
        for x in range(120, 1100, 160):
            d.rectangle((x, y, x + 100, y + 2), fill=(40, 40, 40))
    return img


def test_a_flat_scan_with_a_lighting_gradient_is_not_cropped():
    # Light falling off diagonally made Otsu's bright region look like a page on a desk; the warp then
    # threw the text rows off the page (seed 2 P0029's client list lost its 序号 and names).
    a = np.asarray(_sparse_page(), dtype=np.float32)
    h, w = a.shape[:2]
    light = 0.8 + 0.2 * (0.7 * np.linspace(0, 1, w)[None, :] + 0.3 * np.linspace(1, 0, h)[:, None])
    scan = np.clip(a * light[..., None], 0, 255).astype(np.uint8)
    assert crop_to_page(scan) is scan
    for seed in range(4):
        scanned = np.asarray(degrade.scan(_sparse_page(), random.Random(seed)))
        assert crop_to_page(scanned) is scanned, f"seed {seed}"


def _shaded_photo() -> tuple[np.ndarray, tuple[int, int]]:
    """The page on a light desk, light falling off diagonally: the page's far corner ends up darker than
    the desk's near one (seed 4 P0005's list: page 166 where the shadow lies, desk 156 near the light)."""
    page = np.asarray(_text_page(), dtype=np.float32)
    h, w = page.shape[:2]
    H, W = h + 240, w + 200
    canvas = np.empty((H, W, 3), np.float32)
    canvas[:] = (176, 160, 145)
    canvas[120:120 + h, 100:100 + w] = page
    ramp = 0.6 * np.linspace(0, 1, W)[None, :] + 0.4 * np.linspace(0, 1, H)[:, None]
    shaded = np.clip(canvas * (1.05 - 0.42 * ramp)[..., None], 0, 255).astype(np.uint8)
    return shaded, (h, w)


def test_a_shadow_across_the_page_does_not_cut_it():
    photo, (h, w) = _shaded_photo()
    cropped = crop_to_page(photo)
    assert abs(cropped.shape[0] - h) <= 0.03 * h and abs(cropped.shape[1] - w) <= 0.03 * w, cropped.shape
