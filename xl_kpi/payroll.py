"""The month-end roll-up: every workbook of the month → cohort rank bonuses →
final grades → the payroll summary workbook (工资汇总, 等级分布, 排名, 问题).

The filled workbooks are only read. Scores are the rule engine's, computed from
the inputs; whatever looks wrong is listed by employee, sheet and cell.
"""
from __future__ import annotations

from decimal import Decimal
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from .core.cohort import QuotaCheck, Ranked, check_quotas, explain_rank, rank_bonuses, rank_values
from .core.limits import award_problems
from .core.errors import Problem
from .core.numbers import round_half_up
from .core.plan import Plan
from .core.scorecard import AdjustmentResult, score
from .monthly import (MODES, Generator, Scored, atomic_write, employee_of, held, month_workbooks, pay_json,
                      score_data, scored_json)
from .roster import Employee
from .scored import use_plan
from .store import open_store
from .workbook.formulas import (FormulaCell, WorkbookFormulas, sheet_bytes, template_formula_bytes, template_formulas,
                                untouched, workbook_formulas)
from .workbook.layout import RULE_COLUMN
from .workbook.reader import WorkbookData
from .workbook.rendered import read_any
from .workbook.stream import RowWriter, quick_styles, saved
from .workbook.style import BAD_FILL, BOLD, MONEY, TITLE, head, print_a4, put, signature_block
from .workbook.texts import month_zh, phrase, zh
from .workspace import Workspace

SUMMARY = "工资汇总"
CENTER, WRAP = Alignment(horizontal="center"), Alignment(wrap_text=True, vertical="top")  # one object each, every row


def summary_path(ws: Workspace, month: str) -> Path:
    return ws.month_dir(month) / f"{SUMMARY}-{month}.xlsx"


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

    def held(self, s: Scored) -> bool:
        """A problem holds the pay line until it is fixed, unless HR accepts the problems."""
        return bool(s.problems) and not self.accept_problems

    def paid(self, s: Scored) -> bool:
        return not self.held(s) and s.card is not None and s.card.pay is not None and s.card.score is not None

    @property
    def all_problems(self) -> list[Problem]:
        return self.problems + [p for e in self.entries for p in e.problems]


# --------------------------------------------------------------------------- reading and checking


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
    return Problem("wrong_month", f"这是{wb_month or '未知月份'}的工作簿, 不是{month} / a workbook of "
                   f"{wb_month or 'an unknown month'}, not {month}", file=str(data.path), employee=emp,
                   sheet=where and where[0], cell=where and where[1])


