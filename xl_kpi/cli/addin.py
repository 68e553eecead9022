"""``xl-kpi addin``: build, install, uninstall and check the Excel add-in."""
from __future__ import annotations

from pathlib import Path

from ..excel import addin_file
from ..excel import install as addin_setup
from ..excel import selftest
from ..system.files import atomic_write
from .common import EXIT_OK, EXIT_PROBLEMS, add, console, err_console


def cmd_addin(args) -> int:
    if args.action == "build":
        path = addin_file.build(Path(args.out))
        console.print(f"已生成加载项 / built the add-in: {path.resolve()}")
        console.print("尚未在真实 Excel 中试过，见 README / not yet tried in a real Excel: see README")
        return EXIT_OK
    if args.action == "selftest":
        return _selftest(args)
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


def _selftest(args) -> int:
    """Write 自检.xlsx, or print the verdict of one HR got back."""
    if args.read:
        ok, lines = selftest.verdict(*selftest.read(Path(args.read)))
        for line in lines:
            (console if ok else err_console).print(line, markup=False)
        return EXIT_OK if ok else EXIT_PROBLEMS
    path = Path(args.out) / selftest.FILE_NAME
    atomic_write(path, selftest.build())
    console.print(f"已生成自检文件 / wrote the self-test workbook: {path.resolve()}\n"
                  "在装有加载项的 Excel 中打开它，等待“自检完成”的提示后保存，发回人力资源部；再运行 "
                  f"xl-kpi addin selftest --read {path.name} 查看结果。 / open it in Excel with the add-in, save it when "
                  "it says so, then read it with --read", markup=False)
    return EXIT_OK


EXAMPLES = {
    "addin": "示例 / example:\n  xl-kpi addin build --out dist      # 生成 dist/xl_kpi.xlam\n"
             "  xl-kpi addin install --workspace D:\\绩效\\kpi   # 关闭 Excel 后安装到 Excel 启动文件夹并写入配置\n"
             "  xl-kpi addin doctor                # 逐项检查安装\n"
             "  xl-kpi addin uninstall             # 删除加载项与配置\n"
             "  xl-kpi addin selftest              # 生成 自检.xlsx，在装有加载项的 Excel 中打开\n"
             "  xl-kpi addin selftest --read 自检.xlsx   # 读取发回的自检结果",
}


def register(sub) -> None:
    p = add(sub, "addin", cmd_addin, "生成或安装 Excel 加载项 xl_kpi.xlam / build or install the Excel add-in")
    p.add_argument("action", choices=("build", "install", "uninstall", "doctor", "selftest"),
                   help="build：生成文件；install：安装到 Excel；uninstall：卸载；doctor：检查安装；"
                        "selftest：生成或读取 自检.xlsx")
    p.add_argument("--read", metavar="FILE", help="selftest：读取发回的自检文件并给出结论 / read a returned self-test")
    p.add_argument("--out", default=".", help="build、selftest：生成到此目录，默认当前目录 / where the file goes (default: .)")
    p.add_argument("--workspace", help="install：工作区目录，供「生成」使用 / the workspace the ribbon's 生成 uses")
    p.add_argument("--python", help="install：加载项使用的 Python，默认当前 Python / the interpreter (default: this one)")
