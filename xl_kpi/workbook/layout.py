"""The monthly workbook of one role, built once with openpyxl.

The result is a template: every cell that differs between employees (names,
targets, baselines, what people typed) is a *slot*, filled cheaply per
employee by :mod:`xl_kpi.workbook.derive`. Formulas come from the rule
engine (``native``) or call the add-in's UDFs (``udf``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.numbers import num
from ..core.plan import PERIOD_NAMES, Metric, Plan
from ..core import expr
from ..core.rules import RATER_NAMES, Refs, shown_expr, text
from ..core.scorecard import (category_formula, coefficient_formula, grade_formula, growth_formula,
                              performance_pay_formula, total_formula, total_pay_formula, valid_formula)
from ..core.typed import is_count
from ..udfs import call
from . import texts
from .style import BOLD, BOX, INPUT_FILL, head, print_a4, put

ADJ_ROWS = 30  # rows of the 加减分 log
UNLOCKED = Protection(locked=False)
WRAP = Alignment(wrap_text=True, vertical="center")
META_SHEET = "_xl_kpi"
TYPED_PREFIXES = ("actual_", "week", "rating_", "input_", "poolpts_")  # names of cells a person may type in
RULE_COLUMN = "I"  # 考核表: the column holding each metric's rule text (hidden: it prints in words in J)
COMMISSION_RULE = f"{RULE_COLUMN}3"
# 加减分 log columns a person fills: column → (field, kind)
ADJ_COLUMNS = {"A": ("date", "text"), "B": ("item", "text"), "C": ("count", "number"),
               "D": ("chosen", "number"), "F": ("note", "text")}


@dataclass(frozen=True)
class Slot:
    sheet: str
    coord: str
    kind: str = "text"  # text or number
    typed: bool = False  # a person's input, kept on regeneration


@dataclass
class Layout:
    workbook: Workbook
    slots: dict[str, Slot] = field(default_factory=dict)

    def slot(self, key: str, ws, coord: str, kind: str = "text", typed: bool = False):
        self.slots[key] = Slot(ws.title, coord, kind, typed)
        ws[coord] = "§"  # a placeholder so the cell is written; derive replaces it
        return ws[coord]


def number_format(m_unit: str) -> str:
    return "0.00%" if m_unit == "%" else "General"


def _name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!{_abs(ref)}")


def _abs(ref: str) -> str:
    def one(c):
        col = "".join(ch for ch in c if ch.isalpha())
        return f"${col}${c[len(col):]}"
    return ":".join(one(c) for c in ref.split(":"))


def _head(ws, row: int, labels: list[str], col: int = 1) -> None:
    head(ws, row, labels, col, boxed=True)


def _input(cell, m: Metric | None = None) -> None:
    cell.fill, cell.protection, cell.border = INPUT_FILL, UNLOCKED, BOX
    if m is not None:
        cell.number_format = number_format(m.unit)


def _validation(ws, coord: str, lo, hi, unit: str, label: str, title: str, whole: bool = False) -> None:
    """Decimal (or whole) between lo and hi, with an input message saying the unit and range."""
    def shown(x):
        return f"{num(x * 100)}%" if unit == "%" else num(x)

    kind = "whole" if whole else "decimal"
    if whole and lo is None and hi is None:
        dv = DataValidation(type=kind, operator="between", formula1="-999999999999999", formula2="999999999999999")
    elif lo is not None and hi is not None:
        dv = DataValidation(type=kind, operator="between", formula1=num(lo), formula2=num(hi))
    elif lo is not None:
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=num(lo))
    elif hi is not None:
        dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=num(hi))
    else:
        dv = DataValidation(type=kind, operator="between", formula1="-1E+300", formula2="1E+300")
    if lo is not None and hi is not None:
        span = texts.phrase("range_between", lo=shown(lo), hi=shown(hi))
    elif lo is not None or hi is not None:
        span = texts.phrase("range_min", lo=shown(lo)) if lo is not None else texts.phrase("range_max", hi=shown(hi))
    else:
        span = ""
    words = dict(label=label, unit="百分比，如87%" if unit == "%" else unit, range=span, whole=whole)
    dv.promptTitle, dv.prompt = title, texts.phrase("input_prompt", **words)[:255]
    dv.errorTitle, dv.error = texts.phrase("input_error_title"), texts.phrase("input_error", **words)[:255]
    dv.showInputMessage = dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(coord)


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
        _pool_sheet(plan, led, wb.create_sheet(titles["sheet_pools"]), lay, titles, teams or {})
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
    c.font, c.alignment = Font(bold=True, size=16), Alignment(horizontal="center")
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
        _name(wb, key, ws.title, value.coordinate)
    ws["B3"].number_format = ws["D3"].number_format = "#,##0.00"
    if role.commission:  # in words on the page; the text KPI_COMMISSION reads in the hidden rule column
        ws["E3"], ws["F3"] = "提成规则", role.commission.describe()
        ws["E3"].font = BOLD
        ws.merge_cells("F3:H3")
        ws[COMMISSION_RULE] = role.commission.to_text()
    ws["A4"] = "评分结果"
    ws["A4"].font = BOLD
    ws.merge_cells("B4:L4")
    _name(wb, "score_result", ws.title, "B4")
    ws["B4"].protection = UNLOCKED  # the ribbon's 评分 writes its result line here

    head_row = 5
    _head(ws, head_row, titles["header"])
    row = head_row + 1
    metric_rows: dict[str, int] = {}
    cat_ranges = []
    adj_refs = _adjustment_sheet(plan, role_id, adj_ws, lay, mode, titles) if adj_ws else None
    week_refs = _weekly_sheet(role, weekly, lay, titles, role.weeks(month)) if weekly else {}
    for cat in role.categories:
        first = row
        for m in cat.metrics:
            metric_rows[m.id] = row
            _metric_row(ws, lay, plan, m, row, mode, month_no, titles, week_refs, cat)
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

    row = _inputs_block(ws, lay, plan, role, metric_rows, row + 1, mode, titles)
    row = _rating_block(ws, lay, role, metric_rows, row + 1, titles)
    row = _summary(ws, lay, plan, role_id, cat_ranges, metric_rows, adj_refs, row + 1, mode, month_no, titles)
    _signatures(ws, row + 2, titles)

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


def _metric_row(ws, lay: Layout, plan: Plan, m: Metric, row: int, mode: str, month_no: int, titles: dict,
                week_refs: dict[str, str], cat) -> None:
    rule = m.rule
    put(ws, row, 3, m.name)
    put(ws, row, 4, "%" if m.percent else m.unit)
    e, f, g, h = (f"{col}{row}" for col in "EFGH")
    for key, coord, unit in ((f"target_{m.id}", e, m.rule_unit), (f"baseline_{m.id}", f, m.unit)):
        lay.slot(key, ws, coord, "number")
        ws[coord].number_format = number_format(unit)
        _name(lay.workbook, key, ws.title, coord)
    lay.slot(f"baseline_src_{m.id}", ws, f"K{row}")
    ws[f"{RULE_COLUMN}{row}"] = rule.to_text()
    ws[f"J{row}"] = (titles["growth_prefix"] if m.measure == "growth" else "") + rule.describe(m.rule_unit)
    actual = ws[g]
    actual.number_format = number_format(m.unit)
    _name(lay.workbook, f"actual_{m.id}", ws.title, g)
    _name(lay.workbook, f"score_{m.id}", ws.title, h)
    if m.source == "weekly_sum":
        weeks = week_refs[m.id]
        actual.value = f'=IF(COUNT({weeks})<{weeks.count(",") + 1},"",SUM({weeks}))'
    elif m.source == "rating" or m.compute:
        pass  # the rating block, or the inputs block, writes the actual here
    else:
        lay.slot(f"actual_{m.id}", ws, g, "number", typed=True)
        _input(actual, m)
        _validation(ws, g, m.min, m.max, m.unit, m.name, titles["input_title"], whole=is_count(m.unit))
    if not m.applies_in(month_no):  # the points cell says it briefly, 得分说明 says how the category is rescaled
        ws[h] = texts.phrase("not_this_month_short")
        ws[f"L{row}"] = texts.phrase("not_this_month", period=PERIOD_NAMES[m.period], category=cat.name,
                                     possible=num(cat.possible(month_no)))
        _name(lay.workbook, f"explain_{m.id}", ws.title, f"L{row}")
        return
    valid = valid_formula(m, g)
    if m.measure == "growth":  # the rule scores the growth over the baseline (a positive number)
        scored = growth_formula(row)
        points = rule.formula(Refs(scored, e)) if mode == "native" else call("KPI_SCORE", scored, f"I{row}", e)
        valid = f"IF(IF(ISNUMBER({f}),{f}>0,FALSE),{valid},FALSE)"
    else:
        points = rule.formula(Refs(g, e, f)) if mode == "native" else call("KPI_SCORE", g, f"I{row}", e, f)
    # Out of range or not a number: no points, as the scorecard gives none (it reports the cell instead).
    ws[h] = f'=IF({valid},{points},"")'
    ws[h].number_format = "0.00"
    _name(lay.workbook, f"explain_{m.id}", ws.title, f"L{row}")
    if not m.compute:  # a computed metric's explanation starts with its computation: the inputs block writes it
        ws[f"L{row}"] = f'=IF(ISNUMBER({h}),{_explain_text(m, row, mode)},"")'


def _explain_text(m: Metric, row: int, mode: str) -> str:
    """The rule's own text formula (the same words as its explain()), or KPI_EXPLAIN in UDF workbooks;
    a growth metric's starts with the growth (粉丝数12000人，较基准10000人增长20%；…)."""
    g, e, f, h = (f"{col}{row}" for col in "GEFH")
    if m.measure == "growth":
        scored = growth_formula(row)
        words = (f'{text(m.name)}&{shown_expr(g, m.unit)}&"，较基准"&{shown_expr(f, m.unit)}&"增长"&'
                 f'{shown_expr(scored, "%")}&"；"')
        rule = (m.rule.explain_formula(Refs(scored, e), h, "%") if mode == "native"
                else call("KPI_EXPLAIN", scored, f"{RULE_COLUMN}{row}", e, "", '"%"'))
        return f"{words}&{rule}"
    if mode == "native":
        return m.rule.explain_formula(Refs(g, e, f), h, m.unit)
    return call("KPI_EXPLAIN", g, f"{RULE_COLUMN}{row}", e, f, '"%"' if m.percent else f'"{m.unit}"')


