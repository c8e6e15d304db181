"""Generators for the extractor tests: every input is drawn here, nothing is read from disk.

Not a test module by intent; it holds no tests (pytest collects it harmlessly).
"""
from __future__ import annotations

import hashlib
import io
from functools import lru_cache

import numpy as np
import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from extractors.context import ExtractionContext
from intake.models import Document, FileType

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
USCC = "91330282MA22QF4HX4"
PARAGRAPH = "宁波市中小企业公共服务平台培育认定申请报告，本单位承诺所填内容真实有效。"
TABLE_ROWS = [
    ("项目", "内容", "备注"),
    ("申请单位", "宁波甬创科技服务有限公司", "法人"),
    ("统一社会信用代码", USCC, "有效"),
    ("年服务中小微企业数", "56家", "2023年"),
    ("小型微型企业占比", "68.5%", "达标"),
]
COL_X = [60, 200, 420, 530]


def ctx(**kw: object) -> ExtractionContext:
    base = dict(jobs=2, render_dpi=300, page_timeout_s=60)
    base.update(kw)
    return ExtractionContext(**base)  # type: ignore[arg-type]


def doc(name: str, data: bytes, ft: FileType) -> Document:
    return Document(name, hashlib.sha256(data).hexdigest(), len(data), ft)


@lru_cache(maxsize=1)
def _font() -> str:
    pdfmetrics.registerFont(TTFont("WQY", FONT_PATH, subfontIndex=0))
    return "WQY"


def text_pdf(pages: int = 1, encrypt: str | None = None) -> bytes:
    """A4 page: heading, paragraph, a 5x3 ruled table with a merged footer row."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    font = _font()
    for p in range(pages):
        h = A4[1]
        c.setFont(font, 16)
        c.drawString(60, h - 70, f"服务情况表（第{p + 1}页）")
        c.setFont(font, 11)
        c.drawString(60, h - 100, PARAGRAPH)
        top, row_h = h - 130, 28
        n = len(TABLE_ROWS) + 1
        for r in range(n + 1):
            c.line(COL_X[0], top - r * row_h, COL_X[-1], top - r * row_h)
        for x in COL_X:
            c.line(x, top, x, top - (n - 1) * row_h)
        c.line(COL_X[0], top - (n - 1) * row_h, COL_X[0], top - n * row_h)
        c.line(COL_X[-1], top - (n - 1) * row_h, COL_X[-1], top - n * row_h)
        for r, row in enumerate(TABLE_ROWS):
            for k, text in enumerate(row):
                c.drawString(COL_X[k] + 6, top - r * row_h - 19, text)
        c.drawString(COL_X[0] + 6, top - (n - 1) * row_h - 19, "合计：以上数据截至2023年12月31日")
        c.showPage()
    c.save()
    return buf.getvalue()


def render(pdf: bytes, dpi: int = 200) -> list[Image.Image]:
    d = pdfium.PdfDocument(pdf)
    out = [d[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(d))]
    d.close()
    return out


def scanned(img: Image.Image, angle: float = 2.0, quality: int = 70) -> Image.Image:
    """A scan: slightly rotated, JPEG-compressed, a red seal over the text."""
    arr = np.asarray(img).copy()
    h, w = arr.shape[:2]
    yy, xx = np.ogrid[:h, :w]
    cy, cx, r = int(h * 0.22), int(w * 0.55), int(w * 0.09)
    ring = np.abs(np.hypot(yy - cy, xx - cx) - r) < 6
    arr[ring & (arr.mean(axis=2) > 128)] = (220, 40, 40)
    rot = Image.fromarray(arr).rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor="white")
    buf = io.BytesIO()
    rot.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def image_pdf(images: list[Image.Image], dpi: int = 200) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def jpeg(img: Image.Image, exif_orientation: int | None = None) -> bytes:
    buf = io.BytesIO()
    exif = Image.Exif()
    if exif_orientation:
        exif[0x0112] = exif_orientation
    img.save(buf, "JPEG", quality=85, exif=exif)
    return buf.getvalue()
