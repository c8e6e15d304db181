"""Person names cut at jieba's word boundaries, role words from the span ruler passed over."""
import pytest

from extractors.facts.nlp import person_at_start


@pytest.mark.parametrize("text,name", [
    ("周立华注册资本叁佰万元", "周立华"),
    ("方琳营业期限2013", "方琳"),
    ("欧阳志远经营范围", "欧阳志远"),
    ("法定代表人周立华", "周立华"),
    ("法定代表人(签字):周立华", "周立华"),
])
def test_name_at_start(text, name):
    assert person_at_start(text) == name


@pytest.mark.parametrize("text", ["(签字)", "法定代表人(签字):", "7误"])
def test_no_name(text):
    assert person_at_start(text) is None
