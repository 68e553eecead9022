"""xlwings UDFs: thin calls into the rule engine.

The decorators only attach metadata (outside xlwings Server they return the
function unchanged), so each UDF is a plain function the tests call. Every
UDF is a pure function of its arguments: a rule comes from a cell holding its
text form, parsed once and cached. Errors come back as readable text
(``#KPI! …``), never a traceback. Ranges are taken whole: one call per range.
"""
from __future__ import annotations

from functools import lru_cache

import xlwings as xw

from ..core.commission import Commission
from ..core.plan import Grade
from ..core.rules import Event, InputError, Inputs, Rank, Rule, Veto, parse_rule
from ..core.scorecard import (
    as_number,
    category_score,
    grade_in,
    performance_pay,
    total_of,
)
from ..core.udf_calls import NAMES

ERROR_PREFIX = "#KPI! "
MODULE = "xl_kpi.udfs"  # the name installed add-ins call (xl_kpi/udfs.py, kept for them)


def _error(zh: str) -> str:
    return ERROR_PREFIX + zh


def _number(value, what: str, optional: bool = False) -> float | None:
    """A cell value as float, checked as the scorecard checks it (blank is None when optional)."""
    return as_number(value, what, what, optional)


def _rule(text) -> Rule:
    if not isinstance(text, str) or not text.strip():
        raise InputError("规则单元格为空", "the rule cell is empty")
    try:
        return parse_rule(text.strip())
    except ValueError as exc:
        raise InputError(f"规则无效：{str(exc).split(' / ')[0]}", "invalid rule") from None


def _inputs(actual, target, baseline) -> Inputs:
    return Inputs(_number(actual, "实际值"), _number(target, "目标值", True), _number(baseline, "基准值", True))


def _flat(values) -> list:
    if not isinstance(values, list):
        return [values]
    return [v for row in values for v in (row if isinstance(row, list) else [row])]


def udf(f):
    """An xlwings UDF whose InputError becomes a readable cell value; every argument keeps
    error cells as text (``#N/A``), so they are reported, not taken as blank."""
    def wrapped(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except InputError as exc:
            return _error(exc.zh)

    wrapped.__name__, wrapped.__doc__, wrapped.__wrapped__ = f.__name__, f.__doc__, f
    import inspect

    wrapped.__signature__ = inspect.signature(f)
    for name in inspect.signature(f).parameters:
        wrapped = xw.arg(name, empty=None, err_to_str=True)(wrapped)
    return xw.func(wrapped)


@udf
def KPI_SCORE(actual, rule, target=None, baseline=None):
    """指标得分: the metric's points under the rule text in the rule cell."""
    return _rule(rule).points(_inputs(actual, target, baseline))


@udf
def KPI_EXPLAIN(actual, rule, target=None, baseline=None, unit=""):
    """得分说明: the Chinese one-line explanation of the points."""
    return _rule(rule).explain(_inputs(actual, target, baseline), unit or "")


@udf
def KPI_ADJUST(count, rule, chosen=None):
    """加减分: points of one 加减分 row (count events, or a rank, under the item's rule)."""
    r = _rule(rule)
    if not isinstance(r, (Event, Veto, Rank)):
        raise InputError("不是加减分规则", "not an adjustment rule")
    return r.points(Inputs(_number(count, "数量"), chosen=_number(chosen, "分值", True)))


@udf
def KPI_CATEGORY(weight, points, possible, count):
    """类别得分 = 权重 × Σ得分 / 满分; blank until all ``count`` metric points are numbers."""
    values = _flat(points)
    bad = [v for v in values if isinstance(v, str) and v.startswith("#")]
    if bad:
        raise InputError("指标得分有误", "a metric's points are an error")
    nums = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(nums) < _number(count, "指标个数"):
        return ""
    return category_score(_number(weight, "权重"), nums, _number(possible, "满分"))


@udf
def KPI_TOTAL(categories, adjustments, veto_zero=0, floor=None, cap=None):
    """总分: categories + 加减分, clamped to [floor, cap], rounded to 2 decimals; 0 under a zeroing veto."""
    values = _flat(categories)
    if any(v is None or v == "" for v in values):
        return ""
    cats = [_number(v, "类别得分") for v in values]
    return total_of(cats, _number(adjustments, "加减分"), bool(_number(veto_zero, "否决", True)),
                    _number(floor, "下限", True), _number(cap, "上限", True))


@lru_cache(maxsize=256)
def _grades(table: tuple) -> list[Grade]:
    rows = [r for r in table if r and r[0] not in (None, "")]
    if not rows:
        raise InputError("等级表为空", "the grade table is empty")
    try:
        grades = [Grade(name=str(r[0]), min=r[1], coefficient=r[2]) for r in rows]
    except Exception:
        raise InputError("等级表格式应为 等级|最低分|系数", "the grade table must be name|min|coefficient") from None
    return sorted(grades, key=lambda g: -g.min)


def _grade(total, table, veto) -> Grade:
    if total in (None, ""):
        raise InputError("总分未算出", "no total")
    key = tuple(tuple(r) if isinstance(r, list) else (r,) for r in (table or []))
    return grade_in(_grades(key), _number(total, "总分"), bool(_number(veto, "否决", True)))


@udf
def KPI_GRADE(total, table, veto=0):
    """等级: the grade of a total under the grades table (等级 | 最低分 | 系数)."""
    return _grade(total, table, veto).name


@udf
def KPI_COEF(total, table, veto=0):
    """绩效系数: the pay coefficient of a total under the grades table."""
    return _grade(total, table, veto).coefficient


@udf
def KPI_PAY(base, coefficient):
    """绩效工资 = 绩效工资基数 × 系数, rounded half-up to the cent."""
    return float(performance_pay(_number(base, "绩效工资基数"), _number(coefficient, "系数")))


@udf
def KPI_COMMISSION(amount, rule):
    """业绩提成 under progressive bands, e.g. ``commission(40000:1%; *:1.5%)``."""
    try:
        c = _commission(str(rule))
    except ValueError as exc:
        raise InputError(f"提成规则无效：{str(exc).split(' / ')[0]}", "invalid commission rule") from None
    return float(c.amount(_number(amount, "提成基数")))


@lru_cache(maxsize=64)
def _commission(text: str) -> Commission:
    return Commission.from_text(text)


UDFS = [globals()[name] for name in NAMES]  # the functions UDF-mode formulas call, in their order
