"""Reading the month's data exports (long format) and the 加减分 log files.

Long format, one value a row: 工号, 指标 (metric id or Chinese name), 数值,
optionally 周 (1–4) and 类型 (实际 / 目标 / 基准, or a rater: 自评 / 主管评定 /
考核小组 / 跨团队). English headers work too. CSV (UTF-8 or GBK) or xlsx.
"""
from __future__ import annotations

import codecs
import csv
import io
import math
import unicodedata
import zipfile
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from python_calamine import CalamineWorkbook

from .core.errors import KpiError, Problem
from .core.plan import Metric, Plan
from .core.rules import RATER_NAMES
from .core.scorecard import AdjustmentEntry, EmployeeInputs
from .core.numbers import snap
from .core.typed import TypedNumberError, is_count, typed_number
from .roster import Employee, cell_text
from .workbook.reader import check_expansion

HEADERS = {
    "工号": "employee", "employee_id": "employee",
    "指标": "metric", "metric": "metric",
    "数值": "value", "value": "value",
    "周": "week", "week": "week",
    "类型": "kind", "kind": "kind",
}
ADJ_HEADERS = {
    "工号": "employee", "employee_id": "employee", "日期": "date", "date": "date",
    "项目": "item", "item": "item", "数量": "count", "次数": "count", "名次": "count", "count": "count",
    "rank": "count", "分值": "chosen", "points": "chosen", "说明": "note", "备注": "note", "note": "note",
}
KINDS = {"实际": "actual", "actual": "actual", "": "actual", "目标": "target", "target": "target",
         "基准": "baseline", "baseline": "baseline"}
KINDS.update({zh: r for r, zh in RATER_NAMES.items()})
KINDS.update({r: r for r in RATER_NAMES})


@dataclass
class Row:
    line: int
    values: dict[str, object]


@dataclass
class Table:
    file: str
    rows: list[Row] = field(default_factory=list)


def _encoding(f, file: str) -> str:
    """The text encoding of a file read through in pieces (a long export is never held whole)."""
    for enc in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        f.seek(0)
        decoder = codecs.getincrementaldecoder(enc)()
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            f.seek(0)
            return enc
        except UnicodeDecodeError:
            continue
    raise KpiError([Problem("encoding", "文件编码无法识别(应为UTF-8或GBK) / not UTF-8 or GBK", file=file)])


def read_table(path: Path, headers: dict[str, str], required: tuple[str, ...], rename: dict[str, str] | None = None) -> Table:
    """Rows of a CSV or xlsx file keyed by field names; ``rename`` maps a platform's headers to ours."""
    return Table(str(path), list(table_rows(path, headers, required, rename)))


def _first_row(path: Path, headers: dict[str, str], rename: dict[str, str] | None) -> Row | None:
    """The first row of a file (which columns it has), without reading the rest."""
    with closing(table_rows(path, headers, (), rename)) as rows:
        return next(rows, None)


def table_rows(path: Path, headers: dict[str, str], required: tuple[str, ...],
               rename: dict[str, str] | None = None) -> Iterator[Row]:
    """The rows of read_table one at a time: a CSV is read as it goes (an xlsx is parsed whole). The header
    is checked before the first row comes."""
    path, file = Path(path), str(path)
    with ExitStack() as stack:
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                with zipfile.ZipFile(path) as z:
                    check_expansion(z, path)
            if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
                wb = CalamineWorkbook.from_path(file)
                grid = iter(wb.get_sheet_by_index(0).to_python(skip_empty_area=False))
            else:
                raw = stack.enter_context(open(path, "rb"))
                text = stack.enter_context(io.TextIOWrapper(raw, encoding=_encoding(raw, file), newline=""))
                grid = csv.reader(text)
            header = next(grid, None)
        except FileNotFoundError:
            raise KpiError([Problem("file_missing", "找不到文件 / file not found", file=file)]) from None
        except KpiError:
            raise
        except Exception as exc:
            raise KpiError([Problem("file_unreadable", f"文件无法读取 / cannot read the file: {exc}", file=file)]) from None
        if header is None:
            raise KpiError([Problem("file_empty", "文件为空 / the file is empty", file=file)])
        rename = rename or {}
        names = [str(h).strip() for h in header]
        names = [rename.get(h, h) for h in names]
        cols = {headers[h]: i for i, h in enumerate(names) if h in headers}
        missing = [f for f in required if f not in cols]
        if missing:
            raise KpiError([Problem("header_missing", f"缺少列 / missing columns: {', '.join(missing)} "
                                    f"(表头 / headers: {', '.join(names)})", file=file, line=1)])
        try:
            for n, row in enumerate(grid, start=2):
                if all(str(v).strip() == "" for v in row):
                    continue
                yield Row(n, {f: (row[i] if i < len(row) else "") for f, i in cols.items()})
        except (csv.Error, UnicodeDecodeError) as exc:
            raise KpiError([Problem("file_unreadable", f"文件无法读取 / cannot read the file: {exc}", file=file)]) from None