class Checker:
    """Compares a workbook's formulas, rule cells and shown results with what xl_kpi generates
    and computes."""

    def __init__(self, ws: Workspace, plan: Plan, month: str, roster: list | None = None, people: set | None = None):
        self.ws, self.plan, self.month, self.roster = ws, plan, month, roster
        self.owner = Generator(ws, plan, month, roster=roster, people=people)  # HR's record: owned values, what was generated
        self.generators: dict[str, Generator] = {"native": self.owner}
        self.recorded = self.owner.store.generated(month)
        self.expected: dict[tuple[str, str], tuple[dict, dict]] = {}

    def formulas(self, role: str, mode: str) -> tuple[dict, dict]:
        """The generated formulas of a role's workbook: by cell, and per sheet part in order."""
        if (role, mode) not in self.expected:
            if mode not in self.generators:
                self.generators[mode] = Generator(self.ws, self.plan, self.month, mode, store=self.owner.store,
                                                  roster=self.roster)
            gen = self.generators[mode]
            template = gen.template(role)
            self.expected[(role, mode)] = (template_formulas(template), template_formula_bytes(template))
        return self.expected[(role, mode)]

    def check(self, s: Scored) -> list[Problem]:
        data, e = s.data, s.employee
        out = []
        where = dict(file=str(data.path), employee=e.id)
        for m in self.plan.roles[e.role].metrics:
            text = data.rules.get(m.id)
            if text is not None and text != m.rule.to_text():
                ref = data.names[f"score_{m.id}"]
                out.append(Problem("rule_changed", f"{m.name}的规则被改成“{text}”, 方案为“{m.rule.to_text()}” / "
                                   f"the rule of {m.id} was changed", sheet=ref.sheet, cell=f"{RULE_COLUMN}{ref.row}",
                                   **where))
        record = self.recorded.get(e.id)  # what xl_kpi wrote, from HR's record, not from the workbook
        mode = record.mode if record else str(data.meta.get("meta_mode") or "")
        if mode not in MODES:
            return out + [Problem("mode_unknown", "无法确定此工作簿的公式方式(隐藏的_xl_kpi表被改动?), 无法核对公式 / "
                                  "cannot tell how this workbook was generated, so its formulas cannot be checked",
                                  **where)]
        expected, per_part = self.formulas(e.role, mode)
        if record and record.formulas != self.generators[mode].fingerprint(e.role):
            return out + [Problem("plan_changed", "方案在生成此工作簿后已修改, 公式与现行方案不同; 请重新生成(xl-kpi generate, "
                                  "已填写的值会保留) / the plan changed since this workbook was generated: generate "
                                  "it again (typed values are kept)", **where)]
        if data.as_written and mode == self.owner.mode or untouched(sheet_bytes(data.path, per_part), per_part):
            # as generated (the whole file, or its formulas), nothing computed yet: the common case
            return out
        found = workbook_formulas(data.path)
        changed = [k for k, f in expected.items() if not found.same(k, f)]
        for sheet, cell in changed[:MAX_LISTED]:
            now = found.cells.get((sheet, cell))
            shown = f"“={now.formula}”" if now else "一个值(公式被覆盖) / a value"
            out.append(Problem("formula_changed", f"公式被改动：生成时为“={expected[(sheet, cell)]}”，现为{shown}"
                               f"{f'（共{len(changed)}处）' if len(changed) > 1 else ''} / the formula was changed",
                               sheet=sheet, cell=cell, **where))
        return out + self._shown(s, found)

    def _shown(self, s: Scored, found: WorkbookFormulas) -> list[Problem]:
        """The results the person's spreadsheet computed and showed, against the rule engine's:
        the number a person saw must be the number paid."""
        card, data = s.card, s.data
        checks = [(f"score_{mid}", m.name, m.points) for mid, m in card.metrics.items() if m.points is not None]
        if card.score is not None:
            checks += [("total_score", "总分", card.score), ("grade", "等级", card.grade)]
        if card.pay is not None:
            checks.append(("total_pay", "应发合计", card.pay.total))
        out = []
        for name, label, want in checks:
            ref = data.names.get(name)
            cell = found.cells.get((ref.sheet, ref.cell)) if ref else None
            shown = shown_value(cell)
            if shown is not None and not same_as_shown(shown, want):
                out.append(Problem("cached_mismatch", f"{label}：表内显示 {display(shown)}，系统计算 {display(want)} / "
                                   f"{name}: the sheet shows {display(shown)}, xl_kpi computes {display(want)}",
                                   file=str(data.path), employee=s.employee.id, sheet=ref.sheet, cell=ref.cell))
        return out


MAX_LISTED = 5  # changed cells listed one by one per workbook; the count says how many in all


def shown_value(cell: FormulaCell | None) -> float | str | None:
    """What a formula cell showed when its spreadsheet last saved it: a number, a text, or None
    when there is nothing to compare (never computed, blank, or an error such as #NAME? where
    the add-in is missing)."""
    if cell is None or cell.cached in (None, "") or cell.kind == "e":
        return None
    if cell.kind in ("str", "inlineStr", "s"):
        return cell.cached
    try:
        return float(cell.cached)
    except ValueError:
        return None


def same_as_shown(shown: float | str, want) -> bool:
    """Equal as a person reads the cell: numbers to the two decimals the sheet displays."""
    if isinstance(shown, str) or isinstance(want, str):
        return str(shown) == str(want)
    return round_half_up(shown, 2) == round_half_up(want, 2)


