"""Writing an employee's workbook of the month: fresh texts and HR's values, then everything the person typed
before; never losing a typed value or a note written outside the form, atomically, with a backup on --force."""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.errors import KpiError, Problem
from ..core.plan import MAX_WEEKS, Plan
from ..core.typed import TypedNumberError, typed_number
from ..store import Store, open_store
from ..store.rows import Generated
from ..system.files import atomic_write
from ..workbook import texts
from ..workbook.cells import ADJ_ROWS, TYPED_PREFIXES
from ..workbook.derive import Template
from ..workbook.notes import (
    OUTPUT_NAMES,
    label_key,
    stray_notes,
    template_cells,
    template_words,
)
from ..workbook.reader import WorkbookData, typed_pool_shares, written_by
from ..workbook.rendered import try_read
from ..workspace import Workspace
from ..workspace.months import backup_name, strange_problem, workbook_path
from ..workspace.roster import Employee
from .ownership import same_number
from .record import MonthRecord, plan_meaning
from .templates import Templates

EMPLOYEE_TITLES = ("title", "weekly_title", "adjustments_title", "pools_title", "baseline_employee")  # per workbook
MODES = ("native", "udf")  # native formulas compute in every spreadsheet app; udf needs the add-in


@dataclass
class GenerateReport:
    written: list[Path] = field(default_factory=list)
    kept_inputs: int = 0  # typed values carried over
    backups: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    baselines: list[tuple[Employee, list[str]]] = field(default_factory=list)  # to import before scoring


