"""The ``xl-kpi`` command: one module per group of subcommands, each a thin layer over a stage of the month."""
from __future__ import annotations

import argparse
from pathlib import Path

from .. import __version__
from ..core.errors import KpiError
from ..month.upgrade import bring_up_to_date
from ..system.lock import workspace_lock
from ..workspace import PLAN, Workspace
from . import addin, close, demo, month, period, send
from .common import err_console, os_problem, report_error

NEW_WORKSPACE = {"init", "demo", "addin"}  # commands that make a workspace, or need none
# commands that write a month: they hold the workspace's lock
WRITERS = {"generate", "import", "rollup", "review", "report", "send", "demo", "close", "appeal", "plan-followup",
           "upgrade"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xl-kpi", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="新媒体团队月度KPI考核与绩效工资 / monthly KPI scoring and performance pay",
        epilog="示例 / example:\n  xl-kpi demo kpi-demo\n  xl-kpi init ~/kpi && cd ~/kpi && xl-kpi check")
    parser.add_argument("--version", action="version", version=f"xl-kpi {__version__}",
                        help="显示版本号 / show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (month, period, send, close, addin, demo):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        root = Path(getattr(args, "dir", "."))
        if args.command not in NEW_WORKSPACE and (root / PLAN).is_file():
            with workspace_lock(root):  # an earlier release's workspace is brought up to this one first
                bring_up_to_date(Workspace(root), lambda text: err_console.print(text, markup=False, soft_wrap=True))
        if args.command in WRITERS and root.is_dir():
            with workspace_lock(root):
                return args.func(args)
        return args.func(args)
    except KpiError as exc:
        return report_error(exc)
    except OSError as exc:  # a folder that cannot be written, a file that is a folder, a full disk …
        return report_error(KpiError([os_problem(exc)]))
