"""Python, LibreOffice and the UDFs agree at every edge: weekly figures with one or two decimals
that add up to a band edge, values a few ulps from an edge, 0.1-step arithmetic (0.7−0.5),
totals on a grade edge and amounts on a commission edge. Spreadsheets compare at 15 significant
digits; so must the engine.

Each case is one employee's workbook (native formulas) in one soffice call; the cells LibreOffice
computes (every metric's points, the total, the grade, the pay) must equal `score`'s, and the UDFs
chained as a UDF workbook chains them must give the same.
"""
import math
from decimal import Decimal

import pytest
from hypothesis import strategies as st

from xl_kpi import udfs
from xl_kpi.core.numbers import snap
from xl_kpi.core.plan import Plan
from xl_kpi.core.scorecard import AdjustmentEntry, EmployeeInputs, score
from xl_kpi.system.libreoffice import recalc
from xl_kpi.month.generator import Generator
from xl_kpi.month.score import score_data
from xl_kpi.workspace.months import workbook_path
from xl_kpi.workspace.roster import Employee
from xl_kpi.workbook.formulas import workbook_formulas
from xl_kpi.workbook.reader import read_workbook
from xl_kpi.workspace import Workspace

from helpers import examples

pytestmark = pytest.mark.libreoffice
MONTH = "2026-10"
CASES = 60

HOURS = "bands(<40:0; [40,60.5):3; [60.5,75.25]:5; >75.25:8)"
AMOUNT = "bands(<20000:0; [20000,40000):3; [40000,60000):5; >=60000:8)"
RESPONSE = "bands(<60:10; [60,75]:6; (75,90]:3; >90:0)"
RATE = "bands(<10%:0; [10%,20%):3; [20%,30%):5; >=30%:8)"
PLAN = {
    "name": "边界", "department": "测试部",
    "grades": [{"name": "优秀", "min": 90, "coefficient": 1.2}, {"name": "良好", "min": 80, "coefficient": 1.0},
               {"name": "一般", "min": 60, "coefficient": 0.8}, {"name": "不合格", "min": 0, "coefficient": 0}],
    "adjustments": [{"id": "plus", "name": "加分", "rule": "bonus(min=0.000001, max=1000)"},
                    {"id": "minus", "name": "减分", "rule": "deduct(min=0.000001, max=1000)"}],
    "roles": {"edge": {
        "name": "边界岗", "headcount": 1, "base_salary": 5000, "performance_pay_base": 2500,
        "adjustments": ["plus", "minus"],
        "commission": {"metric": "amount", "bands": [{"upto": 40000, "rate": 0.01}, {"rate": 0.015}]},
        "weekly_report": [{"id": "hours", "name": "工时", "unit": "小时", "target": 15},
                          {"id": "amount", "name": "成交金额", "unit": "元", "target": 10000}],
        "categories": [
            {"id": "weekly", "name": "周报", "weight": 40, "metrics": [
                {"id": "hours", "name": "工时", "unit": "小时", "source": "weekly_sum", "rule": HOURS},
                {"id": "amount", "name": "成交金额", "unit": "元", "source": "weekly_sum", "rule": AMOUNT}]},
            {"id": "bands", "name": "档位", "weight": 30, "metrics": [
                {"id": "response", "name": "响应时间", "unit": "秒", "direction": "lower", "rule": RESPONSE},
                {"id": "rate", "name": "购买率", "unit": "%", "max": 1, "rule": RATE}]},
            {"id": "steps", "name": "步长", "weight": 30, "metrics": [
                {"id": "satisfaction", "name": "满意度", "unit": "%", "max": 1, "baseline": 0.8,
                 "rule": "step(per=1%, pts=0.5, cap=10)"},
                {"id": "quality", "name": "质量分", "unit": "分", "baseline": 0.3, "rule": "step(per=0.1, pts=1, cap=10)"},
                {"id": "done", "name": "完成量", "unit": "件数", "target": 0.3, "rule": "ratio(max=10, ceil=1.2)"}]}],
    }},
}


def ulps(x: float, k: int) -> float:
    for _ in range(abs(k)):
        x = math.nextafter(x, math.inf if k > 0 else -math.inf)
    return x


@st.composite
def weeks_adding_to(draw, edges: list[float]):
    """Four weekly figures with one or two decimals whose decimal sum is an edge (or a cent off one)."""
    total = Decimal(str(draw(st.sampled_from(edges)))) + draw(st.sampled_from([Decimal(0)] * 4 + [Decimal("-0.01"),
                                                                                                      Decimal("0.01")]))
    step = draw(st.sampled_from([Decimal("0.1"), Decimal("0.01")]))
    parts = [step * draw(st.integers(0, int(total / step / 3))) for _ in range(3)]
    return [float(p) for p in parts] + [float(total - sum(parts))]


near = st.integers(-3, 3)
tenth_steps = st.sampled_from([0.7 - 0.5, 0.1 + 0.2, 0.3 - 0.1, 1.1 - 0.9, 0.1 * 3, 0.1 + 0.1 + 0.1, 0.4 - 0.1 - 0.1])


