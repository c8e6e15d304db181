"""Document kinds: the materials of Art. 9/15 plus the served-client list, recognised from content."""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from extractors.models import Evidence, ExtractedDocument


class DocumentKind(str, Enum):
    FORM = "form"
    REPORT = "report"
    LICENSE = "license"
    PREMISES = "premises"
    EQUIPMENT = "equipment"
    STAFF = "staff"
    DECLARATION = "declaration"
    AGREEMENT = "agreement"
    SELF_EVAL = "self_eval"
    QUALIFICATION = "qualification"
    CLIENT_LIST = "client_list"


# (kind, title pattern, body pattern): a title hit near the top outweighs body hits.
_SIGNS: tuple[tuple[DocumentKind, str, str], ...] = (
    (DocumentKind.FORM, r"申请表|申报表", r"申请类别|服务类别|年服务中小微企业|集聚服务机构|推荐意见"),
    (DocumentKind.SELF_EVAL, r"自评报告|自评|成效.{0,4}报告", r"自评|成效"),
    (DocumentKind.REPORT, r"申请报告|申报报告", r"运营单位简介|服务机构简介|整合社会服务资源|经济效益和社会效益"),
    (DocumentKind.LICENSE, r"营业执照|营业.照|营.执照|法人证书|登记证书|执业许可证",
     r"登记机关|经营范围|业务范围|营业期限|注册资本|开办资金|企业信用信息公示系统|市场监督管理"),
    (DocumentKind.PREMISES, r"租赁合同|租赁协议|租房合同|产权证|不动产权|房屋所有权", r"出租方|承租方|租赁期限|租金|权利人"),
    (DocumentKind.EQUIPMENT, r"设备清单|设施清单|设施设备|仪器设备|软件清单", r"规格型号|购置日期|设备名称"),
    (DocumentKind.STAFF, r"人员名单|人员情况|人员一览|团队名单|专业人员", r"职称|学历|从业年限|专/兼职|专职"),
    (DocumentKind.DECLARATION, r"真实性|声明|承诺书|诚信承诺", r"郑重声明|真实性|虚假|承担.{0,6}责任"),
    (DocumentKind.AGREEMENT, r"合作协议|框架协议|协议书|合作备忘录", r"甲方|乙方|合作期限|有效期"),
    (DocumentKind.QUALIFICATION, r"资质证书|资格证书|认证证书|认定证书|资质等级|许可证|备案证明|证书", r"证书编号|发证|有效期|认证范围|资质"),
    (DocumentKind.CLIENT_LIST, r"服务企业名单|服务企业明细|服务企业.{0,4}表|服务台账|客户名单", r"企业规模|服务内容|服务日期|收费"),
)

_TITLE_CHARS = 160
SUBSTANTIVE_CHARS = 8  # a shorter line is a page number, a stray cell or a signature
_CLIENT_ROW = re.compile(r"[0-9A-Z]{10,20}")
_SIZE_WORD = re.compile(r"[大中小微]型")
_NAMED_ROW = re.compile(r"(?:公司|厂|中心|事务所|合作社).{0,40}[大中小微]型.{0,40}[是否]")
_SHORT_SIZE = re.compile(r"[0-9A-Z]{15,20}\W{0,3}[大中小微甲]")  # 规模 written 大/中/小/微 right after the code


@dataclass(frozen=True)
class Classification:
    kinds: tuple[DocumentKind, ...]  # primary first
    scores: dict[str, float]
    evidence: Evidence | None


