"""The rating form (评分表) a rater fills: the people they rate and the items with the scale, the anchors
HR wrote, a score and a comment cell per row (validated, the rest protected), and a hidden identity
(round, rater, token, and each row's person, item and group) that HR's record checks when it comes back."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from .. import __version__
from ..core.numbers import num
from ..core.raters import Anchor
from ..core.typed import TypedNumberError, typed_number
from . import texts
from .cells import WRAP, add_validation, input_cell
from .derive import stable_bytes
from .reader import check_expansion
from .style import BOX, TITLE, box, fit_row, head, print_a4, put

FORM_META = "_xl_kpi_form"  # the hidden sheet: what tells a rating form from a monthly workbook
WORDS = "workbook/rating_form.yaml.j2"
FIRST = 1  # the first data column (序号)
SCALE_COL, SCORE_COL, COMMENT_COL = 7, 8, 9  # 满分, 评分, 评语


@dataclass(frozen=True)
class FormRow:
    employee: str
    name: str
    role: str
    item: str  # the metric's id, or 'period'
    item_name: str
    group: str  # self, supervisor, committee, cross
    group_name: str
    scale: float


@dataclass
class FormSpec:
    department: str
    round: str
    round_zh: str
    rater: str
    rater_name: str
    due: str  # 2026年11月3日
    token: str
    rows: list[FormRow]
    anchors: list[Anchor] = field(default_factory=list)


def words(key: str, **ctx):
    return texts.phrase(key, file=WORDS, **ctx)


def form_bytes(spec: FormSpec, password: str) -> bytes:
    """The form as an xlsx: the same spec gives the same bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = words("sheet")
    ws["A1"] = words("title", department=spec.department, round_zh=spec.round_zh)
    ws["A1"].font = TITLE
    put(ws, 2, 1, words("rater_line", rater=f"{spec.rater_name}（{spec.rater}）" if spec.rater != spec.rater_name
                        else spec.rater_name, due=spec.due))
    scale = max((r.scale for r in spec.rows), default=100)
    put(ws, 3, 1, words("instructions", scale=num(scale))).alignment = WRAP
    ws.merge_cells("A3:I3")
    ws.row_dimensions[3].height = 48
    row = _anchors(ws, spec.anchors, 5)
    first = row + 1
    head(ws, row, words("table_head"), boxed=True)
    comment_rule = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="500", allow_blank=True)
    comment_rule.promptTitle, comment_rule.prompt = words("table_head")[COMMENT_COL - 1], words("comment_prompt")
    ws.add_data_validation(comment_rule)
    for i, r in enumerate(spec.rows, start=1):
        at = first + i - 1
        for col, value in enumerate((i, r.employee, r.name, r.role, r.item_name, r.group_name, r.scale), start=1):
            cell = put(ws, at, col, value)
            cell.border, cell.alignment = BOX, WRAP
        score = ws.cell(at, SCORE_COL)
        input_cell(score)
        add_validation(ws, score.coordinate, 0, r.scale, "", words("score_label", name=r.name, item=r.item_name),
                       words("table_head")[SCORE_COL - 1])
        comment = ws.cell(at, COMMENT_COL)
        input_cell(comment)
        comment.alignment = WRAP
        comment_rule.add(comment.coordinate)
    widths = dict(zip(range(1, 10), (6, 10, 10, 14, 30, 10, 7, 9, 40)))
    for col, width in widths.items():
        ws.column_dimensions[chr(64 + col)].width = width
    for at in range(first, first + len(spec.rows)):
        fit_row(ws, at, {5: widths[5], 4: widths[4]}, line_height=16)
    ws.freeze_panes = ws.cell(first, 1)
    print_a4(ws, footer="第&P页 共&N页")
    ws.print_title_rows = f"{row}:{row}"
    ws.protection.sheet, ws.protection.password = True, password
    ws.protection.formatCells = False
    _identity(wb.create_sheet(FORM_META), spec, first)
    out = io.BytesIO()
    wb.save(out)
    return stable_bytes(out.getvalue())


def _anchors(ws, anchors: list[Anchor], row: int) -> int:
    """The anchors table (优秀 90分及以上 …) over the form's columns A–B, C–D and E–I; the row after it."""
    if not anchors:
        return row
    spans = ((1, 2), (3, 4), (5, 9))
    labels = words("anchors_head")
    for (lo, hi), label in zip(spans, labels):
        head(ws, row, [label], col=lo, boxed=True)
        ws.merge_cells(start_row=row, start_column=lo, end_row=row, end_column=hi)
    top = None
    for a in anchors:  # highest first
        row += 1
        span = words("anchor_span", lo=num(a.min)) if top is None else \
            words("anchor_span_top", lo=num(a.min), hi=num(top))
        for (lo, hi), value in zip(spans, (a.name, span, a.words)):
            put(ws, row, lo, value).alignment = WRAP
            ws.merge_cells(start_row=row, start_column=lo, end_row=row, end_column=hi)
        box(ws, row, 1, row, 9)
        top = a.min
    return row + 2