class Generator:
    """Writes employees' workbooks of one month and formula mode: each role's template built once (``templates``),
    every employee's derived from it with HR's values (``record``) and what the person typed before."""

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
        self.written: list[Generated] = []  # what this run wrote, for the caller to record in the store
        self._known: dict[str, set] = {}  # role → the cells its template fills
        self._words: dict[str, set] = {}  # role → the texts its template writes
        self.base_titles = texts.titles(self.tpl_dir, **self._ctx(None, None))
        self.record = MonthRecord(ws, plan, month, self.store, people, self.base_titles)
        self.templates = Templates(plan, month, mode, self.password, self.base_titles,
                                   {pid: len(team) for pid, team in self.teams.items()})

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
                    notes=self.record.notes(e) if e is not None and e.id else [])

    def template(self, role_id: str) -> Template:
        return self.templates.template(role_id)

    def fingerprint(self, role_id: str) -> str:
        """A digest of the formulas a role's workbook is generated with (what the tamper check expects)."""
        return self.templates.fingerprint(role_id)

    def values(self, e: Employee, old: WorkbookData | None, extra: dict | None) -> tuple[dict, int]:
        """Every slot's value: fresh texts and defaults, then what was typed before, then ``extra``."""
        role = self.plan.roles[e.role]
        ctx = self._ctx(e, e.role)
        t = texts.titles(self.tpl_dir, EMPLOYEE_TITLES, **ctx)
        defaults, sources = self.record.defaults(e)
        owned = self.record.owned(e)
        v: dict[str, object] = {
            "instructions": texts.render("workbook/instructions.txt.j2", self.tpl_dir, **ctx),
            "title": t["title"], "weekly_title": t.get("weekly_title"), "adjustments_title": t.get("adjustments_title"),
            "pools_title": t.get("pools_title"),
            "employee_id": e.id, "employee_name": e.name, "department": e.department, "role_name": role.name,
            "month": self.month,
            "base_salary": owned["base_salary"].value,
            "performance_pay_base": owned["performance_pay_base"].value,
            "meta_employee": e.id, "meta_role": e.role, "meta_month": self.month, "meta_mode": self.mode,
            "meta_version": __version__,
        }
        v.update({key: owned[key].value for key in defaults})  # HR's imports over the plan's defaults
        slots = self.template(e.role).slots
        v.update({key: imp.value for key, imp in self.record.given(e).items()  # 他评: the record's, never typed
                  if key.endswith("_others") and key in slots})
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
            typed = dict(typed_pool_shares(old, pool.id)) if old is not None else {}
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
        """Cells a person filled in the old workbook that the new one has no place for (a value HR's record
        holds, such as a rating an upgrade carried there, is not lost)."""
        slots = self.template(e.role).slots
        formulas = {f"actual_{m}" for m in _formula_actuals(self.plan, e.role)}
        kept = self.record.imports(e.id)
        lost = [old.where(name) for name, value in old.values.items()
                if value is not None and name.startswith(TYPED_PREFIXES) and not name.startswith("poolpts_")
                and name not in slots and name not in formulas
                and not (name in kept and same_number(value, kept[name].value))]
        for pool in self.plan.pools:  # a share for someone no longer on the team (or no sheet any more)
            members = {m.id for m in self.teams[pool.id]} if pool in self.plan.pools_led(e.role, self.month) else set()
            lost += [old.where(f"poolpts_{pool.id}_{i}") for i, (who, pts) in enumerate(typed_pool_shares(old, pool.id))
                     if pts is not None and who not in members]
        return lost

    def read(self, path: Path, e: Employee, keep_grids: bool = False) -> WorkbookData | None:
        """The employee's workbook: taken straight from the file when it is still this template as written
        (most files an import reads), else parsed in full; None when it cannot be read."""
        return try_read(path, keep_grids, self.template(e.role))

    def notes_lost(self, e: Employee, old: WorkbookData) -> list[str]:
        """Notes a person wrote outside the form (text beside it, 批注) that regenerating would drop."""
        if old.as_written:  # nothing but the template's cells and its slots
            return []
        if e.role not in self._known:
            self._known[e.role] = template_cells(self.template(e.role))
        outputs = {old.where(n) for n in old.names if n.startswith(OUTPUT_NAMES)}
        labels: set[str] = set()
        if written_by(old) != __version__:  # an earlier release's own labels stand elsewhere: not notes
            if e.role not in self._words:
                self._words[e.role] = template_words(self.template(e.role))
            labels = self._words[e.role] | {label_key(str(v)) for v in self.values(e, old, None)[0].values()
                                            if isinstance(v, str)}
        return stray_notes(old.path, self._known[e.role], outputs, old.grids, labels)

    # ---------------------------------------------------------------- files

    def write(self, e: Employee, force: bool = False, extra: dict | None = None, report: GenerateReport | None = None,
              read: WorkbookData | None = None):
        """``read``: the workbook as already read by the caller (an import reads each file once)."""
        report = report if report is not None else GenerateReport()
        path = workbook_path(self.ws, self.month, e)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = None
        if path.is_symlink() or path.exists() and not path.is_file():
            report.problems.append(strange_problem(path, e.id))  # never read or replaced: a link, a pipe
            return report
        if path.exists():
            if force:
                backup = backup_name(path)
                shutil.copy2(path, backup)
                report.backups.append(backup)
            else:
                old = read if read is not None else self.read(path, e, keep_grids=True)
                if old is None:
                    report.problems.append(Problem(
                        "workbook_unreadable", "工作簿无法读取，未改动；修复或用 --force 重新生成（会保留备份） / "
                        "cannot read the workbook, left untouched; fix it or use --force (a backup is kept)",
                        file=str(path), employee=e.id))
                    return report
                if old.meta.get("meta_employee") not in (None, e.id):
                    report.problems.append(Problem(
                        "workbook_mismatch", f"文件属于{old.meta.get('meta_employee')}，未改动 / belongs to another employee",
                        file=str(path), employee=e.id))
                    return report
        if old is not None:
            lost = self.would_lose(e, old)
            if lost:
                where = ", ".join(f"{sheet}!{cell}" for sheet, cell in lost[:5]) + (" …" if len(lost) > 5 else "")
                report.problems.append(Problem(
                    "would_lose_input", f"方案或岗位已改变，重新生成会丢失已填写的{len(lost)}个值（{where}），未改动；"
                    f"确认后用 --force 重新生成（会保留备份） / the plan or role changed: regenerating would lose "
                    f"{len(lost)} typed value(s), left untouched; use --force (a backup is kept)",
                    file=str(path), employee=e.id))
                return report
            notes = self.notes_lost(e, old)
            if notes:
                shown = "; ".join(notes[:5]) + (" …" if len(notes) > 5 else "")
                report.problems.append(Problem(
                    "would_lose_note", f"工作簿中有{len(notes)}处表外的文字或批注，重新生成会丢失（{shown}），未改动；请先"
                    f"移到备注栏，或确认后用 --force 重新生成（会保留备份） / {len(notes)} note(s) outside the form would be "
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
        self.written.append(Generated(e.id, e.role, self.mode, path.name, self.fingerprint(e.role), __version__,
                                      plan_meaning(self.plan)))
        return report


def _as_typed_number(value, unit: str | None):
    """A number typed as text (``4.8万``, ``3,199``) becomes the number, so the sheet computes with it
    too; a text that is no number stays exactly as typed, for the score to report."""
    if not isinstance(value, str):
        return value
    try:
        return typed_number(value, unit or "")
    except TypedNumberError:
        return value


def _formula_actuals(plan: Plan, role_id: str) -> set[str]:
    """Metrics whose actual cell is a formula (weekly sums, ratings, computed): not typed, nothing to keep."""
    return {m.id for m in plan.roles[role_id].metrics if m.source in ("weekly_sum", "rating") or m.compute}
