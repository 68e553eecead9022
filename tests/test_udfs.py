"""The add-in's UDFs: plain functions equal to the rule engine, and UDF-mode
workbooks computed by another engine (the `formulas` package) equal native-mode
workbooks recalculated by LibreOffice and the Python scores."""
import random

import pytest
from openpyxl import load_workbook

from xl_kpi import udfs
from xl_kpi.core.rules import InputError, Inputs, parse_rule
from xl_kpi.month.generate import generate
from xl_kpi.month.score import score_file
from xl_kpi.workspace import init_workspace

from helpers import cell_of, fill_randomly

MONTH = "2026-10"
RULES = [
    "bands(<2500:0; [2500,3000):3; [3000,3500):5; >=3500:8)",
    "bands(<60:10; [60,75]:6; (75,90]:3; >90:0)",
    "step(per=100, pts=0.1, cap=5)",
    "step(dir=down, per=1%, pts=1, cap=10)",
    "ratio(max=10, floor=0.5, ceil=1.2)",
    "ratio(max=10, dir=down)",
    "rating(max=10, self=20, supervisor=50, committee=30)",
    "rank(1=8, 2=6, 3=3)",
]
VALUES = [0, 1, 59.9, 60, 75, 75.1, 90.1, 0.29, 2500, 3499.99, 10000, 12350, -5, 1.5, 3]


def engine(rule_text, actual, target, baseline, method="points"):
    rule = parse_rule(rule_text)
    try:
        x = Inputs(actual, target, baseline)
        return rule.points(x) if method == "points" else rule.explain(x, "")
    except InputError as exc:
        return udfs.ERROR_PREFIX + exc.zh


@pytest.mark.parametrize("rule", RULES)
def test_kpi_score_and_explain_equal_the_engine(rule):
    for actual in VALUES:
        for target, baseline in ((1000, 10000), (None, None), (0, 0.05)):
            assert udfs.KPI_SCORE(actual, rule, target, baseline) == engine(rule, actual, target, baseline)
            assert udfs.KPI_EXPLAIN(actual, rule, target, baseline) == \
                engine(rule, actual, target, baseline, "explain")


@pytest.mark.parametrize("value, message", [
    (None, "实际值未填写"), ("", "实际值未填写"), ("abc", "实际值不是数字"), (True, "实际值不是数字"),
    ("#N/A", "实际值是错误值 #N/A"), ("#DIV/0!", "实际值是错误值 #DIV/0!"), (float("nan"), "实际值不是有限数字"),
])
def test_bad_inputs_come_back_as_readable_values(value, message):
    out = udfs.KPI_SCORE(value, RULES[0])
    assert out.startswith(udfs.ERROR_PREFIX + message)
    assert udfs.KPI_SCORE(3000, "nonsense") .startswith("#KPI! 规则无效")
    assert udfs.KPI_SCORE(3000, None) == "#KPI! 规则单元格为空"
    assert udfs.KPI_SCORE(100, "ratio(max=10)") == "#KPI! 缺少目标值"


@pytest.mark.parametrize("rule, count, chosen", [
    ("deduct(pts=0.5)", 3, None), ("deduct(min=1, max=5)", 1, 4), ("deduct(min=1, max=5)", 1, None),
    ("deduct(min=1, max=5)", 1, 6), ("bonus(pts=2)", 2, None), ("award(pts=20, limit=1)", 2, None),
    ("rank(1=8, 2=6, 3=3)", 2, None), ("veto(effect=zero)", 1, None), ("deduct(pts=1)", 1.5, None),
])
def test_kpi_adjust_equals_the_engine(plan, rule, count, chosen):
    want = engine_adjust(rule, count, chosen)
    assert udfs.KPI_ADJUST(count, rule, chosen) == want
    assert udfs.KPI_ADJUST(count, "ratio(max=1)", chosen) == "#KPI! 不是加减分规则"


def engine_adjust(rule, count, chosen):
    try:
        return parse_rule(rule).points(Inputs(count, chosen=chosen))
    except InputError as exc:
        return udfs.ERROR_PREFIX + exc.zh


