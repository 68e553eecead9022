"""The sheets beside 考核表: 周报 (the month's report weeks), 积分分配 (a lead's split of team pools) and
加减分 (the log, each row's points by its item's rule)."""
from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.numbers import num
from ..core.plan import Plan
from ..core.rules import Refs
from ..core.typed import is_count
from ..core.udf_calls import call
from . import texts
from .cells import (
    ADJ_COLUMNS,
    ADJ_ROWS,
    WRAP,
    Layout,
    add_validation,
    boxed_head,
    define_name,
    input_cell,
)
from .style import BOLD, BOX, TITLE, fit_row, put


def weekly_sheet(role, ws, lay: Layout, titles: dict, weeks: int) -> dict[str, str]:
    """周报: each report week of the month (4 or 5) with its target (the plan's, or HR's for that week),
    actual and completion rate, the month's totals, and a 数据分析总结 for each week; returns item →
    its weeks' cells."""
    last = get_column_letter(3 + 3 * (weeks + 1))
    ws.merge_cells(f"A1:{last}1")
    c = lay.slot("weekly_title", ws, "A1")
    c.font, c.alignment = TITLE, Alignment(horizontal="center")
    boxed_head(ws, 3, titles["weekly_header"])
    col = 4
    for w in range(1, weeks + 2):
        ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + 2)
        put(ws, 2, col, f"第{w}周" if w <= weeks else "月合计").font = BOLD
        boxed_head(ws, 3, ["目标", "实际", "完成率"], col)
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
            define_name(lay.workbook, f"weektarget{w + 1}_{item.id}", ws.title, f"{t}{r}")
            key = f"week{w + 1}_{item.id}"
            input_cell(lay.slot(key, ws, f"{a}{r}", "number", typed=True))
            add_validation(ws, f"{a}{r}", 0, None, item.unit, f"{item.name}第{w + 1}周", titles["input_title"],
                        whole=is_count(item.unit))
            define_name(lay.workbook, key, ws.title, f"{a}{r}")
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
        input_cell(cell)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        define_name(lay.workbook, f"weeknote{w + 1}", ws.title, cell.coordinate)
    ws.row_dimensions[r].height = 90
    ws.column_dimensions["A"].width = 14
    return refs


def pool_sheet(plan: Plan, pools, ws, lay: Layout, titles: dict, teams: dict[str, int]) -> None:
    """积分分配: for each team pool this role splits, one row per member (工号 and 姓名 from the roster,
    the share typed by the lead) and a 合计 that says whether the shares add up to the pool."""
    ws.merge_cells("A1:D1")
    c = lay.slot("pools_title", ws, "A1")
    c.font, c.alignment = TITLE, Alignment(horizontal="center")
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
        boxed_head(ws, row + 1, titles["pools_header"])
        first = row + 2
        n = max(teams.get(pool.id, 0), 1)
        for i in range(n):
            r = first + i
            define_name(lay.workbook, f"poolwho_{pool.id}_{i}", ws.title, f"A{r}")
            lay.slot(f"poolwho_{pool.id}_{i}", ws, f"A{r}")
            lay.slot(f"poolname_{pool.id}_{i}", ws, f"B{r}")
            key = f"poolpts_{pool.id}_{i}"
            input_cell(lay.slot(key, ws, f"C{r}", "number", typed=True))
            ws[f"C{r}"].number_format = "+0.##;-0.##;0"
            define_name(lay.workbook, key, ws.title, f"C{r}")
            for col in "ABD":
                ws[f"{col}{r}"].border = BOX
        last = first + n - 1
        add_validation(ws, f"C{first}:C{last}", -pool.amount, pool.amount, "分", texts.phrase("pool_share", name=pool.name),
                    titles["input_title"])
        total = last + 1
        put(ws, total, 1, titles["pools_total"]).font = BOLD
        span = f"C{first}:C{last}"
        ws[f"C{total}"] = f"=SUM({span})"
        ws[f"C{total}"].number_format = "+0.##;-0.##;0"
        define_name(lay.workbook, f"pooltotal_{pool.id}", ws.title, f"C{total}")
        right = ",".join(f"ROUND(SUM({span}),2)={num(t)}" for t in wants)
        ws[f"D{total}"] = (f'=IF(COUNT({span})=0,"{titles["pools_empty"]}",IF(OR({right}),"{titles["pools_ok"]}",'
                           f'"{texts.phrase("pool_wrong", want=want)}"))')
        for col in "ABCD":
            ws[f"{col}{total}"].border = BOX
        row = total + 2
    for col, width in zip("ABCD", (14, 14, 12, 40)):
        ws.column_dimensions[col].width = width


