"""考核表: one row per metric (its target, baseline, actual, rule in words, points and 得分说明), the
原始数据 of computed metrics, the raters' block, and the summary (categories, 加减分, total, grade, pay)."""
from __future__ import annotations

import math

from openpyxl.chart import BarChart, Reference

from ..core import expr
from ..core.numbers import num
from ..core.plan import PERIOD_NAMES, Metric, Plan
from ..core.rules import GROUP_NAMES, RATER_NAMES, Refs, shown_expr, text
from ..core.scorecard import (
    category_formula,
    coefficient_formula,
    grade_formula,
    growth_formula,
    performance_pay_formula,
    total_formula,
    total_pay_formula,
    valid_formula,
)
from ..core.typed import is_count
from ..core.udf_calls import call
from . import texts
from .cells import (
    COMMISSION_RULE,
    RULE_COLUMN,
    Layout,
    absolute,
    add_validation,
    boxed_head,
    define_name,
    input_cell,
    number_format,
)
from .style import BOLD, BOX, put


def metric_row(ws, lay: Layout, plan: Plan, m: Metric, row: int, mode: str, month_no: int, titles: dict,
                week_refs: dict[str, str], cat) -> None:
    rule = m.rule
    put(ws, row, 3, m.name)
    put(ws, row, 4, "%" if m.percent else m.unit)
    e, f, g, h = (f"{col}{row}" for col in "EFGH")
    for key, coord, unit in ((f"target_{m.id}", e, m.rule_unit), (f"baseline_{m.id}", f, m.unit)):
        lay.slot(key, ws, coord, "number")
        ws[coord].number_format = number_format(unit)
        define_name(lay.workbook, key, ws.title, coord)
    lay.slot(f"baseline_src_{m.id}", ws, f"K{row}")
    ws[f"{RULE_COLUMN}{row}"] = rule.to_text(m.rule_unit)
    ws[f"J{row}"] = (titles["growth_prefix"] if m.measure == "growth" else "") + rule.describe(m.rule_unit)
    actual = ws[g]
    actual.number_format = number_format(m.unit)
    define_name(lay.workbook, f"actual_{m.id}", ws.title, g)
    define_name(lay.workbook, f"score_{m.id}", ws.title, h)
    if m.source == "weekly_sum":
        weeks = week_refs[m.id]
        actual.value = f'=IF(COUNT({weeks})<{weeks.count(",") + 1},"",SUM({weeks}))'
    elif m.source == "rating" or m.compute:
        pass  # the rating block, or the inputs block, writes the actual here
    else:
        lay.slot(f"actual_{m.id}", ws, g, "number", typed=True)
        input_cell(actual, m)
        add_validation(ws, g, m.min, m.max, m.unit, m.name, titles["input_title"], whole=is_count(m.unit))
    if not m.applies_in(month_no):  # the points cell says it briefly, 得分说明 says how the category is rescaled
        ws[h] = texts.phrase("not_this_month_short")
        ws[f"L{row}"] = texts.phrase("not_this_month", period=PERIOD_NAMES[m.period], category=cat.name,
                                     possible=num(cat.possible(month_no)))
        define_name(lay.workbook, f"explain_{m.id}", ws.title, f"L{row}")
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
    define_name(lay.workbook, f"explain_{m.id}", ws.title, f"L{row}")
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


def inputs_block(ws, lay: Layout, plan: Plan, role, metric_rows: dict[str, int], row: int, mode: str,
                  titles: dict) -> int:
    """原始数据: the figures computed metrics use (typed or imported), then each computed metric's actual
    as a formula over them and its explanation (投诉率 = 12 ÷ 1034 = 1.16%；…)."""
    if not role.inputs:
        return row
    boxed_head(ws, row, titles["inputs_header"], col=3)
    row += 1
    refs = {m.id: f"G{metric_rows[m.id]}" for m in role.metrics}
    units = {m.id: ("%" if m.percent else m.unit) for m in role.metrics}
    for item in role.inputs:
        put(ws, row, 3, item.name)
        put(ws, row, 4, item.unit)
        cell = lay.slot(f"input_{item.id}", ws, f"G{row}", "number", typed=True)
        input_cell(cell)
        cell.number_format = number_format(item.unit)
        add_validation(ws, f"G{row}", item.min, item.max, item.unit, item.name, titles["input_title"],
                    whole=is_count(item.unit))
        define_name(lay.workbook, f"input_{item.id}", ws.title, f"G{row}")
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


