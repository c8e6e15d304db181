"""Seal removal: red seal ink goes, black text under the seal stays."""
from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from extractors.imaging import remove_red
from tests.unit.test_extract_fixtures import FONT_PATH

PAPER = (250, 247, 240)
SEAL = (214, 30, 36)


def _stamped(alpha: int, shade: float = 1.0, ink: tuple[int, int, int] = (15, 15, 20),
             paper: tuple[int, int, int] = PAPER) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A name in black with a filled seal disc over its right half; returns image, text mask, seal-only mask."""
    text = Image.new("L", (600, 120), 0)
    ImageDraw.Draw(text).text((20, 30), "宁波东中创业服务", font=ImageFont.truetype(FONT_PATH, 60), fill=255)
    seal = Image.new("L", text.size, 0)
    ImageDraw.Draw(seal).ellipse((300, -60, 540, 180), outline=255, width=18)
    ImageDraw.Draw(seal).ellipse((405, 45, 435, 75), fill=255)  # the star: small, solid
    t = np.asarray(text) > 128
    s = np.asarray(seal) > 128
    img = np.empty((*t.shape, 3), np.float32)
    img[:] = paper
    img[t] = ink
    a = alpha / 255
    img[s] = img[s] * (1 - a) + np.array(SEAL, np.float32) * a  # seal ink over paper and text
    img *= shade  # a shadow on a phone photo darkens paper and ink alike
    return img.clip(0, 255).astype(np.uint8), t, s & ~t


def test_seal_ink_is_whitened_and_text_under_it_kept():
    for alpha in (150, 185, 215):
        img, text, seal_only = _stamped(alpha)
        gray = remove_red(img)
        assert (gray[seal_only] > 200).mean() > 0.97, alpha
        under = text & ~seal_only & (np.asarray(Image.fromarray(img).convert("L")) > 0)
        kept = (gray[text] < 128).mean()
        naive = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        r, g, b = (img[..., i].astype(int) for i in range(3))
        naive[(r > 110) & (r - np.maximum(g, b) > 45)] = 255  # every reddish pixel whitened
        # strokes deep under the solid star may go; nearly all text stays, far more than naively
        assert kept > 0.93 and kept >= (naive[text] < 128).mean(), alpha
        assert under.any()


def test_seal_removal_holds_in_a_shadow():
    img, text, seal_only = _stamped(185, shade=0.6)
    gray = remove_red(img)
    assert (gray[seal_only] > 100).mean() > 0.95  # whitened (paper is ~150 here)
    assert (gray[text] < 100).mean() > 0.97


def test_grayscale_input_passes_through():
    g = np.full((10, 10), 200, np.uint8)
    assert remove_red(g) is g


def test_dim_photo_text_under_a_seal_is_redrawn_from_red():
    """Dim paper, gray text no darker than the seal in gray: the gray test would erase the text under it."""
    img, text, seal_only = _stamped(200, ink=(125, 122, 120), paper=(196, 192, 184))
    gray_in = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    assert np.median(gray_in[text & ~seal_only]) >= 0.6 * np.median(gray_in[seal_only])  # the dim case
    gray = remove_red(img)
    paper = np.median(gray[~text & ~seal_only])
    r, g = img[..., 0].astype(int), img[..., 1].astype(int)
    seal = seal_only | (r - g > 45)  # with the text the (opaque) seal covers
    beside = text & ~seal & (cv2.dilate(seal.astype(np.uint8), np.ones((13, 13), np.uint8)) > 0)
    assert beside.sum() > 100
    assert (gray[seal_only] > paper - 25).mean() > 0.95  # the seal is (nearly) paper
    assert (gray[beside] < paper - 40).mean() > 0.95  # the text running under and beside it stays dark