def display(x) -> str:
    return x if isinstance(x, str) else f"{round_half_up(x, 2):,}"


# --------------------------------------------------------------------------- the roll-up


def rollup(ws: Workspace, plan: Plan, roster: list[Employee], month: str, progress=None,
           accept_problems: bool = False, jobs: int = 1) -> Rollup:
    """Every workbook of the month read, checked and scored (on ``jobs`` worker processes), then the
    department-wide steps: rank bonuses, team pools, award limits, grades, quotas."""
    from . import parallel

    result = Rollup(month, plan, accept_problems=accept_problems)
    by_emp = _files(ws, month, {e.id for e in roster}, result)
    parts = parallel.chunks([(e, by_emp.pop(e.id, [])) for e in roster], jobs)
    people = {e.id: e for e in roster}
    for entries, problems in parallel.run(_rollup_part, parts, jobs, progress, parallel.employees,
                                          (ws, plan, month, roster)):
        result.entries += [held(s, people) for s in entries]
        result.problems += problems
    scored = {s.employee.id: s for s in result.entries if s.card is not None}
    _apply_cohort_bonuses(plan, month, result, scored, ws)
    _check_award_limits(ws, plan, month, result)
    _after_close(ws, month, result)
    result.corrections = open_store(ws.root).corrections(month)
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
            "duplicate_workbook", f"{e.name}有{len(found)}个工作簿: {files} / {len(found)} workbooks for {e.id}",
            file=str(ws.month_dir(month)), employee=e.id)])
    if not readable:  # the file-level problem moves to the employee, so the pay line is marked too
        own = [p for p in problems if p.type == "workbook_unreadable" and p.employee == e.id]
        problems[:] = [p for p in problems if p not in own]
        return Scored(e, None, None, None, own)
    s = score_data(readable[0], plan, e, month, owner=checker.owner)
    s.problems += checker.check(s)
    return s.pack()  # 100,000 read workbooks would not fit in memory; the inputs are kept, compressed


def _after_close(ws: Workspace, month: str, result: Rollup) -> None:
    """A closed month's workbook that changed since the close: a problem on its employee's line."""
    from .closing import changed_since_close

    people = {s.employee.id: s for s in result.entries}
    for p in changed_since_close(ws, month, set(people)):
        (people[p.employee].problems if p.employee else result.problems).append(p)


def _check_award_limits(ws: Workspace, plan: Plan, month: str, result: Rollup) -> None:
    """最佳网红 每月评1项 and the like, across the department: a problem on everyone involved."""
    if not any(a.per_month or a.per_year or a.requires for a in plan.adjustments):
        return
    counts: dict[str, dict[str, float]] = {}
    for s in result.entries:
        _tally(counts, s.employee.id, [(a.item, a.count) for a in (s.card.adjustments if s.card else [])])
    earlier: dict[str, dict[str, float]] = {}
    store = open_store(ws.root)
    for m in range(1, int(month[5:])):  # HR's records of the year's earlier months
        for emp, rows in store.adjustments(f"{month[:4]}-{m:02d}").items():
            _tally(earlier, emp, [(item, count) for item, count, *_ in rows])
    names = {s.employee.id: s.employee.name for s in result.entries}
    people = {s.employee.id: s for s in result.entries}
    for p in award_problems(plan, month, counts, earlier, names):
        people[p.employee].problems.append(p)


def _tally(counts: dict[str, dict[str, float]], employee: str, items: list[tuple[str, float | None]]) -> None:
    """Add (item, count) rows to an employee's counts; a row without a count is one."""
    mine = counts.setdefault(employee, {})
    for item, count in items:
        mine[item] = mine.get(item, 0) + (count if count is not None else 1)


