"""The month-end commands after the payroll: close (结账) and reopen, appeals (申诉), improvement plans
(改进计划) and the audit trail."""
from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

from rich.table import Table

from ..close.appeals import decide, file_appeal
from ..close.closing import close_month, reopen_month
from ..core.errors import KpiError, Problem
from ..store import open_store
from ..store.audit import os_user
from ..store.backups import backups, restore, summarize
from ..store.db import DB_NAME
from ..workspace import Workspace
from .common import add as add_command
from .common import console, day_arg, dir_arg, err_console, month_arg

EXAMPLES = {
    "close": "示例 / example:\n  xl-kpi close --month 2026-10                     # 结账: 记录各工作簿、工资与方案, 锁定该月\n"
             "  xl-kpi close --month 2026-10 --accept-problems   # 有待核问题也结账，问题记入结账记录\n"
             "  xl-kpi close --show --month 2026-10              # 查看结账记录（含重开与更正）\n"
             "  xl-kpi close --reopen --month 2026-10 --reason 补录漏报数据",
    "appeal": "示例 / example:\n  xl-kpi appeal add --month 2026-10 --employee E002 --metric reads --reason 后台数据漏算 --claimed 105000\n"
              "  xl-kpi appeal add --month 2026-10 --employee E010 --item typo --reason 非本人稿件 --filed 2026-11-03\n"
              "  xl-kpi appeal list --month 2026-10\n"
              "  xl-kpi appeal decide 1 --accept --value 105000\n"
              "  xl-kpi appeal decide 2 --reject --reason 经核实为本人稿件",
    "plan-followup": "示例 / example:\n  xl-kpi plan-followup add --month 2026-10 --employee E009 --goals 回复条数达到3000 "
                     "--measures 每日早晚各巡检一次社群 --due 2026-12-31\n"
                     "  xl-kpi plan-followup add --month 2026-10 --team E001 --goals 团队互动量回升 --measures 每周复盘选题 "
                     "--due 2026-12-31\n  xl-kpi plan-followup list --open\n  xl-kpi plan-followup close 1 --note 11月已达标",
    "audit": "示例 / example:\n  xl-kpi audit --month 2026-10\n  xl-kpi audit --employee E002 --csv > 审计-E002.csv\n"
             "  xl-kpi audit --verify 857:3f2a…   # 与工资汇总上印的结账审计链核对",
    "restore": "示例 / example:\n  xl-kpi restore             # 列出 backups/ 中的副本, 及恢复每一个会失去什么\n"
               "  xl-kpi restore 3           # 恢复列表中的第3个（会先问；现有记录先另存一份）\n"
               "  xl-kpi restore backups/xl_kpi-20261130-180000-000000-close.db --yes",
}


