"""The month's data: values of each employee's metrics from a platform export or HR's own file, in the long
form (工号, 指标, 数值, optionally 周 (1–4/5) and 类型: 实际 / 目标 / 基准, or a rater: 自评 / 主管评定 /
考核小组 / 跨团队) or the wide form (工号 and a column per metric). English headers work too."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ...core.errors import KpiError, Problem
from ...core.plan import Metric, Plan
from ...core.rules import RATER_NAMES
from ...core.scorecard import EmployeeInputs
from ...store import open_store
from ...workspace.roster import Employee, cell_text
from ..generate import ImportedSince, write_values
from .kinds import ImportJob, ImportKind, ImportReport, has
from .table import Row, Source, duplicate, name_key, parse_value

HEADERS = {
    "工号": "employee", "employee_id": "employee",
    "指标": "metric", "metric": "metric",
    "数值": "value", "value": "value",
    "周": "week", "week": "week",
    "类型": "kind", "kind": "kind",
}
VALUE_KINDS = {"实际": "actual", "actual": "actual", "": "actual", "目标": "target", "target": "target",
               "基准": "baseline", "baseline": "baseline"}  # 类型: what a value is
VALUE_KINDS.update({zh: r for r, zh in RATER_NAMES.items()})
VALUE_KINDS.update({r: r for r in RATER_NAMES})


def _metric_lookup(plan: Plan, role_id: str, alias: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Metric id, Chinese name or alias → (kind of thing, id): ('metric', id) or ('weekly', item id)."""
    role = plan.roles[role_id]
    out = {}
    for item in role.weekly_report:
        out[item.id] = out[name_key(item.name)] = ("weekly", item.id)
    for m in role.metrics:
        out[m.id] = out[name_key(m.name)] = ("metric", m.id)
    for item in role.inputs:
        out[item.id] = out[name_key(item.name)] = ("input", item.id)
    for a, target in alias.items():
        if name_key(target) in out:
            out[name_key(a)] = out[name_key(target)]
    return out


@dataclass
class ImportedRow:
    line: int
    employee: str
    kind: str  # actual, target, baseline, a rater, or "week"
    metric: str
    value: float
    week: int | None = None


def actual_rows(rows: Iterable[Row], file: str, plan: Plan, roster: list[Employee],
                metric_alias: dict[str, str] | None = None, month: str | None = None) -> Iterator[ImportedRow | Problem]:
    """Each good row, or the problem (file and line) of a bad one, of long-format rows (工号, 指标, 数值[, 周,
    类型]), as they are read. Two rows filling one cell with different values are the caller's to find (HR's
    record does)."""
    people = {e.id: e for e in roster}
    lookups: dict[str, dict] = {}
    weeks_of: dict[str, int] = {}
    checks: dict[tuple, Metric] = {}  # the metric a value is checked as, built once
    for row in rows:
        v = row.values

        def bad(msg: str, type_: str = "import_invalid") -> Problem:
            return Problem(type_, msg, file=file, line=row.line)

        emp_id, metric_key = cell_text(v.get("employee")), cell_text(v.get("metric"))
        emp = people.get(emp_id)
        if emp is None:
            yield bad(f"工号“{emp_id}”不在花名册 / employee “{emp_id}” is not on the roster", "unknown_employee")
            continue
        if emp.role not in lookups:  # once a role, not once a row
            lookups[emp.role] = _metric_lookup(plan, emp.role, metric_alias or {})
            weeks_of[emp.role] = plan.roles[emp.role].weeks(month)
        lookup = lookups[emp.role]
        found = lookup.get(name_key(metric_key))
        if found is None:
            yield bad(f"“{metric_key}”不是{plan.roles[emp.role].name}的指标 / “{metric_key}” is not a metric of role "
                      f"{emp.role}", "unknown_metric")
            continue
        what, mid = found
        kind = VALUE_KINDS.get(cell_text(v.get("kind")))
        if kind is None:
            yield bad(f"类型“{cell_text(v.get('kind'))}”无效（实际/目标/基准/自评/主管评定/考核小组） / unknown kind")
            continue
        if what == "input":  # 原始数据 of a computed metric: one value a month
            if kind != "actual" or cell_text(v.get("week")):
                yield bad(f"“{metric_key}”是原始数据，只填数值（不填周与类型） / “{metric_key}” is an input: a value only")
                continue
            item = next(i for i in plan.roles[emp.role].inputs if i.id == mid)
            kind = "input"
        elif what == "metric" and kind == "actual" and plan.roles[emp.role].metric(mid).compute:
            yield bad(f"“{metric_key}”由计算得出，请导入它用到的原始数据 / “{metric_key}” is computed: import its inputs")
            continue
        week_text = cell_text(v.get("week"))
        week = None
        weeks = weeks_of[emp.role]  # the month's report weeks: 4 or 5
        if week_text:
            if week_text not in [str(w) for w in range(1, weeks + 1)]:
                yield bad(f"周“{week_text}”应为1–{weeks} / week must be 1–{weeks}")
                continue
            week = int(week_text)
        metric = plan.roles[emp.role].metric(mid) if what == "metric" else None
        weekly_target = metric is not None and kind in ("target", "baseline") and week is None
        weekly = what == "weekly" or (metric is not None and metric.source == "weekly_sum")
        if weekly and kind == "target" and week is not None:
            kind = "weektarget"  # HR's target for one report week
        elif weekly and not weekly_target:
            if week is None or kind != "actual":
                yield bad(f"“{metric_key}”按周填写，需要周（1–{weeks}） / “{metric_key}” is weekly: give week 1–{weeks}")
                continue
            kind = "week"
        elif week is not None:
            yield bad(f"“{metric_key}”不是周报项目，不应填周 / “{metric_key}” is not weekly")
            continue
        if kind in RATER_NAMES and kind not in getattr(metric.rule, "weights", {}):
            yield bad(f"“{metric_key}”没有{RATER_NAMES[kind]}评分 / “{metric_key}” has no {kind} rating")
            continue
        if kind == "actual" and metric.source == "rating":
            yield bad(f"“{metric_key}”是评分指标，类型应为评分人 / “{metric_key}” is rated: give the rater as kind")
            continue
        check = checks.get((emp.role, what, mid))
        if check is None:
            if what == "input":
                check = Metric(id=item.id, name=item.name, unit=item.unit, rule="ratio(max=1)", target=1, min=item.min,
                               max=item.max)
            else:
                check = metric or _weekly_as_metric(plan, emp.role, mid)
            checks[(emp.role, what, mid)] = check
        try:
            value = parse_value(v.get("value"), check if kind not in RATER_NAMES else check.model_copy(update={"unit": ""}))
        except ValueError as exc:  # named by its metric: a wide file's row holds many
            yield bad(str(exc) if check.name in str(exc) else f"{check.name}：{exc}")
            continue
        yield ImportedRow(row.line, emp_id, kind, mid, value, week)


