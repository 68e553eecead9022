"""Workbooks survive the people who fill them: a month opened and saved by LibreOffice, or saved
the way Excel saves it, rolls up with no false alarm and the same pay; a real change is still caught.

Every role of the built-in plan is in the sample month, and both formula modes are tried. All the
workbooks of both modes go through one soffice call.
"""
import re
import shutil
import zipfile

import pytest

from xl_kpi.month.generator import MODES
from xl_kpi.month.generate import generate
from xl_kpi.month.imports import import_file
from xl_kpi.workspace.months import month_workbooks
from xl_kpi.month.score import score_month
from xl_kpi.payroll.rollup import rollup
from xl_kpi.system.libreoffice import convert
from xl_kpi.workbook.reader import read_workbook
from xl_kpi.workbook.formulas import workbook_formulas
from xl_kpi.workspace import Workspace, data_file, init_workspace

from excel_shapes import excel_save, rewrite_cell

MONTH = "2026-10"
pytestmark = pytest.mark.libreoffice


def filled_month(root, mode) -> Workspace:
    """The sample month as HR fills it: generated in ``mode``, the data export and the 加减分 log imported."""
    ws, _ = init_workspace(root)
    plan = ws.plan()
    roster = ws.roster(plan)
    generate(ws, plan, roster, MONTH, mode)
    import_file(ws, plan, roster, data_file(f"actuals-{MONTH}.csv"), MONTH)
    import_file(ws, plan, roster, data_file(f"adjustments-{MONTH}.csv"), MONTH)  # HR's 加减分
    return ws


def copy_space(ws: Workspace, dest) -> Workspace:
    shutil.copytree(ws.root, dest)
    return Workspace(dest)


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    """mode → (the month as xl_kpi wrote it, the same month after LibreOffice opened and saved every file)."""
    root = tmp_path_factory.mktemp("roundtrip")
    spaces = {mode: filled_month(root / mode, mode) for mode in MODES}
    staged = root / "staged"
    staged.mkdir()
    for mode, ws in spaces.items():
        for path in month_workbooks(ws.month_dir(MONTH)):
            shutil.copy(path, staged / f"{mode}~{path.name}")
    saved = convert(sorted(staged.iterdir()), root / "saved")  # one soffice call for both modes
    out = {}
    for mode, ws in spaces.items():
        copy = copy_space(ws, root / f"{mode}-saved")
        for path in saved:
            if path.name.startswith(f"{mode}~"):
                shutil.copy(path, copy.month_dir(MONTH) / path.name.split("~", 1)[1])
        out[mode] = (ws, copy)
    return out


def pay_lines(ws: Workspace):
    plan = ws.plan()
    result = rollup(ws, plan, ws.roster(plan), MONTH)
    lines = {s.employee.id: (s.card.score, s.card.grade, s.card.pay and s.card.pay.total) for s in result.entries}
    return lines, result.all_problems


def named_cell(ws: Workspace, employee: str, name: str):
    path = next(p for p in month_workbooks(ws.month_dir(MONTH)) if p.stem.startswith(employee + "-"))
    return path, read_workbook(path).where(name)


@pytest.mark.parametrize("mode", MODES)
def test_a_month_saved_by_libreoffice_rolls_up_unchanged(months, mode):
    original, saved = months[mode]
    before, before_problems = pay_lines(original)
    after, after_problems = pay_lines(saved)
    assert before_problems == [] and len(before) == 12
    assert after_problems == []
    assert after == before
    # the save really rewrote the formulas and stored results, or this test would prove nothing
    path, (sheet, cell) = named_cell(saved, "E002", "adjustments")
    found = workbook_formulas(path).cells[(sheet, cell)]
    assert "'" not in found.formula and found.cached is not None
    path, (sheet, cell) = named_cell(saved, "E002", "total_score")
    shown = workbook_formulas(path).cells[(sheet, cell)]
    if mode == "native":
        assert float(shown.cached) == before["E002"][0]
    else:  # LibreOffice has no add-in: the functions show #NAME?, which is nobody's number to check
        assert (shown.kind, shown.cached) == ("e", "#NAME?")
    scores = [(s.employee.id, s.card.score) for s in score_month(saved, saved.plan(), saved.roster(saved.plan()), MONTH)]
    assert scores == [(s.employee.id, s.card.score) for s in score_month(original, original.plan(),
                                                                          original.roster(original.plan()), MONTH)]