def register(sub) -> None:
    def add(name: str, func, help_: str):
        p = add_command(sub, name, func, help_)
        dir_arg(p)
        return p

    p = add("close", cmd_close, "结账：锁定已发工资的月份 / close a paid month (or --reopen it, --show its record)")
    p.add_argument("--month", required=True, type=month_arg, help="月份 YYYY-MM")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--show", action="store_true", help="显示结账记录 / print the month's close records")
    what.add_argument("--reopen", action="store_true", help="重开已结账的月份（须 --reason） / reopen a closed month")
    p.add_argument("--accept-problems", action="store_true", help="有待核问题也结账 / close with the open problems")
    p.add_argument("--reason", default="", help="重开的原因 / why it is reopened")

    p = add("appeal", cmd_appeal, "申诉：登记、列出、决定 / appeals: file, list, decide")
    p.add_argument("action", choices=("add", "list", "decide"))
    p.add_argument("number", nargs="?", type=int, help="decide：申诉编号 / the appeal's number")
    p.add_argument("--month", type=month_arg, help="月份 YYYY-MM")
    p.add_argument("--employee", help="工号 / employee id")
    p.add_argument("--metric", help="申诉的指标（编号或名称） / the metric disputed")
    p.add_argument("--item", help="申诉的加减分项目（编号或名称） / the 加减分 item disputed")
    p.add_argument("--reason", default="", help="申诉理由，或驳回理由 / the reason (or why it is rejected)")
    p.add_argument("--claimed", help="员工主张的值 / the value the employee claims")
    p.add_argument("--filed", type=day_arg, help="收到申诉的日期（默认今天） / the day it was received (default today)")
    verdict = p.add_mutually_exclusive_group()
    verdict.add_argument("--accept", action="store_true", help="受理 / accept")
    verdict.add_argument("--reject", action="store_true", help="驳回 / reject")
    p.add_argument("--value", help="受理时更正后的值（默认为申诉值） / the corrected value (default: the claimed one)")

    p = add("plan-followup", cmd_followup, "改进计划：登记、列出、完成 / improvement plans: add, list, close")
    p.add_argument("action", choices=("add", "list", "close"))
    p.add_argument("number", nargs="?", type=int, help="close：编号 / the plan's number")
    p.add_argument("--month", type=month_arg, help="考核月份 YYYY-MM / the month whose result called for it")
    p.add_argument("--employee", help="工号 / employee id")
    p.add_argument("--role", help="add：整个岗位的改进计划（岗位编号） / a role's plan (role id)")
    p.add_argument("--team", metavar="MANAGER_ID", help="add：某位上级团队的改进计划（上级工号） / a manager's team's plan")
    p.add_argument("--goals", default="", help="改进目标 / goals")
    p.add_argument("--measures", default="", help="改进措施 / measures")
    p.add_argument("--due", type=day_arg, help="完成日期 YYYY-MM-DD / due date")
    p.add_argument("--open", action="store_true", help="list：只列未完成的 / only open ones")
    p.add_argument("--note", default="", help="close：完成情况 / how it went")

    p = add("audit", cmd_audit, "审计记录：谁在何时改了什么 / the audit trail")
    p.add_argument("--month", type=month_arg, help="只列此月 / only this month")
    p.add_argument("--employee", help="只列此工号 / only this employee")
    p.add_argument("--csv", action="store_true", help="以CSV输出 / print CSV")
    p.add_argument("--verify", metavar="HASH", help="核对审计链是否含有纸面或邮件上的链头（编号：哈希，如工资汇总上所印） / check "
                   "the chain against a head taken from paper or mail (id:hash)")

    p = add("restore", cmd_restore, "HR的记录：列出备份并恢复 / list the copies of HR's record and restore one")
    p.add_argument("copy", nargs="?", metavar="COPY", help="要恢复的副本（backups/ 中的文件，或其编号） / the copy to restore "
                   "(a file in backups/, or its number in the list)")
    p.add_argument("--yes", action="store_true", help="不询问确认 / do not ask for confirmation")


def _loaded(args):
    ws = Workspace(Path(args.dir))
    plan = ws.plan()
    return ws, plan, ws.roster(plan)


def _need(args, *names: str) -> None:
    missing = [f"--{n.replace('_', '-')}" for n in names if not getattr(args, n)]
    if missing:
        raise KpiError([Problem("argument_missing", f"缺少参数 / missing: {' '.join(missing)}")])


# --------------------------------------------------------------------------- close


def cmd_close(args) -> int:
    ws = Workspace(Path(args.dir))
    if args.show:
        records = open_store(ws.root).closes(args.month)
        if not records:
            console.print(f"{args.month}没有结账记录 / {args.month} has no close record")
            return 0
        table = Table(title=f"{args.month} 结账记录 / close records")
        for col in ("#", "状态 / state", "操作人 / user", "时间 / at", "工作簿 / workbooks", "应发合计 / total pay",
                    "接受的问题 / accepted", "说明 / note"):
            table.add_column(col)
        states = {"closed": "结账", "amended": "更正", "reopened": "重开"}
        for r in records:
            total = sum(float(x["total_pay"]) for x in r.payroll if x.get("status") != "held" and x.get("total_pay"))
            table.add_row(str(r.id), states.get(r.state, r.state), r.user, r.at, str(len(r.workbooks)), f"{total:,.2f}",
                          str(len(r.accepted)), r.note)
        console.print(table)
        console.print(f"方案 / plan sha256: {records[-1].plan_hash[:16]}…")
        return 0
    if args.reopen:
        record = reopen_month(ws, args.month, args.reason)
        console.print(f"{args.month}已重开 / reopened by {record.user} at {record.at}: {record.note}")
        return 0
    plan = ws.plan()
    result = close_month(ws, plan, ws.roster(plan), args.month, args.accept_problems)
    r = result.record
    console.print(f"{args.month}已结账 / closed by {r.user} at {r.at}: {len(r.workbooks)} 个工作簿，工资汇总已设为只读 / "
                  f"workbook(s) recorded, the payroll summary is read-only")
    if result.problems:
        console.print(f"[yellow]接受的问题 / accepted problems: {len(result.problems)}[/yellow]")
        for p in result.problems:
            console.print(f"  {p}", markup=False, soft_wrap=True)
    return 0


# --------------------------------------------------------------------------- appeals


