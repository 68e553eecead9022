"""The commands of a month: init, check, generate, import, score, rollup."""
from __future__ import annotations

import functools
from pathlib import Path

from .. import __version__
from ..core.errors import KpiError, Problem
from ..mail import load_config
from ..month.closed import summary_changed
from ..month.generate import baselines_to_import, generate, select
from ..month.guard import anchor_problems
from ..month.imports import import_file
from ..month.score import formula_modes, month_modes, score_month, scored_json
from ..month.upgrade import month_folders
from ..payroll.rollup import rollup, rollup_records
from ..payroll.summary import summary_path, write_summary
from ..store import open_store
from ..store.audit import file_digest
from ..store.backups import backups
from ..workspace import init_workspace
from ..workspace.examples import example_steps, examples
from .common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    TABLE_ROWS,
    add,
    console,
    err_console,
    exit_with,
    jobs_arg,
    loaded,
    month_arg,
    print_json_list,
    print_modes,
    print_problems,
    score_table,
    with_progress,
    workspace_of,
)


def cmd_init(args) -> int:
    ws, kept = init_workspace(Path(args.dir), args.example)
    for name in kept:
        console.print(f"保留已有文件 / kept existing {ws.root / name}")
    console.print(f"工作区已就绪 / workspace ready: {ws.root.resolve()}")
    console.print("  plan.yaml   考核方案（可编辑 / edit it）\n  roster.xlsx 花名册\n  workbooks/  每月考核表")
    if args.example:
        ex = examples()[args.example]
        console.print(f"  data/       示例数据 / sample data ({'、'.join(ex.months)})\n\n示例 / example: {ex.title}\n"
                      f"{ex.summary}\n\n接着运行 / then run, in {ws.root}:", soft_wrap=True)
        for step in example_steps(args.example, ws.root):
            console.print(f"  {step}", markup=False)
    return EXIT_OK


def cmd_check(args) -> int:
    ws, plan, roster = loaded(args)
    console.print(f"方案有效 / plan OK: {plan.name}, {len(plan.roles)} 个岗位 / roles")
    for w in ws.plan_warnings():
        console.print(f"[yellow]提示 / warning: {w}[/yellow]", soft_wrap=True)
    console.print(f"花名册有效 / roster OK: {len(roster)} 人 / employees")
    if (ws.root / "mail.yaml").exists():
        config = load_config(ws)
        console.print("邮件配置有效 / mail.yaml OK")
        if config.attachments.password == "none":
            console.print("[yellow]提示 / warning: mail.yaml 的 attachments.password 为 none：成绩单与工资汇总以不加密的附件"
                          "发出；建议改为 random（每人一个密码，另发邮件告知）或 id_number / attachments carrying pay are not "
                          "encrypted[/yellow]", soft_wrap=True)
    for rid, role in plan.roles.items():
        n = sum(e.role == rid for e in roster)
        if n != role.headcount:
            console.print(f"[yellow]提示 / note: {role.name} 编制{role.headcount}人，花名册{n}人 / "
                          f"headcount {role.headcount}, roster {n}[/yellow]")
    months = [args.month] if args.month else sorted(p.name for p in ws.root.joinpath("workbooks").glob("????-??"))[-1:]
    for month in months:
        print_modes(month, month_modes(ws, month))
        print_baselines(baselines_to_import(ws, plan, roster, month), month)
    store = open_store(ws.root)
    broken = [Problem("audit_broken", f"审计记录被改动或删除 / the audit trail was tampered with: {why}",
                      file=str(ws.root / "xl_kpi.db")) for why in store.audit_problems()]
    closed = [c for m in month_folders(ws) if store.closed(m) for c in [summary_changed(ws, m)] if c]
    anchored = anchor_problems(ws)  # a record older than a close, or a chain rewritten since one
    if broken or closed or anchored:
        raise KpiError(broken + closed + anchored)
    console.print("审计记录完整 / audit trail intact")
    return EXIT_OK


