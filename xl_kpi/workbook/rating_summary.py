"""The round's summary for HR only (评分汇总): every rater's own score and comment, and where each form stands.
It stays in HR's returns folder and is never attached to anyone's mail: the people rated see only the
weighted result on their scorecard."""
from __future__ import annotations

import io
from dataclasses import dataclass

from openpyxl import Workbook

from .derive import stable_bytes
from .rating_form import words
from .style import TITLE, head, print_a4, put


@dataclass(frozen=True)
class SummaryRow:
    employee: str
    name: str
    item: str
    group: str
    rater: str
    score: float
    comment: str
    returned_at: str


def summary_bytes(department: str, round_zh: str, rows: list[SummaryRow], status: list[list]) -> bytes:
    """Two sheets: each score as its rater gave it, and each form's state (``status``: rows as status_head)."""
    wb = Workbook()
    _sheet(wb.active, "评分汇总", words("summary_title", department=department, round_zh=round_zh),
           words("summary_head"), [[r.employee, r.name, r.item, r.group, r.rater, r.score, r.comment, r.returned_at]
                                   for r in rows], (10, 10, 28, 12, 16, 8, 40, 20))
    _sheet(wb.create_sheet("收回情况"), "收回情况", words("status_title", department=department, round_zh=round_zh),
           words("status_head"), status, (10, 10, 26, 9, 8, 16, 20, 40))
    out = io.BytesIO()
    wb.save(out)
    return stable_bytes(out.getvalue())


def _sheet(ws, title: str, heading: str, header: list[str], rows: list[list], widths: tuple) -> None:
    ws.title = title
    put(ws, 1, 1, heading).font = TITLE
    head(ws, 3, header, boxed=True)
    for i, row in enumerate(rows, start=4):
        for col, value in enumerate(row, start=1):
            put(ws, i, col, value)
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[chr(64 + col)].width = width
    ws.freeze_panes = "A4"
    print_a4(ws, footer="第&P页 共&N页")
