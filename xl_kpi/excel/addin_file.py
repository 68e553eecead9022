"""Building the add-in file ``xl_kpi.xlam`` on any machine.

Start from xlwings' ribbon add-in template, write our ribbon (customUI.xml,
from a jinja2 template), and add our VBA with pyOpenVBA: the ribbon callbacks,
the UDF wrappers (shaped as xlwings' own generator makes them, so HR need not
run "Import Functions"), the class that listens to Excel's events, and the few
calls only a real Excel can make. Of the template's own VBA, two things change,
both as xlwings documents for a custom add-in: the ``PROJECT_NAME`` constant
(so the config is ``xl_kpi.conf``, not the template's shared ``myaddin.conf``)
and the code of ThisWorkbook (it starts the event listener).
"""
from __future__ import annotations

import inspect
import os
import tempfile
import zipfile
from pathlib import Path

import xlwings
import yaml

from ..workbook import texts
from ..workbook.cells import META_SHEET
from . import udfs

ADDIN_NAME = "xl_kpi.xlam"
RIBBON_MODULE = "XlKpiRibbon"
UDF_MODULE = "XlKpiUdfs"
HOST_MODULE = "XlKpiExcel"
SELFTEST_MODULE = "XlKpiSelfTest"
EVENTS_CLASS = "XlKpiEvents"
CUSTOM_UI = "customUI/customUI.xml"
PROJECT_NAME = "xl_kpi"  # names the xlwings config: %USERPROFILE%\.xl_kpi\xl_kpi.conf
TEMPLATE_PROJECT = "myaddin"
WORKSPACE_KEY = "XL_KPI_WORKSPACE"  # the workspace folder, in the config (the ribbon's 生成 asks once)
vba_string = texts.vba_string
# xlwings' Windows place for a custom add-in's config, in its VBA (replaced: see KpiConfigFilePath)
CONFIG_PATH_LINE = 'GetConfigFilePath = Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & ".conf"'


def template_path() -> Path:
    return Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"


def buttons() -> dict:
    return yaml.safe_load((texts.SHIPPED / "addin" / "buttons.yaml").read_text(encoding="utf-8"))


def _names() -> dict:
    return dict(module=RIBBON_MODULE, host=HOST_MODULE, events=EVENTS_CLASS, marker=META_SHEET,
                workspace_key=WORKSPACE_KEY)


def custom_ui() -> str:
    return texts.render("addin/customUI.xml.j2", module=RIBBON_MODULE, **buttons())


def ribbon_vba() -> str:
    all_buttons = [b for g in buttons()["groups"] for b in g["buttons"]]
    return texts.render("addin/XlKpiRibbon.bas.j2", buttons=all_buttons, **_names())


def host_vba() -> str:
    return texts.render("addin/XlKpiExcel.bas.j2", **_names())


def selftest_vba() -> str:
    from . import selftest

    return texts.render("addin/XlKpiSelfTest.bas.j2", selftest=SELFTEST_MODULE, file=selftest.FILE_NAME,
                        sheet=selftest.SHEET, functions=selftest.FUNCTIONS, calls=len(selftest.CALLS),
                        first_row=selftest.FIRST_ROW, checks=len(selftest.CHECKS), stamp_row=selftest.STAMP_ROW,
                        **_names())


def events_vba() -> str:
    return texts.render("addin/XlKpiEvents.cls.j2", **_names())


def this_workbook_vba() -> str:
    """The code of the add-in's ThisWorkbook (the template's is empty)."""
    return texts.render("addin/ThisWorkbook.cls.j2", **_names())


def udf_signatures() -> list[dict]:
    """Name, VBA parameter list and argument list of each UDF, as xlwings' generator reads them."""
    out = []
    for f in udfs.UDFS:
        params = list(inspect.signature(f).parameters.values())
        if any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params):
            raise ValueError(f"{f.__name__}: the wrappers take positional arguments only")
        sig = ", ".join(("Optional " if p.default is not p.empty else "") + p.name for p in params)
        out.append({"name": f.__name__, "signature": sig, "args": ", ".join(p.name for p in params)})
    return out


def udf_vba() -> str:
    return texts.render("addin/XlKpiUdfs.bas.j2", module=UDF_MODULE, python_module=udfs.MODULE,
                        functions=udf_signatures())


def _crlf(text: str) -> str:
    text = text.replace("\r\n", "\n")
    text.encode("ascii")  # VBA source must be ASCII: fails loudly here, not in Excel
    longest = max(text.splitlines(), key=len)
    if len(longest) > 1023:  # the VBA editor's limit for one line
        raise ValueError(f"VBA line longer than 1023 characters: {longest[:80]}…")
    return text.replace("\n", "\r\n")


def _project_constant(source: str) -> str:
    """xlwings' module with our project name, and the config's place asked of KpiConfigFilePath (XlKpiExcel)."""
    for old, new in ((f'Public Const PROJECT_NAME As String = "{TEMPLATE_PROJECT}"',
                      f'Public Const PROJECT_NAME As String = "{PROJECT_NAME}"'),
                     (CONFIG_PATH_LINE, "GetConfigFilePath = KpiConfigFilePath(PROJECT_NAME)")):
        if source.count(old) != 1:
            raise RuntimeError(f"xlwings {xlwings.__version__}: its add-in template no longer holds {old!r}")
        source = source.replace(old, new)
    return source


def build(out_dir: Path) -> Path:
    """Write ``xl_kpi.xlam`` into out_dir (atomically) and return its path."""
    from pyopenvba import ExcelFile
    from pyopenvba.vba import VBAModuleKind

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ADDIN_NAME
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        staged = Path(tmp) / ADDIN_NAME
        _with_ribbon(template_path(), staged, custom_ui())
        book = ExcelFile(staged)
        project = book.vba_project()
        project.add_module(RIBBON_MODULE, _crlf(ribbon_vba()))
        project.add_module(UDF_MODULE, _crlf(udf_vba()))
        project.add_module(HOST_MODULE, _crlf(host_vba()))
        project.add_module(SELFTEST_MODULE, _crlf(selftest_vba()))
        project.add_module(EVENTS_CLASS, _crlf(events_vba()), kind=VBAModuleKind.other)
        this = project.get_module("ThisWorkbook")
        this.body = _crlf(this_workbook_vba())
        xw_module = project.get_module("xlwings")
        xw_module.body = _project_constant(xw_module.body)
        book.save()
        book.close()
        os.replace(staged, target)
    return target


def _with_ribbon(src: Path, dest: Path, xml: str) -> None:
    """A copy of the template whose customUI.xml is ours (every other part byte for byte)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = xml.encode("utf-8") if info.filename == CUSTOM_UI else zin.read(info.filename)
            zout.writestr(info, data)
