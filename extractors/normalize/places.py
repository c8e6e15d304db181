"""Ningbo place names, to mend what OCR does to rare characters in addresses (碶 → 碑 or lost, 鄞 → 郸).

Only a name one character away from exactly one known name is mended, and only where it sits
(before 区/县/市 for districts, before 街道/镇 for streets), so a correct address never changes.
"""
from __future__ import annotations

import re

from extractors.normalize.lookalikes import lookalike_typo

DISTRICTS = ("海曙区", "江北区", "鄞州区", "北仑区", "镇海区", "奉化区", "江东区", "象山县", "宁海县", "余姚市", "慈溪市",
             "奉化市")
# 街道 and 镇 of Ningbo's districts (public administrative divisions), the rare-character ones first
STREETS = (
    "新碶", "大碶", "石碶", "贵驷", "澥浦", "浒山", "梅墟", "鄞江", "姜山", "邱隘", "瞻岐", "咸祥", "塘溪", "五乡", "云龙",
    "横溪", "东吴", "钟公庙", "下应", "首南", "中河", "潘火", "百丈", "东胜", "明楼", "白鹤", "福明", "东柳", "东郊", "新明",
    "南门", "江厦", "西门", "月湖", "鼓楼", "白云", "段塘", "望春", "集士港", "古林", "高桥", "中马", "白沙", "孔浦",
    "文教", "甬江", "庄桥", "洪塘", "慈城", "小港", "霞浦", "柴桥", "戚家山", "春晓", "梅山", "白峰", "郭巨", "大榭",
    "招宝山", "蛟川", "骆驼", "庄市", "九龙湖", "锦屏", "岳林", "江口", "西坞", "萧王庙", "溪口", "阳明", "梨洲", "凤山",
    "兰江", "低塘", "朗霞", "马渚", "古塘", "白沙路", "坎墩", "宗汉", "周巷", "跃龙", "桃源", "梅林", "桥头胡", "丹东",
    "丹西", "爵溪",
)


def _one_off(a: str, b: str) -> bool:
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    if len(a) + 1 == len(b):  # a character lost
        return any(b[:i] + b[i + 1:] == a for i in range(len(b)))
    return False


# Characters OCR models rarely learned: when two names are one character away, the one whose
# differing character is rare is the likelier original.
RARE = set("碶驷澥浒鄞")


def _mend(name: str, known: tuple[str, ...]) -> str:
    """`name` as the one known name it is a rare character, or an OCR look-alike (丈 read 文), away from.
    Only those: the list is not every street there is, and a correct 长河 is one common character from a
    listed 中河."""
    if name in known:
        return name
    near = [k for k in known if (_one_off(name, k) and any(ch in RARE and ch not in name for ch in k))
            or lookalike_typo(name, k)]
    return near[0] if len(near) == 1 else name


# 园 read as 国, its look-alike, where only a park can stand: 研发园, 科技园A区, 产业园区 (no address has a 科技国)
_PARK_AS_COUNTRY = re.compile(r"(?<=研发|科技|产业|工业|创业|软件|物流|文创|创意|孵化|智慧|电商|总部|数字)国(?=[A-Za-z0-9一二三四五六七八九东南西北)）区内\d号]|$)")


def mend_address(address: str) -> str:
    """The address with district and street names mended where OCR damaged one rare character.
    Streets are mended in Ningbo addresses only (杭州市西湖区文新街道 is no misread of 文教)."""
    # one or two characters: OCR may have lost the rare one (宁波市州区 for 鄞州区)
    out = re.sub(r"(?<=宁波市)([^\s区县市]{1,2})(?=[区县市])",
                 lambda m: _mend(m.group(1) + address[m.end()], DISTRICTS)[:-1], address, count=1)
    if "宁波" in out or any(d in out for d in DISTRICTS):
        out = re.sub(r"(?<=[区县市])([\u4e00-\u9fff]{1,3}?)(?=街道|镇)", lambda m: _mend(m.group(1), STREETS), out,
                     count=1)
    out = _PARK_AS_COUNTRY.sub("园", out)
    out = re.sub(r"(?<=\d)[—–-](?=\d)", "", out)  # a dash OCR put between the digits of a house number
    # A box-shaped glyph OCR made of a seal's or a box's remains inside a house number (3田17号, 430图号).
    out = re.sub(r"(?<=\d)[田口回图囗](?=\d|号)", "", out)
    if ")" in out and "(" not in out:  # OCR lost the opening bracket of "617号(创新大厦)"
        out = re.sub(r"号([^()]{2,10})\)", r"号(\1)", out, count=1)
    return out
