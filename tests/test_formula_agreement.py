"""Property test: every rule type's compiled Excel formula, recalculated by
LibreOffice, gives the points the Python engine gives, and its explanation
formula the very words of ``explain()`` (one soffice call)."""
import math

import pytest
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from xl_kpi.core.commission import Commission
from xl_kpi.core.numbers import snap
from xl_kpi.core.plan import Plan
from xl_kpi.core.rules import Bands, Event, InputError, Inputs, Rank, Rating, Ratio, Refs, Step, Veto
from xl_kpi.core.scorecard import coefficient_formula, grade_formula, grade_of, total_formula, total_score
from xl_kpi.system.libreoffice import recalc

from helpers import examples

pytestmark = pytest.mark.libreoffice
CASES_PER_TYPE = 60  # each case is a row of one workbook: one soffice call in all
# Typed numbers are normal floats: spreadsheets store nothing below 2.2E-308 (subnormals are left out).

nice = st.sampled_from([0.01, 0.05, 0.1, 0.5, 1, 2, 10, 100, 1000])
points = st.sampled_from([0, 0.1, 0.5, 1, 2, 3, 5, 8, 10])


@st.composite
def step_case(draw):
    per, pts = draw(nice), draw(st.sampled_from([0.1, 0.5, 1, 2]))
    rule = Step(dir=draw(st.sampled_from(["up", "down"])), per=per, pts=pts,
                cap=pts * draw(st.integers(1, 50)))
    base = draw(st.integers(0, 500)) * per
    actual = base + draw(st.integers(-60, 60)) * per + draw(st.sampled_from([0, 0, 1e-12, -1e-12, per / 3]))
    return rule, Inputs(actual, baseline=base)


@st.composite
def bands_case(draw):
    # edges as a plan writes them (decimal literals), so the formula's literal is the same number
    edges = sorted(set(draw(st.lists(st.integers(0, 200).map(lambda i: round(i * 0.05, 2)), min_size=1, max_size=5))))
    bands, lo, lo_inc = [], None, True
    for e in edges:
        hi_inc = draw(st.booleans())
        bands.append(dict(lo=lo, lo_inc=lo_inc, hi=e, hi_inc=hi_inc, pts=draw(points)))
        lo, lo_inc = e, not hi_inc
    bands.append(dict(lo=lo, lo_inc=lo_inc, pts=draw(points)))
    rule = Bands(bands=bands)
    actual = draw(st.one_of(st.sampled_from(edges), st.floats(-5, 15, allow_nan=False, allow_subnormal=False)))
    return rule, Inputs(actual)


@st.composite
def ratio_case(draw):
    floor = draw(st.sampled_from([0, 0, 0.5]))
    rule = Ratio(max=draw(st.sampled_from([1, 4, 5, 10])), floor=floor,
                 ceil=draw(st.sampled_from([1, 1.2, 1.5])), dir=draw(st.sampled_from(["up", "down"])))
    target = draw(st.one_of(st.floats(0.01, 1e6, allow_subnormal=False), st.just(0.0)))
    return rule, Inputs(draw(st.floats(0, 2e6, allow_subnormal=False)), target=target)


@st.composite
def rating_case(draw):
    rule = Rating(max=draw(st.sampled_from([5, 10])), scale=draw(st.sampled_from([5, 100])),
                  weights={"self": 20, "supervisor": 50, "committee": 30})
    return rule, Inputs(draw(st.floats(-10, 120, allow_subnormal=False)))


@st.composite
def rank_case(draw):
    rule = Rank(pts={1: 8, 2: 6, 3: 3} if draw(st.booleans()) else {1: draw(points), 2: draw(points)})
    return rule, Inputs(draw(st.sampled_from([1, 2, 3, 4, 7, 0, 1.5])))


