"""Quarter, half-year and year reviews: promotion boundaries, missing months,
the editors' annual adjustments, and the command over real workbooks."""
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from xl_kpi.core.review import DOWN, KEEP, NONE, UP, MonthResult, decision, period_months, review
from xl_kpi.core.scorecard import AdjustmentResult
from xl_kpi.month.generate import generate
from xl_kpi.month.imports import import_file
from xl_kpi.workspace import data_file, init_workspace


@pytest.mark.parametrize("score, want", [(79.99, DOWN), (80, KEEP), (89.99, KEEP), (90, UP), (None, NONE)])
def test_promotion_boundaries(plan, score, want):
    assert decision(plan, score) == want


def test_periods():
    assert period_months("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert period_months("2026-h1")[-1] == "2026-06" and len(period_months("2026")) == 12
    with pytest.raises(ValueError, match="2026-Q4"):
        period_months("2026-Q5")


def months_of(scores: dict[str, float | None], adjustments=None) -> dict[str, MonthResult]:
    return {m: MonthResult(m, s, (adjustments or {}).get(m, [])) for m, s in scores.items()}


def test_a_quarter_with_a_missing_month_uses_the_others(plan):
    months = period_months("2026-Q4")
    r = review(plan, "E002", "ops", months, months_of({"2026-10": 88, "2026-12": 92}), rating=95)
    assert r.used == ["2026-10", "2026-12"] and r.missing == ["2026-11"]
    assert r.monthly_average == 90
    assert r.score == pytest.approx(90 * 0.8 + 95 * 0.2)
    assert r.decision == UP and any("2026-11" in x for x in r.reasons)
    # two months missing of three: too little to decide
    r = review(plan, "E002", "ops", months, months_of({"2026-10": 95}), rating=95)
    assert r.decision == NONE and r.score is None and "不作升降级决定" in r.reasons[-1]


def test_without_a_rating_the_average_decides(plan):
    months = period_months("2026-Q4")
    r = review(plan, "E002", "ops", months, months_of({m: 79.99 for m in months}), rating=None)
    assert r.score == 79.99 and r.decision == DOWN and any("缺少期间评分" in x for x in r.reasons)


def test_editors_annual_adjustments(plan):
    months = period_months("2026")
    adj = {
        "2026-02": [AdjustmentResult("star", "明星员工", 1, 5, "")],
        "2026-03": [AdjustmentResult("top_rank", "TOP榜单", 2, 6, "")],
        "2026-05": [AdjustmentResult("major_error", "重大差错", 1, -3, "")],
    }
    r = review(plan, "E010", "copywriter", months, months_of({m: 85 for m in months}, adj), rating=85)
    labels = dict(r.adjustments)
    assert sorted(labels.values()) == [-5, -1, 2, 4]  # major error, idle Jul–Dec, TOP3, award
    assert any("2026-07至2026-12" in label for label in labels)
    assert r.score == 85 + 4 + 2 - 5 - 1
    # other roles have no annual adjustments
    assert review(plan, "E002", "ops", months, months_of({m: 85 for m in months}, adj), 85).adjustments == []


def test_review_command_over_a_quarter_with_a_missing_month(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    for month in ("2026-10", "2026-11"):  # December never generated
        generate(ws, plan, roster, month, "native")
        import_file(ws, plan, roster, data_file("actuals-2026-10.csv"), month)
    (ws.root / "reviews").mkdir()
    (ws.root / "reviews" / "2026-Q4.csv").write_text("工号,评分人,评分\nE001,自评,90\nE001,主管评定,80\n"
                                                     "E001,考核小组,70\nE002,自评,abc\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "review", "--period", "2026-Q4", "--dir", str(ws.root)],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr  # the bad rating row is reported
    assert "2026-Q4.csv:5" in done.stderr
    sheet = load_workbook(ws.workbooks / "期间考核-2026-Q4.xlsx")["期间考核"]
    assert sheet["A1"].value == "电商部 2026年第四季度 考核与升降级（2026年10月至2026年12月）"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=3, values_only=True)}
    e001 = rows["E001"]
    assert e001[3] == 2 and e001[4] == "2026-12"
    assert e001[6] == pytest.approx(0.2 * 90 + 0.5 * 80 + 0.3 * 70)
    assert e001[10] in (UP, KEEP, DOWN) and "2026-12" in e001[12] and "综合分" in e001[12]
    # E002 has no valid rating at all: held on the person (no composite, no decision), never the monthly average
    e002 = rows["E002"]
    assert e002[5] is not None and e002[8] is None and e002[9] is None and e002[10] == "不作决定"
    assert "期间评分不全，待核：李娜（E002）的期间评分缺少自评、主管评定、考核小组（reviews/2026-Q4.csv）" in e002[12]
    assert "李娜（E002）的期间评分缺少" in done.stderr


def test_a_postponed_review_moves_its_payment_month_and_appeal_window(tmp_path, capsys):
    """考核期顺延 (考评委员会有权顺延): moved two weeks into January with a reason, the review says its new date,
    the bonus is paid with January's pay and appeals run three working days from the new date; the audit
    trail says who moved it. On schedule it is the first working day after the quarter."""
    from helpers import run_cli

    ws, _ = init_workspace(tmp_path / "ws")
    run_cli(capsys, "generate", "--month", "2026-10", "--dir", ws.root)
    before = json.loads(run_cli(capsys, "review", "--period", "2026-Q4", "--json", "--dir", ws.root))[0]
    assert (before["review_date"], before["bonus_pay_month"], before["appeal_until"]) == ("2027-01-01", "2027-01",
                                                                                        "2027-01-06")
    assert "须写明原因" in run_cli(capsys, "review", "--period", "2026-Q4", "--postpone", "2027-01-15", "--dir", ws.root,
                               code=2, stderr=True)
    assert "须在2026年第四季度结束之后" in run_cli(capsys, "review", "--period", "2026-Q4", "--postpone", "2026-12-20",
                                            "--reason", "x", "--dir", ws.root, code=2, stderr=True)
    out = run_cli(capsys, "review", "--period", "2026-Q4", "--postpone", "2027-01-15", "--reason", "考评委员会决定顺延",
                  "--dir", ws.root)
    assert "考核日期：2027年1月15日（考核期顺延：考评委员会决定顺延）；绩效奖金随2027年1月工资发放；申诉截止：2027年1月20日。" in out
    after = json.loads(run_cli(capsys, "review", "--period", "2026-Q4", "--json", "--dir", ws.root))[0]
    assert (after["review_date"], after["appeal_until"], after["postponed"]) == ("2027-01-15", "2027-01-20",
                                                                               "考评委员会决定顺延")
    sheet = load_workbook(ws.workbooks / "期间考核-2026-Q4.xlsx")["期间考核"]
    assert any("考核期顺延：考评委员会决定顺延" in str(c) for row in sheet.iter_rows(values_only=True) for c in row)
    trail = run_cli(capsys, "audit", "--csv", "--dir", ws.root)
    assert "review --postpone" in trail and "2027-01-15（考评委员会决定顺延）" in trail
