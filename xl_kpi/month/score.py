"""``xl-kpi score``: each employee's scorecard from their workbook of the month, every problem placed by
sheet and cell; with HR's record, every value the filler does not own is taken from its owner."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ..core.errors import Problem
from ..core.plan import Plan
from ..core.scorecard import EmployeeInputs, Scorecard, score
from ..system import parallel
from ..workbook.reader import WorkbookData, employee_inputs, locate, log_rows
from ..workbook.rendered import read_any, try_read
from ..workspace import Workspace
from ..workspace.months import (
    employee_of,
    month_workbooks,
    strange_files,
    strange_problem,
)
from ..workspace.roster import Employee
from .closed import changed_since_close
from .generator import Generator
from .ownership import (
    display_problems,
    figures_missing,
    hr_adjustments,
    imported_values,
    ratings_not_owned,
)
from .record import MonthRecord
from .scored import Scored, use_plan


def slot_values(x: EmployeeInputs) -> dict[str, object]:
    """The workbook cells that hold these inputs, by slot name (what employee_inputs reads back)."""
    out: dict[str, object] = {f"actual_{k}": v for k, v in x.actuals.items()}
    out.update({f"week{w + 1}_{k}": v for k, weeks in x.weekly.items() for w, v in enumerate(weeks)})
    out.update({f"rating_{m}_{r}": v for m, rs in x.ratings.items() for r, v in rs.items()})
    out.update({f"input_{k}": v for k, v in x.inputs.items()})
    return out


def score_file(path: Path, plan: Plan, e: Employee, month: str, owner: Generator | None = None) -> Scored:
    try:
        data = read_any(path, owner.template(e.role) if owner else None)
    except Exception as exc:
        return Scored(e, path, None, None, [Problem("workbook_unreadable", f"工作簿无法读取 / cannot read: {exc}",
                                                    file=str(path), employee=e.id)])
    return score_data(data, plan, e, month, record=owner.record if owner else None)


def score_data(data: WorkbookData, plan: Plan, e: Employee, month: str, bonuses=None,
               record: MonthRecord | None = None) -> Scored:
    """The scorecard of a read workbook, its problems placed by sheet and cell. With ``record`` (HR's
    record), every value the filler does not own is taken from its owner, and a workbook showing
    something else is a problem; without it (the ribbon, in a lone workbook) the workbook is believed."""
    x, problems = employee_inputs(data, plan, e.role)
    shown: list[Problem] = []
    if record is not None:
        owned = record.owned(e)
        shown = display_problems(data, owned, plan.roles[e.role])
        for key, o in owned.items():
            kind, _, mid = key.partition("_")
            if kind in ("target", "baseline"):
                (x.targets if kind == "target" else x.baselines)[mid] = o.value
        bases = (_money(owned["base_salary"].value), _money(owned["performance_pay_base"].value))
        imports = record.given(e)
        shown += imported_values(x, data, imports, plan.roles[e.role]) + ratings_not_owned(x, data, imports)
        shown += figures_missing(data, record.missing_figures(e), month)
    else:
        bases = (_money(data.values.get("base_salary")), _money(data.values.get("performance_pay_base")))
    adj_index = log_rows(data)
    if record is not None:
        adj_index, log_problems = hr_adjustments(x, adj_index, record.recorded_adjustments(e.id), plan, data)
        shown += log_problems
    month_no = int(month[5:7]) if len(month) >= 7 and month[5:7].isdigit() else None
    card = score(plan, e.role, x, month_no, *bases, bonuses)
    computed = {p.loc[0] for p in problems if p.type == "input_formula" and p.loc}
    card.problems = [p for p in card.problems if not (p.loc and p.loc[0] in computed)]
    located = [locate(data, p, adj_index) for p in problems + card.problems] + shown
    located = [Problem(p.type, p.message, p.loc, file=str(data.path), sheet=p.sheet, cell=p.cell, employee=e.id)
               for p in located]
    if problems:
        card.score = card.grade = card.coefficient = card.pay = None
    return Scored(e, data.path, card, data, located, x, bases, str(data.meta.get("meta_mode") or "?"))


def _money(v):
    return Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def score_month(ws: Workspace, plan: Plan, roster: list[Employee], month: str, progress=None,
                jobs: int = 1) -> list[Scored]:
    """Every employee's scorecard from their workbook of the month, on ``jobs`` worker processes."""
    ids = {e.id for e in roster}
    roster_of = {e.id: e for e in roster}
    files: dict[str, list[Path]] = {}
    for p in month_workbooks(ws.month_dir(month)):
        files.setdefault(employee_of(p.stem, ids), []).append(str(p))  # text: 100,000 Path objects weigh
    parts = parallel.chunks([(e, files.get(e.id, [])) for e in roster], jobs)
    out = [held(s, roster_of) for part in parallel.run(_score_part, parts, jobs, progress, parallel.employees,
                                                       (ws, plan, month, roster)) for s in part]
    people = {s.employee.id: s for s in out}
    for p in changed_since_close(ws, month, ids):  # a closed month's workbook changed since the close
        if p.employee:
            people[p.employee].problems.append(p)
    for path in strange_files(ws.month_dir(month)):  # a link or a pipe in the workbook's place: never read
        emp = employee_of(path.stem, ids)
        if emp in people:
            people[emp].problems.append(strange_problem(path, emp))
    return out


