"""Reading monthly workbooks by their defined names (python-calamine for values).

Readers never depend on coordinates: ``actual_replies`` is wherever the
workbook's name says, so a workbook from an older layout still reads.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import unescape

from python_calamine import CalamineWorkbook

from ..core.errors import Problem
from ..core.plan import MAX_WEEKS, Plan
from ..core.scorecard import AdjustmentEntry, EmployeeInputs
from .cells import ADJ_COLUMNS, META_SHEET, RULE_COLUMN, TYPED_PREFIXES
from .derive import sheet_parts

_NAME_RE = re.compile(r'<definedName [^>]*?name="([^"]+)"[^>]*>([^<]+)</definedName>')
_REF_RE = re.compile(r"^'?(.+?)'?!\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")


def _col_index(col: str) -> int:
    n = 0
    for ch in col:
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass(frozen=True)
class Ref:
    sheet: str
    col: str
    row: int
    col2: str | None = None
    row2: int | None = None

    @property
    def cell(self) -> str:
        return f"{self.col}{self.row}"


def defined_names(path: Path) -> dict[str, Ref]:
    with zipfile.ZipFile(path) as z:
        return _names_of(z.read("xl/workbook.xml"))


@lru_cache(maxsize=64)
def _names_of(workbook_xml: bytes) -> dict[str, Ref]:
    """Parsed once per distinct workbook.xml: every employee of a role shares the same one.
    (Callers must not modify the result.)"""
    xml = workbook_xml.decode("utf-8")
    out = {}
    for name, text in _NAME_RE.findall(xml):
        m = _REF_RE.match(unescape(text, {"&apos;": "'", "&quot;": '"'}))
        if m:
            sheet, c1, r1, c2, r2 = m.groups()
            out[name] = Ref(sheet.replace("''", "'"), c1, int(r1), c2, int(r2) if r2 else None)
    return out


def _clean(v):
    if v == "":
        return None
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m-%d")
    return v


@dataclass
class WorkbookData:
    path: Path
    names: dict[str, Ref]
    values: dict[str, object]  # single-cell names → value
    adjustments: list[dict[str, object]]  # rows of the 加减分 log, by field
    adj_cells: list[dict[str, str]]  # the same rows' cell addresses
    meta: dict[str, object] = field(default_factory=dict)
    rules: dict[str, object] = field(default_factory=dict)  # metric → the text in its rule cell
    formula_cells: frozenset = frozenset()  # (sheet, cell) of the cells people type in that hold a formula
    grids: dict | None = None  # every sheet's cells, when the reader was asked to keep them (regenerating)
    as_written: bool = False  # the file is byte for byte what xl_kpi wrote from the current template

    def where(self, name: str) -> tuple[str, str] | None:
        ref = self.names.get(name)
        return (ref.sheet, ref.cell) if ref else None


@dataclass(frozen=True)
class _Layout:
    """Where a workbook's named values are, as (key, sheet, row index, column index); shared by
    every workbook with the same workbook.xml, so it is worked out once."""

    values: tuple
    rules: tuple
    adjustments: tuple  # per log row: ((field, sheet, r, c), ...)
    cells: tuple  # per log row: {field: "A5", ...}
    typed: frozenset  # (sheet, cell) of every cell a person types in (inputs and the 加减分 log)


@lru_cache(maxsize=64)
def _layout(workbook_xml: bytes) -> _Layout:
    names = _names_of(workbook_xml)
    values = tuple((n, r.sheet, r.row - 1, _col_index(r.col)) for n, r in names.items() if r.col2 is None)
    rules = tuple((n[len("score_"):], r.sheet, r.row - 1, _col_index(RULE_COLUMN))
                  for n, r in names.items() if n.startswith("score_"))
    log = names.get("adj_log")
    rows = range(log.row, log.row2 + 1) if log else range(0)
    adjustments = tuple(tuple((f, log.sheet, row - 1, _col_index(c)) for c, (f, _) in ADJ_COLUMNS.items())
                        for row in rows)
    cells = tuple({f: f"{c}{row}" for c, (f, _) in ADJ_COLUMNS.items()} for row in rows)
    typed = {(r.sheet, r.cell) for n, r in names.items() if n.startswith(TYPED_PREFIXES)}
    typed |= {(log.sheet, c) for row in cells for c in row.values()} if log else set()
    return _Layout(values, rules, adjustments, cells, frozenset(typed))


MAX_EXPANDED = 50 * 1024 * 1024  # a monthly workbook unpacks to well under 1 MB


def check_expansion(z: zipfile.ZipFile, path: Path) -> None:
    """Refuse a file whose parts would unpack beyond MAX_EXPANDED (a zip bomb), before a spreadsheet parser
    reads any: by the sizes it declares, then by unpacking each part with a running total, since a forged
    header can declare a few bytes for gigabytes (zipfile stops a part at its declared size and its checksum
    then fails)."""
    size = sum(i.file_size for i in z.infolist())
    if size > MAX_EXPANDED:
        raise ValueError(_too_big(size))
    total = 0
    try:
        for info in z.infolist():
            with z.open(info) as part:
                while chunk := part.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_EXPANDED:
                        raise ValueError(_too_big(total))
    except zipfile.BadZipFile:
        raise ValueError("压缩内容与文件声明的大小或校验和不符（损坏或被篡改），不读取 / the file's parts do not match "
                         "what it declares (damaged or forged): not read") from None


def _too_big(size: int) -> str:
    return (f"解压后超过{MAX_EXPANDED // 1024 // 1024}MB({size // 1024 // 1024}MB), 不读取 / unpacks to "
            f"{size // 1024 // 1024} MB, beyond {MAX_EXPANDED // 1024 // 1024} MB: not read")


def read_workbook(path: Path, keep_grids: bool = False) -> WorkbookData:
    """Every named value of a monthly workbook (``keep_grids``: and every sheet's cells, for the check of
    notes written outside the form, so a workbook is parsed once). Raises on a file that is not a readable xlsx."""
    path = Path(path)
    with zipfile.ZipFile(path) as z:
        check_expansion(z, path)
        workbook_xml = z.read("xl/workbook.xml")
        sheets = _sheet_xml(z, workbook_xml)
    lay = _layout(workbook_xml)
    # only where people type: 10,000 workbooks are read before any is scored, so each keeps little
    formula_cells = frozenset(where for sheet, xml in sheets.items() for where in
                              ((sheet, c) for c in _formula_coords(xml)) if where in lay.typed)
    wb = CalamineWorkbook.from_path(str(path))
    grids: dict[str, list] = {}

    def grid(sheet: str) -> list:
        g = grids.get(sheet)
        if g is None:
            g = grids[sheet] = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        return g

    data = assemble(path, workbook_xml, grid, wb.sheet_names, formula_cells)
    if keep_grids:
        data.grids = {sheet: grid(sheet) for sheet in wb.sheet_names if sheet != META_SHEET}
    return data


def assemble(path: Path, workbook_xml: bytes, grid, sheet_names: list[str], formula_cells: frozenset,
             as_written: bool = False) -> WorkbookData:
    """The named values of a workbook whose sheets' cells ``grid(sheet)`` gives (as rows of values)."""
    lay = _layout(workbook_xml)

    def at(sheet, r, c):
        g = grid(sheet)
        return _clean(g[r][c]) if r < len(g) and c < len(g[r]) else None

    values = {n: at(sh, r, c) for n, sh, r, c in lay.values}
    rules = {m: at(sh, r, c) for m, sh, r, c in lay.rules}
    adjustments = [{f: at(sh, r, c) for f, sh, r, c in row} for row in lay.adjustments]
    meta = {}
    if META_SHEET in sheet_names:
        for row in grid(META_SHEET):
            if row and row[0]:
                meta[str(row[0])] = _clean(row[1]) if len(row) > 1 else None
    return WorkbookData(path, _names_of(workbook_xml), values, adjustments, [dict(c) for c in lay.cells], meta, rules,
                        formula_cells, as_written=as_written)


