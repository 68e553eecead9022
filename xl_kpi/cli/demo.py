"""``xl-kpi demo``: three sample months of the built-in plan, end to end."""
from __future__ import annotations

import re
from pathlib import Path

from .. import mail
from ..core.errors import KpiError
from ..month.generate import generate
from ..month.imports import import_file
from ..month.score import score_month
from ..payroll.rollup import rollup
from ..payroll.summary import summary_path, write_summary
from ..period.gather import gather
from ..period.report import report_path, write_report
from ..workspace import SAMPLE_MONTH, data_file, init_workspace
from .common import EXIT_OK, add, console, score_table

DEMO_MONTHS = ("2026-08", "2026-09", SAMPLE_MONTH)  # the sample history; baselines flow month to month


def cmd_demo(args) -> int:
    """Three sample months: generate, import the data and adjustments, score, roll up; the last month's
    mail (a dry run) and the performance report over the three."""
    ws, kept = init_workspace(Path(args.dir))
    if "mail.yaml" not in kept:  # the demo's mail is a dry run to look at: its attachments open without a password
        text = (ws.root / "mail.yaml").read_text(encoding="utf-8")
        (ws.root / "mail.yaml").write_text(re.sub(r"(?m)^  password: random\b.*$", "  password: none          # 演示："
                                                  "附件不加密，便于直接查看；正式使用请改为 random 或 id_number", text),
                                           encoding="utf-8")
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
        console.print(f"{step}. {month}：生成{len(report.written)}份，导入{imported.rows}行与加减分，评分，汇总，应发合计 "
                      f"{total:,.2f} / generated, imported, scored, rolled up: total pay {total:,.2f}")
    month = SAMPLE_MONTH
    console.print(f"{len(DEMO_MONTHS) + 1}. {month} 汇总 / roll-up (名次奖励已计入 / rank bonuses applied):")
    console.print(score_table(f"{plan.department} {month} 绩效与工资（示例数据 / sample data）", result.entries, plan))
    console.print(f"应发合计 / total pay: {total:,.2f}")
    console.print(f"工资汇总 / payroll summary: {summary_path(ws, month).resolve()}")
    path = write_report(gather(ws, plan, roster, month), report_path(ws, month), plan)  # six months, as the mail's
    console.print(f"{len(DEMO_MONTHS) + 2}. 绩效报告（6个月，{DEMO_MONTHS[0]}–{month}有数据） / performance report "
                  f"(6 months, with data {DEMO_MONTHS[0]}–{month}): {path.resolve()}")
    mailing = mail.build(ws, month, mail.load_config(ws))
    outbox = ws.root / "outbox"
    paths = mail.write_eml(mailing, outbox)
    console.print(f"{len(DEMO_MONTHS) + 3}. 邮件演练 / mail dry run: {len(paths)} 封写入 / messages written to "
                  f"{outbox.resolve()}（未发送 / not sent）")
    console.print(f"工作区 / workspace: {ws.root.resolve()}")
    return EXIT_OK


EXAMPLES = {
    "demo": "示例 / example:\n  xl-kpi demo /tmp/kpi-demo   # 用示例数据走一遍8–10月的考核, 最后出绩效报告",
}


def register(sub) -> None:
    p = add(sub, "demo", cmd_demo, "用示例数据演示整个流程 / run the month on the sample data")
    p.add_argument("dir", metavar="DIR", nargs="?", default="xl-kpi-demo",
                   help="演示工作区目录 / demo workspace (default: ./xl-kpi-demo)")
