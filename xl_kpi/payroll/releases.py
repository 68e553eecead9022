"""Pay never changes silently across releases: a month an earlier release rolled up (its pay kept in HR's
record when the workspace was upgraded) is compared line by line with what this release computes, and each
difference is named with the person, the line and the reason (the releases' own words, CHANGELOG.md)."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from .. import __version__
from ..core.errors import Problem
from ..core.releases import pay_changes_since
from ..month.score import pay_json
from ..store import Store

if TYPE_CHECKING:
    from .rollup import Rollup

LINES = {"score": "绩效得分", "grade": "等级", "base_salary": "责任底薪", "performance_pay": "绩效工资",
         "commission": "业绩提成", "awards": "奖励", "deductions": "扣款", "total_pay": "应发合计"}


def pay_changes(store: Store, result: "Rollup") -> list[Problem]:
    """A notice (not a hold) for each person whose pay lines differ from those an earlier release rolled up."""
    earlier = store.earlier_pay(result.month)
    out = []
    for s in result.entries:
        if s.employee.id not in earlier or s.card is None or s.card.score is None:
            continue
        version, lines, source = earlier[s.employee.id]
        now = {"score": s.card.score, "grade": s.card.grade, **pay_json(s.card)}
        differ = [(LINES[k], lines[k], now[k]) for k in LINES if k in lines and lines[k] is not None
                  and not _same(lines[k], now[k])]
        if differ:
            out.append(_notice(s.employee, version, source, differ))
    return out


def _same(before, now) -> bool:
    if isinstance(before, str) and isinstance(now, str) and not _number(before) and not _number(now):
        return before == now
    try:
        return Decimal(str(before)).quantize(Decimal("0.01")) == Decimal(str(now)).quantize(Decimal("0.01"))
    except ArithmeticError:
        return str(before) == str(now)


def _number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except ArithmeticError:
        return False


def _notice(e, version: str, source: str, differ: list[tuple[str, object, object]]) -> Problem:
    lines = "；".join(f"{label}由{_shown(before)}变为{_shown(now)}" for label, before, now in differ)
    reasons = pay_changes_since(version)
    why = ("；".join(f"{v}：{c}" for v, c in reasons) if reasons
           else f"版本{version}与{__version__}的计算不同，见 CHANGELOG.md")
    return Problem("release_pay_change", f"{e.name}（{e.id}）同样的输入，版本{version}汇总（{source}）与本版本{__version__}"
                   f"不同：{lines}。原因：{why} / the same inputs pay differently than release {version} did",
                   employee=e.id)


def _shown(x) -> str:
    if isinstance(x, float):
        return f"{x:,.2f}"
    try:
        return f"{Decimal(str(x)):,.2f}"
    except ArithmeticError:
        return str(x)
