"""The 绩效KPI ribbon's scripts: 评分, 汇总, 发送, 生成, 收回.

Each is a thin layer over the month's steps that reads and
writes through the xlwings Book API only, so the same function runs under
classic xlwings (``RunPython "import xl_kpi.addin as a; a.score()"``) and under
xlwings Server / Lite (``@xw.script``, which hands it the book).
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import xlwings as xw

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..mail import SendLog, build, load_config
from ..mail import send as send_mails
from ..mail.smtp import SendReport
from ..month.generate import generate as generate_month
from ..month.score import score_data
from ..month.upgrade import bring_up_to_date
from ..payroll.rollup import rollup as rollup_workbooks
from ..payroll.summary import summary_path, write_summary
from ..store import open_store
from ..workbook.cells import ADJ_COLUMNS, META_SHEET
from ..workbook.rating_form import words
from ..workbook.reader import Ref, WorkbookData, _col_index
from ..workbook.texts import message, zh
from ..workspace import Workspace, builtin_plan
from ..workspace.roster import Employee
from .install import configured_workspace
from .rating_ribbon import check_form, collect_returns, form_rows, is_form_book, round_of_book

TITLE = "绩效KPI"
INPUT_COLOR = "#FFF2CC"  # the yellow of the cells a person fills
BAD_COLOR = "#FFC7CE"  # the red of a cell that must be fixed
NOTE_PREFIX = message("note_prefix")  # marks the notes 评分 adds, so it can clear them
MAX_LISTED = 10


# --------------------------------------------------------------------------- reading the book


def workspace_of(book, machine=None) -> Workspace | None:
    """``XL_KPI_WORKSPACE``, else the workspace the book sits in (workbooks/YYYY-MM/…), else the
    one kept in the add-in's config (``xl-kpi addin install --workspace`` or the ribbon's 生成)."""
    env = os.environ.get("XL_KPI_WORKSPACE")
    if env:
        return Workspace(Path(env))
    try:
        path = Path(book.fullname)
    except Exception:
        path = Path()
    if len(path.parents) > 2 and (path.parents[2] / "plan.yaml").exists():
        return Workspace(path.parents[2])
    kept = configured_workspace(machine)
    return Workspace(kept) if kept else None


def plan_of(book) -> Plan:
    ws = workspace_of(book)
    return ws.plan() if ws else builtin_plan()


class BookReader:
    """Each sheet's values read once (one call per sheet, not per cell)."""

    def __init__(self, book):
        self.book = book
        self._grids: dict[str, list] = {}

    def grid(self, sheet: str) -> list:
        if sheet not in self._grids:
            sh = self.book.sheets[sheet]
            last = sh.used_range.last_cell
            values = sh.range((1, 1), (last.row, last.column)).options(ndim=2).value
            self._grids[sheet] = values
        return self._grids[sheet]

    def value(self, sheet: str, row: int, col: int):
        g = self.grid(sheet)
        v = g[row - 1][col - 1] if row <= len(g) and col <= len(g[row - 1]) else None
        return None if v == "" else v


def _ref(rng) -> Ref:
    addr = rng.address.replace("$", "")
    first, _, last = addr.partition(":")

    def split(a):
        col = "".join(ch for ch in a if ch.isalpha())
        return col, int(a[len(col):])

    c1, r1 = split(first)
    c2, r2 = split(last) if last else (None, None)
    return Ref(rng.sheet.name, c1, r1, c2, r2)


def read_book(book) -> WorkbookData:
    """The same WorkbookData the file reader gives, from an open book."""
    reader = BookReader(book)
    names = {}
    for n in book.names:
        try:
            names[n.name.split("!")[-1]] = _ref(n.refers_to_range)
        except Exception:  # a name that refers to no range (a constant, #REF!)
            continue
    values = {k: reader.value(r.sheet, r.row, _col_index(r.col) + 1) for k, r in names.items() if r.col2 is None}
    adjustments, cells = [], []
    log = names.get("adj_log")
    if log:
        for row in range(log.row, log.row2 + 1):
            adjustments.append({f: reader.value(log.sheet, row, _col_index(c) + 1) for c, (f, _) in ADJ_COLUMNS.items()})
            cells.append({f: f"{c}{row}" for c, (f, _) in ADJ_COLUMNS.items()})
    meta = {}
    if META_SHEET in [s.name for s in book.sheets]:
        for row in reader.grid(META_SHEET):
            if row and row[0]:
                meta[str(row[0])] = row[1] if len(row) > 1 else None
    return WorkbookData(Path(book.name), names, values, adjustments, cells, meta)


