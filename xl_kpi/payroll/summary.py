"""The payroll summary workbook (工资汇总-YYYY-MM.xlsx): 工资汇总 by department with subtotals and the 待核
lines held outside them, 等级分布 with its chart and quotas, 排名, 问题 and 补发扣回; streamed row by row, the
same month giving the same bytes."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from ..core.cohort import explain_rank
from ..core.plan import Plan
from ..month.scored import Scored
from ..system.files import atomic_write
from ..workbook.stream import RowWriter, quick_styles, saved
from ..workbook.style import (
    BAD_FILL,
    BOLD,
    MONEY,
    TITLE,
    head,
    print_a4,
    put,
    signature_block,
)
from ..workbook.texts import month_zh, phrase, zh
from ..workspace import Workspace
from .cohort import rankings
from .rollup import Rollup

SUMMARY = "工资汇总"


CENTER, WRAP = Alignment(horizontal="center"), Alignment(wrap_text=True, vertical="top")  # one object each, every row


def summary_path(ws: Workspace, month: str) -> Path:
    return ws.month_dir(month) / f"{SUMMARY}-{month}.xlsx"


def write_summary(result: Rollup, path: Path, locked: bool = False, anchor: tuple[int, str] | None = None) -> Path:
    """The payroll summary, streamed row by row (memory does not grow with the roster); ``locked`` (a
    closed month): every sheet protected; ``anchor``: the audit trail's head at the close (entry, hash),
    printed under the signatures so a record replaced or rewritten later is found out."""
    wb = Workbook(write_only=True)
    quick_styles(wb)
    words = {"department": result.plan.department, "month_zh": month_zh(result.month), "anchor": anchor}
    sheets = [(SUMMARY, _pay_sheet), ("等级分布", _grade_sheet), ("排名", _rank_sheet)]
    if result.all_problems or result.notices:  # printed only when there is something to fix or to know
        sheets.append(("问题", _problem_sheet))
    if result.corrections:
        sheets.append(("补发扣回", _correction_sheet))
    written = []
    for title, write in sheets:
        sheet = RowWriter(wb.create_sheet(title))
        print_a4(sheet, footer=phrase("footer"))
        sheet.protection.sheet = locked
        write(sheet, result, words)
        sheet.flush()
        written.append(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, saved(wb, written))  # the same month, the same bytes
    return path


MONEY_COLUMNS = ["责任底薪", "绩效工资", "业绩提成", "奖励", "扣款", "应发合计"]


WIDTHS = {"工号": 9, "姓名": 9, "部门": 10, "岗位": 16, "表内总分": 10, "名次奖励": 10, "绩效得分": 10, "等级": 8,
          "绩效系数": 9, "问题": 36} | {name: 15 for name in MONEY_COLUMNS}  # money up to 9,999,999.99, no ###


def pay_header(plan: Plan) -> list[str]:
    """The columns of 工资汇总; with rank bonuses, the sheet's own total and the bonus come first."""
    ranked = ["表内总分", "名次奖励"] if plan.cohort_bonuses else []
    return ["工号", "姓名", "部门", "岗位", *ranked, "绩效得分", "等级", "绩效系数", *MONEY_COLUMNS, "问题"]


class Columns:
    """Column letters of a header, by name."""

    def __init__(self, header: list[str]):
        self.header = header
        self.index = {name: i for i, name in enumerate(header, start=1)}

    def __getitem__(self, name: str) -> str:
        return get_column_letter(self.index[name])


def _pay_sheet(ws: RowWriter, result: Rollup, words: dict) -> None:
    plan = result.plan
    cols = Columns(pay_header(plan))
    width = len(cols.header)
    for name in cols.header:
        ws.column_dimensions[cols[name]].width = WIDTHS[name]
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    put(ws, 1, 1, phrase("payroll_title", **words))
    ws["A1"].font = TITLE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].alignment = Alignment(horizontal="center")
    head(ws, 2, cols.header)
    ws.box(2, 1, None, width)
    by_dept: dict[str, list[Scored]] = defaultdict(list)
    for s in result.entries:
        if not result.held(s):
            by_dept[s.employee.department or plan.department].append(s)
    money = [cols[name] for name in MONEY_COLUMNS]
    row = 3

    def sums(label: str, first: int, paid: list[Scored]) -> None:
        put(ws, row, 1, label).font = BOLD
        for name, col in zip(MONEY_COLUMNS, money):  # each total with its value: viewers show it as it is
            total = sum((_money_of(s.card.pay, name) for s in paid if s.card and s.card.score is not None), Decimal(0))
            ws.formula(f"{col}{row}", f"=SUBTOTAL(9,{col}{first}:{col}{row - 1})", total).font = BOLD
        _money_row(ws, row, cols)

    for dept, entries in by_dept.items():
        first = row
        for s in entries:
            _pay_row(ws, row, s, plan, cols)
            row += 1
            ws.flush(row)
        sums(f"{dept} 小计", first, entries)
        row += 1
    sums("合计", 3, [s for entries in by_dept.values() for s in entries])
    ws.end_box(row)
    after = _held_section(ws, row + 2, result, width)
    after = signature_block(ws, after + 1, phrase("signatures"), phrase("signature_date"))
    if words.get("anchor"):
        number, digest = words["anchor"]
        put(ws, after + 1, 1, phrase("close_anchor", id=number, digest=digest))


