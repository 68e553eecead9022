"""HR's 加减分 log: 工号, 日期, 项目, 数量 (次数, 名次), 分值, 说明 (备注). HR's record of the rows is the one
that counts; each workbook's log shows them above the rows its filler may enter."""
from __future__ import annotations

from pathlib import Path

from ...core.dates import in_month, typed_date
from ...core.errors import KpiError, Problem
from ...core.numbers import snap
from ...core.plan import Plan
from ...core.scorecard import AdjustmentEntry, score_adjustments
from ...core.typed import TypedNumberError, typed_number
from ...store import open_store
from ...workbook.cells import ADJ_ROWS
from ...workbook.reader import WorkbookData, employee_inputs
from ...workbook.rendered import try_read
from ...workspace.months import employee_of, month_workbooks
from ...workspace.roster import Employee, cell_text
from ..generate import write_values
from .actuals import HEADERS
from .kinds import ImportJob, ImportKind, ImportReport, has
from .table import Source, Table

ADJ_HEADERS = {
    "工号": "employee", "employee_id": "employee", "日期": "date", "date": "date",
    "项目": "item", "item": "item", "数量": "count", "次数": "count", "名次": "count", "count": "count",
    "rank": "count", "分值": "chosen", "points": "chosen", "说明": "note", "备注": "note", "note": "note",
}


def read_adjustment_rows(table: Table, plan: Plan, roster: list[Employee], month: str):
    """(line, employee, AdjustmentEntry) of every good row of a 加减分 log file (item by id or Chinese name),
    and the problems of the others; the points are checked by the scorecard. A 日期 is a real day of the month
    imported (a date cell, an Excel serial or text such as 2026/10/31), kept as 2026-10-31."""
    people = {e.id: e for e in roster}
    out: list[tuple[int, str, AdjustmentEntry]] = []
    problems = []
    teams = {r.name: rid for rid, r in plan.roles.items()} | {rid: rid for rid in plan.roles}
    for row in table.rows:
        v = row.values
        who, item = cell_text(v.get("employee")), cell_text(v.get("item"))
        emp = people.get(who)
        team_award = next((a for a in plan.adjustments if item in (a.id, a.name) and a.to_team), None)
        if emp is None and team_award is not None and who in teams:  # 团队表彰: every member of the team
            members = [e for e in roster if e.role == teams[who]]
        elif emp is None:
            problems.append(Problem("unknown_employee", f"工号“{who}”不在花名册 / not on the roster",
                                    file=table.file, line=row.line))
            continue
        else:
            members = [emp]
        for member in members:
            adj = next((a for a in plan.role_adjustments(member.role) if item in (a.id, a.name)), None)
            if adj is None:
                problems.append(Problem("adjustment_unknown", f"“{item}”不是{plan.roles[member.role].name}的加减分项目 / "
                                        f"“{item}” is not an adjustment of role {member.role}", file=table.file,
                                        line=row.line))
                break
            # numbers as a spreadsheet shows them: a rank of 0.9999999999999999 is 1
            num = lambda s: snap(typed_number(cell_text(s))) if cell_text(s) else None  # noqa: E731
            try:
                entry = AdjustmentEntry(adj.id, num(v.get("count")), num(v.get("chosen")), cell_text(v.get("note")),
                                        _day(v.get("date"), month))
            except TypedNumberError:
                problems.append(Problem("import_invalid", "数量或分值不是数字 / count or points is not a number",
                                        file=table.file, line=row.line))
                break
            except ValueError as exc:
                problems.append(Problem("date_invalid", f"日期：{exc}", file=table.file, line=row.line))
                break
            out.append((row.line, member.id, entry))
    return out, problems


def _day(value, month: str) -> str | None:
    """A row's 日期 as 2026-10-31, or None when blank; a ValueError for what is no day of the month."""
    if value is None or not cell_text(value):
        return None
    day = typed_date(value)
    if not in_month(day, month):
        raise ValueError(f"{day.isoformat()}不在{month}内（加减分记入发生的月份） / {day} is not in {month}")
    return day.isoformat()


def import_adjustments(job: ImportJob, source: Source) -> ImportReport:
    """HR's 加减分 rows: checked, recorded (they replace the named employees' rows of the month), and shown
    in each workbook's log, above the rows of items the form's filler may enter."""
    ws, plan, roster, file, month = job.ws, job.plan, job.roster, job.file, job.month
    rows, problems = read_adjustment_rows(Table(source.file, list(source.records(ADJ_HEADERS, ("employee", "item")))),
                                          plan, roster, month)
    people = {e.id: e for e in roster}
    by_emp: dict[str, list] = {}
    for line, emp, entry in rows:
        by_emp.setdefault(emp, []).append((line, entry))
    for emp, entries in list(by_emp.items()):
        _, _, _, _, bad = score_adjustments(plan, people[emp].role, [a for _, a in entries])
        bad += [Problem("too_many_rows", f"{emp}有{len(entries)}行加减分，表中只有{ADJ_ROWS}行 / more rows than the "
                        f"log holds", loc=("adjustments", ADJ_ROWS, ""))] if len(entries) > ADJ_ROWS else []
        for p in bad:
            line = entries[min(p.loc[1], len(entries) - 1)][0] if p.loc else None
            problems.append(Problem(p.type, p.message, file=str(file), line=line, employee=emp))
            by_emp.pop(emp, None)
    if problems and not job.skip_bad:
        raise KpiError(problems)
    store = open_store(ws.root)
    store.replace_adjustments(month, str(Path(file).resolve()), by_emp)
    existing = {employee_of(p.stem, people): p for p in month_workbooks(ws.month_dir(month))}
    extra = {}
    for emp, entries in by_emp.items():
        old = try_read(existing[emp]) if emp in existing else None
        extra[emp] = log_values(plan, [a for _, a in entries] + form_rows(plan, people[emp].role, old))
    report = ImportReport(rows=sum(len(v) for v in by_emp.values()), employees=len(by_emp), skipped=problems)
    write_values(ws, plan, roster, month, extra, job.mode, report.generate, store, job.jobs, job.progress)
    return report


def form_rows(plan: Plan, role_id: str, old: WorkbookData | None) -> list[AdjustmentEntry]:
    """The log rows of items the form's filler may enter, as typed in the workbook (kept when HR imports)."""
    if old is None:
        return []
    x, _ = employee_inputs(old, plan, role_id)
    return [a for a in x.adjustments if plan.adjustment(a.item).entered_by == "form"]


def log_values(plan: Plan, entries: list[AdjustmentEntry]) -> dict:
    """Slot values of the whole 加减分 log: these rows, then blank rows."""
    out: dict[str, object] = {}
    for i in range(ADJ_ROWS):
        a = entries[i] if i < len(entries) else None
        out.update({f"adj_date_{i}": a and a.date, f"adj_item_{i}": a and plan.adjustment(a.item).name,
                    f"adj_count_{i}": a and a.count, f"adj_chosen_{i}": a and a.chosen,
                    f"adj_note_{i}": (a.note or None) if a else None})
    return out


def _is_adjustments(source: Source, job: ImportJob) -> bool:
    """A 项目 (item) column and no 指标: a log of 加减分 rows rather than values."""
    return has(source, ADJ_HEADERS, "item") and not has(source, HEADERS, "metric")


KIND = ImportKind("加减分", ADJ_HEADERS, "工号，日期，项目，数量（或次数、名次），分值，说明（或备注）"
                  "（或 employee_id, date, item, count, points, note）", _is_adjustments, import_adjustments)