def _weekly_as_metric(plan: Plan, role_id: str, item_id: str) -> Metric:
    item = next(i for i in plan.roles[role_id].weekly_report if i.id == item_id)
    return Metric(id=item.id, name=item.name, unit=item.unit, rule="ratio(max=1)", target=1)


def apply_rows(rows: list[ImportedRow], inputs: dict[str, EmployeeInputs]) -> None:
    """Put imported values into each employee's inputs (a later row wins)."""
    for r in rows:
        x = inputs.setdefault(r.employee, EmployeeInputs())
        if r.kind == "week":
            weeks = x.weekly.setdefault(r.metric, [None] * 4)
            weeks.extend([None] * (r.week - len(weeks)))  # a fifth week
            weeks[r.week - 1] = r.value
        elif r.kind == "weektarget":
            continue  # a target: the workbook's, not an input
        elif r.kind in RATER_NAMES:
            x.ratings.setdefault(r.metric, {})[r.kind] = r.value
        elif r.kind == "input":
            x.inputs[r.metric] = r.value
        else:
            {"actual": x.actuals, "target": x.targets, "baseline": x.baselines}[r.kind][r.metric] = r.value


def read_actuals(path: Path, plan: Plan, roster: list[Employee], month: str | None = None):
    """(good rows, problems) of a long-format file read whole, without HR's record: sample inputs for the
    benchmarks (:func:`apply_rows` puts them into each employee's inputs)."""
    source = Source(path)
    try:
        rows = list(actual_rows(source.records(HEADERS, ("employee", "metric", "value")), str(path), plan, roster,
                                month=month))
    finally:
        source.close()
    return [r for r in rows if not isinstance(r, Problem)], [r for r in rows if isinstance(r, Problem)]


def slot(r) -> str:
    """The workbook cell an imported row fills."""
    return {"actual": f"actual_{r.metric}", "target": f"target_{r.metric}", "baseline": f"baseline_{r.metric}",
            "week": f"week{r.week}_{r.metric}", "input": f"input_{r.metric}",
            "weektarget": f"weektarget{r.week}_{r.metric}"}.get(r.kind, f"rating_{r.metric}_{r.kind}")


