"""The month's files: generate the workbooks, import data into them, score them.

Nothing a person typed is ever lost: regenerating reads every input back and
writes it into the fresh workbook; writes are atomic; ``force`` keeps a backup.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

from .actuals import (actual_rows, duplicate, is_adjustment_file, is_figures_file, is_pool_file, read_adjustment_rows,
                      read_figures)
from .core.errors import KpiError, Problem
from .core.plan import CYCLE_MONTHS, MAX_WEEKS, Plan
from .core.numbers import num, snap
from .core.scorecard import AdjustmentEntry, EmployeeInputs, Scorecard, actual_of, score, score_adjustments
from .core.typed import TypedNumberError, typed_number
from .roster import Employee
from .scored import Scored, use_plan
from .workbook import texts
from .workbook.derive import Template
from .workbook.layout import ADJ_ROWS, TYPED_PREFIXES, build_role_template
from .store import Store, open_store
from .store.db import Generated
from .trail import record_import, record_written, snapshot
from .workbook.formulas import template_formula_bytes
from .workbook.notes import OUTPUT_NAMES, stray_notes, template_cells
from .workbook.reader import WorkbookData, employee_inputs, locate, log_rows
from .workbook.rendered import read_any
from .workspace import WORKBOOKS, Workspace, inside

EMPLOYEE_TITLES = ("title", "weekly_title", "adjustments_title", "pools_title", "baseline_employee")  # per workbook
MODES = ("native", "udf")  # native formulas compute in every spreadsheet app; udf needs the add-in
SUMMARY_PREFIX = "工资汇总"
REPORT_PREFIX = "绩效报告"  # the month's 绩效报告 and its team parts sit beside the workbooks


DEPARTMENT = "*"  # the "employee" of the imports that hold outside figures for everyone
PREVIOUS_CYCLE = CYCLE_MONTHS  # baseline_from: previous looks one cycle back (a month, a quarter, …)
PREVIOUS_TITLE = {1: "baseline_previous", 3: "baseline_previous_quarter", 6: "baseline_previous_half",
                  12: "baseline_previous_year"}

@dataclass(frozen=True)
class Owned:
    """A pay-deciding value and who owns it (花名册, 方案, 上月工作簿, or the import file and line)."""

    value: float | None
    owner: str


def plan_hash(plan: Plan) -> str:
    return hashlib.sha256(plan.model_dump_json().encode()).hexdigest()


def roster_hash(roster: list[Employee]) -> str:
    rows = [(e.id, e.name, e.department, e.role, str(e.base_salary), str(e.performance_pay_base), e.email,
             e.manager_email) for e in sorted(roster, key=lambda e: e.id)]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def workbook_path(ws: Workspace, month: str, e: Employee) -> Path:
    name = f"{e.file_stem}.xlsx"
    folder = _month_folder(ws.root, month)
    if os.sep in name or "/" in name or name.startswith("..") or os.path.islink(folder / name):
        return inside(ws.root, WORKBOOKS, month, name)  # the full check, which refuses a way out
    return folder / name  # a plain name in a folder proven inside: no need to resolve every file


@functools.lru_cache(maxsize=64)
def _month_folder(root: Path, month: str) -> Path:
    return inside(root, WORKBOOKS, month)


def employee_of(stem: str, ids) -> str:
    """The employee a workbook's file name (``<工号>-<姓名>``) belongs to; a 工号 may itself hold "-"
    (the longest roster id the name starts with wins). ``ids`` should be a set or dict: looked up, not scanned."""
    cuts = [i for i, ch in enumerate(stem) if ch == "-"] + [len(stem)]
    for cut in reversed(cuts):
        if stem[:cut] in ids:
            return stem[:cut]
    return stem.split("-", 1)[0]


def month_workbooks(folder: Path) -> list[Path]:
    """The employee workbooks of a month folder (not backups, summaries, reports or Excel's lock files)."""
    return sorted(p for p in folder.glob("*.xlsx")
                  if not p.name.startswith(("~$", SUMMARY_PREFIX, REPORT_PREFIX, ".")) and ".bak-" not in p.name)


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except PermissionError:  # on Windows a workbook open in Excel cannot be replaced
        Path(tmp).unlink(missing_ok=True)
        raise KpiError([Problem("file_locked", "文件被占用(是否在 Excel 中打开?), 未改动; 关闭后再运行 / the file is "
                                "in use (open in Excel?), left untouched; close it and run again", file=str(path))]) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class GenerateReport:
    written: list[Path] = field(default_factory=list)
    kept_inputs: int = 0  # typed values carried over
    backups: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


_TEMPLATES: dict[tuple, Template] = {}  # role templates built in this process, by all they are built from


class Generator:
    """Builds each role's template once, then derives every employee's workbook from it."""

    def __init__(self, ws: Workspace, plan: Plan, month: str, mode: str = "native", password: str | None = None,
                 store: Store | None = None, roster: list[Employee] | None = None, people: set[str] | None = None):
        if mode not in MODES:
            raise ValueError(mode)
        self.ws, self.plan, self.month, self.mode = ws, plan, month, mode
        # each team pool's members, in roster order: the rows of a lead's 积分分配 sheet
        self.teams = {p.id: [e for e in roster or [] if e.role == p.role] for p in plan.pools}
        self.store = store or open_store(ws.root)
        # HR-owned cells are locked with the workspace's own password unless HR gives one
        self.password = password or self.store.protect_password()
        self.tpl_dir = str(ws.root / "templates")
        self.templates: dict[str, Template] = {}
        self.fingerprints: dict[str, str] = {}
        self.written: list[Generated] = []  # recorded in the store by flush(), one transaction a run
        self._imports: dict[str, dict] | None = None
        self.people = people | {DEPARTMENT} if people is not None else None  # a worker's employees: only theirs read
        self._adjustments: dict[str, list] | None = None
        self._known: dict[str, set] = {}  # role → the cells its template fills
        self._defaults: dict[str, tuple[dict, dict]] = {}
        self._records: tuple[list, list] | None = None  # the month's appeals and the open improvement plans
        self.base_titles = texts.titles(self.tpl_dir, **self._ctx(None, None))

    def _ctx(self, e: Employee | None, role_id: str | None) -> dict:
        """What the workbook templates may use."""
        y, m = map(int, texts.next_month(self.month).split("-"))
        return dict(plan=self.plan, role=self.plan.roles[role_id] if role_id else None,
                    employee=e or Employee("", "", "", "", None, None, "", ""),
                    month=self.month, month_zh=texts.month_zh(self.month),
                    previous_month=texts.previous_month(self.month),
                    previous_quarter=texts.months_back(self.month, 3),
                    previous_half=texts.months_back(self.month, 6), previous_year=texts.months_back(self.month, 12),
                    deadline=f"{y}年{m}月{self.plan.month_deadline_day}日",
                    adjustments=self.plan.role_adjustments(role_id) if role_id else [],
                    cohort_bonuses="、".join(b.name for b in self.plan.cohort_bonuses if b.role == role_id),
                    pools="、".join(p.name for p in self.plan.pools_led(role_id, self.month)) if role_id else "",
                    notes=self._notes(e.id) if e is not None and e.id else [])

    def _notes(self, employee: str) -> list[str]:
        """The 说明 sheet's lines about the employee's accepted appeals and open improvement plans."""
        from .appeals import amendment_lines, followup_lines

        if self._records is None:
            self._records = (self.store.appeals(self.month), self.store.followups(open_only=True))
        appeals, followups = self._records
        return amendment_lines(appeals, employee) + followup_lines(followups, employee)

    def template(self, role_id: str) -> Template:
        if role_id not in self.templates:
            teams = {pid: len(team) for pid, team in self.teams.items()}
            # everything the template is built from: a worker's parts (and a second run with the same plan,
            # titles and teams) share one build instead of one each
            key = (plan_hash(self.plan), role_id, self.month, self.mode, self.password,
                   json.dumps(self.base_titles, ensure_ascii=False, sort_keys=True, default=str),
                   tuple(sorted(teams.items())))
            if key not in _TEMPLATES:
                layout = build_role_template(self.plan, role_id, self.month, self.mode, self.base_titles, teams)
                if self.password:
                    for sheet in layout.workbook.worksheets:
                        if sheet.protection.sheet:
                            sheet.protection.password = self.password
                if len(_TEMPLATES) >= 64:
                    _TEMPLATES.clear()
                _TEMPLATES[key] = Template(layout)
            self.templates[role_id] = _TEMPLATES[key]
        return self.templates[role_id]

    def fingerprint(self, role_id: str) -> str:
        """A digest of the formulas a role's workbook is generated with (what the tamper check expects)."""
        if role_id not in self.fingerprints:
            digest = hashlib.sha256()
            for part, formulas in sorted(template_formula_bytes(self.template(role_id)).items()):
                digest.update(part.encode() + b"\0" + b"\0".join(formulas) + b"\1")
            self.fingerprints[role_id] = digest.hexdigest()
        return self.fingerprints[role_id]

    def flush(self, roster: list[Employee]) -> None:
        """Record in the workspace's store what this run wrote, and the plan and roster it used."""
        if self.written:
            self.store.record_month(self.month, plan_hash(self.plan), roster_hash(roster))
            self.store.record_generated(self.month, self.written)
            self.written = []

    # ---------------------------------------------------------------- values of one employee

    def defaults(self, e: Employee) -> tuple[dict, dict]:
        """Targets and baselines from the plan, baselines from last month's workbook where the rule says so
        (worked out once per employee: scoring and writing both need them)."""
        if e.id not in self._defaults:
            self._defaults[e.id] = self._work_out_defaults(e)
        return self._defaults[e.id]

    def _work_out_defaults(self, e: Employee) -> tuple[dict, dict]:
        values, sources = {}, {}
        earlier: dict[int, WorkbookData | None] = {}  # months back → that month's workbook

        def workbook_back(n: int) -> WorkbookData | None:
            if n not in earlier:
                path = workbook_path(self.ws, texts.months_back(self.month, n), e)
                earlier[n] = _try_read(path) if path.exists() else None
            return earlier[n]

        figures = self.imports(DEPARTMENT)
        role = self.plan.roles[e.role]
        for item in role.weekly_report:  # each report week's target: the plan's, unless HR imports one
            for w in range(1, role.weeks(self.month) + 1):
                values[f"weektarget{w}_{item.id}"] = item.target
        for m in role.metrics:
            values[f"target_{m.id}"] = m.target
            values[f"baseline_{m.id}"] = m.baseline
            sources[m.id] = self.base_titles["baseline_plan"] if m.baseline is not None else ""
            for key, fid in (("baseline", m.baseline_figure), ("target", m.target_figure)):
                if fid and f"figure_{fid}" in figures:  # 外部数据 HR imported for the month
                    figure = self.plan.figure(fid)
                    values[f"{key}_{m.id}"] = figures[f"figure_{fid}"].value
                    label = f"{'目标' if key == 'target' else '基准'}取{figure.kind}：{figure.name}"
                    sources[m.id] = label if key == "baseline" or not sources[m.id] else f"{sources[m.id]}；{label}"
            if m.baseline_from != "previous" or m.baseline_figure:
                continue
            back = PREVIOUS_CYCLE[m.period]  # a quarterly survey is compared with last quarter's
            data = workbook_back(back)
            # computed and weekly actuals are formulas a workbook xl_kpi wrote holds no value for yet:
            # taken from their inputs, as the scorecard takes them
            last = actual_of(m, employee_inputs(data, self.plan, e.role)[0], role) if data is not None else None
            if last is not None:
                values[f"baseline_{m.id}"] = float(last)
                sources[m.id] = self.base_titles[PREVIOUS_TITLE[back]]
        return values, sources

    def recorded_adjustments(self, employee: str) -> list[AdjustmentEntry]:
        """HR's 加减分 rows of the employee's month."""
        if self._adjustments is None:
            self._adjustments = {e: [AdjustmentEntry(item, count, chosen, note, date)
                                     for item, count, chosen, note, date, _, _ in rows]
                                 for e, rows in self.store.adjustments(self.month).items()}
        return self._adjustments.get(employee, [])

    def imports(self, employee: str) -> dict:
        """What HR imported for the employee this month: slot → Imported."""
        if self._imports is None:
            self._imports = self.store.imported(self.month, employees=self.people)
        return self._imports.get(employee, {})

    def owned(self, e: Employee) -> dict[str, Owned]:
        """Every value of the employee's workbook that decides pay and is not the filler's to type, with
        its owner: pay bases from the roster, targets and baselines from HR's imports, else the plan
        (or, for baselines measured against the previous period, last month's workbook)."""
        role = self.plan.roles[e.role]
        defaults, sources = self.defaults(e)
        out = {
            "base_salary": Owned(float(e.base_salary if e.base_salary is not None else role.base_salary), "花名册"),
            "performance_pay_base": Owned(float(e.performance_pay_base if e.performance_pay_base is not None
                                                else role.performance_pay_base), "花名册"),
        }
        earlier = {self.base_titles[title]: owner for title, owner in (
            ("baseline_previous", "上月工作簿"), ("baseline_previous_quarter", "上季度工作簿"),
            ("baseline_previous_half", "上半年工作簿"), ("baseline_previous_year", "上年工作簿"))}
        for key, value in defaults.items():
            source = sources.get(key[len("baseline_"):]) if key.startswith("baseline_") else None
            out[key] = Owned(value, earlier.get(source, "方案"))
        figures = self.imports(DEPARTMENT)
        for m in role.metrics:
            for key, fid in ((f"target_{m.id}", m.target_figure), (f"baseline_{m.id}", m.baseline_figure)):
                if fid and f"figure_{fid}" in figures:
                    imp = figures[f"figure_{fid}"]
                    out[key] = Owned(imp.value, f"导入 {Path(imp.source).name}:{imp.line}")
        for key, imp in self.imports(e.id).items():
            if key in out:
                out[key] = Owned(imp.value, f"导入 {Path(imp.source).name}:{imp.line}")
        return out

    def values(self, e: Employee, old: WorkbookData | None, extra: dict | None) -> tuple[dict, int]:
        """Every slot's value: fresh texts and defaults, then what was typed before, then ``extra``."""
        role = self.plan.roles[e.role]
        ctx = self._ctx(e, e.role)
        t = texts.titles(self.tpl_dir, EMPLOYEE_TITLES, **ctx)
        defaults, sources = self.defaults(e)
        owned = self.owned(e)
        v: dict[str, object] = {
            "instructions": texts.render("workbook/instructions.txt.j2", self.tpl_dir, **ctx),
            "title": t["title"], "weekly_title": t.get("weekly_title"), "adjustments_title": t.get("adjustments_title"),
            "pools_title": t.get("pools_title"),
            "employee_id": e.id, "employee_name": e.name, "department": e.department, "role_name": role.name,
            "month": self.month,
            "base_salary": owned["base_salary"].value,
            "performance_pay_base": owned["performance_pay_base"].value,
            "meta_employee": e.id, "meta_role": e.role, "meta_month": self.month, "meta_mode": self.mode,
        }
        v.update({key: owned[key].value for key in defaults})  # HR's imports over the plan's defaults
        kept = 0
        if old is not None:
            units = self._units(e.role)
            for key, slot in self.template(e.role).slots.items():
                if slot.typed and not key.startswith(("adj_", "poolpts_")) and old.values.get(key) is not None:
                    v[key] = _as_typed_number(old.values[key], units.get(key)) if slot.kind == "number" else old.values[key]
                    kept += 1
            for i, row in enumerate(old.adjustments[:ADJ_ROWS]):
                for f, value in row.items():
                    if value is not None:
                        v[f"adj_{f}_{i}"] = value
                        kept += 1
        v.update(self._pool_rows(e, old))
        kept += sum(1 for k, x in v.items() if k.startswith("poolpts_") and x is not None)
        if extra:
            v.update(extra)
        for mid, src in sources.items():
            own = v[f"baseline_{mid}"] != defaults[f"baseline_{mid}"]  # set for this employee (by hand or import)
            v[f"baseline_src_{mid}"] = t["baseline_employee"] if own else src
        return v, kept

    def _pool_rows(self, e: Employee, old: WorkbookData | None) -> dict[str, object]:
        """The 积分分配 rows of a lead's workbook: each member from the roster, with the share the lead
        typed for that member before (found by 工号, so a changed roster keeps every share with its person)."""
        v: dict[str, object] = {}
        for pool in self.plan.pools_led(e.role, self.month):
            typed = dict(old_pool_shares(old, pool.id)) if old is not None else {}
            for i, member in enumerate(self.teams[pool.id]):
                v[f"poolwho_{pool.id}_{i}"], v[f"poolname_{pool.id}_{i}"] = member.id, member.name
                if typed.get(member.id) is not None:
                    v[f"poolpts_{pool.id}_{i}"] = typed[member.id]
        return v

    def _units(self, role_id: str) -> dict[str, str]:
        """Slot name → the unit of the number typed there."""
        role = self.plan.roles[role_id]
        out = {f"actual_{m.id}": m.unit for m in role.metrics}
        out.update({f"week{w}_{i.id}": i.unit for i in role.weekly_report for w in range(1, MAX_WEEKS + 1)})
        return out

    def would_lose(self, e: Employee, old: WorkbookData) -> list[tuple[str, str]]:
        """Cells a person filled in the old workbook that the new one has no place for."""
        slots = self.template(e.role).slots
        formulas = {f"actual_{m}" for m in _formula_actuals(self.plan, e.role)}
        lost = [old.where(name) for name, value in old.values.items()
                if value is not None and name.startswith(TYPED_PREFIXES) and not name.startswith("poolpts_")
                and name not in slots and name not in formulas]
        for pool in self.plan.pools:  # a share for someone no longer on the team (or no sheet any more)
            members = {m.id for m in self.teams[pool.id]} if pool in self.plan.pools_led(e.role, self.month) else set()
            lost += [old.where(f"poolpts_{pool.id}_{i}") for i, (who, pts) in enumerate(old_pool_shares(old, pool.id))
                     if pts is not None and who not in members]
        return lost

    def read(self, path: Path, e: Employee, keep_grids: bool = False) -> WorkbookData | None:
        """The employee's workbook: taken straight from the file when it is still this template as written
        (most files an import reads), else parsed in full; None when it cannot be read."""
        return _try_read(path, keep_grids, self.template(e.role))

    def notes_lost(self, e: Employee, old: WorkbookData) -> list[str]:
        """Notes a person wrote outside the form (text beside it, 批注) that regenerating would drop."""
        if old.as_written:  # nothing but the template's cells and its slots
            return []
        if e.role not in self._known:
            self._known[e.role] = template_cells(self.template(e.role))
        outputs = {old.where(n) for n in old.names if n.startswith(OUTPUT_NAMES)}
        return stray_notes(old.path, self._known[e.role], outputs, old.grids)

    # ---------------------------------------------------------------- files

    def write(self, e: Employee, force: bool = False, extra: dict | None = None, report: GenerateReport | None = None,
              read: WorkbookData | None = None):
        """``read``: the workbook as already read by the caller (an import reads each file once)."""
        report = report if report is not None else GenerateReport()
        path = workbook_path(self.ws, self.month, e)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if path.exists():
            if force:
                backup = _backup_name(path)
                shutil.copy2(path, backup)
                report.backups.append(backup)
            else:
                old = read if read is not None else self.read(path, e, keep_grids=True)
                if old is None:
                    report.problems.append(Problem(
                        "workbook_unreadable", "工作簿无法读取, 未改动; 修复或用 --force 重新生成(会保留备份) / "
                        "cannot read the workbook, left untouched; fix it or use --force (a backup is kept)",
                        file=str(path), employee=e.id))
                    return report
                if old.meta.get("meta_employee") not in (None, e.id):
                    report.problems.append(Problem(
                        "workbook_mismatch", f"文件属于{old.meta.get('meta_employee')}, 未改动 / belongs to another employee",
                        file=str(path), employee=e.id))
                    return report
        if old is not None:
            lost = self.would_lose(e, old)
            if lost:
                where = ", ".join(f"{sheet}!{cell}" for sheet, cell in lost[:5]) + (" …" if len(lost) > 5 else "")
                report.problems.append(Problem(
                    "would_lose_input", f"方案或岗位已改变, 重新生成会丢失已填写的{len(lost)}个值({where}), 未改动; "
                    f"确认后用 --force 重新生成(会保留备份) / the plan or role changed: regenerating would lose "
                    f"{len(lost)} typed value(s), left untouched; use --force (a backup is kept)",
                    file=str(path), employee=e.id))
                return report
            notes = self.notes_lost(e, old)
            if notes:
                shown = "; ".join(notes[:5]) + (" …" if len(notes) > 5 else "")
                report.problems.append(Problem(
                    "would_lose_note", f"工作簿中有{len(notes)}处表外的文字或批注, 重新生成会丢失({shown}), 未改动; 请先"
                    f"移到备注栏, 或确认后用 --force 重新生成(会保留备份) / {len(notes)} note(s) outside the form would be "
                    f"lost: left untouched; move them or use --force (a backup is kept)", file=str(path), employee=e.id))
                return report
        values, kept = self.values(e, old, extra)
        try:
            atomic_write(path, self.template(e.role).render(values))
        except KpiError as exc:
            report.problems += [Problem(p.type, p.message, file=p.file, employee=e.id) for p in exc.problems]
            return report
        report.written.append(path)
        report.kept_inputs += kept
        self.written.append(Generated(e.id, e.role, self.mode, path.name, self.fingerprint(e.role)))
        return report


def old_pool_shares(data: WorkbookData, pool_id: str) -> list[tuple[str, object]]:
    """(工号, share as typed) of each row of a pool in a workbook's 积分分配 sheet."""
    out, i = [], 0
    while f"poolpts_{pool_id}_{i}" in data.names:
        out.append((str(data.values.get(f"poolwho_{pool_id}_{i}") or ""), data.values.get(f"poolpts_{pool_id}_{i}")))
        i += 1
    return out


def _as_typed_number(value, unit: str | None):
    """A number typed as text (``4.8万``, ``3,199``) becomes the number, so the sheet computes with it
    too; a text that is no number stays exactly as typed, for the score to report."""
    if not isinstance(value, str):
        return value
    try:
        return typed_number(value, unit or "")
    except TypedNumberError:
        return value


def _backup_name(path: Path) -> Path:
    """``<name>.bak-<time>.xlsx``, never one that exists already (two --force runs in one second)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup, n = path.with_name(f"{path.stem}.bak-{stamp}.xlsx"), 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.stem}.bak-{stamp}-{n}.xlsx")
    return backup


def _formula_actuals(plan: Plan, role_id: str) -> set[str]:
    """Metrics whose actual cell is a formula (weekly sums, ratings, computed): not typed, nothing to keep."""
    return {m.id for m in plan.roles[role_id].metrics if m.source in ("weekly_sum", "rating") or m.compute}


def _try_read(path: Path, keep_grids: bool = False, template: Template | None = None) -> WorkbookData | None:
    try:
        return read_any(path, template, keep_grids)
    except Exception:  # any unreadable or foreign file is reported by the caller, never overwritten
        return None


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
        data = _try_read(path)
        mode = str(data.meta.get("meta_mode") or "?") if data else "?"
        out.setdefault(mode, []).append(path.stem)
    return out


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
    from . import parallel
    from .closing import refuse_if_closed

    refuse_if_closed(ws, month, "生成工作簿")
    store = open_store(ws.root)
    password = password or store.protect_password()  # drawn once, here, for every worker
    report = GenerateReport()
    written: list[Generated] = []
    try:
        for part_report, part_written in parallel.run(_generate_part, parallel.chunks(roster, jobs), jobs, progress,
                                                      parallel.employees, (ws, plan, month, mode, password,
                                                                           everyone or roster, force)):
            _merge(report, part_report)
            written += part_written
    finally:
        _record(store, plan, month, roster, written)
        ids = {e.id for e in roster}
        record_written(store, "generate", month, {employee_of(p.stem, ids): p for p in report.written})
    return report


def _generate_part(args, part: list[Employee]) -> tuple[GenerateReport, list[Generated]]:
    """One worker's share of generate: its own templates, its employees' files; what it wrote comes back
    for the parent to record (one writer of HR's record, in roster order)."""
    ws, plan, month, mode, password, everyone, force = args
    gen = Generator(ws, plan, month, mode, password, roster=everyone, people={e.id for e in part})
    report = GenerateReport()
    for e in part:
        try:
            gen.write(e, force, report=report)
        except Exception as exc:  # reported with its employee; the others go on
            report.problems.append(Problem("generate_failed", f"生成失败 / could not generate: {exc}", employee=e.id,
                                           file=str(workbook_path(ws, month, e))))
    return report, gen.written


def _merge(into: GenerateReport, part: GenerateReport) -> None:
    into.written += part.written
    into.kept_inputs += part.kept_inputs
    into.backups += part.backups
    into.problems += part.problems


def _record(store: Store, plan: Plan, month: str, roster: list[Employee], written: list[Generated]) -> None:
    if written:
        store.record_month(month, plan_hash(plan), roster_hash(roster))
        store.record_generated(month, written)


# --------------------------------------------------------------------------- import


def load_mapping(ws: Workspace) -> tuple[dict, dict]:
    """``mapping.yaml`` in the workspace: platform column headers and metric names → ours."""
    path = ws.root / "mapping.yaml"
    if not path.exists():
        return {}, {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        raise KpiError([Problem("yaml_syntax", f"映射文件格式错误 / mapping syntax error: {exc}", file=str(path))]) from None
    cols, metrics = data.get("columns") or {}, data.get("metrics") or {}
    if not isinstance(cols, dict) or not isinstance(metrics, dict):
        raise KpiError([Problem("mapping_invalid", "columns 与 metrics 须为键值表 / columns and metrics must be mappings",
                                file=str(path))])
    return {str(k): str(v) for k, v in cols.items()}, {str(k): str(v) for k, v in metrics.items()}


@dataclass
class ImportReport:
    rows: int = 0
    employees: int = 0
    skipped: list[Problem] = field(default_factory=list)
    generate: GenerateReport = field(default_factory=GenerateReport)


def import_file(ws: Workspace, plan: Plan, roster: list[Employee], file: Path, month: str, mode: str = "native",
                skip_bad: bool = False, jobs: int = 1, progress=None) -> ImportReport:
    """Fill actuals (and targets, baselines, ratings, weeks) from a data export, or HR's 加减分 from a
    加减分 log file (a 项目 column); all rows good or nothing."""
    from .closing import refuse_if_closed

    refuse_if_closed(ws, month, "导入数据")
    store = open_store(ws.root)
    before = snapshot(store, month)
    report = _import_file(ws, plan, roster, file, month, mode, skip_bad, jobs, progress)
    ids = {e.id for e in roster}
    record_import(store, month, before, file, {employee_of(p.stem, ids): p for p in month_workbooks(ws.month_dir(month))})
    return report


def _import_file(ws: Workspace, plan: Plan, roster: list[Employee], file: Path, month: str, mode: str,
                 skip_bad: bool, jobs: int = 1, progress=None) -> ImportReport:
    cols, metrics = load_mapping(ws)
    if is_adjustment_file(file, cols):
        return import_adjustments(ws, plan, roster, file, month, mode, skip_bad, jobs, progress)
    if is_figures_file(file, cols):
        return import_figures(ws, plan, roster, file, month, mode, skip_bad, jobs, progress)
    if is_pool_file(file, cols):
        from .pools import import_pool_shares

        return import_pool_shares(ws, plan, roster, file, month)
    problems: list[Problem] = []
    people: set[str] = set()
    count = 0

    def good():
        nonlocal count
        for r in actual_rows(file, plan, roster, rename=cols, metric_alias=metrics, month=month):
            if isinstance(r, Problem):
                problems.append(r)
                continue
            people.add(r.employee)
            count += 1
            yield r.employee, _slot(r), r.value, r.line

    store = open_store(ws.root)
    # HR's record first (a workbook is only a copy of it): the rows stream in, the whole file or nothing
    with store.conn:
        after = store.last_import()
        store.add_imports(month, str(Path(file).resolve()), good())
        clashes = store.import_conflicts(month, after)
        problems = sorted(problems + [duplicate(str(file), line, value, first, was) for _, _, line, value, first, was
                                      in clashes], key=lambda p: p.line or 0)
        if problems and not skip_bad:
            raise KpiError(problems)  # rolled back
        store.drop_imports(month, after, {c[2] for c in clashes})
    report = ImportReport(rows=count - len(clashes), employees=len(people), skipped=problems)
    write_values(ws, plan, roster, month, ImportedSince(after, people), mode, report.generate, store, jobs, progress)
    return report


def import_figures(ws: Workspace, plan: Plan, roster: list[Employee], file: Path, month: str,
                   mode: str = "native", skip_bad: bool = False, jobs: int = 1, progress=None) -> ImportReport:
    """外部数据 (行业, 竞品) for the whole department: recorded, then every workbook whose targets or
    baselines come from them is brought up to date."""
    rows, problems = read_figures(file, plan, load_mapping(ws)[0])
    if problems and not skip_bad:
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
    write_values(ws, plan, roster, month, extra, mode, report.generate, store, jobs, progress)
    return report


def import_adjustments(ws: Workspace, plan: Plan, roster: list[Employee], file: Path, month: str,
                       mode: str = "native", skip_bad: bool = False, jobs: int = 1, progress=None) -> ImportReport:
    """HR's 加减分 rows: checked, recorded (they replace the named employees' rows of the month), and shown
    in each workbook's log, above the rows of items the form's filler may enter."""
    rows, problems = read_adjustment_rows(file, plan, roster, rename=load_mapping(ws)[0])
    people = {e.id: e for e in roster}
    by_emp: dict[str, list] = {}
    for line, emp, entry in rows:
        by_emp.setdefault(emp, []).append((line, entry))
    for emp, entries in list(by_emp.items()):
        _, _, _, _, bad = score_adjustments(plan, people[emp].role, [a for _, a in entries])
        bad += [Problem("too_many_rows", f"{emp}有{len(entries)}行加减分, 表中只有{ADJ_ROWS}行 / more rows than the "
                        f"log holds", loc=("adjustments", ADJ_ROWS, ""))] if len(entries) > ADJ_ROWS else []
        for p in bad:
            line = entries[min(p.loc[1], len(entries) - 1)][0] if p.loc else None
            problems.append(Problem(p.type, p.message, file=str(file), line=line, employee=emp))
            by_emp.pop(emp, None)
    if problems and not skip_bad:
        raise KpiError(problems)
    store = open_store(ws.root)
    store.replace_adjustments(month, str(Path(file).resolve()), by_emp)
    existing = {employee_of(p.stem, people): p for p in month_workbooks(ws.month_dir(month))}
    extra = {}
    for emp, entries in by_emp.items():
        old = _try_read(existing[emp]) if emp in existing else None
        extra[emp] = log_values(plan, [a for _, a in entries] + _form_rows(plan, people[emp].role, old))
    report = ImportReport(rows=sum(len(v) for v in by_emp.values()), employees=len(by_emp), skipped=problems)
    write_values(ws, plan, roster, month, extra, mode, report.generate, store, jobs, progress)
    return report


def _form_rows(plan: Plan, role_id: str, old: WorkbookData | None) -> list[AdjustmentEntry]:
    """The log rows of items the form's filler may enter, as typed in the workbook (kept when HR imports)."""
    if old is None:
        return []
    x, _ = employee_inputs(old, plan, role_id)
    return [a for a in x.adjustments if plan.adjustment(a.item).entered_by == "form"]


def log_values(plan: Plan, entries: list[AdjustmentEntry]) -> dict:
    """Slot values of the whole 加减分 log: these rows, then blank rows."""
    out: dict[str, object] = {}
    for i in range(ADJ_ROWS):
        a = entries[i] if i < len(entries) else None
        out.update({f"adj_date_{i}": a and a.date, f"adj_item_{i}": a and plan.adjustment(a.item).name,
                    f"adj_count_{i}": a and a.count, f"adj_chosen_{i}": a and a.chosen,
                    f"adj_note_{i}": (a.note or None) if a else None})
    return out


def _slot(r) -> str:
    """The workbook cell an imported row fills."""
    return {"actual": f"actual_{r.metric}", "target": f"target_{r.metric}", "baseline": f"baseline_{r.metric}",
            "week": f"week{r.week}_{r.metric}", "input": f"input_{r.metric}",
            "weektarget": f"weektarget{r.week}_{r.metric}"}.get(r.kind, f"rating_{r.metric}_{r.kind}")


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
    from . import parallel

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
    if progress:
        progress(0, total=len(items))  # the workbooks this import touches
    try:
        for part_report, part_written in parallel.run(_write_part, parallel.chunks(items, jobs), jobs, progress,
                                                      lambda part: f"{part[0][0]}–{part[-1][0]}", shared):
            _merge(report, part_report)
            written += part_written
    finally:
        _record(store, plan, month, roster, written)
    return report


def _write_part(args, part: list[tuple[str, dict | None, Path | None]]) -> tuple[GenerateReport, list[Generated]]:
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
                   else _try_read(path, keep_grids=True))
        kept = recorded or (old.meta.get("meta_mode") if old else None)
        gen = generator(kept if kept in MODES else mode)
        try:
            gen.write(people[emp_id], extra=values, report=report, read=old)
        except Exception as exc:  # reported with its employee; the others go on
            report.problems.append(Problem("write_failed", f"写入失败 / could not write: {exc}", employee=emp_id))
    return report, [g for gen in generators.values() for g in gen.written]


# --------------------------------------------------------------------------- score


def slot_values(x: EmployeeInputs) -> dict[str, object]:
    """The workbook cells that hold these inputs, by slot name (what employee_inputs reads back)."""
    out: dict[str, object] = {f"actual_{k}": v for k, v in x.actuals.items()}
    out.update({f"week{w + 1}_{k}": v for k, weeks in x.weekly.items() for w, v in enumerate(weeks)})
    out.update({f"rating_{m}_{r}": v for m, rs in x.ratings.items() for r, v in rs.items()})
    return out


def score_file(path: Path, plan: Plan, e: Employee, month: str, owner: Generator | None = None) -> Scored:
    try:
        data = read_any(path, owner.template(e.role) if owner else None)
    except Exception as exc:
        return Scored(e, path, None, None, [Problem("workbook_unreadable", f"工作簿无法读取 / cannot read: {exc}",
                                                    file=str(path), employee=e.id)])
    return score_data(data, plan, e, month, owner=owner)


def score_data(data: WorkbookData, plan: Plan, e: Employee, month: str, bonuses=None,
               owner: Generator | None = None) -> Scored:
    """The scorecard of a read workbook, its problems placed by sheet and cell. With ``owner`` (HR's
    record), every value the filler does not own is taken from its owner, and a workbook showing
    something else is a problem; without it (the ribbon, in a lone workbook) the workbook is believed."""
    x, problems = employee_inputs(data, plan, e.role)
    shown: list[Problem] = []
    if owner is not None:
        owned = owner.owned(e)
        shown = display_problems(data, owned, plan.roles[e.role])
        for key, o in owned.items():
            kind, _, mid = key.partition("_")
            if kind in ("target", "baseline"):
                (x.targets if kind == "target" else x.baselines)[mid] = o.value
        bases = (_money(owned["base_salary"].value), _money(owned["performance_pay_base"].value))
    else:
        bases = (_money(data.values.get("base_salary")), _money(data.values.get("performance_pay_base")))
    adj_index = log_rows(data)
    if owner is not None:
        adj_index, log_problems = _hr_adjustments(x, adj_index, owner.recorded_adjustments(e.id), plan, data)
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


LABELS = {"base_salary": "责任底薪", "performance_pay_base": "绩效工资基数"}


def _hr_adjustments(x: EmployeeInputs, adj_index: list, recorded: list[AdjustmentEntry], plan: Plan,
                    data: WorkbookData) -> tuple[list, list[Problem]]:
    """The 加减分 that count: HR's recorded rows, and the workbook's rows of items its filler may enter.
    A workbook row of an HR item that HR did not record is reported and not counted; a recorded row
    missing from the workbook is reported and counted."""
    sheet = data.names["adj_log"].sheet if "adj_log" in data.names else None
    known = {a.id: a for a in plan.adjustments}
    typed = list(zip(x.adjustments, adj_index))
    # the filler's own rows, and rows of unknown items (the scorecard reports those)
    form = [(a, i) for a, i in typed if a.item not in known or known[a.item].entered_by == "form"]
    unmatched = list(recorded)
    problems = []
    for a, i in typed:
        if a.item not in known or known[a.item].entered_by == "form":
            continue
        match = next((r for r in unmatched if _same_row(r, a)), None)
        if match is not None:
            unmatched.remove(match)
            continue
        problems.append(Problem("adjustment_unregistered", f"加减分“{plan.adjustment(a.item).name}”不在人力资源部的记录中, "
                                f"未计入(须由人力资源部导入) / a 加减分 row HR did not record: not counted",
                                sheet=sheet, cell=data.adj_cells[i]["item"]))
    for r in unmatched:
        problems.append(Problem("adjustment_missing", f"人力资源部记录的加减分“{plan.adjustment(r.item).name}”"
                                f"{'×' + num(r.count) if r.count is not None else ''}不在表中, 已按记录计入 / a recorded "
                                f"加减分 row is missing from the workbook: counted", sheet=sheet))
    x.adjustments = [a for a, _ in form] + list(recorded)
    return [i for _, i in form] + [None] * len(recorded), problems


def _same_row(a: AdjustmentEntry, b: AdjustmentEntry) -> bool:
    count = lambda v: 1.0 if v in (None, "") else v  # noqa: E731  (a blank count is one event)
    return a.item == b.item and _same_number(count(a.count), count(b.count)) and \
        (a.chosen in (None, "") and b.chosen in (None, "") or _same_number(a.chosen, b.chosen))


def display_problems(data: WorkbookData, owned: dict[str, Owned], role) -> list[Problem]:
    """The workbook's copies of values it does not own, against their owner: a workbook showing
    something else (someone unprotected the sheet, or the roster changed) is a problem naming the cell,
    both values and the owner. The owner's value is the one that counts."""
    out = []
    for key, o in owned.items():
        where = data.where(key)
        if where is None:
            continue
        shown = data.values.get(key)
        if _same_number(shown, o.value):
            continue
        kind, _, mid = key.partition("_")
        label = LABELS.get(key) or f"{role.metric(mid).name}{'目标' if kind == 'target' else '基准'}"
        out.append(Problem("owned_value_changed", f"{label}：表内为 {_show(shown)}，{o.owner}为 {_show(o.value)}"
                           f"（以{o.owner.split()[0]}为准） / {key}: the workbook shows {_show(shown)}, its owner "
                           f"({o.owner}) says {_show(o.value)}", sheet=where[0], cell=where[1]))
    return out


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        return False
    return snap(float(a)) == snap(float(b))


def _show(v) -> str:
    if v is None or v == "":
        return "空白"
    return num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else f"“{v}”"


def _money(v):
    return Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def score_month(ws: Workspace, plan: Plan, roster: list[Employee], month: str, progress=None,
                jobs: int = 1) -> list[Scored]:
    """Every employee's scorecard from their workbook of the month, on ``jobs`` worker processes."""
    from . import parallel

    ids = {e.id for e in roster}
    roster_of = {e.id: e for e in roster}
    files: dict[str, list[Path]] = {}
    for p in month_workbooks(ws.month_dir(month)):
        files.setdefault(employee_of(p.stem, ids), []).append(str(p))  # text: 100,000 Path objects weigh
    parts = parallel.chunks([(e, files.get(e.id, [])) for e in roster], jobs)
    out = [held(s, roster_of) for part in parallel.run(_score_part, parts, jobs, progress, parallel.employees,
                                                       (ws, plan, month, roster)) for s in part]
    from .closing import changed_since_close

    people = {s.employee.id: s for s in out}
    for p in changed_since_close(ws, month, ids):  # a closed month's workbook changed since the close
        if p.employee:
            people[p.employee].problems.append(p)
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
                "duplicate_workbook", f"{e.name}有{len(paths)}个工作簿: {', '.join(p.name for p in paths)} / "
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
