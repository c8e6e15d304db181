"""Seals that carry no colour: round stamps found by shape on the binarised page and erased.

A grayscale scan (or a photocopy) of a red seal leaves the ring, the star and the arc of the
organisation's name as dark as the text under them, so `imaging.remove_red` cannot see them; their
strokes cross the dates and names stamped over and OCR reads "2027/1月0止素R". The ring is the
seal's one reliable feature: a circle a few character heights across whose circumference is almost
all ink. Inside it, the document's own text lines are the rows that carry on outside the circle;
everything else in the disc (arc text, star, ring) is the seal's.
"""
from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

RADIUS_CHARS = (2.5, 10.0)  # seal radius in character heights (a 40 mm seal on 10.5 pt text is ~5)
MIN_COVERAGE = 0.7  # share of the circumference that must be ink: text rows never close a circle
STAR_OPEN = 0.33  # of a character height: wider than any text stroke, narrower than a seal's star
LINE_GAP = 1.5  # character heights of blank that end a text line running into the disc


class Ring(NamedTuple):
    x: float
    y: float
    r_in: float  # inner and outer edge of the ring stroke
    r_out: float


def find_rings(binary: np.ndarray, char_h: float) -> list[Ring]:
    """Seal rings on a binary page (black text on white)."""
    f = min(1.0, 8.0 / max(char_h, 1.0))  # ~8 px characters: fast, and circles survive
    small = cv2.GaussianBlur(cv2.resize(255 - binary, None, fx=f, fy=f, interpolation=cv2.INTER_AREA), (3, 3), 0)
    r_min, r_max = (int(k * char_h * f) for k in RADIUS_CHARS)
    found = cv2.HoughCircles(small, cv2.HOUGH_GRADIENT_ALT, dp=1.5, minDist=r_min, param1=150, param2=0.5,
                             minRadius=r_min, maxRadius=r_max)
    if found is None:
        return []
    ink = binary < 128
    rings = []
    for x, y, r in found[0]:
        ring = _measure(ink, x / f, y / f, r / f, char_h)
        if ring is not None:
            rings.append(ring)
    return rings


def _measure(ink: np.ndarray, x: float, y: float, r: float, char_h: float) -> Ring | None:
    """The ring's stroke from the radial ink profile, or None where the circle is not closed in ink."""
    h, w = ink.shape
    angles = np.radians(np.arange(0, 360, 2.0))
    radii = np.arange(r - 0.2 * char_h, r + 0.2 * char_h + 1, 1.0)
    px = np.rint(x + np.outer(np.cos(angles), radii)).astype(int)
    py = np.rint(y + np.outer(np.sin(angles), radii)).astype(int)
    inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    hit = np.zeros(px.shape, dtype=bool)
    hit[inside] = ink[py[inside], px[inside]]
    if hit.any(axis=1).mean() < MIN_COVERAGE:
        return None
    share = hit.mean(axis=0)  # per radius: how much of the circle is ink there
    stroke = radii[share >= 0.25 * share.max()]  # anti-aliased and JPEG-blurred edges included
    rim = max(1.5, 0.06 * char_h)
    return Ring(x, y, float(stroke.min()) - rim, float(stroke.max()) + rim)


def erase_seals(binary: np.ndarray, char_h: float, rings: list[Ring]) -> np.ndarray:
    """Mask (True = seal ink to erase) for the given rings."""
    h, w = binary.shape
    ink = binary < 128
    boxes = [_box(rg, w, h) for rg in rings]
    dists = [_distance(rg, *box) for rg, box in zip(rings, boxes)]
    discs = np.zeros((h, w), dtype=bool)
    for rg, (x0, x1, y0, y1), d in zip(rings, boxes, dists):
        discs[y0:y1, x0:x1] |= d <= rg.r_out
    erase = np.zeros((h, w), dtype=bool)
    gap = max(3, round(LINE_GAP * char_h))
    for rg, (x0, x1, y0, y1), d in zip(rings, boxes, dists):
        disc = d <= rg.r_out
        local = ink[y0:y1, x0:x1]
        keep = _text_rows(ink, discs, char_h, x0, x1, y0, y1, gap)
        seal = disc & ((d >= rg.r_in) | _stars(local & disc, char_h))
        erase[y0:y1, x0:x1] |= seal | (disc & ~keep)
    return erase & ink


def _box(rg: Ring, w: int, h: int) -> tuple[int, int, int, int]:
    return (max(0, int(rg.x - rg.r_out)), min(w, int(rg.x + rg.r_out) + 2),
            max(0, int(rg.y - rg.r_out)), min(h, int(rg.y + rg.r_out) + 2))


def _distance(rg: Ring, x0: int, x1: int, y0: int, y1: int) -> np.ndarray:
    yy, xx = np.mgrid[y0:y1, x0:x1]
    return np.hypot(xx - rg.x, yy - rg.y)


def _text_rows(ink: np.ndarray, discs: np.ndarray, char_h: float, x0: int, x1: int, y0: int, y1: int,
               gap: int) -> np.ndarray:
    """Inside the box x0..x1 × y0..y1: the ink of document lines that run into the seal from outside.

    A line enters from the left or the right where it has ink within `gap` of the box; inside, it is
    followed column by column until `gap` columns without ink end it.
    """
    h, w = ink.shape
    keep = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    free = ink & ~discs
    left = free[y0:y1, max(0, x0 - gap):x0].any(axis=1)
    right = free[y0:y1, x1:min(w, x1 + gap)].any(axis=1)
    rows = _bands(left | right, char_h)
    for a, b in rows:
        band = ink[y0 + a:y0 + b, x0:x1].any(axis=0)
        sides = ([range(x1 - x0)] if left[a:b].any() else []) + ([range(x1 - x0 - 1, -1, -1)] if right[a:b].any() else [])
        for cols in sides:
            blank = 0
            for c in cols:
                blank = 0 if band[c] else blank + 1
                if blank > gap:
                    break
                keep[a:b, c] = True
    return keep


def _bands(rows: np.ndarray, char_h: float) -> list[tuple[int, int]]:
    """Runs of text rows at least a third of a character tall, widened by a little for ascenders."""
    pad = max(1, round(0.15 * char_h))
    out: list[tuple[int, int]] = []
    start = None
    for i, on in enumerate(np.append(rows, False)):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if i - start >= char_h / 3:
                out.append((max(0, start - pad), min(len(rows), i + pad)))
            start = None
    return out


def _stars(ink: np.ndarray, char_h: float) -> np.ndarray:
    """Solid blobs wider than a text stroke (the seal's star), grown over their anti-aliased points."""
    k = max(5, round(STAR_OPEN * char_h)) | 1
    solid = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    if not solid.any():
        return np.zeros_like(ink)
    return cv2.dilate(solid, np.ones((k, k), np.uint8)) > 0
