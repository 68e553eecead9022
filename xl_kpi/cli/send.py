"""``xl-kpi send``: the month's results by mail, or a rating round's forms."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

from .. import mail
from ..core.errors import KpiError, Problem
from ..mail.config import password_owner
from ..system.secrets import keep_in_keyring
from ..mail.forms import build_forms
from ..ratings.rounds import check_round
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
    if args.ratings:
        key = check_round(args.ratings)
        return deliver(ws, key, config, build_forms(ws, key, config), args, f"xl-kpi send --ratings {key}")
    roster = ws.roster(ws.plan())
    mailing = with_progress(len(roster), "准备邮件 / building the mails",
                             lambda advance: mail.build(ws, args.month, config, jobs=args.jobs, progress=advance))
    return deliver(ws, args.month, config, mailing, args, f"xl-kpi send --month {args.month}")


def cmd_mail(args) -> int:
    """xl-kpi mail password: the mailbox password into the system keyring, where send, collect --imap and the
    ribbon's 发送 and 收回 read it (a Python Excel starts sees no variable set in a terminal)."""
    ws = workspace_of(args)
    config = mail.load_config(ws)
    owner = password_owner(config, imap=args.imap)
    if not owner:
        raise KpiError([Problem("imap_user", "mail.yaml 的 imap.username 为空，无从保存收件箱密码 / imap.username is empty",
                                file=str(ws.root / "mail.yaml"))])
    box = "收件箱（IMAP）" if args.imap else "发件（SMTP）"
    if args.delete:
        keep_in_keyring(owner, None)
        console.print(f"已从系统密钥库删除{owner}的{box}密码 / removed the password of {owner}")
        return EXIT_OK
    secret = getpass.getpass(f"{owner}的{box}密码 / password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise KpiError([Problem("password_empty", "没有输入密码，未保存 / no password given: nothing kept")])
    keep_in_keyring(owner, secret)
    console.print(f"已把{owner}的{box}密码保存在系统密钥库（服务 xl_kpi） / kept in the system keyring, service xl_kpi")
    return EXIT_OK


def deliver(ws, key: str, config, mailing, args, again: str) -> int:
    """List what is to go, ask (unless --yes), send what the log has not seen go out, and say how to resume."""
    console.print(mailing.summary())
    if mailing.skipped:
        err_console.print("[yellow]跳过 / skipped:[/yellow]")
        print_problems(mailing.skipped)
    if args.dry_run:
        paths = mail.write_eml(mailing, Path(args.dry_run))
        console.print(f"演练：已写入 {len(paths)} 个 .eml，未发送 / dry run: wrote {len(paths)} .eml file(s) "
                      f"to {Path(args.dry_run).resolve()}, nothing sent")
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            err_console.print("需要确认：在终端中运行，或加 --yes / confirmation needed: run in a terminal or add --yes")
            return EXIT_PROBLEMS
        if input("确认发送？ / send now? [y/N] ").strip().lower() not in ("y", "yes", "是"):
            console.print("未发送 / nothing sent")
            return EXIT_OK
    log = mail.SendLog(open_store(ws.root), key)
    report = with_progress(len(mailing.messages), "发送 / sending", mail.send, mailing, config, log,
                           getattr(args, "resend", False))
    console.print(report.message)
    for k, error in report.failed:
        err_console.print(f"  {k}: {error}", markup=False)
    if report.stopped:
        err_console.print(f"恢复命令 / to resume: {again} --dir {ws.root}", markup=False)
    console.print(f"发送记录 / send log: {log.store.path} (sends)")
    return EXIT_PROBLEMS if report.failed else EXIT_OK


EXAMPLES = {
    "send": "示例 / example:\n  xl-kpi send --month 2026-10 --dry-run outbox   # 只写 .eml 文件, 不发送\n"
            "  XL_KPI_SMTP_PASSWORD=... xl-kpi send --month 2026-10       # 列出收件人并确认后发送\n"
            "  xl-kpi send --month 2026-10 --yes --resend                # 不询问，全部重发\n"
            "  xl-kpi send --ratings 2026-10 --yes                       # 发评分表（先运行 xl-kpi ratings）",
    "mail": "示例 / example:\n  xl-kpi mail password            # 输入发件邮箱密码, 存入系统密钥库(Windows 凭据管理器)\n"
            "  xl-kpi mail password --imap     # 收件箱（收回评分表）的密码\n"
            "  xl-kpi mail password --delete   # 删除已保存的密码",
}


def register(sub) -> None:
    m = add(sub, "mail", cmd_mail, "邮箱密码存入系统密钥库，供发送、收回和加载项使用 / keep the mailbox password in the "
                                   "system keyring for send, collect and the ribbon")
    m.add_argument("action", choices=["password"], help="password：保存密码 / keep the password")
    m.add_argument("--imap", action="store_true", help="收件箱（IMAP）的密码 / the IMAP mailbox's password")
    m.add_argument("--delete", action="store_true", help="删除已保存的密码 / remove it")
    m.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    p = add(sub, "send", cmd_send, "把考核结果发给员工、上级与人力资源部，或发评分表 / mail the month's results, or the "
                                   "rating forms")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", type=month_arg, help="月份 YYYY-MM")
    which.add_argument("--ratings", metavar="ROUND", help="发此轮的评分表：2026-10 或 2026-Q4 / mail a round's forms")
    p.add_argument("--dry-run", metavar="DIR", help="写 .eml 文件到 DIR，不发送 / write .eml files to DIR instead")
    p.add_argument("--yes", action="store_true", help="不询问确认 / do not ask for confirmation")
    p.add_argument("--resend", action="store_true", help="忽略发送记录，全部重发 / send again what the log says went out")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
