"""A workbook against HR's record: the values its filler does not own (pay bases, targets, baselines) as
shown against their owner's, and the 加减分 rows that count (HR's, and those the filler may enter)."""
from __future__ import annotations

from pathlib import Path

from ..core.errors import Problem
from ..core.numbers import num, snap
from ..core.plan import Plan
from ..core.rules import GROUP_NAMES
from ..core.scorecard import AdjustmentEntry, EmployeeInputs
from ..core.typed import TypedNumberError, typed_number
from ..workbook.reader import WorkbookData
from .record import Owned

LABELS = {"base_salary": "责任底薪", "performance_pay_base": "绩效工资基数"}


def hr_adjustments(x: EmployeeInputs, adj_index: list, recorded: list[AdjustmentEntry], plan: Plan,
                    data: WorkbookData) -> tuple[list, list[Problem]]:
    """The 加减分 that count: HR's recorded rows, and the workbook's rows of items its filler may enter.
    A workbook row of an HR item that HR did not record is reported and not counted; a recorded row
    missing from the workbook is reported and counted."""
    sheet = data.names["adj_log"].sheet if "adj_log" in data.names else None
    known = {a.id: a for a in plan.adjustments}
    typed = list(zip(x.adjustments, adj_index))
    # the filler's own rows, and rows of unknown items (the scorecard reports those)
    form = [(a, i) for a, i in typed if a.item not in known or known[a.item].entered_by == "form"]
    unmatched = list(recorded)
    problems = []
    for a, i in typed:
        if a.item not in known or known[a.item].entered_by == "form":
            continue
        match = next((r for r in unmatched if _same_row(r, a)), None)
        if match is not None:
            unmatched.remove(match)
            continue
        problems.append(Problem("adjustment_unregistered", f"加减分“{plan.adjustment(a.item).name}”不在人力资源部的记录中，"
                                f"未计入（须由人力资源部导入） / a 加减分 row HR did not record: not counted",
                                sheet=sheet, cell=data.adj_cells[i]["item"]))
    for r in unmatched:
        problems.append(Problem("adjustment_missing", f"人力资源部记录的加减分“{plan.adjustment(r.item).name}”"
                                f"{'×' + num(r.count) if r.count is not None else ''}不在表中，已按记录计入 / a recorded "
                                f"加减分 row is missing from the workbook: counted", sheet=sheet))
    x.adjustments = [a for a, _ in form] + list(recorded)
    return [i for _, i in form] + [None] * len(recorded), problems


def _same_row(a: AdjustmentEntry, b: AdjustmentEntry) -> bool:
    count = lambda v: 1.0 if v in (None, "") else v  # noqa: E731  (a blank count is one event)
    return a.item == b.item and same_number(count(a.count), count(b.count)) and \
        (a.chosen in (None, "") and b.chosen in (None, "") or same_number(a.chosen, b.chosen))


def display_problems(data: WorkbookData, owned: dict[str, Owned], role) -> list[Problem]:
    """The workbook's copies of values it does not own, against their owner: a workbook showing
    something else (someone unprotected the sheet, or the roster changed) is a problem naming the cell,
    both values and the owner. The owner's value is the one that counts."""
    out = []
    for key, o in owned.items():
        where = data.where(key)
        if where is None:
            continue
        shown = data.values.get(key)
        if same_number(shown, o.value):
            continue
        kind, _, mid = key.partition("_")
        label = LABELS.get(key) or f"{role.metric(mid).name}{'目标' if kind == 'target' else '基准'}"
        out.append(Problem("owned_value_changed", f"{label}：表内为 {_show(shown)}，{o.owner}为 {_show(o.value)}"
                           f"（以{o.owner.split()[0]}为准） / {key}: the workbook shows {_show(shown)}, its owner "
                           f"({o.owner}) says {_show(o.value)}", sheet=where[0], cell=where[1]))
    return out


def same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        return False
    return snap(float(a)) == snap(float(b))


def _show(v) -> str:
    if v is None or v == "":
        return "空白"
    return num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else f"“{v}”"