def parse_value(v, m: Metric) -> float:
    """A number from a cell or CSV field as people write it (``3,199``, ``4.8万``, ``69秒``, ``８７％``);
    "87%" only for percent metrics, where a bare 87 is refused; counts must be whole."""
    if isinstance(v, str) and not cell_text(v):
        raise ValueError("数值为空 / the value is empty")
    try:
        x = typed_number(v if not isinstance(v, str) else v.strip(), m.unit)
    except TypedNumberError as exc:
        if "%" in str(v) and not m.percent:
            raise ValueError(f"{m.name}不是百分比指标, 不能写“{cell_text(v)}” / {m.id} is not a percent metric") from None
        raise ValueError(str(exc)) from None
    if not math.isfinite(x):
        raise ValueError(f"“{cell_text(v)}”不是有限数字 / “{cell_text(v)}” is not a finite number")
    if m.percent and abs(x) > 1 and (m.max is None or x > m.max):
        raise ValueError(f"{m.name}是百分比, 应写{x:g}%或{x / 100:g}, 不是{x:g} / "
                         f"{m.id} is a percent: write {x:g}% or {x / 100:g}")
    if is_count(m.unit) and x != int(x):
        raise ValueError(f"{m.name}是计数({m.unit}), 应为整数, 不是{x:g} / {m.id} counts {m.unit}: a whole number, "
                         f"not {x:g}")
    lo, hi = m.min, m.max
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        raise ValueError(f"{m.name}的值{x:g}超出允许范围 / {m.id} value {x:g} is outside "
                         f"{'-∞' if lo is None else f'{lo:g}'}–{'∞' if hi is None else f'{hi:g}'}")
    return x


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


def name_key(name: str) -> str:
    """A name as exports spell it either way: 互动量（点赞）and 互动量(点赞) are one metric."""
    return unicodedata.normalize("NFKC", name).replace(" ", "")


@dataclass
class ImportedRow:
    line: int
    employee: str
    kind: str  # actual, target, baseline, a rater, or "week"
    metric: str
    value: float
    week: int | None = None


def actual_rows(path: Path, plan: Plan, roster: list[Employee], rename: dict[str, str] | None = None,
                metric_alias: dict[str, str] | None = None, month: str | None = None) -> Iterator[ImportedRow | Problem]:
    """Each good row, or the problem (file and line) of a bad one, of a long-format data file, as it is
    read. Two rows filling one cell with different values are the caller's to find (HR's record does)."""
    file = str(path)
    rows = table_rows(path, HEADERS, ("employee", "metric", "value"), rename)
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
        kind = KINDS.get(cell_text(v.get("kind")))
        if kind is None:
            yield bad(f"类型“{cell_text(v.get('kind'))}”无效(实际/目标/基准/自评/主管评定/考核小组) / unknown kind")
            continue
        if what == "input":  # 原始数据 of a computed metric: one value a month
            if kind != "actual" or cell_text(v.get("week")):
                yield bad(f"“{metric_key}”是原始数据, 只填数值(不填周与类型) / “{metric_key}” is an input: a value only")
                continue
            item = next(i for i in plan.roles[emp.role].inputs if i.id == mid)
            kind = "input"
        elif what == "metric" and kind == "actual" and plan.roles[emp.role].metric(mid).compute:
            yield bad(f"“{metric_key}”由计算得出, 请导入它用到的原始数据 / “{metric_key}” is computed: import its inputs")
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
                yield bad(f"“{metric_key}”按周填写, 需要周(1–{weeks}) / “{metric_key}” is weekly: give week 1–{weeks}")
                continue
            kind = "week"
        elif week is not None:
            yield bad(f"“{metric_key}”不是周报项目, 不应填周 / “{metric_key}” is not weekly")
            continue
        if kind in RATER_NAMES and kind not in getattr(metric.rule, "weights", {}):
            yield bad(f"“{metric_key}”没有{RATER_NAMES[kind]}评分 / “{metric_key}” has no {kind} rating")
            continue
        if kind == "actual" and metric.source == "rating":
            yield bad(f"“{metric_key}”是评分指标, 类型应为评分人 / “{metric_key}” is rated: give the rater as kind")
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
        except ValueError as exc:
            yield bad(str(exc))
            continue
        yield ImportedRow(row.line, emp_id, kind, mid, value, week)


