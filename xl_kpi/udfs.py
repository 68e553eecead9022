"""xlwings UDFs: thin calls into the rule engine.

The decorators only attach metadata (outside xlwings Server they return the
function unchanged), so each UDF is a plain function the tests call. Every
UDF is a pure function of its arguments: the rule comes from a cell holding
its text form, parsed once and cached. Errors come back as readable text
(``#KPI! …``), never a traceback.
"""
from __future__ import annotations

import math

import xlwings as xw

from .core.numbers import num
from .core.rules import Event, InputError, Inputs, Rule, Veto, parse_rule

ERROR_PREFIX = "#KPI! "


def _error(zh: str) -> str:
    return ERROR_PREFIX + zh


def _number(value, what: str, optional: bool = False):
    """A cell value as float, or an error text; blank is None when optional."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if optional:
            return None
        raise InputError(f"{what}未填写", f"{what} is empty")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{what}不是数字", f"{what} is not a number")
    if not math.isfinite(value):
        raise InputError(f"{what}不是有限数字", f"{what} is not finite")
    return float(value)


def _rule(text) -> Rule:
    if not isinstance(text, str) or not text.strip():
        raise InputError("规则单元格为空", "the rule cell is empty")
    try:
        return parse_rule(text.strip())
    except ValueError as exc:
        raise InputError(f"规则无效: {exc}", "invalid rule") from None


def _inputs(actual, target, baseline) -> Inputs:
    return Inputs(_number(actual, "实际值"), _number(target, "目标值", True), _number(baseline, "基准值", True))


@xw.func
@xw.arg("actual", empty=None)
@xw.arg("target", empty=None)
@xw.arg("baseline", empty=None)
def KPI_SCORE(actual, rule, target=None, baseline=None):
    """指标得分: the metric's points under the rule text in the rule cell."""
    try:
        return _rule(rule).points(_inputs(actual, target, baseline))
    except InputError as exc:
        return _error(exc.zh)


@xw.func
@xw.arg("actual", empty=None)
@xw.arg("target", empty=None)
@xw.arg("baseline", empty=None)
def KPI_EXPLAIN(actual, rule, target=None, baseline=None, unit=""):
    """得分说明: the Chinese one-line explanation of the points."""
    try:
        return _rule(rule).explain(_inputs(actual, target, baseline), unit or "")
    except InputError as exc:
        return _error(exc.zh)


@xw.func
@xw.arg("count", empty=None)
@xw.arg("chosen", empty=None)
def KPI_ADJUST(count, rule, chosen=None):
    """加减分: points of one 加减分 row (count events, or a rank, under the item's rule)."""
    try:
        r = _rule(rule)
        if not isinstance(r, (Event, Veto)) and r.type != "rank":
            raise InputError("不是加减分规则", "not an adjustment rule")
        return r.points(Inputs(_number(count, "数量"), chosen=_number(chosen, "分值", True)))
    except InputError as exc:
        return _error(exc.zh)


def _grade_row(total, table, veto):
    """The row of the grades table (等级, 最低分, 系数) a total falls in."""
    rows = sorted((r for r in table if r and r[0] not in (None, "")), key=lambda r: -float(r[1]))
    if not rows:
        raise InputError("等级表为空", "the grade table is empty")
    t = _number(total, "总分")
    if _number(veto, "否决", True):
        return rows[-1]
    return next((r for r in rows if t >= float(r[1])), rows[-1])


@xw.func
@xw.arg("table", ndim=2)
def KPI_GRADE(total, table, veto=0):
    """等级: the grade of a total under the grades table (等级 | 最低分 | 系数)."""
    try:
        return _grade_row(total, table, veto)[0]
    except InputError as exc:
        return _error(exc.zh)


@xw.func
@xw.arg("table", ndim=2)
def KPI_COEF(total, table, veto=0):
    """绩效系数: the pay coefficient of a total under the grades table."""
    try:
        return float(_grade_row(total, table, veto)[2])
    except InputError as exc:
        return _error(exc.zh)


# --------------------------------------------------------------------------- formulas that call them


def udf_score_formula(actual: str, rule: str, target: str, baseline: str) -> str:
    return f"KPI_SCORE({actual},{rule},{target},{baseline})"


def udf_adjust_formula(count: str, rule: str, chosen: str) -> str:
    return f"KPI_ADJUST({count},{rule},{chosen})"


def udf_grade_formula(total: str, table: str, veto: str) -> str:
    return f"KPI_GRADE({total},{table},{veto})"


def udf_coef_formula(total: str, table: str, veto: str) -> str:
    return f"KPI_COEF({total},{table},{veto})"


__all__ = ["KPI_SCORE", "KPI_EXPLAIN", "KPI_ADJUST", "KPI_GRADE", "KPI_COEF", "num"]