def _inputs_block(ws, lay: Layout, plan: Plan, role, metric_rows: dict[str, int], row: int, mode: str,
                  titles: dict) -> int:
    """原始数据: the figures computed metrics use (typed or imported), then each computed metric's actual
    as a formula over them and its explanation (投诉率 = 12 ÷ 1034 = 1.16%；…)."""
    if not role.inputs:
        return row
    _head(ws, row, titles["inputs_header"], col=3)
    row += 1
    refs = {m.id: f"G{metric_rows[m.id]}" for m in role.metrics}
    units = {m.id: ("%" if m.percent else m.unit) for m in role.metrics}
    for item in role.inputs:
        put(ws, row, 3, item.name)
        put(ws, row, 4, item.unit)
        cell = lay.slot(f"input_{item.id}", ws, f"G{row}", "number", typed=True)
        _input(cell)
        cell.number_format = number_format(item.unit)
        _validation(ws, f"G{row}", item.min, item.max, item.unit, item.name, titles["input_title"],
                    whole=is_count(item.unit))
        _name(lay.workbook, f"input_{item.id}", ws.title, f"G{row}")
        for col in (3, 4, 7):
            ws.cell(row, col).border = BOX
        refs[item.id], units[item.id] = f"G{row}", item.unit
        row += 1
    for m in role.metrics:
        if not m.compute:
            continue
        r = metric_rows[m.id]
        node = m.expression
        used = [refs[n] for n in expr.names(node)]
        ws[f"G{r}"] = f'=IF(COUNT({",".join(used)})<{len(used)},"",{expr.formula(node, refs, m.if_zero)})'
        ws[f"G{r}"].number_format = number_format(m.unit)
        words = expr.words_formula(node, {n: shown_expr(refs[n], units[n]) for n in expr.names(node)})
        calc = f'{text(m.name + " = ")}&{words}&" = "&{shown_expr(f"G{r}", units[m.id])}&"；"'
        ws[f"L{r}"] = f'=IF(ISNUMBER(H{r}),{calc}&{_explain_text(m, r, mode)},"")'
    return row