def _apply_cohort_bonuses(plan: Plan, month: str, result: Rollup, scored: dict[str, Scored],
                          ws: Workspace | None = None) -> None:
    """Rank each bonus's cohort by its metric, add the month's team-pool shares, and score those
    employees again with them (before grading)."""
    extra: dict[str, list[AdjustmentResult]] = defaultdict(list)
    if ws is not None:
        from .pools import pool_shares

        shares_of, problems = pool_shares(ws, plan, [s.employee for s in result.entries], [month], "month")
        result.problems += problems
        for emp, shares in shares_of.items():
            extra[emp] += [AdjustmentResult(pool.id, pool.name, None, pts, f"{pool.name}：团队分配{pts:+g}分")
                           for pool, pts in shares]
    for b in plan.cohort_bonuses:
        metric = plan.roles[b.role].metric(b.metric)
        values = [(eid, s.card.metrics[b.metric].actual) for eid, s in scored.items()
                  if s.employee.role == b.role and s.card.metrics[b.metric].actual is not None]
        ranking = rank_bonuses(values, b.rule, b.ties, metric.direction == "lower")
        result.bonuses[b.id] = ranking
        for r in ranking:
            if r.points:
                extra[r.employee].append(AdjustmentResult(b.id, b.name, r.rank, r.points, explain_rank(r, b.name)))
    for s in result.entries:
        if s.employee.id in extra and s.card is not None and s.card.score is not None:
            card = score(plan, s.employee.role, s.raw, int(month[5:]), *s.bases, extra[s.employee.id])
            card.sheet_score = s.card.score
            s.card = card


def rankings(result: Rollup) -> dict[str, list[tuple[str, float, int, int]]]:
    """Employees ranked within each role by grade first, then by final score: a veto's lowest grade
    ranks below every better grade whatever the score (ties share a rank within a grade)."""
    order = {g.name: i for i, g in enumerate(sorted(result.plan.grades, key=lambda g: -g.min))}  # best first
    out = {}
    graded: dict[str, list[tuple[str, float, str]]] = defaultdict(list)  # role → (employee, score, grade)
    for s in result.entries:
        card = s.card
        if card and card.score is not None:
            graded[s.employee.role].append((s.employee.id, card.score, card.grade))
    for role in result.plan.roles:
        cards = graded.get(role, [])
        ranked, done = [], 0
        for grade in sorted({g for _, _, g in cards}, key=lambda g: order.get(g, len(order))):
            block = rank_values([(e, score) for e, score, g in cards if g == grade])
            ranked += [(e, v, rank + done, tied) for e, v, rank, tied in block]
            done += len(block)
        out[role] = ranked
    return out


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
        yield record


# --------------------------------------------------------------------------- the summary workbook


def write_summary(result: Rollup, path: Path, locked: bool = False) -> Path:
    """The payroll summary, streamed row by row (memory does not grow with the roster); ``locked`` (a
    closed month): every sheet protected."""
    wb = Workbook(write_only=True)
    quick_styles(wb)
    words = {"department": result.plan.department, "month_zh": month_zh(result.month)}
    sheets = [(SUMMARY, _pay_sheet), ("等级分布", _grade_sheet), ("排名", _rank_sheet)]
    if result.all_problems:  # printed only when there is something to fix
        sheets.append(("问题", _problem_sheet))
    if result.corrections:
        sheets.append(("补发扣回", _correction_sheet))
    written = []
    for title, write in sheets:
        sheet = RowWriter(wb.create_sheet(title))
        print_a4(sheet, footer=phrase("footer"))
        sheet.protection.sheet = locked
        write(sheet, result, words)
        sheet.flush()
        written.append(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, saved(wb, written))  # the same month, the same bytes
    return path


MONEY_COLUMNS = ["责任底薪", "绩效工资", "业绩提成", "奖励", "扣款", "应发合计"]
WIDTHS = {"工号": 9, "姓名": 9, "部门": 10, "岗位": 16, "表内总分": 10, "名次奖励": 10, "绩效得分": 10, "等级": 8,
          "绩效系数": 9, "问题": 36} | {name: 15 for name in MONEY_COLUMNS}  # money up to 9,999,999.99, no ###


