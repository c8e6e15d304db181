"""CJK font families: file, face index and the family name Word uses."""
from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

FONTS = {
    "wqy-zenhei": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "WenQuanYi Zen Hei"),
    "wqy-microhei": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "WenQuanYi Micro Hei"),
    "noto-sans": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2, "Noto Sans CJK SC"),
    "noto-serif": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2, "Noto Serif CJK SC"),
    "uming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "AR PL UMing CN"),
    "ukai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0, "AR PL UKai CN"),
}


@lru_cache(maxsize=64)
def pil(family: str, size: int) -> ImageFont.FreeTypeFont:
    path, idx, _ = FONTS[family]
    return ImageFont.truetype(path, size, index=idx)


_registered: set[str] = set()


def reportlab(family: str) -> str:
    """Register the family with reportlab (TrueType outlines only) and return its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if family not in _registered:
        path, idx, _ = FONTS[family]
        pdfmetrics.registerFont(TTFont(family, path, subfontIndex=idx))
        _registered.add(family)
    return family