def _rating_block(ws, lay: Layout, role, metric_rows: dict[str, int], row: int, titles: dict) -> int:
    rated = [m for m in role.metrics if m.source == "rating"]
    if not rated:
        return row
    _head(ws, row, titles["rating_header"], col=3)
    row += 1
    for m in rated:
        refs = {}
        for rater, w in m.rule.weights.items():
            put(ws, row, 3, m.name)
            put(ws, row, 4, RATER_NAMES[rater])
            put(ws, row, 5, w / 100).number_format = "0%"
            key = f"rating_{m.id}_{rater}"
            cell = lay.slot(key, ws, f"F{row}", "number", typed=True)
            _input(cell)
            _validation(ws, f"F{row}", 0, m.rule.scale, "", f"{m.name}（{RATER_NAMES[rater]}）", titles["input_title"])
            _name(lay.workbook, key, ws.title, f"F{row}")
            for col in range(3, 7):
                ws.cell(row, col).border = BOX
            refs[rater] = f"F{row}"
            row += 1
        cells = ",".join(refs.values())
        ws[f"G{metric_rows[m.id]}"] = f'=IF(COUNT({cells})<{len(refs)},"",{m.rule.combine_formula(refs)})'
    return row


def _weekly_sheet(role, ws, lay: Layout, titles: dict, weeks: int) -> dict[str, str]:
    """周报: each report week of the month (4 or 5) with its target (the plan's, or HR's for that week),
    actual and completion rate, the month's totals, and a 数据分析总结 for each week; returns item →
    its weeks' cells."""
    last = get_column_letter(3 + 3 * (weeks + 1))
    ws.merge_cells(f"A1:{last}1")
    c = lay.slot("weekly_title", ws, "A1")
    c.font, c.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    _head(ws, 3, titles["weekly_header"])
    col = 4
    for w in range(1, weeks + 2):
        ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + 2)
        put(ws, 2, col, f"第{w}周" if w <= weeks else "月合计").font = BOLD
        _head(ws, 3, ["目标", "实际", "完成率"], col)
        col += 3
    refs = {}
    for i, item in enumerate(role.weekly_report):
        r = 4 + i
        put(ws, r, 1, item.name)
        put(ws, r, 2, item.unit)
        put(ws, r, 3, item.target)
        cells, targets = [], []
        for w in range(weeks):
            t, a, p = (get_column_letter(4 + 3 * w + k) for k in range(3))
            lay.slot(f"weektarget{w + 1}_{item.id}", ws, f"{t}{r}", "number")  # the plan's, or HR's for the week
            _name(lay.workbook, f"weektarget{w + 1}_{item.id}", ws.title, f"{t}{r}")
            key = f"week{w + 1}_{item.id}"
            _input(lay.slot(key, ws, f"{a}{r}", "number", typed=True))
            _validation(ws, f"{a}{r}", 0, None, item.unit, f"{item.name}第{w + 1}周", titles["input_title"],
                        whole=is_count(item.unit))
            _name(lay.workbook, key, ws.title, f"{a}{r}")
            ws[f"{p}{r}"] = f'=IF(AND(ISNUMBER({a}{r}),N({t}{r})>0),{a}{r}/{t}{r},"")'
            ws[f"{p}{r}"].number_format = "0%"
            cells.append(f"{a}{r}")
            targets.append(f"{t}{r}")
        t, a, p = (get_column_letter(4 + 3 * weeks + k) for k in range(3))
        ws[f"{t}{r}"] = f"=SUM({','.join(targets)})"
        ws[f"{a}{r}"] = f'=IF(COUNT({",".join(cells)})<{weeks},"",SUM({",".join(cells)}))'
        ws[f"{p}{r}"] = f'=IF(AND(ISNUMBER({a}{r}),{t}{r}>0),{a}{r}/{t}{r},"")'
        ws[f"{p}{r}"].number_format = "0%"
        for c in range(1, 4 + 3 * (weeks + 1)):
            ws.cell(r, c).border = BOX
        refs[item.id] = ",".join(f"'{ws.title}'!{x}" for x in cells)
    r = 4 + len(role.weekly_report) + 1  # 数据分析总结: each week's own words
    label = put(ws, r, 1, titles["weekly_summary"])
    label.font, label.alignment = BOLD, Alignment(vertical="top")
    for w in range(weeks):
        first = 4 + 3 * w
        ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=first + 2)
        cell = lay.slot(f"weeknote{w + 1}", ws, f"{get_column_letter(first)}{r}", "text", typed=True)
        _input(cell)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        _name(lay.workbook, f"weeknote{w + 1}", ws.title, cell.coordinate)
    ws.row_dimensions[r].height = 90
    ws.column_dimensions["A"].width = 14
    return refs


