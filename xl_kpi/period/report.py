"""绩效报告-YYYY-MM.xlsx: the month against the months before it, for management and for each team.

Each month's figures are its roll-up's records (what ``rollup --json`` prints), gathered by
:mod:`.gather` and worked into a :class:`~xl_kpi.core.report.Report` by the pure core; this module
writes it: the JSON, and the workbook: computed values only, protected, A4, native charts that open in
Excel, WPS and LibreOffice alike.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import asdict
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from ..core.plan import Plan
from ..core.report import (
    PAY_PARTS,
    PersonRow,
    Report,
    change_text,
    sparkline,
)
from ..system.files import atomic_write
from ..workbook.derive import stable_bytes
from ..workbook.style import BOLD, BOX, MONEY, TITLE, fit_columns, head, print_a4, put
from ..workbook.texts import date_zh, month_zh, phrase
from ..workspace import Workspace
from ..workspace.months import REPORT_PREFIX

SHEETS = ("总览", "趋势", "对照", "个人", "周报")


def report_path(ws: Workspace, month: str, suffix: str = "") -> Path:
    return ws.month_dir(month) / f"{REPORT_PREFIX}-{month}{f'-{suffix}' if suffix else ''}.xlsx"


# --------------------------------------------------------------------------- JSON


def report_json(report: Report) -> dict:
    """The report's data as ``report --json`` prints it (money as exact decimal strings)."""
    def plain(x):
        if isinstance(x, Decimal):
            return str(x)
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        return x

    out = plain(asdict(report))
    out["overview"] = [dict(zip(("item", "this", "last", "change"), row)) for row in out["overview"]]
    out["grades"] = [dict(zip(("grade", "this", "last"), row)) for row in out["grades"]]
    out["problems"] = [dict(zip(("employee_id", "name", "message"), row)) for row in out["problems"]]
    out["forms"] = [dict(zip(("state", "count"), row)) for row in out["forms"]]
    for p in out["people"] + out["up"] + out["down"]:
        p["trend"] = sparkline(p["scores"])
    return out


# --------------------------------------------------------------------------- the workbook


def _label(month: str, months: list[str]) -> str:
    """10月, or 2025年12月 when the months span two years."""
    return f"{int(month[5:])}月" if len({m[:4] for m in months}) == 1 else month_zh(month)


def _fmt(unit: str) -> str:
    return "0.00%" if unit == "%" else "#,##0.00"


def _title(ws, text: str, width: int, row: int = 1) -> None:
    put(ws, row, 1, text).font = TITLE
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    ws.cell(row, 1).alignment = Alignment(horizontal="center")


def _table(ws, row: int, col: int, header: list[str], rows: list[list], formats: list[str | None]) -> int:
    """A boxed table; returns the row after it."""
    head(ws, row, header, col, boxed=True)
    for i, values in enumerate(rows, start=1):
        for j, v in enumerate(values):
            cell = put(ws, row + i, col + j, float(v) if isinstance(v, Decimal) else v)
            cell.border = BOX
            if formats[j] and isinstance(v, (int, float, Decimal)):
                cell.number_format = formats[j]
    return row + len(rows) + 1


def _axes(chart) -> None:
    chart.x_axis.delete = chart.y_axis.delete = False  # else Excel draws the chart without its axes
    chart.display_blanks = "gap"  # a month without workbooks is a gap in the line, never a zero


class Pager:
    """Manual page breaks so that no chart is cut across two printed pages: a block that would not fit
    on the rest of the page starts a new one. ``width``: the sheet's printed width in characters (a
    wider sheet is scaled down to the page, so more rows fit)."""

    ROWS = 36  # rows of an A4 landscape page at 100%, below the repeated title rows

    def __init__(self, ws, width: float, used: int = 3):
        self.ws, self.used = ws, used
        self.budget = int(self.ROWS * max(1.0, width / 140))

    def block(self, row: int, height: int) -> None:
        from openpyxl.worksheet.pagebreak import Break

        if self.used + height > self.budget and self.used > 3:
            self.ws.row_breaks.append(Break(id=row - 2))  # the blank row above the block goes with it
            self.used = 3
        self.used += height


def _line(ws, title: str, unit: str, header_row: int, first: int, last: int, col: int, n: int, anchor: str,
          width: float = 15.5) -> None:
    chart = LineChart()
    chart.title, chart.y_axis.title = title, unit or None
    chart.add_data(Reference(ws, min_col=col, max_col=col + n, min_row=first, max_row=last), from_rows=True,
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=col + 1, max_col=col + n, min_row=header_row))
    chart.width, chart.height = width, 6.5
    chart.y_axis.numFmt = "0%" if unit == "%" else "#,##0.##"
    for series in chart.series:  # straight lines with a mark on each month: a lone month still shows
        series.smooth = False
        series.marker.symbol = "circle"
    _axes(chart)
    ws.add_chart(chart, anchor)


