"""``xl-kpi review``: combine a period's months into each employee's period score,
grade and promotion decision, written to workbooks/期间考核-<period>.xlsx.

The period's 180-degree ratings come from the round's rating forms (xl-kpi ratings --period) and
``reviews/<period>.csv`` (or .xlsx) in
the workspace: 工号, 评分人 (自评 / 主管评定 / 考核小组), 评分 (0–100).
"""
from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment

from ..core.errors import KpiError, Problem
from ..core.plan import PERIOD_NAMES, Plan
from ..core.raters import PERIOD_ITEM
from ..core.review import (
    DOWN,
    UP,
    MonthResult,
    ReviewDates,
    ReviewResult,
    period_bonus,
    period_end,
    period_kind,
    period_months,
    review,
    review_dates,
)
from ..core.rules import RATER_NAMES, InputError, Rating
from ..month.imports.table import read_table
from ..payroll.pools import pool_shares
from ..payroll.rollup import rollup
from ..store import open_store
from ..system.files import atomic_write
from ..workbook.cached import with_cached
from ..workbook.derive import stable_bytes
from ..workbook.style import (
    BAD_FILL,
    BOLD,
    GOOD_FILL,
    MONEY,
    TITLE,
    box,
    fit_row,
    head,
    print_a4,
    put,
    signature_block,
)
from ..workbook.texts import date_zh, month_zh, period_zh, phrase, zh
from ..workspace import Workspace
from ..workspace.roster import Employee

RATER_BY_NAME = {zh: r for r, zh in RATER_NAMES.items()} | {r: r for r in RATER_NAMES}
FILLS = {UP: GOOD_FILL, DOWN: BAD_FILL}


