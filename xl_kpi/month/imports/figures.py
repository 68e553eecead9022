"""外部数据: figures for the whole department (行业平均, 竞品, the department's own 排名) that metrics take their
targets or baselines from and the conditions of pools and awards read: 指标, 数值[, 类型], no 工号."""
from __future__ import annotations

from pathlib import Path

from ...core.errors import KpiError, Problem
from ...core.plan import Metric, Plan
from ...store import open_store
from ...workspace.roster import cell_text
from ..generate import write_values
from ..record import DEPARTMENT
from .actuals import HEADERS
from .adjustments import ADJ_HEADERS
from .kinds import ImportJob, ImportKind, ImportReport, has
from .table import Source, Table, name_key, parse_value


def read_figures(table: Table, plan: Plan) -> tuple[list[tuple[int, str, float]], list[Problem]]:
    """(line, figure id, value) of every good row of an outside-figures file, and the others' problems."""
    known = {name_key(f.name): f for f in plan.figures} | {f.id: f for f in plan.figures}
    good, problems, seen = [], [], {}
    for row in table.rows:
        def bad(msg: str):
            problems.append(Problem("import_invalid", msg, file=table.file, line=row.line))

        key = cell_text(row.values.get("metric"))
        figure = known.get(name_key(key)) or known.get(key)
        if figure is None:
            bad(f"“{key}”不是方案中的外部数据（有：{'、'.join(f.name for f in plan.figures) or '无'}） / "
                f"“{key}” is not an outside figure of the plan")
            continue
        kind = cell_text(row.values.get("kind"))
        if kind and kind != figure.kind:
            bad(f"“{figure.name}”是{figure.kind}数据，不是{kind} / “{figure.id}” is {figure.kind}, not {kind}")
            continue
        try:
            value = parse_value(row.values.get("value"), Metric(id=figure.id, name=figure.name, unit=figure.unit,
                                                                rule="ratio(max=1)", target=1, min=None))
        except ValueError as exc:
            bad(str(exc))
            continue
        if figure.id in seen and seen[figure.id][1] != value:
            bad(f"“{figure.name}”与第{seen[figure.id][0]}行数值不同 / “{figure.id}” differs from line {seen[figure.id][0]}")
            continue
        seen[figure.id] = (row.line, value)
        good.append((row.line, figure.id, value))
    return good, problems


def import_figures(job: ImportJob, source: Source) -> ImportReport:
    """外部数据 (行业, 竞品) for the whole department: recorded, then every workbook whose targets or
    baselines come from them is brought up to date."""
    ws, plan, roster, file, month = job.ws, job.plan, job.roster, job.file, job.month
    rows, problems = read_figures(Table(source.file, list(source.records(HEADERS, ("metric", "value")))), plan)
    if problems and not job.skip_bad:
        raise KpiError(problems)
    store = open_store(ws.root)
    store.record_imports(month, str(Path(file).resolve()), [(DEPARTMENT, f"figure_{fid}", v, line) for line, fid, v in rows])
    values = {fid: v for _, fid, v in rows}
    extra: dict[str, dict] = {}
    for e in roster:
        for m in plan.roles[e.role].metrics:
            for slot, fid in ((f"target_{m.id}", m.target_figure), (f"baseline_{m.id}", m.baseline_figure)):
                if fid in values:
                    extra.setdefault(e.id, {})[slot] = values[fid]
    report = ImportReport(rows=len(rows), employees=len(extra), skipped=problems)
    write_values(ws, plan, roster, month, extra, job.mode, report.generate, store, job.jobs, job.progress)
    return report


def _is_figures(source: Source, job: ImportJob) -> bool:
    """指标 and 数值 but no 工号 (and no 项目): figures for the whole department."""
    return has(source, HEADERS, "metric", "value") and not has(source, HEADERS, "employee") \
        and not has(source, ADJ_HEADERS, "item")


KIND = ImportKind("外部数据（行业、竞品、排名）", HEADERS, "指标，数值[，类型 行业、竞品或排名]，不含工号（或 metric, value[, kind]）",
                  _is_figures, import_figures)