def rating_block(ws, lay: Layout, role, metric_rows: dict[str, int], row: int, titles: dict, shown: str) -> int:
    """The ratings of each rated item: a row per rater group (shown: group), or the person's own 自评 and
    the others' weighted 他评 (item), which HR's record fills from the raters' forms and locks."""
    rated = [m for m in role.metrics if m.source == "rating"]
    if not rated:
        return row
    boxed_head(ws, row, titles["rating_header"], col=3)
    row += 1
    for m in rated:
        refs = {}
        parts = m.rule.parts(m.rule.cells(shown))
        for rater in m.rule.cells(shown):
            put(ws, row, 3, m.name)
            put(ws, row, 4, _rater_label(m.rule, rater))
            put(ws, row, 5, parts[rater] / 100).number_format = "0%"
            key = f"rating_{m.id}_{rater}"
            own = shown == "group" or rater == "self"  # 他评 is the record's: never typed in this workbook
            cell = lay.slot(key, ws, f"F{row}", "number", typed=own)
            if own:
                input_cell(cell)
                add_validation(ws, f"F{row}", 0, m.rule.scale, "", f"{m.name}（{GROUP_NAMES[rater]}）",
                               titles["input_title"])
            define_name(lay.workbook, key, ws.title, f"F{row}")
            for col in range(3, 7):
                ws.cell(row, col).border = BOX
            refs[rater] = f"F{row}"
            row += 1
        cells = ",".join(refs.values())
        ws[f"G{metric_rows[m.id]}"] = f'=IF(COUNT({cells})<{len(refs)},"",{m.rule.combine_formula(refs)})'
    return row


def _rater_label(rule, rater: str) -> str:
    """自评, 主管评定…; 他评 names the groups it weighs (他评：主管评定50%、考核小组30%)."""
    if rater != "others":
        return GROUP_NAMES[rater]
    others = [(r, w) for r, w in rule.weights.items() if r != "self"]
    return f"{GROUP_NAMES['others']}（" + "、".join(f"{RATER_NAMES[r]}{num(w)}%" for r, w in others) + "）"


def summary_block(ws, lay: Layout, plan: Plan, role_id: str, cat_ranges, metric_rows, adj_refs, row: int, mode: str,
             month_no: int, titles: dict) -> int:
    role = plan.roles[role_id]
    boxed_head(ws, row, [titles["summary"], "权重", "", "", "满分", "", "", "得分"])
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
        define_name(lay.workbook, f"category_{cat.id}", ws.title, f"H{row}")
        row += 1
    cats = f"H{cat_first}:H{row - 1}"
    n_cats = row - cat_first
    chart_top = cat_first + len(plan.grades) + 1
    _category_chart(ws, cat_first, row - 1, f"J{chart_top}")

    def line(label: str, name: str, formula, fmt="0.00"):
        nonlocal row
        put(ws, row, 1, label).font = BOLD
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        ws[f"H{row}"] = formula
        ws[f"H{row}"].number_format = fmt
        ws[f"H{row}"].font = BOLD
        ws[f"H{row}"].border = BOX
        define_name(lay.workbook, name, ws.title, f"H{row}")
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
            c = call("KPI_COMMISSION", a, absolute(COMMISSION_RULE))
        comm = line(f"业绩提成（{role.commission.describe()}）", "commission", f'=IF(ISNUMBER({a}),{c},"")', "#,##0.00")
    else:
        comm = line("业绩提成", "commission", "=0", "#,##0.00")
    money = adj_refs["money"] if adj_refs else None
    awards = line("奖励", "awards", f'=ROUND(SUMIF({money},">0"),2)' if money else "=0", "#,##0.00")
    deductions = line("扣款", "deductions", f'=ROUND(-SUMIF({money},"<0"),2)' if money else "=0", "#,##0.00")
    parts = ["$B$3", perf, comm, awards]
    line("应发合计", "total_pay", f'=IF(OR({perf}="",{comm}=""),"",{total_pay_formula(parts, deductions)})', "#,##0.00")
    return max(row, chart_top + CHART_ROWS)  # what follows (the signatures) starts below the chart


CHART_CM = 5.5  # the 类别得分 chart's height
CHART_ROWS = math.ceil(CHART_CM / (15 * 2.54 / 72)) + 1  # the rows of the default 15 pt it covers, and one spare


def _category_chart(ws, first: int, last: int, anchor: str) -> None:
    """类别得分 as bars: how each category went, at a glance."""
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "类别得分", None
    chart.add_data(Reference(ws, min_col=8, min_row=first, max_row=last), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.width, chart.height = 11, CHART_CM
    chart.y_axis.number_format, chart.y_axis.majorUnit = "0", 10  # whole points, few labels
    ws.add_chart(chart, anchor)


def _grades_table(ws, lay: Layout, plan: Plan, top: int) -> str:
    """等级 | 最低分 | 系数 beside the summary: HR sees the scale, the UDFs read it."""
    boxed_head(ws, top, ["等级", "最低分", "系数"], col=10)
    for i, g in enumerate(plan.grades):
        r = top + 1 + i
        put(ws, r, 10, g.name)
        put(ws, r, 11, g.min)
        put(ws, r, 12, g.coefficient)
        for c in range(10, 13):
            ws.cell(r, c).border = BOX
    ref = f"J{top + 1}:L{top + len(plan.grades)}"
    define_name(lay.workbook, "grade_table", ws.title, ref)
    return ref


def signatures(ws, row: int, titles: dict) -> None:
    for i, who in enumerate(titles["signatures"]):
        col = (1, 5, 10)[i] if i < 3 else 1 + i * 4  # column I is hidden (the rule texts)
        put(ws, row, col, f"{who}签字：______________")
        put(ws, row + 1, col, f"{titles['signature_date']}：______________")