@pytest.mark.parametrize("mode", MODES)
def test_a_formula_changed_after_the_save_is_still_caught(months, mode, tmp_path):
    ws = copy_space(months[mode][1], tmp_path / "ws")
    # E001: a score formula's blank turned into 0; E002: a value typed over a score formula
    path, (sheet, cell) = named_cell(ws, "E001", "score_team_average")
    rewrite_cell(path, sheet, cell, lambda xml: xml.replace("&quot;&quot;)</f>", "0)</f>"))
    path2, (sheet2, cell2) = named_cell(ws, "E002", "score_exposure")
    rewrite_cell(path2, sheet2, cell2, lambda xml: re.sub(r"<f[^>]*>.*?</f><v>[^<]*</v>", "<v>5</v>", xml)
                 .replace(' t="e"', ""))
    _, problems = pay_lines(ws)
    found = {(p.employee, p.type): p for p in problems}
    p = found[("E001", "formula_changed")]
    assert (p.sheet, p.cell) == (sheet, cell) and '),0)”' in p.message and '),"")”' in p.message
    p = found[("E002", "formula_changed")]
    assert (p.sheet, p.cell) == (sheet2, cell2) and "公式被覆盖" in p.message
    assert {p.employee for p in problems} == {"E001", "E002"}


def test_a_shown_result_that_differs_from_the_engine_is_reported(months, tmp_path):
    ws = copy_space(months["native"][1], tmp_path / "ws")
    lines, _ = pay_lines(ws)
    path, (sheet, cell) = named_cell(ws, "E004", "total_score")
    rewrite_cell(path, sheet, cell, lambda xml: re.sub(r"<v>[^<]*</v>", "<v>99</v>", xml))
    path, (psheet, pcell) = named_cell(ws, "E005", "total_pay")
    rewrite_cell(path, psheet, pcell, lambda xml: re.sub(r"<v>[^<]*</v>", "<v>99999.5</v>", xml))
    _, problems = pay_lines(ws)
    shown = {p.employee: p for p in problems if p.type == "cached_mismatch"}
    assert set(shown) == {"E004", "E005"}
    assert (shown["E004"].sheet, shown["E004"].cell) == (sheet, cell)
    assert f"表内显示 99.00，系统计算 {lines['E004'][0]:,.2f}" in shown["E004"].message
    assert f"表内显示 99,999.50，系统计算 {lines['E005'][2]:,}" in shown["E005"].message


# --------------------------------------------------------------------------- saved as Excel saves


def engine_results(ws: Workspace) -> dict[str, dict[tuple[str, str], object]]:
    """employee → (sheet, cell) → what Excel (with the add-in, for UDF workbooks) would show there."""
    plan = ws.plan()
    out = {}
    for s in score_month(ws, plan, ws.roster(plan), MONTH):
        card, where = s.card, read_workbook(s.path).where
        shown = {f"score_{mid}": m.points for mid, m in card.metrics.items() if m.points is not None}
        shown.update(total_score=card.score, grade=card.grade, total_pay=float(card.pay.total))
        out[s.employee.id] = {where(name): value for name, value in shown.items()}
    return out


def excel_month(ws: Workspace, dest, udf: str, addin: str | None = None) -> Workspace:
    copy = copy_space(ws, dest)
    results = engine_results(ws)
    for path in month_workbooks(copy.month_dir(MONTH)):
        cached = results[path.stem.split("-", 1)[0]]
        excel_save(path, path, cached, udf, **({"addin": addin} if addin else {}))
    return copy