def cmd_generate(args) -> int:
    ws, plan, roster = loaded(args)
    people = select(roster, args.employee, args.role)
    report = with_progress(len(people), "生成 / generating",
                            lambda advance: generate(ws, plan, people, args.month, args.formulas, args.force,
                                                     args.protect_password, advance, everyone=roster, jobs=args.jobs))
    console.print(f"已生成 {len(report.written)} 个工作簿 / wrote {len(report.written)} workbook(s) in "
                  f"{ws.month_dir(args.month)}；保留已填写的值 {report.kept_inputs} 个 / kept {report.kept_inputs} typed value(s)")
    for b in report.backups:
        console.print(f"  备份 / backup: {b}")
    print_baselines(report.baselines, args.month)
    return exit_with(report.problems)


def print_baselines(needed, month: str) -> None:
    """The baselines HR must import before the month scores (the first month of a growth metric)."""
    if not needed:
        return
    err_console.print(f"[yellow]提示 / note: 以下指标没有上一周期的实际值，也没有方案中的基准，{month}评分前请先导入基准"
                      f"（导入文件的“类型”列填“基准”） / import these baselines before scoring {month}:[/yellow]")
    for e, names in needed[:20]:
        err_console.print(f"  {e.name}（{e.id}）：{'、'.join(names)}", markup=False)
    if len(needed) > 20:
        err_console.print(f"  …另有{len(needed) - 20}人 / and {len(needed) - 20} more", markup=False)


def cmd_import(args) -> int:
    ws, plan, roster = loaded(args)
    report = with_progress(len(roster), "导入 / importing", lambda advance: import_file(
        ws, plan, roster, Path(args.file), args.month, args.formulas, args.skip_bad, args.jobs, advance))
    console.print(f"已导入 {report.rows} 行，{report.employees} 人 / imported {report.rows} row(s) for "
                  f"{report.employees} employee(s)")
    if report.skipped:
        err_console.print(f"[yellow]跳过 {len(report.skipped)} 行 / skipped {len(report.skipped)} bad row(s):[/yellow]")
        print_problems(report.skipped)
    return exit_with(report.generate.problems)


def cmd_score(args) -> int:
    ws, plan, roster = loaded(args)
    results = with_progress(len(roster), "评分 / scoring",
                             lambda advance: score_month(ws, plan, roster, args.month, advance, args.jobs))
    problems = [p for s in results for p in s.problems]
    print_modes(args.month, formula_modes(results))
    if args.json:
        print_json_list(scored_json(s, plan) for s in results)
    else:
        for s in results if len(results) <= TABLE_ROWS else []:  # a line of points each, for a readable few
            if s.card and s.card.score is not None:
                pts = ", ".join(f"{m.name} {m.points:g}" for m in s.card.metrics.values() if m.points is not None)
                console.print(f"[dim]{s.employee.id} {s.employee.name}: {pts}[/dim]", soft_wrap=True)
        console.print(score_table(f"{plan.department} {args.month} 评分 / scores", results, plan))
        scored = sum(s.card is not None and s.card.score is not None for s in results)
        console.print(f"{scored}/{len(results)} 人已评分 / scored; {len(problems)} 个问题 / problem(s)")
        if problems:
            print_problems(problems)
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_rollup(args) -> int:
    ws, plan, roster = loaded(args)
    work = functools.partial(rollup, accept_problems=args.accept_problems, jobs=args.jobs)
    result = with_progress(len(roster), "汇总 / rolling up", work, ws, plan, roster, args.month)
    problems = result.all_problems
    if args.strict and problems:
        err_console.print(f"[red]--strict：有 {len(problems)} 个问题，未写入工资汇总 / {len(problems)} problem(s); "
                          "nothing written[/red]")
        print_problems(problems)
        return EXIT_PROBLEMS
    closed = open_store(ws.root).closed(args.month)
    path = summary_path(ws, args.month)
    if closed is None:
        write_summary(result, path)
        paid = sum(s.card.pay.total for s in result.entries if result.paid(s))
        open_store(ws.root).audit("rollup", [(args.month, "", "工资汇总", "", f"{paid:.2f}", file_digest(path))])
    else:  # the closed payroll stands; whatever changed since shows as problems below
        err_console.print(f"{args.month}已于{closed.at[:10]}结账，工资汇总未改写 / {args.month} is closed: the payroll "
                          f"summary is kept as closed")
    held = [s.employee.id for s in result.entries if result.held(s)]
    if args.json:
        print_json_list(rollup_records(result))
        print_problems(problems)
        return EXIT_PROBLEMS if held or result.problems else EXIT_OK
    console.print(score_table(f"{plan.department} {args.month} 工资汇总 / payroll", result.entries, plan))
    total = sum(s.card.pay.total for s in result.entries if result.paid(s))
    console.print(f"应发合计 / total pay: {total:,.2f}" + (f"（{len(held)}人待核，未计入 / {len(held)} held, not "
                                                          f"included: {', '.join(held)}）" if held else ""))
    for q in result.quotas:
        if q.over:
            console.print(f"[yellow]强制分布：{q.grade} {q.count}人，上限{q.allowed}人 / over quota; "
                          f"边缘 / at the margin: {', '.join(q.margin)}[/yellow]")
    console.print(f"工资汇总 / payroll summary: {path}")
    if problems:
        console.print(f"[yellow]{len(problems)} 个问题，已列在「问题」表 / problem(s), listed in sheet 问题[/yellow]")
        print_problems(problems)
    if result.notices:
        console.print(f"[yellow]{len(result.notices)} 人的工资与旧版本的汇总不同（未待核，已列在「问题」表） / "
                      f"{len(result.notices)} pay line(s) differ from an earlier release's roll-up[/yellow]")
        print_problems(result.notices)
    if held:
        console.print(f"[yellow]待核 {len(held)} 人：修正后重新汇总，或加 --accept-problems 照发 / {len(held)} pay line(s) "
                      f"held: fix and roll up again, or pay anyway with --accept-problems[/yellow]")
    return EXIT_PROBLEMS if held or result.problems else EXIT_OK  # held lines, or a file to look at


