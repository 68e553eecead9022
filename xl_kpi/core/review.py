"""Quarter, half-year and year reviews: a period's months → composite score →
grade → promotion decision (≥90 升级, 80–<90 保级, <80 降级), with reasons.

A period's result uses only that period's data. Months without a scored
workbook are left out of the average and named in the reasons; with fewer
than ``min_months_share`` of the months there is no decision.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .dates import working_days_after
from .numbers import money, num, round_float
from .plan import Plan
from .rules import Veto
from .scorecard import AdjustmentResult, grade_of

UP, KEEP, DOWN, NONE = "升级", "保级", "降级", "不作决定"


def period_months(period: str) -> list[str]:
    """'2026-Q4' → 2026-10…12, '2026-H2' → 2026-07…12, '2026' → the twelve months."""
    m = re.fullmatch(r"(\d{4})(?:-(Q[1-4]|H[12]))?", period.strip().upper())
    if not m:
        raise ValueError(f"期间应写成 2026-Q4、2026-H2 或 2026 / period must look like 2026-Q4, 2026-H2 or 2026: {period}")
    year, part = int(m.group(1)), m.group(2)
    if part is None:
        months = range(1, 13)
    elif part[0] == "Q":
        q = int(part[1])
        months = range(3 * q - 2, 3 * q + 1)
    else:
        months = range(1, 7) if part == "H1" else range(7, 13)
    return [f"{year}-{mo:02d}" for mo in months]


@dataclass(frozen=True)
class ReviewDates:
    """When a period's review is held, the payroll month that pays its bonus and the last day of appeals; a
    review the 考评委员会 postponed (考核期顺延) carries its new date and why."""
    held_on: dt.date
    pay_month: str  # YYYY-MM
    appeal_until: dt.date
    postponed: str = ""  # the reason, '' when held on schedule


def period_end(period: str) -> dt.date:
    year, month = map(int, period_months(period)[-1].split("-"))
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def review_dates(period: str, appeal_days: int, moved_to: dt.date | None = None, reason: str = "") -> ReviewDates:
    """On schedule the review is held on the first working day after the period; the bonus is paid with that
    month's pay and appeals run ``appeal_days`` working days from it. A postponed review moves all three."""
    held = moved_to or working_days_after(period_end(period), 1)
    return ReviewDates(held, held.strftime("%Y-%m"), working_days_after(held, appeal_days), reason if moved_to else "")


def decision(plan: Plan, score: float | None) -> str:
    if score is None:
        return NONE
    if score >= plan.promotion.up:
        return UP
    return KEEP if score >= plan.promotion.keep else DOWN


@dataclass
class MonthResult:
    month: str
    score: float | None  # None: the month's workbook is missing or could not be scored
    adjustments: list[AdjustmentResult] = field(default_factory=list)
    quarterly: list[str] = field(default_factory=list)  # explanations of the period's own (quarterly) metrics


@dataclass
class ReviewResult:
    employee: str
    role: str
    months: list[str]
    used: list[str]
    missing: list[str]
    monthly_average: float | None
    rating: float | None
    adjustments: list[tuple[str, float]]
    score: float | None
    grade: str | None
    decision: str
    reasons: list[str]
    bonus: Decimal | None = None  # the period's bonus in yuan, where the plan pays one for this period


PERIOD_KINDS = {"Q": "quarter", "H": "half"}


def period_kind(period: str) -> str:
    """2026-Q4 → quarter, 2026-H2 → half, 2026 → year."""
    return PERIOD_KINDS.get(period.partition("-")[2][:1], "year")


def period_bonus(plan: Plan, grade: str | None, base_salary: Decimal, performance_pay_base: Decimal,
                 period: str) -> Decimal | None:
    """季度绩效奖金: base × the grade's ratio, or the grade's fixed amount, to the cent; None where this
    period pays none (or no grade could be given)."""
    b = plan.review.bonus
    if b.pays == "none" or period_kind(period) not in b.periods or grade is None:
        return None
    value = b.by_grade.get(grade, 0)
    if b.pays == "fixed":
        return money(value)
    base = {"base_salary": base_salary, "performance_pay_base": performance_pay_base}.get(b.base, b.base)
    return money(Decimal(str(base)) * Decimal(str(value)))


def veto_items(plan: Plan) -> set[str]:
    return {a.id for a in plan.adjustments if isinstance(a.rule, Veto)}


