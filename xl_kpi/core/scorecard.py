"""One employee's month: inputs → metric points → categories → adjustments
and veto → total → grade → coefficient → pay.

Each step's Python and its Excel formula sit next to each other, so the
workbook computes exactly what this module does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import expr
from .errors import Problem
from .numbers import clamp, fsum_snapped, money, num, round_float, snap
from .plan import PERIOD_NAMES, Grade, Metric, Plan, Role
from .rules import GROUP_NAMES, Event, InputError, Inputs, Rating, Veto, fmt, shown
from .typed import TypedNumberError, is_count, typed_number

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class AdjustmentEntry:
    """A row of the 加减分 log. A blank count means one event."""

    item: str  # adjustment id
    count: Any = None
    chosen: Any = None  # points HR picked, for range items
    note: str = ""
    date: Any = None


@dataclass
class EmployeeInputs:
    """Raw values as read (numbers, text, None); checked here, never taken as 0."""

    actuals: dict[str, Any] = field(default_factory=dict)
    targets: dict[str, Any] = field(default_factory=dict)  # per-employee overrides
    baselines: dict[str, Any] = field(default_factory=dict)
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric → rater → rating
    weekly: dict[str, list[Any]] = field(default_factory=dict)  # report item → the month's weeks (4 or 5)
    inputs: dict[str, Any] = field(default_factory=dict)  # 原始数据 a computed metric uses
    adjustments: list[AdjustmentEntry] = field(default_factory=list)


def as_number(value: Any, what_zh: str, what_en: str, optional: bool = False, unit: str = "") -> float | None:
    """A cell's value as a number, or an InputError saying why it is not one. Text typed as a person
    types numbers (``4.8万``, ``3,199``, ``69秒``, ``87%``) is read as its number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise InputError(f"{what_zh}未填写", f"{what_en} is empty")
    if isinstance(value, str) and value.startswith("#"):  # a spreadsheet error value: #N/A, #DIV/0! …
        raise InputError(f"{what_zh}是错误值 {value.split()[0]}", f"{what_en} is an error value {value.split()[0]}")
    try:
        value = typed_number(value, unit)
    except TypedNumberError as exc:
        raise InputError(f"{what_zh}{exc.reason}", f"{what_en}: {str(exc).split(' / ')[-1]}") from None
    return snap(value)


def _in_range(m: Metric, v: float, zh: str, en: str) -> float:
    if is_count(m.unit) and v != int(v):
        raise InputError(f"{zh}是计数（{m.unit}），应为整数，不是{num(v)}", f"{en} is a count: a whole number, not {num(v)}")
    if (m.min is not None and v < m.min) or (m.max is not None and v > m.max):
        lo = fmt(m.min, m.unit) if m.min is not None else "-∞"
        hi = fmt(m.max, m.unit) if m.max is not None else "∞"
        raise InputError(f"{zh}{fmt(v, m.unit)}超出允许范围{lo}–{hi}", f"{en} {num(v)} is outside {lo}–{hi}")
    return v


def valid_formula(m: Metric, ref: str) -> str:
    """The spreadsheet's test of what :func:`_in_range` accepts: a number within the metric's range
    (a whole one for counts)."""
    tests = [f"ISNUMBER({ref})"]
    if is_count(m.unit):
        tests.append(f"{ref}=INT({ref})")
    if m.min is not None:
        tests.append(f"{ref}>={num(m.min)}")
    if m.max is not None:
        tests.append(f"{ref}<={num(m.max)}")
    if len(tests) == 1:
        return tests[0]
    # AND evaluates every argument: INT("") of a weekly sum not yet complete would be #VALUE!
    return f"IF({tests[0]},AND({','.join(tests[1:])}),FALSE)"


# --------------------------------------------------------------------------- results


@dataclass
class MetricResult:
    id: str
    name: str
    category: str
    actual: float | None = None
    target: float | None = None
    baseline: float | None = None
    points: float | None = None
    explanation: str = ""
    counted: bool = True  # False: a quarterly metric outside its quarter's last month


@dataclass
class AdjustmentResult:
    item: str
    name: str
    count: float | None
    points: float | None
    explanation: str
    applies_to: str = "score"


@dataclass(frozen=True)
class Pay:
    base_salary: Decimal
    performance_pay: Decimal
    commission: Decimal
    awards: Decimal
    deductions: Decimal

    @property
    def total(self) -> Decimal:
        return self.base_salary + self.performance_pay + self.commission + self.awards - self.deductions