def _identity(meta, spec: FormSpec, first: int) -> None:
    """The hidden facts the record checks: the round, the rater, the token, and what each row rates."""
    facts = [("form_kind", "rating_form"), ("form_round", spec.round), ("form_rater", spec.rater),
             ("form_token", spec.token), ("form_version", __version__), ("form_first_row", first),
             ("form_rows", len(spec.rows))]
    for i, (k, v) in enumerate(facts, start=1):
        put(meta, i, 1, k)
        put(meta, i, 2, v)
    for i, r in enumerate(spec.rows, start=len(facts) + 1):
        for col, value in enumerate(("row", r.employee, r.item, r.group), start=1):
            put(meta, i, col, value)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True


# ---------------------------------------------------------------------------------------------- reading back


@dataclass
class ReturnedRow:
    employee: str
    item: str
    group: str
    shown_employee: object  # the 工号 the visible row shows
    value: object  # as typed: a number, a text, or None
    comment: str
    cell: str  # where the score is (H12)
    scale: object = None  # the 满分 the row shows


@dataclass
class ReturnedForm:
    round: str
    rater: str
    token: str
    version: str
    rows: list[ReturnedRow]
    extra: list[tuple[str, object, str]]  # (工号, score, cell) typed below the form's rows


def is_form(data: bytes) -> bool:
    """An xlsx with the rating form's hidden sheet."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return f'name="{FORM_META}"'.encode() in z.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def read_form(data: bytes, name: str) -> ReturnedForm:
    """A returned form's identity and rows, read by python-calamine (fast: a round can return thousands).
    Raises ValueError naming what is wrong with the file."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        check_expansion(z, Path(name))
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine's own errors: a damaged sheet
        raise ValueError(f"评分表无法读取：{exc} / the form cannot be read") from None
    if FORM_META not in wb.sheet_names:
        raise ValueError("不是xl_kpi的评分表（缺少隐藏的身份信息） / not an xl_kpi rating form")
    sheet = next((s for s in wb.sheet_names if s != FORM_META), None)
    grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False) if sheet else []
    return form_from_grids(wb.get_sheet_by_name(FORM_META).to_python(skip_empty_area=False), grid)


def form_from_grids(meta_rows: list, grid: list) -> ReturnedForm:
    """A form from its hidden sheet's rows and its visible sheet's (a file's, or an open book's in Excel)."""
    facts = {str(r[0]): r[1] for r in meta_rows if r and r[0] and r[0] != "row" and len(r) > 1}
    wanted = [(_text(r[1]), _text(r[2]), _text(r[3])) for r in meta_rows if r and r[0] == "row" and len(r) > 3]
    try:
        first = int(facts.get("form_first_row") or 0)
    except (TypeError, ValueError):
        first = 0
    if first < 1 or not wanted:
        raise ValueError("评分表的身份信息不完整（被改动过） / the form's identity is incomplete")

    def at(r: int, c: int):
        row = grid[r - 1] if 0 < r <= len(grid) else []
        v = row[c - 1] if c - 1 < len(row) else None
        return None if v == "" else v

    rows = [ReturnedRow(e, i, g, at(first + n, 2), at(first + n, SCORE_COL), _text(at(first + n, COMMENT_COL)),
                        f"{_col(SCORE_COL)}{first + n}", at(first + n, SCALE_COL)) for n, (e, i, g) in enumerate(wanted)]
    extra = []
    for r in range(first + len(wanted), len(grid) + 1):  # rows a rater added below the form's own
        who, score = at(r, 2), at(r, SCORE_COL)
        if who is not None or score is not None:
            extra.append((_text(who), score, f"{_col(SCORE_COL)}{r}"))
    return ReturnedForm(_text(facts.get("form_round")), _text(facts.get("form_rater")), _text(facts.get("form_token")),
                        _text(facts.get("form_version")), rows, extra)


def score_of(row: ReturnedRow, scale: float) -> tuple[float | None, str]:
    """A row's score as typed, or why it cannot count (blank, not a number, outside 0–scale)."""
    if row.value is None:
        return None, "未评分 / no score given"
    try:
        value = typed_number(row.value)
    except TypedNumberError as exc:
        return None, str(exc)
    if not 0 <= value <= scale:
        return None, f"评分{_text(row.value)}不在0至{num(scale)}之间 / outside 0–{num(scale)}"
    return value, ""


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _col(c: int) -> str:
    return "ABCDEFGHIJ"[c - 1]