STYLES = [("native", "_xludf."), ("udf", "_xludf."), ("udf", "[1]!")]


@pytest.mark.parametrize("mode,udf", STYLES)
def test_a_month_saved_as_excel_saves_it_rolls_up_unchanged(months, mode, udf, tmp_path):
    original = months[mode][0]
    excel = excel_month(original, tmp_path / "excel", udf)
    before, _ = pay_lines(original)
    after, problems = pay_lines(excel)
    assert problems == [] and after == before
    path, (sheet, cell) = named_cell(excel, "E002", "adjustments")
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet3.xml").decode()  # E002's 加减分: one shared formula a column
    assert re.search(r'<f t="shared" ref="E4:E33" si="\d+">', xml) and '<f t="shared" si=' in xml
    if mode == "udf":
        assert f"{udf}KPI_SCORE(" in workbook_formulas(path).cells[("考核表", "H6")].formula


@pytest.mark.parametrize("mode,udf", STYLES)
def test_a_changed_formula_in_an_excel_save_is_still_caught(months, mode, udf, tmp_path):
    excel = excel_month(months[mode][0], tmp_path / "excel", udf)
    path, (sheet, cell) = named_cell(excel, "E002", "adjustments")
    # the master of the 加减分 score column: every row of the shared range now computes differently
    rewrite_cell(path, "加减分", "E4", lambda xml: xml.replace('B4="",""', 'B4="",0'))
    _, problems = pay_lines(excel)
    changed = [p for p in problems if p.type == "formula_changed"]
    assert {p.employee for p in changed} == {"E002"}
    assert changed[0].cell == "E4" and "共30处" in changed[0].message


def test_a_call_into_another_book_is_not_the_add_in(months, tmp_path):
    """Only a book that is our add-in may stand in front of KPI_SCORE: a look-alike elsewhere is a change."""
    excel = excel_month(months["udf"][0], tmp_path / "excel", "[1]!", addin="file:///C:/tmp/other.xlam")
    _, problems = pay_lines(excel)
    assert {p.employee for p in problems if p.type == "formula_changed"} == {f"E{i:03}" for i in range(1, 13)}


@pytest.mark.parametrize("mode", MODES)
def test_a_month_saved_by_libreoffice_regenerates_with_nothing_lost(months, mode, tmp_path):
    """LibreOffice's save adds cached results and rewrites the file; regenerating it finds no stray notes
    and keeps every typed value."""
    ws = copy_space(months[mode][1], tmp_path / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    before, _ = pay_lines(ws)
    report = generate(ws, plan, roster, MONTH, mode)
    assert report.problems == [] and len(report.written) == 12
    after, problems = pay_lines(ws)
    assert problems == [] and after == before


def test_a_month_saved_by_libreoffice_is_closed_with_the_head_in_each_workbook(months, tmp_path):
    """The close appends the trail's head to the hidden sheet of files LibreOffice wrote (shared strings, its
    own XML): read back by xl_kpi and by openpyxl, the pay unchanged."""
    from openpyxl import load_workbook

    from xl_kpi.close.closing import close_month
    from xl_kpi.month.guard import read_anchor
    from xl_kpi.payroll.summary import summary_path

    _, saved = months["native"]
    ws = copy_space(saved, tmp_path / "closed")
    before, _ = pay_lines(ws)
    close_month(ws, ws.plan(), ws.roster(ws.plan()), MONTH)
    stamped = {read_workbook(p).meta.get("audit_head") for p in month_workbooks(ws.month_dir(MONTH))}
    assert stamped == {"%d:%s" % read_anchor(summary_path(ws, MONTH))}  # the head printed on the summary
    for p in month_workbooks(ws.month_dir(MONTH)):
        meta = load_workbook(p)["_xl_kpi"]
        assert [c.value for c in list(meta.iter_rows())[-1]][:2] == ["audit_head", next(iter(stamped))]
    after, problems = pay_lines(ws)
    assert after == before and problems == []
