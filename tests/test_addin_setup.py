"""xl-kpi addin install / uninstall / doctor on a simulated Windows or Mac (folders under tmp,
the ANSI code page, whether Excel runs); the interpreter doctor runs is a real Python."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import xlwings

from xl_kpi.excel import ribbon as addin
from xl_kpi.excel import addin_file
from xl_kpi.excel import install as addin_setup
from xl_kpi.core.errors import KpiError
from xl_kpi.workspace import init_workspace

CHINESE_USER = r"C:\Users\张三\AppData\Local\Programs\Python\Python312\pythonw.exe"


def windows(tmp_path, excel_running=False, codepage="cp936"):
    profile = tmp_path / "Users" / "张三"
    env = {"USERPROFILE": str(profile), "APPDATA": str(profile / "AppData" / "Roaming")}
    return addin_setup.Machine("Windows", profile, env, codepage, lambda: excel_running)


def vba_input(data: bytes, codepage: str) -> dict[str, str]:
    """The config as the add-in's GetConfigFromFile reads it: VBA's Input # decodes the file with
    the ANSI code page and takes two comma-separated fields per record, quotes removed."""
    text = data.decode(codepage, errors="replace")  # VBA never fails to decode: it garbles
    fields = re.findall(r'"([^"]*)"|([^,\r\n]+)', text)
    values = [quoted or bare.strip() for quoted, bare in fields]
    return dict(zip(values[::2], values[1::2]))


def test_the_config_round_trips_a_chinese_user_path_in_the_ansi_code_page(tmp_path):
    machine = windows(tmp_path)
    report = addin_setup.install(machine, interpreter=CHINESE_USER)
    data = machine.config_file().read_bytes()
    assert vba_input(data, "cp936") == {"INTERPRETER_WIN": CHINESE_USER, "UDF MODULES": "xl_kpi.udfs"}
    # the UTF-8 file of before would have reached VBA garbled: "Could not find Interpreter!"
    utf8 = CHINESE_USER.encode("utf-8")
    assert vba_input(utf8, "cp936") != {"x": CHINESE_USER} and utf8.decode("cp936", errors="replace") != CHINESE_USER
    assert addin_setup.read_config(machine.config_file(), "cp936")["INTERPRETER_WIN"] == CHINESE_USER
    assert str(machine.config_file()) in report and "cp936" in report
    assert machine.config_file() == Path(machine.env["USERPROFILE"]) / ".xl_kpi" / "xl_kpi.conf"


def test_a_path_the_code_page_cannot_hold_is_refused_before_anything_is_written(tmp_path):
    machine = windows(tmp_path)
    python = r"C:\Users\Nguyễn\Python312\python.exe"
    with pytest.raises(KpiError) as caught:
        addin_setup.install(machine, interpreter=python)
    message = str(caught.value)
    assert "ễ" in message and "cp936" in message and "C:\\Python312" in message
    assert not machine.startup_folder().exists() and not machine.config_file().exists()


def test_install_puts_the_addin_in_xlstart_and_nothing_in_the_current_folder(tmp_path, monkeypatch):
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)
    machine = windows(tmp_path)
    report = addin_setup.install(machine, interpreter=r"C:\Python312\python.exe")
    installed = machine.startup_folder() / "xl_kpi.xlam"
    assert installed.is_file() and installed.parent.name == "XLSTART"
    assert list(here.iterdir()) == []
    assert sorted(p.name for p in installed.parent.iterdir()) == ["xl_kpi.xlam"]  # no staging file left
    config = addin_setup.read_config(machine.config_file(), "cp936")
    assert config["INTERPRETER_WIN"] == r"C:\Python312\pythonw.exe"  # no console window per call
    assert str(installed) in report and "绩效KPI" in report


def test_install_keeps_other_settings_and_records_the_workspace(tmp_path):
    machine = windows(tmp_path)
    machine.config_file().parent.mkdir(parents=True)
    machine.config_file().write_bytes('"USE UDF SERVER","True"\r\n'.encode("cp936"))
    ws, _ = init_workspace(tmp_path / "人力资源" / "绩效")
    addin_setup.install(machine, interpreter=r"C:\Python312\python.exe", workspace=ws.root)
    config = vba_input(machine.config_file().read_bytes(), "cp936")
    assert config["USE UDF SERVER"] == "True" and config["XL_KPI_WORKSPACE"] == str(ws.root.resolve())
    assert addin_setup.configured_workspace(machine) == ws.root.resolve()
    with pytest.raises(KpiError, match="plan.yaml"):
        addin_setup.install(machine, workspace=tmp_path / "cwd-without-plan")


def test_the_ribbon_scripts_find_the_configured_workspace(tmp_path, monkeypatch):
    monkeypatch.delenv("XL_KPI_WORKSPACE", raising=False)
    machine = windows(tmp_path)
    ws, _ = init_workspace(tmp_path / "ws")
    addin_setup.install(machine, interpreter=r"C:\Python312\python.exe", workspace=ws.root)

    class Blank:  # the blank workbook the ribbon's 生成 opens when none is: no path of its own
        fullname = "工作簿1"

    assert addin.workspace_of(Blank(), machine).root == ws.root.resolve()
    assert addin.workspace_of(Blank(), windows(tmp_path / "other")) is None


def test_install_and_uninstall_refuse_while_excel_runs(tmp_path):
    machine = windows(tmp_path, excel_running=True)
    for command in (addin_setup.install, addin_setup.uninstall):
        with pytest.raises(KpiError) as caught:
            command(machine)
        assert "Excel 正在运行" in str(caught.value) and "EXCEL.EXE" in str(caught.value)
    assert not machine.startup_folder().exists() and not machine.config_file().exists()


def test_uninstall_removes_both_and_says_what_was_not_there(tmp_path):
    machine = windows(tmp_path)
    addin_setup.install(machine, interpreter=r"C:\Python312\python.exe")
    report = addin_setup.uninstall(machine)
    assert not (machine.startup_folder() / "xl_kpi.xlam").exists() and not machine.config_file().parent.exists()
    assert report.count("已删除") == 2
    assert addin_setup.uninstall(machine).count("本来就没有") == 2


def test_macos_paths(tmp_path):
    mac = addin_setup.Machine("Darwin", tmp_path)
    addin_setup.install(mac, interpreter="/usr/local/bin/python3")
    assert "Startup.localized" in str(mac.startup_folder())
    assert mac.config_file().name == "xl_kpi.conf"
    assert addin_setup.read_config(mac.config_file(), "utf-8")["INTERPRETER_MAC"] == "/usr/local/bin/python3"


@pytest.fixture
def python_folder(tmp_path):
    """A Windows-shaped Python folder: pythonw.exe is this interpreter, the xlwings DLL beside it."""
    folder = tmp_path / "Python312"
    folder.mkdir()
    # a script that runs this interpreter, not a link to it: a linked interpreter outside a virtualenv's
    # folder does not find the virtualenv's packages
    (folder / "pythonw.exe").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (folder / "pythonw.exe").chmod(0o755)
    (folder / f"xlwings64-{xlwings.__version__}.dll").write_bytes(b"MZ")
    return folder


def test_doctor_on_a_good_install(tmp_path, python_folder):
    machine = windows(tmp_path)
    addin_setup.install(machine, interpreter=str(python_folder / "python.exe"))
    checks = addin_setup.doctor(machine)
    assert all(c.ok for c in checks), [str(c) for c in checks]
    text = "\n".join(map(str, checks))
    assert f"xlwings {xlwings.__version__}" in text and "xlwings64-" in text and "xl_kpi.udfs" in text


def test_doctor_says_what_to_fix(tmp_path, python_folder):
    machine = windows(tmp_path)
    assert [c.ok for c in addin_setup.doctor(machine)][:2] == [False, False]  # nothing installed yet
    addin_setup.install(machine, interpreter=str(python_folder / "python.exe"))
    (python_folder / f"xlwings64-{xlwings.__version__}.dll").unlink()
    dll = next(c for c in addin_setup.doctor(machine) if c.what == "xlwings DLL")
    assert dll.ok is False and f"pip install xlwings=={xlwings.__version__}" in dll.detail
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pythonw.exe").write_text("#!/bin/sh\necho 'No module named xl_kpi' >&2\nexit 1\n")
    (broken / "pythonw.exe").chmod(0o755)
    addin_setup.install(machine, interpreter=str(broken / "python.exe"))
    check = next(c for c in addin_setup.doctor(machine) if "UDF" in c.what)
    assert check.ok is False and "No module named xl_kpi" in check.detail


def test_a_user_folder_the_code_page_cannot_hold_puts_the_config_in_the_public_folder(tmp_path):
    """A Chinese user name on a PC whose non-Unicode language is English: xlwings' VBA builds the config's path
    from %USERPROFILE% in cp1252 and would never find it, so install writes the config to %PUBLIC%\\xl_kpi (an
    ASCII path the add-in then reads) and says so; doctor checks that place."""
    machine = windows(tmp_path, codepage="cp1252")
    machine.env["PUBLIC"] = str(tmp_path / "Users" / "Public")
    report = addin_setup.install(machine, interpreter=r"C:\Python312\python.exe")
    conf = machine.config_file()
    assert conf == tmp_path / "Users" / "Public" / "xl_kpi" / "xl_kpi.conf" != machine.user_config_file()
    assert vba_input(conf.read_bytes(), "cp1252")["INTERPRETER_WIN"] == r"C:\Python312\pythonw.exe"
    assert str(conf) in report and "公用文件夹" in report and not machine.user_config_file().exists()
    checks = addin_setup.doctor(machine)
    assert next(c for c in checks if c.what.startswith("配置 ")).ok and not any(c.what.startswith("配置位置") for c in checks)
    assert "已删除 / removed:      " + str(conf) in addin_setup.uninstall(machine)


def test_a_public_folder_the_code_page_cannot_hold_either_is_refused(tmp_path):
    machine = windows(tmp_path, codepage="cp1252")
    machine.env["PUBLIC"] = str(tmp_path / "用户" / "公用")
    with pytest.raises(KpiError) as caught:
        addin_setup.install(machine, interpreter=r"C:\Python312\python.exe")
    assert str(machine.config_file()) in str(caught.value) and "cp1252" in str(caught.value)
    assert not machine.startup_folder().exists() and not machine.config_file().exists()
    place = next(c for c in addin_setup.doctor(machine) if c.what.startswith("配置位置"))
    assert place.ok is False and str(machine.config_file()) in place.detail


def test_the_add_in_looks_for_the_config_where_install_put_it(tmp_path):
    """The add-in's VBA (run in pyOpenVBA's interpreter): xlwings' GetConfigFilePath asks KpiConfigChoice, which
    keeps the user's folder unless its name came out of the ANSI conversion with "?" and %PUBLIC% has the config."""
    from pyopenvba import ExcelFile
    from pyopenvba.apps.excel import ExcelApplication

    with ExcelFile(addin_file.build(tmp_path)) as book:
        project = book.vba_project()
        ribbon = project.get_module(addin_file.RIBBON_MODULE).source
        assert "GetConfigFilePath = KpiConfigFilePath(PROJECT_NAME)" in project.get_module("xlwings").source
    app = ExcelApplication()
    app.add_module('Public Function KpiFileExists(path As String) As Boolean\n'
                   '    KpiFileExists = (path = "C:\\Users\\Public\\xl_kpi\\xl_kpi.conf")\nEnd Function\n', name="Host")
    app.add_module(ribbon, name=addin_file.RIBBON_MODULE)
    choose = lambda profile: app.run("KpiConfigChoice", profile, "C:\\Users\\Public", "xl_kpi")  # noqa: E731
    assert choose("C:\\Users\\zhang") == "C:\\Users\\zhang\\.xl_kpi\\xl_kpi.conf"
    assert choose("C:\\Users\\??") == "C:\\Users\\Public\\xl_kpi\\xl_kpi.conf"