def cmd_appeal(args) -> int:
    if args.action == "list":
        ws = Workspace(Path(args.dir))
        rows = open_store(ws.root).appeals(args.month)
        table = Table(title=f"申诉 / appeals{' ' + args.month if args.month else ''}")
        for col in ("#", "月份", "工号", "对象", "理由", "申诉值", "收到", "状态", "决定", "工资 前→后"):
            table.add_column(col)
        states = {"open": "待决定", "accepted": "受理", "rejected": "驳回"}
        for a in rows:
            pay = f"{a['pay_before']}→{a['pay_after']}" if a["pay_before"] else ""
            table.add_row(str(a["id"]), a["month"], a["employee"], a["target"], a["reason"],
                          "" if a["claimed"] is None else f"{a['claimed']:g}", a["filed_on"], states[a["status"]],
                          a["decision"], pay)
        console.print(table)
        return 0
    ws, plan, roster = _loaded(args)
    if args.action == "add":
        _need(args, "month", "employee")
        number = file_appeal(ws, plan, roster, args.month, args.employee, args.reason, args.metric, args.item,
                             args.claimed, args.filed)
        console.print(f"已登记第{number}号申诉 / appeal #{number} filed")
        return 0
    if args.number is None or not (args.accept or args.reject):
        raise KpiError([Problem("argument_missing", "用法 / usage: xl-kpi appeal decide N --accept [--value V] | "
                                "--reject --reason 理由")])
    d = decide(ws, plan, roster, args.number, args.accept, args.value, args.reason)
    if d.status == "rejected":
        console.print(f"第{d.number}号申诉已驳回 / appeal #{d.number} rejected")
    else:
        console.print(f"第{d.number}号申诉已受理 / accepted: {d.before} → {d.after}；应发 / pay {d.pay_before} → {d.pay_after}")
        if d.correction is not None:
            kind = "补发" if d.correction >= 0 else "扣回"
            console.print(f"{d.month}已结账：{kind} {abs(d.correction):,.2f} 元随{d.payroll_month}工资 / a correction of "
                          f"{d.correction} with the {d.payroll_month} payroll；结账记录已增加更正状态 / the close record "
                          f"keeps both states")
    console.print(f"运行 xl-kpi send --month {d.month} 把决定发给员工 / send the decision with xl-kpi send")
    return 0


# --------------------------------------------------------------------------- improvement plans


def cmd_followup(args) -> int:
    ws = Workspace(Path(args.dir))
    store = open_store(ws.root)
    if args.action == "list":
        table = Table(title="改进计划 / improvement plans")
        for col in ("#", "月份", "工号", "目标", "措施", "完成日期", "状态", "完成情况"):
            table.add_column(col)
        plan = ws.plan()
        roster = ws.roster(plan)
        for f in store.followups(args.employee, args.open):
            table.add_row(str(f["id"]), f["month"], whose_plan(f["employee"], plan, roster), f["goals"], f["measures"],
                          f["due"], "进行中" if f["status"] == "open" else "已完成", f["note"])
        console.print(table)
        return 0
    if args.action == "close":
        if args.number is None or not store.close_followup(args.number, args.note):
            raise KpiError([Problem("followup_unknown", f"没有进行中的第{args.number}号改进计划 / no open plan #{args.number}")])
        store.audit("plan-followup close", [("", "", f"改进计划第{args.number}号", "进行中", args.note or "已完成", "")])
        console.print(f"第{args.number}号改进计划已完成 / closed")
        return 0
    _need(args, "month", "goals", "measures", "due")
    plan = ws.plan()
    roster = ws.roster(plan)
    key = _plan_owner(args, plan, roster)
    number = store.add_followup(args.month, key, args.goals.strip(), args.measures.strip(), args.due.isoformat(),
                                os_user())
    store.audit("plan-followup add", [(args.month, key, f"改进计划第{number}号", "", args.goals.strip(), "")])
    console.print(f"已登记第{number}号改进计划（{whose_plan(key, plan, roster)}），下月工作簿的「说明」会列出 / "
                  f"plan #{number} recorded; next month's workbooks list it")
    return 0


def _plan_owner(args, plan, roster) -> str:
    """Whose plan: an employee (工号), a role's people (role:<id>) or a manager's team (team:<their e-mail>)."""
    given = [k for k in ("employee", "role", "team") if getattr(args, k)]
    if len(given) != 1:
        raise KpiError([Problem("followup_invalid", "请给出 --employee、--role 或 --team 之一 / give one of --employee, "
                                "--role, --team")])
    if args.role:
        if args.role not in plan.roles:
            raise KpiError([Problem("followup_invalid", f"岗位“{args.role}”不在方案中（有：{'、'.join(plan.roles)}） / "
                                    f"unknown role {args.role}")])
        return f"role:{args.role}"
    who = args.employee or args.team
    lead = next((e for e in roster if e.id == who), None)
    if lead is None:
        raise KpiError([Problem("followup_invalid", f"花名册中没有工号“{who}” / no employee {who}")])
    if args.employee:
        return lead.id
    if not lead.email:
        raise KpiError([Problem("followup_invalid", f"{lead.name}（{lead.id}）在花名册中没有邮箱，无从找到其团队 / "
                                f"{lead.id} has no e-mail on the roster to find the team by")])
    return f"team:{lead.email.lower()}"