def cmd_upgrade(args) -> int:
    """The upgrade itself ran before the command (as before any command): say where the workspace stands."""
    ws = workspace_of(args)
    store = open_store(ws.root)
    console.print(f"工作区为版本{store.setting('workspace_version') or __version__}的数据，本程序为{__version__}；"
                  f"HR的记录结构{store.conn.execute('PRAGMA user_version').fetchone()[0]} / the workspace is up to date "
                  f"with xl_kpi {__version__}")
    saved = backups(ws.root)
    if saved:
        console.print(f"HR的记录的副本 / copies of the record: {len(saved)}，最新 / newest: {saved[-1]}")
    return EXIT_OK


EXAMPLES = {
    "upgrade": "示例 / example:\n  xl-kpi upgrade --dir ~/kpi   # 升级新版本后: 备份 xl_kpi.db, 记入各月工作簿生成时的公式, 说明做了什么\n"
               "  (任何命令第一次遇到旧版本的工作区时都会先这样做 / any command does this first on an earlier release's "
               "workspace)",
    "init": "示例 / example:\n  xl-kpi init ~/kpi   # 新建工作区, 含内置方案与示例花名册\n"
            "  xl-kpi init ~/bianji --example bianji   # 从编辑考核方案的示例开始",
    "check": "示例 / example:\n  cd ~/kpi && xl-kpi check   # 校验 plan.yaml 与 roster.xlsx, 有问题时退出码为2\n"
             "  xl-kpi check --month 2026-10   # 并列出10月工作簿的公式方式，混用时警告",
    "generate": "示例 / example:\n  xl-kpi generate --month 2026-10                   # 全员, 原生公式: Excel/WPS/LibreOffice/手机均可计算\n"
                "  xl-kpi generate --month 2026-10 --formulas udf    # 加载项函数 =KPI_SCORE(), 只用于装有加载项的Excel\n"
                "  xl-kpi generate --month 2026-10 --employee E004 --force",
    "import": "示例 / example:\n  xl-kpi import 10月数据.csv --month 2026-10\n"
              "  xl-kpi import 公众号后台导出.xlsx --month 2026-10 --skip-bad   # 列名映射见 mapping.yaml\n"
              "  xl-kpi import 10月加减分.csv --month 2026-10   # 列：工号，日期，项目，数量（次数|名次），分值，说明（备注）；人力资源部的记录，"
              " 替换文件中各人本月的加减分",
    "score": "示例 / example:\n  xl-kpi score --month 2026-10\n  xl-kpi score --month 2026-10 --json > scores.json",
    "rollup": "示例 / example:\n  xl-kpi rollup --month 2026-10            # 写 workbooks/2026-10/工资汇总-2026-10.xlsx\n"
              "  xl-kpi rollup --month 2026-10 --strict   # 有任何问题则不写入，退出码2\n"
              "  xl-kpi rollup --month 2026-10 --accept-problems   # 有问题的人也照发，问题印在汇总表上\n"
              "  xl-kpi rollup --month 2026-10 --json > payroll.json",
}


