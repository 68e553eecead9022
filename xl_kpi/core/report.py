"""绩效报告: trends, comparisons and each person's history over several months, worked out from the
months' roll-up records (the very records ``rollup --json`` prints), so the report and the JSON can
never disagree. Pure: records in, a :class:`Report` out; a month without workbooks is a gap (None),
never a zero."""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from decimal import Decimal

from .plan import Plan

PAY_PARTS = (("base_salary", "责任底薪"), ("performance_pay", "绩效工资"), ("commission", "业绩提成"),
             ("awards", "奖励"), ("deductions", "扣款"), ("total_pay", "应发合计"))
SPARKS = "▁▂▃▄▅▆▇█"
MOVERS = 5  # the biggest movers shown each way


@dataclass
class Person:
    id: str
    name: str
    role: str
    team: str  # the manager's 工号 (or e-mail when the manager is not on the roster); "" for none


@dataclass
class Line:
    """A figure over the months (None: no value that month)."""
    label: str
    values: list[float | None]
    unit: str = ""


@dataclass
class MetricTrend:
    id: str
    name: str
    unit: str
    average: list[float | None]
    best: list[float | None]
    worst: list[float | None]


@dataclass
class RoleTrend:
    role: str
    name: str
    headcount: list[int | None]
    total: list[float | None]  # the role's average score
    categories: list[Line]
    metrics: list[MetricTrend]


@dataclass
class MetricCompare:
    name: str
    unit: str
    target: float | None
    last: float | None
    this: float | None
    rate_last: float | None  # the mean completion each person was scored with that month
    rate_this: float | None
    target_unit: str = ""  # a growth target is a rate (%), whatever the metric counts


@dataclass
class PersonRow:
    id: str
    name: str
    role: str
    team: str
    scores: list[float | None]
    grades: list[str | None]
    rank_bonus: list[float | None]
    last: float | None = None
    this: float | None = None

    @property
    def change(self) -> float | None:
        return None if self.this is None or self.last is None else round(self.this - self.last, 2)


@dataclass
class TeamRow:
    team: str
    name: str
    headcount: int
    this: float | None
    last: float | None
    pay: Decimal | None  # None in a manager's copy


@dataclass
class WeekItem:
    name: str
    unit: str
    targets: list[float | None]  # each report week, summed over the role's people, then the month
    actuals: list[float | None]


@dataclass
class WeeklyRole:
    role: str
    name: str
    weeks: int
    items: list[WeekItem]
    notes: list[tuple[str, int, str]]  # (name, week, 数据分析总结)


@dataclass
class Report:
    department: str
    month: str
    months: list[str]
    present: list[bool]  # whether each month has workbooks
    overview: list[tuple[str, float | Decimal | None, float | Decimal | None, str]] = field(default_factory=list)
    grades: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    up: list[PersonRow] = field(default_factory=list)
    down: list[PersonRow] = field(default_factory=list)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # 工号, 姓名, message
    trends: list[RoleTrend] = field(default_factory=list)
    compare: dict[str, list[MetricCompare]] = field(default_factory=dict)
    people: list[PersonRow] = field(default_factory=list)
    teams: list[TeamRow] = field(default_factory=list)
    weekly: list[WeeklyRole] = field(default_factory=list)
    forms: list[tuple[str, int]] = field(default_factory=list)  # the month's rating forms: (state, how many)
    pay: bool = True  # False: a manager's copy, scores and grades only (pay is for HR and the person it is)
    scope: str = ""  # whose team it covers (张明（运营经理）的团队), '' for the department

    @property
    def first(self) -> str:
        return self.months[0]


def mean(values) -> float | None:
    got = [v for v in values if v is not None]
    return math.fsum(got) / len(got) if got else None


def change_text(this, last, percent_unit: bool = False) -> str:
    """▲ 3.20（+4.1%） / ▼ / — : how a figure moved, as the 对照 sheet shows it."""
    if this is None or last is None:
        return "—"
    diff = float(this) - float(last)
    if abs(diff) < 0.005 and not percent_unit:
        return "持平"
    arrow = "▲" if diff > 0 else "▼" if diff < 0 else "＝"
    shown = f"{abs(diff) * 100:.2f}个百分点" if percent_unit else f"{abs(diff):,.2f}"
    pct = f"（{diff / abs(float(last)) * 100:+.1f}%）" if float(last) and not percent_unit else ""
    return f"{arrow} {shown}{pct}"


