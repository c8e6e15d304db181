"""Page-image preprocessing before OCR: seal removal, deskew, binarisation, ruling-line removal.

Every geometric step is an affine map composed into `Prepared.matrix`, so word boxes found on
the prepared image can be mapped back exactly to the caller's page image.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from extractors import seal_rings

MIN_CHAR_PX = 22  # tesseract reads CJK poorly below ~20 px glyphs: smaller ones are enlarged ...
TARGET_CHAR_PX = 34  # ... to this height
# RapidOCR reads 16-20 px glyphs as well as enlarged ones (150 dpi scans), and its detector works at
# the image's size: enlarging such a page made it several times slower, for nothing. Far smaller
# glyphs (a 150 dpi page measured at ~13 px) it reads better enlarged.
RAPID_MIN_CHAR_PX = 15


@dataclass(frozen=True)
class Prepared:
    ocr_image: np.ndarray  # binary, black text on white, ruling lines removed
    gray: np.ndarray  # the grayscale page after the same rotation/deskew/scaling (for crops)
    h_mask: np.ndarray  # horizontal ruling lines (255 = line), same geometry as ocr_image
    v_mask: np.ndarray
    matrix: np.ndarray  # 2x3 affine: page-image (x, y) -> prepared (x, y)
    char_h: float  # typical character height in prepared pixels
    skew_deg: float
    rotation: int  # clockwise quarter-turn applied (0/90/180/270)
    seal_ink: np.ndarray | None = None  # ink erased as a colourless seal (True), same geometry as ocr_image

    @cached_property
    def clean_gray(self) -> np.ndarray:
        """The grayscale page with ruling lines painted white: what RapidOCR crops are cut from."""
        return remove_lines(self.gray, self.h_mask, self.v_mask)


# A reddish pixel is black text under a seal, and kept, when it is darker than the seal's own ink
# on this image in both its red channel (relative to the local paper) and its gray level.
SEAL_TEXT_RED = 0.90
SEAL_TEXT_GRAY = 0.75
TEXT_REACH = 0.006  # of the page's shorter side (~10 px on A4 at 200 dpi)
SEAL_HALO = 0.002  # of the shorter side (~3 px at 200 dpi): gray rims of seal strokes
SEAL_ZONE = 0.006  # around clearly red ink, where a faint red cast is seal too
FAINT_REDNESS = 12  # red above the stronger of green and blue; paper tints stay below ~6
# Dim pages (phone photos, light scans): the page's text (median ink away from seals) is not clearly darker
# in gray than seal ink, so gray cannot tell text under a seal from the seal; the red channel redraws it.
GRAY_TELLS_TEXT = 0.6  # text's gray below this share of the seal ink's: the gray test works
INK_AWAY = 0.03  # of the shorter side: ink this far from red measures the page's text
SEAL_SHADE_POWER = 2  # dim pages: seal pixel -> paper x (red / seal ink's red) ** this
FRINGE_MEDIAN = 3  # px: median over the red ratio before shading (see _redraw_from_red)


def remove_red(rgb: np.ndarray) -> np.ndarray:
    """Grayscale with red (seal ink) turned white: seals lie over text and confuse OCR.

    Black text under a seal comes out dark red, so "reddish" is not enough: removing every
    reddish pixel ate the strokes of names stamped over. Seal ink is measured on the image itself
    (median of the reddish pixels: stamp density and lighting vary), and only pixels clearly
    darker than it, in red and in gray, count as text. JPEG's dark-red specks along a seal's
    ring are darker in red only, so they go with the seal. On a dim page whose text is no darker
    in gray than the seal, that test erased the text under the seal: see `_redraw_from_red`.
    """
    if rgb.ndim == 2:
        return rgb
    r, g, b = (rgb[..., i].astype(np.int16) for i in range(3))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    redness = r - np.maximum(g, b)
    strong = (r > 110) & (redness > 45)
    if not strong.any():
        return gray
    # Seal ink is calibrated on the clearly red pixels only...
    red_of_paper = r / np.maximum(paper_level(rgb[..., 0]), 1)
    seal_gray = float(np.median(gray[strong]))
    text_gray = SEAL_TEXT_GRAY * seal_gray
    seal_red = float(np.median(red_of_paper[strong]))
    text_red = SEAL_TEXT_RED * seal_red
    # ...but JPEG smears its colour: faint strokes and the rims of strokes are only pinkish gray and
    # stayed behind as a ghost seal that binarises into specks over the date under it. Next to
    # clearly red ink, a slight red cast is seal too.
    zone_px = max(3, round(min(gray.shape) * SEAL_ZONE))
    zone = _grow(strong, zone_px)
    reddish = strong | (zone & (redness > FAINT_REDNESS))
    paper = paper_level(gray)
    if _text_gray(gray, strong) >= GRAY_TELLS_TEXT * seal_gray:
        return _redraw_from_red(gray, paper, reddish, red_of_paper, seal_red)
    ys, xs = np.nonzero(reddish)
    text = (red_of_paper[ys, xs] < text_red) & (gray[ys, xs] < text_gray)
    # Text under a seal runs on out of it in black; dark red far from any black ink is a
    # printed red border or ornament (licences), not text.
    reach = max(6, round(min(gray.shape) * TEXT_REACH))
    black = (gray < text_gray) & ~strong
    text &= _grow(black, reach)[ys, xs]
    # Painted with the local paper, not white: white patches on a shaded photo binarise into edges.
    gray[ys[~text], xs[~text]] = paper[ys[~text], xs[~text]]
    # Neutral gray rims of seal strokes: only text-dark ink stays.
    rims = _rims(reddish) & (gray >= text_gray)
    gray[rims] = paper[rims]
    return gray


def _rims(reddish: np.ndarray) -> np.ndarray:
    """The neutral gray rims around seal strokes (anti-aliasing, JPEG): a few pixels outside the reddish ones."""
    return _grow(reddish, max(2, round(min(reddish.shape) * SEAL_HALO))) & ~reddish


def _text_gray(gray: np.ndarray, strong: np.ndarray) -> float:
    """Median gray of the page's ink away from red: how dark its text is."""
    ink = (binarize(gray) == 0) & ~_grow(strong, max(3, round(min(gray.shape) * INK_AWAY)))
    return float(np.median(gray[ink])) if ink.any() else 0.0


