"""The plan speaks the seed's language: what the seed's schemes write scores as they mean it, and a
plan that says something impossible is refused at the line that says it."""
import pytest
from openpyxl import load_workbook

from xl_kpi.core.errors import KpiError
from xl_kpi.core.plan import load_plan_text
from xl_kpi.core.review import KEEP, UP, MonthResult, review
from xl_kpi.core.scorecard import AdjustmentResult
from xl_kpi.monthly import generate, score_month
from xl_kpi.workspace import builtin_plan, data_file, init_workspace

from helpers import cell_of



@pytest.fixture
def space(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    return ws, plan, ws.roster(plan)


def type_in(ws, month, e, **values):
    path = ws.month_dir(month) / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    for name, value in values.items():
        cell_of(wb, name).value = value
    wb.save(path)


def test_a_quarterly_survey_is_compared_with_last_quarters(space):
    """用户满意度 is surveyed each quarter: December's 88% against September's 85% is 3 steps of 1%,
    0.5 each: 1.5 points (against the plan's default 80% it would be 4.0)."""
    ws, plan, roster = space
    e = next(x for x in roster if x.role == "ops")
    generate(ws, plan, [e], "2026-09")
    type_in(ws, "2026-09", e, actual_satisfaction=0.85)
    generate(ws, plan, [e], "2026-11")  # a month without the survey in between
    generate(ws, plan, [e], "2026-12")
    type_in(ws, "2026-12", e, actual_satisfaction=0.88)
    wb = load_workbook(ws.month_dir("2026-12") / f"{e.file_stem}.xlsx")
    assert cell_of(wb, "baseline_satisfaction").value == pytest.approx(0.85)
    source = wb["考核表"].cell(cell_of(wb, "baseline_satisfaction").row, 11).value
    assert source == "上季度实际（2026-09）"
    (s,) = [x for x in score_month(ws, plan, [e], "2026-12")]
    assert s.card.metrics["satisfaction"].points == pytest.approx(1.5)
    assert s.card.metrics["satisfaction"].explanation == "88%，较基准85%增加3个1%，得1.5分"


def months_of(scores: dict, adjustments=None) -> dict:
    return {m: MonthResult(m, s, (adjustments or {}).get(m, [])) for m, s in scores.items()}


def test_a_veto_costs_the_editor_the_promotion():
    """An editor at 96 a month with a veto in March: the veto is a 重大差错 in the annual composite
    (−5: 91, still ≥ 90) and a period with a veto promotes nobody."""
    plan = builtin_plan()
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    veto = {"2026-03": [AdjustmentResult("veto_major", "一票否决（重大差错）", 1, 0, "")],
            **{m: [AdjustmentResult("star", "明星员工", 1, 5, "")] for m in ("2026-06", "2026-12")}}
    clean = review(plan, "E010", "copywriter", months, months_of({m: 96 for m in months}), rating=None)
    assert clean.decision == UP
    r = review(plan, "E010", "copywriter", months, months_of({m: 96 for m in months}, veto), rating=None)
    assert dict(r.adjustments)["2026-03 一票否决（重大差错）×1"] == -5
    assert r.score == 96 + 4 + 4 - 5 and r.decision == KEEP
    assert r.reasons[-1] == f"期间内有一票否决（2026-03），不升级，{KEEP}"
    # another role: no annual adjustments, but still no promotion in a period with a veto
    ops = review(plan, "E002", "ops", months, months_of({m: 96 for m in months}, veto), rating=None)
    assert ops.adjustments == [] and ops.score == 96 and ops.decision == KEEP


PLAN = data_file("plan.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_review_names_that_name_nothing_are_located():
    text = PLAN.replace("top3_items: [top_rank]", "top3_items: [top_ranking]").replace(
        "adjusted_roles: [copywriter]", "adjusted_roles: [editor]")
    with pytest.raises(KpiError) as caught:
        load_plan_text(text)
    found = {p.path: p for p in caught.value.problems}
    assert found["review.top3_items.0"].line == line_of(text, "top3_items:")
    assert "“top_ranking”不是方案中的加减分项目" in found["review.top3_items.0"].message
    assert found["review.adjusted_roles.0"].line == line_of(text, "adjusted_roles:")


def test_a_percent_step_of_one_is_refused_at_its_rule():
    """每降低1% written per=1 is 100 percentage points: it can never score."""
    text = PLAN.replace('rule: "step(dir=down, per=1%, pts=1, cap=10)"', 'rule: "step(dir=down, per=1, pts=1, cap=10)"')
    assert text != PLAN
    with pytest.raises(KpiError) as caught:
        load_plan_text(text)
    (p,) = caught.value.problems
    assert p.type == "percent_step" and "per=1%" in p.message and p.line == line_of(text, "per=1, pts=1")