def sparkline(values: list[float | None]) -> str:
    """▂▅▇ over the months (a gap is a space), then the change from the first to the last score."""
    got = [v for v in values if v is not None]
    if not got:
        return ""
    lo, hi = min(got), max(got)
    marks = "".join(" " if v is None else SPARKS[0 if hi == lo else round((v - lo) / (hi - lo) * 7)] for v in values)
    return f"{marks} {got[-1] - got[0]:+.2f}" if len(got) > 1 else marks


def build(plan: Plan, months: list[str], records: dict[str, list[dict] | None], people: list[Person],
          weekly: list[WeeklyRole] | None = None, team_names: dict[str, str] | None = None, pay: bool = True,
          scope: str = "") -> Report:
    """The report of the last of ``months`` against the others; ``records``: month → the roll-up's records
    (None for a month without workbooks); ``people``: whom the report covers (a role, a team, everyone);
    ``pay``: False leaves out every money figure (a manager's copy)."""
    month = months[-1]
    report = Report(plan.department, month, months, [records.get(m) is not None for m in months], pay=pay,
                    scope=scope)
    ids = {p.id for p in people}
    by_month = {m: {r["employee_id"]: r for r in (records.get(m) or []) if r["employee_id"] in ids} for m in months}
    this, last = by_month[month], (by_month[months[-2]] if len(months) > 1 else {})
    last_present = len(months) > 1 and records.get(months[-2]) is not None
    report.overview = _overview(this, last, last_present, pay)
    report.grades = [(g.name, _count(this, g.name), _count(last, g.name) if last_present else None)
                     for g in sorted(plan.grades, key=lambda g: -g.min)]
    report.people = _people(plan, months, by_month, people)
    moved = [p for p in report.people if p.change is not None]
    report.up = sorted([p for p in moved if p.change > 0], key=lambda p: -p.change)[:MOVERS]
    report.down = sorted([p for p in moved if p.change < 0], key=lambda p: p.change)[:MOVERS]
    names = {p.id: p.name for p in people}
    report.problems = [(e, names.get(e, e), pr["message"]) for e, r in this.items() for pr in r.get("problems", [])]
    roles = [rid for rid in plan.roles if any(p.role == rid for p in people)]
    report.trends = [_role_trend(plan, rid, months, by_month) for rid in roles]
    report.compare = {rid: _compare(plan, rid, this, last) for rid in roles}
    report.teams = _teams(people, this, last, team_names or {}, pay)
    report.weekly = [w for w in (weekly or []) if w.role in roles]
    return report


def _scored(records: dict[str, dict]) -> list[float]:
    return [r["score"] for r in records.values() if r.get("score") is not None]


def _count(records: dict[str, dict], grade: str) -> int:
    return sum(1 for r in records.values() if r.get("score") is not None and r.get("grade") == grade)


def _pay(records: dict[str, dict], part: str) -> Decimal | None:
    """A pay part summed over the pay lines the payroll pays (held lines wait outside the totals)."""
    paid = [r for r in records.values() if r.get("status") != "held" and r.get(part) is not None]
    return sum((Decimal(r[part]) for r in paid), Decimal("0.00")) if paid else None


def _overview(this: dict, last: dict, last_present: bool, pay: bool) -> list[tuple]:
    now, before = _scored(this), _scored(last)

    def row(label, a, b, unit=""):
        b = b if last_present else None
        return (label, a, b, change_text(a, b) if unit != "人" else
                ("—" if a is None or b is None else f"{'▲' if a > b else '▼' if a < b else '＝'} {abs(a - b)}"))

    out = [row("考核人数", len(now), len(before), "人"),
           row("平均分", mean(now), mean(before)),
           row("中位数", statistics.median(now) if now else None, statistics.median(before) if before else None),
           row("最高分", max(now, default=None), max(before, default=None)),
           row("最低分", min(now, default=None), min(before, default=None))]
    if pay:
        out += [row(label, _pay(this, key), _pay(last, key)) for key, label in PAY_PARTS]
    return out