@dataclass
class PeriodReview:
    period: str
    months: list[str]
    results: list[tuple[Employee, ReviewResult]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dates: ReviewDates | None = None


POSTPONED = "review_postponed:"  # HR's record: a period's review moved (考核期顺延), as JSON date and reason


def dates_of(ws: Workspace, plan: Plan, period: str) -> ReviewDates:
    """The period's review dates, moved where HR postponed the review."""
    kept = open_store(ws.root).setting(POSTPONED + period)
    moved = json.loads(kept) if kept else None
    return review_dates(period, plan.appeal.days, dt.date.fromisoformat(moved["date"]) if moved else None,
                        moved["reason"] if moved else "")


def postpone(ws: Workspace, plan: Plan, period: str, to: dt.date, reason: str) -> ReviewDates:
    """考核期顺延: the review of ``period`` moved to ``to`` for ``reason``, kept in HR's record and the audit trail
    (who and when); the bonus payment month and the appeal window follow it."""
    if not reason.strip():
        raise KpiError([Problem("reason_missing", "顺延须写明原因（--reason） / a postponement needs --reason")])
    before = dates_of(ws, plan, period)
    if to <= period_end(period):
        raise KpiError([Problem("period_invalid", f"顺延后的考核日期须在{period_zh(period)}结束之后（{date_zh(period_end(period))}"
                                f"之后） / the new date must be after the period ends")])
    store = open_store(ws.root)
    with store.transaction():  # the new date and its audit entry, or neither
        store.set_setting(POSTPONED + period, json.dumps({"date": to.isoformat(), "reason": reason.strip()},
                                                          ensure_ascii=False))
        store.append_audit("review --postpone", [(period, "", "考核日期", before.held_on.isoformat(),
                                                  f"{to.isoformat()}（{reason.strip()}）", "")])
    return dates_of(ws, plan, period)


def read_ratings(ws: Workspace, plan: Plan, period: str, roster: list[Employee]):
    """Each employee's weighted period rating, from the round's rating forms (xl-kpi ratings --period) and
    the ratings file HR keeps (reviews/<period>.csv); a group both give is a problem, the forms' counting."""
    folder = ws.root / "reviews"
    path = next((p for p in (folder / f"{period}.csv", folder / f"{period}.xlsx") if p.exists()), None)
    forms = {(emp, grp): value for (emp, item, grp), (value, _) in open_store(ws.root).group_scores(period).items()
             if item == PERIOD_ITEM}
    if path is None and not forms:
        return {}, [], f"未找到 reviews/{period}.csv，也没有收回的评分表"
    given: dict[str, dict[str, float]] = {}
    for (emp, grp), value in forms.items():
        given.setdefault(emp, {})[grp] = value
    problems = _ratings_file(path, roster, given, forms) if path is not None else []
    rule = Rating(max=100, scale=100, weights=plan.rater_weights)
    ratings = {}
    where = f"reviews/{path.name}" if path is not None else "评分表"
    for e in roster:  # everyone the period reviews needs every rater group the plan weighs
        values = given.get(e.id, {})
        lacking = [RATER_NAMES[r] for r, w in plan.rater_weights.items() if w and values.get(r) is None]
        if lacking:
            problems.append(Problem("rating_missing", f"{e.name}（{e.id}）的期间评分缺少{'、'.join(lacking)}（{where}），综合分待核 / "
                                    f"{e.id}'s period rating lacks {', '.join(lacking)}: held", file=str(path or ""),
                                    employee=e.id))
            continue
        try:
            ratings[e.id] = rule.combine(values)
        except InputError as exc:
            problems.append(Problem("rating_missing", f"{e.name}（{e.id}）：{exc}（{where}） / {e.id}: {exc}",
                                    file=str(path or ""), employee=e.id))
    return ratings, problems, ""


def _ratings_file(path: Path, roster: list[Employee], given: dict, forms: dict) -> list[Problem]:
    """The ratings file's rows into ``given``; its problems."""
    table = read_table(path, {"工号": "employee", "employee_id": "employee", "评分人": "rater", "rater": "rater",
                              "评分": "value", "rating": "value"}, ("employee", "rater", "value"))
    people = {e.id for e in roster}
    lines: dict[tuple[str, str], int] = {}
    problems = []
    for row in table.rows:
        emp, rater = str(row.values["employee"]).strip(), RATER_BY_NAME.get(str(row.values["rater"]).strip())
        try:
            value = float(str(row.values["value"]).strip())
        except ValueError:
            value = None
        if emp not in people or rater is None or value is None or not 0 <= value <= 100:
            problems.append(Problem("rating_invalid", "工号、评分人（自评/主管评定/考核小组）或评分（0–100）无效 / "
                                    "invalid employee, rater or rating", file=str(path), line=row.line))
            continue
        if (emp, rater) in forms:
            problems.append(Problem("rating_duplicate", f"{emp}的{row.values['rater']}评分已由评分表收回，文件中的这一行未计入 / "
                                    f"the forms gave this rating already: the row does not count", file=str(path),
                                    line=row.line, employee=emp))
            continue
        if rater in given.get(emp, {}):
            problems.append(Problem("rating_duplicate", f"{emp}的{row.values['rater']}评分重复（第{lines[(emp, rater)]}行与第"
                                    f"{row.line}行） / the same rater twice for {emp}", file=str(path), line=row.line,
                                    employee=emp))
            continue
        lines[(emp, rater)] = row.line
        given.setdefault(emp, {})[rater] = value
    return problems


def run_review(ws: Workspace, plan: Plan, roster: list[Employee], period: str, progress=None,
               jobs: int = 1) -> PeriodReview:
    try:
        months = period_months(period)
    except ValueError as exc:
        raise KpiError([Problem("period_invalid", str(exc))]) from None
    out = PeriodReview(period, months, dates=dates_of(ws, plan, period))
    monthly: dict[str, dict[str, MonthResult]] = {e.id: {} for e in roster}
    for month in months:
        if not ws.month_dir(month).is_dir():
            continue
        for s in rollup(ws, plan, roster, month, jobs=jobs).entries:
            card = s.card
            score = card.score if card else None
            role = plan.roles[s.employee.role]
            quarterly = [f"{m.name}（{PERIOD_NAMES[role.metric(m.id).period]}指标）{m.explanation}"
                         for m in (card.metrics.values() if card else [])
                         if role.metric(m.id).period != "month" and m.counted and m.points is not None]
            monthly[s.employee.id][month] = MonthResult(month, score, card.adjustments if card else [], quarterly)
        if progress:
            progress()
    ratings, problems, note = read_ratings(ws, plan, period, roster)
    shares, pool_problems = pool_shares(ws, plan, roster, months, "year") if period_kind(period) == "year" else ({}, [])
    out.problems = problems + pool_problems  # 微博/微信 ±10 a year, split in December
    held = {p.employee: zh(p.message) for p in problems if p.type == "rating_missing"}
    for e in roster:
        team = [(f"{pool.name}（团队分配）", pts) for pool, pts in shares.get(e.id, [])]
        r = review(plan, e.id, e.role, months, monthly[e.id], ratings.get(e.id), note, team, held.get(e.id, ""))
        role = plan.roles[e.role]
        r.bonus = period_bonus(plan, r.grade, e.base_salary if e.base_salary is not None else role.base_salary,
                               e.performance_pay_base if e.performance_pay_base is not None
                               else role.performance_pay_base, period)
        out.results.append((e, r))
    return out


def review_path(ws: Workspace, period: str) -> Path:
    return ws.workbooks / f"期间考核-{period}.xlsx"


REVIEW_HEADER = ["工号", "姓名", "岗位", "计入月份", "缺少月份", "月度平均", "期间评分", "加减分", "综合得分", "等级",
                 "升降级", "绩效奖金", "理由"]
REVIEW_WIDTHS = (9, 9, 14, 9, 20, 9, 9, 8, 9, 8, 9, 15, 64)


def write_review(pr: PeriodReview, plan: Plan, path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "期间考核"
    put(ws, 1, 1, phrase("review_title", department=plan.department, period=period_zh(pr.period),
                         first=month_zh(pr.months[0]), last=month_zh(pr.months[-1])))
    ws["A1"].font = TITLE
    head(ws, 2, REVIEW_HEADER)
    bonus_col = REVIEW_HEADER.index("绩效奖金") + 1
    for row, (e, r) in enumerate(pr.results, start=3):
        values = [e.id, e.name, plan.roles[e.role].name, len(r.used), "\n".join(r.missing), r.monthly_average,
                  None if r.rating is None else round(r.rating, 2), sum(p for _, p in r.adjustments) if r.adjustments else 0,
                  r.score, r.grade, r.decision, None if r.bonus is None else float(r.bonus), "\n".join(r.reasons)]
        for col, v in enumerate(values, start=1):
            c = put(ws, row, col, v)
            c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row, bonus_col).number_format = MONEY
        fit_row(ws, row, {5: REVIEW_WIDTHS[4], 13: REVIEW_WIDTHS[12]})  # 缺少月份 and 说明 whole, never cut
        if r.decision in FILLS:
            ws.cell(row, 11).fill = FILLS[r.decision]
    last = len(pr.results) + 2
    put(ws, last + 1, 1, "合计").font = BOLD
    letter = ws.cell(1, bonus_col).column_letter
    total = ws.cell(last + 1, bonus_col, f"=SUM({letter}3:{letter}{last})")
    total.number_format, total.font = MONEY, BOLD
    box(ws, 2, 1, last + 1, len(REVIEW_HEADER))
    put(ws, last + 2, 1, dates_line(pr.dates)).alignment = Alignment(wrap_text=False, vertical="top")
    signature_block(ws, last + 3, phrase("signatures"), phrase("signature_date"))
    for col, width in enumerate(REVIEW_WIDTHS, start=1):
        ws.column_dimensions[ws.cell(1, col).column_letter].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    print_a4(ws, footer=phrase("footer"))
    if pr.problems:
        ps = wb.create_sheet("问题")
        head(ps, 1, ["文件", "行", "工号", "问题"])
        for p in pr.problems:
            ps.append([Path(p.file).name if p.file else "", p.line, p.employee, zh(p.message)])
        print_a4(ps, footer=phrase("footer"))
    buf = io.BytesIO()
    wb.save(buf)
    bonuses = sum((r.bonus for _, r in pr.results if r.bonus is not None), Decimal(0))
    data = stable_bytes(with_cached(buf.getvalue(), {("期间考核", f"{letter}{last + 1}"): bonuses}))
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)  # the same period, the same bytes
    return path


def dates_line(d: ReviewDates) -> str:
    return phrase("review_dates", held=date_zh(d.held_on), postponed=d.postponed, pay_month=month_zh(d.pay_month),
                  appeal_until=date_zh(d.appeal_until))


def review_json(pr: PeriodReview, plan: Plan) -> list[dict]:
    """Per person: the period's score, grade, decision and bonus (a decimal string, or null), and the review's
    dates (held on, the payroll month of the bonus, the last day of appeals)."""
    d = pr.dates
    return [{"employee_id": e.id, "name": e.name, "role": e.role, "months_used": r.used, "months_missing": r.missing,
             "monthly_average": r.monthly_average, "rating": r.rating, "score": r.score, "grade": r.grade,
             "decision": r.decision, "bonus": None if r.bonus is None else str(r.bonus), "reasons": r.reasons,
             "review_date": d.held_on.isoformat(), "bonus_pay_month": d.pay_month,
             "appeal_until": d.appeal_until.isoformat(), "postponed": d.postponed}
            for e, r in pr.results]