def _client_table_present(doc: ExtractedDocument) -> bool:
    for page in doc.pages:
        for table in page.tables:
            for row in table.rows[:3]:
                head = "".join(c.text for c in row)
                if ("企业名称" in head or "客户名称" in head or "单位名称" in head) and (
                    "规模" in head or "类型" in head or "信用代码" in head
                ):
                    return True
    head = doc.text[:100000]
    if re.search(r"企业名称.{0,40}(统一社会信用代码|信用代码).{0,40}(规模|类型)", head, re.S):
        return True
    # a continuation page (a second photo, a page without the header): rows of code + size, or, where narrow
    # columns wrapped the codes away, of a client's name, size and 是/否 (a last page may hold only a few)
    lines = head.split("\n")
    rows = sum(1 for ln in lines if _CLIENT_ROW.search(ln) and (_SIZE_WORD.search(ln) or _SHORT_SIZE.search(ln)))
    named = _named_rows(lines)
    if rows >= 5 or named >= 3:
        return True
    # the last photo of a list may hold a row or two and nothing else: rows make at least half its text
    substantive = sum(1 for ln in lines if len(ln.replace(" ", "")) >= SUBSTANTIVE_CHARS)
    return max(rows, named) >= 1 and 2 * max(rows, named) >= substantive


def _named_rows(lines: list[str]) -> int:
    """Lines, or pairs of lines, reading as a client's name, size and 是/否: OCR reads a row wrapped in
    narrow columns as two lines (the 序号's first digit and half the code above, the rest below)."""
    count, i = 0, 0
    while i < len(lines):
        if _NAMED_ROW.search(lines[i]):
            count, i = count + 1, i + 1
        elif i + 1 < len(lines) and _NAMED_ROW.search(lines[i] + " " + lines[i + 1]):
            count, i = count + 1, i + 2
        else:
            i += 1
    return count


def _title_zone(text: str) -> str:
    """The first short lines: where a document's title sits (long lines are body text, which may
    mention other materials, as a declaration lists 申请表、申请报告)."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    short = [ln for ln in lines[:6] if len(ln) <= 32]
    return "\n".join(short)[:_TITLE_CHARS]


def classify(doc: ExtractedDocument) -> Classification:
    text = doc.text
    top = _title_zone(text)
    scores: dict[DocumentKind, float] = {}
    first_title: dict[DocumentKind, int] = {}
    for kind, title, body in _SIGNS:
        score = 0.0
        m = re.search(title, top)
        if m:
            score += 10 - m.start() / 40  # the earlier the title, the stronger
            first_title[kind] = m.start()
        score += min(len(re.findall(body, text)), 6) * 0.8
        if score:
            scores[kind] = score
    # Tie-breaks the titles alone cannot make: 合作协议 and 租赁协议 are both 协议; a report quoting 申请表
    if DocumentKind.PREMISES in first_title and DocumentKind.AGREEMENT in scores:
        scores[DocumentKind.AGREEMENT] -= 6
    if DocumentKind.LICENSE in first_title and DocumentKind.QUALIFICATION in scores:
        scores[DocumentKind.QUALIFICATION] -= 6
    if DocumentKind.SELF_EVAL in first_title and DocumentKind.REPORT in scores:
        scores[DocumentKind.REPORT] -= 6
    if DocumentKind.FORM in first_title and DocumentKind.REPORT in first_title:
        # "…申请表" vs "…申请报告": whichever title comes first on the page is the document's
        loser = DocumentKind.REPORT if first_title[DocumentKind.FORM] <= first_title[DocumentKind.REPORT] else DocumentKind.FORM
        scores[loser] -= 8
    ranked = sorted(((s, k) for k, s in scores.items() if s >= 2.4), reverse=True)
    kinds = [k for _, k in ranked[:1]]
    if _client_table_present(doc) and DocumentKind.CLIENT_LIST not in kinds:
        kinds.append(DocumentKind.CLIENT_LIST)
    ev = None
    if kinds and kinds[0] in first_title:
        pos = first_title[kinds[0]]
        ev = Evidence(document=doc.name, page=1, text=top[max(0, pos - 20): pos + 20].strip())
    return Classification(kinds=tuple(kinds), scores={k.value: round(v, 2) for k, v in scores.items()}, evidence=ev)