def duplicate(file: str, line: int, value: float, first_line: int, first_value: float) -> Problem:
    """A row filling the cell an earlier row of the file filled, with another value."""
    return Problem("import_duplicate", f"与第{first_line}行填的是同一格, 数值却不同({first_value:g}与{value:g}); 请只留一行 / "
                   f"the same cell as line {first_line} with another value", file=file, line=line)


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


POOL_HEADERS = {"工号": "employee", "employee_id": "employee", "池": "pool", "积分池": "pool", "pool": "pool",
                "分值": "points", "points": "points"}


def is_pool_file(path: Path, rename: dict[str, str] | None = None) -> bool:
    """Whether a file is a lead's split of team pools (工号, 池, 分值)."""
    first = _first_row(path, POOL_HEADERS, rename)
    return first is not None and "pool" in first.values


def split_wrong(pool, shares: list[tuple[str, float]]) -> str | None:
    """Why a split of a pool among (name, points) does not add up to the pool, or None when it does."""
    total = snap(sum(pts for _, pts in shares))
    if total in [snap(t) for t in pool.totals()]:
        return None
    want = "或".join(f"{t:+g}" for t in pool.totals())
    return (f"{pool.name}的分配合计为{total:g}，应为{want}（团队的分值）：{'、'.join(f'{n}{p:+g}' for n, p in shares)} / "
            f"the shares of {pool.id} add up to {total:g}, not {want}")


def read_pool_shares(path: Path, plan: Plan, roster: list[Employee], rename: dict[str, str] | None = None):
    """(line, employee, pool id, points) of a lead's split, all checked: known pools, members of the pool's
    team, numbers, and each pool's shares adding up to the pool exactly (+amount or −amount)."""
    table = read_table(path, POOL_HEADERS, ("employee", "pool", "points"), rename)
    people = {e.id: e for e in roster}
    pools = {p.id: p for p in plan.pools} | {name_key(p.name): p for p in plan.pools}
    good, problems, first_line = [], [], {}
    for row in table.rows:
        def bad(msg: str):
            problems.append(Problem("import_invalid", msg, file=table.file, line=row.line))

        emp, key = cell_text(row.values.get("employee")), cell_text(row.values.get("pool"))
        pool = pools.get(key) or pools.get(name_key(key))
        if pool is None:
            bad(f"“{key}”不是方案中的积分池(有: {'、'.join(p.name for p in plan.pools) or '无'}) / unknown pool “{key}”")
            continue
        if emp not in people or people[emp].role != pool.role:
            bad(f"工号“{emp}”不是{pool.name}的团队成员({plan.roles[pool.role].name}) / {emp} is not in pool {pool.id}")
            continue
        try:
            points = typed_number(row.values.get("points"))
        except TypedNumberError as exc:
            bad(str(exc))
            continue
        first_line.setdefault(pool.id, row.line)
        good.append((row.line, emp, pool.id, points))
    for pid, line in first_line.items():
        pool = plan.pool(pid)
        shares = [(emp, pts) for _, emp, p, pts in good if p == pid]
        wrong = split_wrong(pool, [(people[e].name, p) for e, p in shares])
        if wrong:
            problems.append(Problem("pool_sum", wrong, file=table.file, line=line))
    return good, problems


def is_figures_file(path: Path, rename: dict[str, str] | None = None) -> bool:
    """Whether a file holds outside figures for the department (指标, 数值[, 类型 行业/竞品], no 工号)."""
    first = _first_row(path, {**HEADERS, **ADJ_HEADERS}, rename)
    fields = set(first.values) if first else set()
    return {"metric", "value"} <= fields and "employee" not in fields and "item" not in fields