def _pool_sheet(plan: Plan, pools, ws, lay: Layout, titles: dict, teams: dict[str, int]) -> None:
    """积分分配: for each team pool this role splits, one row per member (工号 and 姓名 from the roster,
    the share typed by the lead) and a 合计 that says whether the shares add up to the pool."""
    ws.merge_cells("A1:D1")
    c = lay.slot("pools_title", ws, "A1")
    c.font, c.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    ws.merge_cells("A2:D2")
    put(ws, 2, 1, titles["pools_note"]).alignment = WRAP
    ws.row_dimensions[2].height = 36
    row = 4
    for pool in pools:
        wants = pool.totals()
        want = "或".join(f"{t:+g}" for t in wants)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        heading = texts.phrase("pool_heading", name=pool.name, team=plan.roles[pool.role].name, want=want,
                               period=pool.period)
        put(ws, row, 1, heading).font = BOLD
        _head(ws, row + 1, titles["pools_header"])
        first = row + 2
        n = max(teams.get(pool.id, 0), 1)
        for i in range(n):
            r = first + i
            _name(lay.workbook, f"poolwho_{pool.id}_{i}", ws.title, f"A{r}")
            lay.slot(f"poolwho_{pool.id}_{i}", ws, f"A{r}")
            lay.slot(f"poolname_{pool.id}_{i}", ws, f"B{r}")
            key = f"poolpts_{pool.id}_{i}"
            _input(lay.slot(key, ws, f"C{r}", "number", typed=True))
            ws[f"C{r}"].number_format = "+0.##;-0.##;0"
            _name(lay.workbook, key, ws.title, f"C{r}")
            for col in "ABD":
                ws[f"{col}{r}"].border = BOX
        last = first + n - 1
        _validation(ws, f"C{first}:C{last}", -pool.amount, pool.amount, "分", texts.phrase("pool_share", name=pool.name),
                    titles["input_title"])
        total = last + 1
        put(ws, total, 1, titles["pools_total"]).font = BOLD
        span = f"C{first}:C{last}"
        ws[f"C{total}"] = f"=SUM({span})"
        ws[f"C{total}"].number_format = "+0.##;-0.##;0"
        _name(lay.workbook, f"pooltotal_{pool.id}", ws.title, f"C{total}")
        right = ",".join(f"ROUND(SUM({span}),2)={num(t)}" for t in wants)
        ws[f"D{total}"] = (f'=IF(COUNT({span})=0,"{titles["pools_empty"]}",IF(OR({right}),"{titles["pools_ok"]}",'
                           f'"{texts.phrase("pool_wrong", want=want)}"))')
        for col in "ABCD":
            ws[f"{col}{total}"].border = BOX
        row = total + 2
    for col, width in zip("ABCD", (14, 14, 12, 40)):
        ws.column_dimensions[col].width = width


