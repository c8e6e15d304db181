"""Characters OCR confuses with each other, so two readings that differ only there may be one name.

Pairs are the ones seen misread on our scans and photos (卢→户 on a 200 dpi form) and the classic
look-alikes of Chinese OCR; each pair differs by a stroke or a dot. Two real people whose names differ
in exactly one such character are rare, and an officer looks at those anyway.
"""
from __future__ import annotations

_PAIRS = (
    "卢户", "户尸", "王玉", "玉主", "王主", "土士", "己已", "已巳", "己巳", "未末", "人入", "日曰", "戊戌", "戌戍",
    "大太", "太犬", "天夭", "千干", "于干", "侯候", "汨汩", "赢羸", "折拆", "苟茍", "亳毫", "晴睛", "崇祟",
    "刺剌", "微徽", "治冶", "贝见", "免兔", "鸟乌", "今令", "夫失", "毛手", "予矛", "田由", "甲申", "白自",
    "凡风", "力刀", "刀刁", "办为", "东车", "红江", "林材", "朱米", "宇字", "杨扬", "梁粱", "张涨", "孙逊",
    "钱线", "陈阵", "郑邓", "丽骊", "婷停", "娟涓", "霞震", "磊垒", "鹏鸭", "旭旨", "覃草", "丈文", "骆路",
)
LOOKALIKES: frozenset[frozenset[str]] = frozenset(frozenset(p) for p in _PAIRS)


def lookalike_typo(a: str, b: str) -> bool:
    """Same length, exactly one character different, and that pair a known OCR look-alike."""
    if len(a) != len(b) or not a:
        return False
    diff = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(diff) == 1 and frozenset(diff[0]) in LOOKALIKES


# Letters and digits OCR takes for one another (a credit code's alphabet): each group's members look alike.
_CODE_GROUPS = ("0ODQ", "1IL7", "2Z", "5S", "6G", "8B3", "4A", "UV", "VY", "MN", "CG", "EF", "PR", "KX", "HN")


def code_misread(a: str, b: str) -> bool:
    """Could OCR have turned one of two codes of equal length into the other? True when every differing
    character is a look-alike pair, or when they differ in more than two places (nothing to tell then)."""
    if len(a) != len(b):
        return True
    diff = [(x, y) for x, y in zip(a.upper(), b.upper(), strict=True) if x != y]
    if len(diff) > 2:
        return True
    return all(any(x in g and y in g for g in _CODE_GROUPS) for x, y in diff)
