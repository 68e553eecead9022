"""Rating rounds: ratings (the forms), collect (returns in), status, remind."""
from __future__ import annotations

from pathlib import Path

from rich.table import Table

from .. import mail
from ..core.errors import KpiError, Problem
from ..mail.forms import build_forms, unlocker
from ..mail.imap import fetch
from ..ratings.collect import STATUS_ZH, collect
from ..ratings.rounds import build_round, check_round, excuse
from ..ratings.sources import from_folder, from_message
from ..ratings.status import counts_of, round_status, sent_since
from ..ratings.summary import write_round_summary
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    add,
    console,
    dir_arg,
    exit_with,
    loaded,
    month_arg,
    period_arg,
    progress_bar,
    with_progress,
    workspace_of,
)
from .send import deliver


def round_of(args) -> str:
    return check_round(args.month or args.period)


def cmd_ratings(args) -> int:
    ws, plan, roster = loaded(args)
    key = round_of(args)
    if args.excuse:
        name = excuse(ws, plan, roster, key, args.excuse, args.reason)
        console.print(f"{name}已免评，{key}的考核小组等评分按其余评分人计算 / {args.excuse} excused from {key}")
        return EXIT_OK
    report = with_progress(len(roster), "生成评分表 / building the forms",
                           lambda advance: build_round(ws, plan, roster, key, advance))
    console.print(report.summary())
    if report.written:
        console.print(f"评分表 / forms: {report.written[0].parent}")
        console.print(f"发送 / to mail them: xl-kpi send --ratings {key} --dir {ws.root}")
    return exit_with(report.problems)


def cmd_collect(args) -> int:
    ws, plan, roster = loaded(args)
    key = round_of(args)
    config = mail.load_config(ws)
    if args.imap:
        incoming = fetch(config, sent_since(ws, key))
    else:
        source = Path(args.source or config.returns_folder or "")
        if not args.source and not config.returns_folder:
            raise KpiError([Problem("collect_source", "请给出收回的文件夹或 .eml 文件，或加 --imap 从收件箱收取（也可在 "
                                    "mail.yaml 中设置 returns_folder） / give a folder or .eml file, or --imap")])
        if not source.exists():
            raise KpiError([Problem("collect_source", f"找不到 {source} / not found", file=str(source))])
        incoming = from_folder(source) if source.is_dir() else from_message(source.read_bytes(), str(source))
    advance, stop, _ = progress_bar(0, "收回 / collecting")
    try:
        report = collect(ws, plan, roster, key, incoming, unlocker(ws, key, config), advance)
    finally:
        stop()
    table = Table(title=f"{key} 收回 / returns")
    for col in ("文件 / file", "类别", "谁", "结果", "说明"):
        table.add_column(col)
    for o in report.outcomes[:200]:
        table.add_row(Path(o.where).name, {"form": "评分表", "workbook": "工作簿"}.get(o.kind, "—"), o.who or "—",
                      STATUS_ZH[o.status], "；".join(p.message.split(" / ")[0] for p in o.problems)[:120])
    console.print(table)
    console.print(report.summary())
    console.print(f"收到的文件原样保存在 / every file kept as it arrived: {ws.root / 'returns' / key}")
    if report.summary_file:
        console.print(f"评分汇总（仅供人力资源部） / every rater's scores, for HR only: {report.summary_file}")
    problems = [p for o in report.outcomes for p in o.problems]
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_status(args) -> int:
    ws, plan, roster = loaded(args)
    key = round_of(args)
    statuses = round_status(ws, key)
    table = Table(title=f"{key} 评分表收回情况 / where the round stands")
    for col in ("评分人", "姓名", "应评", "已发送", "状态", "收回时间", "说明"):
        table.add_column(col)
    for s in statuses:
        table.add_row(s.rater, s.name, str(s.asked), "是" if s.sent else "否", s.state_zh, s.returned_at[:16] or "—",
                      s.note[:60] or "")
    console.print(table)
    console.print("，".join(f"{k}{v}份" for k, v in counts_of(statuses)) or f"{key}还没有评分表 / no forms yet")
    summary = write_round_summary(ws, plan, roster, key, statuses)
    if summary:
        console.print(f"评分汇总（仅供人力资源部） / every rater's scores, for HR only: {summary}")
    return EXIT_OK


def cmd_remind(args) -> int:
    ws = workspace_of(args)
    key = round_of(args)
    config = mail.load_config(ws)
    return deliver(ws, key, config, build_forms(ws, key, config, reminder=True), args,
                   f"xl-kpi remind --{'month' if args.month else 'period'} {key}")


def _round_args(p) -> None:
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", type=month_arg, help="月度轮次 YYYY-MM / a month's round")
    which.add_argument("--period", type=period_arg, help="期间轮次 2026-Q4 | 2026-H2 | 2026 / a period's round")


EXAMPLES = {
    "ratings": "示例 / example:\n  xl-kpi ratings --month 2026-10      # 每位评分人一张评分表: workbooks/评分表/2026-10/\n"
               "  xl-kpi ratings --period 2026-Q4     # 季度评分（期间考核的评分）\n"
               "  xl-kpi ratings --month 2026-10 --excuse E003 --reason 休产假   # 免评，记入审计记录",
    "collect": "示例 / example:\n  xl-kpi collect ~/Downloads/评分表 --month 2026-10   # 保存的附件或 .eml 所在文件夹\n"
               "  xl-kpi collect 回复.eml --month 2026-10\n"
               "  XL_KPI_IMAP_PASSWORD=... xl-kpi collect --imap --month 2026-10   # 从收件箱收取（只读，不删邮件）",
    "status": "示例 / example:\n  xl-kpi status --month 2026-10   # 每份评分表: 已发送 / 已收回 / 未交 / 被拒收",
    "remind": "示例 / example:\n  xl-kpi remind --month 2026-10 --yes        # 提醒未交的评分人, 每人每天至多一次\n"
              "  xl-kpi remind --month 2026-10 --dry-run outbox",
}


def register(sub) -> None:
    p = add(sub, "ratings", cmd_ratings, "生成评分表：每位评分人一张 / build a rating form per rater")
    _round_args(p)
    p.add_argument("--excuse", metavar="RATER", help="免评：此评分人（工号或邮箱）退出本轮 / take a rater out of the round")
    p.add_argument("--reason", default="", help="免评原因，记入审计记录 / why (kept in the audit trail)")
    dir_arg(p)
    p = add(sub, "collect", cmd_collect, "收回评分表与工作簿 / collect returned forms and workbooks")
    p.add_argument("source", nargs="?", help="文件夹或 .eml 文件 / a folder or an .eml file")
    p.add_argument("--imap", action="store_true", help="从 mail.yaml 的收件箱收取 / from the mailbox in mail.yaml")
    _round_args(p)
    dir_arg(p)
    p = add(sub, "status", cmd_status, "评分表收回情况 / where a rating round stands")
    _round_args(p)
    dir_arg(p)
    p = add(sub, "remind", cmd_remind, "提醒未交评分表的评分人 / remind the raters still missing")
    _round_args(p)
    p.add_argument("--dry-run", metavar="DIR", help="写 .eml 文件到 DIR，不发送 / write .eml files to DIR instead")
    p.add_argument("--yes", action="store_true", help="不询问确认 / do not ask for confirmation")
    dir_arg(p)
