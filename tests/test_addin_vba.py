"""The add-in's VBA, run: the ribbon callbacks and the binding on open execute in pyOpenVBA's VBA
interpreter against an in-memory Excel holding generated workbooks. What only a real Excel or
xlwings does (RunPython, the config file, the folder picker, CalculateFullRebuild, OnTime) is
replaced by stub modules that record each call; the ribbon module itself is the one in the built
add-in, unchanged."""
import time

import pytest
from openpyxl import load_workbook
from pyopenvba import ExcelFile
from pyopenvba.apps.excel import ExcelApplication
from pyopenvba.interpreter import NOTHING

from xl_kpi.excel import addin_file
from xl_kpi.month.generate import generate
from xl_kpi.workspace import init_workspace

from helpers import cell_of

MONTH = "2026-10"
OK, CANCEL = 1, 2

XLWINGS_STUB = '''
Public Calls As String
Public ConfigWorkspace As String
Public Function RunPython(PythonCommand As String)
    Dim active As String
    If ActiveWorkbook Is Nothing Then active = "-" Else active = ActiveWorkbook.Name
    Calls = Calls & "RunPython[" & active & "]:" & PythonCommand & "|"
End Function
Public Function GetConfig(configKey As String, Optional default As String = "", Optional source As String = "") As Variant
    If configKey = "XL_KPI_WORKSPACE" And source = "user" Then GetConfig = ConfigWorkspace Else GetConfig = default
End Function
Public Function GetConfigFilePath() As String
    GetConfigFilePath = "xl_kpi.conf"
End Function
Public Function SaveConfigToFile(sFileName As String, sName As String, Optional sValue As String) As Boolean
    Calls = Calls & "SaveConfig:" & sFileName & ":" & sName & "=" & sValue & "|"
    ConfigWorkspace = sValue
    SaveConfigToFile = True
End Function
Public Function CallLog() As String
    CallLog = Calls
End Function
Public Sub Configure(workspace As String)
    ConfigWorkspace = workspace
End Sub
'''