def pay_header(plan: Plan) -> list[str]:
    """The columns of 工资汇总; with rank bonuses, the sheet's own total and the bonus come first."""
    ranked = ["表内总分", "名次奖励"] if plan.cohort_bonuses else []
    return ["工号", "姓名", "部门", "岗位", *ranked, "绩效得分", "等级", "绩效系数", *MONEY_COLUMNS, "问题"]


class Columns:
    """Column letters of a header, by name."""

    def __init__(self, header: list[str]):
        self.header = header
        self.index = {name: i for i, name in enumerate(header, start=1)}

    def __getitem__(self, name: str) -> str:
        return get_column_letter(self.index[name])


def _pay_sheet(ws: RowWriter, result: Rollup, words: dict) -> None:
    plan = result.plan
    cols = Columns(pay_header(plan))
    width = len(cols.header)
    for name in cols.header:
        ws.column_dimensions[cols[name]].width = WIDTHS[name]
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    put(ws, 1, 1, phrase("payroll_title", **words))
    ws["A1"].font = TITLE
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"].alignment = Alignment(horizontal="center")
    head(ws, 2, cols.header)
    ws.box(2, 1, None, width)
    by_dept: dict[str, list[Scored]] = defaultdict(list)
    for s in result.entries:
        if not result.held(s):
            by_dept[s.employee.department or plan.department].append(s)
    money = [cols[name] for name in MONEY_COLUMNS]
    row = 3

    def sums(label: str, first: int) -> None:
        put(ws, row, 1, label).font = BOLD
        for col in money:
            ws[f"{col}{row}"] = f"=SUBTOTAL(9,{col}{first}:{col}{row - 1})"
            ws[f"{col}{row}"].font = BOLD
        _money_row(ws, row, cols)

    for dept, entries in by_dept.items():
        first = row
        for s in entries:
            _pay_row(ws, row, s, plan, cols)
            row += 1
            ws.flush(row)
        sums(f"{dept} 小计", first)
        row += 1
    sums("合计", 3)
    ws.end_box(row)
    after = _held_section(ws, row + 2, result, width)
    signature_block(ws, after + 1, phrase("signatures"), phrase("signature_date"))


def _money_row(ws: RowWriter, row: int, cols: "Columns") -> None:
    for name in MONEY_COLUMNS:
        ws[f"{cols[name]}{row}"].number_format = MONEY
    ws[f"{cols['等级']}{row}"].alignment = CENTER


def _held_section(ws: RowWriter, row: int, result: Rollup, width: int) -> int:
    """待核: people whose problems hold their pay line; outside every total until fixed or accepted.
    Returns the first row after it."""
    held = [s for s in result.entries if result.held(s)]
    if not held:
        return row
    put(ws, row, 1, phrase("held_title", count=len(held))).font = BOLD
    head(ws, row + 1, ["工号", "姓名", "部门", "岗位", "绩效得分", "等级", "问题数", "问题（详见「问题」表）"])
    ws.box(row + 1, 1, row + 1 + len(held), width)
    for i, s in enumerate(held, start=row + 2):
        e, card = s.employee, s.card
        for col, value in enumerate((e.id, e.name, e.department, result.plan.roles[e.role].name,
                                     card.score if card else None, card.grade if card else None, len(s.problems),
                                     zh(s.problems[0].message)), start=1):
            put(ws, i, col, value).fill = BAD_FILL
        ws.merge_cells(start_row=i, start_column=8, end_row=i, end_column=width)
        ws.flush(i + 1)
    return row + 2 + len(held)


