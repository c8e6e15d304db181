"""spaCy, as the brief fixes it: `spacy.blank("zh")` with jieba segmentation plus our own patterns.

No statistical model is loaded (nothing may download at run time). jieba's segmentation
gives word boundaries that character regexes cannot: where a person's name ends
when OCR or a table glued the next label on ("方琳营业期限"). A SpanRuler marks the
role words (法定代表人, 甲方, 承租方 …) so a value that starts with one is read from the tokens after it.
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
_SIGNATURE_WORDS = ("签字", "盖章", "签名", "签章", "签")
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
    """The person's name that `text` starts with, cut at jieba's word boundary (2–4 characters).

    A role word the span ruler finds at the start ("法定代表人(签字):周立华" when a label was read
    as part of the value) is passed over, with the punctuation after it.
    """
    doc = nlp()(text[:24])
    start = 0
    for span in sorted(doc.spans.get("roles", []), key=lambda sp: sp.start):
        if span.start != start:
            break
        start = span.end
    tokens = [t.text for t in doc[start:] if t.text.strip()]
    if start:  # after a role word: pass over "(签字)", ":" and the like
        while tokens and (not _CJK.match(tokens[0]) or tokens[0] in _SIGNATURE_WORDS):
            tokens.pop(0)
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