@st.composite
def event_case(draw):
    kind = draw(st.sampled_from(["deduct", "bonus", "award"]))
    limit = draw(st.sampled_from([None, 1, 3]))
    if draw(st.booleans()):
        rule = Event(type=kind, pts=draw(st.sampled_from([0.5, 1, 2, 5, 20])), limit=limit)
        chosen = None
    else:
        rule = Event(type=kind, min=1, max=5, limit=limit)
        chosen = draw(st.sampled_from([None, 0.5, 1, 2.5, 5, 6]))
    return rule, Inputs(draw(st.sampled_from([0, 1, 2, 3, 1.5, -1])), chosen=chosen)


UNITS = ["", "条", "%", "元", "秒"]


@st.composite
def veto_case(draw):
    return Veto(effect=draw(st.sampled_from(["zero", "lowest_grade"]))), Inputs(draw(st.sampled_from([0, 1, 2])))


@st.composite
def large_case(draw):
    """Values as big as a month's money gets, and more: the text of a big number must agree too."""
    actual = draw(st.floats(1e6, 1e13, allow_subnormal=False)) * draw(st.sampled_from([1, -1]))
    return Bands(bands=[dict(hi=0, pts=0), dict(lo=0, pts=draw(points))]), Inputs(actual)


def python_explanation(rule, x, unit):
    try:
        rule.points(x)
        return rule.explain(x, unit)
    except InputError:
        return ""


def python_value(rule, x):
    try:
        return rule.points(x)
    except InputError:
        return "#N/A"


def formula_value(v):
    """LibreOffice's #DIV/0! and #N/A both mean 'no score', as the Python InputError does."""
    return "#N/A" if isinstance(v, str) and v.startswith("#") else v


