"""Award limits across the department: 最佳网红 每月评1项 (per_month), a yearly count (per_year), and an
award given only with another (requires). Pure: the counts come in, problems naming everyone involved
go out; the roll-up holds those people's pay lines until HR fixes the 加减分 records."""
from __future__ import annotations

from .errors import Problem
from .numbers import num
from .plan import Plan

Counts = dict[str, dict[str, float]]  # employee → item → count


def award_problems(plan: Plan, month: str, counts: Counts, earlier: Counts, names: dict[str, str]) -> list[Problem]:
    """``counts``: this month's items per employee; ``earlier``: the same year's earlier months together."""
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
        if a.requires is not None:
            needed = plan.adjustment(a.requires)
            lacking = {e: n for e, n in given.items() if not counts.get(e, {}).get(a.requires)}
            for e in lacking:
                out.append(Problem("award_requires", f"{a.name}须先获{needed.name}：{names.get(e, e)}（{e}）{month}没有"
                                   f"{needed.name} / {a.id} requires {a.requires}, which {e} lacks in {month}",
                                   employee=e))
    return out


def _each(given: dict[str, float], type_: str, message: str) -> list[Problem]:
    return [Problem(type_, message, employee=e) for e in sorted(given)]
