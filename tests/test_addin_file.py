"""The built add-in: a valid zip, a ribbon that validates against Microsoft's
schema, VBA callbacks that call the right scripts, the template's xlwings
modules untouched, and UDF wrappers for every UDF."""
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from oletools.olevba import VBA_Parser

from xl_kpi import udfs
from xl_kpi.excel import ribbon as addin
from xl_kpi.excel import addin_file

SCHEMAS = Path(__file__).resolve().parent / "schemas"  # Microsoft's ribbon schemas, copied from shared/schemas


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return addin_file.build(tmp_path_factory.mktemp("addin"))


def modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {Path(name).stem: code.replace("\r\n", "\n") for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def test_a_valid_zip_with_our_ribbon(built):
    with zipfile.ZipFile(built) as z:
        assert z.testzip() is None
        xml = z.read("customUI/customUI.xml")
        assert "xl/vbaProject.bin" in z.namelist()
    schema_file = SCHEMAS / "customUI.xsd"
    if not schema_file.exists():
        pytest.fail(f"Microsoft's customUI schema is missing: {schema_file}")
    xmlschema.XMLSchema(str(schema_file)).validate(xml.decode("utf-8"))  # raises on any violation
    doc = etree.fromstring(xml)
    ns = {"c": "http://schemas.microsoft.com/office/2006/01/customui"}
    assert doc.find(".//c:tab", ns).get("label") == "绩效KPI"
    labels = [b.get("label") for b in doc.iterfind(".//c:button", ns)]
    assert labels == ["生成", "评分", "汇总", "发送", "收回"]
    assert all(b.get("supertip") and b.get("imageMso") for b in doc.iterfind(".//c:button", ns))


def test_every_callback_calls_its_script(built):
    code = modules(built)[addin_file.RIBBON_MODULE]
    ns = {"c": "http://schemas.microsoft.com/office/2006/01/customui"}
    with zipfile.ZipFile(built) as z:
        doc = etree.fromstring(z.read("customUI/customUI.xml"))
    expected = {b["callback"]: b["script"] for g in addin_file.buttons()["groups"] for b in g["buttons"]}
    for button in doc.iterfind(".//c:button", ns):
        module, sub = button.get("onAction").split(".")
        assert module == addin_file.RIBBON_MODULE
        body = re.search(rf"Public Sub {sub}\(control As IRibbonControl\)(.*?)End Sub", code, re.S).group(1)
        script = expected[sub]
        assert f'RunPython "import xl_kpi.addin as a; a.{script}(' in body
        assert callable(getattr(addin, script))  # the script the button names exists


def test_template_xlwings_modules_are_unchanged_but_the_project_name_and_config_place(built):
    before, after = modules(addin_file.template_path()), modules(built)
    ours = {addin_file.RIBBON_MODULE, addin_file.UDF_MODULE, addin_file.HOST_MODULE, addin_file.EVENTS_CLASS,
            addin_file.SELFTEST_MODULE}
    assert set(after) == set(before) | ours
    for name, code in before.items():
        if name == "xlwings":  # xlwings' documented custom add-in step: the config becomes xl_kpi.conf
            code = code.replace('PROJECT_NAME As String = "myaddin"', 'PROJECT_NAME As String = "xl_kpi"')
            # and asks XlKpiExcel where the config is (%PUBLIC% when the user folder is outside the code page)
            code = code.replace(addin_file.CONFIG_PATH_LINE, "GetConfigFilePath = KpiConfigFilePath(PROJECT_NAME)")
        if name == "ThisWorkbook":
            assert after[name].startswith(code.rstrip("\n")) and "Workbook_Open" not in code
            continue
        assert after[name] == code, name


def test_the_project_passes_pyopenvba_validation(built):
    from pyopenvba import ExcelFile

    with ExcelFile(built) as book:
        assert book.validate() == []


def xlwings_wrappers(monkeypatch) -> dict[str, str]:
    """What xlwings' own generator (xlwings.udfs.generate_vba_wrapper, behind "Import Functions")
    writes for xl_kpi.udfs in an add-in. xlwings.udfs imports pywin32 at the top, which exists on
    Windows only: empty stand-ins let it import; the generator itself uses none of them."""
    import io
    import sys
    import types

    for name in ("pythoncom", "pywintypes", "win32com", "win32com.client", "xlwings.udfs"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))  # undone after the test
    sys.modules["win32com.client"].Dispatch = sys.modules["pythoncom"].CoInitialize = None
    del sys.modules["xlwings.udfs"]
    from xlwings import udfs as xlwings_udfs

    module = types.ModuleType("xl_kpi_udfs_as_xlwings_sees_them")
    for f in udfs.UDFS:  # on Windows xw.func is xlwings.udfs.xlfunc: give each function its metadata
        original = f.__wrapped__
        copy = types.FunctionType(original.__code__, original.__globals__, f.__name__, original.__defaults__)
        setattr(module, f.__name__, xlwings_udfs.xlfunc(copy))
    out = io.StringIO()
    xlwings_udfs.generate_vba_wrapper(udfs.MODULE, module, out, types.SimpleNamespace(Name=addin_file.ADDIN_NAME))
    return functions(out.getvalue())


