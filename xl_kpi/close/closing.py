"""Month close (结账): once the payroll went out, the month's state is recorded (every workbook's hash,
the payroll as ``rollup --json`` prints it, the plan's hash, who and when) and the month is locked:
generate and import refuse it until it is reopened, the payroll summary is read-only, and a workbook
that changed since is a problem of the roll-up. Changes after a close come only as recorded
amendments (an accepted appeal), so a paid number never changes silently."""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..month.closed import workbook_hashes
from ..month.record import plan_hash
from ..payroll.rollup import rollup, rollup_json
from ..payroll.summary import summary_path, write_summary
from ..store import open_store
from ..store.audit import file_digest, os_user
from ..store.rows import CloseRecord
from ..system.files import atomic_write
from ..workbook.stamp import AUDIT_HEAD, with_meta_line
from ..workspace import Workspace
from ..workspace.months import month_workbooks
from ..workspace.roster import Employee


@dataclass
class CloseResult:
    record: CloseRecord
    problems: list[Problem]


def close_month(ws: Workspace, plan: Plan, roster: list[Employee], month: str,
                accept_problems: bool = False) -> CloseResult:
    """Record the month's state and lock it; refused while the roll-up has open problems, unless they are
    accepted (they are kept in the record)."""
    store = open_store(ws.root)
    if store.closed(month) is not None:
        raise KpiError([Problem("already_closed", f"{month}已经结账（xl-kpi close --show --month {month} 查看） / "
                                f"{month} is already closed")])
    if not workbook_hashes(ws, month):
        raise KpiError([Problem("no_workbooks", f"{month}没有工作簿，无可结账 / no workbooks for {month}",
                                file=str(ws.month_dir(month)))])
    result = rollup(ws, plan, roster, month, accept_problems=accept_problems)
    problems = result.all_problems
    if problems and not accept_problems:
        raise KpiError([Problem("close_problems", f"{month}还有{len(problems)}个待核问题，不能结账；修正后再结账，或加 "
                                f"--accept-problems 照此结账（问题记入结账记录） / {len(problems)} open problem(s): fix them "
                                f"or close with --accept-problems")] + problems)
    anchor = store.audit_head()  # printed on the summary HR signs: the record can be checked against paper
    stamp_workbooks(ws, month, anchor)  # and written into every workbook (first: one open in Excel stops the close)
    path = write_summary(result, summary_path(ws, month), locked=True, anchor=anchor)
    set_read_only(path, True)
    record_id = store.record_close(month, "closed", plan_hash(plan), workbook_hashes(ws, month), rollup_json(result),
                                   [p.as_dict() for p in problems], os_user())
    total = sum(float(r["total_pay"]) for r in rollup_json(result) if r["status"] != "held" and r["total_pay"])
    store.audit("close", [(month, "", "结账", "", f"{total:.2f}", file_digest(path))])
    return CloseResult(next(r for r in store.closes(month) if r.id == record_id), problems)


def stamp_workbooks(ws: Workspace, month: str, anchor: tuple[int, str]) -> None:
    """The trail's head at the close in each workbook's hidden sheet (before their hashes are recorded).
    A file without xl_kpi's hidden sheet (a foreign workbook the roll-up already named) is left as it is."""
    for path in month_workbooks(ws.month_dir(month)):
        try:
            data = with_meta_line(path.read_bytes(), AUDIT_HEAD, f"{anchor[0]}:{anchor[1]}")
        except (ValueError, zipfile.BadZipFile):
            continue
        atomic_write(path, data)


def reopen_month(ws: Workspace, month: str, reason: str) -> CloseRecord:
    """Unlock a closed month (the close stays on record, with who reopened it, when and why)."""
    store = open_store(ws.root)
    record = store.closed(month)
    if record is None:
        raise KpiError([Problem("not_closed", f"{month}没有结账，无需重开 / {month} is not closed")])
    if not reason.strip():
        raise KpiError([Problem("reason_missing", "重开须写明原因（--reason） / say why (--reason)")])
    set_read_only(summary_path(ws, month), False)
    store.record_close(month, "reopened", record.plan_hash, record.workbooks, record.payroll, record.accepted,
                       os_user(), reason.strip())
    store.audit("close --reopen", [(month, "", "重开", "结账", reason.strip(), "")])
    return store.closes(month)[-1]


def set_read_only(path: Path, read_only: bool) -> None:
    """The file's read-only flag (Windows' attribute, the write bits elsewhere)."""
    if not Path(path).exists():
        return
    mode = os.stat(path).st_mode
    writable = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    os.chmod(path, (mode & ~writable) if read_only else (mode | stat.S_IWUSR))
