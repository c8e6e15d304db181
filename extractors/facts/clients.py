"""The served-client list (服务企业名单): rows, distinct clients, small/micro and public-welfare shares.

Rows are read two ways and joined page by page: from the tables the extractor found
(docx, xlsx, text PDFs, ruled or aligned scans; header perhaps only on the first
page, or missing) and from the page's text lines (`序号 名称 代码 规模 … 是/否`).
A table drops rows at page edges and OCR splits wrapped cells into fragment rows, so
fragments are joined first and the line reading adds the rows the tables missed.
Clients are counted once by USCC or name; shares follow SPEC: small/micro over
distinct clients, public-welfare over service rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from extractors.facts.textview import TextView
from extractors.models import BBox, Cell, Evidence, ExtractedDocument, Fact, Table
from extractors.normalize.names import norm_org_name
from extractors.normalize.uscc import find_usccs, repair_uscc, validate_uscc

_TOTAL = re.compile(r"合计|总计|小计|共计")
NUMBERED_SHARE = 0.6  # rows showing a 序号 for the numbering to be checked
MISREAD_SHARE = 0.1  # of the rows: 序号 read short and off their place that still leave the numbering in order
_SIZE = (("微", "micro"), ("小", "small"), ("中", "medium"), ("大", "large"))
_SIZE_OCR = {"天": "大", "夭": "大"}  # look-alikes OCR gives for a lone 大
_PW_YES = ("是", "√", "✓", "Y", "y", "免费", "低收费", "公益", "优惠")
_PW_NO = ("否", "×", "N", "n", "市场价", "正常收费", "标准收费", "市场化", "收费")
_ORG_END = re.compile(r"(公司|厂|中心|事务所|合作社|店|部|院|所|社|场|行|馆)$")
_ORG_WORD = re.compile(r"公司|厂|中心|事务所|合作社|店|部|院")
_PLACE = re.compile(r"^(宁波|慈溪|余姚|象山|宁海|奉化|鄞州|镇海|北仑|江北|海曙|浙江)")
_CJK = r"\u4e00-\u9fff"
_LEAD = re.compile(rf"^[^{_CJK}0-9A-Za-z]*(?:[一口][^{_CJK}0-9A-Za-z]*)?(\d \d(?![0-9A-Za-z])|\d{{1,3}}(?![0-9A-Za-z]))?"
                   rf"[^{_CJK}0-9A-Za-z]*")
_CODE_HEAD = re.compile(r"[1-9ANY][0-9A-Z]\d{6}[0-9A-Z]{8}")  # a credit code's first 16 characters, as read
_GLYPH_BEFORE_NAME = re.compile(rf"[0-9A-Za-z](?=[{_CJK}]{{4}})")
_GLUED_SERIAL = re.compile(rf"(\d{{1,3}})(?=[{_CJK}])")
_NAME_RUN = re.compile(rf"[{_CJK}（）()]+")
_CODE_RUN = re.compile(r"[0-9A-Za-z]+(?: [0-9A-Za-z]+)?")
_SIZE_WORD = re.compile(r"(微型|小型|中型|大型)")
SIZE_AFTER_JUNK = 4  # characters of junk a size word may follow the code by (the second line of a wrapped row)
_DIGITS = re.compile(r"\d")
# where the 服务内容 cell starts when OCR runs the name, size and service together
_SERVICE = r"(?=信息|政策|市场|技能|财税|工商|知识|管理|新员|质量|项目|创业|咨询|培训|辅导|融资|法律|人才|技术|检测)"
_SIZE_BEFORE_SERVICE = re.compile(rf"([微小中大])型?{_SERVICE}")
_LONE_SIZE = re.compile(rf"([微小中大])型?(?:$|{_SERVICE})")
_NAME_BEFORE_SERVICE = re.compile(rf"(公司|厂|中心|事务所|合作社){_SERVICE}")
# a size right after the name's end, then the fee: the service cell wrapped onto the lines around ("…有限公司中12000否")
_SIZE_AFTER_NAME = re.compile(r"(?:公司|厂|中心|事务所|合作社)([微小中大])型?$")
_PW_OCR = {"香": "否", "杏": "否"}  # look-alikes OCR gives for a lone 否 (a phone photo's list read 否 as 香 in every row)
_PW_TAIL = re.compile(rf"(低收费|免费|市场价|正常收费|标准收费|市场化|公益|是|否|√|×|(?<=[\d ])[香杏])[^{_CJK}0-9A-Za-z]*$")


@dataclass(frozen=True)
class ClientRow:
    name: str
    uscc: str | None
    size: str | None  # micro / small / medium / large
    public_welfare: bool | None
    evidence: Evidence
    serial: int | None = None  # the row's 序号 as read


def size_of(cell: str) -> str | None:
    c = cell.replace(" ", "")
    for word in ("微型", "小型", "中型", "大型"):
        if word in c:
            return dict(_SIZE)[word[0]]
    if len(c) <= 2:
        c = "".join(_SIZE_OCR.get(ch, ch) for ch in c)
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
    # OCR leaves stray marks around a one-character answer ("和否", "是."), or reads 否 as a look-alike
    if len(c) <= 3:
        c = "".join(_PW_OCR.get(ch, ch) for ch in c)
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


def _clean_name(s: str) -> str:
    """Trim quotes and stray marks; undo OCR's doubled reading of one cell ("X公司X公司", "宁波X厂X厂")."""
    s = re.sub(r"^[\"“”'‘’。.,，、:：;|\]\[\s一口]+|[\"“”'‘’。.,，、:：;|\s]+$", "", s).replace(" ", "")
    for k in range(4, len(s) - 3):
        if s[k:] in s[:k]:
            return s[:k]
    return s


