"""``xl-kpi send``: the month's results by mail."""
from __future__ import annotations

import sys
from pathlib import Path

from .. import mail
from ..store import open_store
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add,
    console,
    err_console,
    jobs_arg,
    month_arg,
    print_problems,
    with_progress,
    workspace_of,
)


def cmd_send(args) -> int:
    ws = workspace_of(args)
    config = mail.load_config(ws)
    roster = ws.roster(ws.plan())
    mailing = with_progress(len(roster), "准备邮件 / building the mails",
                             lambda advance: mail.build(ws, args.month, config, jobs=args.jobs, progress=advance))
    console.print(mailing.summary())
    if mailing.skipped:
        err_console.print("[yellow]跳过 / skipped:[/yellow]")
        print_problems(mailing.skipped)
    if args.dry_run:
        paths = mail.write_eml(mailing, Path(args.dry_run))
        console.print(f"演练: 已写入 {len(paths)} 个 .eml, 未发送 / dry run: wrote {len(paths)} .eml file(s) "
                      f"to {Path(args.dry_run).resolve()}, nothing sent")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            err_console.print("需要确认: 在终端中运行, 或加 --yes / confirmation needed: run in a terminal or add --yes")
            return EXIT_PROBLEMS
        if input("确认发送? / send now? [y/N] ").strip().lower() not in ("y", "yes", "是"):
            console.print("未发送 / nothing sent")
            return EXIT_OK
    log = mail.SendLog(open_store(ws.root), args.month)
    report = with_progress(len(mailing.messages), "发送 / sending", mail.send, mailing, config, log, args.resend)
    console.print(report.message)
    for key, error in report.failed:
        err_console.print(f"  {key}: {error}", markup=False)
    if report.stopped:
        err_console.print(f"恢复命令 / to resume: xl-kpi send --month {args.month} --dir {ws.root}", markup=False)
    console.print(f"发送记录 / send log: {log.store.path} (sends)")
    return EXIT_PROBLEMS if report.failed else EXIT_OK


EXAMPLES = {
    "send": "示例 / example:\n  xl-kpi send --month 2026-10 --dry-run outbox   # 只写 .eml 文件, 不发送\n"
            "  XL_KPI_SMTP_PASSWORD=... xl-kpi send --month 2026-10       # 列出收件人并确认后发送\n"
            "  xl-kpi send --month 2026-10 --yes --resend                # 不询问, 全部重发",
}


def register(sub) -> None:
    p = add(sub, "send", cmd_send, "把考核结果发给员工、上级与人力资源部 / mail the month's results")
    p.add_argument("--month", required=True, type=month_arg, help="月份 YYYY-MM")
    p.add_argument("--dry-run", metavar="DIR", help="写 .eml 文件到 DIR, 不发送 / write .eml files to DIR instead")
    p.add_argument("--yes", action="store_true", help="不询问确认 / do not ask for confirmation")
    p.add_argument("--resend", action="store_true", help="忽略发送记录, 全部重发 / send again what the log says went out")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
