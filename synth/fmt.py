"""Value styles: numbers, ratios, dates and check boxes as applicants write them."""
from __future__ import annotations

import datetime as dt

_D = "零一二三四五六七八九"
_DATE_D = "〇一二三四五六七八九"


def cn_int(n: int) -> str:
    if n == 0:
        return "零"
    out, units, zero = "", [(1000, "千"), (100, "百"), (10, "十"), (1, "")], False
    for val, u in units:
        d = (n // val) % 10
        if d:
            if zero and out:
                out += "零"
            out += ("" if (d == 1 and val == 10 and not out) else _D[d]) + u
            zero = False
        elif out:
            zero = True
    return out


def num(n: int, style: str, unit: str = "家") -> str:
    if style == "arabic":
        return str(n)
    if style == "cn":
        return cn_int(n) + unit
    if style == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    return f"{n}{unit}"


def ratio(x: float, style: str) -> tuple[str, float]:
    """Text as written and the value it states."""
    if style == "pct1":
        v = round(x * 100, 1)
        return f"{v:.1f}%", round(v / 100, 4)
    if style == "decimal":
        return f"{x:.4f}".rstrip("0").rstrip(".") if x < 1 else "1", round(x, 4)
    if style == "cn":
        v = round(x * 100, 2)
        whole, frac = int(v), f"{v:.2f}".split(".")[1].rstrip("0")
        txt = "百分之" + cn_int(whole) + ("点" + "".join(_D[int(c)] for c in frac) if frac else "")
        return txt, round(v / 100, 4)
    v = round(x * 100, 2)
    return f"{v:.2f}%", round(v / 100, 4)


def date(d: dt.date | None, style: str) -> str:
    if d is None:
        return "长期"
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "dot":
        return f"{d.year}.{d.month:02d}.{d.day:02d}"
    if style == "slash":
        return f"{d.year}/{d.month}/{d.day}"
    if style == "cn_numeral":
        y = "".join(_DATE_D[int(c)] for c in str(d.year))
        return f"{y}年{cn_int(d.month)}月{cn_int(d.day)}日"
    return d.isoformat()


def checks(options: list[str], chosen: set[str], style: str) -> str:
    parts = []
    for o in options:
        on = o in chosen
        if style == "☑□":
            parts.append(("☑" if on else "□") + o)
        elif style == "■□":
            parts.append(("■" if on else "□") + o)
        elif style == "√":
            parts.append(o + ("（√）" if on else "（  ）"))
        else:
            parts.append(("[√]" if on else "[  ]") + o)
    return "　".join(parts)


def money_cn(wan: int) -> str:
    return cn_int(wan).replace("一", "壹").replace("二", "贰").replace("三", "叁").replace("五", "伍").replace(
        "千", "仟").replace("百", "佰") + "万元整"
