"""A closed month (结账) as the month's steps meet it: generate and import refuse it, and a workbook changed,
added or removed since the close is a problem of the score and the roll-up."""
from __future__ import annotations

from pathlib import Path

from ..core.errors import KpiError, Problem
from ..store import open_store
from ..store.audit import file_digest
from ..workspace import Workspace
from ..workspace.months import SUMMARY_PREFIX, employee_of, month_workbooks


def workbook_hashes(ws: Workspace, month: str) -> dict[str, str]:
    """File name → sha256 of each employee workbook of the month."""
    folder = ws.month_dir(month)
    return {p.name: file_digest(p) for p in month_workbooks(folder)} if folder.is_dir() else {}


def refuse_if_closed(ws: Workspace, month: str, what: str) -> None:
    """A KpiError saying the month is closed and how to reopen it (generate, import, the ribbon's 生成)."""
    record = open_store(ws.root).closed(month)
    if record is not None:
        raise KpiError([Problem("month_closed", f"{month}已于{record.at[:10]}由{record.user}结账，不能再{what}；如确需更改，"
                                f"先运行 xl-kpi close --reopen --month {month} --reason 原因（会记入审计记录），或通过申诉更正 / "
                                f"{month} was closed on {record.at[:10]} by {record.user}: reopen it first "
                                f"(xl-kpi close --reopen --month {month} --reason …)", file=str(ws.month_dir(month)))])


def changed_since_close(ws: Workspace, month: str, ids=()) -> list[Problem]:
    """Each workbook of a closed month that differs from its hash at the close (or is gone, or is new),
    on its employee when ``ids`` (the roster's) name one."""
    record = open_store(ws.root).closed(month)
    if record is None:
        return []
    now = workbook_hashes(ws, month)
    folder = ws.month_dir(month)
    out = []
    for name in sorted(set(record.workbooks) | set(now)):
        before, after = record.workbooks.get(name), now.get(name)
        if before == after:
            continue
        why = ("结账后被删除 / removed after the close" if after is None else
               "结账后新增 / added after the close" if before is None else "结账后被改动 / changed after the close")
        emp = employee_of(Path(name).stem, ids)
        out.append(Problem("changed_after_close", f"{name}{why.split(' / ')[0]}（{record.at[:10]}结账）；结账的数字以结账"
                           f"记录为准 / {name}: {why.split(' / ')[1]}", file=str(folder / name),
                           employee=emp if emp in ids else None))
    summary = summary_changed(ws, month)
    return out + ([summary] if summary else [])


def summary_changed(ws: Workspace, month: str) -> Problem | None:
    """A closed month's payroll summary (the file HR prints and send attaches) that is not the one written at
    the close: its hash then is in the close's audit entry."""
    store = open_store(ws.root)
    if store.closed(month) is None:
        return None
    path = ws.month_dir(month) / f"{SUMMARY_PREFIX}-{month}.xlsx"
    closes = [e for e in store.audit_entries(month) if e.command == "close" and e.field == "结账" and e.file_hash]
    if not closes or file_digest(path) == closes[-1].file_hash:
        return None
    return Problem("summary_changed_after_close", f"{path.name}在结账后被改动（或被删除），与结账时写入的不同；工资以结账"
                   f"记录为准，不要打印或发送此文件。用 xl-kpi close --show --month {month} 查看结账记录，必要时重开后重新汇总 / "
                   f"the closed month's payroll summary was changed after the close: do not print or send it",
                   file=str(path))
