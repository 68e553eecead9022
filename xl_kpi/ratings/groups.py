"""A month round's scores as HR's record of the month holds them: each rater group's score of a person's item
(the mean of the group's raters, once all of them have rated), added as the value of the workbook's rating
cell, owned by the forms that gave it; the workbooks are then written as after an import."""
from __future__ import annotations

from ..core.plan import Plan
from ..core.rules import RATER_NAMES
from ..month.generate import ImportedSince, write_values
from ..store import open_store
from ..store.trail import record_import, snapshot
from ..workspace import Workspace
from ..workspace.months import employee_of, month_workbooks
from ..workspace.roster import Employee


def group_values(store, round_key: str, people: set[str]) -> list[tuple[str, str, float, str, None]]:
    """(employee, slot, value, source, line) of every group score of these people whose raters have all rated,
    owned by the form that gave it (or, for a group of several, by the forms together)."""
    kept = {r.rater: r.kept for r in store.returns(round_key) if r.kind == "form" and r.status == "counted"}
    return [(emp, f"rating_{item}_{grp}", value,
             kept[raters[0]] if len(raters) == 1 else f"评分表（{RATER_NAMES[grp]}{len(raters)}人平均）", None)
            for (emp, item, grp), (value, raters) in store.group_scores(round_key, people).items()]


def refresh_groups(ws: Workspace, plan: Plan, roster: list[Employee], month: str, people: set[str]) -> int:
    """The group scores of these people that changed, into HR's record and their workbooks; how many changed."""
    store = open_store(ws.root)
    current = store.imported(month, employees=people)
    changed = [row for row in group_values(store, month, people)
               if (was := current.get(row[0], {}).get(row[1])) is None or was.value != row[2]]
    if not changed:
        return 0
    before = snapshot(store, month)
    with store.conn:
        after = store.last_import()
        store.add_values(month, changed)
    touched = {row[0] for row in changed}
    write_values(ws, plan, roster, month, ImportedSince(after, touched), store=store)
    ids = {e.id for e in roster}
    record_import(store, month, before, ws.root / "评分表",
                  {employee_of(p.stem, ids): p for p in month_workbooks(ws.month_dir(month))})
    return len(changed)