def _redraw_from_red(gray: np.ndarray, paper: np.ndarray, reddish: np.ndarray, red_of_paper: np.ndarray,
                     seal_red: float) -> np.ndarray:
    """Seal pixels redrawn from the red channel, where seal ink is nearly paper and text stays dark.

    Kept for dim pages only: JPEG leaves dark-red fringes along seal strokes that the red channel
    draws as ghost outlines (a 3 px median removes most of them); on crisp scans the gray test
    removes them all.
    """
    ys, xs = np.nonzero(reddish)
    red = (np.minimum(1.0, red_of_paper / seal_red) * 255).astype(np.uint8)
    # JPEG's dark-red fringes along seal strokes are a pixel or two wide; text strokes are wider.
    red = cv2.medianBlur(red, FRINGE_MEDIAN)
    shade = (red[ys, xs] / 255.0) ** SEAL_SHADE_POWER
    gray[ys, xs] = (paper[ys, xs] * shade).clip(0, 255).astype(np.uint8)
    # Neutral gray rims of seal strokes that are light in red too (dark red there is text).
    rims = _rims(reddish) & (red_of_paper >= SEAL_TEXT_RED * seal_red)
    gray[rims] = paper[rims]
    return gray


def _grow(mask: np.ndarray, px: int) -> np.ndarray:
    return cv2.dilate(mask.astype(np.uint8), np.ones((2 * px + 1, 2 * px + 1), np.uint8)) > 0