def _score_part(args, part: list[tuple[Employee, list[str]]]) -> list[Scored]:
    ws, plan, month, roster = args
    use_plan(plan)  # the cards go back packed
    folder = ws.month_dir(month)
    owner = Generator(ws, plan, month, roster=roster, people={e.id for e, _ in part})
    out = []
    for e, found in part:
        paths = [Path(p) for p in found]
        if not paths:
            out.append(Scored(e, None, None, None, [Problem(
                "workbook_missing", f"缺少{e.name}的工作簿 / no workbook for {e.id}; 请先运行 xl-kpi generate",
                file=str(folder / f"{e.file_stem}.xlsx"), employee=e.id)]))
        elif len(paths) > 1:
            out.append(Scored(e, None, None, None, [Problem(
                "duplicate_workbook", f"{e.name}有{len(paths)}个工作簿：{', '.join(p.name for p in paths)} / "
                f"{len(paths)} workbooks for {e.id}", file=str(folder), employee=e.id)]))
        else:
            out.append(score_file(paths[0], plan, e, month, owner).pack())  # the workbook's cells stay in the worker
    return out


def held(s: Scored, roster: dict[str, Employee]) -> Scored:
    """A scored month as the parent keeps it: packed, and its employee the roster's own (not a copy per
    employee from the worker)."""
    s.employee = roster.get(s.employee.id, s.employee)
    return s.pack()


def scored_json(s: Scored, plan: Plan) -> dict:
    """The record ``xl-kpi score --json`` prints for one employee."""
    card = s.card
    metrics = {}
    if card:
        for mid, m in card.metrics.items():
            metrics[mid] = {"actual": m.actual, "target": m.target, "baseline": m.baseline, "points": m.points}
    return {
        "employee_id": s.employee.id, "name": s.employee.name, "role": s.employee.role,
        "metrics": metrics,
        "categories": dict(card.categories) if card else {},
        "adjustments": [{"item": a.item, "name": a.name, "count": a.count, "points": a.points}
                        for a in (card.adjustments if card else [])],
        "score": card.score if card else None, "grade": card.grade if card else None,
        "coefficient": card.coefficient if card else None,
        "total_pay": str(card.pay.total) if card and card.pay else None,
        "problems": [p.as_dict() for p in s.problems],
    }


def pay_json(card: Scorecard | None) -> dict:
    """The pay lines of a scorecard, money as exact decimal strings."""
    pay = card.pay if card else None
    fields = ("base_salary", "performance_pay", "commission", "awards", "deductions")
    out = {f: (str(getattr(pay, f)) if pay else None) for f in fields}
    out["total_pay"] = str(pay.total) if pay else None
    return out


def formula_modes(results: list["Scored"]) -> dict[str, list[str]]:
    """Formula mode → the employees whose workbook of the month uses it."""
    out: dict[str, list[str]] = {}
    for s in results:
        if s.mode is not None:
            out.setdefault(s.mode, []).append(s.employee.id)
    return out


def month_modes(ws: Workspace, month: str) -> dict[str, list[str]]:
    """Formula mode → the workbooks (file names) of the month that use it."""
    out: dict[str, list[str]] = {}
    for path in month_workbooks(ws.month_dir(month)):
        data = try_read(path)
        mode = str(data.meta.get("meta_mode") or "?") if data else "?"
        out.setdefault(mode, []).append(path.stem)
    return out
