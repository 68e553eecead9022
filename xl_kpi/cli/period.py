"""The commands over several months: report, review."""
from __future__ import annotations

import json

from rich.table import Table

from ..core.review import period_months
from ..period.gather import gather
from ..period.report import report_json, report_path, write_report
from ..period.review import (
    dates_line,
    postpone,
    review_json,
    review_path,
    run_review,
    write_review,
)
from .common import (
    EXIT_OK,
    add,
    console,
    day_arg,
    exit_with,
    jobs_arg,
    loaded,
    month_arg,
    period_arg,
    with_progress,
)


def cmd_report(args) -> int:
    ws, plan, roster = loaded(args)
    report = with_progress(args.months, "汇总各月 / rolling up the months",
                            lambda advance: gather(ws, plan, roster, args.month, args.months, args.role, args.team, advance,
                                                   args.jobs))
    if args.json:
        print(json.dumps(report_json(report), ensure_ascii=False, indent=2))
        return EXIT_OK
    path = write_report(report, report_path(ws, args.month, args.team or args.role or ""), plan)
    shown = [m for m, there in zip(report.months, report.present) if there]
    missing = [m for m, there in zip(report.months, report.present) if not there]
    console.print(f"绩效报告 / report: {path}")
    console.print(f"  {len(shown)} 个月有数据 / month(s) with workbooks: {', '.join(shown)}"
                  + (f"；缺少 / missing (gaps): {', '.join(missing)}" if missing else ""))
    console.print(f"  {len(report.people)} 人，本月待核问题 {len(report.problems)} 个 / people, open problems this month")
    return EXIT_OK


def cmd_review(args) -> int:
    ws, plan, roster = loaded(args)
    if args.postpone:
        moved = postpone(ws, plan, args.period, args.postpone, args.reason or "")
        console.print(f"{args.period}的考核已顺延 / the review is postponed: {dates_line(moved)}")
    pr = with_progress(len(period_months(args.period)), "期间考核 / reviewing",
                        lambda advance: run_review(ws, plan, roster, args.period, advance, args.jobs))
    path = write_review(pr, plan, review_path(ws, args.period))
    if args.json:
        print(json.dumps(review_json(pr, plan), ensure_ascii=False, indent=2))
        return exit_with(pr.problems)
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
    console.print(dates_line(pr.dates))
    console.print(f"期间考核表 / review workbook: {path}")
    return exit_with(pr.problems)


EXAMPLES = {
    "report": "示例 / example:\n  xl-kpi report --month 2026-10              # 写 workbooks/2026-10/绩效报告-2026-10.xlsx, 含前5个月\n"
              "  xl-kpi report --month 2026-10 --months 3   # 8–10月\n"
              "  xl-kpi report --month 2026-10 --team E001  # 只含张明（E001）的团队\n"
              "  xl-kpi report --month 2026-10 --json > report.json",
    "review": "示例 / example:\n  xl-kpi review --period 2026-Q4   # 季度 (10–12月)\n  xl-kpi review --period 2026-H2   # 下半年\n"
              "  xl-kpi review --period 2026      # 年度综合分与升降级\n"
              "  xl-kpi review --period 2026-Q4 --postpone 2027-01-15 --reason 考评委员会决定顺延\n"
              "期间评分文件（可选） / period ratings (optional): reviews/2026-Q4.csv  列：工号，评分人，评分",
}


def register(sub) -> None:
    p = add(sub, "report", cmd_report, "绩效报告：趋势、对照与图表 / the performance report: trends, comparisons, charts")
    p.add_argument("--month", required=True, type=month_arg, help="报告月份 YYYY-MM / the report's month")
    p.add_argument("--months", type=int, default=6, help="包括本月在内的月数，默认6 / months covered, this one included "
                   "(default 6)")
    p.add_argument("--role", help="只含此岗位 / only this role id")
    p.add_argument("--team", metavar="MANAGER_ID", help="只含此直接上级的团队 / only the team of this manager (工号)")
    p.add_argument("--json", action="store_true", help="以JSON输出报告数据 / print the report's data as JSON")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
    p = add(sub, "review", cmd_review, "季度/半年/年度考核与升降级 / quarter, half-year or year review")
    p.add_argument("--period", required=True, type=period_arg, help="2026-Q4 | 2026-H2 | 2026")
    p.add_argument("--json", action="store_true", help="以JSON输出，含绩效奖金 / print JSON, with the bonuses")
    p.add_argument("--postpone", metavar="YYYY-MM-DD", type=day_arg, help="考核期顺延到此日（须同时写 --reason；奖金发放月份与申诉期随之"
                   "顺延，记入审计记录） / move the review to this day")
    p.add_argument("--reason", help="顺延的原因 / why it is postponed")
    p.add_argument("--dir", default=".", help="工作区目录 / workspace folder (default: .)")
    jobs_arg(p)
