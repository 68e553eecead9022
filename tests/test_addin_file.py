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

from xl_kpi import addin, addin_file, udfs

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
    assert labels == ["生成", "评分", "汇总", "发送"]
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


def test_template_xlwings_modules_are_unchanged(built):
    before, after = modules(addin_file.template_path()), modules(built)
    assert set(after) == set(before) | {addin_file.RIBBON_MODULE, addin_file.UDF_MODULE}
    for name, code in before.items():
        assert after[name] == code, name


def test_udf_wrappers_for_every_udf(built):
    code = modules(built)[addin_file.UDF_MODULE]
    for f in udfs.UDFS:
        assert f'{f.__name__} = XLPy.CallUDF("xl_kpi.udfs", "{f.__name__}"' in code
    assert "Function KPI_SCORE(actual, rule, Optional target, Optional baseline)" in code


def test_vba_strings_are_ascii():
    assert addin_file.vba_string('月份 "x"') == 'ChrW(26376) & ChrW(20221) & " " & ChrW(34) & "x" & ChrW(34)'


def test_install_on_windows_and_macos_writes_the_config(built, tmp_path, monkeypatch):
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    win = addin_file.install(built, "Windows", tmp_path, r"C:\Python311\python.exe")
    assert win.installed.read_bytes() == built.read_bytes() and "XLSTART" in str(win.installed)
    assert win.config.read_text(encoding="utf-8") == \
        '"INTERPRETER_WIN","C:\\Python311\\pythonw.exe"\n"UDF MODULES","xl_kpi.udfs"\n'
    mac = addin_file.install(built, "Darwin", tmp_path, "/usr/local/bin/python3")
    assert "Startup.localized" in str(mac.installed) and '"INTERPRETER_MAC"' in mac.config.read_text()


def test_install_on_linux_explains(built):
    result = addin_file.install(built, "Linux")
    assert result.installed is None and "Excel" in result.message and str(built) in result.message


def test_cli_builds_the_addin(tmp_path):
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "addin", "build", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "xl_kpi.xlam").exists() and "not yet tried in a real Excel" in done.stdout