def imported_values(x: EmployeeInputs, data: WorkbookData, imports: dict, role) -> list[Problem]:
    """Values HR imported (actuals from an export, weekly figures, 原始数据, ratings from a file) are owned by
    their import: the scorecard takes them from HR's record, and a workbook showing something else is a
    problem naming the cell, both values and the import's file and line."""
    out = []
    for slot, imp in imports.items():
        target = _input_of(x, slot, role)
        if target is None:
            continue
        holder, key = target
        shown = data.values.get(slot)
        holder[key] = imp.value
        where = data.where(slot)
        if shown is None or same_number(_number(shown), imp.value) or where in data.formula_cells:
            continue  # (a formula typed over the value is a problem of its own)
        owner = f"导入 {Path(imp.source).name}:{imp.line}" if imp.line else f"导入 {Path(imp.source).name}"
        out.append(Problem("imported_value_changed", f"{_label(slot, role)}：表内为 {_show(shown)}，{owner}为 "
                           f"{_show(imp.value)}（以导入的数据为准） / {slot}: the workbook shows {_show(shown)}, the import "
                           f"({owner}) says {_show(imp.value)}", sheet=where and where[0], cell=where and where[1]))
    return out


def ratings_not_owned(x: EmployeeInputs, data: WorkbookData, imports: dict) -> list[Problem]:
    """A rating under another rater's name typed into the rated person's own workbook: not counted (the
    rater's form, or HR's import of it, owns it); only the 自评 is the person's own to type."""
    out = []
    for metric, given in x.ratings.items():
        for rater in list(given):
            slot = f"rating_{metric}_{rater}"
            if rater == "self" or slot in imports or given[rater] in (None, ""):
                continue
            where = data.where(slot)
            out.append(Problem("rating_not_owned", f"{GROUP_NAMES[rater]}的评分只能来自评分人的评分表（或人力资源部导入），"
                               f"填在被评人自己的工作簿中不计入 / a {rater} rating typed into the rated person's workbook "
                               f"does not count: it comes from the rater's form", sheet=where and where[0],
                               cell=where and where[1]))
            given[rater] = None
    return out


def _input_of(x: EmployeeInputs, slot: str, role):
    """(the inputs' dict, key) a slot's value goes into, or None for slots that are not typed values."""
    kind, _, rest = slot.partition("_")
    if kind == "actual" and rest in x.actuals:
        return x.actuals, rest
    if kind == "input" and rest in x.inputs:
        return x.inputs, rest
    if kind == "rating":
        metric, _, rater = rest.rpartition("_")
        return (x.ratings[metric], rater) if rater in x.ratings.get(metric, {}) else None
    if kind.startswith("week") and kind[4:].isdigit():
        weeks = x.weekly.get(rest)
        w = int(kind[4:]) - 1
        return (weeks, w) if weeks is not None and w < len(weeks) else None
    return None


def _number(v):
    if isinstance(v, str):
        try:
            return typed_number(v)
        except TypedNumberError:
            return v
    return v


def _label(slot: str, role) -> str:
    kind, _, rest = slot.partition("_")
    if kind == "rating":
        metric, _, rater = rest.rpartition("_")
        return f"{role.metric(metric).name}（{GROUP_NAMES.get(rater, rater)}）"
    if kind == "input":
        return next((i.name for i in role.inputs if i.id == rest), rest)
    if kind.startswith("week"):
        item = next((i for i in role.weekly_report if i.id == rest), None)
        return f"{item.name if item else rest}第{kind[4:]}周"
    return role.metric(rest).name


def figures_missing(data: WorkbookData, missing: list[tuple[str, str, str]], month: str) -> list[Problem]:
    """An outside figure (行业, 竞品) a metric is scored against that HR has not imported for the month: the
    metric has no target (or baseline) and is not scored, never against a placeholder."""
    out = []
    for slot, metric, figure in missing:
        where = data.where(slot)
        out.append(Problem("figure_missing", f"{figure} {month} 未导入，{metric}无法计分；请导入当月的外部数据 / the outside "
                           f"figure {figure} for {month} is not imported: {metric} cannot be scored",
                           sheet=where and where[0], cell=where and where[1]))
    return out