_FORMULA_CELL = re.compile(rb'<(?:\w+:)?c r="([A-Z]+\d+)"[^>]*?>\s*<(?:\w+:)?f[\s>/]')


def _sheet_xml(z: zipfile.ZipFile, workbook_xml: bytes) -> dict[str, bytes]:
    """Sheet title → its XML."""
    files = {"xl/workbook.xml": workbook_xml, "xl/_rels/workbook.xml.rels": z.read("xl/_rels/workbook.xml.rels")}
    out = {}
    for sheet, part in sheet_parts(files).items():
        try:
            out[sheet] = z.read(part)
        except KeyError:
            continue
    return out


def _formula_coords(xml: bytes) -> list[str]:
    """The cells of a sheet's XML that hold a formula: from each <f back to its cell (a few hundred
    formulas, not tens of thousands of cells); writers that prefix elements take the slower regex."""
    if b"<c " not in xml:
        return [c.decode() for c in _FORMULA_CELL.findall(xml)]
    out, pos = [], xml.find(b"<f")
    while pos != -1:
        if xml[pos + 2:pos + 3] in (b" ", b">", b"/"):
            start = xml.rfind(b'<c r="', 0, pos) + 6
            out.append(xml[start:xml.index(b'"', start)].decode())
        pos = xml.find(b"<f", pos + 2)
    return out


