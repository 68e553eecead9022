"""The look every workbook xl_kpi writes shares: header rows, input and warning colours, print setup."""
from __future__ import annotations

import math
import unicodedata

from openpyxl.styles import DEFAULT_FONT, Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a person types in
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")  # something to fix
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# bold text in the workbook's own font (a Font without a name prints in the viewer's fallback, a serif)
FONT = DEFAULT_FONT.name
BOLD = Font(name=FONT, bold=True)
TITLE = Font(name=FONT, bold=True, size=14)
HEADING = Font(name=FONT, bold=True, size=16)
MONEY = "#,##0.00"


def head(ws, row: int, labels: list[str], col: int = 1, boxed: bool = False) -> None:
    """A header row: bold, shaded, centred."""
    for i, label in enumerate(labels):
        c = put(ws, row, col + i, label)
        c.font, c.fill = BOLD, HEAD_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if boxed:
            c.border = BOX


def print_a4(ws, landscape: bool = True, footer: str | None = None) -> None:
    """A4, fitted to the page width; the footer (第&P页 共&N页) on every page."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4  # a write-only sheet lacks the constant
    if landscape:
        ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if footer:
        ws.oddFooter.center.text = footer


def box(ws, top: int, left: int, bottom: int, right: int) -> None:
    """Thin borders round every cell of a table, as a printed form has them."""
    for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right):
        for cell in row:
            cell.border = BOX


def signature_block(ws, row: int, who: list[str], date_label: str, spacing: int = 4) -> int:
    """制表人：____  审核人：____  批准人：____ on one line, 日期 under it; returns the row after."""
    for i, name in enumerate(who):
        put(ws, row, 1 + i * spacing, f"{name}：________________")
    put(ws, row + 2, 1, f"{date_label}：______年____月____日")
    return row + 3


def text_width(text) -> int:
    """Columns a text takes in a cell: a Chinese character (or full-width sign) counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def fit_row(ws, row: int, widths: dict[int, float], line_height: float = 15) -> None:
    """A row tall enough for its wrapped texts, each line break starting a line (LibreOffice and Excel keep a
    set height)."""
    lines = max((sum(max(1, math.ceil(text_width(part) / max(1, width - 1)))
                     for part in str(ws.cell(row, col).value or "").split("\n"))
                 for col, width in widths.items()), default=1)
    ws.row_dimensions[row].height = line_height * max(1, lines)


def shown_text(cell) -> str:
    """A cell's value as the sheet shows it, near enough to measure: numbers in their format."""
    v, fmt = cell.value, cell.number_format or "General"
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v).upper()
    if isinstance(v, (int, float)):
        if "%" in fmt:
            return f"{v:.{fmt.count('0') - 1 if '.' in fmt else 0}%}"
        places = len(fmt.split(".")[1].rstrip("%);_ ")) if "." in fmt else 0
        return f"{v:,.{places}f}" if "," in fmt else f"{v:.{places}f}" if "." in fmt else f"{v:g}"
    return str(v)


def fit_columns(ws, most: float = 60) -> None:
    """Each column at least as wide as its longest text at the printed font (merged titles and hidden
    columns aside), up to ``most``: nothing printed cut at a column's edge, no header wrapped onto two
    lines."""
    merged = {(r, c) for rng in ws.merged_cells.ranges for r in range(rng.min_row, rng.max_row + 1)
              for c in range(rng.min_col, rng.max_col + 1)}
    need: dict[int, float] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or (cell.row, cell.column) in merged:
                continue
            width = max(text_width(line) for line in shown_text(cell).split("\n")) + 2
            need[cell.column] = max(need.get(cell.column, 0), width)
    for col, width in need.items():
        dim = ws.column_dimensions[get_column_letter(col)]
        if not dim.hidden and (dim.width or 8.43) < width:
            dim.width = min(width, most)


def put(ws, row: int, col: int, value):
    """A cell holding a value that comes from people (roster, plan, file names, imports, messages): a text
    stays a text even when it starts with "=" (openpyxl would make ``=HYPERLINK(…)`` a live formula)."""
    cell = ws.cell(row, col, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell
