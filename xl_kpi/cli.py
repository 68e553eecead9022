"""The ``xl-kpi`` command. Each subcommand is a thin layer over the modules."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .core.errors import KpiError
from .workspace import SAMPLE_MONTH, Workspace, data_file, init_workspace

# Piped output (CI logs, redirects) gets a width that fits the tables, not rich's 80.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False)
EXIT_OK, EXIT_PROBLEMS = 0, 2


def _report(exc: KpiError) -> int:
    err_console.print(f"[red]发现 {len(exc.problems)} 个问题 / {len(exc.problems)} problem(s):[/red]")
    for p in exc.problems:
        err_console.print(f"  {p}", markup=False, soft_wrap=True)
    return EXIT_PROBLEMS


def _workspace(args) -> Workspace:
    return Workspace(Path(args.dir))


# --------------------------------------------------------------------------- commands


def cmd_init(args) -> int:
    ws, kept = init_workspace(Path(args.dir))
    for name in kept:
        console.print(f"保留已有文件 / kept existing {ws.root / name}")
    console.print(f"工作区已就绪 / workspace ready: {ws.root.resolve()}")
    console.print("  plan.yaml   考核方案 (可编辑 / edit it)\n  roster.xlsx 花名册\n  workbooks/  每月考核表")
    return EXIT_OK


def cmd_check(args) -> int:
    ws = _workspace(args)
    plan = ws.plan()
    roster = ws.roster(plan)
    console.print(f"方案有效 / plan OK: {plan.name}, {len(plan.roles)} 个岗位 / roles")
    console.print(f"花名册有效 / roster OK: {len(roster)} 人 / employees")
    for rid, role in plan.roles.items():
        n = sum(e.role == rid for e in roster)
        if n != role.headcount:
            console.print(f"[yellow]提示 / note: {role.name} 编制{role.headcount}人, 花名册{n}人 / "
                          f"headcount {role.headcount}, roster {n}[/yellow]")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .actuals import apply_rows, read_actuals, read_adjustments
    from .core.scorecard import score

    ws, _ = init_workspace(Path(args.dir))
    plan, month = ws.plan(), SAMPLE_MONTH
    roster = ws.roster(plan)
    rows, problems = read_actuals(data_file(f"actuals-{month}.csv"), plan, roster)
    adjustments, adj_problems = read_adjustments(data_file(f"adjustments-{month}.csv"), plan, roster)
    if problems or adj_problems:
        raise KpiError(problems + adj_problems)
    inputs: dict = {}
    apply_rows(rows, inputs)
    table = Table(title=f"{plan.department} {month} 绩效 (示例数据 / sample data)")
    for col in ("工号", "姓名", "岗位", "得分", "等级", "系数", "责任底薪", "绩效工资", "提成", "应发合计"):
        table.add_column(col, justify="right" if col in ("得分", "系数", "责任底薪", "绩效工资", "提成", "应发合计") else "left")
    total = 0
    for e in roster:
        x = inputs.get(e.id)
        x.adjustments = adjustments.get(e.id, [])
        card = score(plan, e.role, x, int(month[5:]), e.base_salary, e.performance_pay_base)
        if card.problems:
            raise KpiError([p for p in card.problems])
        pay = card.pay
        total += pay.total
        table.add_row(e.id, e.name, plan.roles[e.role].name, f"{card.score:.2f}", card.grade,
                      f"{card.coefficient:g}", f"{pay.base_salary:,.2f}", f"{pay.performance_pay:,.2f}",
                      f"{pay.commission:,.2f}", f"{pay.total:,.2f}")
    table.add_section()
    table.add_row("合计", "", "", "", "", "", "", "", "", f"{total:,.2f}")
    console.print(table)
    console.print(f"工作区 / workspace: {ws.root.resolve()}")
    return EXIT_OK


# --------------------------------------------------------------------------- parser

EXAMPLES = {
    "init": "示例 / example:\n  xl-kpi init ~/kpi   # 新建工作区, 含内置方案与示例花名册",
    "check": "示例 / example:\n  cd ~/kpi && xl-kpi check   # 校验 plan.yaml 与 roster.xlsx, 有问题时退出码为2",
    "demo": "示例 / example:\n  xl-kpi demo /tmp/kpi-demo   # 用示例数据走一遍本月考核",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xl-kpi", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="新媒体团队月度KPI考核与绩效工资 / monthly KPI scoring and performance pay",
        epilog="示例 / example:\n  xl-kpi demo kpi-demo\n  xl-kpi init ~/kpi && cd ~/kpi && xl-kpi check")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func, help_: str, dir_default: str | None = "."):
        p = sub.add_parser(name, help=help_, description=help_, epilog=EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = add("init", cmd_init, "新建工作区 / create a workspace (plan.yaml, roster.xlsx, workbooks/)")
    p.add_argument("dir", metavar="DIR", help="工作区目录 / workspace folder")
    p = add("check", cmd_check, "校验方案与花名册 / validate the plan and the roster")
    p.add_argument("--dir", default=".", help="工作区目录, 默认当前目录 / workspace folder (default: .)")
    p = add("demo", cmd_demo, "用示例数据演示整个流程 / run the month on the sample data")
    p.add_argument("dir", metavar="DIR", nargs="?", default="xl-kpi-demo",
                   help="演示工作区目录 / demo workspace (default: ./xl-kpi-demo)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KpiError as exc:
        return _report(exc)


if __name__ == "__main__":
    sys.exit(main())
