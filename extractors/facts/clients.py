"""The served-client list (服务企业名单): rows, distinct clients, small/micro and public-welfare shares.

Rows come from tables when the extractor found them (docx, xlsx, text PDFs, ruled
scans) and otherwise from text lines that carry a credit code. Clients are counted
once by USCC (else by normalised name); shares follow SPEC: small/micro over
distinct clients, public-welfare over service rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.facts.textview import TextView
from extractors.models import BBox, Evidence, ExtractedDocument, Fact, Table
from extractors.normalize.names import norm_org_name
from extractors.normalize.uscc import find_usccs, repair_uscc, validate_uscc

_COLS = {
    "name": r"企业名称|客户名称|单位名称|服务对象|企业\(单位\)名称|名称",
    "uscc": r"信用代码|统一代码",
    "size": r"规模|类型|划型",
    "pw": r"公益|低收费|收费类型|服务性质|是否免费|收费性质",
    "fee": r"收费金额|金额|收费\(元\)|费用",
}
_TOTAL = re.compile(r"合计|总计|小计|共计")
_SIZE = (("微", "micro"), ("小", "small"), ("中", "medium"), ("大", "large"))
_PW_YES = ("是", "√", "✓", "Y", "y", "免费", "低收费", "公益", "优惠")
_PW_NO = ("否", "×", "N", "n", "市场价", "正常收费", "标准收费", "市场化", "收费")


@dataclass(frozen=True)
class ClientRow:
    name: str
    uscc: str | None
    size: str | None  # micro / small / medium / large
    public_welfare: bool | None
    evidence: Evidence


def size_of(cell: str) -> str | None:
    c = cell.replace(" ", "")
    for word in ("微型", "小型", "中型", "大型"):
        if word in c:
            return dict(_SIZE)[word[0]]
    if len(c) <= 2:
        for ch, size in _SIZE:
            if ch in c:
                return size
    return None


def pw_of(cell: str) -> bool | None:
    c = cell.replace(" ", "")
    if not c:
        return None
    for w in ("低收费", "免费", "公益"):
        if w in c:
            return True
    for w in ("市场价", "正常收费", "标准收费", "市场化"):
        if w in c:
            return False
    if c in _PW_YES:
        return True
    if c in _PW_NO:
        return False
    # OCR leaves stray marks around a one-character answer ("和否", "是.")
    if len(c) <= 3 and ("是" in c) != ("否" in c):
        return "是" in c
    return None


def _code(cell: str) -> tuple[str | None, bool]:
    spans = find_usccs(cell)
    for sp in spans:
        if sp.valid or sp.repaired:
            return (sp.code, True) if sp.valid else (sp.repaired, True)
    raw = re.sub(r"[^0-9A-Za-z]", "", cell).upper()
    if len(raw) == 18:
        fixed = repair_uscc(raw)
        return (fixed, True) if fixed else (raw, validate_uscc(raw).valid)
    if spans:
        return spans[0].code, False
    return (raw, False) if 15 <= len(raw) <= 20 else (None, False)


def _is_header(cells: list[str]) -> bool:
    t = "".join(cells).replace(" ", "")
    hits = sum(bool(re.search(rx, t)) for rx in (r"名称", r"代码", r"规|模|类型", r"序号", r"服务内容|服务日期"))
    return hits >= 3


def _column_roles(rows: list[list[str]]) -> dict[str, int]:
    """Which column holds what, judged by the cells' content (headers are often garbled by OCR)."""
    width = max(len(r) for r in rows)
    score: dict[str, list[float]] = {k: [0.0] * width for k in ("uscc", "size", "pw", "name", "fee")}
    for r in rows:
        for i, c in enumerate(r):
            c = c.replace(" ", "")
            if re.search(r"[0-9A-Za-z]{15,20}", c):
                score["uscc"][i] += 1
            if size_of(c) and len(c) <= 4:
                score["size"][i] += 1
            if pw_of(c) is not None and len(c) <= 4:
                score["pw"][i] += 1
            if re.search(r"公司|厂|中心|事务所|合作社|店|部|院", c) and len(c) >= 5:
                score["name"][i] += 1
            if re.fullmatch(r"[\d,.]+", c):
                score["fee"][i] += 1
    roles: dict[str, int] = {}
    n = len(rows)
    for role in ("uscc", "size", "name", "pw", "fee"):
        taken = set(roles.values())
        best = max((i for i in range(width) if i not in taken), key=lambda i: score[role][i], default=None)
        if best is not None and score[role][best] >= max(1.0, 0.3 * n):
            roles[role] = best
    return roles


def _rows_from_tables(doc: ExtractedDocument) -> list[ClientRow]:
    """Rows of every client table in the document (continuation pages too), columns judged by content."""
    raw: list[tuple[list[str], tuple, int, object]] = []
    seen_header = False
    for page in doc.pages:
        for table in page.tables:
            for r in table.rows:
                cells = [c.text for c in r]
                if _is_header(cells):
                    seen_header = True
                    continue
                raw.append((cells, r, page.number, page.source))
    if not seen_header or not raw:
        return []
    width = max(len(c) for c, *_ in raw)
    body = [c for c, *_ in raw if len(c) >= width - 1]
    roles = _column_roles(body)
    if "uscc" not in roles and "name" not in roles:
        return []
    rows = []
    for cells, r, page_no, source in raw:
        if len(cells) < width - 1:
            continue
        row = _row(cells, roles, r, page_no, doc.name, source)
        if row:
            rows.append(row)
    return rows


