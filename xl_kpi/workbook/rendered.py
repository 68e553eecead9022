"""A workbook read back exactly as xl_kpi wrote it, without parsing it as a spreadsheet.

Most workbooks an import or a regeneration reads were written by xl_kpi and not opened since (a month's
platform data comes before people fill their forms). Such a file is its role's template with each slot's
cell put in (derive.py), so it is read by checking the template's fixed text and taking the slot cells from
between: a fraction of a full parse. A file that differs anywhere (saved by Excel, WPS or LibreOffice,
typed in, or from another plan) is not read here: the caller reads it the full way (reader.py).
"""
from __future__ import annotations

import io
import os
import re
import stat
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import unescape

from python_calamine import CalamineWorkbook

from . import zipped
from .cells import META_SHEET
from .derive import Template
from .reader import (
    MAX_EXPANDED,
    WorkbookData,
    _clean,
    _col_index,
    _formula_coords,
    _layout,
    assemble,
    read_workbook,
)

_NUMBER = re.compile(r"><v>(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)</v></c>")  # repr of a finite float, or an int
_TEXT = re.compile(r' t="inlineStr"><is><t xml:space="preserve">([^<\r]*)</t></is></c>')
_COORD = re.compile(r"([A-Z]+)(\d+)")


class _Shape:
    """What a template's files look like, worked out once: each sheet part's slot cells as (sheet, row
    index, column index), the cells of the template with nothing filled in, its formulas in typed cells."""

    def __init__(self, template: Template):
        sheet_of = {part: sheet for sheet, part in template.parts.items()}
        # per part: the text before the first slot, then per slot what its cell starts with, its kind, where
        # it is, and the template's text after it
        self.parts = {part: (texts[0], [_slot(template, p, sheet_of[part], text) for p, text in zip(pieces, texts[1:])],
                             {(sheet_of[part], _index(p.coord)): _computed(*_after_start(template, p))
                              for p in pieces if p.kind == "formula"})
                      for part, (texts, pieces) in template.pieces.items()}
        blank = template.render({})
        with zipfile.ZipFile(io.BytesIO(blank)) as z:
            self.workbook_xml = z.read("xl/workbook.xml")
            typed = _layout(self.workbook_xml).typed
            self.formula_cells = frozenset((sheet, c) for sheet, part in template.parts.items()
                                           for c in _formula_coords(z.read(part)) if (sheet, c) in typed)
        wb = CalamineWorkbook.from_filelike(io.BytesIO(blank))
        self.sheet_names = list(wb.sheet_names)
        self.grids = {sheet: wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False) for sheet in self.sheet_names}
        # the blank template's named values, and which of them a slot cell gives, so a file's are the blank's
        # with its slots put in
        self.blank = assemble(Path(), self.workbook_xml, self.grids.__getitem__, self.sheet_names, self.formula_cells,
                              as_written=True)
        slots = {(sheet, rc) for _, held, _ in self.parts.values() for *_, sheet, rc, _ in held}
        lay = _layout(self.workbook_xml)
        self.values = [(n, sh, (r, c)) for n, sh, r, c in lay.values if (sh, (r, c)) in slots]
        self.rules = [(m, sh, (r, c)) for m, sh, r, c in lay.rules if (sh, (r, c)) in slots]
        self.adjustments = [(i, f, sh, (r, c)) for i, row in enumerate(lay.adjustments) for f, sh, r, c in row
                            if (sh, (r, c)) in slots]
        meta = self.grids.get(META_SHEET, [])
        self.meta = [(str(row[0]), (r, 1)) for r, row in enumerate(meta) if row and row[0] and (META_SHEET, (r, 1)) in slots]
        # a slot where a key of the hidden sheet is, or below its rows: put the cells in and read them all
        self.simple = not any(sh == META_SHEET and (rc[1] == 0 or rc[0] >= len(meta)) for sh, rc in slots)


def _slot(template: Template, piece, sheet: str, text: str) -> tuple:
    """What a slot's cell starts with, the same cell as the empty template has it with the template's text
    after it (most slots are empty, most formula cells hold the empty template's value: matched in one go),
    its kind (for a formula cell: its ``<f>…</f>``), where it is, and the text after it."""
    start = _start(piece)
    if piece.kind == "formula":  # never without its formula: a cell emptied is not as written
        return start, template.empty_formula(piece)[1] + text, piece.formula, sheet, _index(piece.coord), text
    return start, start + "/>" + text, piece.kind, sheet, _index(piece.coord), text


def _start(piece) -> str:
    """What a slot's or formula's cell starts with, as derive writes it: ``<c r=… s=…``."""
    return f'<c r="{piece.coord}"' + (f' s="{piece.style}"' if piece.style else "")


def _after_start(template: Template, piece) -> tuple[str, str]:
    """What follows ``<c r=… s=…`` in a formula cell of the empty template, and its formula."""
    return template.empty_formula(piece)[1][len(_start(piece)):], piece.formula


def _index(coord: str) -> tuple[int, int]:
    col, row = _COORD.fullmatch(coord).groups()
    return int(row) - 1, _col_index(col)


def _shape(template: Template) -> _Shape:
    shape = getattr(template, "_shape", None)
    if shape is None:
        shape = template._shape = _Shape(template)
    return shape


