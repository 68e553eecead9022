"""What lets a month of any size fit in memory: JSON printed a record at a time, the payroll sheet
streamed row by row, scorecards held packed. Each must give what the unstreamed form gave."""
import io
import json
import sys

from hypothesis import given, strategies as st
from openpyxl import Workbook, load_workbook

from xl_kpi.cli.common import print_json_list as _print_json_list
from xl_kpi.core.scorecard import EmployeeInputs, MetricResult, Scorecard
from xl_kpi.workspace.roster import Employee
from xl_kpi.month.scored import Scored
from xl_kpi.workbook.stream import RowWriter, quick_styles, saved
from xl_kpi.workbook.style import BOLD

json_values = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                           max_leaves=8)


@given(st.lists(st.dictionaries(st.text(), json_values, max_size=4), max_size=4))
def test_json_printed_record_by_record_is_the_same_text(records):
    out, sys.stdout = sys.stdout, io.StringIO()
    try:
        _print_json_list(iter(records))
        printed = sys.stdout.getvalue()
    finally:
        sys.stdout = out
    assert printed == json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def test_a_streamed_sheet_reads_back_as_written(tmp_path):
    wb = Workbook(write_only=True)
    ws = RowWriter(wb.create_sheet("表"))
    ws.column_dimensions["B"].width = 20
    ws.freeze_panes = "A2"
    ws.cell(1, 1, "标题").font = BOLD
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=3)
    ws.box(2, 1, None, 3)
    for row in range(2, 2002):
        ws.cell(row, 1, f"E{row}")
        ws[f"C{row}"] = f"=A{row}&\"!\""
        ws.flush(row + 1)
    ws.end_box(2001)
    ws.cell(2003, 2, "签字")
    ws.flush()
    try:
        ws.cell(5, 1, "late")
        raise AssertionError("a written row took a cell")
    except ValueError as e:
        assert "already written" in str(e)
    (tmp_path / "s.xlsx").write_bytes(saved(wb, [ws]))
    back = load_workbook(tmp_path / "s.xlsx")["表"]
    assert back["A1"].value == "标题" and back["A1"].font.b and "A1:C1" in back.merged_cells
    assert back["A2001"].value == "E2001" and back["C2001"].value == '=A2001&"!"'
    assert back["B1500"].value is None and back["B1500"].border.left.style == "thin"  # a blank cell of the table is boxed
    assert back["B2002"].border.left.style is None and back["B2003"].value == "签字"
    assert back.freeze_panes == "A2" and back.column_dimensions["B"].width == 20


def test_a_packed_scorecard_reads_the_same_and_takes_a_new_one_whole():
    card = Scorecard("ops", {"m": MetricResult("m", "阅读量", "growth", 1.0, 2.0, None, 50.0, "说明")}, {"growth": 50.0},
                     [], 0.0, None, 50.0, "合格", 1.0, None, [])
    e = Employee("E1", "张三", "部", "ops", None, None, "", "")
    s = Scored(e, None, card, object(), [], EmployeeInputs(actuals={"m": 1.0})).pack()
    assert s.data is None and s.card == card and s.raw.actuals == {"m": 1.0}
    assert s.card is s.card  # read twice in a row, unpacked once
    other = Scored(e, None, card, None, []).pack()
    for _ in range(40):  # many others read between: the first still reads back right
        assert other.card.score == 50.0
    assert s.card == card
    s.card = Scorecard("ops", {}, {}, [], 0.0, None, 70.0, "良好", 1.1, None, [])
    assert s.card.grade == "良好"


cells = st.one_of(st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False),
                  st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(" \r\n\t&<>\""), max_size=12),
                  st.sampled_from(["=SUM(A1:B1)", '=A1&"<&>"']))


@given(st.lists(st.lists(st.tuples(cells, st.booleans()), max_size=5), min_size=1, max_size=4))
def test_rows_are_written_as_openpyxl_writes_them(rows):
    """The rows' XML is openpyxl's own (characters beyond ASCII written as themselves, not as &#…; references)."""
    import re
    import zipfile

    from openpyxl.cell import WriteOnlyCell

    def sheet_xml(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            xml = z.read("xl/worksheets/sheet1.xml")
        return re.sub(rb"&#(\d+);", lambda m: chr(int(m.group(1))).encode() if int(m.group(1)) > 127 else m.group(0), xml)

    theirs = Workbook(write_only=True)
    sheet = theirs.create_sheet("表")
    ours = Workbook(write_only=True)
    quick_styles(ours)
    writer = RowWriter(ours.create_sheet("表"))
    for r, row in enumerate(rows, start=1):
        cells_ = []
        for c, (value, bold) in enumerate(row, start=1):
            cell = WriteOnlyCell(sheet, value)
            mine = writer.cell(r, c, value)
            if bold:
                cell.font = mine.font = BOLD
            cells_.append(cell)
        sheet.append(cells_)
        writer.flush(r + 1)
    buf = io.BytesIO()
    theirs.save(buf)
    assert sheet_xml(saved(ours, [writer])) == sheet_xml(buf.getvalue())


def test_cards_packed_against_the_plan_read_back_the_same_and_smaller(tmp_path):
    from xl_kpi.month import scored
    from xl_kpi.month.generate import generate
    from xl_kpi.month.score import score_month
    from xl_kpi.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    assert not generate(ws, plan, roster, "2026-10").problems
    (s,) = score_month(ws, plan, roster[:1], "2026-10")
    card, inputs = s.card, (s.raw, s.bases)
    plain = Scored(s.employee, None, card, None, [], *inputs)
    scored._zdict = b""
    plain.pack()
    scored.use_plan(plan)
    small = Scored(s.employee, None, card, None, [], *inputs).pack()
    assert small.card == plain.card == card and (small.raw, small.bases) == inputs
    assert len(small._card.blob) < 0.8 * len(plain._card.blob)


def test_beyond_a_screenful_the_terminal_shows_a_line_per_role(demo_root, monkeypatch):
    from decimal import Decimal

    from rich.console import Console

    from xl_kpi.cli import common as cli
    from xl_kpi.month.score import score_month
    from xl_kpi.workspace import Workspace

    ws = Workspace(demo_root)
    plan = ws.plan()
    results = score_month(ws, plan, ws.roster(plan), "2026-10")
    console = Console(record=True, width=200)
    console.print(cli.score_table("评分", results, plan))
    assert "E001" in console.export_text()  # a few: one line each
    monkeypatch.setattr(cli, "TABLE_ROWS", 5)
    console = Console(record=True, width=200)
    console.print(cli.score_table("评分", results, plan))
    text = console.export_text()
    assert "E001" not in text and f"{len(results)}人" in text
    for role in {s.employee.role for s in results}:
        mine = [s for s in results if s.employee.role == role and s.card and s.card.score is not None]
        pay = sum((s.card.pay.total for s in mine), Decimal(0))
        line = next(row for row in text.splitlines() if f" {plan.roles[role].name} " in row)
        assert f"{pay:,.2f}" in line and f"{sum(s.card.score for s in mine) / len(mine):.2f}" in line