HOST_STUB = '''
Public Picked As String, Workspace As String
Public Function KpiPickFolder(title As String) As String
    Calls = Calls & "PickFolder|"
    KpiPickFolder = Picked
End Function
Public Function KpiHasFile(folder As String, name As String) As Boolean
    KpiHasFile = (folder = Workspace And name = "plan.yaml")
End Function
Public Sub KpiRebuildAll()
    Calls = Calls & "RebuildAll|"
End Sub
Public Sub KpiRunLater(macro As String)
    Calls = Calls & "RunLater:" & macro & "|"
End Sub
Public Sub Prime(folder As String, real As String)
    Picked = folder
    Workspace = real
End Sub
'''


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return addin_file.build(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def ribbon_source(built):
    """The ribbon module, with the self-test module it calls on open (both as built)."""
    with ExcelFile(built) as book:
        project = book.vba_project()
        return (project.get_module(addin_file.RIBBON_MODULE).source,
                project.get_module(addin_file.SELFTEST_MODULE).source)


def add_ribbon(app, ribbon_source) -> None:
    ribbon, self_test = ribbon_source
    app.add_module(ribbon, name=addin_file.RIBBON_MODULE)
    app.add_module(self_test, name=addin_file.SELFTEST_MODULE)


@pytest.fixture
def month(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    generate(ws, plan, ws.roster(plan)[:3], MONTH, "udf")
    return ws, sorted(ws.month_dir(MONTH).glob("*.xlsx"))


def excel(ribbon_source, *books, workspace="", picked="", real=""):
    app = ExcelApplication()
    app.add_module(XLWINGS_STUB, name="xlwings")
    app.add_module(HOST_STUB, name=addin_file.HOST_MODULE)
    add_ribbon(app, ribbon_source)
    opened = [app.open_workbook(b) for b in books]
    app.run("Configure", workspace)
    app.run("Prime", picked, real)
    return app, opened


def calls(app) -> list[str]:
    return [c for c in app.run("CallLog").split("|") if c]


def click(app, callback):
    app.run(callback, NOTHING)
    return calls(app)


def type_into(app, path, name, value):
    cell = cell_of(load_workbook(path), name)
    app.sheet(cell.parent.title, workbook=app.application.active_book).set_value(cell.coordinate, value)
    return cell


@pytest.mark.parametrize("callback,label", [("KpiScore", "评分"), ("KpiRollup", "汇总"), ("KpiSend", "发送")])
def test_buttons_that_need_a_workbook_say_so_when_none_is_open(ribbon_source, callback, label):
    app, _ = excel(ribbon_source)
    assert click(app, callback) == []  # no RunPython: in Excel it would stop with error 91
    kind, prompt, _, _ = app.dialogs[-1]
    assert kind == "MsgBox" and f"请先打开一份考核表，再点「{label}」" in prompt


def test_generate_with_no_workbook_asks_for_the_workspace_once(ribbon_source, month):
    ws, _ = month
    root = str(ws.root)
    app, _ = excel(ribbon_source, picked=root, real=root)
    app.answer_dialogs(MONTH)
    log = click(app, "KpiGenerate")
    assert log[0] == "PickFolder"
    assert log[1] == f"SaveConfig:xl_kpi.conf:XL_KPI_WORKSPACE={root}"
    # a blank carrier workbook was active for RunPython, and closed afterwards
    assert log[2].startswith("RunPython[") and log[2].endswith(f"a.generate(month='{MONTH}')")
    assert "[-]" not in log[2] and app.application.active_book is None
    app.answer_dialogs(MONTH)
    again = click(app, "KpiGenerate")[3:]  # kept in the config: not asked again
    assert len(again) == 1 and again[0].startswith("RunPython[Book") and again[0].endswith(log[2].split("]", 1)[1])


def test_generate_refuses_a_cancelled_or_wrong_folder(ribbon_source, month, tmp_path):
    ws, _ = month
    app, _ = excel(ribbon_source, picked="", real=str(ws.root))
    app.answer_dialogs(MONTH)
    assert click(app, "KpiGenerate") == ["PickFolder"]
    assert "xl-kpi addin install --workspace" in app.dialogs[-1][1]
    app, _ = excel(ribbon_source, picked=str(tmp_path), real=str(ws.root))
    app.answer_dialogs(MONTH)
    assert click(app, "KpiGenerate") == ["PickFolder"]  # nothing saved, nothing run
    assert "没有 plan.yaml" in app.dialogs[-1][1] and str(tmp_path) in app.dialogs[-1][1]


def test_generate_from_an_xl_kpi_workbook_needs_no_folder(ribbon_source, month):
    _, files = month
    app, _ = excel(ribbon_source, files[0])
    app.answer_dialogs("2026-11")
    assert click(app, "KpiGenerate") == [f"RunPython[{files[0].name}]:import xl_kpi.addin as a; a.generate(month='2026-11')"]


def test_generate_checks_the_month_before_anything(ribbon_source):
    app, _ = excel(ribbon_source)
    app.answer_dialogs("2026/10")
    assert click(app, "KpiGenerate") == []
    assert "YYYY-MM" in app.dialogs[-1][1]


def edited(ribbon_source, path):
    """Excel with the workbook open and 3200 typed into its first actual, not saved yet."""
    app, _ = excel(ribbon_source, path)
    name = next(n for n in load_workbook(path).defined_names if n.startswith("actual_"))
    type_into(app, path, name, 3200)
    return app, name


def test_score_saves_unsaved_edits_and_rebuilds_first(ribbon_source, month):
    _, files = month
    app, name = edited(ribbon_source, files[0])
    app.answer_dialogs(OK)
    assert click(app, "KpiScore") == ["RebuildAll", f"RunPython[{files[0].name}]:import xl_kpi.addin as a; a.score()"]
    assert files[0].name in app.dialogs[-1][1] and "未保存" in app.dialogs[-1][1]
    assert cell_of(load_workbook(files[0]), name).value == 3200  # on disk before Python read it


def test_cancel_keeps_the_edits_unsaved_and_runs_nothing(ribbon_source, month):
    _, files = month
    app, name = edited(ribbon_source, files[0])
    app.answer_dialogs(CANCEL)
    assert click(app, "KpiScore") == []
    assert cell_of(load_workbook(files[0]), name).value is None
    assert app.application.active_book.vba_get("Saved") is False


def test_rollup_saves_every_open_workbook_of_the_month(ribbon_source, month, tmp_path):
    _, files = month
    other = tmp_path / "elsewhere.xlsx"
    other.write_bytes(files[2].read_bytes())
    app, books = excel(ribbon_source, other, files[0], files[1])
    names = {}
    for path, book in zip((other, files[0], files[1]), books):
        app.activate_workbook(book)
        names[path] = next(n for n in load_workbook(path).defined_names if n.startswith("actual_"))
        type_into(app, path, names[path], 41)
    before = other.stat().st_mtime_ns
    time.sleep(0.01)
    app.answer_dialogs(OK)
    assert click(app, "KpiRollup") == [f"RunPython[{files[1].name}]:import xl_kpi.addin as a; a.rollup()"]
    asked = app.dialogs[-1][1]
    assert files[0].name in asked and files[1].name in asked and other.name not in asked
    for path in files[:2]:
        assert cell_of(load_workbook(path), names[path]).value == 41
    assert other.stat().st_mtime_ns == before  # another folder's workbook is not touched


def test_opening_a_marked_workbook_schedules_one_rebuild(ribbon_source, month, tmp_path):
    _, files = month
    plain = tmp_path / "plain.xlsx"
    from openpyxl import Workbook

    Workbook().save(plain)
    app, books = excel(ribbon_source, plain, files[0], files[1])
    app.run("KpiOpened", books[0])
    assert calls(app) == []  # not xl_kpi's: left alone
    app.run("KpiOpened", books[1])
    app.run("KpiOpened", books[2])
    log = calls(app)
    assert len(log) == 1 and log[0].startswith("RunLater:'") and log[0].endswith("'!KpiRebind")
    app.run("KpiRebind")
    assert calls(app)[1:] == ["RebuildAll"]
    app.run("KpiOpenedBefore")  # the add-in loading after the files: the same, once
    assert calls(app)[2:] == [log[0]]


def test_a_native_workbook_is_not_rebuilt_on_open(ribbon_source, tmp_path):
    """Only workbooks calling the add-in's functions (meta_mode udf) need the rebuild; the default native
    ones compute on their own, so opening them costs nothing."""
    ws, _ = init_workspace(tmp_path / "native")
    plan = ws.plan()
    generate(ws, plan, ws.roster(plan)[:1], MONTH, "native")
    (path,) = sorted(ws.month_dir(MONTH).glob("*.xlsx"))
    app, books = excel(ribbon_source, path)
    app.run("KpiOpened", books[0])
    assert calls(app) == []


FAILING_XLWINGS = XLWINGS_STUB.replace(
    '    Calls = Calls & "RunPython[" & active & "]:" & PythonCommand & "|"',
    '    Calls = Calls & "RunPython[" & active & "]:" & PythonCommand & "|"\n'
    '    Err.Raise 53, "xlwings", "Could not find Interpreter!"')


def test_a_button_that_fails_says_so_in_chinese_and_the_add_in_carries_on(ribbon_source, month):
    """A runtime error in a callback (here xlwings not finding Python) is a Chinese message naming the
    button and what to try, not VBA's debugger, and the add-in keeps working afterwards."""
    _, files = month
    app = ExcelApplication()
    app.add_module(FAILING_XLWINGS, name="xlwings")
    app.add_module(HOST_STUB, name=addin_file.HOST_MODULE)
    add_ribbon(app, ribbon_source)
    books = [app.open_workbook(files[0]), app.open_workbook(files[1])]
    app.run("Configure", "")
    app.run("Prime", "", "")
    app.run("KpiScore", NOTHING)
    shown = app.dialogs[-1][1]
    assert "「评分」未能完成：Could not find Interpreter!" in shown and "xl-kpi addin doctor" in shown
    app.run("KpiOpened", books[1])  # the listener's work still runs
    assert calls(app)[-1].endswith("'!KpiRebind")