def register(sub) -> None:
    p = add(sub, "init", cmd_init, "新建工作区 / create a workspace (plan.yaml, roster.xlsx, workbooks/)")
    p.epilog += "\n\n方案示例 / example plans (--example NAME):\n" + "\n".join(
        f"  {name:<10} {ex.title}" for name, ex in examples().items())
    p.add_argument("dir", metavar="DIR", help="工作区目录 / workspace folder")
    p.add_argument("--example", metavar="NAME", help="从方案示例开始：方案、花名册与几个月的示例数据 / start from an "
                   "example plan with its roster and months of sample data")
    p = add(sub, "upgrade", cmd_upgrade, "把旧版本建立的工作区升级到本版本 / bring a workspace made by an earlier "
                                         "release up to this one")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    p = add(sub, "check", cmd_check, "校验方案与花名册 / validate the plan and the roster")
    p.add_argument("--month", type=month_arg, help="并列出该月工作簿的公式方式（默认最近一个月） / also list that month's "
                   "formula modes (default: the latest month)")
    p.add_argument("--dir", default=".", help="工作区目录，默认当前目录 / workspace folder (default: .)")
    p = add(sub, "generate", cmd_generate, "生成每人一份月度考核表 / write each employee's monthly workbook")
    p.add_argument("--month", required=True, type=month_arg, help="月份 YYYY-MM")
    p.add_argument("--employee", help="只生成此工号 / only this employee id")
    p.add_argument("--role", help="只生成此岗位 / only this role id")
    p.add_argument("--formulas", choices=("native", "udf"), default="native",
                   help="native（默认）：原生公式，Excel/WPS/LibreOffice/手机均可计算，无需加载项；udf：=KPI_SCORE() 等"
                        "加载项函数，仅用于装有 xl_kpi 加载项的 Excel / native (default): plain formulas that compute in "
                        "any spreadsheet app; udf: the add-in's functions, for Excel with the xl_kpi add-in only")
    p.add_argument("--force", action="store_true", help="重新开始，旧文件留作备份 / start over; the old file is kept as a backup")
    p.add_argument("--protect-password", help="工作表保护密码（默认无） / sheet protection password (default none)")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
    p = add(sub, "import", cmd_import, "导入运营数据到考核表 / fill the workbooks from a data export")
    p.add_argument("file", metavar="FILE", help="CSV或xlsx，UTF-8或GBK；列：工号，指标，数值[，周，类型]；或加减分："
                   "工号，日期，项目，数量（或次数、名次），分值，说明（或备注）")
    p.add_argument("--month", required=True, type=month_arg, help="月份 YYYY-MM")
    p.add_argument("--skip-bad", action="store_true", help="跳过有问题的行，写入其余 / write the good rows, skip bad ones")
    p.add_argument("--formulas", choices=("native", "udf"), default="native",
                   help="尚未生成的工作簿的公式方式（默认native）；已有工作簿保持原方式 / formulas of workbooks not yet "
                        "generated (default native); existing ones keep theirs")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
    p = add(sub, "score", cmd_score, "读取当月考核表并评分 / score the month's workbooks")
    p.add_argument("--month", required=True, type=month_arg, help="月份 YYYY-MM")
    p.add_argument("--json", action="store_true", help="输出JSON / print JSON")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
    p = add(sub, "rollup", cmd_rollup, "汇总当月考核表为工资汇总；有问题的人列为待核、不计入合计，退出码2 / roll the month "
                                  "up into the payroll summary; people with problems are held outside the totals "
                                  "(exit status 2)")
    p.add_argument("--month", required=True, type=month_arg, help="月份 YYYY-MM")
    p.add_argument("--json", action="store_true", help="输出JSON / print JSON")
    p.add_argument("--strict", action="store_true", help="有问题时不写入，退出码2 / fail without writing on any problem")
    p.add_argument("--accept-problems", action="store_true",
                   help="有问题的人照发，问题印在汇总表上 / pay those with problems too, the problems printed beside them")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