ADJ_WIDTHS = (12, 18, 7, 7, 8, 30, 4, 11, 4, 28, 18, 22, 40, 6)  # H holds 金额（元） on one line


def adjustment_sheet(plan: Plan, role_id: str, ws, lay: Layout, mode: str, titles: dict) -> dict[str, str]:
    """加减分: a log whose rows score by the chosen item's rule; returns the sum ranges."""
    adjs = plan.role_adjustments(role_id)
    ws.merge_cells("A1:F1")
    c = lay.slot("adjustments_title", ws, "A1")
    c.font, c.alignment = TITLE, Alignment(horizontal="center")
    head, first = 3, 4
    last = first + ADJ_ROWS - 1
    boxed_head(ws, head, titles["adjustments_header"])
    boxed_head(ws, head, [titles["adjustments_money"]], col=8)  # H: yuan of the items that count in pay
    boxed_head(ws, head, [titles["adjustments_explain"]], col=10)
    # the items table (K:N) the drop-down and the formulas look up
    boxed_head(ws, head, ["项目", "规则", "规则说明", "计入"], col=11)
    for i, a in enumerate(adjs):
        r = first + i
        put(ws, r, 11, a.name)
        put(ws, r, 12, a.rule.to_text())
        put(ws, r, 13, a.rule.describe() + (f"（{a.note}）" if a.note else "")).alignment = WRAP
        put(ws, r, 14, "工资" if a.applies_to == "pay" else "分数")
        fit_row(ws, r, {13: ADJ_WIDTHS[12]})  # 规则说明 whole, never cut at the column's edge
    names = f"$K${first}:$K${first + len(adjs) - 1}"
    define_name(lay.workbook, "adj_items", ws.title, f"K{first}:K{first + len(adjs) - 1}")
    dv = DataValidation(type="list", formula1=names, allow_blank=True)
    dv.promptTitle, dv.prompt = "加减分项目", "从下拉列表选择项目；数量不填为1次。"
    dv.showInputMessage = dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(f"B{first}:B{last}")
    add_validation(ws, f"C{first}:C{last}", 0, None, "", "数量（名次类项目填名次，不填为1）", titles["input_title"], whole=True)
    add_validation(ws, f"D{first}:D{last}", 0, None, "", "分值（仅范围扣分项填写，如重大差错1–5）", titles["input_title"])
    for r in range(first, last + 1):
        for col, (field_, kind) in ADJ_COLUMNS.items():
            input_cell(lay.slot(f"adj_{field_}_{r - first}", ws, f"{col}{r}", kind, typed=True))
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
    for col, width in zip("ABCDEFGHIJKLMN", ADJ_WIDTHS):
        ws.column_dimensions[col].width = width
    for col in "GIL":  # L: the rule texts the formulas read; M says them in words
        ws.column_dimensions[col].hidden = True
    define_name(lay.workbook, "adj_log", ws.title, f"A{first}:F{last}")
    t = f"'{ws.title}'!"
    return {"score": f"{t}E{first}:E{last}", "money": f"{t}H{first}:H{last}", "veto": f"{t}G{first}:G{last}"}
