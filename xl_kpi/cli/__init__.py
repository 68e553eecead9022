"""The ``xl-kpi`` command. Each subcommand is a thin layer over the modules."""
from __future__ import annotations

import argparse
import functools
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .core.errors import KpiError, Problem
from .lock import workspace_lock
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
    ws, kept = init_workspace(Path(args.dir), args.example)
    for name in kept:
        console.print(f"保留已有文件 / kept existing {ws.root / name}")
    console.print(f"工作区已就绪 / workspace ready: {ws.root.resolve()}")
    console.print("  plan.yaml   考核方案 (可编辑 / edit it)\n  roster.xlsx 花名册\n  workbooks/  每月考核表")
    if args.example:
        from .workspace import example_steps, examples

        ex = examples()[args.example]
        console.print(f"  data/       示例数据 / sample data ({'、'.join(ex.months)})\n\n示例 / example: {ex.title}\n"
                      f"{ex.summary}\n\n接着运行 / then run, in {ws.root}:", soft_wrap=True)
        for step in example_steps(args.example, ws.root):
            console.print(f"  {step}", markup=False)
    return EXIT_OK


def cmd_check(args) -> int:
    ws, plan, roster = _loaded(args)
    console.print(f"方案有效 / plan OK: {plan.name}, {len(plan.roles)} 个岗位 / roles")
    for w in ws.plan_warnings():
        console.print(f"[yellow]提示 / warning: {w}[/yellow]", soft_wrap=True)
    console.print(f"花名册有效 / roster OK: {len(roster)} 人 / employees")
    if (ws.root / "mail.yaml").exists():
        from .mail import load_config

        load_config(ws)
        console.print("邮件配置有效 / mail.yaml OK")
    for rid, role in plan.roles.items():
        n = sum(e.role == rid for e in roster)
        if n != role.headcount:
            console.print(f"[yellow]提示 / note: {role.name} 编制{role.headcount}人, 花名册{n}人 / "
                          f"headcount {role.headcount}, roster {n}[/yellow]")
    from .monthly import month_modes

    months = [args.month] if args.month else sorted(p.name for p in ws.root.joinpath("workbooks").glob("????-??"))[-1:]
    for month in months:
        _print_modes(month, month_modes(ws, month))
    from .store import open_store

    broken = open_store(ws.root).audit_problems()
    if broken:
        raise KpiError([Problem("audit_broken", f"审计记录被改动或删除 / the audit trail was tampered with: {why}",
                                file=str(ws.root / "xl_kpi.db")) for why in broken])
    console.print("审计记录完整 / audit trail intact")
    return EXIT_OK


DEMO_MONTHS = ("2026-08", "2026-09", SAMPLE_MONTH)  # the sample history; baselines flow month to month


def cmd_demo(args) -> int:
    """Three sample months: generate, import the data and adjustments, score, roll up; the last month's
    mail (a dry run) and the performance report over the three."""
    from .monthly import generate, import_file, score_month
    from .payroll import rollup, summary_path, write_summary

    ws, _ = init_workspace(Path(args.dir))
    plan = ws.plan()
    roster = ws.roster(plan)
    for step, month in enumerate(DEMO_MONTHS, start=1):
        report = generate(ws, plan, roster, month, "native")
        imported = import_file(ws, plan, roster, data_file(f"actuals-{month}.csv"), month)
        import_file(ws, plan, roster, data_file(f"adjustments-{month}.csv"), month)  # HR's 加减分, recorded
        problems = [p for s in score_month(ws, plan, roster, month) for p in s.problems]
        if problems:
            raise KpiError(problems)
        result = rollup(ws, plan, roster, month)
        write_summary(result, summary_path(ws, month))
        total = sum(s.card.pay.total for s in result.entries)
        console.print(f"{step}. {month}: 生成 / generated {len(report.written)}, 导入 / imported {imported.rows} 行与加减分, "
                      f"评分 / scored, 汇总 / rolled up — 应发合计 / total pay {total:,.2f}")
    month = SAMPLE_MONTH
    console.print(f"{len(DEMO_MONTHS) + 1}. {month} 汇总 / roll-up (名次奖励已计入 / rank bonuses applied):")
    console.print(score_table(f"{plan.department} {month} 绩效与工资 (示例数据 / sample data)", result.entries, plan))
    console.print(f"应发合计 / total pay: {total:,.2f}")
    console.print(f"工资汇总 / payroll summary: {summary_path(ws, month).resolve()}")
    from .report import gather, report_path, write_report

    path = write_report(gather(ws, plan, roster, month), report_path(ws, month), plan)  # six months, as the mail's
    console.print(f"{len(DEMO_MONTHS) + 2}. 绩效报告 / performance report (6 个月, 有数据 / with data "
                  f"{DEMO_MONTHS[0]}–{month}): {path.resolve()}")
    from . import mail

    mailing = mail.build(ws, month, mail.load_config(ws))
    outbox = ws.root / "outbox"
    paths = mail.write_eml(mailing, outbox)
    console.print(f"{len(DEMO_MONTHS) + 3}. 邮件演练 / mail dry run: {len(paths)} 封写入 / messages written to "
                  f"{outbox.resolve()} (未发送 / not sent)")
    console.print(f"工作区 / workspace: {ws.root.resolve()}")
    return EXIT_OK