def test_compiled_formulas_agree_with_python(tmp_path_factory):
    strategies = [step_case(), bands_case(), ratio_case(), rating_case(), rank_case(), event_case(), veto_case(),
                  large_case()]
    cases = [c for s in strategies for c in examples(s, CASES_PER_TYPE)]
    # the cases that matter most, every time
    cases += [(Step(per=1, pts=1, cap=100), Inputs(0.29 * 100, baseline=0)),
              (Step(per=0.01, pts=1, cap=100), Inputs(0.29, baseline=0)),
              (Step(dir="down", per=0.01, pts=1, cap=10), Inputs(0.04, baseline=0.05))]

    commissions = Commission(metric="x", bands=[{"upto": 40000, "rate": 0.01}, {"rate": 0.015}])
    amounts = examples(st.floats(0, 200000, allow_subnormal=False).map(lambda v: round(v, 2)), 30)
    amounts += [40000, 40000.5, 0.5, 12345.675]

    plan = Plan.model_validate({
        "name": "t", "department": "t",
        "grades": [{"name": "优秀", "min": 90, "coefficient": 1.2}, {"name": "良好", "min": 80, "coefficient": 1},
                   {"name": "一般", "min": 60, "coefficient": 0.8}, {"name": "不合格", "min": 0, "coefficient": 0}],
        "roles": {"r": {"name": "r", "headcount": 1, "base_salary": 1, "performance_pay_base": 1,
                        "categories": [{"id": "c", "name": "c", "weight": 100,
                                        "metrics": [{"id": "m", "name": "m", "rule": "ratio(max=1)", "target": 1}]}]}},
    })
    totals = examples(st.tuples(st.floats(0, 100, allow_subnormal=False), st.floats(-20, 20, allow_subnormal=False), st.sampled_from([None, "zero", "lowest_grade"])), 40)
    totals += [(89.995, 0, None), (89.994999, 0, None), (79.99, 0, None), (80, 0, None), (60, -0.001, None)]

    wb = Workbook()
    ws = wb.active
    for i, (rule, x) in enumerate(cases, start=1):
        for col, v in zip("ABCD", (x.actual, x.target, x.baseline, x.chosen)):
            ws[f"{col}{i}"] = v
        refs = Refs(f"A{i}", f"B{i}", f"C{i}", f"D{i}")
        ws[f"E{i}"] = "=" + rule.formula(refs)
        ws[f"F{i}"] = f'=IF(ISNUMBER(E{i}),{rule.explain_formula(refs, f"E{i}", UNITS[i % len(UNITS)])},"")'
    cs = wb.create_sheet("pay")
    for i, a in enumerate(amounts, start=1):
        cs[f"A{i}"] = a
        cs[f"B{i}"] = "=" + commissions.formula(f"A{i}")
    ts = wb.create_sheet("total")
    for i, (cat, adj, veto) in enumerate(totals, start=1):
        ts[f"A{i}"], ts[f"B{i}"] = cat, adj
        ts[f"C{i}"], ts[f"D{i}"] = int(veto == "zero"), int(veto == "lowest_grade")
        ts[f"E{i}"] = "=" + total_formula(plan, f"A{i}", f"B{i}", f"C{i}")
        ts[f"F{i}"] = "=" + grade_formula(plan, f"E{i}", f"D{i}")
        ts[f"G{i}"] = "=" + coefficient_formula(plan, f"E{i}", f"D{i}")

    # a rated item: 自评 and 他评 (the record's weighted rating of the other groups) as an item workbook has them
    ratings = examples(st.tuples(st.sampled_from([0, 10, 20, 30, 50, 100]), st.sampled_from([5, 100]),
                                 st.lists(st.floats(0, 1, allow_subnormal=False), min_size=3, max_size=3)), 40)
    rs_ = wb.create_sheet("ratings")
    rated = []
    for i, (own, scale, parts) in enumerate(ratings, start=1):
        rest = 100 - own
        weights = {k: w for k, w in (("self", own), ("supervisor", rest * 0.6), ("committee", rest * 0.4)) if w}
        rule = Rating(max=10, scale=scale, weights=weights)
        given = {r: round(p * scale, 2) for r, p in zip(weights, parts)}
        cells = {r: given[r] for r in rule.cells("item") if r == "self"}
        if "others" in rule.cells("item"):
            cells["others"] = rule.others(given)
        refs = {}
        for col, (r, v) in zip("AB", cells.items()):
            rs_[f"{col}{i}"] = v
            refs[r] = f"{col}{i}"
        rs_[f"C{i}"] = "=" + rule.combine_formula(refs)
        rated.append((rule.combine(cells), given, rule))

    tmp = tmp_path_factory.mktemp("agree")
    wb.save(tmp / "cases.xlsx")
    out = load_workbook(recalc([tmp / "cases.xlsx"], tmp / "out")[0], data_only=True)

    rs = out.worksheets[0]
    for i, (rule, x) in enumerate(cases, start=1):
        want, got = python_value(rule, x), formula_value(rs[f"E{i}"].value)
        assert (want == got) if isinstance(want, str) or isinstance(got, str) else math.isclose(want, got, abs_tol=1e-9), \
            (rule.to_text(), x, want, got, rule.formula(Refs("A", "B", "C", "D")))
    for i, (rule, x) in enumerate(cases, start=1):
        unit = UNITS[i % len(UNITS)]
        assert (rs[f"F{i}"].value or "") == python_explanation(rule, x, unit), (rule.to_text(), x, unit)
    for i, (want, given, rule) in enumerate(rated, start=1):  # the very number, not a close one
        assert snap(out["ratings"][f"C{i}"].value) == want, (rule.weights, given)
        assert want == pytest.approx(sum(w * given[r] for r, w in rule.weights.items()) / 100, abs=1e-9)
    for i, a in enumerate(amounts, start=1):
        assert round(out["pay"][f"B{i}"].value, 2) == float(commissions.amount(a)), a
    for i, (cat, adj, veto) in enumerate(totals, start=1):
        total = total_score(plan, [cat], adj, veto)
        grade = grade_of(plan, total, veto)
        row = out["total"]
        assert (row[f"E{i}"].value, row[f"F{i}"].value, row[f"G{i}"].value) == \
            (pytest.approx(total, abs=1e-9), grade.name, pytest.approx(grade.coefficient)), (cat, adj, veto)
