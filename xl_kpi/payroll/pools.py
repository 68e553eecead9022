"""Team point pools (团队积分池): the split a team's lead typed in the 积分分配 sheet of their workbook, or
HR's import of it, and the shares it gives each member in the roll-up (month pools) or the review (year
pools)."""
from __future__ import annotations

from ..core import condition
from ..core.errors import Problem
from ..core.numbers import snap
from ..core.plan import Plan, Pool
from ..core.typed import TypedNumberError, typed_number
from ..month.imports.pools import split_wrong
from ..month.record import month_figures
from ..store import open_store
from ..workbook.reader import WorkbookData, typed_pool_shares
from ..workbook.rendered import try_read
from ..workspace import Workspace
from ..workspace.months import workbook_path
from ..workspace.roster import Employee

Split = dict[str, list[tuple[str, float]]]  # pool id → [(employee, points)]


def sheet_split(data: WorkbookData, plan: Plan, roster: list[Employee], lead: Employee, month: str) -> tuple[Split, list[Problem]]:
    """The pools a lead split in the 积分分配 sheet of their workbook (pools left blank are not split yet),
    each checked: the rows are the roster's team, every share a number, the shares add up to the pool."""
    split: Split = {}
    problems: list[Problem] = []

    def bad(message: str, name: str):
        sheet, cell = data.where(name) or (None, None)
        problems.append(Problem("pool_sheet", message, file=str(data.path), sheet=sheet, cell=cell, employee=lead.id))

    for pool in plan.pools_led(lead.role, month):
        team = [e for e in roster if e.role == pool.role]
        rows = typed_pool_shares(data, pool.id)
        if all(pts is None or pts == "" for _, pts in rows):
            continue
        if [who for who, _ in rows] != [e.id for e in team]:
            bad(f"{pool.name}的成员与花名册不一致，请重新生成此工作簿（已填写的分值会保留） / the team of {pool.id} "
                f"differs from the roster: generate the workbook again", f"poolwho_{pool.id}_0")
            continue
        shares, ok = [], True
        for i, (member, (_, pts)) in enumerate(zip(team, rows)):
            try:
                shares.append((member, typed_number(pts) if pts not in (None, "") else 0.0))
            except TypedNumberError as exc:
                bad(f"{member.name}的分值：{exc}", f"poolpts_{pool.id}_{i}")
                ok = False
        wrong = split_wrong(pool, [(m.name, p) for m, p in shares]) if ok else None
        if wrong:
            bad(wrong, f"pooltotal_{pool.id}")
        elif ok:
            split[pool.id] = [(m.id, p) for m, p in shares]
    return split, problems


def lead_splits(ws: Workspace, plan: Plan, roster: list[Employee], month: str) -> tuple[Split, list[Problem]]:
    """The splits typed in the month's lead workbooks; two leads splitting one pool differently is a problem."""
    out: Split = {}
    by: dict[str, Employee] = {}
    problems: list[Problem] = []
    for lead in roster:
        if not plan.pools_led(lead.role, month):
            continue
        path = workbook_path(ws, month, lead)
        data = try_read(path) if path.exists() else None
        if data is None:
            continue  # the roll-up reports a missing or unreadable workbook already
        split, found = sheet_split(data, plan, roster, lead, month)
        problems += found
        for pid, shares in split.items():
            if pid in out and sorted(out[pid]) != sorted(shares):
                problems.append(Problem("pool_conflict", f"{plan.pool(pid).name}由{by[pid].name}和{lead.name}分配，两份不一致；"
                                        f"请只保留一份 / two leads split {pid} differently", file=str(path), employee=lead.id))
                continue
            out[pid], by[pid] = shares, lead
    return out, problems


def pool_shares(ws: Workspace, plan: Plan, roster: list[Employee], months: list[str],
                period: str) -> tuple[dict[str, list[tuple[Pool, float]]], list[Problem]]:
    """employee → [(pool, points)] of the pools of this period split in these months: HR's import where
    there is one, else the lead's 积分分配 sheet; and the problems of the sheets read. A pool with conditions
    is paid only as the month's imported figures decide (core/condition.py)."""
    out: dict[str, list[tuple[Pool, float]]] = {}
    problems: list[Problem] = []
    store = open_store(ws.root)
    for month in months:
        imported = store.imported(month, prefix="pool_")
        pools = [p for p in plan.pools if p.period == period]
        if not pools:
            continue
        typed, found = lead_splits(ws, plan, roster, month) if any(p.lead for p in pools) else ({}, [])
        problems += found
        figures = month_figures(store, month)
        for p in pools:
            from_hr = [(emp, slots[f"pool_{p.id}"].value) for emp, slots in imported.items() if f"pool_{p.id}" in slots]
            shares = [(emp, pts) for emp, pts in (from_hr or typed.get(p.id, [])) if pts]
            if p.conditions() and (shares or p.period == "month" or month[5:7] == "12"):  # a year's split: December
                wrong = _against_conditions(plan, p, month, figures, shares, roster)
                if wrong is not None:
                    problems.append(wrong)
                    continue
            for emp, pts in shares:
                out.setdefault(emp, []).append((p, pts))
    return out, problems


def _against_conditions(plan: Plan, pool: Pool, month: str, figures: dict[str, float], shares: list,
                        roster: list[Employee]) -> Problem | None:
    """Why a split of a pool with conditions cannot be paid this month, or None when it can: a figure the
    conditions read is not imported, or the split does not add up to what they decide."""
    missing = [plan.figure(n).name for n in condition.unread([text for _, text in pool.conditions()], figures)]
    lead = next((e.id for e in roster if e.role == pool.lead), None)
    if missing:
        return Problem("figure_missing", f"{pool.name}的条件需要{month}的外部数据：{'、'.join(missing)}，尚未导入；"
                       f"导入后再汇总（xl-kpi import 文件 --month {month}） / the figures the conditions of "
                       f"{pool.id} read are not imported for {month}", employee=lead)
    try:
        total = pool.decided(figures)
    except condition.ConditionError as exc:  # a division by a figure imported as 0
        return Problem("pool_condition", f"{pool.name}的条件无法判定：{str(exc).split(' / ')[0]} / the conditions of "
                       f"{pool.id} cannot be decided", employee=lead)
    split = snap(sum(pts for _, pts in shares))
    if not shares and not total:
        return None
    if split == snap(total):
        return None
    shown = "、".join(f"{text}" for _, text in pool.conditions())
    want = f"{total:+g}分" if total else "没有团队分（条件都不成立：" + shown + "）"
    return Problem("pool_condition", f"{pool.name}：按{month}导入的外部数据，本月应为{want}，分配合计为{split:g}；"
                   f"请按条件重新分配 / by the figures imported for {month}, {pool.id} is {total:+g}, the split adds "
                   f"up to {split:g}", employee=lead)
