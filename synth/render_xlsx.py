"""The client list as an .xlsx workbook (openpyxl): title row, header, rows, optional 合计 row with percentages."""
from __future__ import annotations

import datetime
import io
import random

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from .documents import client_table
from .model import PackageSpec


def render(spec: PackageSpec, font_family: str, rng: random.Random) -> bytes:
    from .fonts import FONTS

    fam = FONTS[font_family][2]
    wb = Workbook()
    wb.properties.created = wb.properties.modified = datetime.datetime(2020, 1, 1)
    wb.properties.creator = "Administrator"
    ws = wb.active
    ws.title = rng.choice(["服务企业名单", "Sheet1", f"{spec.service_year}年"])
    t = client_table(spec)
    ncol = len(t.rows[0])
    ws.cell(1, 1, f"{spec.service_year}年服务企业明细表").font = Font(name=fam, size=14, bold=True)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncol)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.cell(2, 1, f"填报单位：{spec.licence.name}")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncol)
    thin = Side(style="thin")
    grid = Border(left=thin, right=thin, top=thin, bottom=thin)
    for ri, row in enumerate(t.rows):
        for ci, val in enumerate(row):
            v: object = val
            if ri and ci in (0, 6):
                v = int(val)
            elif ri and ci == 5 and spec.variants.list_date == "iso":
                v = spec.clients[ri - 1].date
            c = ws.cell(3 + ri, 1 + ci, v)
            c.font = Font(name=fam, bold=ri == 0)
            if spec.variants.table_lines == "grid":
                c.border = grid
            if isinstance(v, type(spec.clients[0].date)):
                c.number_format = "yyyy-mm-dd"
    last = 3 + len(t.rows)
    if spec.variants.xlsx_total_row:
        rows = len(spec.clients)
        first, end = 4, last - 1
        ws.cell(last, 1, "合计")
        ws.cell(last, 2, f"{len({c.uscc for c in spec.clients})}家")
        ws.cell(last, 7, f"=SUM(G{first}:G{end})")
        ws.cell(last + 1, 1, "小微企业占比")
        sm = sum(c.size in ("小型", "微型") for c in {c.uscc: c for c in spec.clients}.values())
        ws.cell(last + 1, 3, round(sm / len({c.uscc for c in spec.clients}), 4)).number_format = "0.00%"
        ws.cell(last + 2, 1, "公益性或低收费服务占比")
        ws.cell(last + 2, 3, round(sum(c.public_welfare for c in spec.clients) / rows, 4)).number_format = "0.00%"
    for col, w in zip("ABCDEFGH", [6, 34, 22, 10, 14, 13, 12, 12]):
        ws.column_dimensions[col].width = w
    ws.freeze_panes = "A4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
