"""What every command shares: the consoles, exit codes, the progress bar, printing problems and tables,
and the arguments most commands take."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ..core.errors import KpiError, Problem
from ..core.review import period_months
from ..system.parallel import default_jobs
from ..workspace import Workspace

# Piped output (CI logs, redirects) gets a width that fits the tables, not rich's 80.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


err_console = Console(stderr=True, highlight=False)


EXIT_OK, EXIT_PROBLEMS = 0, 2


def report_error(exc: KpiError) -> int:
    err_console.print(f"[red]发现 {len(exc.problems)} 个问题 / {len(exc.problems)} problem(s):[/red]")
    for p in exc.problems:
        err_console.print(f"  {p}", markup=False, soft_wrap=True)
    return EXIT_PROBLEMS


def workspace_of(args) -> Workspace:
    return Workspace(Path(args.dir))


def month_arg(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"月份应写成 YYYY-MM，如 2026-10 / month must be YYYY-MM: {text}")
    return text


def period_arg(text: str) -> str:
    try:
        period_months(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip().upper()


def progress_bar(total: int, label: str):
    """A progress bar on a terminal (and nothing in logs); returns (advance, stop, done). ``advance(n)``
    moves it on; ``advance(0, total=N)`` says how many there are once the work knows (an import, after
    reading its file); ``done()`` is how many went by."""
    bar = Progress(console=err_console, transient=True, disable=total < 20 or not err_console.is_terminal)
    bar.start()
    task = bar.add_task(label, total=total)
    count = [0]

    def advance(n: int = 1, total: int | None = None) -> None:
        if total is not None:
            bar.update(task, total=total)
        count[0] += n
        bar.advance(task, n)

    return advance, bar.stop, lambda: count[0]


SUMMARY_FROM = 200  # steps over this many workbooks end with a line saying how long they took


def with_progress(total: int, label: str, work, *args):
    """Run ``work(*args, advance)`` with a progress bar of ``total`` steps (time left included), then say
    how long it took and the rate."""
    advance, stop, done = progress_bar(total, label)
    t0 = time.perf_counter()
    try:
        return work(*args, advance)
    finally:
        stop()
        seconds = time.perf_counter() - t0
        total = done() or total
        if total >= SUMMARY_FROM:
            err_console.print(f"{label}: {total} 个，用时 {seconds:.1f} 秒，每秒 {total / seconds:,.0f} 个 / {total} in "
                              f"{seconds:.1f} s, {total / seconds:,.0f} a second")


def loaded(args):
    ws = workspace_of(args)
    plan = ws.plan()
    return ws, plan, ws.roster(plan)


def exit_with(problems) -> int:
    """List the problems, if any; exit status 2 with some, 0 without."""
    print_problems(problems)
    return EXIT_PROBLEMS if problems else EXIT_OK


MODE_NAMES = {"native": "原生公式 native", "udf": "加载项函数 udf", "?": "无法识别 unknown"}


def print_modes(month: str, modes: dict[str, list[str]]) -> None:
    """Which formula modes the month's workbooks use; a warning when they are mixed."""
    if not modes:
        return
    parts = "，".join(f"{MODE_NAMES.get(m, m)} {len(who)}个" for m, who in sorted(modes.items()))
    err_console.print(f"{month} 工作簿公式方式 / formula modes: {parts}", soft_wrap=True)
    if len(modes) > 1:
        few = min(modes.items(), key=lambda kv: len(kv[1]))
        who = "、".join(few[1][:10]) + ("……" if len(few[1]) > 10 else "")
        err_console.print(f"[yellow]警告：本月混用了公式方式（{MODE_NAMES.get(few[0], few[0])}：{who}）；加载项函数工作簿只在装有"
                          f"xl_kpi加载项的Excel中计算，在WPS、LibreOffice和手机上显示#NAME?。可用 xl-kpi generate --month {month} "
                          f"--formulas native 统一（保留已填写的值） / warning: the month mixes formula modes; "
                          f"generate again with one --formulas to unify them (typed values are kept)[/yellow]", soft_wrap=True)


def print_problems(problems) -> None:
    for p in problems:
        err_console.print(f"  {p}", markup=False, soft_wrap=True)


TABLE_ROWS = 200  # beyond this many people the terminal shows one line per role; the files hold everyone


def score_table(title: str, results, plan) -> Table:
    """One row per person, or per role when there are more than TABLE_ROWS people."""
    if len(results) > TABLE_ROWS:
        return _role_table(title, results, plan)
    table = Table(title=title)
    for col in ("工号", "姓名", "岗位", "得分", "等级", "系数", "应发合计", "问题"):
        table.add_column(col, justify="right" if col in ("得分", "系数", "应发合计", "问题") else "left")
    for s in results:
        c = s.card
        ok = c is not None and c.score is not None
        table.add_row(s.employee.id, s.employee.name, plan.roles[s.employee.role].name,
                      f"{c.score:.2f}" if ok else "—", c.grade if ok else "—", f"{c.coefficient:g}" if ok else "—",
                      f"{c.pay.total:,.2f}" if ok else "—", str(len(s.problems)) if s.problems else "")
    return table


def _role_table(title: str, results, plan) -> Table:
    rows: dict[str, list] = {}  # role → people, scored, sum of scores, pay, problems
    for s in results:
        r = rows.setdefault(s.employee.role, [0, 0, 0.0, Decimal(0), 0])
        c = s.card
        r[0] += 1
        r[4] += len(s.problems)
        if c is not None and c.score is not None:
            r[1] += 1
            r[2] += c.score
            r[3] += c.pay.total if c.pay else 0
    table = Table(title=f"{title}（按岗位 / by role, {len(results)}人）")
    for col in ("岗位", "人数", "已评分", "平均得分", "应发合计", "问题"):
        table.add_column(col, justify="left" if col == "岗位" else "right")
    for role, (n, scored, total, pay, problems) in rows.items():
        table.add_row(plan.roles[role].name, str(n), str(scored), f"{total / scored:.2f}" if scored else "—",
                      f"{pay:,.2f}", str(problems) if problems else "")
    return table


def print_json_list(records) -> None:
    """A JSON array printed a record at a time, the same text as json.dumps(list(records), indent=2)."""
    first = True
    for record in records:
        text = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        sys.stdout.write(("[\n  " if first else ",\n  ") + text)
        first = False
    sys.stdout.write("[]\n" if first else "\n]\n")


def jobs_arg(p) -> None:
    p.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                   help="并行的工作进程数，默认为CPU核数；--jobs 1 在本进程中逐个处理，结果相同 / worker processes "
                        "(default: the number of cores); the output is the same for any N")


def os_problem(exc: OSError) -> Problem:
    """An operating-system error as a located problem: which file, and what the system said."""
    what = {PermissionError: "没有权限", IsADirectoryError: "这是一个文件夹，不是文件",
            NotADirectoryError: "路径中有一段不是文件夹", FileExistsError: "已有同名文件",
            FileNotFoundError: "找不到"}.get(type(exc), "文件操作失败")
    return Problem("os_error", f"{what} / {exc.strerror or exc}", file=str(exc.filename or ""))


def add(sub, name: str, func, help_: str):
    """A subcommand with its help, its examples (the command module's EXAMPLES) and its function."""
    examples = sys.modules[func.__module__].EXAMPLES[name]
    p = sub.add_parser(name, help=help_, description=help_, epilog=examples,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.set_defaults(func=func)
    return p


def day_arg(text: str) -> dt.date:
    """A date option: YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应写成 YYYY-MM-DD，如 2026-11-03 / a date is YYYY-MM-DD: {text}") from None


def dir_arg(p) -> None:
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