def _pay_row(ws: RowWriter, row: int, s: Scored, plan: Plan, cols: Columns) -> None:
    e, card = s.employee, s.card

    def cell(name: str, value):
        return put(ws, row, cols.index[name], value)

    for name, value in (("工号", e.id), ("姓名", e.name), ("部门", e.department), ("岗位", plan.roles[e.role].name)):
        cell(name, value)
    if card is not None and card.score is not None:
        pay = card.pay
        if "名次奖励" in cols.index:
            ranked = {b.id for b in plan.cohort_bonuses}
            sheet = card.sheet_score if card.sheet_score is not None else card.score
            cell("表内总分", sheet).number_format = "0.00"
            cell("名次奖励", sum(a.points for a in card.adjustments if a.item in ranked)).number_format = "0.00"
        cell("绩效得分", card.score).number_format = "0.00"
        cell("等级", card.grade)
        cell("绩效系数", card.coefficient)
        for name, value in zip(MONEY_COLUMNS, (pay.base_salary, pay.performance_pay, pay.commission, pay.awards,
                                               pay.deductions)):
            cell(name, float(value))
        # the total is a formula, so HR can audit it; the parts are the rule engine's values
        b, p, c, a, d = (f"{cols[name]}{row}" for name in MONEY_COLUMNS[:5])
        ws[f"{cols['应发合计']}{row}"] = f"=ROUND({b}+{p}+{c}+{a}-{d},2)"
    _money_row(ws, row, cols)
    if s.problems:
        cell("问题", phrase("problem_note", count=len(s.problems), first=zh(s.problems[0].message)[:60]))
        for col in range(1, len(cols.header) + 1):
            ws.cell(row, col).fill = BAD_FILL


def _grade_sheet(ws, result: Rollup, words: dict) -> None:
    plan = result.plan
    grades = [g.name for g in plan.grades]
    put(ws, 1, 1, phrase("grades_title", **words))
    ws["A1"].font = TITLE
    head(ws, 2, ["部门"] + grades + ["合计"])
    counts: dict[str, Counter] = defaultdict(Counter)
    for s in result.entries:
        if s.card and s.card.score is not None:
            counts[s.employee.department or plan.department][s.card.grade] += 1
    row = 3
    for dept, c in counts.items():
        put(ws, row, 1, dept)
        for i, g in enumerate(grades, start=2):
            put(ws, row, i, c[g])
        ws.cell(row, len(grades) + 2, sum(c.values()))
        row += 1
    put(ws, row, 1, "合计").font = BOLD
    for i in range(2, len(grades) + 3):
        col = ws.cell(row, i).column_letter
        ws.cell(row, i, f"=SUM({col}3:{col}{row - 1})").font = BOLD
    total_row = row
    chart = BarChart()
    chart.title, chart.y_axis.title = "等级分布", "人数"
    chart.add_data(Reference(ws, min_col=2, max_col=len(grades) + 1, min_row=total_row), from_rows=True, titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=2, max_col=len(grades) + 1, min_row=2))
    chart.legend = None
    chart.width, chart.height = 14, 7
    ws.add_chart(chart, f"A{total_row + 3}")
    row = total_row + 20
    head(ws, row, ["强制分布", "上限%", "允许人数", "实际人数", "是否超出", "处于边缘的员工（按得分从低到高）"])
    names = {s.employee.id: s.employee.name for s in result.entries}
    for q in result.quotas:
        row += 1
        put(ws, row, 1, q.grade)
        put(ws, row, 2, q.quota)
        put(ws, row, 3, q.allowed)
        put(ws, row, 4, q.count)
        put(ws, row, 5, "超出" if q.over else "未超出")
        put(ws, row, 6, "、".join(f"{names[e]}（{e}）" for e in q.margin))
        if q.over:
            for col in range(1, 7):
                ws.cell(row, col).fill = BAD_FILL
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["F"].width = 50