def functions(code: str) -> dict[str, str]:
    return {m.group(1): m.group(0) for m in re.finditer(r"^Function (\w+)\(.*?^End Function$", code, re.S | re.M)}


def test_udf_wrappers_match_xlwings_generator(built, monkeypatch):
    """Function by function, the same text as xlwings' generator for the installed xlwings; the one
    documented difference is the module header (our module name and comment)."""
    ours = functions(modules(built)[addin_file.UDF_MODULE])
    theirs = xlwings_wrappers(monkeypatch)
    assert set(ours) == set(theirs) == {f.__name__ for f in udfs.UDFS}
    for name in theirs:
        assert ours[name] == theirs[name], name
    assert not any("CommandBars" in code for code in ours.values())  # the guard of xlwings issue #1574
    assert "Function KPI_SCORE(actual, rule, Optional target, Optional baseline)" in ours["KPI_SCORE"]


def test_the_event_class_binds_marked_workbooks_on_open(built):
    """pyOpenVBA's interpreter does not connect WithEvents sinks, so the wiring is read: the class
    listens to the Application, hands each opened workbook to KpiOpened (run in test_addin_vba),
    and the add-in's Workbook_Open starts it and looks at the workbooks already open."""
    code = modules(built)
    events = code[addin_file.EVENTS_CLASS]
    assert "Public WithEvents App As Application" in events
    handler = re.search(r"Private Sub App_WorkbookOpen\(ByVal Wb As Workbook\)\n(.*?)End Sub", events, re.S)

    def statements(body: str) -> list[str]:
        return [s.strip() for s in body.strip().splitlines() if s.strip() and not s.strip().startswith("'")]

    # an error in the handler is shown and handled, so it never ends the listener
    said = statements(handler.group(1))
    assert said[:4] == ["On Error GoTo failed", "KpiOpened Wb", "Exit Sub", "failed:"] and said[4].startswith("KpiFailed")
    assert "Attribute VB_PredeclaredId = False" in events  # a class module, made with New
    opening = re.search(r"Private Sub Workbook_Open\(\)\n(.*?)End Sub", code["ThisWorkbook"], re.S).group(1)
    assert statements(opening)[:6] == ["On Error GoTo failed", f"Set appEvents = New {addin_file.EVENTS_CLASS}",
                                       "Set appEvents.App = Application", "KpiOpenedBefore", "Exit Sub", "failed:"]
    assert f"Private appEvents As {addin_file.EVENTS_CLASS}" in code["ThisWorkbook"]
    host = code[addin_file.HOST_MODULE]
    assert "Application.CalculateFullRebuild" in host and "Application.OnTime Now, macro" in host
    assert "msoFileDialogFolderPicker" in host


def test_vba_lines_fit_the_editor():
    for source in (addin_file.ribbon_vba(), addin_file.udf_vba(), addin_file.host_vba()):
        assert max(len(line) for line in source.splitlines()) <= 1023  # VBA's limit per physical line


def test_vba_strings_are_ascii():
    assert addin_file.vba_string('月份 "x"') == 'ChrW(26376) & ChrW(20221) & " " & ChrW(34) & "x" & ChrW(34)'
    assert addin_file.vba_string("a\nb") == '"a" & vbLf & "b"'


def test_cli_builds_the_addin(tmp_path):
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "addin", "build", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "xl_kpi.xlam").exists() and "not yet tried in a real Excel" in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xl_kpi.xlam"]  # no staging left behind