def employee_inputs(data: WorkbookData, plan: Plan, role_id: str) -> tuple[EmployeeInputs, list[Problem]]:
    """The inputs of the scorecard, as typed (never coerced here: the scorecard checks them)."""
    role = plan.roles[role_id]
    v = data.values
    x = EmployeeInputs()
    problems: list[Problem] = []
    for name, ref in data.names.items():  # what the filler types must be typed, never computed
        if name.startswith(TYPED_PREFIXES) and (ref.sheet, ref.cell) in data.formula_cells \
                and _typed_input(name, role):
            problems.append(_formula_in_input(ref.sheet, ref.cell, name))
            v = dict(v)
            v[name] = None
    for m in role.metrics:
        x.actuals[m.id] = v.get(f"actual_{m.id}")
        x.targets[m.id] = v.get(f"target_{m.id}")
        x.baselines[m.id] = v.get(f"baseline_{m.id}")
        if m.source == "rating":
            # the cells this workbook has: 自评 and 他评, or one per rater group (an earlier release's, or the plan's choice)
            cells = m.rule.cells("item" if f"rating_{m.id}_others" in data.names else "group")
            x.ratings[m.id] = {r: v.get(f"rating_{m.id}_{r}") for r in cells}
    for item in role.weekly_report:  # the weeks this workbook has (4 or 5)
        x.weekly[item.id] = [v.get(f"week{w}_{item.id}") for w in range(1, MAX_WEEKS + 1)
                             if f"week{w}_{item.id}" in data.names]
    for item in role.inputs:
        x.inputs[item.id] = v.get(f"input_{item.id}")
    by_name = {a.name: a.id for a in plan.role_adjustments(role_id)}
    by_name.update({a.id: a.id for a in plan.role_adjustments(role_id)})
    log_sheet = data.names["adj_log"].sheet if "adj_log" in data.names else None
    for row, cells in zip(data.adjustments, data.adj_cells):
        computed = [c for c in cells.values() if (log_sheet, c) in data.formula_cells]
        if computed:
            problems += [_formula_in_input(log_sheet, c) for c in computed]
            continue  # log_rows() leaves the row out too
        if row.get("item") is None:
            if any(row.get(f) is not None for f in ("count", "chosen")):
                sheet = data.names["adj_log"].sheet
                problems.append(Problem("input_invalid", "填写了数量或分值但未选择项目 / count or points without an item",
                                        sheet=sheet, cell=cells["item"]))
            continue
        item = by_name.get(str(row["item"]), str(row["item"]))
        x.adjustments.append(AdjustmentEntry(item, row.get("count"), row.get("chosen"), row.get("note") or "",
                                             row.get("date")))
    return x, problems


def log_rows(data: WorkbookData) -> list[int]:
    """Indexes of the 加减分 log rows that count, in the order :func:`employee_inputs` reads them."""
    sheet = data.names["adj_log"].sheet if "adj_log" in data.names else None
    return [i for i, (row, cells) in enumerate(zip(data.adjustments, data.adj_cells))
            if row.get("item") is not None and not any((sheet, c) in data.formula_cells for c in cells.values())]


def _typed_input(name: str, role) -> bool:
    """A cell the filler types: weekly figures, ratings, and the actuals that are not computed."""
    if not name.startswith("actual_"):
        return True
    m = next((m for m in role.metrics if m.id == name[len("actual_"):]), None)
    return m is not None and m.source == "input" and not m.compute


def _formula_in_input(sheet: str, cell: str, name: str = "") -> Problem:
    return Problem("input_formula", "输入单元格中是公式，不是填写的数值；请直接填写数值 / an input cell holds a formula, "
                   "not a typed value", loc=(name,) if name else (), sheet=sheet, cell=cell)


def locate(data: WorkbookData, problem: Problem, adj_index: list[int] | None = None) -> Problem:
    """The problem with the sheet and cell of the input it is about."""
    loc = problem.loc
    if loc and isinstance(loc[0], str) and loc[0] != "adjustments":
        where = data.where(loc[0])
        if where:
            return Problem(problem.type, problem.message, problem.loc, sheet=where[0], cell=where[1])
    if loc and loc[0] == "adjustments" and adj_index is not None and adj_index[loc[1]] is not None:
        row = adj_index[loc[1]]
        field_ = "chosen" if "分值" in problem.message else ("item" if loc[2] == "item" else "count")
        return Problem(problem.type, problem.message, problem.loc, sheet=data.names["adj_log"].sheet,
                       cell=data.adj_cells[row][field_])
    return problem


def typed_pool_shares(data: WorkbookData, pool_id: str) -> list[tuple[str, object]]:
    """(工号, share as typed) of each row of a pool in a workbook's 积分分配 sheet."""
    out, i = [], 0
    while f"poolpts_{pool_id}_{i}" in data.names:
        out.append((str(data.values.get(f"poolwho_{pool_id}_{i}") or ""), data.values.get(f"poolpts_{pool_id}_{i}")))
        i += 1
    return out


def written_by(data: WorkbookData) -> str:
    """The release of xl_kpi that wrote a workbook, from its hidden sheet: 0.3.0 and later say so; 0.1.0 kept
    the defaults it wrote there, 0.2.0 neither."""
    if data.meta.get("meta_version"):
        return str(data.meta["meta_version"])
    return "0.1.0" if "meta_defaults" in data.meta else "0.2.0"
