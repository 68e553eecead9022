"""The ribbon scripts against an in-memory xlwings Book (the remote Book of
xlwings Server and Lite): values, marks and messages, without Excel."""

import pytest
from openpyxl import load_workbook

from xl_kpi.excel import ribbon as addin
from xl_kpi.month.generate import generate
from xl_kpi.month.score import score_file
from xl_kpi.workspace import init_workspace

from helpers import cell_of

MONTH = "2026-10"


def payload(path):
    """What an Office.js client sends for a workbook: every sheet's values, the names, no notes yet."""
    import xlwings as xw

    wb = load_workbook(path)
    sheets = []
    for ws in wb.worksheets:
        rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)] or [[""]]
        width = max(len(r) for r in rows)
        sheets.append({"name": ws.title, "values": [r + [""] * (width - len(r)) for r in rows],
                       "pictures": [], "tables": [], "notes": [], "notes_supported": True})
    names = []
    for name, dn in wb.defined_names.items():
        for sheet, coord in dn.destinations:
            names.append({"name": name, "sheet_index": wb.sheetnames.index(sheet),
                          "address": coord.replace("$", ""), "book_scope": True})
    return {"client": "Office.js", "version": xw.__version__,
            "book": {"name": path.name, "active_sheet_index": 1, "selection": "A1"},
            "names": names, "sheets": sheets}


def actions_by_func(book):
    out = {}
    for a in book.json()["actions"]:
        out.setdefault(a["func"], []).append(a)
    return out


@pytest.fixture
def filled(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    e = next(x for x in ws.roster(plan) if x.role == "wechat")
    generate(ws, plan, [e], MONTH, "native")
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    for name, v in (("actual_replies", 3200), ("actual_response_time", 58), ("actual_purchase_rate", 0.22),
                    ("actual_purchase_amount", 45000)):
        cell_of(wb, name).value = v
    for item, v in (("moments_posts", 23), ("likes", 550), ("comments", 105), ("new_fans", 90), ("deal_amount", 9000),
                    ("tagged_customers", 40), ("bindings", 30), ("new_products", 2)):
        for w in range(1, 5):
            cell_of(wb, f"week{w}_{item}").value = v
    wb.save(path)
    return plan, e, path


def test_score_script_writes_results_and_message(filled):
    import xlwings as xw

    plan, e, path = filled
    book = xw.Book(json=payload(path))
    message, problems = addin.run_score(book)
    want = score_file(path, plan, e, MONTH).card
    assert problems == []
    assert f"总分{want.score:.2f}" in message and want.grade in message and f"{want.pay.total:,.2f}" in message
    writes = {(a["start_row"], a["start_column"]): a["values"][0][0] for a in actions_by_func(book)["setValues"]}
    wb = load_workbook(path)
    stamp = cell_of(wb, "scored_at")
    assert str(writes[(stamp.row - 1, stamp.column - 1)]).startswith("20")
    result = cell_of(wb, "score_result")
    assert f"{want.score:.2f}" in writes[(result.row - 1, result.column - 1)]
    explain = cell_of(wb, "explain_replies")  # a formula of its own in both modes: 评分 leaves it alone
    assert (explain.row - 1, explain.column - 1) not in writes and str(explain.value).startswith("=IF(ISNUMBER(")
    # cleared marks: every input back to the input colour, no note added
    assert {a["args"][0].upper() for a in actions_by_func(book)["setRangeColor"]} == {addin.INPUT_COLOR.upper()}
    assert "addNote" not in actions_by_func(book)


def test_bad_inputs_are_marked_and_nothing_else_changes(filled):
    import xlwings as xw

    plan, e, path = filled
    wb = load_workbook(path)
    cell_of(wb, "actual_replies").value = "很多"
    cell_of(wb, "week2_likes").value = None
    wb.save(path)
    book = xw.Book(json=payload(path))
    message, problems = addin.run_score(book)
    assert len(problems) == 2 and "2处需要修改" in message and " / " not in message
    replies, likes = cell_of(wb, "actual_replies"), cell_of(wb, "week2_likes")
    assert f"考核表!{replies.coordinate}" in message and f"周报!{likes.coordinate}" in message
    acts = actions_by_func(book)
    assert "setValues" not in acts  # no results, no stamp
    red = [(a["sheet_position"], a["start_row"], a["start_column"]) for a in acts["setRangeColor"]
           if a["args"][0].upper() == addin.BAD_COLOR.upper()]
    sheets = load_workbook(path).sheetnames
    assert sorted(red) == sorted([(sheets.index("考核表"), replies.row - 1, replies.column - 1),
                                  (sheets.index("周报"), likes.row - 1, likes.column - 1)])
    notes = {a["args"][0].replace("$", ""): a["args"][1] for a in acts["addNote"]}
    assert "不是数字" in notes[replies.coordinate] and "第2周" in notes[likes.coordinate]
    assert all(t.startswith(addin.NOTE_PREFIX) for t in notes.values())


def test_score_script_alerts_once(filled):
    import xlwings as xw

    _, _, path = filled
    book = xw.Book(json=payload(path))
    addin.score(book)
    (alert,) = actions_by_func(book)["alert"]
    assert alert["args"][0].startswith("评分完成") and "评分" in alert["args"][1]


def test_rollup_and_send_outside_a_month_folder_say_so(filled, monkeypatch):
    """A book that is not in a workspace's workbooks/YYYY-MM/ (the remote Book has a bare name) names the
    problem in a message instead of rolling up or mailing anything."""
    import xlwings as xw

    from xl_kpi.workbook.texts import message

    monkeypatch.delenv("XL_KPI_WORKSPACE", raising=False)
    monkeypatch.setattr(addin, "configured_workspace", lambda machine=None: None)  # no add-in config here
    _, _, path = filled
    for script in (addin.rollup, addin.send):
        book = xw.Book(json=payload(path))
        script(book)
        (alert,) = actions_by_func(book)["alert"]
        assert alert["args"][0] == message("no_month")


def test_generate_script_uses_the_workspace(filled, monkeypatch):
    import xlwings as xw

    _, _, path = filled
    monkeypatch.setenv("XL_KPI_WORKSPACE", str(path.parents[2]))
    book = xw.Book(json=payload(path))
    addin.generate(book, "2026-11")
    assert "已生成12个考核表" in actions_by_func(book)["alert"][-1]["args"][0]
    assert len(list((path.parents[1] / "2026-11").glob("*.xlsx"))) == 12


def test_what_the_score_script_writes_is_writable_on_the_protected_sheet(filled):
    """Excel refuses writes to locked cells of a protected sheet, and formatting unless allowed."""
    _, _, path = filled
    wb = load_workbook(path)
    sheet = wb["考核表"]
    assert sheet.protection.sheet and not sheet.protection.formatCells
    for name in ("scored_at", "score_result"):
        assert cell_of(wb, name).protection.locked is False, name
    for name in ("score_replies", "explain_replies"):
        assert cell_of(wb, name).protection.locked is not False, name


def test_a_problem_becomes_a_message_not_a_traceback(filled, monkeypatch):
    import xlwings as xw

    _, _, path = filled
    monkeypatch.setenv("XL_KPI_WORKSPACE", str(path.parents[2]))
    (path.parents[2] / "roster.xlsx").write_bytes(b"not a workbook")
    book = xw.Book(json=payload(path))
    addin.generate(book, "2026-11")
    message = actions_by_func(book)["alert"][-1]["args"][0]
    assert "花名册无法读取" in message and "roster.xlsx" in message