def _adjustment_sheet(plan: Plan, role_id: str, ws, lay: Layout, mode: str, titles: dict) -> dict[str, str]:
    """加减分: a log whose rows score by the chosen item's rule; returns the sum ranges."""
    adjs = plan.role_adjustments(role_id)
    ws.merge_cells("A1:F1")
    c = lay.slot("adjustments_title", ws, "A1")
    c.font, c.alignment = Font(bold=True, size=14), Alignment(horizontal="center")
    head, first = 3, 4
    last = first + ADJ_ROWS - 1
    _head(ws, head, titles["adjustments_header"])
    _head(ws, head, [titles["adjustments_money"]], col=8)  # H: yuan of the items that count in pay
    _head(ws, head, [titles["adjustments_explain"]], col=10)
    # the items table (K:N) the drop-down and the formulas look up
    _head(ws, head, ["项目", "规则", "规则说明", "计入"], col=11)
    for i, a in enumerate(adjs):
        r = first + i
        put(ws, r, 11, a.name)
        put(ws, r, 12, a.rule.to_text())
        put(ws, r, 13, a.rule.describe() + (f"（{a.note}）" if a.note else ""))
        put(ws, r, 14, "工资" if a.applies_to == "pay" else "分数")
    names = f"$K${first}:$K${first + len(adjs) - 1}"
    _name(lay.workbook, "adj_items", ws.title, f"K{first}:K{first + len(adjs) - 1}")
    dv = DataValidation(type="list", formula1=names, allow_blank=True)
    dv.promptTitle, dv.prompt = "加减分项目", "从下拉列表选择项目；数量不填为1次。"
    dv.showInputMessage = dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(f"B{first}:B{last}")
    _validation(ws, f"C{first}:C{last}", 0, None, "", "数量（名次类项目填名次，不填为1）", titles["input_title"], whole=True)
    _validation(ws, f"D{first}:D{last}", 0, None, "", "分值（仅范围扣分项填写，如重大差错1–5）", titles["input_title"])
    for r in range(first, last + 1):
        for col, (field_, kind) in ADJ_COLUMNS.items():
            _input(lay.slot(f"adj_{field_}_{r - first}", ws, f"{col}{r}", kind, typed=True))
        ws[f"A{r}"].number_format = "@"
        count = f'IF(C{r}="",1,C{r})'
        idx = f"I{r}"
        ws[idx] = f'=IF(B{r}="","",MATCH(B{r},{names},0))'
        rule_cells = [f"$L${first + i}" for i in range(len(adjs))]

        def each(i, a, for_pay):
            if (a.applies_to == "pay") != for_pay:
                return "0"
            if mode == "native":
                return a.rule.formula(Refs(count, chosen=f"D{r}"))
            return call("KPI_ADJUST", count, rule_cells[i], f"D{r}")

        score = ",".join(each(i, a, False) for i, a in enumerate(adjs))
        money = ",".join(each(i, a, True) for i, a in enumerate(adjs))
        codes = ",".join({"zero": "2", "lowest_grade": "1"}.get(getattr(a.rule, "effect", ""), "0") for a in adjs)
        ws[f"E{r}"] = f'=IF(B{r}="","",CHOOSE({idx},{score}))'
        # 得分说明: each item's own words, from the points (E) or the yuan (H) the row gives
        words = ",".join(a.rule.explain_formula(Refs(count, chosen=f"D{r}"), f"{'H' if a.applies_to == 'pay' else 'E'}{r}")
                         for a in adjs)
        ws[f"J{r}"] = f'=IF(ISNUMBER(E{r}),CHOOSE({idx},{words}),"")'
        ws[f"G{r}"] = f'=IF(B{r}="",0,IF({count}>=1,CHOOSE({idx},{codes}),0))'
        ws[f"H{r}"] = f'=IF(B{r}="","",CHOOSE({idx},{money}))'
        for col in "ABCDEF":
            ws[f"{col}{r}"].border = BOX
    for col, width in zip("ABCDEFGHIJKLMN", (12, 18, 7, 7, 8, 30, 4, 8, 4, 28, 18, 22, 40, 6)):
        ws.column_dimensions[col].width = width
    for col in "GIL":  # L: the rule texts the formulas read; M says them in words
        ws.column_dimensions[col].hidden = True
    _name(lay.workbook, "adj_log", ws.title, f"A{first}:F{last}")
    t = f"'{ws.title}'!"
    return {"score": f"{t}E{first}:E{last}", "money": f"{t}H{first}:H{last}", "veto": f"{t}G{first}:G{last}"}