def read_figures(path: Path, plan: Plan, rename: dict[str, str] | None = None) -> tuple[list[tuple[int, str, float]],
                                                                                     list[Problem]]:
    """(line, figure id, value) of every good row of an outside-figures file, and the others' problems."""
    table = read_table(path, HEADERS, ("metric", "value"), rename)
    known = {name_key(f.name): f for f in plan.figures} | {f.id: f for f in plan.figures}
    good, problems, seen = [], [], {}
    for row in table.rows:
        def bad(msg: str):
            problems.append(Problem("import_invalid", msg, file=table.file, line=row.line))

        key = cell_text(row.values.get("metric"))
        figure = known.get(name_key(key)) or known.get(key)
        if figure is None:
            bad(f"“{key}”不是方案中的外部数据(有: {'、'.join(f.name for f in plan.figures) or '无'}) / "
                f"“{key}” is not an outside figure of the plan")
            continue
        kind = cell_text(row.values.get("kind"))
        if kind and kind != figure.kind:
            bad(f"“{figure.name}”是{figure.kind}数据, 不是{kind} / “{figure.id}” is {figure.kind}, not {kind}")
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


def is_adjustment_file(path: Path, rename: dict[str, str] | None = None) -> bool:
    """Whether a file to import is a 加减分 log (it has a 项目 / item column) rather than data values."""
    first = _first_row(path, {**HEADERS, **ADJ_HEADERS}, rename)
    return first is not None and "item" in first.values and "metric" not in first.values


def read_adjustments(path: Path, plan: Plan, roster: list[Employee]) -> tuple[dict[str, list[AdjustmentEntry]], list[Problem]]:
    """The 加减分 log file by employee (see :func:`read_adjustment_rows`)."""
    rows, problems = read_adjustment_rows(path, plan, roster)
    out: dict[str, list[AdjustmentEntry]] = {}
    for _, emp, entry in rows:
        out.setdefault(emp, []).append(entry)
    return out, problems


def read_adjustment_rows(path: Path, plan: Plan, roster: list[Employee], rename: dict[str, str] | None = None):
    """(line, employee, AdjustmentEntry) of every good row of a 加减分 log file (item by id or Chinese name),
    and the problems of the others; the points are checked by the scorecard. ``rename`` maps another
    system's headers to ours (the workspace's mapping.yaml)."""
    table = read_table(path, ADJ_HEADERS, ("employee", "item"), rename)
    people = {e.id: e for e in roster}
    out: list[tuple[int, str, AdjustmentEntry]] = []
    problems = []
    teams = {r.name: rid for rid, r in plan.roles.items()} | {rid: rid for rid in plan.roles}
    for row in table.rows:
        v = row.values
        who, item = cell_text(v.get("employee")), cell_text(v.get("item"))
        emp = people.get(who)
        team_award = next((a for a in plan.adjustments if item in (a.id, a.name) and a.to_team), None)
        if emp is None and team_award is not None and who in teams:  # 团队表彰: every member of the team
            members = [e for e in roster if e.role == teams[who]]
        elif emp is None:
            problems.append(Problem("unknown_employee", f"工号“{who}”不在花名册 / not on the roster",
                                    file=table.file, line=row.line))
            continue
        else:
            members = [emp]
        for member in members:
            adj = next((a for a in plan.role_adjustments(member.role) if item in (a.id, a.name)), None)
            if adj is None:
                problems.append(Problem("adjustment_unknown", f"“{item}”不是{plan.roles[member.role].name}的加减分项目 / "
                                        f"“{item}” is not an adjustment of role {member.role}", file=table.file,
                                        line=row.line))
                break
            num = lambda s: typed_number(cell_text(s)) if cell_text(s) else None  # noqa: E731
            try:
                entry = AdjustmentEntry(adj.id, num(v.get("count")), num(v.get("chosen")), cell_text(v.get("note")),
                                        cell_text(v.get("date")) or None)
            except ValueError:
                problems.append(Problem("import_invalid", "数量或分值不是数字 / count or points is not a number",
                                        file=table.file, line=row.line))
                break
            out.append((row.line, member.id, entry))
    return out, problems
