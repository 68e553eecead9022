"""HR's record of a month as the month's steps read it: what was imported for each employee, the 加减分 rows
HR recorded, the targets and baselines each workbook must show (the plan's, an import's, or the previous
period's actual), who owns each value that decides pay, and the 说明 lines about appeals and improvement
plans."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ..core.plan import CYCLE_MONTHS, Plan
from ..core.scorecard import AdjustmentEntry, actual_of
from ..store import Store
from ..store.rows import Imported
from ..workbook import texts
from ..workbook.reader import WorkbookData, employee_inputs
from ..workbook.rendered import try_read
from ..workbook.texts import date_zh
from ..workspace import Workspace
from ..workspace.months import workbook_path
from ..workspace.roster import Employee

DEPARTMENT = "*"  # the "employee" of the imports that hold outside figures for everyone


def month_figures(store, month: str) -> dict[str, float]:
    """figure id → the outside figure HR imported for the month (the conditions of pools and awards read them)."""
    prefix = "figure_"
    return {slot[len(prefix):]: i.value for slot, i in
            store.imported(month, DEPARTMENT, prefix=prefix).get(DEPARTMENT, {}).items()}


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


def plan_meaning(plan: Plan) -> str:
    """What the plan says, as HR wrote it (plan.yaml read as data): the same text gives the same digest whatever
    the release of xl_kpi, which the models' own dump would not (a release that adds a key with a default)."""
    source = plan.source if plan.source is not None else plan.model_dump(mode="json", exclude_defaults=True)
    return hashlib.sha256(json.dumps(source, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def roster_hash(roster: list[Employee]) -> str:
    rows = [(e.id, e.name, e.department, e.role, str(e.base_salary), str(e.performance_pay_base), e.email,
             e.manager_email) for e in sorted(roster, key=lambda e: e.id)]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def amendment_lines(appeals: list[dict], employee: str) -> list[str]:
    """The 说明 sheet's lines about the employee's accepted appeals of the month."""
    return [f"申诉第{a['id']}号已于{date_zh(dt.date.fromisoformat(a['decided_at'][:10]))}受理：{a['decision']}。"
            for a in appeals if a["employee"] == employee and a["status"] == "accepted"]


TEAM_PREFIXES = ("role:", "team:")  # an improvement plan of a role's people, or of a manager's team (by e-mail)


def plan_applies(f: dict, e: Employee) -> bool:
    """Whether an improvement plan concerns the employee: theirs, their role's, or their manager's team's."""
    return f["employee"] in (e.id, f"role:{e.role}") or bool(e.manager_email) and \
        f["employee"] == f"team:{e.manager_email.lower()}"


def followup_lines(followups: list[dict], e: Employee) -> list[str]:
    """The 说明 sheet's lines about the open improvement plans (改进计划) of the employee and of their team."""
    return [f"{'团队' if f['employee'].startswith(TEAM_PREFIXES) else ''}改进计划第{f['id']}号（{f['month']}起）："
            f"目标：{f['goals']}；措施：{f['measures']}；完成日期：{date_zh(dt.date.fromisoformat(f['due']))}。"
            for f in followups if f["status"] == "open" and plan_applies(f, e)]


class MonthRecord:
    """HR's record of one month for a set of employees (a worker's, or everyone): read from the store once,
    each value with its owner."""

    def __init__(self, ws: Workspace, plan: Plan, month: str, store: Store, people: set[str] | None, titles: dict):
        self.ws, self.plan, self.month, self.store = ws, plan, month, store
        self.base_titles = titles  # the workbook's own words for where a baseline came from
        self.people = people | {DEPARTMENT} if people is not None else None  # a worker's employees: only theirs read
        self._imports: dict[str, dict] | None = None
        self._adjustments: dict[str, list] | None = None
        self._defaults: dict[str, tuple[dict, dict]] = {}
        self._records: tuple[list, list] | None = None  # the month's appeals and the open improvement plans

    def notes(self, e: Employee) -> list[str]:
        """The 说明 sheet's lines about the employee's accepted appeals and open improvement plans (their own
        and their team's)."""
        if self._records is None:
            self._records = (self.store.appeals(self.month), self.store.followups(open_only=True))
        appeals, followups = self._records
        return amendment_lines(appeals, e.id) + followup_lines(followups, e)

    def imports(self, employee: str) -> dict:
        """What HR imported for the employee this month: slot → Imported."""
        if self._imports is None:
            self._imports = self.store.imported(self.month, employees=self.people)
        return self._imports.get(employee, {})

    def given(self, e: Employee) -> dict:
        """What HR's record gives the employee's workbook: the imports, and each rated item's 他评 worked out
        from the rater groups' scores once every group has rated (the forms', or HR's imports of them)."""
        out = dict(self.imports(e.id))
        for m in self.plan.roles[e.role].metrics:
            groups = [r for r in m.rule.weights if r != "self"] if m.source == "rating" else []
            found = [out.get(f"rating_{m.id}_{r}") for r in groups]
            if groups and all(found):
                try:
                    value = m.rule.others({r: f.value for r, f in zip(groups, found)})
                except ValueError:
                    continue  # a score outside the scale: the scorecard reports it from the group's cell
                sources = sorted({Path(f.source).name for f in found})
                out[f"rating_{m.id}_others"] = Imported(value, "、".join(sources), None)
        return out

    def recorded_adjustments(self, employee: str) -> list[AdjustmentEntry]:
        """HR's 加减分 rows of the employee's month."""
        if self._adjustments is None:
            self._adjustments = {e: [AdjustmentEntry(item, count, chosen, note, date)
                                     for item, count, chosen, note, date, _, _ in rows]
                                 for e, rows in self.store.adjustments(self.month).items()}
        return self._adjustments.get(employee, [])

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
                earlier[n] = try_read(path) if path.exists() else None
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
                if not fid:
                    continue
                figure = self.plan.figure(fid)
                imported = figures.get(f"figure_{fid}")  # 外部数据 HR imported for the month
                # not imported: no value at all (never the plan's placeholder), and missing_figures says so
                values[f"{key}_{m.id}"] = imported.value if imported is not None else None
                label = f"{'目标' if key == 'target' else '基准'}取{figure.kind}：{figure.name}" + \
                    ("" if imported is not None else "（未导入）")
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

    def missing_figures(self, e: Employee) -> list[tuple[str, str, str]]:
        """(slot, metric name, figure name) of each outside figure the employee's metrics need that HR has not
        imported for the month."""
        figures = self.imports(DEPARTMENT)
        return [(f"{key}_{m.id}", m.name, self.plan.figure(fid).name) for m in self.plan.roles[e.role].metrics
                for key, fid in (("target", m.target_figure), ("baseline", m.baseline_figure))
                if fid and f"figure_{fid}" not in figures]

    def baselines_needed(self, e: Employee) -> list[str]:
        """The names of the metrics scored this month that need a baseline nobody gives: no previous period's
        workbook (the first month), no default in the plan, nothing imported. HR imports them (类型 基准)."""
        owned = self.owned(e)
        month_no = int(self.month[5:7])
        return [m.name for m in self.plan.roles[e.role].metrics
                if m.applies_in(month_no) and ("baseline" in m.rule.needs or m.measure == "growth")
                and owned.get(f"baseline_{m.id}", Owned(None, "")).value is None]

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