def office(tmp_path, facts, python_folder=None, bits="64"):
    """A simulated Windows whose registry says ``facts`` and whose Python reports ``bits``."""
    base = windows(tmp_path)

    def run(command):
        if command[-1].startswith("import struct"):
            return subprocess.CompletedProcess(command, 0, f"{bits}\n", "")
        return addin_setup._run(command)

    return addin_setup.Machine(base.system, base.home, base.env, base.codepage, base.excel_running, run,
                               lambda: facts)


def test_doctor_checks_excel_its_bitness_and_who_opens_xlsx(tmp_path, python_folder):
    good = office(tmp_path, {"excel": True, "excel_bits": 64, "xlsx_app": "Excel.Sheet.12"})
    addin_setup.install(good, interpreter=str(python_folder / "python.exe"))
    checks = {c.what: c for c in addin_setup.doctor(good)}
    assert checks["Excel"].ok and "64位" in checks["Excel"].detail
    assert checks[".xlsx 默认程序 / default app"].ok and checks["pythonw.exe"].ok and checks["位数 / bitness"].ok
    wps = office(tmp_path, {"excel": True, "excel_bits": 32, "xlsx_app": "KET.xlsx.12"}, bits="64")
    checks = {c.what: c for c in addin_setup.doctor(wps)}
    assert checks[".xlsx 默认程序 / default app"].ok is False and "打开方式" in checks[".xlsx 默认程序 / default app"].detail
    assert checks["位数 / bitness"].ok is False and "Excel 是32位，Python 是64位" in checks["位数 / bitness"].detail
    none = office(tmp_path, {"excel": False, "excel_bits": None, "xlsx_app": "KET.xlsx.12"})
    checks = {c.what: c for c in addin_setup.doctor(none)}
    assert checks["Excel"].ok is False and "没有安装 Microsoft Excel" in checks["Excel"].detail
    machine = windows(tmp_path)  # a config naming python.exe (written by hand): a console window per call
    machine.config_file().write_bytes(machine.config_file().read_bytes().replace(b"pythonw.exe", b"python.exe"))
    check = next(c for c in addin_setup.doctor(machine) if c.what == "pythonw.exe")
    assert check.ok is False and "xl-kpi addin install" in check.detail


def test_on_linux_the_commands_say_what_applies(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path)}
    for action, code in (("install", 2), ("uninstall", 0), ("doctor", 0)):
        done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "addin", action], capture_output=True,
                              text=True, env=env, cwd=tmp_path)
        assert done.returncode == code, done.stderr
        assert "Excel 只在 Windows 与 macOS 上运行" in done.stdout and "build --out" in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written, not even the add-in