def whose_plan(key: str, plan, roster) -> str:
    """An improvement plan's owner as people read it: 吴倩（E010）, 岗位：微信编辑, 团队：张明（E001）."""
    if key.startswith("role:"):
        role = key[5:]
        return f"岗位：{plan.roles[role].name if role in plan.roles else role}"
    if key.startswith("team:"):
        lead = next((e for e in roster if e.email.lower() == key[5:]), None)
        return f"团队：{lead.name}（{lead.id}）" if lead else "团队：花名册外的上级"
    e = next((x for x in roster if x.id == key), None)
    return f"{e.name}（{e.id}）" if e else key


# --------------------------------------------------------------------------- audit


AUDIT_HEADER = ["#", "时间", "操作人", "命令", "月份", "工号", "字段", "原值", "新值", "文件哈希", "版本"]


def cmd_audit(args) -> int:
    store = open_store(Path(args.dir))
    entries = store.audit_entries(args.month, args.employee)
    rows = [[str(e.id), e.at, e.user, e.command, e.month, e.employee, e.field, e.before, e.after, e.file_hash[:12],
             e.version] for e in entries]
    if args.verify:
        why = store.verify_head(args.verify)
        if why:
            err_console.print(f"[red]审计链与 {args.verify} 不符 / the chain does not hold that head: {why}[/red]",
                              soft_wrap=True)
            return 2
        console.print(f"审计链完整，且含有 {args.verify} / the chain is whole and holds that head")
        return 0
    if args.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(AUDIT_HEADER)
        writer.writerows([[safe_cell(v) for v in r] for r in rows])
        sys.stdout.write(buf.getvalue())
    else:
        table = Table(title="审计记录 / audit trail")
        for col in AUDIT_HEADER:
            table.add_column(col)
        for r in rows:
            table.add_row(*r)
        console.print(table)
    broken = store.audit_problems()
    for why in broken:
        err_console.print(f"[red]审计记录不完整 / the trail is broken: {why}[/red]")
    return 2 if broken else 0


# --------------------------------------------------------------------------- HR's record: the copies


def cmd_restore(args) -> int:
    root = Path(args.dir)
    current = root / DB_NAME
    copies = backups(root)
    if args.copy is None:
        if not copies:
            console.print("backups/ 中没有副本 / no copies in backups/")
            return 0
        table = Table(title="HR的记录的副本 / copies of HR's record")
        for col in ("#", "副本 / copy", "审计条数", "最后一条", "已结账", "恢复会失去 / lost by restoring"):
            table.add_column(col)
        for i, c in enumerate(summarize(p, current) for p in copies):
            lost = "已损坏 / damaged" if c.damaged else (
                f"{c.lost_entries}条审计记录" + (f"，结账：{'、'.join(c.lost_closes)}" if c.lost_closes else ""))
            table.add_row(str(i + 1), c.path.name, str(c.entries), c.last, "、".join(c.closes), lost)
        console.print(table)
        return 0
    chosen = copies[int(args.copy) - 1] if args.copy.isdigit() and 0 < int(args.copy) <= len(copies) else Path(args.copy)
    c = summarize(chosen, current)
    if c.damaged or not chosen.is_file():
        raise KpiError([Problem("copy_unusable", f"副本无法使用：{c.damaged or '找不到'} / the copy cannot be used",
                                file=str(chosen))])
    console.print(f"恢复 {chosen.name}：{c.entries}条审计记录，最后一条 {c.last}；会失去现有记录中的{c.lost_entries}条审计记录"
                  + (f"（{'；'.join(c.lost_commands)}…）" if c.lost_commands else "")
                  + (f"，以及{'、'.join(c.lost_closes)}的结账" if c.lost_closes else "")
                  + " / restoring loses what the record in use holds beyond the copy", soft_wrap=True)
    if not args.yes:
        if not sys.stdin.isatty():
            err_console.print("需要确认：在终端中运行，或加 --yes / confirmation needed: run in a terminal or add --yes")
            return 2
        if input("确认恢复？ / restore now? [y/N] ").strip().lower() not in ("y", "yes", "是"):
            console.print("未恢复 / nothing restored")
            return 0
    kept = restore(root, chosen, current)
    console.print(f"已恢复 / restored {chosen.name}" + (f"；原记录另存为 / the record it replaced: {kept}" if kept else ""))
    return 0


def safe_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (a formula, =HYPERLINK(…) in an
    appeal's reason) gets a leading '; a plain number such as -5 stays a number."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
