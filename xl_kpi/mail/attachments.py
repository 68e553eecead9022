"""What goes out by mail: each employee's own scorecard as plain values (it opens
in Excel, WPS or a phone's viewer with no add-in and no formulas), and each
manager's team summary. Built from the rule engine's scorecards, so they hold
exactly what the payroll summary holds, and nothing of anyone else."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment

from ..core.plan import Plan
from ..core.rules import shown
from ..core.scorecard import Scorecard
from ..workbook.derive import stable_bytes
from ..workbook.style import (
    BOLD,
    MONEY,
    TITLE,
    box,
    fit_row,
    head,
    print_a4,
    put,
    signature_block,
)
from ..workbook.texts import month_zh, phrase
from ..workspace.roster import Employee


def _save(wb: Workbook) -> bytes:
    for ws in wb.worksheets:
        print_a4(ws, landscape=False, footer=phrase("footer"))
    buf = io.BytesIO()
    wb.save(buf)
    return stable_bytes(buf.getvalue())  # the same card, the same bytes (whichever worker built it, whenever)


WIDTHS = dict(zip("ABCDEFGH", (12, 20, 15, 11, 11, 11, 8, 52)))  # C holds money up to 9,999,999.99


def scorecard_copy(plan: Plan, e: Employee, card: Scorecard, month: str, weekly: dict | None = None) -> bytes:
    """One employee's results as values: metrics, categories, 加减分, total, grade and pay,
    and the weekly report (周报) where the role has one."""
    role = plan.roles[e.role]
    wb = Workbook()
    ws = wb.active
    ws.title = "考核结果"
    put(ws, 1, 1, phrase("scorecard_copy_title", department=plan.department, month_zh=month_zh(month)))
    ws["A1"].font = TITLE
    for col, v in enumerate(["工号", e.id, "姓名", e.name, "岗位", role.name, "月份", month_zh(month)], start=1):
        put(ws, 2, col, v)
    ws.append([])
    head(ws, 4, ["类别", "指标", "单位", "目标", "基准", "实际", "得分", "得分说明"])
    row = 5
    for cat in role.categories:
        for m in cat.metrics:
            r = card.metrics[m.id]
            unit = "%" if m.percent else m.unit
            show = lambda v: shown(v, unit) if v is not None else ""  # noqa: E731  as the sheet shows it
            values = [cat.name, m.name, unit, show(r.target), show(r.baseline), show(r.actual),
                      "" if r.points is None else round(r.points, 2), r.explanation]
            for col, v in enumerate(values, start=1):
                put(ws, row, col, v).alignment = Alignment(wrap_text=True, vertical="top")
            ws.cell(row, 7).number_format = "0.00"
            fit_row(ws, row, {2: WIDTHS["B"], 8: WIDTHS["H"]})
            row += 1
    box(ws, 4, 1, row - 1, 8)
    row += 1
    head(ws, row, ["类别", "权重", "得分"])
    top = row
    for cat in role.categories:
        row += 1
        put(ws, row, 1, cat.name)
        put(ws, row, 2, f"{cat.weight:g}%")
        put(ws, row, 3, round(card.categories[cat.id], 2)).number_format = "0.00"
    box(ws, top, 1, row, 3)
    if card.adjustments:
        row += 2
        head(ws, row, ["加减分项目", "数量/名次", "得分", "说明"])
        top = row
        for a in card.adjustments:
            row += 1
            for col, v in enumerate([a.name, a.count, a.points, a.explanation], start=1):
                put(ws, row, col, v)
        box(ws, top, 1, row, 4)
    row += 2
    top = row
    pay = card.pay
    ranked = [a for a in card.adjustments if a.item in {b.id for b in plan.cohort_bonuses}]
    totals = [("总分", card.score)]
    if card.sheet_score is not None:  # rank bonuses came at roll-up: the sheet's total, the bonus, the total
        totals = [("表内总分", card.sheet_score), *((f"名次奖励（{a.name}）", a.points) for a in ranked),
                  ("最终总分", card.score)]
    for label, value in (*totals, ("等级", card.grade), ("绩效系数", card.coefficient),
                         ("责任底薪", float(pay.base_salary)), ("绩效工资", float(pay.performance_pay)),
                         ("业绩提成", float(pay.commission)), ("奖励", float(pay.awards)),
                         ("扣款", float(pay.deductions)), ("应发合计", float(pay.total))):
        put(ws, row, 1, label).font = BOLD
        c = put(ws, row, 3, value)
        if isinstance(value, float) and label not in ("绩效系数",):
            c.number_format = "0.00" if "总分" in label or "名次奖励" in label else MONEY
        row += 1
    box(ws, top, 1, row - 1, 3)
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    if role.weekly_report and weekly:
        _weekly_sheet(wb.create_sheet("周报"), role, weekly)
    return _save(wb)


def _weekly_sheet(ws, role, weekly: dict) -> None:
    n = max([4] + [len(v or []) for v in weekly.values()])  # the month's report weeks: 4 or 5
    head(ws, 1, ["项目", "单位", "周目标", *(f"第{w}周" for w in range(1, n + 1)), "月合计", "月完成率"])
    for row, item in enumerate(role.weekly_report, start=2):
        weeks = list(weekly.get(item.id) or [])[:n]
        total = sum(w for w in weeks if isinstance(w, (int, float))) if weeks else None
        rate = total / (n * item.target) if total is not None and item.target else None
        for col, v in enumerate([item.name, item.unit, item.target, *weeks + [None] * (n - len(weeks)), total,
                                 rate], start=1):
            put(ws, row, col, v)
        ws.cell(row, n + 5).number_format = "0%"
    box(ws, 1, 1, len(role.weekly_report) + 1, n + 5)
    ws.column_dimensions["A"].width = 14


def team_summary(plan: Plan, team: list[tuple[Employee, Scorecard]], month: str) -> bytes:
    """A manager's team: scores, grades and coefficients (pay stays with HR)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "团队汇总"
    put(ws, 1, 1, phrase("team_title", department=plan.department, month_zh=month_zh(month)))
    ws["A1"].font = TITLE
    head(ws, 2, ["工号", "姓名", "岗位", "总分", "等级", "绩效系数"])
    for row, (e, card) in enumerate(team, start=3):
        for col, v in enumerate([e.id, e.name, plan.roles[e.role].name, card.score, card.grade, card.coefficient],
                                start=1):
            put(ws, row, col, v)
        ws.cell(row, 4).number_format = "0.00"
    box(ws, 2, 1, len(team) + 2, 6)
    signature_block(ws, len(team) + 4, phrase("team_signatures"), phrase("signature_date"), spacing=3)
    ws.print_title_rows = "1:2"
    for col, width in zip("ABCDEF", (10, 10, 16, 10, 10, 10)):
        ws.column_dimensions[col].width = width
    return _save(wb)