def _bar(ws, title: str, header_row: int, first: int, last: int, min_col: int, max_col: int, cats_col: int,
         anchor: str, width: float = 16, y_format: str | None = None) -> None:
    chart = BarChart()
    chart.type, chart.title = "col", title
    chart.add_data(Reference(ws, min_col=min_col, max_col=max_col, min_row=header_row, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=cats_col, min_row=first, max_row=last))
    chart.width, chart.height = width, 7
    chart.y_axis.numFmt = y_format or "#,##0.##"
    chart.y_axis.scaling.min = 0  # bars start at zero, or small differences look large
    chart.visible_cells_only = False  # the data may sit in hidden helper columns
    _axes(chart)
    ws.add_chart(chart, anchor)


CHART_ROWS = 14  # rows a chart of 6.5–7 cm covers


def write_report(report: Report, path: Path, plan: Plan) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, report_bytes(report))
    return path


def report_bytes(report: Report) -> bytes:
    wb = Workbook()
    words = dict(department=report.department + (f" {report.scope}" if report.scope else ""),
                 month_zh=month_zh(report.month), first_zh=month_zh(report.first))
    labels = [_label(m, report.months) for m in report.months]
    _overview(wb.active, report, labels, words)
    _trends(wb.create_sheet("趋势"), report, labels, words)
    _compare(wb.create_sheet("对照"), report, words)
    _persons(wb.create_sheet("个人"), report, labels, words)
    _weekly_sheet(wb.create_sheet("周报"), report, words)
    for sheet in wb.worksheets:
        fit_columns(sheet)
        print_a4(sheet, footer=phrase("footer"))
        sheet.oddHeader.center.text = phrase("report_header", **words)
        sheet.print_title_rows = "1:2"
        sheet.protection.sheet = True  # read-only output: the figures come from the months' workbooks
    buf = io.BytesIO()
    wb.save(buf)
    return stable_bytes(buf.getvalue())


def _subtitle(ws, report: Report, width: int) -> None:
    missing = [month_zh(m) for m, there in zip(report.months, report.present) if not there]
    text = phrase("report_subtitle", first=month_zh(report.first), last=month_zh(report.month),
                  missing="、".join(missing), today=date_zh(dt.date.today()))
    put(ws, 2, 1, text).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws.row_dimensions[2].height = 30


def _overview(ws, report: Report, labels: list[str], words: dict) -> None:
    ws.title = "总览"
    _title(ws, phrase("report_title", **words), 8)
    _subtitle(ws, report, 8)
    money = {label for _, label in PAY_PARTS}
    rows = [[label, this, last, change] for label, this, last, change in report.overview]
    row = _table(ws, 4, 1, ["项目", "本月", "上月", "较上月"], rows, [None, "0.00", "0.00", None])
    for r in range(5, row):
        fmt = MONEY if ws.cell(r, 1).value in money else ("0" if ws.cell(r, 1).value == "考核人数" else "0.00")
        for c in (2, 3):
            ws.cell(r, c).number_format = fmt
    grades_end = _table(ws, 4, 6, ["等级", "本月", "上月"], [list(g) for g in report.grades], [None, "0", "0"])
    _bar(ws, "等级分布：本月与上月", 4, 5, grades_end - 1, 7, 8, 6, f"F{grades_end + 1}", width=12)
    row = max(row, grades_end + CHART_ROWS + 1) + 1
    for label, movers in (("进步最大", report.up), ("退步最大", report.down)):
        put(ws, row, 1, label).font = BOLD
        rows = [[p.id, p.name, p.role, p.last, p.this, change_text(p.this, p.last)] for p in movers] or \
            [["—", "", "", None, None, ""]]
        row = _table(ws, row + 1, 1, ["工号", "姓名", "岗位", "上月", "本月", "变化"], rows,
                     [None, None, None, "0.00", "0.00", None]) + 1
    if report.forms:  # where the month's rating round stands (xl-kpi status lists each form)
        put(ws, row, 1, phrase("report_forms", count=sum(n for _, n in report.forms))).font = BOLD
        row = _table(ws, row + 1, 1, ["评分表状态", "份数"], [list(f) for f in report.forms], [None, "0"]) + 1
    put(ws, row, 1, phrase("report_problems", count=len(report.problems))).font = BOLD
    if report.problems:
        shown = [list(p) for p in report.problems[:40]]
        row = _table(ws, row + 1, 1, ["工号", "姓名", "问题"], shown, [None, None, None])
        for r in range(row - len(shown), row):
            ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=8)
            ws.cell(r, 3).alignment = Alignment(wrap_text=True, vertical="top")
        if len(report.problems) > 40:
            put(ws, row, 1, phrase("report_more_problems", count=len(report.problems) - 40))
    for col, width in zip("ABCDEFGH", (16, 14, 14, 22, 12, 20, 10, 10)):
        ws.column_dimensions[col].width = width