def import_actuals(job: ImportJob, rows: Iterable[Row]) -> ImportReport:
    """Values of the month (actuals, targets, baselines, ratings, weeks) into HR's record, the whole file or
    nothing, then into the workbooks of the people it names."""
    problems: list[Problem] = []
    people: set[str] = set()
    count = 0
    file = str(job.file)

    def good():
        nonlocal count
        for r in actual_rows(rows, file, job.plan, job.roster, metric_alias=job.metrics, month=job.month):
            if isinstance(r, Problem):
                problems.append(r)
                continue
            people.add(r.employee)
            count += 1
            yield r.employee, slot(r), r.value, r.line

    store = open_store(job.ws.root)
    # HR's record first (a workbook is only a copy of it): the rows stream in, the whole file or nothing
    with store.conn:
        after = store.last_import()
        store.add_imports(job.month, str(Path(file).resolve()), good())
        clashes = store.import_conflicts(job.month, after)
        problems = sorted(problems + [duplicate(file, line, value, first, was) for _, _, line, value, first, was
                                      in clashes], key=lambda p: p.line or 0)
        if problems and not job.skip_bad:
            raise KpiError(problems)  # rolled back
        store.drop_imports(job.month, after, {c[2] for c in clashes})
    report = ImportReport(rows=count - len(clashes), employees=len(people), skipped=problems)
    write_values(job.ws, job.plan, job.roster, job.month, ImportedSince(after, people), job.mode, report.generate, store,
                 job.jobs, job.progress)
    return report


def _long(job: ImportJob, source: Source) -> ImportReport:
    return import_actuals(job, source.records(HEADERS, ("employee", "metric", "value")))


def _is_long(source: Source, job: ImportJob) -> bool:
    return has(source, HEADERS, "employee", "metric", "value")


LONG = ImportKind("数据（长表，每行一个值）", HEADERS, "工号，指标，数值[，周，类型]（或 employee_id, metric, value[, week, kind]）",
                  _is_long, _long)


# --------------------------------------------------------------------------- wide: a row an employee, a column a metric

ROSTER_COLUMNS = {"姓名", "name", "部门", "department", "岗位", "role"}  # in many exports; not values


def _metric_columns(source: Source, job: ImportJob) -> dict[int, str]:
    """Column → metric name of a wide file's header: every column but 工号 and the roster's own."""
    employee = source.fields(WIDE)["employee"]
    return {i: name for i, name in enumerate(source.names) if i != employee and name not in ROSTER_COLUMNS and name}


def _is_wide(source: Source, job: ImportJob) -> bool:
    """工号 and metric names as columns (no 指标 and 数值 columns), at least one of them a metric of the plan."""
    if not has(source, WIDE, "employee") or has(source, HEADERS, "metric") or has(source, HEADERS, "value"):
        return False
    known = {name_key(k) for r in job.plan.roles for k in _metric_lookup(job.plan, r, job.metrics)}
    return any(name_key(n) in known for n in _metric_columns(source, job).values())


def _wide(job: ImportJob, source: Source) -> ImportReport:
    columns = _metric_columns(source, job)
    employee = source.fields(WIDE)["employee"]
    fields = {"employee": employee, **{f"col{i}": i for i in columns}}

    def long_rows():  # each filled cell as the row of a long file would give it
        for row in source.records({source.names[i]: f for f, i in fields.items()}, ("employee",)):
            for i, name in columns.items():
                value = row.values.get(f"col{i}")
                if cell_text(value):
                    yield Row(row.line, {"employee": row.values["employee"], "metric": name, "value": value})

    return import_actuals(job, long_rows())


WIDE = {"工号": "employee", "employee_id": "employee"}
WIDE_KIND = ImportKind("数据（宽表，每行一人）", WIDE, "工号，以及以指标名称为表头的各列（如 阅读量，回复条数）", _is_wide, _wide)


# --------------------------------------------------------------------------- targets: a row a person and metric

TARGETS = {"工号": "employee", "employee_id": "employee", "指标": "metric", "metric": "metric",
           "目标": "target", "target": "target", "基准": "baseline", "baseline": "baseline", "周": "week", "week": "week"}


def _is_targets(source: Source, job: ImportJob) -> bool:
    """工号 and 指标 with a 目标 or 基准 column instead of 数值: each person's own targets or baselines."""
    return has(source, TARGETS, "employee", "metric") and not has(source, HEADERS, "value") and \
        (has(source, TARGETS, "target") or has(source, TARGETS, "baseline"))


def _targets(job: ImportJob, source: Source) -> ImportReport:
    def long_rows():  # each filled 目标 or 基准 as the long form's row of that 类型
        for row in source.records(TARGETS, ("employee", "metric")):
            for field, kind in (("target", "目标"), ("baseline", "基准")):
                if cell_text(row.values.get(field)):
                    yield Row(row.line, {"employee": row.values["employee"], "metric": row.values["metric"],
                                         "value": row.values[field], "kind": kind, "week": row.values.get("week", "")})

    return import_actuals(job, long_rows())


TARGETS_KIND = ImportKind("个人目标与基准", TARGETS, "工号，指标，目标和/或基准[，周]（或 employee_id, metric, target, baseline"
                          "[, week]）", _is_targets, _targets)