def _summary(ws, lay: Layout, plan: Plan, role_id: str, cat_ranges, metric_rows, adj_refs, row: int, mode: str,
             month_no: int, titles: dict) -> int:
    role = plan.roles[role_id]
    _head(ws, row, [titles["summary"], "权重", "", "", "满分", "", "", "得分"])
    grades = _grades_table(ws, lay, plan, row)
    row += 1
    cat_first = row
    for cat, first, last in cat_ranges:
        counted = sum(m.applies_in(month_no) for m in cat.metrics)
        put(ws, row, 1, cat.name)
        put(ws, row, 2, cat.weight / 100).number_format = "0%"
        put(ws, row, 5, cat.possible(month_no))
        pts = f"H{first}:H{last}"
        possible = cat.possible(month_no)
        if mode == "native":
            ws[f"H{row}"] = f'=IF(COUNT({pts})<{counted},"",{category_formula(cat.weight, pts, possible)})'
        else:
            ws[f"H{row}"] = "=" + call("KPI_CATEGORY", num(cat.weight), pts, num(possible), str(counted))
        ws[f"H{row}"].number_format = "0.00"
        _name(lay.workbook, f"category_{cat.id}", ws.title, f"H{row}")
        row += 1
    cats = f"H{cat_first}:H{row - 1}"
    n_cats = row - cat_first
    _category_chart(ws, cat_first, row - 1, f"J{cat_first + len(plan.grades) + 1}")

    def line(label: str, name: str, formula, fmt="0.00"):
        nonlocal row
        put(ws, row, 1, label).font = BOLD
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws[f"H{row}"] = formula
        ws[f"H{row}"].number_format = fmt
        ws[f"H{row}"].font = BOLD
        ws[f"H{row}"].border = BOX
        _name(lay.workbook, name, ws.title, f"H{row}")
        row += 1
        return f"H{row - 1}"

    adj = line("加减分合计", "adjustments", f"=SUM({adj_refs['score']})" if adj_refs else "=0")
    vz = line("一票否决（总分记0）", "veto_zero", f"=COUNTIF({adj_refs['veto']},2)" if adj_refs else "=0", "0")
    vl = line("一票否决（等级最低）", "veto_lowest", f"=COUNTIF({adj_refs['veto']},1)" if adj_refs else "=0", "0")
    native = mode == "native"
    cap = num(plan.score_cap) if plan.score_cap is not None else ""
    ranked_later = any(b.role == role_id for b in plan.cohort_bonuses)  # added at roll-up, after this sheet
    total = line(titles["total_before_rank"] if ranked_later else "总分", "total_score", f'=IF(COUNT({cats})<{n_cats},"",{total_formula(plan, cats, adj, vz)})' if native
                 else "=" + call("KPI_TOTAL", cats, adj, vz, num(plan.score_floor), cap))
    if native:
        g, k = grade_formula(plan, total, vl), coefficient_formula(plan, total, vl)
    else:
        g, k = call("KPI_GRADE", total, grades, vl), call("KPI_COEF", total, grades, vl)
    line("等级", "grade", f'=IF({total}="","",{g})', "@")
    coef = line("绩效系数", "coefficient", f'=IF({total}="","",{k})', "0.00")
    pay = performance_pay_formula("$D$3", coef) if native else call("KPI_PAY", "$D$3", coef)
    perf = line("绩效工资", "performance_pay", f'=IF({coef}="","",{pay})', "#,##0.00")
    if role.commission:
        a = f"G{metric_rows[role.commission.metric]}"
        if native:
            c = role.commission.formula(a)
        else:
            c = call("KPI_COMMISSION", a, _abs(COMMISSION_RULE))
        comm = line(f"业绩提成（{role.commission.describe()}）", "commission", f'=IF(ISNUMBER({a}),{c},"")', "#,##0.00")
    else:
        comm = line("业绩提成", "commission", "=0", "#,##0.00")
    money = adj_refs["money"] if adj_refs else None
    awards = line("奖励", "awards", f'=ROUND(SUMIF({money},">0"),2)' if money else "=0", "#,##0.00")
    deductions = line("扣款", "deductions", f'=ROUND(-SUMIF({money},"<0"),2)' if money else "=0", "#,##0.00")
    parts = ["$B$3", perf, comm, awards]
    line("应发合计", "total_pay", f'=IF(OR({perf}="",{comm}=""),"",{total_pay_formula(parts, deductions)})', "#,##0.00")
    return row