@dataclass
class Scorecard:
    role: str
    metrics: dict[str, MetricResult]
    categories: dict[str, float | None]
    adjustments: list[AdjustmentResult]
    adjustment_points: float | None
    veto: str | None  # None, "zero" or "lowest_grade"
    score: float | None
    grade: str | None
    coefficient: float | None
    pay: Pay | None
    problems: list[Problem]
    sheet_score: float | None = None  # the workbook's own total, when rank bonuses were added at roll-up


# --------------------------------------------------------------------------- the steps


def actual_of(m: Metric, raw: EmployeeInputs, role: Role) -> float | None:
    """A metric's actual as the scorecard takes it (typed, summed over the weeks or computed from its
    原始数据), or None when the inputs do not give one: what next month's baseline is measured from."""
    try:
        return _metric_inputs(m, raw, role).actual
    except InputError:
        return None


def _metric_inputs(m: Metric, raw: EmployeeInputs, role: Role | None = None) -> Inputs:
    """Check and gather one metric's inputs; raises InputError with its cell name in .loc."""

    def number(value, zh, en, loc, optional=False, unit=m.unit):
        try:
            return as_number(value, zh, en, optional, unit)
        except InputError as e:
            e.loc = loc
            raise

    if m.source == "weekly_sum":  # every report week of the month (at least 4) must be filled
        weeks = list(raw.weekly.get(m.id, []))
        weeks += [None] * (4 - len(weeks))
        actual = fsum_snapped(number(w, f"第{i + 1}周{m.name}", f"week {i + 1} {m.id}", f"week{i + 1}_{m.id}")
                              for i, w in enumerate(weeks))
    elif isinstance(m.rule, Rating):
        given = raw.ratings.get(m.id, {})  # the workbook's cells: a rater group's each, or 自评 and 他评
        ratings = {r: number(given.get(r), f"{m.name}（{GROUP_NAMES[r]}）", f"{m.id} rating ({r})", f"rating_{m.id}_{r}",
                             unit="")
                   for r in (given or m.rule.weights)}
        try:
            actual = m.rule.combine(ratings)
        except InputError as e:
            e.loc = f"rating_{m.id}_self"
            raise
    elif m.compute:
        actual = computed_actual(m, raw, role)
    else:
        actual = number(raw.actuals.get(m.id), m.name, m.id, f"actual_{m.id}")
    try:
        _in_range(m, actual, m.name, m.id)
    except InputError as e:
        e.loc = f"actual_{m.id}"
        raise
    target = number(raw.targets.get(m.id), f"{m.name}目标", f"{m.id} target", f"target_{m.id}", True)
    baseline = number(raw.baselines.get(m.id), f"{m.name}基准", f"{m.id} baseline", f"baseline_{m.id}", True)
    return Inputs(actual, m.target if target is None else target, m.baseline if baseline is None else baseline)


def figures(role: Role, raw: EmployeeInputs, m: Metric) -> dict[str, float]:
    """The values a computed metric uses (inputs and typed metrics), checked as numbers in their range."""
    out = {}
    for name in expr.names(m.expression):
        item = next((i for i in role.inputs if i.id == name), None) or role.metric(name)
        source = raw.inputs if item in role.inputs else raw.actuals
        loc = f"{'input' if item in role.inputs else 'actual'}_{name}"
        try:
            value = as_number(source.get(name), item.name, name, False, item.unit)
            _in_range(item, value, item.name, name)
        except InputError as e:
            e.loc = loc
            raise
        out[name] = value
    return out


def computed_actual(m: Metric, raw: EmployeeInputs, role: Role) -> float:
    """A computed metric's actual; a zero divisor is the plan's if_zero, else a problem on the divisor."""
    values = figures(role, raw, m)
    try:
        return expr.evaluate(m.expression, values)
    except expr.DivisionByZero as z:
        if m.if_zero is not None:
            return m.if_zero
        first = expr.names(expr.parse(z.divisor))
        error = InputError(f"{m.name}的计算式中除数“{z.divisor}”为0，无法计算", f"{m.id}: the divisor {z.divisor} is 0")
        error.loc = (f"input_{first[0]}" if first and any(i.id == first[0] for i in role.inputs)
                     else f"actual_{first[0]}" if first else f"actual_{m.id}")
        raise error from None
    except OverflowError:
        raise InputError(f"{m.name}的计算结果超出允许范围", f"{m.id}: the result is out of range") from None


def computed_words(m: Metric, raw: EmployeeInputs, role: Role, actual: float) -> str:
    """投诉率 = 12 ÷ 1034 = 1.16%: how a computed actual came about, numbers as the cells show them."""
    values = figures(role, raw, m)
    units = {i.id: i.unit for i in role.inputs} | {x.id: x.unit for x in role.metrics}
    shown_values = {k: shown(v, units[k]) for k, v in values.items()}
    return f"{m.name} = {expr.words(m.expression, shown_values)} = {shown(actual, m.unit)}"


