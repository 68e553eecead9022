"""``xl-kpi addin selftest`` (issue 27): 自检.xlsx, the add-in's self-test run in pyOpenVBA's interpreter (what
only Excel does replaced by recording stubs, as in test_addin_vba.py), Python's part against an in-memory
xlwings Book, and ``--read`` on workbooks shaped like each outcome."""
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pyopenvba import ExcelFile
from pyopenvba.apps.excel import ExcelApplication

from excel_shapes import excel_save
from helpers import run_cli
from test_addin_vba import HOST_STUB, XLWINGS_STUB
from xl_kpi.excel import addin_file, selftest

HOST = HOST_STUB + '''
Public HostName As String
Public Function KpiHostName() As String
    If HostName = "" Then KpiHostName = "Microsoft Excel" Else KpiHostName = HostName
End Function
Public Function KpiHostInfo() As String
    KpiHostInfo = KpiHostName() & " 16.0 64-bit Windows (64-bit) NT 10.00"
End Function
Public Function KpiAddinPath() As String
    KpiAddinPath = "C:\\Users\\hr\\AppData\\Roaming\\Microsoft\\Excel\\XLSTART\\xl_kpi.xlam"
End Function
Public Function KpiFileExists(path As String) As Boolean
    KpiFileExists = (path = "xl_kpi.conf")
End Function
Public Sub Host(name As String)
    HostName = name
End Sub
'''


@pytest.fixture(scope="module")
def modules(tmp_path_factory):
    with ExcelFile(addin_file.build(tmp_path_factory.mktemp("addin"))) as book:
        project = book.vba_project()
        return {name: project.get_module(name).source for name in (addin_file.RIBBON_MODULE, addin_file.SELFTEST_MODULE)}


@pytest.fixture
def workbook(tmp_path, capsys):
    run_cli(capsys, "addin", "selftest", "--out", tmp_path)
    return tmp_path / selftest.FILE_NAME


def excel_run(modules, path: Path, host: str = "", computed: bool = True):
    """The add-in's self-test as Excel runs it on opening ``path``: the functions compute after the rebuild
    (``computed``) or still show #NAME?."""
    app = ExcelApplication()
    app.add_module(XLWINGS_STUB, name="xlwings")
    app.add_module(HOST, name=addin_file.HOST_MODULE)
    for name, source in modules.items():
        app.add_module(source, name=name)
    book = app.open_workbook(path)
    app.run("Configure", "D:\\kpi")
    app.run("Prime", "", "")
    app.run("Host", host)
    app.run("KpiOpened", book)
    log = [c for c in app.run("CallLog").split("|") if c]
    assert len(log) == 1 and log[0].startswith("RunLater:'") and log[0].endswith("'!KpiSelfTestRun")
    sheet = app.sheet(selftest.FUNCTIONS, workbook=book)
    for r, (_, value) in enumerate(selftest.CALLS, start=2):
        sheet.set_value(f"C{r}", value() if computed else "#NAME?")
    app.run("KpiSelfTestRun")
    return app, book


def results(app, book) -> dict[str, tuple[str, str]]:
    sheet = app.sheet(selftest.SHEET, workbook=book)
    return {sheet.value(f"E{r}"): (sheet.value(f"B{r}"), str(sheet.value(f"C{r}")))
            for r in range(selftest.FIRST_ROW, selftest.FIRST_ROW + len(selftest.CHECKS))}


def test_the_add_in_runs_every_check_when_the_file_opens(modules, workbook):
    app, book = excel_run(modules, workbook)
    got = results(app, book)
    assert got["loaded"] == ("通过", "C:\\Users\\hr\\AppData\\Roaming\\Microsoft\\Excel\\XLSTART\\xl_kpi.xlam")
    assert got["host"][0] == "通过" and "64-bit" in got["host"][1]
    assert got["udfs"] == ("通过", f"{len(selftest.CALLS)}个函数均算出应得的值")
    assert got["config"][0] == "通过" and "XL_KPI_WORKSPACE=D:\\kpi" in got["config"][1]
    assert got["python"] == ("未通过", "Python 没有回应")  # the stub's RunPython runs no Python
    log = app.run("CallLog")
    assert "RebuildAll" in log and "a.selftest()" in log
    assert "自检完成" in app.dialogs[-1][1]