def _category_chart(ws, first: int, last: int, anchor: str) -> None:
    """类别得分 as bars: how each category went, at a glance."""
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "类别得分", None
    chart.add_data(Reference(ws, min_col=8, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.width, chart.height = 11, 5.5
    chart.y_axis.number_format, chart.y_axis.majorUnit = "0", 10  # whole points, few labels
    ws.add_chart(chart, anchor)


def _grades_table(ws, lay: Layout, plan: Plan, top: int) -> str:
    """等级 | 最低分 | 系数 beside the summary: HR sees the scale, the UDFs read it."""
    _head(ws, top, ["等级", "最低分", "系数"], col=10)
    for i, g in enumerate(plan.grades):
        r = top + 1 + i
        put(ws, r, 10, g.name)
        put(ws, r, 11, g.min)
        put(ws, r, 12, g.coefficient)
        for c in range(10, 13):
            ws.cell(r, c).border = BOX
    ref = f"J{top + 1}:L{top + len(plan.grades)}"
    _name(lay.workbook, "grade_table", ws.title, ref)
    return ref


def _signatures(ws, row: int, titles: dict) -> None:
    for i, who in enumerate(titles["signatures"]):
        col = (1, 5, 10)[i] if i < 3 else 1 + i * 4  # column I is hidden (the rule texts)
        put(ws, row, col, f"{who}签字：______________")
        put(ws, row + 1, col, f"{titles['signature_date']}：______________")


def _print_setup(ws, titles: dict, title_rows: int) -> None:
    print_a4(ws)
    ws.print_title_rows = f"1:{title_rows}"
    ws.oddFooter.center.text = titles["footer"]
    ws.page_margins.left = ws.page_margins.right = 0.4


def _meta(ws, lay: Layout) -> None:
    """Hidden facts about the file: who, which month and mode, and the defaults written."""
    for i, key in enumerate(("meta_employee", "meta_role", "meta_month", "meta_mode"), start=1):
        put(ws, i, 1, key)
        lay.slot(key, ws, f"B{i}")