def growth_of(m: Metric, x: Inputs) -> Inputs:
    """What a growth metric's rule scores: (actual − baseline) / baseline, against the target."""
    if x.baseline is None:
        error = InputError(f"缺少{m.name}的基准（上期实际），无法计算增长率", f"{m.id}: no baseline to grow from")
    elif x.baseline <= 0:
        error = InputError(f"{m.name}的基准为{shown(x.baseline, m.unit)}，不能计算增长率",
                           f"{m.id}: a baseline of {num(x.baseline)} has no growth rate")
    else:
        return Inputs(snap((x.actual - x.baseline) / x.baseline), x.target)
    error.loc = f"baseline_{m.id}"
    raise error


def growth_words(m: Metric, x: Inputs, growth: float) -> str:
    """粉丝数12000人，较基准10000人增长20%."""
    return f"{m.name}{shown(x.actual, m.unit)}，较基准{shown(x.baseline, m.unit)}增长{shown(growth, '%')}"


def growth_formula(row: int) -> str:
    """The growth a growth metric's rule scores, from its row's actual (G) and baseline (F)."""
    return f"((G{row}-F{row})/F{row})"


def score_metric(m: Metric, category: str, raw: EmployeeInputs, month: int | None,
                 role: Role | None = None) -> tuple[MetricResult, Problem | None]:
    res = MetricResult(m.id, m.name, category, counted=m.applies_in(month))
    if not res.counted:
        res.explanation = f"{PERIOD_NAMES[m.period]}指标，本月不计分"
        return res, None
    try:
        x = _metric_inputs(m, raw, role)
        res.actual, res.target, res.baseline = x.actual, x.target, x.baseline
        scored = growth_of(m, x) if m.measure == "growth" else x
        res.points = m.rule.points(scored)
        res.explanation = m.rule.explain(scored, m.rule_unit)
        if m.measure == "growth":
            res.explanation = f"{growth_words(m, x, scored.actual)}；{res.explanation}"
        if m.compute:
            res.explanation = f"{computed_words(m, raw, role, x.actual)}；{res.explanation}"
        return res, None
    except InputError as e:
        res.explanation = str(e)
        loc = getattr(e, "loc", f"actual_{m.id}")
        return res, Problem("input_invalid", str(e), loc=(loc,))


def category_score(weight: float, points: list[float], possible: float) -> float:
    """类别得分 = 权重 × 得分 / 满分."""
    return weight * math.fsum(points) / possible


def category_formula(weight: float, points_ref: str, possible: float) -> str:
    return f"{num(weight)}*SUM({points_ref})/{num(possible)}"


def score_adjustments(plan: Plan, role_id: str, entries: list[AdjustmentEntry]):
    """(results, score points, pay points, veto effect, problems) of the 加减分 log."""
    allowed = {a.id: a for a in plan.role_adjustments(role_id)}
    results, problems, veto = [], [], None
    for i, e in enumerate(entries):
        adj = allowed.get(e.item)
        if adj is None:
            problems.append(Problem("adjustment_unknown",
                                    f"第{i + 1}行：“{e.item}”不是本岗位的加减分项目 / row {i + 1}: "
                                    f"“{e.item}” is not an adjustment of this role", loc=("adjustments", i, "item")))
            continue
        try:
            count = 1.0 if e.count is None or e.count == "" else as_number(e.count, "数量", "count")
            chosen = as_number(e.chosen, "分值", "points", optional=True) if isinstance(adj.rule, Event) else None
            x = Inputs(count, chosen=chosen)
            pts = adj.rule.points(x)
            if isinstance(adj.rule, Veto) and adj.rule.triggered(x):
                veto = "zero" if "zero" in (veto, adj.rule.effect) else adj.rule.effect
            results.append(AdjustmentResult(adj.id, adj.name, count, pts, adj.rule.explain(x), adj.applies_to))
        except InputError as err:
            problems.append(Problem("input_invalid", f"第{i + 1}行{adj.name}：{err} / row {i + 1}",
                                    loc=("adjustments", i, "count")))
            results.append(AdjustmentResult(adj.id, adj.name, None, None, str(err), adj.applies_to))
    score_pts = math.fsum(r.points or 0 for r in results if r.applies_to == "score")
    pay_pts = [r.points or 0 for r in results if r.applies_to == "pay"]
    return results, score_pts, pay_pts, veto, problems


def total_of(categories: list[float], adjustments: float, veto_zero: bool, floor: float | None,
             cap: float | None) -> float:
    """总分: categories + 加减分, clamped and rounded to 2 decimals; 0 under a zeroing veto."""
    if veto_zero:
        return 0.0
    return round_float(clamp(math.fsum(categories) + adjustments, floor, cap), 2)