def _people(plan: Plan, months: list[str], by_month: dict, people: list[Person]) -> list[PersonRow]:
    ranked = {b.id for b in plan.cohort_bonuses}
    rows = []
    for p in people:
        recs = [by_month[m].get(p.id) for m in months]
        scores = [r.get("score") if r else None for r in recs]
        bonus = [math.fsum(a["points"] or 0 for a in r.get("adjustments", []) if a["item"] in ranked) if r else None
                 for r in recs]
        row = PersonRow(p.id, p.name, plan.roles[p.role].name if p.role in plan.roles else p.role, p.team, scores,
                        [r.get("grade") if r else None for r in recs], bonus if ranked else [None] * len(months))
        row.this, row.last = scores[-1], scores[-2] if len(scores) > 1 else None
        rows.append(row)
    return sorted(rows, key=lambda r: (r.this is None, -(r.this or 0), r.id))


def _role_trend(plan: Plan, rid: str, months: list[str], by_month: dict) -> RoleTrend:
    role = plan.roles[rid]
    mine = [[r for r in by_month[m].values() if r["role"] == rid] for m in months]
    metrics = []
    for m in role.metrics:
        values = [[r["metrics"].get(m.id, {}).get("actual") for r in recs] for recs in mine]
        values = [[v for v in vs if isinstance(v, (int, float))] for vs in values]
        better, worse = (min, max) if m.direction == "lower" else (max, min)
        metrics.append(MetricTrend(m.id, m.name, m.unit, [mean(vs) for vs in values],
                                   [better(vs) if vs else None for vs in values],
                                   [worse(vs) if vs else None for vs in values]))
    cats = [Line(c.name, [mean(r.get("categories", {}).get(c.id) for r in recs) for recs in mine])
            for c in role.categories]
    present = [bool(by_month[m]) for m in months]  # a month without workbooks: a gap, not 0 people
    return RoleTrend(rid, role.name, [sum(1 for r in recs if r.get("score") is not None) if there else None
                                      for recs, there in zip(mine, present)],
                     [mean(r.get("score") for r in recs) for recs in mine], cats, metrics)


def _compare(plan: Plan, rid: str, this: dict, last: dict) -> list[MetricCompare]:
    out = []
    for m in plan.roles[rid].metrics:
        def avg(records, key):
            return mean(r["metrics"].get(m.id, {}).get(key) for r in records.values() if r["role"] == rid)

        def rate(records):  # each person's completion with that month's own target and baseline
            return mean(completion(m, r["metrics"].get(m.id, {})) for r in records.values() if r["role"] == rid)

        out.append(MetricCompare(m.name, m.unit, avg(this, "target"), avg(last, "actual"), avg(this, "actual"),
                                 rate(last), rate(this), "%" if m.measure == "growth" else m.unit))
    return out


def completion(m, scored: dict) -> float | None:
    """The share of its target a month's figure reached, as the month scored it: a growth metric's figure is its
    growth over that month's baseline; a lower-is-better metric completes as target ÷ actual."""
    actual, target, baseline = scored.get("actual"), scored.get("target"), scored.get("baseline")
    if not isinstance(actual, (int, float)) or not isinstance(target, (int, float)) or not target:
        return None
    if m.measure == "growth":
        if not isinstance(baseline, (int, float)) or not baseline:
            return None
        actual = (actual - baseline) / baseline
    if m.direction == "lower":
        return target / actual if actual else None
    return actual / target


def _teams(people: list[Person], this: dict, last: dict, names: dict[str, str], pay: bool) -> list[TeamRow]:
    teams: dict[str, list[Person]] = {}
    for p in people:
        if p.team:
            teams.setdefault(p.team, []).append(p)
    if len(teams) < 2:
        return []
    rows = []
    for team, members in teams.items():
        ids = {p.id for p in members}
        mine = {e: r for e, r in this.items() if e in ids}
        rows.append(TeamRow(team, names.get(team, team), len(members), mean(_scored(mine)),
                            mean(_scored({e: r for e, r in last.items() if e in ids})),
                            (_pay(mine, "total_pay") or Decimal("0.00")) if pay else None))
    return rows
