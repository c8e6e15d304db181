"""Comparison forms of organisation names, person names and addresses; Ningbo districts."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.normalize.districts import NINGBO_DISTRICTS, district_for_code, is_ningbo_area
from extractors.normalize.names import norm_address, norm_org_name, norm_person_name, same_org

NAME = "宁波市甬创(科技)服务有限公司"


@pytest.mark.parametrize(
    "variant",
    ["宁波市甬创（科技）服务有限公司", "宁波市甬创【科技】服务有限公司", "宁波市甬创〔科技〕服务有限公司",
     "宁波市甬创[科技]服务有限公司", " 宁波市 甬创 ( 科技 ) 服务有限公司 ", "宁波市甬创\u3000（科技）服务有限公司。",
     "“宁波市甬创（科技）服务有限公司”", "宁波市甬创(科技)服务\n有限公司；", "宁波市甬创［科技］服务有限公司"],
)  # fmt: skip
def test_org_name_variants(variant: str) -> None:
    assert norm_org_name(variant) == NAME
    assert same_org(variant, NAME)


def test_different_orgs_differ() -> None:
    assert not same_org("宁波市甬创科技服务有限公司", "宁波市甬创科技服务有限责任公司")
    assert not same_org("宁波甬创", "宁波市甬创")
    assert not same_org("", "")
    assert not same_org(" ", "\u3000")  # blanks never match


def test_org_name_full_width_latin() -> None:
    assert norm_org_name("宁波ＡＢＣ科技有限公司") == "宁波ABC科技有限公司"


@pytest.mark.parametrize(
    "variant", ["阿卜杜·热合曼", "阿卜杜・热合曼", "阿卜杜•热合曼", "阿卜杜 . 热合曼", "阿卜杜热合曼", "阿卜杜．热合曼"]
)
def test_person_name_dots(variant: str) -> None:
    assert norm_person_name(variant) == "阿卜杜热合曼"


def test_person_name_spaces_and_width() -> None:
    assert norm_person_name(" 张  三 ") == norm_person_name("张三") == "张三"
    assert norm_person_name("Ｌｉ　Ｍｉｎｇ") == "LiMing"


@pytest.mark.parametrize(
    "variant",
    [
        "浙江省宁波市鄞州区首南街道天童南路588号",
        "中国浙江省宁波市鄞州区首南街道天童南路588号",
        "宁波市鄞州区首南街道 天童南路５８８号",
        "中国 浙江省 宁波市鄞州区首南街道天童南路588号。",
        "中华人民共和国浙江省宁波市鄞州区首南街道天童南路588号",
    ],
)
def test_address_variants(variant: str) -> None:
    assert norm_address(variant) == "宁波市鄞州区首南街道天童南路588号"


_text = st.text(alphabet=st.sampled_from(list("宁波市甬创科技服务有限公司()（）【】ABC123 \u3000")), max_size=30)


@given(_text)
def test_norm_org_name_idempotent(s: str) -> None:
    once = norm_org_name(s)
    assert norm_org_name(once) == once
    assert not any(c.isspace() for c in once)


@given(_text, st.integers(min_value=0, max_value=30))
def test_inserted_space_and_width_do_not_matter(s: str, at: int) -> None:
    spaced = s[:at] + " \u3000" + s[at:]
    wide = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)
    assert norm_org_name(spaced) == norm_org_name(s) == norm_org_name(wide)
    assert norm_address(spaced) == norm_address(s)
    assert norm_person_name(spaced) == norm_person_name(s)


@given(_text)
def test_norm_output_is_nfkc(s: str) -> None:
    for f in (norm_org_name, norm_person_name, norm_address):
        out = f(s)
        assert unicodedata.normalize("NFKC", out) == out


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("330200", "宁波市"),
        ("330201", "市辖区"),
        ("330203", "海曙区"),
        ("330204", "江东区"),
        ("330205", "江北区"),
        ("330206", "北仑区"),
        ("330211", "镇海区"),
        ("330212", "鄞州区"),
        ("330213", "奉化区"),
        ("330225", "象山县"),
        ("330226", "宁海县"),
        ("330281", "余姚市"),
        ("330282", "慈溪市"),
        ("330283", "奉化市"),
    ],
)
def test_districts(code: str, name: str) -> None:
    assert district_for_code(code) == name
    assert is_ningbo_area(code)


def test_not_ningbo() -> None:
    assert district_for_code("330106") is None
    assert not is_ningbo_area("330106")  # 杭州市西湖区
    assert not is_ningbo_area("3302")
    assert not is_ningbo_area("33020A")
    assert is_ningbo_area("330299")  # the rule is the 3302 prefix, not our list


def test_district_names_list() -> None:
    assert "海曙区" in NINGBO_DISTRICTS and "奉化市" in NINGBO_DISTRICTS
    assert "市辖区" not in NINGBO_DISTRICTS and len(set(NINGBO_DISTRICTS)) == len(NINGBO_DISTRICTS) == 12