@st.composite
def case(draw):
    """One employee's inputs, every value on or beside an edge of its rule."""
    x = EmployeeInputs()
    x.weekly["hours"] = draw(weeks_adding_to([40, 60.5, 75.25]))
    x.weekly["amount"] = draw(weeks_adding_to([20000, 40000, 60000]))
    x.actuals["response"] = ulps(draw(st.sampled_from([60.0, 75.0, 90.0])), draw(near))
    x.actuals["rate"] = draw(st.one_of(tenth_steps, st.sampled_from([0.1, 0.2, 0.3]).map(lambda e: ulps(e, draw(near)))))
    x.actuals["satisfaction"] = 0.8 + 0.01 * draw(st.integers(0, 15))  # 每提高1%: 0.8+0.01*k carries binary noise
    x.actuals["quality"] = draw(st.one_of(st.integers(3, 20).map(lambda k: 0.1 * k), tenth_steps))
    x.actuals["done"] = draw(st.one_of(tenth_steps, st.just(ulps(0.36, draw(near)))))
    return x, draw(st.sampled_from([60, 80, 90])), draw(st.sampled_from(
        [0, 0.005, -0.005, 0.004999999, -0.004999999, 0.0050000001, 0.01, -0.01]))


def on_grade_edge(plan: Plan, x: EmployeeInputs, edge: float, offset: float) -> None:
    """A 加减分 row that brings the total to ``edge + offset``, as HR might type a chosen value."""
    card = score(plan, "edge", x, 10)
    if any(v is None for v in card.categories.values()):
        return
    d = edge + offset - math.fsum(card.categories.values())
    if d:
        x.adjustments.append(AdjustmentEntry("plus" if d > 0 else "minus", 1, abs(d)))


def slots(x: EmployeeInputs) -> dict:
    v = {f"actual_{k}": a for k, a in x.actuals.items()}
    v.update({f"week{w + 1}_{k}": a for k, weeks in x.weekly.items() for w, a in enumerate(weeks)})
    for i, a in enumerate(x.adjustments):
        v.update({f"adj_item_{i}": "加分" if a.item == "plus" else "减分", f"adj_count_{i}": a.count,
                  f"adj_chosen_{i}": a.chosen})
    return v


def udf_chain(plan: Plan, x: EmployeeInputs):
    """What a UDF workbook computes: Excel's own SUM of the weeks (plain binary addition), then the add-in's
    functions cell by cell."""
    role = plan.roles["edge"]
    cats = []
    for cat in role.categories:
        pts = []
        for m in cat.metrics:
            actual = sum(x.weekly[m.id]) if m.source == "weekly_sum" else x.actuals[m.id]
            pts.append(udfs.KPI_SCORE(actual, m.rule.to_text(), m.target, m.baseline))
        cats.append(udfs.KPI_CATEGORY(cat.weight, [pts], cat.possible(10), len(pts)))
    adj = sum(udfs.KPI_ADJUST(a.count, plan.adjustment(a.item).rule.to_text(), a.chosen) for a in x.adjustments)
    total = udfs.KPI_TOTAL([cats], adj, 0, 0)
    table = [[g.name, g.min, g.coefficient] for g in plan.grades]
    grade, coef = udfs.KPI_GRADE(total, table), udfs.KPI_COEF(total, table)
    commission = udfs.KPI_COMMISSION(sum(x.weekly["amount"]), role.commission.to_text())
    pay = 5000 + udfs.KPI_PAY(2500, coef) + commission
    return total, grade, round(pay, 2)


def test_every_edge_scores_the_same_in_python_libreoffice_and_the_udfs(tmp_path):
    plan = Plan.model_validate(PLAN)
    root = tmp_path
    ws = Workspace(root)
    gen = Generator(ws, plan, MONTH, "native")
    cases, people = [], []
    for i, (x, edge, offset) in enumerate(examples(case(), CASES)):
        on_grade_edge(plan, x, edge, offset)
        e = Employee(f"E{i:03}", f"员工{i}", "测试部", "edge", None, None, "", "")
        assert gen.write(e, extra=slots(x)).written
        cases.append(x)
        people.append(e)
    paths = [workbook_path(ws, MONTH, e) for e in people]
    computed = recalc(paths, root / "lo")

    mismatches = []
    for e, x, path, lo in zip(people, cases, paths, computed):
        s = score_data(read_workbook(path), plan, e, MONTH)
        assert not s.problems, s.problems
        card = s.card
        sheet = workbook_formulas(lo).cells
        data_ = read_workbook(path)

        def shown(name):
            cell = sheet[data_.where(name)]
            return cell.cached if cell.kind == "str" else float(cell.cached)

        want = {f"score_{m}": r.points for m, r in card.metrics.items()}
        want.update(total_score=card.score, grade=card.grade, total_pay=float(card.pay.total))
        for name, value in want.items():
            got = shown(name)
            same = got == value if isinstance(value, str) else snap(got) == snap(value)
            if not same:
                mismatches.append((e.id, name, value, got, x))
        total, grade, pay = udf_chain(plan, x)
        if (total, grade, pay) != (card.score, card.grade, float(card.pay.total)):
            mismatches.append((e.id, "udf", (card.score, card.grade, card.pay.total), (total, grade, pay), x))
    assert mismatches == []
    # the cases really sat on the edges: some weekly sums are inexact in binary, some totals on a grade line
    assert any(sum(w) != snap(sum(w)) for x in cases for w in x.weekly.values())
    assert any(snap(card_total) in (60, 80, 90) for card_total in
               (score(plan, "edge", x, 10).score for x in cases))
