"""The round's 评分汇总 for HR only: each rater's own scores and comments and each form's state, written to
returns/ (HR's folder, beside returns/<round>/, which holds only the files as they arrived) after every collect and by ``xl-kpi status``; never mailed to anyone."""
from __future__ import annotations

from pathlib import Path

from ..core.plan import Plan
from ..core.rules import RATER_NAMES
from ..store import open_store
from ..system.files import atomic_write
from ..workbook.rating_summary import SummaryRow, summary_bytes
from ..workspace import Workspace
from ..workspace.folder import inside
from ..workspace.roster import Employee
from .rounds import item_name, round_zh
from .status import FormStatus, round_status

SUMMARY = "评分汇总"


def summary_path(ws: Workspace, round_key: str) -> Path:
    return inside(ws.root, "returns", f"{SUMMARY}-{round_key}.xlsx")  # beside the round's folder of files as they came


def write_round_summary(ws: Workspace, plan: Plan, roster: list[Employee], round_key: str,
                        statuses: list[FormStatus] | None = None) -> Path | None:
    """The summary of a round that has forms (None when it has none); ``statuses``: the forms' as already read."""
    statuses = round_status(ws, round_key) if statuses is None else statuses
    if not statuses:
        return None
    store = open_store(ws.root)
    people = {e.id: e for e in roster}
    forms = store.forms(round_key)
    when = {s.rater: s.returned_at[:16].replace("T", " ") for s in statuses}
    rows = [SummaryRow(emp, people[emp].name if emp in people else emp,
                       item_name(plan, people[emp], item, round_key) if emp in people else item,
                       RATER_NAMES.get(grp, grp), forms[rater].name if rater in forms else rater, value, comment or "",
                       when.get(rater, "")) for rater, emp, item, grp, value, comment in store.ratings(round_key)]
    status = [[s.rater, s.name, s.email, s.asked, "是" if s.sent else "否", s.state_zh, when[s.rater],
               s.note.split(" / ")[0]] for s in statuses]
    path = summary_path(ws, round_key)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, summary_bytes(plan.department, round_zh(round_key), rows, status))
    return path
