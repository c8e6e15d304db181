"""spaCy, as the brief fixes it: `spacy.blank("zh")` with jieba segmentation plus our own patterns.

No statistical model is loaded (nothing may download at run time). jieba's segmentation
gives word boundaries that character regexes cannot: where a person's name ends
when OCR or a table glued the next label on ("方琳营业期限"). A SpanRuler marks the
role words (法定代表人, 甲方, 承租方 …) so a name is read as the tokens after one.
"""
from __future__ import annotations

import logging
import re
from functools import lru_cache

import spacy
from spacy.language import Language

log = logging.getLogger(__name__)

ROLE_WORDS = ("法定代表人", "法人代表", "负责人", "执行事务合伙人", "联系人", "甲方", "乙方", "出租方", "承租方")
_CJK = re.compile(r"^[\u4e00-\u9fff·]+$")
_NOT_NAME = set("签字盖章")  # a signature line, not a name
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐", "尉迟", "公孙", "长孙", "宇文", "夏侯", "端木")


@lru_cache(maxsize=1)
def nlp() -> Language:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    pipeline = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    ruler = pipeline.add_pipe("span_ruler", config={"spans_key": "roles"})
    ruler.add_patterns([{"label": "ROLE", "pattern": w} for w in ROLE_WORDS])
    return pipeline


def person_at_start(text: str) -> str | None:
    """The person's name that `text` starts with, cut at jieba's word boundary (2–4 characters)."""
    doc = nlp()(text[:16])
    tokens = [t.text for t in doc if t.text.strip()]
    if not tokens or not _CJK.match(tokens[0]):
        return None
    name = tokens[0]
    if name in _COMPOUND_SURNAMES and len(tokens) > 1 and _CJK.match(tokens[1]) and len(tokens[1]) <= 2:
        return name + tokens[1]
    # jieba may split a rare given name off the surname ("叶" "小芳"): join short pieces
    i = 1
    while len(name) < 3 and i < len(tokens) and _CJK.match(tokens[i]) and len(name) + len(tokens[i]) <= 3 \
            and not any(ch in _NOT_NAME for ch in tokens[i]):
        name += tokens[i]
        i += 1
    if not 2 <= len(name) <= 4 or any(ch in _NOT_NAME for ch in name):
        return None
    return name


def roles(text: str) -> list[tuple[str, int, int]]:
    """Role words found by the span ruler: (word, start char, end char)."""
    doc = nlp()(text)
    return [(s.text, s.start_char, s.end_char) for s in doc.spans.get("roles", [])]
