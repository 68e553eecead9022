"""``xl-kpi addin``: build, install, uninstall and check the Excel add-in."""
from __future__ import annotations

from pathlib import Path

from ..excel import addin_file
from ..excel import install as addin_setup
from .common import EXIT_OK, EXIT_PROBLEMS, add, console, err_console


def cmd_addin(args) -> int:
    if args.action == "build":
        path = addin_file.build(Path(args.out))
        console.print(f"已生成加载项 / built the add-in: {path.resolve()}")
        console.print("尚未在真实 Excel 中试过，见 README / not yet tried in a real Excel: see README")
        return EXIT_OK
    machine = addin_setup.Machine.here()
    if args.action == "install":
        console.print(addin_setup.install(machine, args.python, Path(args.workspace) if args.workspace else None),
                      markup=False)
        return EXIT_OK if machine.has_excel else EXIT_PROBLEMS
    if args.action == "uninstall":
        console.print(addin_setup.uninstall(machine), markup=False)
        return EXIT_OK
    checks = addin_setup.doctor(machine)
    for check in checks:
        (err_console if check.ok is False else console).print(str(check), markup=False)
    return EXIT_PROBLEMS if any(c.ok is False for c in checks) else EXIT_OK


EXAMPLES = {
    "addin": "示例 / example:\n  xl-kpi addin build --out dist      # 生成 dist/xl_kpi.xlam\n"
             "  xl-kpi addin install --workspace D:\\绩效\\kpi   # 关闭 Excel 后安装到 Excel 启动文件夹并写入配置\n"
             "  xl-kpi addin doctor                # 逐项检查安装\n"
             "  xl-kpi addin uninstall             # 删除加载项与配置",
}


def register(sub) -> None:
    p = add(sub, "addin", cmd_addin, "生成或安装 Excel 加载项 xl_kpi.xlam / build or install the Excel add-in")
    p.add_argument("action", choices=("build", "install", "uninstall", "doctor"),
                   help="build: 生成文件; install: 安装到 Excel; uninstall: 卸载; doctor: 检查安装")
    p.add_argument("--out", default=".", help="build: 生成到此目录, 默认当前目录 / where the built file goes (default: .)")
    p.add_argument("--workspace", help="install: 工作区目录, 供「生成」使用 / the workspace the ribbon's 生成 uses")
    p.add_argument("--python", help="install: 加载项使用的 Python, 默认当前 Python / the interpreter (default: this one)")
