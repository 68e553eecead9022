"""The ``xl-kpi`` command: one module per group of subcommands, each a thin layer over a stage of the month."""
from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

from .. import __version__
from ..core.errors import KpiError
from ..month.guard import prepare, store_problem
from ..store.db import DB_NAME
from ..system.lock import workspace_lock
from ..system.parallel import max_jobs
from ..workspace import PLAN, Workspace
from . import addin, close, demo, month, period, ratings, send
from .common import err_console, os_problem, report_error

NEW_WORKSPACE = {"init", "demo", "addin", "restore"}  # commands that make a workspace, need none, or mend its record
# commands that write a month: they hold the workspace's lock
WRITERS = {"generate", "import", "rollup", "review", "report", "send", "demo", "close", "appeal", "plan-followup",
           "upgrade", "restore", "ratings", "collect", "remind"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xl-kpi", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="新媒体团队月度KPI考核与绩效工资 / monthly KPI scoring and performance pay",
        epilog="示例 / example:\n  xl-kpi demo kpi-demo\n  xl-kpi init ~/kpi && cd ~/kpi && xl-kpi check")
    parser.add_argument("--version", action="version", version=f"xl-kpi {__version__}",
                        help="显示版本号 / show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (month, period, ratings, send, close, addin, demo):
        group.register(sub)
    return parser


def _cap_jobs(args) -> None:
    """--jobs beyond the cores is capped at them, and said."""
    jobs = getattr(args, "jobs", None)
    if jobs is None:
        return
    if jobs < 1:
        args.jobs = 1
    elif jobs > max_jobs():
        err_console.print(f"--jobs {jobs} 超过CPU核数，按{max_jobs()}个工作进程运行 / --jobs {jobs} is more than the "
                          f"cores: {max_jobs()} worker processes are used")
        args.jobs = max_jobs()


def say(text: str) -> None:
    err_console.print(text, markup=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _cap_jobs(args)
    try:
        root = Path(getattr(args, "dir", "."))
        writes = args.command in WRITERS
        if args.command not in NEW_WORKSPACE and (root / PLAN).is_file():
            with workspace_lock(root):  # HR's record checked, backed up, an earlier release's brought up, first
                prepare(Workspace(root), writes, args.command, say)
        if writes and root.is_dir():
            with workspace_lock(root):
                return args.func(args)
        return args.func(args)
    except KpiError as exc:
        return report_error(exc)
    except sqlite3.Error as exc:  # HR's record locked, read-only or damaged midway: a message, never a traceback
        return report_error(KpiError([store_problem(exc, Path(getattr(args, "dir", ".")) / DB_NAME)]))
    except OSError as exc:  # a folder that cannot be written, a file that is a folder, a full disk …
        return report_error(KpiError([os_problem(exc)]))
