"""The month-end roll-up: every workbook of the month read, checked and scored on worker processes, then the
department-wide steps (rank bonuses, team pools, award limits, grades, quotas). The filled workbooks are only
read; scores are the rule engine's, computed from the inputs; whatever looks wrong is listed by employee,
sheet and cell."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from ..core.cohort import QuotaCheck, Ranked, check_quotas
from ..core.errors import Problem
from ..core.plan import Plan
from ..month.closed import changed_since_close
from ..month.score import held, pay_json, score_data, scored_json
from ..month.scored import Scored, use_plan
from ..store import open_store
from ..system import parallel
from ..workbook.reader import WorkbookData
from ..workbook.rendered import read_any
from ..workspace import Workspace
from ..workspace.months import (
    employee_of,
    month_workbooks,
    strange_files,
    strange_problem,
)
from ..workspace.roster import Employee
from .checker import Checker
from .cohort import apply_cohort_bonuses, check_award_limits
from .releases import pay_changes


@dataclass
class Rollup:
    month: str
    plan: Plan
    entries: list[Scored] = field(default_factory=list)  # one per roster employee, roster order
    problems: list[Problem] = field(default_factory=list)  # about files rather than one employee's inputs
    bonuses: dict[str, list[Ranked]] = field(default_factory=dict)  # cohort bonus id → ranking
    quotas: list[QuotaCheck] = field(default_factory=list)
    accept_problems: bool = False  # pay those with problems too (the problems are printed beside them)
    # 补发/扣回 settled with this payroll: (appeal, month corrected, employee, amount) of accepted appeals
    corrections: list[tuple[int, str, str, str]] = field(default_factory=list)
    # pay lines an earlier release rolled up differently for the same inputs: named, not held
    notices: list[Problem] = field(default_factory=list)

    def held(self, s: Scored) -> bool:
        """A problem holds the pay line until it is fixed, unless HR accepts the problems."""
        return bool(s.problems) and not self.accept_problems

    def paid(self, s: Scored) -> bool:
        return not self.held(s) and s.card is not None and s.card.pay is not None and s.card.score is not None

    @property
    def all_problems(self) -> list[Problem]:
        return self.problems + [p for e in self.entries for p in e.problems]


def _read(path: Path, template=None) -> WorkbookData | Problem:
    """The workbook (off ``template`` when still as written), or the problem of a file that cannot be read."""
    try:
        return read_any(path, template)
    except Exception as exc:  # unreadable files are reported, never rewritten
        return Problem("workbook_unreadable", f"工作簿无法读取 / cannot read the workbook: {exc}", file=str(path))


def _files(ws: Workspace, month: str, roster_ids: set[str], rollup: Rollup) -> dict[str, list]:
    """The month's workbooks by employee (a path as text, read later by a worker; or, for a file xl_kpi did not
    record, the workbook read here to tell whose it is); strays and unreadable files become problems."""
    by_emp: dict[str, list] = defaultdict(list)
    recorded = {g.file: g.employee for g in open_store(ws.root).generated(month).values()}
    for path in strange_files(ws.month_dir(month)):  # a link or a pipe named like a workbook: never read
        emp = employee_of(path.stem, roster_ids)
        rollup.problems.append(strange_problem(path, emp if emp in roster_ids else None))
    for path in month_workbooks(ws.month_dir(month)):
        emp = recorded.get(path.name)  # whose workbook it is: HR's record of the file written, before anything it says
        if emp is not None:
            if emp in roster_ids:
                by_emp[emp].append(str(path))  # read by a worker; text, as 100,000 Path objects weigh
            else:
                rollup.problems.append(_stray(emp, path))
            continue
        data = _read(path)
        stem_id = employee_of(path.stem, roster_ids)
        if isinstance(data, Problem):
            data = Problem(data.type, data.message, file=data.file, employee=stem_id)
            if stem_id in roster_ids:
                by_emp[stem_id].append(data)  # an employee with an unreadable file is not "missing": the worker says so
            else:
                rollup.problems.append(data)
            continue
        emp = str(data.meta.get("meta_employee") or data.values.get("employee_id") or stem_id)
        if emp not in roster_ids:
            rollup.problems.append(_stray(emp, path))
            continue
        wrong = _wrong_month(data, month, emp)
        if wrong:
            rollup.problems.append(wrong)
            continue
        by_emp[emp].append(data)
    return by_emp


def _stray(emp: str, path: Path) -> Problem:
    return Problem("not_on_roster", f"工作簿属于不在花名册上的“{emp}” / workbook for “{emp}”, who is not on the roster",
                   file=str(path), employee=emp)


def _wrong_month(data: WorkbookData, month: str, emp: str) -> Problem | None:
    wb_month = str(data.meta.get("meta_month") or data.values.get("month") or "")
    if wb_month == month:
        return None
    where = data.where("month")
    return Problem("wrong_month", f"这是{wb_month or '未知月份'}的工作簿，不是{month} / a workbook of "
                   f"{wb_month or 'an unknown month'}, not {month}", file=str(data.path), employee=emp,
                   sheet=where and where[0], cell=where and where[1])


def rollup(ws: Workspace, plan: Plan, roster: list[Employee], month: str, progress=None,
           accept_problems: bool = False, jobs: int = 1) -> Rollup:
    """Every workbook of the month read, checked and scored (on ``jobs`` worker processes), then the
    department-wide steps: rank bonuses, team pools, award limits, grades, quotas."""
    result = Rollup(month, plan, accept_problems=accept_problems)
    by_emp = _files(ws, month, {e.id for e in roster}, result)
    parts = parallel.chunks([(e, by_emp.pop(e.id, [])) for e in roster], jobs)
    people = {e.id: e for e in roster}
    for entries, problems in parallel.run(_rollup_part, parts, jobs, progress, parallel.employees,
                                          (ws, plan, month, roster)):
        result.entries += [held(s, people) for s in entries]
        result.problems += problems
    scored = {s.employee.id: s for s in result.entries if s.card is not None}
    apply_cohort_bonuses(plan, month, result, scored, ws)
    check_award_limits(ws, plan, month, result)
    _after_close(ws, month, result)
    store = open_store(ws.root)
    result.corrections = store.corrections(month)
    result.notices = pay_changes(store, result)
    final = [(s.employee.id, s.card.grade, s.card.score) for s in result.entries if s.card and s.card.score is not None]
    result.quotas = check_quotas(plan.grades, final)
    return result


def _rollup_part(args, part: list[tuple[Employee, list]]) -> tuple[list[Scored], list[Problem]]:
    """One worker's share of the roll-up: its employees' workbooks read, checked and scored (a workbook's
    cells stay here; the card, the inputs and the problems go back)."""
    ws, plan, month, roster = args
    use_plan(plan)  # the cards go back packed
    checker = Checker(ws, plan, month, roster, {e.id for e, _ in part})
    entries: list[Scored] = []
    problems: list[Problem] = []
    for e, found in part:
        loaded = []
        for f in found:
            data = _read(Path(f), checker.owner.template(e.role)) if isinstance(f, str) else f
            if isinstance(data, Problem):
                problems.append(Problem(data.type, data.message, file=data.file, employee=e.id))
                loaded.append(None)
                continue
            wrong = _wrong_month(data, month, e.id) if data is not None else None
            if wrong:
                problems.append(wrong)
                continue
            loaded.append(data)
        entries.append(_one(ws, plan, month, e, loaded, checker, problems))
    return entries, problems


def _one(ws: Workspace, plan: Plan, month: str, e: Employee, found: list, checker: "Checker",
         problems: list[Problem]) -> Scored:
    readable = [d for d in found if d is not None]
    if not found:
        return Scored(e, None, None, None, [Problem("workbook_missing", f"缺少{e.name}的工作簿 / no workbook for {e.id}",
                                                    file=str(ws.month_dir(month) / f"{e.file_stem}.xlsx"), employee=e.id)])
    if len(found) > 1:
        files = ", ".join(str(d.path.name) for d in readable)
        return Scored(e, None, None, None, [Problem(
            "duplicate_workbook", f"{e.name}有{len(found)}个工作簿：{files} / {len(found)} workbooks for {e.id}",
            file=str(ws.month_dir(month)), employee=e.id)])
    if not readable:  # the file-level problem moves to the employee, so the pay line is marked too
        own = [p for p in problems if p.type == "workbook_unreadable" and p.employee == e.id]
        problems[:] = [p for p in problems if p not in own]
        return Scored(e, None, None, None, own)
    s = score_data(readable[0], plan, e, month, record=checker.owner.record)
    s.problems += checker.check(s)
    return s.pack()  # 100,000 read workbooks would not fit in memory; the inputs are kept, compressed


def _after_close(ws: Workspace, month: str, result: Rollup) -> None:
    """A closed month's workbook that changed since the close: a problem on its employee's line."""
    people = {s.employee.id: s for s in result.entries}
    for p in changed_since_close(ws, month, set(people)):
        (people[p.employee].problems if p.employee else result.problems).append(p)


def rollup_json(result: Rollup) -> list[dict]:
    return list(rollup_records(result))


def rollup_records(result: Rollup) -> Iterator[dict]:
    """The record of each employee ``rollup --json`` prints, one at a time."""
    corrections = defaultdict(list)
    for _, _, e, a in result.corrections:
        corrections[e].append(Decimal(a))
    for s in result.entries:
        record = scored_json(s, result.plan)
        record.update(pay_json(s.card if s.card and s.card.score is not None else None))
        record["status"] = "held" if result.held(s) else ("accepted" if s.problems else "paid")
        mine = corrections.get(s.employee.id)
        if mine:  # 补发/扣回 of an earlier month's accepted appeal, settled with this payroll
            record["correction"] = str(sum(mine))
        notices = [p.as_dict() for p in result.notices if p.employee == s.employee.id]
        if notices:  # paid differently than an earlier release paid it, and why
            record["notices"] = notices
        yield record