@dataclass(frozen=True)
class _Part:
    """One table row or text line as read, before fragments of one wrapped row are joined."""

    serial: str | None
    name: str
    code: str  # letters and digits as read, perhaps a fragment
    size: str | None
    pw: bool | None
    evidence: Evidence
    loose: bool = False  # read as free text (a line, or a table row off the table's grid): needs a size


def _parse_text(text: str) -> tuple[str | None, str, str, str | None, bool | None]:
    """serial, name, code, size, public-welfare from a row read as one string (`12宁波X有限公司9133…小型…否`)."""
    lead = _LEAD.match(text)
    serial = lead.group(1).replace(" ", "") if lead and lead.group(1) else None
    rest = text[lead.end():] if lead else text
    if (junk := _GLYPH_BEFORE_NAME.match(rest)) and (serial or junk.group(0).isalpha()):
        # "18 3镇海…": the name's first glyph read as a digit after the 序号; "Z宁波…": the 序号 read as a letter
        rest = rest[junk.end():]
    name, code, size = "", "", None
    m = _NAME_RUN.match(rest)
    lone = _LONE_SIZE.match(m.group(0)) if m else None
    if m:
        run = m.group(0)
        sw = _SIZE_WORD.search(run)
        if lone:  # the middle line of a row wrapped over three: the size, centred, then the service or fee
            name, size, after = "", dict(_SIZE)[lone.group(1)], run[lone.end():] + rest[m.end():]
        elif sw and (sw.start() >= 5 or sw.start() == 0):
            name, size, after = run[: sw.start()], dict(_SIZE)[sw.group(0)[0]], run[sw.end():] + rest[m.end():]
        else:
            sz = _SIZE_BEFORE_SERVICE.search(run, 5)
            nb = _NAME_BEFORE_SERVICE.search(run, 3)
            tail = _SIZE_AFTER_NAME.search(run, 5)
            if sz:
                name, size, after = run[: sz.start()], dict(_SIZE)[sz.group(1)], run[sz.end():] + rest[m.end():]
            elif tail and re.match(r"\s*\d", rest[m.end():]):
                name, size, after = run[: tail.start(1)], dict(_SIZE)[tail.group(1)], rest[m.end():]
            elif nb:
                name, after = run[: nb.end()], run[nb.end():] + rest[m.end():]
            else:
                name, after = run, rest[m.end():]
        rest = after
    rest = rest.lstrip()
    c = None if lone else _CODE_RUN.match(rest)  # a lone size's line: fee, not code
    if c:
        code = c.group(0).replace(" ", "").upper()[:18]  # a date glued on after one space is not the code's
        rest = rest[c.end():].lstrip()
    if size is None and rest[:1] in "微小中大" and rest:
        size = dict(_SIZE)[rest[0]]
    elif size is None and (sw := _SIZE_WORD.search(rest, 0, SIZE_AFTER_JUNK + 2)) and not _DIGITS.search(rest[:sw.start()]):
        size = dict(_SIZE)[sw.group(0)[0]]  # a few junk marks between code and size ("X6。区型 微型"): a wrapped row
    elif size is None and code and (sb := _SIZE_BEFORE_SERVICE.search(rest, 0, SIZE_AFTER_JUNK + 8)) and \
            sb.start() <= SIZE_AFTER_JUNK and not _DIGITS.search(rest[:sb.start()]):
        size = dict(_SIZE)[sb.group(1)]  # a bare size, then the service, after the code's lost line's junk ("M18理中信息咨询")
    pw_m = _PW_TAIL.search(rest)
    pw = pw_of(pw_m.group(1)) if pw_m else None
    return serial, _clean_name(name), code, size, pw


