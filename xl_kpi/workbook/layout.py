"""The monthly workbook of one role, built once with openpyxl.

The result is a template: every cell that differs between employees (names,
targets, baselines, what people typed) is a *slot*, filled cheaply per
employee by :mod:`xl_kpi.workbook.derive`. Formulas come from the rule
engine (``native``) or call the add-in's UDFs (``udf``).
"""
from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment

from ..core.plan import Plan
from .cells import (
    COMMISSION_RULE,
    META_SHEET,
    RULE_COLUMN,
    UNLOCKED,
    WRAP,
    Layout,
    boxed_head,
    define_name,
)
from .scorecard_sheet import (
    inputs_block,
    metric_row,
    rating_block,
    signatures,
    summary_block,
)
from .side_sheets import adjustment_sheet, pool_sheet, weekly_sheet
from .style import BOLD, BOX, HEADING, print_a4, put


def build_role_template(plan: Plan, role_id: str, month: str, mode: str, titles: dict,
                        teams: dict[str, int] | None = None) -> Layout:
    """The role's workbook for the month, with empty slots; ``teams`` (pool id → members) sizes the
    积分分配 sheet of a role that splits team pools."""
    role = plan.roles[role_id]
    month_no = int(month[5:])
    wb = Workbook()
    lay = Layout(wb)
    info = wb.active
    info.title = titles["sheet_instructions"]
    ws = wb.create_sheet(titles["sheet_scorecard"])
    weekly = wb.create_sheet(titles["sheet_weekly"]) if role.weekly_report else None
    adjs = plan.role_adjustments(role_id)
    adj_ws = wb.create_sheet(titles["sheet_adjustments"]) if adjs else None
    led = plan.pools_led(role_id, month)
    if led:
        pool_sheet(plan, led, wb.create_sheet(titles["sheet_pools"]), lay, titles, teams or {})
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"

    # 说明
    info.column_dimensions["A"].width = 100
    c = lay.slot("instructions", info, "A1")
    c.alignment = Alignment(wrap_text=True, vertical="top")
    info.row_dimensions[1].height = 330

    # 考核表: heading
    ws.merge_cells("A1:L1")
    c = lay.slot("title", ws, "A1")
    c.font, c.alignment = HEADING, Alignment(horizontal="center")
    for coord, label, key in (("A2", "工号", "employee_id"), ("C2", "姓名", "employee_name"),
                              ("E2", "部门", "department"), ("G2", "岗位", "role_name"), ("K2", "月份", "month"),
                              ("A3", "责任底薪", "base_salary"), ("C3", "绩效工资基数", "performance_pay_base"),
                              ("K3", "评分时间", "scored_at")):
        ws[coord] = label
        ws[coord].font = BOLD
        value = ws.cell(ws[coord].row, ws[coord].column + 1)
        lay.slot(key, ws, value.coordinate, "number" if key in ("base_salary", "performance_pay_base") else "text")
        value.border = BOX
        if key == "scored_at":  # the ribbon's 评分 stamps it on the protected sheet
            value.protection = UNLOCKED
        define_name(wb, key, ws.title, value.coordinate)
    ws["B3"].number_format = ws["D3"].number_format = "#,##0.00"
    if role.commission:  # in words on the page; the text KPI_COMMISSION reads in the hidden rule column
        ws["E3"], ws["F3"] = "提成规则", role.commission.describe()
        ws["E3"].font = BOLD
        ws.merge_cells("F3:H3")
        ws[COMMISSION_RULE] = role.commission.to_text()
    ws["A4"] = "评分结果"
    ws["A4"].font = BOLD
    ws.merge_cells("B4:L4")
    define_name(wb, "score_result", ws.title, "B4")
    ws["B4"].protection = UNLOCKED  # the ribbon's 评分 writes its result line here

    head_row = 5
    boxed_head(ws, head_row, titles["header"])
    row = head_row + 1
    metric_rows: dict[str, int] = {}
    cat_ranges = []
    adj_refs = adjustment_sheet(plan, role_id, adj_ws, lay, mode, titles) if adj_ws else None
    week_refs = weekly_sheet(role, weekly, lay, titles, role.weeks(month)) if weekly else {}
    for cat in role.categories:
        first = row
        for m in cat.metrics:
            metric_rows[m.id] = row
            metric_row(ws, lay, plan, m, row, mode, month_no, titles, week_refs, cat)
            put(ws, row, 1, cat.name)
            put(ws, row, 2, cat.weight / 100).number_format = "0%"
            row += 1
        cat_ranges.append((cat, first, row - 1))
        if row - 1 > first:
            ws.merge_cells(start_row=first, start_column=1, end_row=row - 1, end_column=1)
            ws.merge_cells(start_row=first, start_column=2, end_row=row - 1, end_column=2)
    for r in range(head_row + 1, row):
        ws.row_dimensions[r].height = 42  # room for the wrapped rule texts
        for col in range(1, 13):
            ws.cell(r, col).border = BOX
            ws.cell(r, col).alignment = WRAP

    row = inputs_block(ws, lay, plan, role, metric_rows, row + 1, mode, titles)
    row = rating_block(ws, lay, role, metric_rows, row + 1, titles, plan.ratings.shown)
    row = summary_block(ws, lay, plan, role_id, cat_ranges, metric_rows, adj_refs, row + 1, mode, month_no, titles)
    signatures(ws, row + 2, titles)

    # money columns (B, D, H) hold up to 9,999,999.99 without ###
    for col, width in zip("ABCDEFGHIJKL", (12, 14, 18, 14, 11, 11, 12, 14, 30, 34, 16, 36)):
        ws.column_dimensions[col].width = width
    ws.column_dimensions[RULE_COLUMN].hidden = True
    _meta(meta, lay)
    for sheet in wb.worksheets:
        _print_setup(sheet, titles, head_row if sheet is ws else 3)
        if sheet is not meta:
            sheet.protection.sheet = True
            sheet.protection.formatCells = False  # the ribbon's 评分 colours cells that must be fixed
    ws.page_setup.fitToHeight = 1  # the figures and the signatures on one page, the page HR signs
    wb.active = 1
    return lay


def _print_setup(ws, titles: dict, title_rows: int) -> None:
    print_a4(ws)
    ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.center.text = titles["footer"]
    ws.page_margins.left = ws.page_margins.right = 0.4


def _meta(ws, lay: Layout) -> None:
    """Hidden facts about the file: who, which month and mode, and the release of xl_kpi that wrote it."""
    for i, key in enumerate(("meta_employee", "meta_role", "meta_month", "meta_mode", "meta_version"), start=1):
        put(ws, i, 1, key)
        lay.slot(key, ws, f"B{i}")
