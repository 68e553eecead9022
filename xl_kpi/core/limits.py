"""Award limits across the department: 最佳网红 每月评1项 (per_month), a yearly count (per_year), and an
award given only with another (requires). Pure: the counts come in, problems naming everyone involved
go out; the roll-up holds those people's pay lines until HR fixes the 加减分 records."""
from __future__ import annotations

from . import condition
from .errors import Problem
from .numbers import num
from .plan import Plan

Counts = dict[str, dict[str, float]]  # employee → item → count


WITHIN_ZH = {"month": "当月", "quarter": "本季度", "year": "本年"}


def award_problems(plan: Plan, month: str, counts: Counts, earlier_months: dict[str, Counts],
                   names: dict[str, str], figures: dict[str, float] | None = None) -> list[Problem]:
    """``counts``: this month's items per employee; ``earlier_months``: the same year's earlier months, each
    month's items per employee; ``figures``: the month's outside figures, which an item's ``when`` reads."""
    earlier = _together(earlier_months.values())
    out = []
    for a in plan.adjustments:
        given = {e: c[a.id] for e, c in counts.items() if c.get(a.id)}
        if not given:
            continue
        who = "、".join(f"{names.get(e, e)}（{e}）" for e in sorted(given))
        total = sum(given.values())
        if a.per_month is not None and total > a.per_month:
            out += _each(given, "award_limit",
                         f"{a.name}每月最多{a.per_month}项，{month}共{num(total)}项：{who} / {a.id}: at most "
                         f"{a.per_month} a month, {num(total)} in {month}")
        year = total + sum(c.get(a.id, 0) for c in earlier.values())
        if a.per_year is not None and year > a.per_year:
            out += _each(given, "award_limit",
                         f"{a.name}每年最多{a.per_year}项，{month[:4]}年至{month}共{num(year)}项，本月：{who} / "
                         f"{a.id}: at most {a.per_year} a year, {num(year)} so far")
        if a.when is not None:
            out += _condition_problems(plan, a, month, given, who, figures or {})
        if a.requires is not None:
            needed = plan.adjustment(a.requires)
            window = _together([counts] + [c for m, c in earlier_months.items() if _within(m, month, a.requires_within)])
            lacking = {e: n for e, n in given.items() if not window.get(e, {}).get(a.requires)}
            where = WITHIN_ZH[a.requires_within] if a.requires_within != "month" else month
            for e in lacking:
                out.append(Problem("award_requires", f"{a.name}须先获{needed.name}：{names.get(e, e)}（{e}）{where}没有"
                                   f"{needed.name} / {a.id} requires {a.requires} within the {a.requires_within}, which "
                                   f"{e} lacks", employee=e))
    return out


def _condition_problems(plan: Plan, a, month: str, given: dict[str, float], who: str,
                        figures: dict[str, float]) -> list[Problem]:
    """An item given in a month whose imported figures do not meet its condition, or lack what it reads."""
    missing = [plan.figure(n).name for n in condition.unread([a.when], figures)]
    if missing:
        return _each(given, "figure_missing", f"{a.name}的条件需要{month}的外部数据：{'、'.join(missing)}，尚未导入：{who} / "
                     f"the figures the condition of {a.id} reads are not imported for {month}")
    try:
        if condition.holds(a.when, figures):
            return []
    except condition.ConditionError as exc:  # a division by a figure imported as 0
        return _each(given, "award_condition", f"{a.name}的条件无法判定：{str(exc).split(' / ')[0]}：{who} / the "
                     f"condition of {a.id} cannot be decided")
    shown = "，".join(f"{plan.figure(n).name}{num(figures[n])}" for n in condition.names(a.when))
    return _each(given, "award_condition", f"{a.name}的条件（{a.when}）按{month}导入的外部数据不成立（{shown}），不能给予："
                 f"{who} / the condition of {a.id} does not hold for {month}")


def _within(earlier: str, month: str, window: str) -> bool:
    """Whether an earlier month of the same year falls in the window ending with ``month``."""
    if window == "year":
        return True
    return window == "quarter" and (int(earlier[5:]) - 1) // 3 == (int(month[5:]) - 1) // 3


def _together(parts) -> Counts:
    out: Counts = {}
    for counts in parts:
        for e, items in counts.items():
            mine = out.setdefault(e, {})
            for item, n in items.items():
                mine[item] = mine.get(item, 0) + n
    return out


def _each(given: dict[str, float], type_: str, message: str) -> list[Problem]:
    return [Problem(type_, message, employee=e) for e in sorted(given)]