def role_of(data: WorkbookData, plan: Plan) -> str | None:
    role = data.meta.get("meta_role")
    if role in plan.roles:
        return role
    return next((rid for rid, r in plan.roles.items() if r.name == data.values.get("role_name")), None)


def input_cells(data: WorkbookData, plan: Plan, role: str) -> list[tuple[str, str]]:
    """(sheet, cell) of every cell a person types in."""
    typed = {f"actual_{m.id}" for m in plan.roles[role].metrics if m.source in ("input", "cohort_rank") and not m.compute}
    out = [(r.sheet, r.cell) for n, r in data.names.items()
           if r.col2 is None and (n in typed or n.startswith(("rating_", "week", "input_")))]
    if "adj_log" in data.names:
        sheet = data.names["adj_log"].sheet
        out += [(sheet, c) for row in data.adj_cells for c in row.values()]
    return out


# --------------------------------------------------------------------------- marks


def _clear_marks(book, cells) -> None:
    for sheet, cell in cells:
        rng = book.sheets[sheet][cell]
        rng.color = INPUT_COLOR
        note = rng.note
        if note is not None and str(note.text or "").startswith(NOTE_PREFIX):
            note.delete()


def _mark(book, problem: Problem) -> None:
    rng = book.sheets[problem.sheet][problem.cell]
    rng.color = BAD_COLOR
    try:
        note = rng.note
        if note is not None:
            note.text = NOTE_PREFIX + zh(problem.message)
        else:
            rng.add_note(NOTE_PREFIX + zh(problem.message))
    except NotImplementedError:  # hosts without notes: the colour and the message still tell
        pass


def _alert(book, message: str, title: str = TITLE) -> None:
    book.app.alert(message, title=title)


# --------------------------------------------------------------------------- scripts


def run_score(book) -> tuple[str, list[Problem]]:
    """Check every input, mark what must be fixed, else write the results; returns (message, problems). On a
    rating form: every score given and within its scale."""
    if is_form_book(book):
        text, problems = check_form(book)
        sheet = book.sheets[words("sheet")]
        _clear_marks(book, [(sheet.name, r.cell) for r in form_rows(book)])
        for p in problems:
            _mark(book, p)
        return text, problems
    plan = plan_of(book)
    data = read_book(book)
    role = role_of(data, plan)
    if role is None:
        return message("not_a_scorecard"), []
    month = str(data.values.get("month") or data.meta.get("meta_month") or "")
    v = data.values
    employee = Employee(str(v.get("employee_id") or ""), str(v.get("employee_name") or ""),
                        str(v.get("department") or ""), role, None, None, "", "")
    scored = score_data(data, plan, employee, month)  # the same scoring as xl-kpi score
    card, problems = scored.card, scored.problems
    _clear_marks(book, input_cells(data, plan, role))
    if problems:
        for p in problems:
            if p.sheet and p.cell:
                _mark(book, p)
        lines = [f"{p.sheet}!{p.cell}：{zh(p.message)}" if p.sheet else zh(p.message) for p in problems[:MAX_LISTED]]
        return message("to_fix", count=len(problems), lines="\n".join(lines),
                       more=max(0, len(problems) - MAX_LISTED)), problems
    _write_results(book, data, card, plan)
    return message("scored", score=f"{card.score:.2f}", grade=card.grade, coefficient=f"{card.coefficient:g}",
                   total=f"{card.pay.total:,.2f}"), []


def _write_results(book, data: WorkbookData, card, plan: Plan) -> None:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    summary = message("score_line", score=f"{card.score:.2f}", grade=card.grade, coefficient=f"{card.coefficient:g}",
                      pay=f"{card.pay.performance_pay:,.2f}", commission=f"{card.pay.commission:,.2f}",
                      total=f"{card.pay.total:,.2f}")
    for name, value in (("scored_at", stamp), ("score_result", summary)):
        ref = data.names.get(name)
        if ref:
            book.sheets[ref.sheet][ref.cell].value = value


def _ribbon(label: str):
    """A ribbon script: the calling book when none is given, and any problem shown as a message."""
    def wrap(script):
        @functools.wraps(script)
        def run(book=None, *args, **kwargs):
            book = book or xw.Book.caller()
            try:
                return script(book, *args, **kwargs)
            except KpiError as exc:
                _alert(book, "\n".join(f"{p.place()}：{zh(p.message)}" if p.place() else zh(p.message)
                                       for p in exc.problems), f"{TITLE} · {label}")
        return run
    return wrap


@xw.script
@_ribbon("评分")
def score(book: xw.Book | None = None):
    """评分: check, mark, compute and stamp the active workbook."""
    message, _ = run_score(book)
    _alert(book, message, f"{TITLE} · 评分")


