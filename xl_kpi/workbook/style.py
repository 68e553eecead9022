"""The look every workbook xl_kpi writes shares: header rows, input and warning colours, print setup."""
from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a person types in
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")  # something to fix
GOOD_FILL = PatternFill("solid", fgColor="C6EFCE")
THIN = Side(style="thin", color="999999")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
MONEY = "#,##0.00"


def head(ws, row: int, labels: list[str], col: int = 1, boxed: bool = False) -> None:
    """A header row: bold, shaded, centred."""
    for i, label in enumerate(labels):
        c = put(ws, row, col + i, label)
        c.font, c.fill = BOLD, HEAD_FILL
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if boxed:
            c.border = BOX


def print_a4(ws, landscape: bool = True) -> None:
    """A4, fitted to the page width."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if landscape:
        ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def put(ws, row: int, col: int, value):
    """A cell holding a value that comes from people (roster, plan, file names, imports, messages): a text
    stays a text even when it starts with "=" (openpyxl would make ``=HYPERLINK(…)`` a live formula)."""
    cell = ws.cell(row, col, value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell
