"""申诉: an employee disputes a metric's actual or a 加减分 item within the plan's window after their
results were mailed; HR accepts (with the corrected value) or rejects (with a reason). An accepted
appeal on a closed month is an amendment: the value goes into the workbook with a note on its 说明
sheet, the month is scored again, the pay difference becomes a 补发/扣回 line of the next payroll, the
close record gains the amended state beside the closed one, and ``send`` mails the decision."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..core.dates import working_days_after
from ..core.errors import KpiError, Problem
from ..core.numbers import num, snap
from ..core.plan import Plan
from ..core.scorecard import AdjustmentEntry
from ..core.typed import TypedNumberError, typed_number
from ..month.closed import workbook_hashes
from ..month.generate import write_values
from ..month.imports.adjustments import form_rows, log_values
from ..month.imports.table import parse_value
from ..month.record import plan_hash
from ..payroll.rollup import rollup, rollup_json
from ..store import open_store
from ..store.audit import file_digest, os_user
from ..workbook.rendered import try_read
from ..workbook.texts import date_zh, months_back
from ..workspace import Workspace
from ..workspace.months import workbook_path
from ..workspace.roster import Employee


def _bad(message: str) -> KpiError:
    return KpiError([Problem("appeal_invalid", message)])


def mailed_on(ws: Workspace, month: str, employee: str) -> dt.date | None:
    """The day the employee's results first went out (the appeal window starts there)."""
    row = open_store(ws.root).conn.execute(
        "SELECT at FROM sends WHERE month = ? AND key = ? AND status = 'sent' ORDER BY id LIMIT 1",
        (month, f"employee:{employee}:{month}")).fetchone()
    return dt.date.fromisoformat(row[0][:10]) if row else None


def window_end(plan: Plan, mailed: dt.date) -> dt.date:
    return working_days_after(mailed, plan.appeal.days)


def target_of(plan: Plan, e: Employee, metric: str | None, item: str | None) -> tuple[str, str, str]:
    """(kind, id, name) of what an appeal disputes: a metric the person's results hold, or a 加减分 item."""
    role = plan.roles[e.role]
    if (metric is None) == (item is None):
        raise _bad("请用 --metric 或 --item 指明申诉的指标或加减分项目（二选一） / name one --metric or --item")
    if metric is not None:
        m = next((m for m in role.metrics if metric in (m.id, m.name)), None)
        if m is None or m.source != "input" or m.compute:
            typed = "、".join(f"{x.id}（{x.name}）" for x in role.metrics if x.source == "input" and not x.compute)
            raise _bad(f"“{metric}”不是{role.name}填写的指标，可申诉的有：{typed} / {metric} is not a metric of the role "
                       f"that is typed")
        return "metric", m.id, m.name
    a = next((a for a in plan.role_adjustments(e.role) if item in (a.id, a.name)), None)
    if a is None:
        raise _bad(f"“{item}”不是{role.name}的加减分项目 / {item} is not an adjustment of the role")
    return "item", a.id, a.name


def file_appeal(ws: Workspace, plan: Plan, roster: list[Employee], month: str, employee: str, reason: str,
                metric: str | None = None, item: str | None = None, claimed: str | None = None,
                filed_on: dt.date | None = None) -> int:
    """Record an appeal (refused after the window, with the day it ended); returns its number."""
    e = next((x for x in roster if x.id == employee), None)
    if e is None:
        raise _bad(f"花名册中没有工号“{employee}” / no employee {employee}")
    if not workbook_path(ws, month, e).exists():
        raise _bad(f"{month}没有{e.name}的工作簿，无可申诉 / no workbook of {employee} for {month}")
    if not reason.strip():
        raise _bad("请写明申诉理由（--reason） / give the reason (--reason)")
    kind, target, name = target_of(plan, e, metric, item)
    value = None
    if claimed is not None:
        unit = plan.roles[e.role].metric(target).unit if kind == "metric" else ""
        try:
            value = typed_number(claimed, unit)
        except TypedNumberError as exc:
            raise _bad(f"申诉值：{exc}") from None
    filed_on = filed_on or dt.date.today()
    mailed = mailed_on(ws, month, employee)
    first_day = dt.date.fromisoformat(f"{month}-01")
    if filed_on < (mailed or first_day):  # an appeal of results not yet given: a mistyped --filed
        raise _bad(f"收到申诉的日期{date_zh(filed_on)}早于{'结果发出的' + date_zh(mailed) if mailed else month + '本身'}，"
                   f"请核对 --filed / the day received is before the results were mailed (or the month began)")
    if mailed is not None and filed_on > window_end(plan, mailed):
        end = window_end(plan, mailed)
        raise KpiError([Problem("appeal_late", f"申诉期已于{date_zh(end)}结束（结果于{date_zh(mailed)}发出，"
                                f"{plan.appeal.days}个工作日内可申诉），{date_zh(filed_on)}提出的申诉不予受理 / the appeal "
                                f"window ended on {end}", employee=employee)])
    store = open_store(ws.root)
    number = store.add_appeal(month, employee, kind, target, reason.strip(), value, filed_on.isoformat(), os_user())
    store.audit("appeal add", [(month, employee, f"申诉第{number}号：{name}", "", reason.strip(), "")])
    return number


@dataclass
class Decision:
    number: int
    status: str
    employee: str
    month: str
    before: float | None
    after: float | None
    pay_before: Decimal | None
    pay_after: Decimal | None
    correction: Decimal | None  # 补发 (+) or 扣回 (−) with the next payroll, for a closed month
    payroll_month: str | None


def decide(ws: Workspace, plan: Plan, roster: list[Employee], number: int, accept: bool, value: str | None = None,
           reason: str = "") -> Decision:
    store = open_store(ws.root)
    found = store.appeals(number=number)
    if not found:
        raise _bad(f"没有第{number}号申诉 / no appeal #{number}")
    a = found[0]
    if a["status"] != "open":
        raise _bad(f"第{number}号申诉已于{a['decided_at'][:10]}{'受理' if a['status'] == 'accepted' else '驳回'} / "
                   f"appeal #{number} was decided already")
    e = next((x for x in roster if x.id == a["employee"]), None)
    if e is None:
        raise _bad(f"第{number}号申诉的员工{a['employee']}已不在花名册中，无法按现行岗位核对和更正；请在花名册中恢复此人"
                   f"（可注明离职）后再决定，或驳回并说明 / {a['employee']} has left the roster: put them back to decide, "
                   f"or reject with a reason")
    month = a["month"]
    name = target_of(plan, e, a["target"] if a["kind"] == "metric" else None,
                     a["target"] if a["kind"] == "item" else None)[2]
    if not accept:
        if not reason.strip():
            raise _bad("驳回须写明理由（--reason） / a rejection needs --reason")
        store.decide_appeal(number, "rejected", reason.strip(), os_user())
        store.audit("appeal decide", [(month, e.id, f"申诉第{number}号：{name}", "待决定", f"驳回：{reason.strip()}", "")])
        return Decision(number, "rejected", e.id, month, None, None, None, None, None, None)
    new = _new_value(a, e, plan, value)
    closed = store.closed(month)
    pay_before = _pay_of(closed.payroll if closed else _payroll(ws, plan, roster, month), e.id)
    before = _current(ws, store, a, e)
    decision = reason.strip() or f"{name}由{_shown(before)}更正为{_shown(new)}"
    # decided first, so the workbook written next carries the note on its 说明 sheet
    store.decide_appeal(number, "accepted", decision, os_user(), before, new,
                        None if pay_before is None else str(pay_before))
    _apply(ws, plan, roster, store, a, e, new, number)
    payroll = _payroll(ws, plan, roster, month)
    pay_after = _pay_of(payroll, e.id)
    store.decide_appeal(number, "accepted", decision, os_user(), before, new,
                        None if pay_before is None else str(pay_before), None if pay_after is None else str(pay_after))
    correction = payroll_month = None
    if closed is not None and pay_before is not None and pay_after is not None:
        correction, payroll_month = pay_after - pay_before, months_back(month, -1)
        store.record_correction(number, month, e.id, str(correction), payroll_month)
        store.record_close(month, "amended", plan_hash(plan), workbook_hashes(ws, month), payroll, closed.accepted,
                           os_user(), f"申诉第{number}号：{e.name}{name} {_shown(before)}→{_shown(new)}")
    store.audit("appeal decide", [(month, e.id, f"申诉第{number}号：{name}", before, new,
                                   file_digest(workbook_path(ws, month, e)))])
    return Decision(number, "accepted", e.id, month, before, new, pay_before, pay_after, correction, payroll_month)


