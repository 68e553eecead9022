"""Every formula xl_kpi writes carries the value it computes (issue 28): a phone's preview, WeChat's viewer,
pandas or calamine show the totals without recalculating. The values are proven against LibreOffice: the
scorecards of every example's roles, filled with values drawn at the edges, are recalculated in one soffice
call and each formula cell's saved value compared with what LibreOffice computes."""
import zipfile
from pathlib import Path

import pytest
from hypothesis import strategies as st
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from python_calamine import CalamineWorkbook

from helpers import examples
from xl_kpi.month.generator import Generator
from xl_kpi.system.libreoffice import recalc
from xl_kpi.workbook import evaluate
from xl_kpi.workbook.derive import sheet_parts
from xl_kpi.workbook.formulas import sheet_formulas
from xl_kpi.workspace.create import init_workspace
from xl_kpi.workspace.examples import examples as plan_examples


def shown(path: Path) -> dict[tuple[str, str], object]:
    """Each formula cell's saved value as a viewer that does not recalculate reads it (calamine)."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    for sheet, part in sheet_parts(files).items():
        grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        for coord in sheet_formulas(files[part]):
            col, row = coordinate_from_string(coord)
            r, c = row - 1, column_index_from_string(col) - 1
            out[(sheet, coord)] = grid[r][c] if r < len(grid) and c < len(grid[r]) else ""
    return out


def same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))
    return a == b


EDGES = st.one_of(st.none(), st.sampled_from([0, 1, -1, 0.5, 0.1 + 0.2, 59.995, 60, 79.99999999999999, 80, 90,
                                               99.995, 100, 100.0000000000001, 150, 1e9, 1e300, 2999.9999999999995]),
                  st.floats(-1000, 100000, allow_nan=False).map(lambda x: round(x, 3)), st.integers(-5, 5000))
LOG_COUNTS = st.one_of(st.none(), st.sampled_from([0, 1, 2, 3, 1.5, -1, "两次"]))


def drawn_workbooks(folder: Path) -> list[Path]:
    """Each role of the built-in plan and of every example, written with slot values hypothesis draws:
    numbers at the edges, blanks, texts where numbers belong, 加减分 rows with valid and invalid items."""
    paths = []
    names = [None] + sorted(plan_examples())
    draws = iter(examples(st.tuples(st.lists(EDGES, min_size=40, max_size=40),
                                    st.lists(LOG_COUNTS, min_size=6, max_size=6),
                                    st.lists(st.integers(0, 99), min_size=6, max_size=6)), 4 * 40))
    for name in names:
        ws, _ = init_workspace(folder / (name or "builtin"), example=name)
        plan = ws.plan()
        gen = Generator(ws, plan, "2026-10")
        people = {e.role: e for e in ws.roster(plan)}
        for role_id, e in sorted(people.items()):
            base, _ = gen.values(e, None, None)
            template = gen.template(role_id)
            items = [a.name for a in plan.role_adjustments(role_id)] + ["不在表中的项目"]
            for k in range(2):
                numbers, counts, picks = next(draws)
                values = dict(base)
                numeric = sorted(key for key, slot in template.slots.items() if slot.kind == "number")
                for key, v in zip(numeric, numbers * (len(numeric) // len(numbers) + 1)):
                    values[key] = v
                for i, count in enumerate(counts):
                    if f"adj_item_{i}" in template.slots:
                        values[f"adj_item_{i}"], values[f"adj_count_{i}"] = items[picks[i] % len(items)], count
                path = folder / "drawn" / f"{name or 'builtin'}-{role_id}-{k}.xlsx"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(template.render(values))
                paths.append(path)
    return paths


@pytest.mark.libreoffice
def test_saved_values_are_what_libreoffice_computes(tmp_path):
    paths = drawn_workbooks(tmp_path)
    out = tmp_path / "lo"
    out.mkdir()
    recalc(paths, out)
    checked = 0
    for path in paths:
        mine, theirs = shown(path), shown(out / path.name)
        assert mine, path.name
        for where, want in theirs.items():
            assert same(mine[where], want), f"{path.name} {where}: saved {mine[where]!r}, LibreOffice {want!r}"
            checked += 1
    assert checked > 1000


def test_a_filled_demo_scorecard_shows_its_totals_unrecalculated(demo_root):
    """The demo's October workbooks as generated after the import: calamine reads each person's total, grade
    and pay as the payroll summary has them."""
    from openpyxl import load_workbook

    month = demo_root / "workbooks" / "2026-10"
    summary = load_workbook(next(month.glob("工资汇总-*.xlsx")), data_only=True).active
    header = next(r for r in summary.iter_rows(values_only=True) if r and "工号" in r)
    col = {name: i for i, name in enumerate(header)}
    paid = {r[col["工号"]]: r for r in summary.iter_rows(values_only=True)
            if r and isinstance(r[col["工号"]], str) and r[col["工号"]].startswith("E0")}
    path = next(month.glob("E001-*.xlsx"))
    names = load_workbook(path).defined_names
    values = shown(path)
    for name, column in (("total_score", "绩效得分"), ("grade", "等级"), ("total_pay", "应发合计")):
        (sheet, ref), = names[name].destinations
        assert same(values[(sheet, ref.replace("$", ""))], paid["E001"][col[column]]), name


def test_an_add_in_formula_is_saved_without_a_value():
    """KPI_SCORE is computed by the add-in in Excel only: no value is made up for it, nor for what reads it."""
    formulas = {("S", "A1"): "KPI_SCORE(B1,\"linear\")", ("S", "A2"): "A1*2", ("S", "A3"): "B1+1",
                ("S", "A4"): 'IF(B2="","",KPI_SCORE(B2,"linear"))'}  # a blank row of the 加减分 log: ""
    got = evaluate.evaluate(formulas, lambda sheet, coord: 4.0 if coord == "B1" else None)
    assert got == {("S", "A3"): 5.0, ("S", "A4"): ""}


@pytest.mark.parametrize("formula, want", [
    ('IF(B1="","",B1*2)', ""), ("B1+1", 1.0), ('"a"&B1&1.5', "a1.5"), ("1/B1", evaluate.DIV0),
    ('MATCH("X",C1:C2,0)', 2.0), ('MATCH("y",C1:C2,0)', evaluate.NA), ("SUM(C1:C2)+COUNT(C1:C2)", 4.0),
    ('COUNTIF(C1:C2,">0")', 1.0),
    ("ROUND(2.675,2)", 2.68), ("INT(0.29*100)", 29.0), ("-2^2", 4.0), ("5%", 0.05), ('IF("a",1,2)', evaluate.VALUE),
    ('"A"="a"', True), ("0.1+0.2=0.3", True), ("CHOOSE(3,1,2)", evaluate.VALUE), ("N(C2)", 0.0),
    ("ROUND(1E300,2)", 1e300), ("1E300*1E300", evaluate.NUM), ("INT(1E300*1E300)", evaluate.NUM),
])
def test_spreadsheet_rules(formula, want):
    cells = {"C1": 3.0, "C2": "x"}
    got = evaluate.evaluate({("S", "A1"): formula}, lambda sheet, coord: cells.get(coord))
    assert got[("S", "A1")] == want


def test_a_circle_has_no_value():
    got = evaluate.evaluate({("S", "A1"): "A2+1", ("S", "A2"): "A1+1"}, lambda *_: None)
    assert got == {}