def _trends(ws, report: Report, labels: list[str], words: dict) -> None:
    n = len(labels)
    width = 2 * (n + 1) + 1
    _title(ws, phrase("report_trends_title", **words), width)
    _subtitle(ws, report, width)
    row = 4
    pager = Pager(ws, 16 + 11 * (width - 1))
    for role in report.trends:
        pager.block(row, CHART_ROWS + len(role.categories) + 6)
        put(ws, row, 1, phrase("report_role_trend", role=role.name)).font = TITLE
        row += 1
        _line(ws, f"{role.name}：平均总分与类别得分", "分", row + CHART_ROWS + 1, row + CHART_ROWS + 2,
              row + CHART_ROWS + 2 + len(role.categories), 1, n, f"A{row}", width=2 * 15.5)
        row += CHART_ROWS + 1
        lines = [["平均总分", *role.total]] + [[c.label, *c.values] for c in role.categories] + \
            [["考核人数", *role.headcount]]
        row = _table(ws, row, 1, ["得分", *labels], lines, [None] + ["0.00"] * n) + 1
        for r in range(row - 2, row - 1):  # 考核人数: whole people
            for c in range(2, n + 2):
                ws.cell(r, c).number_format = "0"
        for i in range(0, len(role.metrics), 2):
            pager.block(row, CHART_ROWS + 5)
            top = row
            for k, m in enumerate(role.metrics[i:i + 2]):
                col = 1 + k * (n + 2)
                unit = f"（{m.unit}）" if m.unit and m.unit != "%" else ""
                _line(ws, f"{m.name}{unit}", m.unit if m.unit == "%" else "", top + CHART_ROWS,
                      top + CHART_ROWS + 1, top + CHART_ROWS + 3, col, n, f"{get_column_letter(col)}{top}")
                _table(ws, top + CHART_ROWS, col, [m.name, *labels],
                       [["平均", *m.average], ["最好", *m.best], ["最差", *m.worst]], [None] + [_fmt(m.unit)] * n)
            row = top + CHART_ROWS + 5
    ws.column_dimensions["A"].width = 16
    for c in range(2, width + 1):
        ws.column_dimensions[get_column_letter(c)].width = 11
    ws.column_dimensions[get_column_letter(n + 3)].width = 16


def _compare(ws, report: Report, words: dict) -> None:
    _title(ws, phrase("report_compare_title", **words), 8)
    _subtitle(ws, report, 8)
    row = 4
    pager = Pager(ws, 122)
    for trend in report.trends:
        rows = report.compare[trend.role]
        pager.block(row, len(rows) + 3 + (CHART_ROWS + 1 if any(c.target for c in rows) else 0))
        put(ws, row, 1, phrase("report_role_compare", role=trend.name)).font = TITLE
        header = ["指标", "单位", "目标", "上月平均", "本月平均", "较上月", "本月达成率", "上月达成率"]
        body = [[c.name, c.unit, c.target, c.last, c.this, change_text(c.this, c.last, c.unit == "%"), c.rate_this,
                 c.rate_last] for c in rows]
        end = _table(ws, row + 1, 1, header, body, [None, None, None, None, None, None, "0%", "0%"])
        for r, c in zip(range(row + 2, end), rows):
            for col in (3, 4, 5):
                if isinstance(ws.cell(r, col).value, float):
                    ws.cell(r, col).number_format = _fmt(c.target_unit if col == 3 else c.unit)
        rated = [i for i, c in enumerate(rows) if c.target]
        if rated:
            # the completion rates of the metrics with a target, this month beside last month
            top = end + 1
            head(ws, top, ["指标", "本月达成率", "上月达成率"], 10)
            for k, i in enumerate(rated, start=1):
                put(ws, top + k, 10, rows[i].name)
                for j, v in enumerate((rows[i].rate_this, rows[i].rate_last)):
                    put(ws, top + k, 11 + j, v).number_format = "0%"
            _bar(ws, f"{trend.name}：目标达成率", top, top + 1, top + len(rated), 11, 12, 10, f"A{end + 1}",
                 width=24, y_format="0%")
            ws.column_dimensions["J"].hidden = ws.column_dimensions["K"].hidden = ws.column_dimensions["L"].hidden = True
            row = end + CHART_ROWS + 3
        else:
            row = end + 2
    people = [p for p in report.people if p.this is not None or p.last is not None]
    pager.block(row, len(people) + 3 + CHART_ROWS)
    put(ws, row, 1, phrase("report_people_compare")).font = TITLE
    body = [[p.id, p.name, p.role, p.last, p.this, change_text(p.this, p.last)] for p in people]
    end = _table(ws, row + 1, 1, ["工号", "姓名", "岗位", "上月得分", "本月得分", "较上月"], body,
                 [None, None, None, "0.00", "0.00", None])
    if people:
        _bar(ws, "个人得分：上月与本月", row + 1, row + 2, end - 1, 4, 5, 2, f"A{end + 1}", width=24)
        end += CHART_ROWS + 2
    row = end + 1
    if report.teams:
        pager.block(row, len(report.teams) + 3 + CHART_ROWS)
        put(ws, row, 1, phrase("report_team_compare")).font = TITLE
        money = ["应发合计"] if report.pay else []  # a manager's copy carries no pay
        body = [[t.name, t.headcount, t.last, t.this, change_text(t.this, t.last)] + ([t.pay] if report.pay else [])
                for t in report.teams]
        end = _table(ws, row + 1, 1, ["团队（直接上级）", "人数", "上月平均", "本月平均", "较上月", *money], body,
                     [None, "0", "0.00", "0.00", None] + ([MONEY] if report.pay else []))
        _bar(ws, "团队平均分：上月与本月", row + 1, row + 2, end - 1, 3, 4, 1, f"A{end + 1}", width=20)
    for col, width in zip("ABCDEFGH", (22, 12, 16, 12, 12, 24, 12, 12)):
        ws.column_dimensions[col].width = width


