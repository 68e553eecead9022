"""The add-in on the PC where Excel runs: install, uninstall, doctor.

Everything that depends on the machine is in :class:`Machine` (its system,
folders, ANSI code page, whether Excel is running, how to run a program), so
the Windows and macOS paths are tested on Linux with a simulated machine.

The xlwings config is written the way xlwings' own writer writes it: one
``"KEY","VALUE"`` line per setting in the locale's encoding, which on Windows
is the ANSI code page (cp936 on Chinese Windows) that VBA's ``Input #`` decodes.
"""
from __future__ import annotations

import locale
import ntpath
import os
import platform
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import KpiError, Problem
from . import addin_file, udfs

INTERPRETER_KEYS = {"Windows": "INTERPRETER_WIN", "Darwin": "INTERPRETER_MAC"}
EXCEL_PROCESS = {"Windows": "EXCEL.EXE", "Darwin": "Microsoft Excel"}


def _excel_running(system: str) -> bool:
    try:
        if system == "Windows":
            out = subprocess.run(["tasklist", "/FI", "IMAGENAME eq EXCEL.EXE", "/FO", "CSV", "/NH"],
                                 capture_output=True, text=True, timeout=30).stdout
            return '"EXCEL.EXE"' in out.upper()
        if system == "Darwin":
            return subprocess.run(["pgrep", "-x", "Microsoft Excel"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False  # no way to tell: the copy itself fails on a locked file, and says so
    return False


def _run(command: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _registry(root: str, key: str, name: str = "") -> str | None:
    """A value of the Windows registry, or None (no such key, or not Windows)."""
    try:
        import winreg
    except ImportError:
        return None
    try:
        with winreg.OpenKey(getattr(winreg, root), key) as k:
            return str(winreg.QueryValueEx(k, name)[0])
    except OSError:
        return None


def _office_facts() -> dict:
    """What Windows says of Excel: installed (its COM class), its bitness (Click-to-Run's platform, or the MSI
    install's Bitness), and the program that opens .xlsx (the user's choice, else the machine's)."""
    platform_ = _registry("HKEY_LOCAL_MACHINE", r"SOFTWARE\Microsoft\Office\ClickToRun\Configuration", "Platform")
    bits = {"x64": 64, "x86": 32}.get((platform_ or "").lower())
    if bits is None:
        for version in ("16.0", "15.0"):
            found = _registry("HKEY_LOCAL_MACHINE", rf"SOFTWARE\Microsoft\Office\{version}\Outlook", "Bitness")
            if found:
                bits = 64 if found.lower() == "x64" else 32
                break
    xlsx = _registry("HKEY_CURRENT_USER", r"Software\Microsoft\Windows\CurrentVersion\Explorer\FileExts\.xlsx"
                     r"\UserChoice", "ProgId") or _registry("HKEY_CLASSES_ROOT", ".xlsx")
    return {"excel": _registry("HKEY_CLASSES_ROOT", r"Excel.Application\CLSID") is not None, "excel_bits": bits,
            "xlsx_app": xlsx}


@dataclass(frozen=True)
class Machine:
    """The PC the commands run on; ``Machine.here()`` is this one."""

    system: str
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)
    codepage: str = "utf-8"  # what VBA's Input # decodes the config with
    excel_running: Callable[[], bool] = lambda: False
    run: Callable[[list[str]], subprocess.CompletedProcess] = _run
    # Windows: {"excel": installed?, "excel_bits": 64 | 32 | None, "xlsx_app": the .xlsx ProgId | None}
    office: Callable[[], dict] = dict

    @classmethod
    def here(cls) -> Machine:
        system = platform.system()
        # Windows: the ANSI code page (cp936 on Chinese Windows), whatever Python's UTF-8 mode says
        codepage = locale.getencoding() if system == "Windows" else "utf-8"
        return cls(system, Path.home(), dict(os.environ), codepage, lambda: _excel_running(system), _run,
                   _office_facts if system == "Windows" else dict)

    @property
    def has_excel(self) -> bool:
        return self.system in INTERPRETER_KEYS

    def startup_folder(self) -> Path | None:
        """Where Excel loads add-ins at start-up (XLSTART), or None where there is no Excel."""
        if self.system == "Windows":
            appdata = self.env.get("APPDATA") or str(self.home / "AppData" / "Roaming")
            return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"
        if self.system == "Darwin":
            return (self.home / "Library" / "Group Containers" / "UBF8T346G9.Office" / "User Content.localized"
                    / "Startup.localized" / "Excel")
        return None

    def user_config_file(self) -> Path:
        """xlwings' own place for a Windows add-in's config: %USERPROFILE%\\.xl_kpi\\xl_kpi.conf."""
        name = addin_file.PROJECT_NAME
        return Path(self.env.get("USERPROFILE") or self.home) / f".{name}" / f"{name}.conf"

    def config_file(self) -> Path | None:
        """The config the add-in reads (its GetConfigFilePath, named after PROJECT_NAME): in the user's folder,
        or where that folder's name cannot be written in the ANSI code page VBA uses (a Chinese user name on an
        English-language Windows), in %PUBLIC%\\xl_kpi, which the add-in reads then (XlKpiConfigFile)."""
        name = addin_file.PROJECT_NAME
        if self.system == "Windows":
            user = self.user_config_file()
            if _encodable(str(user), self.codepage):
                return user
            return Path(self.env.get("PUBLIC") or r"C:\Users\Public") / name / f"{name}.conf"
        if self.system == "Darwin":
            return self.home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{name}.conf"
        return None


def _problem(zh: str, en: str, file: Path | str | None = None) -> KpiError:
    return KpiError([Problem(type="addin", message=f"{zh} / {en}", file=str(file) if file else None)])


# --------------------------------------------------------------------------- the config file


def read_config(path: Path, codepage: str) -> dict[str, str]:
    """The settings of an xlwings config, as its VBA reads them (keys compared without case)."""
    try:
        text = path.read_bytes().decode(codepage)
    except FileNotFoundError:
        return {}
    except UnicodeDecodeError:
        raise _problem(f"配置文件不是 {codepage} 编码，Excel 读出来会是乱码；请重新运行 xl-kpi addin install",
                       f"the config is not in {codepage}, so Excel would read it garbled: run `xl-kpi addin install` again",
                       path) from None
    out = {}
    for line in text.splitlines():
        values = re.findall(r'"([^"]*)"', line)
        if len(values) >= 2:
            out[values[0].upper()] = values[1]
    return out


def config_bytes(settings: Mapping[str, str], codepage: str, path: Path) -> bytes:
    """``"KEY","VALUE"`` lines in the code page, or a clear refusal naming what cannot be written."""
    lines = []
    for key, value in settings.items():
        if '"' in value or "\n" in value:
            raise _problem(f"配置项 {key} 含有引号或换行，无法写入：{value}",
                           f"setting {key} holds a quote or a line break: {value}", path)
        lines.append(f'"{key}","{value}"')
    text = "\r\n".join(lines) + "\r\n"
    try:
        return text.encode(codepage)
    except UnicodeEncodeError as exc:
        bad = "".join(sorted({ch for ch in text if not _encodable(ch, codepage)}))
        where = text[max(0, exc.start - 40):exc.end + 40].split('","')[-1].rstrip('"\r\n')
        raise _problem(
            f"路径「{where}」中的字符「{bad}」无法用 Windows 代码页 {codepage} 表示（Excel 的 VBA 按此代码页读取配置，"
            f"会读成乱码）。请把 Python 装到只含英文字母、数字的文件夹（如 C:\\Python312），工作区也放在这样的文件夹，"
            f"再运行 xl-kpi addin install",
            f"'{bad}' in '{where}' cannot be written in the ANSI code page {codepage} that Excel's VBA reads the "
            f"config with; install Python (and keep the workspace) in a folder whose name it can hold, "
            f"such as C:\\Python312, then run `xl-kpi addin install` again", path) from None


def config_place_problem(machine: Machine) -> KpiError | None:
    """The config's own path must be one VBA can open, in the ANSI code page: the user's folder, or else
    %PUBLIC%, which only an unusual PC names outside it."""
    conf = machine.config_file()
    if machine.system != "Windows" or conf is None:
        return None
    bad = "".join(sorted({ch for ch in str(conf) if not _encodable(ch, machine.codepage)}))
    if not bad:
        return None
    return _problem(
        f"配置文件的位置「{conf}」中的字符「{bad}」无法用本机的 Windows 代码页 {machine.codepage} 表示，Excel 中的加载项"
        f"打不开它（安装会显示成功，却找不到 Python）。请在“控制面板 → 时钟和区域 → 区域 → 管理 → 更改系统区域设置”中选择能"
        f"表示用户名的语言（中文用户名选“中文（简体，中国）”）并重启，或改用英文名的 Windows 用户，再运行 xl-kpi addin install",
        f"the config's place '{conf}' holds '{bad}', which the ANSI code page {machine.codepage} cannot write, so the "
        f"add-in's VBA cannot open it: set the system locale for non-Unicode programs to one that holds the user "
        f"name (Control Panel → Region → Administrative), or use a Windows user whose name it holds", conf)


def _encodable(text: str, codepage: str) -> bool:
    try:
        text.encode(codepage)
        return True
    except UnicodeEncodeError:
        return False


def configured_workspace(machine: Machine | None = None) -> Path | None:
    """The workspace folder kept in the add-in's config (set by install or the ribbon's 生成)."""
    machine = machine or Machine.here()
    conf = machine.config_file()
    if conf is None:
        return None
    try:
        value = read_config(conf, machine.codepage).get(addin_file.WORKSPACE_KEY)
    except KpiError:
        return None
    return Path(value) if value else None


# --------------------------------------------------------------------------- install / uninstall


def _interpreter(machine: Machine, interpreter: str | None) -> str:
    python = interpreter or sys.executable
    if machine.system == "Windows" and ntpath.basename(python).lower() == "python.exe":
        python = python[:-len("python.exe")] + "pythonw.exe"  # no console window for each call
    return python


def _refuse_while_excel_runs(machine: Machine, what: str) -> None:
    if machine.excel_running():
        how = ("保存并关闭所有 Excel 窗口；若任务栏已无 Excel 仍被拒绝，在任务管理器中结束 EXCEL.EXE"
               if machine.system == "Windows" else "保存工作后按 Cmd-Q 退出 Excel")
        raise _problem(f"Excel 正在运行，不能{what}：请{how}，再重新运行本命令",
                       "Excel is running: close it (save your work first) and run this command again")


def _not_here(machine: Machine, command: str) -> str:
    return (f"此电脑（{machine.system}）没有 Excel：Excel 只在 Windows 与 macOS 上运行，{command} 在此不适用。"
            f"请在装有 Excel 的电脑上安装 Python 与 xl_kpi 后运行 xl-kpi addin {command}；"
            f"xl-kpi addin build --out 目录 在这里也能生成加载项文件。\n"
            f"Excel runs on Windows and macOS only, so `xl-kpi addin {command}` does not apply on {machine.system}; "
            f"run it on the PC with Excel. `xl-kpi addin build --out DIR` works here.")


def _workspace_setting(workspace: Path | None) -> str | None:
    if workspace is None:
        return None
    folder = Path(workspace).expanduser().resolve()
    if not (folder / "plan.yaml").is_file():
        raise _problem("这不是 xl_kpi 工作区（缺少 plan.yaml）；用 xl-kpi init 目录 新建一个",
                       "not an xl_kpi workspace (no plan.yaml): create one with `xl-kpi init DIR`", folder)
    return str(folder)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".xl_kpi-", delete=False) as tmp:
        tmp.write(data)
    os.replace(tmp.name, path)


def install(machine: Machine, interpreter: str | None = None, workspace: Path | None = None) -> str:
    """Copy a freshly built add-in into the start-up folder and write the config; what went where."""
    folder, conf = machine.startup_folder(), machine.config_file()
    if folder is None:
        return _not_here(machine, "install")
    _refuse_while_excel_runs(machine, "安装加载项")
    place = config_place_problem(machine)
    if place is not None:
        raise place  # before anything is written: an install the add-in cannot read is no install
    settings = read_config(conf, machine.codepage) if conf.exists() else {}
    python = _interpreter(machine, interpreter)
    settings[INTERPRETER_KEYS[machine.system]] = python
    settings["UDF MODULES"] = udfs.MODULE
    kept = _workspace_setting(workspace)
    if kept:
        settings[addin_file.WORKSPACE_KEY] = kept
    data = config_bytes(settings, machine.codepage, conf)  # refuses before anything is written
    with tempfile.TemporaryDirectory() as tmp:  # built outside the current directory
        built = addin_file.build(Path(tmp))
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(folder / addin_file.ADDIN_NAME, built.read_bytes())
    _write_atomic(conf, data)
    place = settings.get(addin_file.WORKSPACE_KEY) or "未设置：首次点「生成」时选择 / not set: 生成 asks for it once"
    return "\n".join([
        f"加载项 / add-in:        {folder / addin_file.ADDIN_NAME}",
        f"配置 / config:          {conf}（{machine.codepage}）" + ("" if conf == machine.user_config_file() else
            "\n                        用户文件夹名无法用本机代码页表示，配置放在公用文件夹（本机各用户可见），加载项会从这里读取 / "
            "the user folder's name is outside the code page: the config is in the public folder, where the add-in looks"),
        f"Python:                 {python}",
        f"工作区 / workspace:     {place}",
        "打开 Excel，可见「绩效KPI」选项卡；有问题时运行 xl-kpi addin doctor",
        "Open Excel and look for the 绩效KPI tab; if anything is wrong, run `xl-kpi addin doctor`.",
    ])


def uninstall(machine: Machine) -> str:
    folder, conf = machine.startup_folder(), machine.config_file()
    if folder is None:
        return _not_here(machine, "uninstall")
    _refuse_while_excel_runs(machine, "卸载加载项")
    lines = []
    for path in (folder / addin_file.ADDIN_NAME, conf):
        if path.exists():
            path.unlink()
            lines.append(f"已删除 / removed:      {path}")
        else:
            lines.append(f"本来就没有 / not there: {path}")
    if machine.system == "Windows" and conf.parent.is_dir() and not any(conf.parent.iterdir()):
        conf.parent.rmdir()  # the .xl_kpi folder install made, and nothing else's
    return "\n".join(lines)


# --------------------------------------------------------------------------- doctor


@dataclass
class Check:
    ok: bool | None  # None: does not apply on this machine
    what: str
    detail: str

    def __str__(self) -> str:
        mark = {True: "正常 ok  ", False: "需处理 fix", None: "不适用 n/a"}[self.ok]
        return f"{mark}  {self.what}：{self.detail}"


def _addin_xlwings_version(path: Path) -> str | None:
    """The xlwings version the installed add-in's VBA declares (its DLL name carries it)."""
    from pyopenvba import ExcelFile

    with ExcelFile(path) as book:
        source = book.vba_project().get_module("xlwings").source
    found = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', source)
    return found.group(1) if found else None


def _check_addin(machine: Machine) -> tuple[Check, str | None]:
    path = machine.startup_folder() / addin_file.ADDIN_NAME
    if not path.is_file():
        return Check(False, "加载项 / add-in", f"启动文件夹中没有 {path}：运行 xl-kpi addin install"), None
    version = _addin_xlwings_version(path)
    return Check(True, "加载项 / add-in", f"{path}（xlwings {version}）"), version


def _check_python(machine: Machine, settings: dict) -> tuple[Check, str | None]:
    key = INTERPRETER_KEYS[machine.system]
    python = settings.get(key)
    if not python:
        return Check(False, "Python", f"配置中没有 {key}：运行 xl-kpi addin install"), None
    try:
        done = machine.run([python, "-c", f"import xlwings, {udfs.MODULE}; print(xlwings.__version__)"])
    except OSError as exc:
        return Check(False, "Python", f"{python} 无法运行（{exc.strerror or exc}）：重新安装 Python 后运行 "
                                      f"xl-kpi addin install"), None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return Check(False, "UDF 模块 / UDF module", f"{python} 不能导入 {udfs.MODULE}（{last}）："
                                                   f"用这个 Python 运行 pip install xl_kpi 的安装步骤（见 README）"), None
    version = done.stdout.strip().splitlines()[-1]
    return Check(True, "Python 与 UDF 模块 / UDF module", f"{python} 导入 {udfs.MODULE}，xlwings {version}"), version


def _check_dll(python: str, version: str | None) -> Check:
    """The xlwings DLL the add-in loads, beside the interpreter or a folder above (a virtualenv)."""
    if not version:
        return Check(False, "xlwings DLL", "加载项的 xlwings 版本未知：运行 xl-kpi addin install")
    folders = [Path(python).parent, Path(python).parent.parent]
    names = [f"xlwings64-{version}.dll", f"xlwings32-{version}.dll"]
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return Check(True, "xlwings DLL", str(folder / name))
    return Check(False, "xlwings DLL", f"{folders[0]} 与 {folders[1]} 中都没有 {names[0]}："
                                       f"用这个 Python 运行 pip install xlwings=={version}，再运行 xl-kpi addin install")


WPS_PROGIDS = ("ket.", "wps", "et.xlsx", "kingsoft")  # what WPS Office registers for .xlsx


def _check_office(machine: Machine) -> list[Check]:
    """Excel installed, and the program that opens .xlsx files (WPS is often the default on Chinese PCs)."""
    if machine.system != "Windows":
        return []
    facts = machine.office()
    out = []
    if facts.get("excel") is False:
        out.append(Check(False, "Excel", "这台电脑没有安装 Microsoft Excel：加载项只能在 Excel 中使用（WPS 表格不能运行它）；"
                                        "考核表照样可以用 WPS 打开和填写"))
    elif facts.get("excel"):
        bits = facts.get("excel_bits")
        out.append(Check(True, "Excel", f"已安装（{bits}位）" if bits else "已安装"))
    app = facts.get("xlsx_app")
    if app:
        wps = any(w in app.lower() for w in WPS_PROGIDS)
        out.append(Check(not wps, ".xlsx 默认程序 / default app",
                         f"{app}：双击考核表会用 WPS 打开，看不到“绩效KPI”选项卡。右键任一 .xlsx 文件 → 打开方式 → 选择其他应用 → "
                         f"Excel，并勾选“始终使用此应用打开 .xlsx 文件”" if wps else app))
    return out


def _check_pythonw(machine: Machine, python: str) -> list[Check]:
    """The add-in runs pythonw.exe (no console window per call), of the bitness of Excel (the DLL must match)."""
    if not python:
        return []
    out = []
    name = ntpath.basename(python).lower()
    out.append(Check(name == "pythonw.exe", "pythonw.exe",
                     python if name == "pythonw.exe" else f"配置中的 Python 是 {name}：每次计算都会弹出黑色窗口；"
                                                          f"运行 xl-kpi addin install 改为 pythonw.exe"))
    bits = machine.office().get("excel_bits")
    if bits:
        try:
            done = machine.run([python, "-c", "import struct; print(struct.calcsize('P') * 8)"])
            mine = int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None
        except (OSError, ValueError, IndexError):
            mine = None
        if mine:
            out.append(Check(mine == bits, "位数 / bitness",
                             f"Excel 与 Python 都是{bits}位" if mine == bits else
                             f"Excel 是{bits}位，Python 是{mine}位：xlwings 的 DLL 必须与 Excel 相同；请安装{bits}位的 Python 后运行 "
                             f"xl-kpi addin install"))
    return out


def doctor(machine: Machine) -> list[Check]:
    if not machine.has_excel:
        done = machine.run([sys.executable, "-c", f"import {udfs.MODULE}"])
        return [Check(None, "Excel", _not_here(machine, "doctor").splitlines()[0]),
                Check(done.returncode == 0, "UDF 模块 / UDF module",
                      f"{sys.executable} {'能' if done.returncode == 0 else '不能'}导入 {udfs.MODULE}")]
    checks = _check_office(machine)
    addin, addin_version = _check_addin(machine)
    checks.append(addin)
    conf = machine.config_file()
    place = config_place_problem(machine)
    if place is not None:
        return checks + [Check(False, "配置位置 / config place", place.problems[0].message.split(" / ")[0])]
    try:
        settings = read_config(conf, machine.codepage)
    except KpiError as exc:
        return checks + [Check(False, "配置 / config", exc.problems[0].message)]
    checks.append(Check(bool(settings), "配置 / config", str(conf) if settings else f"没有 {conf}：运行 xl-kpi addin install"))
    python_check, python_version = _check_python(machine, settings)
    checks.append(python_check)
    if machine.system == "Windows":
        checks.append(_check_dll(settings.get("INTERPRETER_WIN", ""), addin_version))
        checks += _check_pythonw(machine, settings.get("INTERPRETER_WIN", ""))
    else:
        checks.append(Check(None, "xlwings DLL", "macOS 不用 DLL；=KPI_*() 函数只在 Windows 版 Excel 中计算，"
                                           "Mac 上请用原生公式（默认）生成考核表"))
    if addin_version and python_version and addin_version != python_version:
        checks.append(Check(False, "xlwings 版本 / version", f"加载项按 xlwings {addin_version} 生成，Python 中是 "
                                                            f"{python_version}：运行 xl-kpi addin install 重新生成"))
    workspace = settings.get(addin_file.WORKSPACE_KEY)
    if workspace:
        ok = (Path(workspace) / "plan.yaml").is_file()
        checks.append(Check(ok, "工作区 / workspace", workspace if ok else f"{workspace} 中没有 plan.yaml："
                                                                          f"运行 xl-kpi addin install --workspace 目录"))
    return checks