def read_as_written(path: Path, template: Template) -> WorkbookData | None:
    """The workbook's data if the file is ``template`` as xl_kpi writes it, with only its slot cells
    filled; None for any other file (read it with read_workbook)."""
    cells = _slot_cells(Path(path), template)
    if cells is None:
        return None
    shape = _shape(template)
    if not shape.simple:
        grids = {sheet: _overlaid(shape.grids[sheet], cells.get(sheet, {})) for sheet in shape.sheet_names}
        return assemble(Path(path), shape.workbook_xml, grids.__getitem__, shape.sheet_names, shape.formula_cells,
                        as_written=True)
    blank = shape.blank
    values, rules, meta = dict(blank.values), dict(blank.rules), dict(blank.meta)
    for n, sheet, rc in shape.values:
        values[n] = _clean(cells[sheet][rc])
    for m, sheet, rc in shape.rules:
        rules[m] = _clean(cells[sheet][rc])
    adjustments = [dict(row) for row in blank.adjustments]
    for i, f, sheet, rc in shape.adjustments:
        adjustments[i][f] = _clean(cells[sheet][rc])
    for key, rc in shape.meta:
        meta[key] = _clean(cells[META_SHEET][rc])
    return WorkbookData(Path(path), blank.names, values, adjustments, [dict(c) for c in blank.adj_cells], meta, rules,
                        blank.formula_cells, as_written=True)


def read_any(path: Path, template: Template | None = None, keep_grids: bool = False) -> WorkbookData:
    """A monthly workbook: off its template's text when it is still as written, else parsed in full.
    Raises on a file that is not a readable xlsx, and on anything that is not a regular file (a link, a pipe:
    reading a pipe would wait forever)."""
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise ValueError(f"{Path(path).name}不是普通文件 / not a regular file")
    return (template is not None and read_as_written(path, template)) or read_workbook(path, keep_grids)


def try_read(path: Path, keep_grids: bool = False, template: Template | None = None) -> WorkbookData | None:
    """:func:`read_any`, or None for a file that cannot be read (the caller reports it, never overwrites it)."""
    try:
        return read_any(path, template, keep_grids)
    except Exception:  # any unreadable or foreign file
        return None


def _slot_cells(path: Path, template: Template) -> dict[str, dict[tuple[int, int], object]] | None:
    shape = _shape(template)
    out: dict[str, dict[tuple[int, int], object]] = {}
    try:
        found = zipped.members(path.read_bytes())
        if found is None or [m.name.decode() for m in found] != template.names \
                or sum(m.size for m in found) > MAX_EXPANDED:
            return None
        for name, m in zip(template.names, found):
            if name not in template.pieces:
                if m != template.packed[name]:  # the fixed parts, compared as compressed
                    return None
            elif not _read_part(zipped.inflate(m).decode("utf-8"), shape.parts[name], out):
                return None
    except (OSError, ValueError, zlib.error):  # UnicodeDecodeError is a ValueError
        return None
    return out


def _read_part(xml: str, part: tuple, out: dict) -> bool:
    """The slot cells of one sheet part into ``out``; False when the part is not the template's text
    with a slot cell in each hole, exactly as derive.cell_xml writes it."""
    first, slots, empties = part
    if not xml.startswith(first):
        return False
    pos = len(first)
    for start, empty, kind, sheet, rc, text in slots:
        cells = out.get(sheet)
        if cells is None:
            cells = out[sheet] = {}
        if xml.startswith(empty, pos):
            cells[rc] = empties.get((sheet, rc), "")  # a formula cell's empty-template value, a slot's blank
            pos += len(empty)
            continue
        if not xml.startswith(start, pos):
            return False
        pos += len(start)
        end = xml.find("</c>", pos) + 4
        value = _value(xml[pos:end], kind)
        if value is None or end < 4 or not xml.startswith(text, end):
            return False
        cells[rc] = value
        pos = end + len(text)
    return pos == len(xml)


def _value(rest: str, kind: str) -> float | str | None:
    """A slot cell's value from what follows its ``<c r=… s=…``; None for anything cell_xml does not write."""
    if kind.startswith("<f>"):
        return _computed(rest, kind)
    if kind == "number" and (m := _NUMBER.fullmatch(rest)):
        return float(m.group(1))
    if m := _TEXT.fullmatch(rest):
        return unescape(m.group(1))
    return None


def _computed(rest: str, f: str) -> float | str | bool | None:
    """A formula cell's saved value, as calamine reads it (an error as blank); None unless the cell is the
    template's formula with a value as derive.formula_xml writes it."""
    kind, gt, body = rest.partition(">")
    if not gt or kind not in ("", ' t="str"', ' t="b"', ' t="e"') or not body.startswith(f + "<v>") \
            or not body.endswith("</v></c>"):
        return None
    value = body[len(f) + 3:-8]
    if "<" in value:
        return None
    if kind == ' t="str"':
        return unescape(value)
    if kind == ' t="b"':
        return value == "1"
    if kind == ' t="e"' or not value:
        return ""
    try:
        return float(value)
    except ValueError:
        return None


def _overlaid(grid: list, cells: dict[tuple[int, int], object]) -> list:
    """A sheet's cells of the blank template with the slot cells put in."""
    if not cells:
        return grid
    g = [list(row) for row in grid]
    for (r, c), value in cells.items():
        while len(g) <= r:
            g.append([])
        if len(g[r]) <= c:
            g[r].extend([""] * (c + 1 - len(g[r])))
        g[r][c] = value
    return g