def _new_value(a: dict, e: Employee, plan: Plan, value: str | None) -> float:
    if value is None:
        if a["claimed"] is None:
            raise _bad("受理须给出更正后的值（--value），申诉时未填申诉值 / accepting needs --value")
        return a["claimed"]
    if a["kind"] == "metric":  # checked as an import of the metric is: the same rules, the same words
        try:
            return parse_value(value, plan.roles[e.role].metric(a["target"]))
        except ValueError as exc:
            raise _bad(f"--value：{exc}") from None
    try:
        new = snap(typed_number(value))
    except TypedNumberError as exc:
        raise _bad(f"--value：{exc}") from None
    if new < 0 or new != int(new):
        raise _bad(f"加减分项目的更正值是次数（整数，0为撤销），不是{num(new)} / an item's value is its count (0 removes it)")
    return new


def _current(ws: Workspace, store, a: dict, e: Employee) -> float | None:
    """The value the appeal disputes as it stands: the metric's actual in the workbook, or how many times
    HR recorded the item."""
    if a["kind"] == "metric":
        old = try_read(workbook_path(ws, a["month"], e))
        value = old.values.get(f"actual_{a['target']}") if old is not None else None
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    rows = store.adjustments(a["month"]).get(e.id, [])
    return float(sum((count if count is not None else 1) for item, count, *_ in rows if item == a["target"]))


def _apply(ws: Workspace, plan: Plan, roster: list[Employee], store, a: dict, e: Employee, new: float,
           number: int) -> None:
    """Put the corrected value into HR's record and the workbook."""
    month = a["month"]
    source = f"申诉第{number}号"
    if a["kind"] == "metric":
        slot = f"actual_{a['target']}"
        store.record_imports(month, source, [(e.id, slot, new, None)])
        write_values(ws, plan, roster, month, {e.id: {slot: new}}, store=store)
        return
    rows = store.adjustments(month).get(e.id, [])
    entries = [AdjustmentEntry(item, count, chosen, note, date) for item, count, chosen, note, date, _, _ in rows]
    kept = [x for x in entries if x.item != a["target"]]
    if new:
        kept.append(AdjustmentEntry(a["target"], new, None, f"{source}更正", dt.date.today().isoformat()))
    store.replace_adjustments(month, source, {e.id: [(None, x) for x in kept]})
    old = try_read(workbook_path(ws, month, e))
    write_values(ws, plan, roster, month, {e.id: log_values(plan, kept + form_rows(plan, e.role, old))}, store=store)


def _payroll(ws: Workspace, plan: Plan, roster: list[Employee], month: str) -> list[dict]:
    return rollup_json(rollup(ws, plan, roster, month, accept_problems=True))


def _pay_of(payroll: list[dict], employee: str) -> Decimal | None:
    record = next((r for r in payroll if r["employee_id"] == employee), None)
    return Decimal(record["total_pay"]) if record and record.get("total_pay") else None


def _shown(x) -> str:
    if x is None:
        return "空"
    return f"{x:g}" if isinstance(x, float) else str(x)
