"""The department-wide steps of the roll-up: rank bonuses among a role's peers, the month's team-pool shares
(both scored again before grading), award limits across the department, and the rankings."""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from ..core.cohort import explain_rank, rank_bonuses, rank_values
from ..core.limits import award_problems
from ..core.plan import Plan
from ..core.scorecard import AdjustmentResult, score
from ..month.record import month_figures
from ..month.scored import Scored
from ..store import open_store
from ..workspace import Workspace
from .pools import pool_shares

if TYPE_CHECKING:
    from .rollup import Rollup


def check_award_limits(ws: Workspace, plan: Plan, month: str, result: Rollup) -> None:
    """最佳网红 每月评1项 and the like, across the department: a problem on everyone involved."""
    if not any(a.per_month or a.per_year or a.requires or a.when for a in plan.adjustments):
        return
    counts: dict[str, dict[str, float]] = {}
    for s in result.entries:
        _tally(counts, s.employee.id, [(a.item, a.count) for a in (s.card.adjustments if s.card else [])])
    earlier: dict[str, dict[str, dict[str, float]]] = {}
    store = open_store(ws.root)
    for m in range(1, int(month[5:])):  # HR's records of the year's earlier months, month by month
        key = f"{month[:4]}-{m:02d}"
        for emp, rows in store.adjustments(key).items():
            _tally(earlier.setdefault(key, {}), emp, [(item, count) for item, count, *_ in rows])
    names = {s.employee.id: s.employee.name for s in result.entries}
    people = {s.employee.id: s for s in result.entries}
    for p in award_problems(plan, month, counts, earlier, names, month_figures(store, month)):
        people[p.employee].problems.append(p)


def _tally(counts: dict[str, dict[str, float]], employee: str, items: list[tuple[str, float | None]]) -> None:
    """Add (item, count) rows to an employee's counts; a row without a count is one."""
    mine = counts.setdefault(employee, {})
    for item, count in items:
        mine[item] = mine.get(item, 0) + (count if count is not None else 1)


def apply_cohort_bonuses(plan: Plan, month: str, result: Rollup, scored: dict[str, Scored],
                          ws: Workspace | None = None) -> None:
    """Rank each bonus's cohort by its metric, add the month's team-pool shares, and score those
    employees again with them (before grading)."""
    extra: dict[str, list[AdjustmentResult]] = defaultdict(list)
    if ws is not None:
        shares_of, problems = pool_shares(ws, plan, [s.employee for s in result.entries], [month], "month")
        result.problems += problems
        for emp, shares in shares_of.items():
            extra[emp] += [AdjustmentResult(pool.id, pool.name, None, pts, f"{pool.name}：团队分配{pts:+g}分")
                           for pool, pts in shares]
    for b in plan.cohort_bonuses:
        metric = plan.roles[b.role].metric(b.metric)
        values = [(eid, s.card.metrics[b.metric].actual) for eid, s in scored.items()
                  if s.employee.role == b.role and s.card.metrics[b.metric].actual is not None]
        ranking = rank_bonuses(values, b.rule, b.ties, metric.direction == "lower")
        result.bonuses[b.id] = ranking
        for r in ranking:
            if r.points:
                extra[r.employee].append(AdjustmentResult(b.id, b.name, r.rank, r.points, explain_rank(r, b.name)))
    for s in result.entries:
        if s.employee.id in extra and s.card is not None and s.card.score is not None:
            card = score(plan, s.employee.role, s.raw, int(month[5:]), *s.bases, extra[s.employee.id])
            card.sheet_score = s.card.score
            s.card = card


def rankings(result: Rollup) -> dict[str, list[tuple[str, float, int, int]]]:
    """Employees ranked within each role by grade first, then by final score: a veto's lowest grade
    ranks below every better grade whatever the score (ties share a rank within a grade)."""
    order = {g.name: i for i, g in enumerate(sorted(result.plan.grades, key=lambda g: -g.min))}  # best first
    out = {}
    graded: dict[str, list[tuple[str, float, str]]] = defaultdict(list)  # role → (employee, score, grade)
    for s in result.entries:
        card = s.card
        if card and card.score is not None:
            graded[s.employee.role].append((s.employee.id, card.score, card.grade))
    for role in result.plan.roles:
        cards = graded.get(role, [])
        ranked, done = [], 0
        for grade in sorted({g for _, _, g in cards}, key=lambda g: order.get(g, len(order))):
            block = rank_values([(e, score) for e, score, g in cards if g == grade])
            ranked += [(e, v, rank + done, tied) for e, v, rank, tied in block]
            done += len(block)
        out[role] = ranked
    return out