def _row(cells, roles, r, page_no, doc_name, source) -> ClientRow | None:
    def cell(col: str) -> str:
        i = roles.get(col)
        return cells[i] if i is not None and i < len(cells) else ""

    name = re.sub(r"^[\"“”'‘’。.,，\s]+|[\"“”'‘’。.,，\s]+$", "", cell("name"))
    joined = "".join(cells)
    if _TOTAL.search(joined[:16]) or _is_header(cells):
        return None
    code, _ = _code(cell("uscc")) if "uscc" in roles else (None, False)
    if not name and not code:
        return None
    pw = pw_of(cell("pw")) if "pw" in roles else None
    if pw is None and "pw" not in roles and "fee" in roles:
        fee = re.sub(r"[^\d.]", "", cell("fee"))
        pw = (float(fee) == 0) if fee.replace(".", "").isdigit() else None
    boxes = [c.bbox for c in r if c.bbox]
    confs = [c.conf for c in r if c.conf is not None]
    ev = Evidence(document=doc_name, page=page_no, text=" ".join(c for c in cells if c), bbox=BBox.around(boxes),
                  confidence=min(confs) if confs else None, source=source)
    return ClientRow(name=name, uscc=code, size=size_of(cell("size")), public_welfare=pw, evidence=ev)


def _rows_from_text(view: TextView) -> list[ClientRow]:
    rows = []
    text = view.text
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        codes = find_usccs(line)
        if not codes or _TOTAL.search(line):
            continue
        sp = codes[0]
        before = re.sub(r"^\s*\d{1,3}\s*", "", line[: sp.start]).replace(" ", "")
        after = line[sp.end:]
        tokens = after.split()
        size = next((size_of(t) for t in tokens if size_of(t)), None)
        pw = next((pw_of(t) for t in reversed(tokens) if pw_of(t) is not None), None)
        ev = view.evidence(start, start + len(line))
        rows.append(ClientRow(name=before, uscc=sp.code, size=size, public_welfare=pw, evidence=ev))
    return rows


def read_clients(doc: ExtractedDocument, view: TextView) -> list[ClientRow]:
    rows = _rows_from_tables(doc)
    text_rows = _rows_from_text(view)
    # OCR may miss a table's structure on some pages: keep whichever reading found more rows
    return rows if len(rows) >= len(text_rows) else text_rows


def client_facts(rows: list[ClientRow]) -> dict[str, Fact]:
    if not rows:
        return {}
    distinct: dict[str, ClientRow] = {}
    for r in rows:
        key = r.uscc if r.uscc and validate_uscc(r.uscc).valid else norm_org_name(r.name)
        distinct.setdefault(key, r)
    n = len(distinct)
    small_micro = sum(1 for r in distinct.values() if r.size in ("small", "micro"))
    unknown_size = sum(1 for r in distinct.values() if r.size is None)
    pw_known = [r for r in rows if r.public_welfare is not None]
    pw_yes = sum(1 for r in pw_known if r.public_welfare)
    evidence = _summary_evidence(rows)
    # one weak cell does not make a 50-row count weak (bounds carry the unreadable cells); the median row does
    confs = sorted(r.evidence.confidence for r in rows if r.evidence.confidence is not None)
    conf = confs[len(confs) // 2] if confs else None
    invalid = [r.uscc for r in rows if r.uscc and not validate_uscc(r.uscc).valid]
    # what the unreadable cells could at most change: rules decide only when both bounds agree
    details = {"small_micro_bounds": (small_micro / n, (small_micro + unknown_size) / n),
               "public_welfare_bounds": (pw_yes / len(rows), (pw_yes + len(rows) - len(pw_known)) / len(rows)),
               "rows": len(rows), "distinct": n, "small_micro": small_micro, "unknown_size": unknown_size,
               "public_welfare_rows": pw_yes, "public_welfare_unknown": len(rows) - len(pw_known),
               "invalid_codes": invalid, "duplicates": len(rows) - n}
    out = {
        "service.smes_served": Fact("service.smes_served", n, evidence, conf, f"{len(rows)}行，去重后{n}家", details),
        "service.small_micro_share": Fact("service.small_micro_share", round(small_micro / n, 6), evidence, conf,
                                          f"小型+微型{small_micro}家/共{n}家", details),
    }
    if pw_known:
        out["service.public_welfare_share"] = Fact(
            "service.public_welfare_share", round(pw_yes / len(rows), 6), evidence, conf,
            f"公益或低收费{pw_yes}次/共{len(rows)}次", details)
    return out


def _summary_evidence(rows: list[ClientRow]) -> tuple[Evidence, ...]:
    """First and last row of the list: where the officer starts and ends counting."""
    if len(rows) == 1:
        return (rows[0].evidence,)
    return (rows[0].evidence, rows[-1].evidence)


def clients_fact(rows: list[ClientRow]) -> Fact:
    return Fact("clients", rows, ())


__all__ = ["ClientRow", "read_clients", "client_facts", "clients_fact", "Table"]
