"""季度绩效奖金 (the seed's 绩效奖金考核制度: 优秀/良好/一般/不合格, a ratio of the base salary, or a fixed
amount by grade; 一年一兑现 pays once a year): money computed by review, shown and totalled."""
import json
import subprocess
import sys
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from xl_kpi.core.plan_load import load_plan_text
from xl_kpi.core.review import period_bonus
from xl_kpi.month.generate import generate
from xl_kpi.month.imports import import_file
from xl_kpi.workspace import Workspace, data_file, init_workspace

BONUS = """
  bonus:
    pays: ratio
    periods: [quarter]
    base: base_salary
    by_grade: {优秀: 1.0, 良好: 0.6, 一般: 0.3}
"""


def plan_with(bonus: str):
    text = data_file("plan.yaml").read_text(encoding="utf-8")
    return text.replace("  adjusted_roles: [copywriter]\n", "  adjusted_roles: [copywriter]\n" + bonus.lstrip("\n"))


def test_the_bonus_by_grade_to_the_cent():
    plan = load_plan_text(plan_with(BONUS))
    salary, perf = Decimal("5000"), Decimal("2500")
    # 良好: 5,000 × 0.6 = 3,000.00; 一般: 5,000 × 0.3 = 1,500.00; 不合格 is not listed: 0
    assert period_bonus(plan, "良好", salary, perf, "2026-Q4") == Decimal("3000.00")
    assert period_bonus(plan, "一般", Decimal("4333.33"), perf, "2026-Q4") == Decimal("1300.00")  # 1299.999
    assert period_bonus(plan, "不合格", salary, perf, "2026-Q4") == Decimal("0.00")
    assert period_bonus(plan, "良好", salary, perf, "2026") is None  # this plan pays quarters only
    assert period_bonus(plan, None, salary, perf, "2026-Q4") is None  # no grade: no decision, no money
    yearly = load_plan_text(plan_with(BONUS.replace("pays: ratio", "pays: fixed").replace("[quarter]", "[year]")
                                      .replace("{优秀: 1.0, 良好: 0.6, 一般: 0.3}", "{优秀: 8000, 良好: 5000}")))
    assert period_bonus(yearly, "良好", salary, perf, "2026") == Decimal("5000.00")  # 一年一兑现
    assert period_bonus(yearly, "良好", salary, perf, "2026-Q4") is None
    with pytest.raises(Exception, match="“特优”不是方案中的等级"):
        load_plan_text(plan_with(BONUS.replace("优秀: 1.0", "特优: 1.0")))


def test_review_pays_and_totals_the_bonus(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    (ws.root / "plan.yaml").write_text(plan_with(BONUS), encoding="utf-8")
    ws = Workspace(ws.root)
    plan = ws.plan()
    roster = ws.roster(plan)
    for month in ("2026-10", "2026-11", "2026-12"):
        generate(ws, plan, roster, month)
        import_file(ws, plan, roster, data_file("actuals-2026-10.csv"), month)
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "review", "--period", "2026-Q4", "--json",
                           "--dir", str(ws.root)], capture_output=True, text=True)
    records = {r["employee_id"]: r for r in json.loads(done.stdout)}
    salaries = {e.id: e.base_salary if e.base_salary is not None else plan.roles[e.role].base_salary for e in roster}
    ratio = {"优秀": Decimal("1.0"), "良好": Decimal("0.6"), "一般": Decimal("0.3")}
    for emp, r in records.items():
        want = (salaries[emp] * ratio.get(r["grade"], Decimal(0))).quantize(Decimal("0.01"))
        assert Decimal(r["bonus"]) == want, (emp, r["grade"])
    sheet = load_workbook(ws.workbooks / "期间考核-2026-Q4.xlsx")["期间考核"]
    header = [c.value for c in sheet[2]]
    col = header.index("绩效奖金") + 1
    total_row = next(r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 1).value == "合计")
    assert sheet.cell(total_row, col).value == f"=SUM({sheet.cell(3, col).column_letter}3:" \
                                                f"{sheet.cell(3, col).column_letter}{total_row - 1})"
    assert sum(Decimal(str(sheet.cell(r, col).value or 0)) for r in range(3, total_row)) == \
        sum(Decimal(r["bonus"]) for r in records.values())