def test_wps_and_unbound_functions_fail_with_their_evidence(modules, workbook):
    app, book = excel_run(modules, workbook, host="WPS Office", computed=False)
    got = results(app, book)
    assert got["host"][0] == "未通过" and "WPS" in got["host"][1]
    assert got["udfs"][0] == "未通过" and "KPI_SCORE" in got["udfs"][1] and "#NAME?" in got["udfs"][1]


class Range:
    def __init__(self, cells, ref):
        self.cells, self.ref = cells, ref

    @property
    def value(self):
        return self.cells.get(self.ref)

    @value.setter
    def value(self, v):
        self.cells[self.ref] = v


class Sheet:
    def __init__(self):
        self.cells = {}

    def range(self, ref):
        return Range(self.cells, ref)


class Book:
    """What Python's part uses of xlwings' Book: the 自检 sheet's cells."""

    def __init__(self):
        self.sheets = {selftest.SHEET: Sheet()}


def test_python_answers_and_a_saved_copy_keeps_the_formulas(workbook, tmp_path):
    book = Book()
    selftest.selftest(book, save_copy=lambda path: shutil.copy(workbook, path))
    cells = book.sheets[selftest.SHEET].cells
    rows = {key: selftest.FIRST_ROW + i for i, (key, *_) in enumerate(selftest.CHECKS)}
    assert cells[f"B{rows['python']}"] == "通过" and "xl_kpi" in cells[f"C{rows['python']}"]
    assert cells[f"B{rows['saved']}"] == "通过"

    for udf in ("_xludf.", "[1]!"):  # Excel's own ways to save the add-in's functions: the same formulas
        excel = tmp_path / f"excel{len(udf)}.xlsx"
        excel_save(workbook, excel, {key: value() for key, (_, value) in zip(selftest.expected_formulas(),
                                                                               selftest.CALLS)}, udf=udf)
        selftest.selftest(book, save_copy=lambda path: shutil.copy(excel, path))
        assert cells[f"B{rows['saved']}"] == "通过", (udf, cells[f"C{rows['saved']}"])

    changed = tmp_path / "changed.xlsx"  # a save that rewrote a formula into something else
    wb = load_workbook(workbook)
    wb[selftest.FUNCTIONS]["C4"] = "=KPI_PAY(3000,1.3)"
    wb.save(changed)
    selftest.selftest(book, save_copy=lambda path: shutil.copy(changed, path))
    assert cells[f"B{rows['saved']}"] == "未通过" and "函数!C4" in cells[f"C{rows['saved']}"]


def returned(workbook, tmp_path, outcome: dict[str, str]) -> Path:
    """自检.xlsx as HR gets it back: each check's result as the add-in wrote it."""
    wb = load_workbook(workbook)
    ws = wb[selftest.SHEET]
    for r in range(selftest.FIRST_ROW, selftest.FIRST_ROW + len(selftest.CHECKS)):
        result = outcome.get(ws[f"E{r}"].value, "通过")
        ws[f"B{r}"], ws[f"C{r}"] = result, "WPS Office 12.1" if result != "通过" else "证据"
    ws[f"B{selftest.STAMP_ROW}"] = "2026-12-02 10:00:00"
    path = tmp_path / "returned.xlsx"
    wb.save(path)
    return path


def test_read_gives_the_verdict_of_each_outcome(workbook, tmp_path, capsys):
    out = run_cli(capsys, "addin", "selftest", "--read", returned(workbook, tmp_path, {}))
    assert "全部通过（运行于 2026-12-02 10:00:00）" in out and out.count("✓") == len(selftest.CHECKS)
    out = run_cli(capsys, "addin", "selftest", "--read", returned(workbook, tmp_path, {"host": "未通过"}), code=2,
                  stderr=True)
    assert "✗ 由 Microsoft Excel 打开（不是 WPS）" in out and "WPS 不能运行加载项" in out and "1项未通过" in out
    out = run_cli(capsys, "addin", "selftest", "--read", workbook, code=2, stderr=True)  # never opened in Excel
    assert "自检尚未运行" in out


def test_read_refuses_a_file_that_is_not_the_self_test(tmp_path, capsys):
    other = tmp_path / "other.xlsx"
    other.write_bytes(b"not a workbook")
    out = run_cli(capsys, "addin", "selftest", "--read", other, code=2, stderr=True)
    assert "不是 xl-kpi addin selftest 生成的自检文件" in out and "other.xlsx" in out
