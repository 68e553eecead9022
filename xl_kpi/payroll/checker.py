"""A returned workbook checked against what xl_kpi generated and computes: rule cells, formulas (compared by
their tokens, as any spreadsheet app may rewrite them) and the results the person's spreadsheet showed."""
from __future__ import annotations

from ..core.errors import Problem
from ..core.numbers import round_half_up
from ..core.plan import Plan
from ..core.rules import parse_rule
from ..month.generator import MODES, Generator
from ..month.record import plan_meaning
from ..month.scored import Scored
from ..workbook.cells import RULE_COLUMN
from ..workbook.formulas import (
    FormulaCell,
    WorkbookFormulas,
    from_cells,
    sheet_bytes,
    template_formula_bytes,
    template_formulas,
    untouched,
    workbook_formulas,
)
from ..workspace import Workspace


class Checker:
    """Compares a workbook's formulas, rule cells and shown results with what xl_kpi generates
    and computes."""

    def __init__(self, ws: Workspace, plan: Plan, month: str, roster: list | None = None, people: set | None = None):
        self.ws, self.plan, self.month, self.roster = ws, plan, month, roster
        self.owner = Generator(ws, plan, month, roster=roster, people=people)  # HR's record: owned values, what was generated
        self.generators: dict[str, Generator] = {"native": self.owner}
        self.recorded = self.owner.store.generated(month)
        self.expected: dict[tuple[str, str], tuple[dict, dict]] = {}
        self.sets: dict[str, dict | None] = {}  # fingerprint → formulas recorded under it

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

    def reference(self, fingerprint: str) -> dict | None:
        """The formulas a workbook was generated with, as HR's record keeps them under their fingerprint (a
        workbook of an earlier release is checked against its own formulas, not today's)."""
        if fingerprint not in self.sets:
            recorded = self.owner.store.formula_set(fingerprint)
            self.sets[fingerprint] = from_cells(recorded) if recorded is not None else None
        return self.sets[fingerprint]

    def check(self, s: Scored) -> list[Problem]:
        data, e = s.data, s.employee
        where = dict(file=str(data.path), employee=e.id)
        out = self._rules(data, e, where)
        record = self.recorded.get(e.id)  # what xl_kpi wrote, from HR's record, not from the workbook
        mode = record.mode if record else str(data.meta.get("meta_mode") or "")
        if mode not in MODES:
            return out + [Problem("mode_unknown", "无法确定此工作簿的公式方式（隐藏的_xl_kpi表被改动？），无法核对公式 / "
                                  "cannot tell how this workbook was generated, so its formulas cannot be checked",
                                  **where)]
        expected, per_part = self.formulas(e.role, mode)
        if record and record.formulas != self.generators[mode].fingerprint(e.role):
            if record.plan != plan_meaning(self.plan):
                return out + [Problem("plan_changed", "方案在生成此工作簿后已修改，公式与现行方案不同；请重新生成（xl-kpi "
                                      "generate，已填写的值会保留） / the plan changed since this workbook was generated: "
                                      "generate it again (typed values are kept)", **where)]
            expected, per_part = self.reference(record.formulas), None  # the same plan, an earlier release's formulas
            if expected is None:
                return out + [Problem("formulas_unrecorded", "人力资源部的记录中没有此工作簿生成时的公式，无法核对；请运行 "
                                      "xl-kpi upgrade / the formulas this workbook was generated with are not in HR's "
                                      "record: run xl-kpi upgrade", **where)]
        if per_part is not None and (data.as_written and mode == self.owner.mode
                                     or untouched(sheet_bytes(data.path, per_part), per_part)):
            # as generated (the whole file, or its formulas), nothing computed yet: the common case
            return out
        found = workbook_formulas(data.path)
        changed = [k for k, f in expected.items() if not found.same(k, f)]
        for sheet, cell in changed[:MAX_LISTED]:
            now = found.cells.get((sheet, cell))
            shown = f"“={now.formula}”" if now else "一个值（公式被覆盖） / a value"
            out.append(Problem("formula_changed", f"公式被改动：生成时为“={expected[(sheet, cell)]}”，现为{shown}"
                               f"{f'（共{len(changed)}处）' if len(changed) > 1 else ''} / the formula was changed",
                               sheet=sheet, cell=cell, **where))
        return out + self._shown(s, found)

    def _rules(self, data, e, where: dict) -> list[Problem]:
        """Rule cells that say another rule than the plan's, compared by what they mean (an earlier release
        may have written the same rule in other words)."""
        out = []
        for m in self.plan.roles[e.role].metrics:
            text = data.rules.get(m.id)
            if text is None or text == m.rule.to_text(m.rule_unit) or _rule_of(text) == m.rule:
                continue
            ref = data.names[f"score_{m.id}"]
            out.append(Problem("rule_changed", f"{m.name}的规则被改成“{text}”，方案为“{m.rule.to_text(m.rule_unit)}” / "
                               f"the rule of {m.id} was changed", sheet=ref.sheet, cell=f"{RULE_COLUMN}{ref.row}",
                               **where))
        return out

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


def _rule_of(text):
    try:
        return parse_rule(str(text))
    except ValueError:
        return None


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