def _persons(ws, report: Report, labels: list[str], words: dict) -> None:
    n = len(labels)
    header = ["工号", "姓名", "岗位", *labels, "趋势", "等级变化", "名次奖励"]
    _title(ws, phrase("report_people_title", **words), len(header))
    _subtitle(ws, report, len(header))
    body = [[p.id, p.name, p.role, *p.scores, sparkline(p.scores), "→".join(g for g in p.grades if g),
             _bonus_text(p, labels)] for p in report.people]
    _table(ws, 4, 1, header, body, [None, None, None] + ["0.00"] * n + [None, None, None])
    for col, width in zip(range(1, len(header) + 1), (9, 9, 14, *([9] * n), 18, 8 * n + 4, 18)):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "D5"


def _bonus_text(p: PersonRow, labels: list[str]) -> str:
    got = [f"{label}{b:+g}" for label, b in zip(labels, p.rank_bonus) if b]
    return "；".join(got) or "—"


def _weekly_sheet(ws, report: Report, words: dict) -> None:
    _title(ws, phrase("report_weekly_title", **words), 10)
    _subtitle(ws, report, 10)
    row = 4
    if not report.weekly:
        put(ws, row, 1, phrase("report_no_weekly"))
        return
    for w in report.weekly:
        put(ws, row, 1, phrase("report_role_weekly", role=w.name, weeks=w.weeks)).font = TITLE
        row += 1
        col = 3
        for k in range(w.weeks + 1):
            ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + 2)
            put(ws, row, col, f"第{k + 1}周" if k < w.weeks else "月合计").font = BOLD
            ws.cell(row, col).alignment = Alignment(horizontal="center")
            col += 3
        header = ["项目", "单位"] + ["目标", "实际", "完成率"] * (w.weeks + 1)
        body = []
        for item in w.items:
            line = [item.name, item.unit]
            for t, a in zip(item.targets, item.actuals):
                line += [t, a, a / t if a is not None and t else None]
            body.append(line)
        fmts = [None, None] + ["#,##0", "#,##0", "0%"] * (w.weeks + 1)
        row = _table(ws, row + 1, 1, header, body, fmts) + 1
        if w.notes:
            put(ws, row, 1, "数据分析总结").font = BOLD
            end = _table(ws, row + 1, 1, ["姓名", "周", "总结"], [[name, f"第{k}周", text] for name, k, text in w.notes],
                         [None, None, None])
            for r in range(row + 2, end):
                ws.merge_cells(start_row=r, start_column=3, end_row=r, end_column=3 + 3 * (w.weeks + 1) - 1)
                ws.cell(r, 3).alignment = Alignment(wrap_text=True, vertical="top")
                ws.row_dimensions[r].height = 32
            row = end + 1
    ws.column_dimensions["A"].width = 14
    for c in range(2, 3 + 3 * 6):
        ws.column_dimensions[get_column_letter(c)].width = 9
