"""Images drawn directly: licence, qualification certificate, seals and signatures (PIL)."""
from __future__ import annotations

import math
import random
from functools import lru_cache

from PIL import Image, ImageDraw

from . import fmt as F
from .fonts import pil
from .model import PackageSpec

RED = (214, 30, 36)


def seal(org: str, px: int = 420, family: str = "wqy-zenhei", rng: random.Random | None = None) -> Image.Image:
    """Round red seal with the organisation name on an arc and a star, RGBA, turned at random."""
    rng = rng or random.Random(org)
    return _seal_base(org, px, family, rng.randint(150, 215)).rotate(rng.uniform(-25, 25), resample=Image.BICUBIC)


@lru_cache(maxsize=256)
def _seal_base(org: str, px: int, family: str, alpha: int) -> Image.Image:
    im = Image.new("RGBA", (px, px), (0, 0, 0, 0))
    dr = ImageDraw.Draw(im)
    c, r = px / 2, px / 2 - 6
    col = RED + (alpha,)
    dr.ellipse([c - r, c - r, c + r, c + r], outline=col, width=max(4, px // 40))
    star_r = px * 0.13
    pts = [(c + star_r * math.cos(math.radians(-90 + k * 36)) * (1 if k % 2 == 0 else 0.4),
            c + star_r * math.sin(math.radians(-90 + k * 36)) * (1 if k % 2 == 0 else 0.4)) for k in range(10)]
    dr.polygon(pts, fill=col)
    text = org[:22]
    fs = int(px * (0.11 if len(text) <= 14 else 0.085))
    font = pil(family, fs)
    span = min(250.0, 14.0 * len(text) + 40)
    for i, ch in enumerate(text):
        ang = -90 - span / 2 + span * (i + 0.5) / len(text)
        rr = r - fs * 0.85
        x, y = c + rr * math.cos(math.radians(ang)), c + rr * math.sin(math.radians(ang))
        g = Image.new("RGBA", (fs * 2, fs * 2), (0, 0, 0, 0))
        ImageDraw.Draw(g).text((fs // 2, fs // 2), ch, font=font, fill=col)
        g = g.rotate(-(ang + 90), resample=Image.BICUBIC)
        im.alpha_composite(g, (int(x - fs), int(y - fs)))
    return im


def signature(name: str, px_h: int = 90) -> Image.Image:
    font = pil("ukai", px_h)
    im = Image.new("RGBA", (px_h * (len(name) + 1), int(px_h * 1.4)), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((10, 5), name, font=font, fill=(20, 20, 60, 235))
    return im.rotate(random.Random(name).uniform(-8, 8), resample=Image.BICUBIC, expand=True)


def _paper(w: int, h: int, rng: random.Random, tint=(250, 246, 236)) -> Image.Image:
    im = Image.new("RGB", (w, h), tint)
    dr = ImageDraw.Draw(im)
    for _ in range(60):
        x, y = rng.randrange(w), rng.randrange(h)
        dr.ellipse([x, y, x + 40, y + 18], fill=(tint[0] - 6, tint[1] - 8, tint[2] - 10))
    return im


def licence(spec: PackageSpec, family: str, rng: random.Random) -> Image.Image:
    c = spec.licence
    w, h = 1870, 1322
    im = _paper(w, h, rng)
    dr = ImageDraw.Draw(im)
    dr.rectangle([30, 30, w - 30, h - 30], outline=(180, 60, 50), width=10)
    dr.rectangle([48, 48, w - 48, h - 48], outline=(190, 120, 90), width=2)
    f_small, f = pil(family, 26), pil(family, 34)
    dr.text((110, 120), "统一社会信用代码", font=f_small, fill=(40, 40, 40))
    dr.text((110, 160), c.uscc, font=pil(family, 40), fill=(20, 20, 20))
    dr.text((110, 214), f"证照编号：{rng.randint(10**17, 10**18 - 1)}", font=pil(family, 18), fill=(70, 70, 70))
    dr.ellipse([w / 2 - 55, 90, w / 2 + 55, 200], fill=(200, 30, 30))
    dr.text((w / 2 - 190, 250), "营业执照", font=pil(family, 110), fill=(30, 30, 30))
    dr.text((w / 2 - 50, 385), "（副　本）", font=f, fill=(30, 30, 30))
    dr.rectangle([w - 260, 100, w - 110, 250], outline=(0, 0, 0), width=6)
    for _ in range(120):
        x, y = rng.randrange(w - 250, w - 125), rng.randrange(110, 240)
        dr.rectangle([x, y, x + 10, y + 10], fill=(0, 0, 0))
    term = F.date(c.established_on, "cn") + "至" + ("长期" if c.term_end is None else F.date(c.term_end, "cn"))
    left = [("名　　称", c.name), ("类　　型", c.company_type), ("法定代表人", c.legal_rep),
            ("经营范围", "企业管理咨询；信息咨询服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；"
                     "人力资源服务（不含职业中介活动）。（依法须经批准的项目，经相关部门批准后方可开展经营活动）")]
    right = [("注册资本", F.money_cn(c.capital_wan)), ("成立日期", F.date(c.established_on, "cn")), ("营业期限", term),
             ("住　　所", c.address)]
    y = 500
    for lab, val in left:
        dr.text((160, y), lab, font=f, fill=(30, 30, 30))
        y = _wrap(dr, val, 360, y, 560, f) + 30
    y = 500
    for lab, val in right:
        dr.text((1000, y), lab, font=f, fill=(30, 30, 30))
        y = _wrap(dr, val, 1180, y, 600, f) + 30
    dr.text((1320, 1130), "登记机关", font=f, fill=(30, 30, 30))
    dr.text((1290, 1190), F.date(c.established_on.replace(year=min(c.established_on.year + 2, spec.application_date.year)), "cn"),
            font=f, fill=(30, 30, 30))
    st = seal("宁波市市场监督管理局" if c.uscc[2:6] == "3302" else "市场监督管理局", 300, family, rng)
    im.paste(st, (1240, 1000), st)
    dr.text((110, h - 120), "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn", font=pil(family, 20), fill=(60, 60, 60))
    return im


def _wrap(dr: ImageDraw.ImageDraw, text: str, x: int, y: int, width: int, font) -> int:
    line = ""
    for ch in text:
        if dr.textlength(line + ch, font=font) > width:
            dr.text((x, y), line, font=font, fill=(30, 30, 30))
            y += int(font.size * 1.35)
            line = ""
        line += ch
    if line:
        dr.text((x, y), line, font=font, fill=(30, 30, 30))
        y += int(font.size * 1.35)
    return y


def qualification(spec: PackageSpec, family: str, rng: random.Random) -> Image.Image:
    c = spec.licence
    w, h = 1488, 2104
    im = _paper(w, h, rng, (252, 250, 244))
    dr = ImageDraw.Draw(im)
    dr.rectangle([40, 40, w - 40, h - 40], outline=(190, 150, 80), width=14)
    issued = spec.application_date.replace(day=1) if spec.application_date.month > 1 else spec.application_date
    issued = issued.replace(year=issued.year - rng.randint(0, 2))
    title = rng.choice(["质量管理体系认证证书", "中小企业公共服务机构服务资质证书", "人力资源服务许可证"])
    dr.text((w / 2 - 60 * len(title) / 2, 250), title, font=pil(family, 60), fill=(20, 20, 20))
    dr.text((w / 2 - 200, 360), f"证书编号：{rng.randint(10**9, 10**10)}Q{rng.randint(1000, 9999)}", font=pil(family, 28),
            fill=(60, 60, 60))
    f = pil(family, 36)
    y = 520
    for lab, val in [("组织名称：", c.name), ("注册地址：", c.address), ("认证范围：", "企业管理咨询服务；中小企业公共服务平台运营服务"),
                     ("发证日期：", F.date(issued, "cn")), ("有效期至：", F.date(issued.replace(year=issued.year + 3), "cn"))]:
        dr.text((180, y), lab, font=f, fill=(30, 30, 30))
        y = _wrap(dr, val, 390, y, 900, f) + 40
    st = seal("浙江" + "".join(rng.sample("公信诚正华通标准", 2)) + "认证有限公司", 340, family, rng)
    im.paste(st, (800, 1550), st)
    return im
