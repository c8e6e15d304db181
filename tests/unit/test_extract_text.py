from __future__ import annotations

import pytest

from extractors.text import meaningful_chars, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("宁 波 市", "宁波市"),
        ("９１３３０２８２ＭＡ２２ＱＦ４ＨＸ４", "91330282MA22QF4HX4"),
        ("宁波（中国）有限公司", "宁波(中国)有限公司"),
        ("年服务 56 家", "年服务56家"),
        ("Co., Ltd.  No. 5", "Co., Ltd. No. 5"),
        ("2016 年 3 月 18 日", "2016年3月18日"),
        ("⼀⼆", "一二"),  # Kangxi radicals from some PDF fonts
        ("第一行 \n 第 二 行", "第一行\n第二行"),
        ("", ""),
    ],
)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_normalize_is_idempotent() -> None:
    s = "统一社会信用代码 ： ９１３３ 0282 宁 波"
    assert normalize_text(normalize_text(s)) == normalize_text(s)


def test_meaningful_chars_ignores_cid_junk() -> None:
    assert meaningful_chars("(cid:123)(cid:7) ...") == 0
    assert meaningful_chars("宁波 56家") == 5