def improvement_form(plan: Plan, e: Employee, card: Scorecard, month: str) -> bytes:
    """改进计划: the form a manager fills with an employee whose result calls for one (goals, measures,
    dates), returned to HR, who records it with ``xl-kpi plan-followup add``."""
    wb = Workbook()
    ws = wb.active
    ws.title = "改进计划"
    put(ws, 1, 1, phrase("improvement_title", department=plan.department, month_zh=month_zh(month)))
    ws["A1"].font = TITLE
    ws.merge_cells("A1:E1")
    for row, (label, value) in enumerate((("工号", e.id), ("姓名", e.name), ("岗位", plan.roles[e.role].name),
                                          ("本月总分", card.score), ("等级", card.grade)), start=2):
        put(ws, row, 1, label).font = BOLD
        put(ws, row, 2, value).alignment = Alignment(horizontal="left")
    ws["B5"].number_format = "0.00"
    put(ws, 8, 1, phrase("improvement_note"))
    ws.merge_cells("A8:E8")
    ws["A8"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[8].height = 45
    head(ws, 9, ["序号", "改进目标", "具体措施", "完成日期", "跟踪人"])
    for row in range(10, 15):
        put(ws, row, 1, row - 9).alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[row].height = 40
    box(ws, 9, 1, 14, 5)
    signature_block(ws, 16, phrase("improvement_signatures"), phrase("signature_date"), spacing=2)
    for col, width in zip("ABCDE", (10, 30, 34, 14, 12)):
        ws.column_dimensions[col].width = width
    print_a4(ws, landscape=False, footer=phrase("footer"))
    return _save(wb)