def _month_folder(book) -> tuple[Workspace | None, str | None]:
    ws = workspace_of(book)
    data_month = None
    try:
        data_month = read_book(book).values.get("month")
    except Exception:
        pass
    return ws, str(data_month) if data_month else None


def _chinese(text: str) -> str:
    """The Chinese half of each ``中文 / English`` line the CLI's reports hold."""
    return "\n".join(zh(line) for line in text.splitlines())


@xw.script
@_ribbon("汇总")
def rollup(book: xw.Book | None = None):
    """汇总: roll the month of the active workbook up into the payroll summary and open it."""
    ws, month = _month_folder(book)
    if ws is None or month is None:
        _alert(book, message("no_month"), f"{TITLE} · 汇总")
        return
    result = _rollup_month(ws, month)
    _alert(book, _chinese(result.message), f"{TITLE} · 汇总")
    if result.path and not os.environ.get("XLWINGS_ON_SERVER"):
        xw.Book(str(result.path))


@xw.script
@_ribbon("发送")
def send(book: xw.Book | None = None):
    """发送: mail the month's workbooks after a confirmation naming how many go to whom."""
    ws, month = _month_folder(book)
    if ws is None or month is None:
        _alert(book, message("no_month"), f"{TITLE} · 发送")
        return
    upgraded = _upgraded(ws)
    plan_text = "\n".join(upgraded + [_chinese(build(ws, month, load_config(ws)).summary())])
    answer = book.app.alert(message("send_confirm", plan=plan_text), title=f"{TITLE} · 发送", buttons="ok_cancel")
    if answer != "ok":
        return
    _alert(book, _chinese(_send_month(ws, month).message), f"{TITLE} · 发送")


@xw.script
@_ribbon("生成")
def generate(book: xw.Book | None = None, month: str | None = None):
    """生成: the month's workbooks; the month comes from the ribbon's prompt (VBA InputBox)."""
    ws = workspace_of(book)
    if ws is None or not (ws.root / "plan.yaml").is_file():
        text = message("not_a_workspace", folder=ws.root) if ws else message("no_workspace")
        _alert(book, text, f"{TITLE} · 生成")
        return
    month = month or dt.date.today().strftime("%Y-%m")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        _alert(book, message("bad_month", month=month), f"{TITLE} · 生成")
        return
    lines = _upgraded(ws)
    plan = ws.plan()
    report = generate_month(ws, plan, ws.roster(plan), month)
    lines += [message("generated", count=len(report.written), folder=ws.month_dir(month), kept=report.kept_inputs)]
    lines += [f"{p.place()}：{zh(p.message)}" for p in report.problems[:MAX_LISTED]]
    _alert(book, "\n".join(lines), f"{TITLE} · 生成")


@xw.script
@_ribbon("收回")
def collect(book: xw.Book | None = None):
    """收回: the round's returned forms and workbooks from the mailbox or folder of mail.yaml."""
    ws, month = _month_folder(book)
    ws = ws or workspace_of(book)
    _alert(book, collect_returns(ws, round_of_book(book, month)), f"{TITLE} · 收回")


# --------------------------------------------------------------------------- the steps behind the buttons


@dataclass
class RollupResult:
    path: Path | None
    message: str


def _upgraded(ws: Workspace) -> list[str]:
    """A workspace an earlier release made is brought up first, as by any xl-kpi command; what was done, said."""
    said: list[str] = []
    bring_up_to_date(ws, lambda text: said.append(_chinese(text)))
    return said


def _rollup_month(ws: Workspace, month: str) -> RollupResult:
    upgraded = "".join(f"{line}\n" for line in _upgraded(ws))
    plan = ws.plan()
    result = rollup_workbooks(ws, plan, ws.roster(plan), month)
    problems = result.all_problems
    held = sum(result.held(s) for s in result.entries)
    counts = f"{len(result.entries)} 人，{len(problems)} 个问题，{held} 人待核 / employees, problem(s), held"
    if open_store(ws.root).closed(month) is not None:  # the closed payroll stands; changes show as problems
        return RollupResult(None, f"{upgraded}{month}已结账，工资汇总未改写 / {month} is closed: the summary is kept\n{counts}")
    path = write_summary(result, summary_path(ws, month))
    return RollupResult(path, f"{upgraded}已生成工资汇总 / payroll summary written: {path}\n{counts}")


def _send_month(ws: Workspace, month: str) -> SendReport:
    config = load_config(ws)
    return send_mails(build(ws, month, config), config, SendLog(open_store(ws.root), month))