def _rank_sheet(ws: RowWriter, result: Rollup, words: dict) -> None:
    plan = result.plan
    for col, width in zip("ABCDEFG", (16, 10, 9, 9, 9, 9, 40)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    put(ws, 1, 1, phrase("ranking_title", **words)).font = TITLE
    head(ws, 2, ["岗位", "名次", "工号", "姓名", "等级", "得分", "名次奖励"])
    ws.box(2, 1, None, 7)
    grades = {s.employee.id: s.card.grade for s in result.entries if s.card}
    names = {s.employee.id: s.employee.name for s in result.entries}
    bonus_text: dict[str, list[str]] = defaultdict(list)
    for b in plan.cohort_bonuses:
        for r in result.bonuses.get(b.id, []):
            bonus_text[r.employee].append(explain_rank(r, b.name))
    row = 3
    for role, ranked in rankings(result).items():
        for emp, value, rank, tied in ranked:
            put(ws, row, 1, plan.roles[role].name)
            put(ws, row, 2, f"{rank}" + ("（并列）" if tied > 1 else ""))
            put(ws, row, 3, emp)
            put(ws, row, 4, names[emp])
            put(ws, row, 5, grades[emp])
            put(ws, row, 6, value).number_format = "0.00"
            put(ws, row, 7, "；".join(bonus_text.get(emp, [])))
            row += 1
            ws.flush(row)
    ws.end_box(row - 1)


def _problem_sheet(ws: RowWriter, result: Rollup, words: dict) -> None:
    for col, width in zip("ABCDEF", (9, 9, 24, 10, 8, 70)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "1:2"
    put(ws, 1, 1, phrase("problems_title", **words)).font = TITLE
    head(ws, 2, ["工号", "姓名", "文件", "工作表", "单元格", "问题"])
    names = {s.employee.id: s.employee.name for s in result.entries}
    problems = result.all_problems
    ws.box(2, 1, len(problems) + 2, 6)
    for row, p in enumerate(problems, start=3):
        put(ws, row, 1, p.employee)
        put(ws, row, 2, names.get(p.employee or "", ""))
        put(ws, row, 3, Path(p.file).name if p.file else "")
        put(ws, row, 4, p.sheet)
        put(ws, row, 5, p.cell)
        put(ws, row, 6, zh(p.message)).alignment = WRAP
        ws.flush(row + 1)


def _correction_sheet(ws, result: Rollup, words: dict) -> None:
    """补发/扣回: the pay differences of last months' accepted appeals, paid or taken back with this payroll."""
    put(ws, 1, 1, phrase("corrections_title", **words)).font = TITLE
    head(ws, 2, ["申诉编号", "更正月份", "工号", "姓名", "类别", "金额"])
    names = {s.employee.id: s.employee.name for s in result.entries}
    row = 2
    for row, (appeal, month, employee, amount) in enumerate(result.corrections, start=3):
        for col, value in enumerate((appeal, month_zh(month), employee, names.get(employee, ""),
                                     "补发" if Decimal(amount) >= 0 else "扣回", float(amount)), start=1):
            put(ws, row, col, value)
        ws.cell(row, 6).number_format = MONEY
    put(ws, row + 1, 5, "合计").font = BOLD
    ws.cell(row + 1, 6, f"=SUM(F3:F{row})").number_format = MONEY
    ws.box(2, 1, row + 1, 6)
    signature_block(ws, row + 3, phrase("signatures"), phrase("signature_date"), spacing=2)
    for col, width in zip("ABCDEF", (10, 12, 9, 9, 8, 15)):
        ws.column_dimensions[col].width = width


# --------------------------------------------------------------------------- for the ribbon


@dataclass
class RollupResult:
    path: Path | None
    message: str


def rollup_month(ws: Workspace, month: str) -> RollupResult:
    plan = ws.plan()
    result = rollup(ws, plan, ws.roster(plan), month)
    problems = result.all_problems
    held = sum(result.held(s) for s in result.entries)
    counts = f"{len(result.entries)} 人, {len(problems)} 个问题, {held} 人待核 / employees, problem(s), held"
    if open_store(ws.root).closed(month) is not None:  # the closed payroll stands; changes show as problems
        return RollupResult(None, f"{month}已结账, 工资汇总未改写 / {month} is closed: the summary is kept\n{counts}")
    path = write_summary(result, summary_path(ws, month))
    return RollupResult(path, f"已生成工资汇总 / payroll summary written: {path}\n{counts}")