def _money_of(pay, column: str) -> Decimal:
    """The pay line of a money column (应发合计: the total)."""
    return {"责任底薪": pay.base_salary, "绩效工资": pay.performance_pay, "业绩提成": pay.commission, "奖励": pay.awards,
            "扣款": pay.deductions, "应发合计": pay.total}[column]


def _money_row(ws: RowWriter, row: int, cols: "Columns") -> None:
    for name in MONEY_COLUMNS:
        ws[f"{cols[name]}{row}"].number_format = MONEY
    ws[f"{cols['等级']}{row}"].alignment = CENTER


def _held_section(ws: RowWriter, row: int, result: Rollup, width: int) -> int:
    """待核: people whose problems hold their pay line; outside every total until fixed or accepted.
    Returns the first row after it."""
    held = [s for s in result.entries if result.held(s)]
    if not held:
        return row
    put(ws, row, 1, phrase("held_title", count=len(held))).font = BOLD
    head(ws, row + 1, ["工号", "姓名", "部门", "岗位", "绩效得分", "等级", "问题数", "问题（详见「问题」表）"])
    ws.box(row + 1, 1, row + 1 + len(held), width)
    for i, s in enumerate(held, start=row + 2):
        e, card = s.employee, s.card
        for col, value in enumerate((e.id, e.name, e.department, result.plan.roles[e.role].name,
                                     card.score if card else None, card.grade if card else None, len(s.problems),
                                     zh(s.problems[0].message)), start=1):
            put(ws, i, col, value).fill = BAD_FILL
        ws.merge_cells(start_row=i, start_column=8, end_row=i, end_column=width)
        ws.flush(i + 1)
    return row + 2 + len(held)


def _pay_row(ws: RowWriter, row: int, s: Scored, plan: Plan, cols: Columns) -> None:
    e, card = s.employee, s.card

    def cell(name: str, value):
        return put(ws, row, cols.index[name], value)

    for name, value in (("工号", e.id), ("姓名", e.name), ("部门", e.department), ("岗位", plan.roles[e.role].name)):
        cell(name, value)
    if card is not None and card.score is not None:
        pay = card.pay
        if "名次奖励" in cols.index:
            ranked = {b.id for b in plan.cohort_bonuses}
            sheet = card.sheet_score if card.sheet_score is not None else card.score
            cell("表内总分", sheet).number_format = "0.00"
            cell("名次奖励", sum(a.points for a in card.adjustments if a.item in ranked)).number_format = "0.00"
        cell("绩效得分", card.score).number_format = "0.00"
        cell("等级", card.grade)
        cell("绩效系数", card.coefficient)
        for name, value in zip(MONEY_COLUMNS, (pay.base_salary, pay.performance_pay, pay.commission, pay.awards,
                                               pay.deductions)):
            cell(name, float(value))
        # the total is a formula, so HR can audit it; the parts are the rule engine's values
        b, p, c, a, d = (f"{cols[name]}{row}" for name in MONEY_COLUMNS[:5])
        ws.formula(f"{cols['应发合计']}{row}", f"=ROUND({b}+{p}+{c}+{a}-{d},2)", pay.total)
    _money_row(ws, row, cols)
    if s.problems:
        cell("问题", phrase("problem_note", count=len(s.problems), first=zh(s.problems[0].message)[:60]))
        for col in range(1, len(cols.header) + 1):
            ws.cell(row, col).fill = BAD_FILL


