"""``xl-kpi generate``, and writing values into the month's workbooks (an import, an appeal): every employee's
workbook written by worker processes, what was written recorded in HR's record by the parent alone."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..store import Store, open_store
from ..store.rows import Generated
from ..store.trail import record_written
from ..system import parallel
from ..workbook.rendered import try_read
from ..workspace import Workspace
from ..workspace.months import employee_of, month_workbooks, workbook_path
from ..workspace.roster import Employee
from .closed import refuse_if_closed
from .generator import MODES, GenerateReport, Generator
from .record import plan_hash, roster_hash


def select(roster: list[Employee], employee: str | None = None, role: str | None = None) -> list[Employee]:
    out = [e for e in roster if (employee is None or e.id == employee) and (role is None or e.role == role)]
    if not out:
        raise KpiError([Problem("no_employee", f"没有符合条件的员工 / no employee matches "
                                f"(employee={employee}, role={role})")])
    return out


def generate(ws: Workspace, plan: Plan, roster: list[Employee], month: str, mode: str = "native",
             force: bool = False, password: str | None = None, progress=None,
             everyone: list[Employee] | None = None, jobs: int = 1) -> GenerateReport:
    """The workbooks of ``roster`` (``everyone``: the whole roster, when only some are generated: the
    teams a lead's 积分分配 sheet lists), on ``jobs`` worker processes."""
    refuse_if_closed(ws, month, "生成工作簿")
    store = open_store(ws.root)
    password = password or store.protect_password()  # drawn once, here, for every worker
    report = GenerateReport()
    written: list[Generated] = []
    sets: dict[str, dict] = {}
    try:
        for part_report, part_written, part_sets in parallel.run(
                _generate_part, parallel.chunks(roster, jobs), jobs, progress, parallel.employees,
                (ws, plan, month, mode, password, everyone or roster, force)):
            _merge(report, part_report)
            written += part_written
            sets.update(part_sets)
    finally:
        _record(store, plan, month, roster, written, sets)
        ids = {e.id for e in roster}
        record_written(store, "generate", month, {employee_of(p.stem, ids): p for p in report.written})
    return report


def _generate_part(args, part: list[Employee]) -> tuple[GenerateReport, list[Generated], dict]:
    """One worker's share of generate: its own templates, its employees' files; what it wrote (and the
    formulas it wrote them with) comes back for the parent to record (one writer of HR's record, in roster
    order)."""
    ws, plan, month, mode, password, everyone, force = args
    gen = Generator(ws, plan, month, mode, password, roster=everyone, people={e.id for e in part})
    report = GenerateReport()
    for e in part:
        try:
            gen.write(e, force, report=report)
            needed = gen.record.baselines_needed(e)  # the defaults writing worked out: no second reading
            if needed:
                report.baselines.append((e, needed))
        except Exception as exc:  # reported with its employee; the others go on
            report.problems.append(Problem("generate_failed", f"生成失败 / could not generate: {exc}", employee=e.id,
                                           file=str(workbook_path(ws, month, e))))
    return report, gen.written, gen.templates.sets


def _merge(into: GenerateReport, part: GenerateReport) -> None:
    into.written += part.written
    into.kept_inputs += part.kept_inputs
    into.backups += part.backups
    into.problems += part.problems
    into.baselines += part.baselines


def _record(store: Store, plan: Plan, month: str, roster: list[Employee], written: list[Generated],
            sets: dict[str, dict]) -> None:
    if written:
        store.record_month(month, plan_hash(plan), roster_hash(roster))
        store.record_generated(month, written, sets)


@dataclass(frozen=True)
class ImportedSince:
    """The values HR's record took in after import id ``after``, for these employees: each worker reads its
    employees' share from the record, so the parent never holds a long file's values."""
    after: int
    employees: set[str]


def write_values(ws: Workspace, plan: Plan, roster: list[Employee], month: str, extra: dict[str, dict] | ImportedSince,
                 mode: str = "native", report: GenerateReport | None = None, store: Store | None = None,
                 jobs: int = 1, progress=None) -> GenerateReport:
    """Write slot values (employee → slot → value, or those of an import) into employees' workbooks
    (generating those that do not exist yet in ``mode``), each workbook read and written once; an existing
    workbook keeps its formula mode and everything typed in it."""
    report = report if report is not None else GenerateReport()
    store = store or open_store(ws.root)
    modes = {e: g.mode for e, g in store.generated(month).items()}
    since = extra.after if isinstance(extra, ImportedSince) else None
    people = {e.id: e for e in roster}
    existing = {employee_of(p.stem, people): p for p in month_workbooks(ws.month_dir(month))}  # listed once, here
    items = ([(e.id, None, existing.get(e.id)) for e in roster if e.id in extra.employees] if since is not None
             else [(emp, values, existing.get(emp)) for emp, values in extra.items()])
    shared = (ws, plan, roster, month, mode, modes, store.protect_password(), since)
    written: list[Generated] = []
    sets: dict[str, dict] = {}
    if progress:
        progress(0, total=len(items))  # the workbooks this import touches
    try:
        for part_report, part_written, part_sets in parallel.run(_write_part, parallel.chunks(items, jobs), jobs,
                                                                 progress, lambda part: f"{part[0][0]}–{part[-1][0]}",
                                                                 shared):
            _merge(report, part_report)
            written += part_written
            sets.update(part_sets)
    finally:
        _record(store, plan, month, roster, written, sets)
    return report


def _write_part(args, part: list[tuple[str, dict | None, Path | None]]) -> tuple[GenerateReport, list[Generated], dict]:
    """(employee, values or None: this part's share of the import since the id given, their workbook if any)."""
    ws, plan, roster, month, mode, modes, password, since = args
    people = {e.id: e for e in roster}
    if since is not None:  # this part's share of an import, from HR's record
        fetched = open_store(ws.root).imports_after(month, since, {emp for emp, _, _ in part})
        part = [(emp, fetched.get(emp, {}), path) for emp, _, path in part]
    generators: dict[str, Generator] = {}
    report = GenerateReport()

    def generator(use: str) -> Generator:  # one a formula mode, its templates built once
        if use not in generators:
            generators[use] = Generator(ws, plan, month, use, password, roster=roster, people={emp for emp, *_ in part})
        return generators[use]

    for emp_id, values, path in part:
        old, recorded = None, modes.get(emp_id)
        if path is not None:
            old = (generator(recorded).read(path, people[emp_id], keep_grids=True) if recorded in MODES
                   else try_read(path, keep_grids=True))
        kept = recorded or (old.meta.get("meta_mode") if old else None)
        gen = generator(kept if kept in MODES else mode)
        try:
            gen.write(people[emp_id], extra=values, report=report, read=old)
        except Exception as exc:  # reported with its employee; the others go on
            report.problems.append(Problem("write_failed", f"写入失败 / could not write: {exc}", employee=emp_id))
    sets = {fp: f for gen in generators.values() for fp, f in gen.templates.sets.items()}
    return report, [g for gen in generators.values() for g in gen.written], sets


def baselines_to_import(ws: Workspace, plan: Plan, roster: list[Employee], month: str) -> list[tuple[Employee, list[str]]]:
    """(employee, metric names) of the baselines HR must import before the month can be scored: growth and
    step metrics in their first period, with no previous workbook and no default in the plan."""
    record = Generator(ws, plan, month, store=open_store(ws.root), roster=roster).record
    return [(e, names) for e in roster if (names := record.baselines_needed(e))]