def paper_level(channel: np.ndarray) -> np.ndarray:
    """Local paper brightness (text dilated away at 1/8 scale), so shading and shadows cancel out."""
    h, w = channel.shape
    small = cv2.resize(channel, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    bg = cv2.dilate(small, np.ones((7, 7), np.uint8))
    return cv2.resize(cv2.medianBlur(bg, 5), (w, h), interpolation=cv2.INTER_LINEAR)


def binarize(gray: np.ndarray) -> np.ndarray:
    """Otsu after flattening illumination (phone photos have shading); black text on white."""
    bg = paper_level(gray)
    flat = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    _, out = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return out


def blob_boxes(ink: np.ndarray) -> list[tuple[tuple[int, int, int, int], tuple[int, int]]]:
    """Bounding box (x, y, w, h) of every 8-connected blob of ink, top to bottom, with one of its pixels.

    Found as the blobs' outer borders (findContours): the same boxes as connectedComponentsWithStats
    in a quarter of the time on a page, which pays for writing a label for every pixel."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return []
    outer = [c for c, link in zip(contours, hierarchy[0], strict=True) if link[3] < 0]  # holes have a parent
    blobs = [(cv2.boundingRect(c), (int(c[0, 0, 0]), int(c[0, 0, 1]))) for c in outer]
    return sorted(blobs, key=lambda b: (b[0][1], b[0][0], b[0][2], b[0][3]))


def char_height(binary: np.ndarray) -> float:
    boxes = np.array([b for b, _ in blob_boxes((binary < 128).astype(np.uint8))], dtype=np.int64).reshape(-1, 4)
    hs, ws = boxes[:, 3], boxes[:, 2]
    keep = (hs >= 6) & (hs < binary.shape[0] / 10) & (ws < 4 * hs)
    # Radicals make components smaller than characters; the upper quantile is closer to a glyph.
    return float(np.percentile(hs[keep], 80)) if keep.sum() >= 10 else 30.0


def rotation_matrix(w: int, h: int, angle_ccw: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Rotation about the centre onto an enlarged canvas that keeps the whole page."""
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_ccw, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(round(h * sin + w * cos)), int(round(h * cos + w * sin))
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return m, (nw, nh)


def compose(second: np.ndarray, first: np.ndarray) -> np.ndarray:
    a = np.vstack([first, [0, 0, 1]])
    b = np.vstack([second, [0, 0, 1]])
    return (b @ a)[:2]


def rotate(img: np.ndarray, angle_ccw: float) -> tuple[np.ndarray, np.ndarray]:
    h, w = img.shape[:2]
    if angle_ccw % 360 == 0:
        return img, np.array([[1.0, 0, 0], [0, 1.0, 0]])
    m, size = rotation_matrix(w, h, angle_ccw)
    exact = angle_ccw % 90 == 0
    # The corners a small turn uncovers continue the page's own edge: white there, beside paper that
    # uneven lighting made gray, binarises to a black band that OCR reads as characters glued to rows.
    out = cv2.warpAffine(img, m, size, flags=cv2.INTER_NEAREST if exact else cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT if exact else cv2.BORDER_REPLICATE, borderValue=255)
    return out, m


def skew_angle(binary: np.ndarray, limit: float = 5.0) -> float:
    """Small skew (degrees, ccw rotation that straightens the page) by projection-profile search.

    Coarse 0.5° steps then 0.1° steps on a ~900 px wide copy: ~30 cheap rotations, exact to
    about 0.1° because text rows and ruling lines give sharp row-sum peaks when level.
    """
    h, w = binary.shape
    f = min(1.0, 900 / max(w, 1))
    inv = 255 - cv2.resize(binary, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    best = max(np.arange(-limit, limit + 1e-6, 0.5), key=lambda a: _profile_score_inv(inv, a))
    fine = np.arange(best - 0.4, best + 0.41, 0.1)
    return float(round(max(fine, key=lambda a: _profile_score_inv(inv, a)), 2))


def _profile_score_inv(inv: np.ndarray, angle: float) -> float:
    # `rotate` pads with 255; for the inverted image padding must be 0 (no ink).
    if abs(angle) < 1e-9:
        rot = inv
    else:
        h, w = inv.shape
        m, size = rotation_matrix(w, h, angle)
        rot = cv2.warpAffine(inv, m, size, flags=cv2.INTER_NEAREST, borderValue=0)
    rows = rot.sum(axis=1, dtype=np.float64)
    return float(np.sum(np.diff(rows) ** 2))


def looks_vertical(binary: np.ndarray) -> bool:
    """Text lines give a sharper row profile than column profile; the opposite means a 90° turn."""
    return column_row_ratio(binary) > VERTICAL_RATIO


VERTICAL_RATIO = 1.3  # column/row profile sharpness above this: lines run down the page


def column_row_ratio(binary: np.ndarray) -> float:
    """Sharpness of the column profile over that of the row profile: ≪ 1 when lines run across.

    Each profile is taken at its sharpest skew within ±5° (0.5° steps, ~0.03 s): a 3° skew blurs
    the rows of a scan, and a skewed landscape licence looked turned, costing an orientation check
    (~1 s of tesseract OSD), while a skewed page turned 90° did not, and was read sideways first.
    """
    h, w = binary.shape
    f = min(1.0, 900 / max(w, h, 1))
    inv = 255 - cv2.resize(binary, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    angles = np.arange(-5.0, 5.01, 0.5)
    rows = max(_profile_score_inv(inv, a) for a in angles) / max(inv.shape[1], 1)
    inv_t = np.ascontiguousarray(inv.T)
    cols = max(_profile_score_inv(inv_t, a) for a in angles) / max(inv.shape[0], 1)
    return float(cols / max(rows, 1e-9))


def ruling_masks(binary: np.ndarray, char_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Long horizontal/vertical runs of ink: table rules, underlines, frames.

    A morphological open with a kernel longer than any glyph stroke (3 character heights)
    keeps only lines; tesseract --psm 6 drops whole rows of a gridded form otherwise.
    """
    inv = 255 - binary
    h, w = binary.shape
    lh = max(int(3 * char_h), w // 40, 20)
    lv = max(int(3 * char_h), h // 60, 20)
    hm = cv2.morphologyEx(inv, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (lh, 1)))
    vm = cv2.morphologyEx(inv, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, lv)))
    return hm, cv2.bitwise_or(vm, _cell_dividers(inv, hm, char_h))


def _cell_dividers(inv: np.ndarray, hm: np.ndarray, char_h: float) -> np.ndarray:
    """Vertical rules one table row tall (法定代表人 | 黎磊 on a 150 dpi form): shorter than the kernel above,
    they stayed in the OCR image and read as "|". A vertical run of at least a character height that
    meets a horizontal rule at both ends is a divider; a tick box's sides meet only its own short edges."""
    if not hm.any():
        return np.zeros_like(inv)
    short = cv2.morphologyEx(inv, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(12, int(char_h)))))
    reach = max(3, int(0.15 * char_h))
    rules = cv2.dilate(hm, np.ones((2 * reach + 1, 3), np.uint8)) > 0
    kept = [start for (x, y, w, h), start in blob_boxes(short)
            if w <= 0.3 * char_h  # a line, not a blob
            and rules[y, x:x + w].any() and rules[min(y + h - 1, rules.shape[0] - 1), x:x + w].any()]
    marked = short.copy()
    for start in kept:  # each kept run marked by filling it from one of its pixels (8-connected, as found)
        cv2.floodFill(marked, None, start, 128, 0, 0, 8)
    return np.where(marked == 128, 255, 0).astype(inv.dtype)


def remove_lines(binary: np.ndarray, h_mask: np.ndarray, v_mask: np.ndarray) -> np.ndarray:
    """Ruling lines painted white; works on the binary or the grayscale prepared image alike."""
    lines = cv2.dilate(cv2.bitwise_or(h_mask, v_mask), np.ones((3, 3), np.uint8))
    out = binary.copy()
    out[lines > 0] = 255
    return out


def prepare(gray: np.ndarray, rotation_cw: int = 0, min_char_px: float = MIN_CHAR_PX,
            binary: np.ndarray | None = None) -> Prepared:
    """Quarter-turn (if known), deskew, binarise, split off ruling lines; glyphs below `min_char_px`
    enlarged to TARGET_CHAR_PX. `binary`: binarize(gray) if the caller has it (used unturned only)."""
    gray0, m = rotate(gray, -rotation_cw) if rotation_cw else (gray, np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    if rotation_cw or binary is None:
        binary = binarize(gray0)
    angle = skew_angle(binary)
    if abs(angle) >= 0.05:
        gray0, m2 = rotate(gray0, angle)
        m = compose(m2, m)
        binary = binarize(gray0)  # only a turned or deskewed page is binarised again (~0.03-0.1 s)
    ch = char_height(binary)
    if ch < min_char_px:  # low-resolution scans
        f = min(3.0, TARGET_CHAR_PX / ch)
        gray0 = cv2.resize(gray0, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
        m = compose(np.array([[f, 0, 0], [0, f, 0]]), m)
        binary = binarize(gray0)
        ch = char_height(binary)
    binary, gray0, seal_ink = _without_seal_rings(binary, gray0, ch)
    hm, vm = ruling_masks(binary, ch)
    return Prepared(remove_lines(binary, hm, vm), gray0, hm, vm, m, ch, angle, rotation_cw % 360, seal_ink)


def half_turn(prep: Prepared) -> Prepared:
    """The prepared page turned 180°: every image flipped both ways (exact, ~10 ms), the matrix
    extended to match; skew and character height are unchanged by a half turn."""
    h, w = prep.ocr_image.shape[:2]

    def flip(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a[::-1, ::-1])

    turn = np.array([[-1.0, 0, w - 1], [0, -1.0, h - 1]])
    return Prepared(flip(prep.ocr_image), flip(prep.gray), flip(prep.h_mask), flip(prep.v_mask),
                    compose(turn, prep.matrix), prep.char_h, prep.skew_deg, (prep.rotation + 180) % 360,
                    None if prep.seal_ink is None else flip(prep.seal_ink))


def _without_seal_rings(binary: np.ndarray, gray: np.ndarray,
                        char_h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Colourless seals (gray scans, photocopies) erased by shape; colour ones are gone already."""
    rings = seal_rings.find_rings(binary, char_h)
    if not rings:
        return binary, gray, None
    erase = seal_rings.erase_seals(binary, char_h, rings)
    erase &= ~_text_darker_than_seal(gray, binary, erase)
    binary, gray = binary.copy(), gray.copy()
    binary[erase] = 255
    # The gray copy (RapidOCR's crops) loses the same ink plus its anti-aliased rim.
    rim = cv2.dilate(erase.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    gray[rim & (binary == 255)] = paper_level(gray)[rim & (binary == 255)]
    return binary, gray, erase


def _text_darker_than_seal(gray: np.ndarray, binary: np.ndarray, seal: np.ndarray) -> np.ndarray:
    """Pixels of the seal's shape clearly darker than its ink: text strokes it crosses (a gray scan of a
    red seal leaves the seal lighter than black text). Nothing where the page's text is not that dark
    (photocopies print seal and text alike)."""
    text = (binary < 128) & ~seal
    if not seal.any() or not text.any():
        return np.zeros_like(seal)
    # Stroke cores (the darker quarter of each ink), not medians: anti-aliased edges are as light as seal ink.
    cut = SEAL_TEXT_GRAY * float(np.percentile(gray[seal], 25))
    return gray < cut if float(np.percentile(gray[text], 25)) < cut else np.zeros_like(seal)


def map_box_back(box: tuple[float, float, float, float], matrix: np.ndarray) -> tuple[float, float, float, float]:
    """Box on the prepared image -> axis-aligned box on the original page image."""
    inv = cv2.invertAffineTransform(matrix)
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], dtype=np.float64) @ inv.T
    return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))


PAGE_EDGE_STEP = 15  # gray levels from desk to paper across a page edge; lighting drifts ~1 level over the span


def _edge_steps(gray: np.ndarray, quad: np.ndarray, reach: int = 5) -> list[float | None]:
    """Per edge of the quad, the median brightness step across it (inside minus outside, `reach` px each
    way), sampled away from the picture's border, where a page running off the picture has no edge (None)."""
    h, w = gray.shape
    centre = quad.mean(axis=0)
    out: list[float | None] = []
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        d = b - a
        n = np.array([-d[1], d[0]], dtype=np.float32) / (np.hypot(*d) + 1e-6)
        if np.dot(centre - (a + b) / 2, n) < 0:
            n = -n  # point inwards
        steps = []
        for t in np.linspace(0.1, 0.9, 9):
            p = a + t * d
            pin, pout = np.rint(p + reach * n).astype(int), np.rint(p - reach * n).astype(int)
            if all(2 <= q[0] < w - 2 and 2 <= q[1] < h - 2 for q in (pin, pout)):
                steps.append(float(gray[pin[1], pin[0]]) - float(gray[pout[1], pout[0]]))
        out.append(float(np.median(steps)) if steps else None)
    return out


def _outline_quad(gray: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The page as the convex hull of the largest outline of edges (corners, share of the picture): found
    by the page's edges rather than its brightness, so a shadow across the page does not cut it."""
    edges = cv2.dilate(cv2.Canny(gray, 30, 90), np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    hull = cv2.convexHull(max(contours, key=lambda c: cv2.contourArea(cv2.convexHull(c))))
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4:
        return None
    return _order_corners(quad.reshape(-1, 2).astype(np.float32)), cv2.contourArea(hull) / float(gray.size)


def _known_steps(gray: np.ndarray, quad: np.ndarray) -> list[float]:
    return [s for s in _edge_steps(gray, quad) if s is not None]


def _order_corners(pts: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], dtype=np.float32)


def crop_to_page(rgb: np.ndarray) -> np.ndarray:
    """A phone photo of a page on a desk → the page alone, perspective straightened.

    The page is the largest bright region; only when it clearly sits inside a darker surround
    (30–97 % of the picture) is it cut out, so flat scans pass through untouched. The result
    is the page image the OCR boxes refer to.
    """
    h, w = rgb.shape[:2]
    scale = min(1.0, 900 / max(h, w))
    small = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _, bright = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return rgb
    page = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(page) / float(small.shape[0] * small.shape[1])
    if not 0.30 < share < 0.97:
        return rgb
    quad = cv2.approxPolyDP(page, 0.02 * cv2.arcLength(page, True), True)
    corners = _order_corners(np.asarray(quad.reshape(-1, 2) if len(quad) == 4 else cv2.boxPoints(cv2.minAreaRect(page)),
                                        dtype=np.float32))
    steps = _known_steps(gray, corners)
    if not steps or float(np.median(steps)) < PAGE_EDGE_STEP:
        return rgb  # no sharp paper edge: uneven lighting on a flat scan, not a page on a desk
    if min(steps) < PAGE_EDGE_STEP:
        # One side of the bright region is no paper edge: a shadow darkened that part of the page below
        # the desk's brightness elsewhere and cut it off. The page's own edges outline it instead.
        outline = _outline_quad(gray)
        if outline is not None and 0.30 < outline[1] < 0.97 and min(_known_steps(gray, outline[0]) or [0.0]) >= PAGE_EDGE_STEP:
            corners = outline[0]
    src = corners / scale
    tl, tr, br, bl = src
    width = int(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = int(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    if width < 200 or height < 200:
        return rgb
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(rgb, matrix, (width, height), flags=cv2.INTER_CUBIC, borderValue=(255, 255, 255))