def _grade_sheet(ws, result: Rollup, words: dict) -> None:
    plan = result.plan
    grades = [g.name for g in plan.grades]
    put(ws, 1, 1, phrase("grades_title", **words))
    ws["A1"].font = TITLE
    head(ws, 2, ["部门"] + grades + ["合计"])
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in result.entries:
        if s.card and s.card.score is not None:
            counts[s.employee.department or plan.department][s.card.grade] += 1
    row = 3
    for dept, c in counts.items():
        put(ws, row, 1, dept)
        for i, g in enumerate(grades, start=2):
            put(ws, row, i, c[g])
        ws.cell(row, len(grades) + 2, sum(c.values()))
        row += 1
    put(ws, row, 1, "合计").font = BOLD
    totals = [sum(c[g] for c in counts.values()) for g in grades] + [sum(sum(c.values()) for c in counts.values())]
    for i, total in zip(range(2, len(grades) + 3), totals):
        col = ws.cell(row, i).column_letter
        ws.formula(f"{col}{row}", f"=SUM({col}3:{col}{row - 1})", total).font = BOLD
    total_row = row
    chart = BarChart()
    chart.title, chart.y_axis.title = "等级分布", "人数"
    chart.add_data(Reference(ws, min_col=2, max_col=len(grades) + 1, min_row=total_row), from_rows=True, titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=2, max_col=len(grades) + 1, min_row=2))
    chart.legend = None
    chart.width, chart.height = 14, 7
    ws.add_chart(chart, f"A{total_row + 3}")
    row = total_row + 20
    head(ws, row, ["强制分布", "上限%", "允许人数", "实际人数", "是否超出", "处于边缘的员工（按得分从低到高）"])
    names = {s.employee.id: s.employee.name for s in result.entries}
    for q in result.quotas:
        row += 1
        put(ws, row, 1, q.grade)
        put(ws, row, 2, q.quota)
        put(ws, row, 3, q.allowed)
        put(ws, row, 4, q.count)
        put(ws, row, 5, "超出" if q.over else "未超出")
        put(ws, row, 6, "、".join(f"{names[e]}（{e}）" for e in q.margin))
        if q.over:
            for col in range(1, 7):
                ws.cell(row, col).fill = BAD_FILL
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["F"].width = 50


def _rank_sheet(ws: RowWriter, result: Rollup, words: dict) -> None:
    plan = result.plan
    for col, width in zip("ABCDEFG", (16, 10, 9, 9, 9, 9, 40)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    put(ws, 1, 1, phrase("ranking_title", **words)).font = TITLE
    head(ws, 2, ["岗位", "名次", "工号", "姓名", "等级", "得分", "名次奖励"])
    ws.box(2, 1, None, 7)
    grades = {s.employee.id: s.card.grade for s in result.entries if s.card}
    names = {s.employee.id: s.employee.name for s in result.entries}
    bonus_text: dict[str, list[str]] = defaultdict(list)
    for b in plan.cohort_bonuses:
        for r in result.bonuses.get(b.id, []):
            bonus_text[r.employee].append(explain_rank(r, b.name))
    row = 3
    for role, ranked in rankings(result).items():
        for emp, value, rank, tied in ranked:
            put(ws, row, 1, plan.roles[role].name)
            put(ws, row, 2, f"{rank}" + ("（并列）" if tied > 1 else ""))
            put(ws, row, 3, emp)
            put(ws, row, 4, names[emp])
            put(ws, row, 5, grades[emp])
            put(ws, row, 6, value).number_format = "0.00"
            put(ws, row, 7, "；".join(bonus_text.get(emp, [])))
            row += 1
            ws.flush(row)
    ws.end_box(row - 1)


def _problem_sheet(ws: RowWriter, result: Rollup, words: dict) -> None:
    for col, width in zip("ABCDEF", (9, 9, 24, 10, 8, 70)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    put(ws, 1, 1, phrase("problems_title", **words)).font = TITLE
    head(ws, 2, ["工号", "姓名", "文件", "工作表", "单元格", "问题"])
    names = {s.employee.id: s.employee.name for s in result.entries}
    problems = result.all_problems + result.notices  # notices hold nobody's pay: they say what changed and why
    ws.box(2, 1, len(problems) + 2, 6)
    for row, p in enumerate(problems, start=3):
        put(ws, row, 1, p.employee)
        put(ws, row, 2, names.get(p.employee or "", ""))
        put(ws, row, 3, Path(p.file).name if p.file else "")
        put(ws, row, 4, p.sheet)
        put(ws, row, 5, p.cell)
        put(ws, row, 6, zh(p.message)).alignment = WRAP
        ws.flush(row + 1)


def _correction_sheet(ws, result: Rollup, words: dict) -> None:
    """补发/扣回: the pay differences of last months' accepted appeals, paid or taken back with this payroll."""
    put(ws, 1, 1, phrase("corrections_title", **words)).font = TITLE
    head(ws, 2, ["申诉编号", "更正月份", "工号", "姓名", "类别", "金额"])
    names = {s.employee.id: s.employee.name for s in result.entries}
    row = 2
    for row, (appeal, month, employee, amount) in enumerate(result.corrections, start=3):
        for col, value in enumerate((appeal, month_zh(month), employee, names.get(employee, ""),
                                     "补发" if Decimal(amount) >= 0 else "扣回", float(amount)), start=1):
            put(ws, row, col, value)
        ws.cell(row, 6).number_format = MONEY
    put(ws, row + 1, 5, "合计").font = BOLD
    ws.formula(f"F{row + 1}", f"=SUM(F3:F{row})", sum(Decimal(a) for *_, a in result.corrections)).number_format = MONEY
    ws.box(2, 1, row + 1, 6)
    signature_block(ws, row + 3, phrase("signatures"), phrase("signature_date"), spacing=2)
    for col, width in zip("ABCDEF", (10, 12, 9, 9, 8, 15)):
        ws.column_dimensions[col].width = width