def _vetoed_months(plan: Plan, results: list[MonthResult]) -> list[str]:
    vetoes = veto_items(plan)
    return [m.month for m in results if any(a.item in vetoes and a.count for a in m.adjustments)]


def _annual_adjustments(plan: Plan, role: str, results: list[MonthResult]) -> list[tuple[str, float]]:
    """The editors' year adjustments: awards +4, TOP3 +2, six months with neither −1, major errors −5."""
    r = plan.review
    if role not in r.adjusted_roles:
        return []
    out = []
    cohort_ids = {b.id for b in plan.cohort_bonuses}
    major = set(r.major_error_items) | veto_items(plan)
    honours = set()
    for m in results:
        for a in m.adjustments:
            if a.points is None:
                continue
            if a.item in r.award_items and a.count:
                out.append((f"{m.month} {a.name}（月度奖）×{num(a.count)}", r.award_points * a.count))
                honours.add(m.month)
            elif (a.item in r.top3_items or a.item in cohort_ids) and a.count and 1 <= a.count <= 3:
                out.append((f"{m.month} {a.name}入TOP3（第{num(a.count)}名）", r.top3_points))
                honours.add(m.month)
            elif a.item in major and a.count:
                out.append((f"{m.month} {a.name}×{num(a.count)}", r.major_error_points * a.count))
    scored = [m.month for m in results if m.score is not None]
    for i in range(0, len(scored) - r.idle_months + 1, r.idle_months):
        block = scored[i:i + r.idle_months]
        if not honours & set(block):
            out.append((f"{block[0]}至{block[-1]}连续{r.idle_months}个月未获月度奖或TOP3", r.idle_points))
    return out


def review(plan: Plan, employee: str, role: str, months: list[str], results: dict[str, MonthResult],
           rating: float | None, rating_note: str = "", team: list[tuple[str, float]] | None = None,
           held: str = "") -> ReviewResult:
    """``team``: (label, points) of the year's team pools the member's lead gave them; ``held``: why the period
    rating is not complete (a rater missing): then no composite, grade or decision until HR completes it."""
    r = plan.review
    present = [results[m] for m in months if m in results]
    used = [m.month for m in present if m.score is not None]
    missing = [m for m in months if m not in used]
    reasons = []
    if missing:
        reasons.append(f"缺少或未能评分的月份不计入：{'、'.join(missing)}")
    need = math.ceil(r.min_months_share * len(months))
    if len(used) < need:
        reasons.append(f"只有{len(used)}个月的得分，少于{need}个月，不作升降级决定")
        return ReviewResult(employee, role, months, used, missing, None, rating, [], None, None, NONE, reasons)
    average = round_float(math.fsum(results[m].score for m in used) / len(used), 2)
    reasons.append(f"月度平均分{average:.2f}（{'、'.join(used)}）")
    if held:
        reasons.append(f"期间评分不全，待核：{held}")
        return ReviewResult(employee, role, months, used, missing, average, None, [], None, None, NONE, reasons)
    for m in present:
        reasons += [f"{m.month} {q}" for q in m.quarterly]
    if rating is None:
        composite = average
        reasons.append("缺少期间评分，综合分按月度平均计" + (f"（{rating_note}）" if rating_note else ""))
    else:
        composite = average * r.monthly_weight / 100 + rating * r.rating_weight / 100
        reasons.append(f"期间评分{num(round(rating, 2))}×{num(r.rating_weight)}% + 月度平均×{num(r.monthly_weight)}%")
    adjustments = _annual_adjustments(plan, role, present) + list(team or [])
    reasons += [f"{label}：{'+' if pts > 0 else ''}{num(pts)}分" for label, pts in adjustments]
    score = round_float(composite + math.fsum(p for _, p in adjustments), 2)
    grade = grade_of(plan, score, None).name
    d = decision(plan, score)
    rule = {UP: f"≥{num(plan.promotion.up)}", KEEP: f"{num(plan.promotion.keep)}–<{num(plan.promotion.up)}",
            DOWN: f"<{num(plan.promotion.keep)}"}[d]
    reasons.append(f"综合分{score:.2f}（{rule}），{d}")
    vetoed = _vetoed_months(plan, present)
    if d == UP and vetoed and r.veto_blocks_promotion:
        d = KEEP
        reasons.append(f"期间内有一票否决（{'、'.join(vetoed)}），不升级，{d}")
    return ReviewResult(employee, role, months, used, missing, average, rating, adjustments, score, grade, d, reasons)