def _column_roles(rows: list[list[str]]) -> dict[str, int]:
    """Which column holds what, judged by the cells' content (headers are often garbled by OCR)."""
    width = max(len(r) for r in rows)
    score: dict[str, list[float]] = {k: [0.0] * width for k in ("uscc", "size", "pw", "name", "fee", "no")}
    for r in rows:
        for i, c in enumerate(r):
            c = c.replace(" ", "")
            if re.search(r"[0-9A-Za-z]{15,20}", c):
                score["uscc"][i] += 1
            if size_of(c) and len(c) <= 4:
                score["size"][i] += 1
            if pw_of(c) is not None and len(c) <= 4:
                score["pw"][i] += 1
            if _ORG_WORD.search(c) and len(c) >= 5:
                score["name"][i] += 1
            if re.fullmatch(r"[\d,.]+", c):
                score["fee"][i] += 1
            if re.fullmatch(r"\d{1,3}", c):
                score["no"][i] += 1
    roles: dict[str, int] = {}
    n = len(rows)
    for role in ("uscc", "size", "name", "pw", "fee"):
        taken = set(roles.values())
        best = max((i for i in range(width) if i not in taken), key=lambda i: score[role][i], default=None)
        if best is not None and score[role][best] >= max(1.0, 0.3 * n):
            roles[role] = best
    # the 序号 column: left of the name, mostly small numbers (fees are numbers too, further right)
    if "name" in roles and roles["name"] > 0 and score["no"][roles["name"] - 1] >= 0.3 * n:
        roles["no"] = roles["name"] - 1
    return roles


def _cells_evidence(doc: ExtractedDocument, page, cells: tuple[Cell, ...]) -> Evidence:
    boxes = [c.bbox for c in cells if c.bbox]
    confs = [c.conf for c in cells if c.conf is not None]
    return Evidence(document=doc.name, page=page.number, text=" ".join(c.text for c in cells if c.text),
                    bbox=BBox.around(boxes), confidence=min(confs) if confs else None, source=page.source)


def _cell_reader(cells: list[str], roles: dict[str, int]):
    return lambda role: cells[roles[role]] if role in roles else ""