def _month(text: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"月份应写成 YYYY-MM, 如 2026-10 / month must be YYYY-MM: {text}")
    return text


def _period(text: str) -> str:
    from .core.review import period_months

    try:
        period_months(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text.strip().upper()


def _progress(total: int, label: str):
    """A progress bar on a terminal (and nothing in logs); returns (advance, stop, done). ``advance(n)``
    moves it on; ``advance(0, total=N)`` says how many there are once the work knows (an import, after
    reading its file); ``done()`` is how many went by."""
    from rich.progress import Progress

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


def _with_progress(total: int, label: str, work, *args):
    """Run ``work(*args, advance)`` with a progress bar of ``total`` steps (time left included), then say
    how long it took and the rate."""
    import time

    advance, stop, done = _progress(total, label)
    t0 = time.perf_counter()
    try:
        return work(*args, advance)
    finally:
        stop()
        seconds = time.perf_counter() - t0
        total = done() or total
        if total >= SUMMARY_FROM:
            err_console.print(f"{label}: {total} 个, 用时 {seconds:.1f} 秒, 每秒 {total / seconds:,.0f} 个 / {total} in "
                              f"{seconds:.1f} s, {total / seconds:,.0f} a second")


def _loaded(args):
    ws = _workspace(args)
    plan = ws.plan()
    return ws, plan, ws.roster(plan)


def _exit(problems) -> int:
    """List the problems, if any; exit status 2 with some, 0 without."""
    _print_problems(problems)
    return EXIT_PROBLEMS if problems else EXIT_OK


MODE_NAMES = {"native": "原生公式 native", "udf": "加载项函数 udf", "?": "无法识别 unknown"}


def _print_modes(month: str, modes: dict[str, list[str]]) -> None:
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


def _print_problems(problems) -> None:
    for p in problems:
        err_console.print(f"  {p}", markup=False, soft_wrap=True)


def cmd_generate(args) -> int:
    from .monthly import generate, select

    ws, plan, roster = _loaded(args)
    people = select(roster, args.employee, args.role)
    report = _with_progress(len(people), "生成 / generating",
                            lambda advance: generate(ws, plan, people, args.month, args.formulas, args.force,
                                                     args.protect_password, advance, everyone=roster, jobs=args.jobs))
    console.print(f"已生成 {len(report.written)} 个工作簿 / wrote {len(report.written)} workbook(s) in "
                  f"{ws.month_dir(args.month)}; 保留已填写的值 {report.kept_inputs} 个 / kept {report.kept_inputs} typed value(s)")
    for b in report.backups:
        console.print(f"  备份 / backup: {b}")
    return _exit(report.problems)


def cmd_import(args) -> int:
    from .monthly import import_file

    ws, plan, roster = _loaded(args)
    report = _with_progress(len(roster), "导入 / importing", lambda advance: import_file(
        ws, plan, roster, Path(args.file), args.month, args.formulas, args.skip_bad, args.jobs, advance))
    console.print(f"已导入 {report.rows} 行, {report.employees} 人 / imported {report.rows} row(s) for "
                  f"{report.employees} employee(s)")
    if report.skipped:
        err_console.print(f"[yellow]跳过 {len(report.skipped)} 行 / skipped {len(report.skipped)} bad row(s):[/yellow]")
        _print_problems(report.skipped)
    return _exit(report.generate.problems)


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
    from decimal import Decimal

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


def _print_json_list(records) -> None:
    """A JSON array printed a record at a time, the same text as json.dumps(list(records), indent=2)."""
    import json

    first = True
    for record in records:
        text = json.dumps(record, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        sys.stdout.write(("[\n  " if first else ",\n  ") + text)
        first = False
    sys.stdout.write("[]\n" if first else "\n]\n")


def cmd_score(args) -> int:
    from .monthly import formula_modes, score_month, scored_json

    ws, plan, roster = _loaded(args)
    results = _with_progress(len(roster), "评分 / scoring",
                             lambda advance: score_month(ws, plan, roster, args.month, advance, args.jobs))
    problems = [p for s in results for p in s.problems]
    _print_modes(args.month, formula_modes(results))
    if args.json:
        _print_json_list(scored_json(s, plan) for s in results)
    else:
        for s in results if len(results) <= TABLE_ROWS else []:  # a line of points each, for a readable few
            if s.card and s.card.score is not None:
                pts = ", ".join(f"{m.name} {m.points:g}" for m in s.card.metrics.values() if m.points is not None)
                console.print(f"[dim]{s.employee.id} {s.employee.name}: {pts}[/dim]", soft_wrap=True)
        console.print(score_table(f"{plan.department} {args.month} 评分 / scores", results, plan))
        scored = sum(s.card is not None and s.card.score is not None for s in results)
        console.print(f"{scored}/{len(results)} 人已评分 / scored; {len(problems)} 个问题 / problem(s)")
        if problems:
            _print_problems(problems)
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_rollup(args) -> int:
    from .payroll import rollup, rollup_records, summary_path, write_summary

    ws, plan, roster = _loaded(args)
    work = functools.partial(rollup, accept_problems=args.accept_problems, jobs=args.jobs)
    result = _with_progress(len(roster), "汇总 / rolling up", work, ws, plan, roster, args.month)
    problems = result.all_problems
    if args.strict and problems:
        err_console.print(f"[red]--strict: 有 {len(problems)} 个问题, 未写入工资汇总 / {len(problems)} problem(s); "
                          "nothing written[/red]")
        _print_problems(problems)
        return EXIT_PROBLEMS
    from .store import open_store

    closed = open_store(ws.root).closed(args.month)
    path = summary_path(ws, args.month)
    if closed is None:
        from .store.audit import file_digest

        write_summary(result, path)
        paid = sum(s.card.pay.total for s in result.entries if result.paid(s))
        open_store(ws.root).audit("rollup", [(args.month, "", "工资汇总", "", f"{paid:.2f}", file_digest(path))])
    else:  # the closed payroll stands; whatever changed since shows as problems below
        err_console.print(f"{args.month}已于{closed.at[:10]}结账, 工资汇总未改写 / {args.month} is closed: the payroll "
                          f"summary is kept as closed")
    held = [s.employee.id for s in result.entries if result.held(s)]
    if args.json:
        _print_json_list(rollup_records(result))
        _print_problems(problems)
        return EXIT_PROBLEMS if held else EXIT_OK
    console.print(score_table(f"{plan.department} {args.month} 工资汇总 / payroll", result.entries, plan))
    total = sum(s.card.pay.total for s in result.entries if result.paid(s))
    console.print(f"应发合计 / total pay: {total:,.2f}" + (f"（{len(held)}人待核，未计入 / {len(held)} held, not "
                                                          f"included: {', '.join(held)}）" if held else ""))
    for q in result.quotas:
        if q.over:
            console.print(f"[yellow]强制分布: {q.grade} {q.count}人, 上限{q.allowed}人 / over quota; "
                          f"边缘 / at the margin: {', '.join(q.margin)}[/yellow]")
    console.print(f"工资汇总 / payroll summary: {path}")
    if problems:
        console.print(f"[yellow]{len(problems)} 个问题, 已列在「问题」表 / problem(s), listed in sheet 问题[/yellow]")
        _print_problems(problems)
    if held:
        console.print(f"[yellow]待核 {len(held)} 人: 修正后重新汇总, 或加 --accept-problems 照发 / {len(held)} pay line(s) "
                      f"held: fix and roll up again, or pay anyway with --accept-problems[/yellow]")
    return EXIT_PROBLEMS if held else EXIT_OK


def cmd_report(args) -> int:
    from .report import gather, report_json, report_path, write_report

    ws, plan, roster = _loaded(args)
    report = _with_progress(args.months, "汇总各月 / rolling up the months",
                            lambda advance: gather(ws, plan, roster, args.month, args.months, args.role, args.team, advance,
                                                   args.jobs))
    if args.json:
        import json

        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
        return EXIT_OK
    path = write_report(report, report_path(ws, args.month, args.team or args.role or ""), plan)
    shown = [m for m, there in zip(report.months, report.present) if there]
    missing = [m for m, there in zip(report.months, report.present) if not there]
    console.print(f"绩效报告 / report: {path}")
    console.print(f"  {len(shown)} 个月有数据 / month(s) with workbooks: {', '.join(shown)}"
                  + (f"; 缺少 / missing (gaps): {', '.join(missing)}" if missing else ""))
    console.print(f"  {len(report.people)} 人, 本月待核问题 {len(report.problems)} 个 / people, open problems this month")
    return EXIT_OK


def cmd_review(args) -> int:
    from .core.review import period_months
    from .period_review import review_path, run_review, write_review

    ws, plan, roster = _loaded(args)
    pr = _with_progress(len(period_months(args.period)), "期间考核 / reviewing",
                        lambda advance: run_review(ws, plan, roster, args.period, advance, args.jobs))
    path = write_review(pr, plan, review_path(ws, args.period))
    if args.json:
        import json

        from .period_review import review_json

        print(json.dumps(review_json(pr, plan), ensure_ascii=False, indent=2))
        return _exit(pr.problems)
    table = Table(title=f"{plan.department} {args.period} 考核与升降级 / review")
    for col in ("工号", "姓名", "岗位", "计入月份", "月度平均", "期间评分", "综合得分", "等级", "升降级", "绩效奖金"):
        table.add_column(col)
    for e, r in pr.results:
        fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
        table.add_row(e.id, e.name, plan.roles[e.role].name, f"{len(r.used)}/{len(r.months)}", fmt(r.monthly_average),
                      fmt(r.rating), fmt(r.score), r.grade or "—", r.decision, "—" if r.bonus is None else f"{r.bonus:,.2f}")
    console.print(table)
    paid = [r.bonus for _, r in pr.results if r.bonus is not None]
    if paid:
        console.print(f"绩效奖金合计 / bonuses: {sum(paid):,.2f}")
    console.print(f"期间考核表 / review workbook: {path}")
    return _exit(pr.problems)


def cmd_send(args) -> int:
    from . import mail

    ws = _workspace(args)
    config = mail.load_config(ws)
    roster = ws.roster(ws.plan())
    mailing = _with_progress(len(roster), "准备邮件 / building the mails",
                             lambda advance: mail.build(ws, args.month, config, jobs=args.jobs, progress=advance))
    console.print(mailing.summary())
    if mailing.skipped:
        err_console.print("[yellow]跳过 / skipped:[/yellow]")
        _print_problems(mailing.skipped)
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
    from .store import open_store

    log = mail.SendLog(open_store(ws.root), args.month)
    report = _with_progress(len(mailing.messages), "发送 / sending", mail.send, mailing, config, log, args.resend)
    console.print(report.message)
    for key, error in report.failed:
        err_console.print(f"  {key}: {error}", markup=False)
    if report.stopped:
        err_console.print(f"恢复命令 / to resume: xl-kpi send --month {args.month} --dir {ws.root}", markup=False)
    console.print(f"发送记录 / send log: {log.store.path} (sends)")
    return EXIT_PROBLEMS if report.failed else EXIT_OK


def cmd_addin(args) -> int:
    from . import addin_file, addin_setup

    if args.action == "build":
        path = addin_file.build(Path(args.out))
        console.print(f"已生成加载项 / built the add-in: {path.resolve()}")
        console.print("尚未在真实 Excel 中试过，见 README / not yet tried in a real Excel: see README")
        return EXIT_OK
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


# --------------------------------------------------------------------------- parser

EXAMPLES = {
    "init": "示例 / example:\n  xl-kpi init ~/kpi   # 新建工作区, 含内置方案与示例花名册\n"
            "  xl-kpi init ~/bianji --example bianji   # 从编辑考核方案的示例开始",
    "check": "示例 / example:\n  cd ~/kpi && xl-kpi check   # 校验 plan.yaml 与 roster.xlsx, 有问题时退出码为2\n"
             "  xl-kpi check --month 2026-10   # 并列出10月工作簿的公式方式, 混用时警告",
    "demo": "示例 / example:\n  xl-kpi demo /tmp/kpi-demo   # 用示例数据走一遍8–10月的考核, 最后出绩效报告",
    "generate": "示例 / example:\n  xl-kpi generate --month 2026-10                   # 全员, 原生公式: Excel/WPS/LibreOffice/手机均可计算\n"
                "  xl-kpi generate --month 2026-10 --formulas udf    # 加载项函数 =KPI_SCORE(), 只用于装有加载项的Excel\n"
                "  xl-kpi generate --month 2026-10 --employee E004 --force",
    "import": "示例 / example:\n  xl-kpi import 10月数据.csv --month 2026-10\n"
              "  xl-kpi import 公众号后台导出.xlsx --month 2026-10 --skip-bad   # 列名映射见 mapping.yaml\n"
              "  xl-kpi import 10月加减分.csv --month 2026-10   # 列: 工号, 日期, 项目, 数量(次数|名次), 分值, 说明(备注); 人力资源部的记录,"
              " 替换文件中各人本月的加减分",
    "rollup": "示例 / example:\n  xl-kpi rollup --month 2026-10            # 写 workbooks/2026-10/工资汇总-2026-10.xlsx\n"
              "  xl-kpi rollup --month 2026-10 --strict   # 有任何问题则不写入, 退出码2\n"
              "  xl-kpi rollup --month 2026-10 --accept-problems   # 有问题的人也照发, 问题印在汇总表上\n"
              "  xl-kpi rollup --month 2026-10 --json > payroll.json",
    "review": "示例 / example:\n  xl-kpi review --period 2026-Q4   # 季度 (10–12月)\n  xl-kpi review --period 2026-H2   # 下半年\n"
              "  xl-kpi review --period 2026      # 年度综合分与升降级\n"
              "期间评分文件(可选) / period ratings (optional): reviews/2026-Q4.csv  列: 工号, 评分人, 评分",
    "send": "示例 / example:\n  xl-kpi send --month 2026-10 --dry-run outbox   # 只写 .eml 文件, 不发送\n"
            "  XL_KPI_SMTP_PASSWORD=... xl-kpi send --month 2026-10       # 列出收件人并确认后发送\n"
            "  xl-kpi send --month 2026-10 --yes --resend                # 不询问, 全部重发",
    "addin": "示例 / example:\n  xl-kpi addin build --out dist      # 生成 dist/xl_kpi.xlam\n"
             "  xl-kpi addin install --workspace D:\\绩效\\kpi   # 关闭 Excel 后安装到 Excel 启动文件夹并写入配置\n"
             "  xl-kpi addin doctor                # 逐项检查安装\n"
             "  xl-kpi addin uninstall             # 删除加载项与配置",
    "report": "示例 / example:\n  xl-kpi report --month 2026-10              # 写 workbooks/2026-10/绩效报告-2026-10.xlsx, 含前5个月\n"
              "  xl-kpi report --month 2026-10 --months 3   # 8–10月\n"
              "  xl-kpi report --month 2026-10 --team E001  # 只含张明(E001)的团队\n"
              "  xl-kpi report --month 2026-10 --json > report.json",
    "score": "示例 / example:\n  xl-kpi score --month 2026-10\n  xl-kpi score --month 2026-10 --json > scores.json",
}


def _jobs(p) -> None:
    from .parallel import default_jobs

    p.add_argument("--jobs", type=int, default=default_jobs(), metavar="N",
                   help="并行的工作进程数, 默认为CPU核数; --jobs 1 在本进程中逐个处理, 结果相同 / worker processes "
                        "(default: the number of cores); the output is the same for any N")


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

    from .workspace import examples

    p = add("init", cmd_init, "新建工作区 / create a workspace (plan.yaml, roster.xlsx, workbooks/)")
    p.epilog += "\n\n方案示例 / example plans (--example NAME):\n" + "\n".join(
        f"  {name:<10} {ex.title}" for name, ex in examples().items())
    p.add_argument("dir", metavar="DIR", help="工作区目录 / workspace folder")
    p.add_argument("--example", metavar="NAME", help="从方案示例开始: 方案、花名册与几个月的示例数据 / start from an "
                   "example plan with its roster and months of sample data")
    p = add("check", cmd_check, "校验方案与花名册 / validate the plan and the roster")
    p.add_argument("--month", type=_month, help="并列出该月工作簿的公式方式(默认最近一个月) / also list that month's "
                   "formula modes (default: the latest month)")
    p.add_argument("--dir", default=".", help="工作区目录, 默认当前目录 / workspace folder (default: .)")
    p = add("generate", cmd_generate, "生成每人一份月度考核表 / write each employee's monthly workbook")
    p.add_argument("--month", required=True, type=_month, help="月份 YYYY-MM")
    p.add_argument("--employee", help="只生成此工号 / only this employee id")
    p.add_argument("--role", help="只生成此岗位 / only this role id")
    p.add_argument("--formulas", choices=("native", "udf"), default="native",
                   help="native(默认): 原生公式, Excel/WPS/LibreOffice/手机均可计算, 无需加载项; udf: =KPI_SCORE() 等"
                        "加载项函数, 仅用于装有 xl_kpi 加载项的 Excel / native (default): plain formulas that compute in "
                        "any spreadsheet app; udf: the add-in's functions, for Excel with the xl_kpi add-in only")
    p.add_argument("--force", action="store_true", help="重新开始, 旧文件留作备份 / start over; the old file is kept as a backup")
    p.add_argument("--protect-password", help="工作表保护密码(默认无) / sheet protection password (default none)")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    p = add("import", cmd_import, "导入运营数据到考核表 / fill the workbooks from a data export")
    p.add_argument("file", metavar="FILE", help="CSV或xlsx, UTF-8或GBK; 列: 工号, 指标, 数值[, 周, 类型]; 或加减分: "
                   "工号, 日期, 项目, 数量(或次数、名次), 分值, 说明(或备注)")
    p.add_argument("--month", required=True, type=_month, help="月份 YYYY-MM")
    p.add_argument("--skip-bad", action="store_true", help="跳过有问题的行, 写入其余 / write the good rows, skip bad ones")
    p.add_argument("--formulas", choices=("native", "udf"), default="native",
                   help="尚未生成的工作簿的公式方式(默认native); 已有工作簿保持原方式 / formulas of workbooks not yet "
                        "generated (default native); existing ones keep theirs")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    p = add("score", cmd_score, "读取当月考核表并评分 / score the month's workbooks")
    p.add_argument("--month", required=True, type=_month, help="月份 YYYY-MM")
    p.add_argument("--json", action="store_true", help="输出JSON / print JSON")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    p = add("rollup", cmd_rollup, "汇总当月考核表为工资汇总; 有问题的人列为待核、不计入合计, 退出码2 / roll the month "
                                  "up into the payroll summary; people with problems are held outside the totals "
                                  "(exit status 2)")
    p.add_argument("--month", required=True, type=_month, help="月份 YYYY-MM")
    p.add_argument("--json", action="store_true", help="输出JSON / print JSON")
    p.add_argument("--strict", action="store_true", help="有问题时不写入, 退出码2 / fail without writing on any problem")
    p.add_argument("--accept-problems", action="store_true",
                   help="有问题的人照发, 问题印在汇总表上 / pay those with problems too, the problems printed beside them")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    p = add("report", cmd_report, "绩效报告: 趋势、对照与图表 / the performance report: trends, comparisons, charts")
    p.add_argument("--month", required=True, type=_month, help="报告月份 YYYY-MM / the report's month")
    p.add_argument("--months", type=int, default=6, help="包括本月在内的月数, 默认6 / months covered, this one included "
                   "(default 6)")
    p.add_argument("--role", help="只含此岗位 / only this role id")
    p.add_argument("--team", metavar="MANAGER_ID", help="只含此直接上级的团队 / only the team of this manager (工号)")
    p.add_argument("--json", action="store_true", help="以JSON输出报告数据 / print the report's data as JSON")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    p = add("review", cmd_review, "季度/半年/年度考核与升降级 / quarter, half-year or year review")
    p.add_argument("--period", required=True, type=_period, help="2026-Q4 | 2026-H2 | 2026")
    p.add_argument("--json", action="store_true", help="以JSON输出, 含绩效奖金 / print JSON, with the bonuses")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    p = add("send", cmd_send, "把考核结果发给员工、上级与人力资源部 / mail the month's results")
    p.add_argument("--month", required=True, type=_month, help="月份 YYYY-MM")
    p.add_argument("--dry-run", metavar="DIR", help="写 .eml 文件到 DIR, 不发送 / write .eml files to DIR instead")
    p.add_argument("--yes", action="store_true", help="不询问确认 / do not ask for confirmation")
    p.add_argument("--resend", action="store_true", help="忽略发送记录, 全部重发 / send again what the log says went out")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    _jobs(p)
    from . import cli_close

    cli_close.register(sub, _month)
    p = add("addin", cmd_addin, "生成或安装 Excel 加载项 xl_kpi.xlam / build or install the Excel add-in")
    p.add_argument("action", choices=("build", "install", "uninstall", "doctor"),
                   help="build: 生成文件; install: 安装到 Excel; uninstall: 卸载; doctor: 检查安装")
    p.add_argument("--out", default=".", help="build: 生成到此目录, 默认当前目录 / where the built file goes (default: .)")
    p.add_argument("--workspace", help="install: 工作区目录, 供「生成」使用 / the workspace the ribbon's 生成 uses")
    p.add_argument("--python", help="install: 加载项使用的 Python, 默认当前 Python / the interpreter (default: this one)")
    p = add("demo", cmd_demo, "用示例数据演示整个流程 / run the month on the sample data")
    p.add_argument("dir", metavar="DIR", nargs="?", default="xl-kpi-demo",
                   help="演示工作区目录 / demo workspace (default: ./xl-kpi-demo)")
    return parser


WRITERS = {"generate", "import", "rollup", "review", "report", "send", "demo", "close", "appeal", "plan-followup"}  # commands that write a month


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command in WRITERS and Path(getattr(args, "dir", ".")).is_dir():
            with workspace_lock(Path(args.dir)):
                return args.func(args)
        return args.func(args)
    except KpiError as exc:
        return _report(exc)
    except OSError as exc:  # a folder that cannot be written, a file that is a folder, a full disk …
        return _report(KpiError([os_problem(exc)]))


def os_problem(exc: OSError) -> Problem:
    """An operating-system error as a located problem: which file, and what the system said."""
    what = {PermissionError: "没有权限", IsADirectoryError: "这是一个文件夹, 不是文件",
            NotADirectoryError: "路径中有一段不是文件夹", FileExistsError: "已有同名文件",
            FileNotFoundError: "找不到"}.get(type(exc), "文件操作失败")
    return Problem("os_error", f"{what} / {exc.strerror or exc}", file=str(exc.filename or ""))


if __name__ == "__main__":
    sys.exit(main())
