"""A sheet of any length written in constant memory: openpyxl's write-only sheet, addressed cell by
cell like a normal one as long as rows are finished in order. Cells wait here until ``flush`` streams
the rows before a given one, so a payroll of 100,000 lines holds a few rows at a time.

The rows themselves are written here, in the XML openpyxl's writer gives them, to a temporary file that
``saved`` puts into the sheet: openpyxl takes about ten times as long a cell, which for 100,000 lines is
most of the roll-up's time."""
from __future__ import annotations

import io
import tempfile
import zipfile
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.cell_range import CellRange

from .derive import sheet_parts, stable_bytes
from .style import BOX


class RowWriter:
    """Column widths and frozen panes head a sheet's XML: set them before the first flush."""

    def __init__(self, ws):
        self.ws = ws
        self._rows: dict[int, dict[int, object]] = {}
        self._done = 0  # rows 1.._done are written
        self._boxes: list[list] = []  # [top, left, bottom or None (still open), right]: thin borders
        self._cached: dict[tuple[int, int], object] = {}  # a formula cell's value, as a spreadsheet would show it
        self.xml = tempfile.SpooledTemporaryFile(max_size=4 << 20)  # the sheet's rows, as XML

    def __getattr__(self, name):  # page setup, widths, protection, merged ranges: the sheet's own
        return getattr(self.ws, name)

    def __setattr__(self, name, value):  # frozen panes, print titles: set on the sheet
        if name in ("ws", "_rows", "_done", "_boxes", "_cached", "xml"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.ws, name, value)

    def cell(self, row: int, column: int, value=None):
        if row <= self._done:
            raise ValueError(f"row {row} of {self.ws.title} is already written")
        c = self._cell_in(self._rows.setdefault(row, {}), row, column)
        if value is not None:
            c.value = value
        return c

    def __getitem__(self, ref: str):
        col, row = coordinate_from_string(ref)
        return self.cell(row, column_index_from_string(col))

    def __setitem__(self, ref: str, value) -> None:
        self[ref].value = value

    def formula(self, ref: str, text: str, cached):
        """A formula with the value it computes, written with it: a phone's preview, WeChat's viewer, pandas
        or calamine show the number without recalculating (xl_kpi knows it; the spreadsheet agrees)."""
        c = self[ref]
        c.value = text
        self._cached[(c.row, c.column)] = cached
        return c

    def merge_cells(self, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
        self.ws.merged_cells.add(CellRange(min_row=start_row, min_col=start_column, max_row=end_row,
                                           max_col=end_column))

    def box(self, top: int, left: int, bottom: int | None, right: int) -> None:
        """Borders round every cell from ``top`` to ``bottom``; None: until ``end_box``."""
        self._boxes.append([top, left, bottom, right])

    def end_box(self, bottom: int) -> None:
        """The open box ends at ``bottom``."""
        next(b for b in reversed(self._boxes) if b[2] is None)[2] = bottom

    def flush(self, before: int | None = None) -> None:
        """Stream every row before ``before`` (every row, when None) to the sheet."""
        last = (max(self._rows, default=self._done) if before is None else before - 1)
        for r in range(self._done + 1, last + 1):
            cells = self._rows.pop(r, {})
            for top, left, bottom, right in self._boxes:
                if top <= r and (bottom is None or r <= bottom):
                    for col in range(left, right + 1):
                        self._cell_in(cells, r, col).border = BOX
            self.xml.write(self._row_xml(r, cells).encode("utf-8"))
        self._done = max(self._done, last)

    def _row_xml(self, r: int, cells: dict) -> str:
        attrs = "".join(f' {k}="{v}"' for k, v in dict(self.ws.row_dimensions.get(r, {})).items())
        out = [f'<row r="{r}"{attrs}>']
        for col in sorted(cells):
            c = cells[col]
            if c._value is None and not c.has_style:
                continue
            out.append(cell_xml(c, self._cached.pop((r, col), None)))
        out.append("</row>")
        return "".join(out)

    def _cell_in(self, cells: dict, row: int, column: int):
        c = cells.get(column)
        if c is None:
            c = cells[column] = WriteOnlyCell(self.ws)
            c.row, c.column = row, column
        return c


class _ByIdentity(IndexedList):
    """A workbook's list of fonts (fills, borders…) that knows an object it has seen without hashing it
    again: openpyxl hashes a style's every attribute each time a cell takes it, which for a payroll of
    100,000 lines costs more than writing the lines."""

    def __init__(self, iterable=None):
        super().__init__(iterable)
        self._ids: dict[int, tuple[object, int]] = {}

    def add(self, value):
        hit = self._ids.get(id(value))
        if hit is not None and hit[0] is value:  # the object is held here, so its id is not reused
            return hit[1]
        index = super().add(value)
        self._ids[id(value)] = (value, index)
        return index


def quick_styles(wb) -> None:
    """Style lookups by identity for a workbook written cell by cell with a few shared style objects."""
    for name in ("_fonts", "_fills", "_borders", "_alignments", "_protections", "_number_formats"):
        setattr(wb, name, _ByIdentity(getattr(wb, name)))


def _text(value: str) -> str:
    return escape(value).replace("\r", "&#13;")


def cell_xml(c, cached=None) -> str:
    """A cell as openpyxl's writer puts it (lxml_write_cell): the same bytes, a tenth of the time; a formula
    with its ``cached`` value, as a spreadsheet saves it."""
    value, kind = c._value, c.data_type
    head = f'<c r="{c.coordinate}"' + (f' s="{c.style_id}"' if c.has_style else "")
    if kind == "s":
        head += ' t="inlineStr"'
    elif kind != "f":
        head += f' t="{kind}"'
    elif isinstance(cached, str):
        head += ' t="str"'
    if value is None or value == "":
        return head + "></c>"
    if kind == "f":
        shown = "" if cached is None else _text(cached) if isinstance(cached, str) else "%.16g" % float(cached)
        return f"{head}><f>{_text(value[1:])}</f><v>{shown}</v></c>"
    if kind == "s":
        space = ' xml:space="preserve"' if value != value.strip() else ""
        return f"{head}><is><t{space}>{_text(value)}</t></is></c>"
    if kind in ("n", "b"):
        return f'{head}><v>{"%.16g" % value}</v></c>'
    raise ValueError(f"{c.coordinate}: a {kind} cell is not written here")


def saved(wb, sheets: list[RowWriter]) -> bytes:
    """The workbook's file with each sheet's rows put in, and the moment of saving taken out (the same
    content, the same bytes)."""
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as z:
        parts = sheet_parts({n: z.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")})
    return stable_bytes(buf.getvalue(), {parts[sheet.ws.title]: sheet.xml for sheet in sheets})