def _table_parts(doc: ExtractedDocument, page, table: Table, known: dict[int, dict[str, int]]) -> list[_Part]:
    """A client table's rows (header, if any, and totals skipped); [] if the table is not a client list.

    A table counts as a client list by its content, not its header: continuation pages and
    tables whose header the extractor cut off have none. It needs a size column and a
    name or code column, or the width of a client table met before (`known`, by width):
    a page's last row or two are too few to judge by."""
    body = [r for r in table.rows if not _is_header([c.text for c in r])]
    if not body:
        return []
    widths = [len(r) for r in body]
    width = max(set(widths), key=lambda w: (widths.count(w), w))
    regular = [[c.text for c in r] for r in body if len(r) == width]
    roles = _column_roles(regular) if regular else {}
    if "size" not in roles or not ({"uscc", "name"} & set(roles)):
        if width not in known or len(regular) > 3:
            return []
        roles = known[width]
    known[width] = roles
    parts = []
    for r in body:
        cells = [c.text for c in r]
        if _TOTAL.search("".join(cells)[:16]):
            continue
        ev = _cells_evidence(doc, page, r)
        if len(r) != width:  # a merged or split row: read it as text
            parsed = _parse_text(" ".join(t for t in cells if t.strip()))
            name = parsed[1]
            parts.append(_Part(*parsed, ev, loose=not (len(name) >= 5 and _ORG_END.search(name))))
            continue

        cell = _cell_reader(cells, roles)
        pw = pw_of(cell("pw")) if "pw" in roles else None
        if pw is None and "pw" not in roles and "fee" in roles:
            fee = re.sub(r"[^\d.]", "", cell("fee"))
            pw = (float(fee) == 0) if fee.replace(".", "").isdigit() else None
        serial = re.sub(r"\D", "", cell("no")) or None
        name = _clean_name(cell("name"))
        if serial is None and (glued := _GLUED_SERIAL.match(name)):  # the 序号 column read into the name cell
            serial, name = glued.group(1), name[glued.end():]
        code = re.sub(r"[^0-9A-Za-z]", "", cell("uscc")).upper()
        found = find_usccs(cell("uscc"))
        if found:
            code = found[0].code
        parts.append(_Part(serial, name, code, size_of(cell("size")), pw, ev))
    return parts


def _line_parts(view: TextView) -> list[_Part]:
    """Every text line that reads like a client row, or a fragment of one."""
    parts = []
    for seg in view.segments:
        text = seg.line.text
        if not text.strip() or _TOTAL.search(text) or _is_header([text]):
            continue
        serial, name, code, size, pw = _parse_text(text)
        if not name and size is None:
            continue
        ev = view.evidence(seg.start, seg.end)
        parts.append(_Part(serial, name, code, size, pw, ev, loose=True))
    return parts


def _is_tail(name: str) -> bool:
    """The second line of a wrapped name cell: "限公司", "份有限公司", "司"."""
    return 0 < len(name) <= 5 and not _PLACE.match(name)


def _core_name(name: str) -> str:
    """The name without one stray glyph before its place name (a box or a 序号 misread: "四宁波X公司")."""
    return name[1:] if len(name) > 1 and not _PLACE.match(name) and _PLACE.match(name[1:]) else name


def _open(name: str) -> bool:
    return len(name) >= 4 and not _ORG_END.search(name)


def _join_code(a: str, b: str) -> str:
    for c in (a, b):
        if len(c) == 18 and validate_uscc(c).valid:
            return c
    if a == b or not b:
        return a
    if not a:
        return b
    return a + b if len(a + b) <= 18 else max(a, b, key=len)


def _joinable(a: _Part, b: _Part) -> bool:
    if a.evidence.page != b.evidence.page:
        return False
    if a.serial and b.serial and a.serial != b.serial and a.size is not None and b.size is not None:
        return False
    if _open(a.name) and _is_tail(b.name):
        return True  # name cell wrapped onto a second line
    if len(a.name) >= 5 and a.size is None and not b.name and b.size is not None:
        return True  # name on one line, size and fee on the next (a cell centred between wrapped lines)
    if len(a.name) >= 4 and a.size is None and _core_name(b.name).startswith(_core_name(a.name)):
        return True  # the same cell read twice, once cut short (or after a stray glyph: "四宁波东兴…")
    return len(a.code) >= 15 and a.code == b.code and (a.size is None) != (b.size is None)


def _join(a: _Part, b: _Part) -> _Part:
    name = b.name if b.name.startswith(a.name) else a.name + (b.name if _is_tail(b.name) else "")
    main, other = (b, a) if b.size is not None and a.size is None else (a, b)
    ea, eb = a.evidence, b.evidence
    span = (ea.char_span[0], eb.char_span[1]) if ea.char_span and eb.char_span else None
    confs = [c for c in (ea.confidence, eb.confidence) if c is not None]
    ev = replace(ea, text=f"{ea.text} / {eb.text}", bbox=BBox.around([ea.bbox, eb.bbox]), char_span=span,
                 confidence=min(confs) if confs else None)
    return _Part(a.serial or b.serial, name, _join_code(a.code, b.code), main.size or other.size,
                 main.pw if main.pw is not None else other.pw, ev, a.loose and b.loose)


def _join_fragments(parts: list[_Part]) -> list[_Part]:
    out: list[_Part] = []
    for p in parts:
        if out and _joinable(out[-1], p):
            out[-1] = _join(out[-1], p)
        else:
            out.append(p)
    return out


def _to_row(p: _Part) -> ClientRow:
    code, _ = _code(p.code) if p.code else (None, False)
    digits = (p.serial or "").replace(" ", "")
    serial = int(digits) if digits.isdigit() else None
    return ClientRow(name=p.name, uscc=code, size=p.size, public_welfare=p.pw, evidence=p.evidence, serial=serial)


def _is_row(p: _Part) -> bool:
    """A client row, not a fragment: a name, and (for free text) a size or else a long code and a 是/否."""
    valid_code = len(p.code) == 18 and validate_uscc(p.code).valid
    if len(p.name) < 4 and not valid_code:
        return False
    if not p.loose:
        return True
    if valid_code and p.size is not None:
        return True  # a wrapped name whose first line OCR lost ("40限公司91330204MA22DGNM31小型…")
    return len(p.name) >= 5 and (p.size is not None or (len(p.code) >= 10 and p.pw is not None))


def _same_client(a: ClientRow, b: ClientRow) -> bool:
    """The same row read twice (table and line): equal codes, or, unless both codes are valid
    and differ, near-equal names (OCR misreads a character or cuts a wrapped name short)."""
    valid = [r.uscc for r in (a, b) if r.uscc and validate_uscc(r.uscc).valid]
    if len(valid) == 2:
        return valid[0] == valid[1]
    na, nb = norm_org_name(a.name), norm_org_name(b.name)
    if len(na) < 4 or len(nb) < 4:
        return False
    return na in nb or nb in na or SequenceMatcher(None, na, nb).ratio() >= 0.85


_ORG_END = re.compile(r"(?:公司|厂|中心|事务所|合作社|店|院|所|社)$")


def _whole_row(r: ClientRow) -> bool:
    """A row the lines show beside a table (the table lost it at a page edge) counts only when it
    reads as a whole row: a valid code, or a size and a complete name or a code's first 16 characters.
    Wrapped cells glued across two rows give a broken name and no size."""
    if r.uscc is not None and validate_uscc(r.uscc).valid:
        return True
    # a code's well-formed head is a row's too: glued cells of two rows break the code as well as the name
    return r.size is not None and (bool(_ORG_END.search(norm_org_name(r.name))) or _code_key(r.uscc) is not None)


def read_clients(doc: ExtractedDocument, view: TextView) -> list[ClientRow]:
    """Client rows page by page: the table's rows, plus rows only the text lines show."""
    table_rows: dict[int, list[ClientRow]] = {}
    known: dict[int, dict[str, int]] = {}
    for page in doc.pages:
        parts = [p for t in page.tables for p in _table_parts(doc, page, t, known)]
        table_rows[page.number] = [_to_row(p) for p in _join_fragments(parts) if _is_row(p)]
    line_rows: dict[int, list[ClientRow]] = {}
    for p in _join_fragments(_line_parts(view)):
        if _is_row(p) and p.evidence.page is not None:
            line_rows.setdefault(p.evidence.page, []).append(_to_row(p))
    rows: list[ClientRow] = []
    for page in doc.pages:
        found = table_rows.get(page.number, [])
        # beside a table, a line adds a row only with a valid code of its own: wrapped cells glue two
        # rows into one line whose code is garbage
        extra = [r for r in line_rows.get(page.number, []) if not any(_same_client(r, t) for t in found)
                 and (not found or _whole_row(r))]
        rows.extend(found + extra)
    return rows


def _code_key(code: str | None) -> str | None:
    """What names the client in a credit code read whole or cut short: its first 16 characters (area code
    and the organisation code's body fix the rest, both check digits), so "9133028308790553" read in one
    row meets the same client's whole code in another."""
    return code[:16] if code and _CODE_HEAD.fullmatch(code[:16]) else None  # a valid code's head is well-formed too


def _distinct(rows: list[ClientRow]) -> dict[str, ClientRow]:
    """One entry per client: rows sharing a credit code's first 16 characters or a name are the same client
    (a code misread in one row still meets the name read in the other)."""
    distinct: dict[str, ClientRow] = {}
    alias: dict[str, str] = {}
    for r in rows:
        code = _code_key(r.uscc)
        name = norm_org_name(r.name)
        keys = [k for k in (code, name if len(name) >= 4 else None) if k]
        key = next((alias[k] for k in keys if k in alias), keys[0] if keys else f"#{len(distinct)}")
        for k in keys:
            alias.setdefault(k, key)
        distinct.setdefault(key, r)
    return distinct


def client_facts(rows: list[ClientRow]) -> dict[str, Fact]:
    if not rows:
        return {}
    distinct = _distinct(rows)
    n, r = len(distinct), len(rows)
    small_micro = sum(1 for c in distinct.values() if c.size in ("small", "micro"))
    unknown_size = sum(1 for c in distinct.values() if c.size is None)
    pw_known = [c for c in rows if c.public_welfare is not None]
    pw_yes = sum(1 for c in pw_known if c.public_welfare)
    evidence = _summary_evidence(rows)
    # one weak cell does not make a 50-row count weak (bounds carry the unreadable cells); the median row does
    confs = sorted(c.evidence.confidence for c in rows if c.evidence.confidence is not None)
    conf = confs[len(confs) // 2] if confs else None
    numbering = _numbering_mismatch(rows)
    # Unreadable cells give the bounds; rows perhaps lost or added in reading a scanned list (the 序号 show
    # how many at most) give the wider row bounds: a value clear of the threshold across them is decided.
    lost, extra = (numbering.holes, numbering.extra) if numbering else (0, 0)
    invalid = [c.uscc for c in rows if c.uscc and not validate_uscc(c.uscc).valid]
    details = {"small_micro_bounds": _share_bounds(small_micro, unknown_size, n, 0, 0),
               "public_welfare_bounds": _share_bounds(pw_yes, r - len(pw_known), r, 0, 0),
               "smes_served_row_bounds": (max(0, n - extra), n + lost),
               "small_micro_row_bounds": _share_bounds(small_micro, unknown_size, n, lost, extra),
               "public_welfare_row_bounds": _share_bounds(pw_yes, r - len(pw_known), r, lost, extra),
               "rows": r, "distinct": n, "small_micro": small_micro, "unknown_size": unknown_size,
               "public_welfare_rows": pw_yes, "public_welfare_unknown": r - len(pw_known),
               "invalid_codes": invalid, "duplicates": r - n, "numbering": numbering and numbering.note}
    # The value is the share among the rows whose cell could be read (the best estimate); the bounds
    # say how far the unreadable ones could move it, and the rules decide only outside that range.
    sized = n - unknown_size
    sm_note = f"小型+微型{small_micro}家/共{n}家" if not unknown_size else \
        f"小型+微型{small_micro}家/可识别规模的{sized}家（另{unknown_size}家规模无法识别）"
    rows_note = f"；{numbering.note}" if numbering else ""
    out = {
        "service.smes_served": Fact("service.smes_served", n, evidence, conf, f"{r}行，去重后{n}家{rows_note}", details),
        "service.small_micro_share": Fact("service.small_micro_share", round(small_micro / sized, 6) if sized else 0.0,
                                          evidence, conf, sm_note + rows_note, details),
    }
    if pw_known:
        # an unreadable 是/否 cell counts as 否: OCR garbles the denser 否 far more often than 是
        unknown_pw = r - len(pw_known)
        pw_note = f"公益或低收费{pw_yes}次/共{r}次" + (f"（其中{unknown_pw}次无法识别）" if unknown_pw else "")
        out["service.public_welfare_share"] = Fact(
            "service.public_welfare_share", round(pw_yes / r, 6), evidence, conf, pw_note + rows_note, details)
    return out


def _share_bounds(yes: int, unknown: int, total: int, lost: int, extra: int) -> tuple[float, float]:
    """Lowest and highest share: unknown cells either way, `lost` unread rows either way, and `extra`
    rows (perhaps fragments) taken out as yes rows (lowest) or as no rows (highest)."""
    base = max(1, total - extra + lost)
    return max(0, yes - extra) / base, min(1.0, (yes + unknown + lost) / base)


@dataclass(frozen=True)
class _Numbering:
    note: str
    holes: int  # numbers not seen below the top one: rows perhaps lost
    extra: int  # rows beyond the top number: fragments perhaps taken for rows


def _numbering_mismatch(rows: list[ClientRow]) -> _Numbering | None:
    """On an OCR'd list whose rows mostly show their 序号: what the numbers say when they do not run
    1..rows once each, without a gap (a row lost, a fragment taken for a row), else None. A gap may also
    be a number OCR missed on a row it read: the count is then only unsure, never changed. Rows whose
    number was unread do not fill gaps: a lost page's rows and a garbled line both leave such rows."""
    if not any(r.evidence.source is not None and r.evidence.source.value == "ocr" for r in rows):
        return None
    n = len(rows)
    numbers = [k for k in (_plausible(r.serial, n) for r in rows) if k is not None]
    if not numbers or len(numbers) < NUMBERED_SHARE * n:
        return None
    top, seen = max(numbers), set(numbers)
    twice, holes = len(numbers) - len(seen), top - len(seen)
    if not twice and top == n and not holes:
        return None
    if _numbered_in_order(rows):
        return None
    # A number seen twice is most often a misread one (3 for 13): rows read twice are one client already
    # (counted once by code or name), so only rows beyond the top number may be extra.
    note = f"序号至{top}，识别出{n}行" + (f"，缺{holes}个序号" if holes else "") + \
        (f"，{twice}个序号重复" if twice else "") + "，可能有行漏识或多识"
    return _Numbering(note, holes, max(0, n - top))


def _numbered_in_order(rows: list[ClientRow]) -> bool:
    """The 序号 say no row was lost or added: every number read whole is its row's place in the list (its
    two digits perhaps read bottom first), the last row's is its place, and nearly every one read with
    digits missing ("1" or "3" for 13: a two-digit number wrapped in a narrow column, one line of it
    unread) could be. A lost row shifts every later number off its place, and those read whole show it;
    a row added at the end has the last number off its place; a number read short and off its place
    elsewhere is a misread."""
    numbered = [(str(place), str(r.serial)) for place, r in enumerate(rows, start=1) if r.serial is not None]
    if not numbered or rows[-1].serial is None:  # unnumbered rows at the end may be fragments
        return False
    short_off = 0
    for number, read in numbered:
        if len(read) >= len(number):
            if read != number and read[::-1] != number:  # "32" for 23: the wrapped digits read bottom first
                return False
        elif not _digits_within(read, number):
            short_off += 1
    return _digits_within(numbered[-1][1], numbered[-1][0]) and short_off <= MISREAD_SHARE * len(rows)


def _digits_within(read: str, number: str) -> bool:
    it = iter(number)
    return all(d in it for d in read)


def _plausible(serial: int | None, rows: int) -> int | None:
    """A 序号 as a row number: one beyond the rows read twice over is OCR's, and "4545" is 45 read from
    the cell and the line both (only beyond the rows: 11 and 22 are row numbers)."""
    if serial is None or serial < 1:
        return None
    if serial > rows:
        digits = str(serial)
        half = len(digits) // 2
        if len(digits) % 2 == 0 and digits[:half] == digits[half:]:
            serial = int(digits[:half])
    return serial if serial <= 2 * rows else None


def _summary_evidence(rows: list[ClientRow]) -> tuple[Evidence, ...]:
    """First and last row of the list: where the officer starts and ends counting."""
    if len(rows) == 1:
        return (rows[0].evidence,)
    return (rows[0].evidence, rows[-1].evidence)


__all__ = ["ClientRow", "read_clients", "client_facts"]