def total_score(plan: Plan, categories: list[float], adjustments: float, veto: str | None) -> float:
    return total_of(categories, adjustments, veto == "zero", plan.score_floor, plan.score_cap)


def total_formula(plan: Plan, categories_ref: str, adjustments_ref: str, veto_zero_ref: str) -> str:
    inner = f"MAX({num(plan.score_floor)},SUM({categories_ref})+{adjustments_ref})"
    if plan.score_cap is not None:
        inner = f"MIN({num(plan.score_cap)},{inner})"
    return f"IF({veto_zero_ref}>0,0,ROUND({inner},2))"


def grade_in(grades: list, total: float, lowest: bool):
    """The grade a total falls in (grades sorted by min, highest first); the lowest under a veto."""
    if lowest:
        return grades[-1]
    total = snap(total)
    return next((g for g in grades if total >= g.min), grades[-1])


def grade_of(plan: Plan, total: float, veto: str | None) -> Grade:
    return grade_in(plan.grades, total, veto == "lowest_grade")


def _grade_ladder(plan: Plan, total_ref: str, veto_ref: str, value) -> str:
    expr = value(plan.grades[-1])
    for g in reversed(plan.grades[:-1]):
        expr = f"IF({total_ref}>={num(g.min)},{value(g)},{expr})"
    return f"IF({veto_ref}>0,{value(plan.grades[-1])},{expr})"


def grade_formula(plan: Plan, total_ref: str, veto_lowest_ref: str) -> str:
    return _grade_ladder(plan, total_ref, veto_lowest_ref, lambda g: f'"{g.name}"')


def coefficient_formula(plan: Plan, total_ref: str, veto_lowest_ref: str) -> str:
    return _grade_ladder(plan, total_ref, veto_lowest_ref, lambda g: num(g.coefficient))


def compute_pay(role: Role, coefficient: float, commission_base: float | None, pay_points: list[float],
                base_salary: Decimal | None = None, performance_pay_base: Decimal | None = None) -> Pay:
    base = role.base_salary if base_salary is None else base_salary
    perf_base = role.performance_pay_base if performance_pay_base is None else performance_pay_base
    commission = role.commission.amount(commission_base) if role.commission and commission_base is not None else Decimal(0)
    return Pay(money(base), performance_pay(perf_base, coefficient), commission,
               money(sum((money(p) for p in pay_points if p > 0), Decimal(0))),
               money(-sum((money(p) for p in pay_points if p < 0), Decimal(0))))


def performance_pay(base: Decimal | float, coefficient: float) -> Decimal:
    """绩效工资 = 绩效工资基数 × 系数, to the cent."""
    return money(Decimal(num(base)) * Decimal(num(coefficient)))


def performance_pay_formula(base_ref: str, coefficient_ref: str) -> str:
    return f"ROUND({base_ref}*{coefficient_ref},2)"


def total_pay_formula(parts: list[str], deductions_ref: str) -> str:
    return f"ROUND({'+'.join(parts)}-{deductions_ref},2)"


def score(plan: Plan, role_id: str, raw: EmployeeInputs, month: int | None = None,
          base_salary: Decimal | None = None, performance_pay_base: Decimal | None = None,
          bonuses: list[AdjustmentResult] | None = None) -> Scorecard:
    """The whole scorecard of one employee; any bad input leaves the totals None and is listed.
    ``bonuses`` are points decided by the cohort (rank bonuses), added before grading."""
    role = plan.roles[role_id]
    metrics, categories, problems = {}, {}, []
    for cat in role.categories:
        pts = []
        for m in cat.metrics:
            res, prob = score_metric(m, cat.id, raw, month, plan.roles[role_id])
            metrics[m.id] = res
            if prob:
                problems.append(prob)
            if res.counted:
                pts.append(res.points)
        complete = all(p is not None for p in pts)
        categories[cat.id] = category_score(cat.weight, pts, cat.possible(month)) if complete else None
    adjustments, adj_pts, pay_pts, veto, adj_problems = score_adjustments(plan, role_id, raw.adjustments)
    for b in bonuses or []:
        adjustments.append(b)
        adj_pts += b.points
    problems += adj_problems
    card = Scorecard(role_id, metrics, categories, adjustments, adj_pts, veto, None, None, None, None, problems)
    if problems:
        return card
    card.score = total_score(plan, list(categories.values()), adj_pts, veto)
    grade = grade_of(plan, card.score, veto)
    card.grade, card.coefficient = grade.name, grade.coefficient
    commission_base = metrics[role.commission.metric].actual if role.commission else None
    card.pay = compute_pay(role, grade.coefficient, commission_base, pay_pts, base_salary, performance_pay_base)
    return card
