"""A sheet of any length written in constant memory: openpyxl's write-only sheet, addressed cell by
cell like a normal one as long as rows are finished in order. Cells wait here until ``flush`` streams
the rows before a given one, so a payroll of 100,000 lines holds a few rows at a time."""
from __future__ import annotations

from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.cell_range import CellRange

from .style import BOX


class RowWriter:
    """Column widths and frozen panes head a sheet's XML: set them before the first flush."""

    def __init__(self, ws):
        self.ws = ws
        self._rows: dict[int, dict[int, object]] = {}
        self._done = 0  # rows 1.._done are written
        self._boxes: list[list] = []  # [top, left, bottom or None (still open), right]: thin borders

    def __getattr__(self, name):  # page setup, widths, protection, merged ranges: the sheet's own
        return getattr(self.ws, name)

    def __setattr__(self, name, value):  # frozen panes, print titles: set on the sheet
        if name in ("ws", "_rows", "_done", "_boxes"):
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
            self.ws.append([cells.get(c) for c in range(1, max(cells, default=0) + 1)])
        self._done = max(self._done, last)

    def _cell_in(self, cells: dict, row: int, column: int):
        c = cells.get(column)
        if c is None:
            c = cells[column] = WriteOnlyCell(self.ws)
            c.row, c.column = row, column
        return c
