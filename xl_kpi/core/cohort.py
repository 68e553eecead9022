"""What needs the whole cohort: rank bonuses among peers, and forced-distribution quotas.

Pure functions over (employee id, value) pairs; the roll-up supplies them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .numbers import num, snap
from .rules import Inputs, Rank


@dataclass(frozen=True)
class Ranked:
    employee: str
    value: float
    rank: int  # 1 = best; tied employees share the best rank they occupy
    tied: int  # how many share this rank
    points: float


def rank_values(values: list[tuple[str, float]], lower_is_better: bool = False) -> list[tuple[str, float, int, int]]:
    """Competition ranking (1, 1, 3): (employee, value, rank, size of its tie), best first, then by id."""
    values = [(emp, snap(v)) for emp, v in values]  # ties as a spreadsheet sees them
    ordered = sorted(values, key=lambda kv: ((kv[1] if lower_is_better else -kv[1]), kv[0]))
    out, i = [], 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1][1] == ordered[i][1]:
            j += 1
        for emp, value in ordered[i:j + 1]:
            out.append((emp, value, i + 1, j - i + 1))
        i = j + 1
    return out


def rank_bonuses(values: list[tuple[str, float]], rule: Rank, ties: str = "shared",
                 lower_is_better: bool = False) -> list[Ranked]:
    """TOP1/2/3 points among peers. ``shared``: the tied take the points of their (best) rank;
    ``split``: they share equally the points of the places they occupy (1st and 2nd tied: (8+6)/2 each)."""
    out = []
    for emp, value, rank, tied in rank_values(values, lower_is_better):
        if ties == "split":
            pts = sum(rule.points(Inputs(r)) for r in range(rank, rank + tied)) / tied
        else:
            pts = rule.points(Inputs(rank))
        out.append(Ranked(emp, value, rank, tied, pts))
    return out


def explain_rank(r: Ranked, name: str) -> str:
    tie = f"（并列{r.tied}人）" if r.tied > 1 else ""
    return f"{name}第{r.rank}名{tie}，加{num(round(r.points, 9))}分"


@dataclass(frozen=True)
class QuotaCheck:
    grade: str
    quota: float  # percent of employees at most
    allowed: int
    count: int
    margin: list[str]  # the lowest-scoring employees beyond the quota

    @property
    def over(self) -> bool:
        return self.count > self.allowed


def check_quotas(grades, scored: list[tuple[str, str, float]]) -> list[QuotaCheck]:
    """强制分布: for each grade with a quota, how many hold it against how many may, and who is at the margin.
    ``scored`` is (employee, grade, score); allowed = floor(quota% × headcount)."""
    n = len(scored)
    out = []
    for g in grades:
        if g.quota is None:
            continue
        holders = sorted((s, e) for e, grade, s in scored if grade == g.name)
        allowed = math.floor(n * g.quota / 100 + 1e-9)
        margin = [e for _, e in holders[: max(0, len(holders) - allowed)]]
        out.append(QuotaCheck(g.name, g.quota, allowed, len(holders), margin))
    return out