def test_grade_coefficient_pay_category_total(plan):
    table = [[g.name, g.min, g.coefficient] for g in plan.grades]
    for total, veto, want in ((95, 0, "优秀"), (90, 0, "优秀"), (89.99, 0, "良好"), (80, 0, "良好"),
                              (79.99, 0, "一般"), (10, 0, "不合格"), (99, 1, "不合格")):
        assert udfs.KPI_GRADE(total, table, veto) == want
        assert udfs.KPI_COEF(total, table, veto) == next(g.coefficient for g in plan.grades if g.name == want)
    assert udfs.KPI_GRADE("", table) == "#KPI! 总分未算出"
    assert udfs.KPI_GRADE(90, []) == "#KPI! 等级表为空"
    assert udfs.KPI_PAY(2000.01, 0.8) == 1600.01
    assert udfs.KPI_COMMISSION(40000.5, "commission(40000:1%; *:1.5%)") == 400.01
    assert udfs.KPI_COMMISSION(100, "nope").startswith("#KPI! 提成规则无效")
    assert udfs.KPI_CATEGORY(40, [[5], [10], ["季度指标"]], 18, 2) == pytest.approx(40 * 15 / 18)
    assert udfs.KPI_CATEGORY(40, [[5], [""]], 18, 2) == ""  # not all points yet
    assert udfs.KPI_CATEGORY(40, [[5], ["#KPI! 实际值不是数字"]], 18, 2) == "#KPI! 指标得分有误"
    assert udfs.KPI_TOTAL([[30.004], [20]], 5) == 55
    assert udfs.KPI_TOTAL([[30], [20]], -80, 0, 0) == 0
    assert udfs.KPI_TOTAL([[30], [20]], 5, 1) == 0
    assert udfs.KPI_TOTAL([[30], [""]], 5) == ""


def test_every_udf_is_registered_for_the_add_in():
    assert {f.__name__ for f in udfs.UDFS} >= {"KPI_SCORE", "KPI_EXPLAIN", "KPI_GRADE", "KPI_COEF", "KPI_PAY",
                                               "KPI_CATEGORY", "KPI_TOTAL", "KPI_ADJUST", "KPI_COMMISSION"}


@pytest.mark.libreoffice
def test_udf_workbooks_in_another_engine_equal_native_workbooks_and_python(tmp_path):
    from formulas_bridge import compute

    from xl_kpi.system.libreoffice import recalc

    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    people = [next(e for e in roster if e.role == r) for r in plan.roles]
    natives, udf_paths = [], []
    for i, e in enumerate(people):
        paths = {}
        for mode in ("native", "udf"):
            generate(ws, plan, [e], MONTH, mode, force=True)
            path = tmp_path / f"{mode}-{e.id}.xlsx"
            (ws.month_dir(MONTH) / f"{e.file_stem}.xlsx").rename(path)
            fill_randomly(path, plan, e.role, random.Random(i))  # the same inputs in both modes
            paths[mode] = path
        natives.append(paths["native"])
        udf_paths.append(paths["udf"])
    recalculated = recalc(natives, tmp_path / "lo")
    for e, native, lo_out, udf_path in zip(people, natives, recalculated, udf_paths):
        card = score_file(udf_path, plan, e, MONTH).card
        assert card.score is not None
        lo = load_workbook(lo_out, data_only=True)
        values = compute(udf_path)
        wb = load_workbook(udf_path)

        def udf_value(name):
            (sheet, coord), = wb.defined_names[name].destinations
            return values.get((sheet.upper(), coord.replace("$", "")))

        for name, want in (("total_score", card.score), ("coefficient", card.coefficient),
                           ("total_pay", float(card.pay.total))):
            assert udf_value(name) == pytest.approx(want, abs=1e-9), (e.id, name)
            assert cell_of(lo, name).value == pytest.approx(want, abs=1e-9), (e.id, name)
        assert udf_value("grade") == cell_of(lo, "grade").value == card.grade
        for mid, m in card.metrics.items():
            if m.counted:
                assert udf_value(f"score_{mid}") == pytest.approx(m.points, abs=1e-9), (e.id, mid)
