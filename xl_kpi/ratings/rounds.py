"""``xl-kpi ratings``: a round's rating forms, one per rater, built from the plan and the roster, each with a
hidden identity kept in HR's record. A round is a month (the rated items of its workbooks) or a period
(the review's 期间评分)."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..core.raters import PERIOD_ITEM, Form, due_date, forms_of
from ..core.review import period_months
from ..core.rules import RATER_NAMES
from ..month.closed import refuse_if_closed
from ..store import open_store
from ..system.files import atomic_write
from ..workbook.rating_form import FormRow, FormSpec, form_bytes, words
from ..workbook.texts import date_zh, month_zh, period_zh
from ..workspace import Workspace
from ..workspace.folder import inside
from ..workspace.roster import Employee
from .groups import refresh_groups

FORMS_DIR = "评分表"
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass
class RoundReport:
    round: str
    written: list[Path] = field(default_factory=list)
    rated: int = 0  # (person, item, group) rows in all
    problems: list[Problem] = field(default_factory=list)  # what cannot be asked (no 上级, unknown 工号)

    def summary(self) -> str:
        return (f"{self.round}：评分表{len(self.written)}份，共{self.rated}项评分 / {len(self.written)} form(s), "
                f"{self.rated} rating(s) asked")


def is_month(round_key: str) -> bool:
    return bool(MONTH.fullmatch(round_key))


def round_zh(round_key: str) -> str:
    return month_zh(round_key) if is_month(round_key) else period_zh(round_key)


def check_round(round_key: str) -> str:
    """The round's key as given (2026-10, 2026-Q4, 2026-H2, 2026), or a KpiError saying how to write it."""
    if is_month(round_key):
        return round_key
    try:
        period_months(round_key)
    except ValueError as exc:
        raise KpiError([Problem("round_invalid", f"评分轮次应为月份（2026-10）或期间（2026-Q4、2026-H2、2026） / a round is a "
                                f"month or a period: {exc}")]) from None
    return round_key.upper()


def round_items(plan: Plan, roster: list[Employee], round_key: str) -> list[tuple[Employee, str, list[str]]]:
    """(person, item, rater groups) the round asks for: each rated item counted this month, or the period's
    overall rating with the plan's rater weights."""
    if not is_month(round_key):
        return [(e, PERIOD_ITEM, list(plan.rater_weights)) for e in roster]
    month_no = int(round_key[5:])
    return [(e, m.id, list(m.rule.weights)) for e in roster for m in plan.roles[e.role].metrics
            if m.source == "rating" and m.applies_in(month_no)]


def plan_problems(plan: Plan, roster: list[Employee]) -> list[Problem]:
    """Raters the plan names who are not on the roster."""
    ids = {e.id for e in roster}
    named = [("committee", m) for m in plan.ratings.committee]
    named += [("cross", r) for r in plan.ratings.cross] + [("cross", e) for rated in plan.ratings.cross.values()
                                                          for e in rated]
    return [Problem("rater_unknown", f"方案 ratings.{where} 中的工号{emp}不在花名册上，未计入评分 / ratings.{where} names "
                    f"{emp}, who is not on the roster", employee=emp) for where, emp in named if emp not in ids]


def form_path(ws: Workspace, round_key: str, rater_key: str, name: str) -> Path:
    stem = re.sub(r"[^\w@.\-]+", "_", f"{rater_key}-{name}" if name != rater_key else rater_key)
    return inside(ws.root, "workbooks", FORMS_DIR, round_key, f"{stem}.xlsx")


def build_round(ws: Workspace, plan: Plan, roster: list[Employee], round_key: str, progress=None) -> RoundReport:
    """Every rater's form of the round written under workbooks/评分表/<round>/ and kept in HR's record; a
    form built again keeps its identity, so a copy a rater is already filling still counts."""
    round_key = check_round(round_key)
    if is_month(round_key):
        refuse_if_closed(ws, round_key, "发评分表")
    report = RoundReport(round_key, problems=plan_problems(plan, roster))
    forms, unasked = forms_of(round_items(plan, roster, round_key), plan.ratings, roster)
    people = {e.id: e for e in roster}
    report.problems += [Problem("rater_missing", f"{people[e].name}的{item_name(plan, people[e], item, round_key)}"
                                f"没有{RATER_NAMES[g]}的评分人（{_why(g)}） / no {g} rater", employee=e)
                        for e, item, g in unasked]
    store = open_store(ws.root)
    known = store.forms(round_key)
    password = store.protect_password()
    due = date_zh(due_date(round_key, plan.ratings.due_day))
    kept = []
    if progress:
        progress(0, total=len(forms))
    for form in forms:
        token = known[form.rater.key].token if form.rater.key in known else secrets.token_urlsafe(18)
        path = form_path(ws, round_key, form.rater.key, form.rater.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, form_bytes(_spec(plan, people, form, round_key, due, token), password))
        kept.append((form.rater.key, form.rater.name, form.rater.email, token, form.rows,
                     path.relative_to(ws.root).as_posix()))
        report.written.append(path)
        report.rated += len(form.rows)
        if progress:
            progress(1)
    with store.transaction():
        store.record_forms(round_key, kept)
        store.append_audit("ratings", [(round_key, rater, "评分表", "", f"{len(rows)}项：{Path(file).name}", token[:8])
                                       for rater, _, _, token, rows, file in kept])
    return report


def _spec(plan: Plan, people: dict, form: Form, round_key: str, due: str, token: str) -> FormSpec:
    rows = []
    for emp, item, group in form.rows:
        e = people[emp]
        rows.append(FormRow(emp, e.name, plan.roles[e.role].name, item, item_name(plan, e, item, round_key), group,
                            RATER_NAMES[group], item_scale(plan, e, item)))
    return FormSpec(plan.department, round_key, round_zh(round_key), form.rater.key, form.rater.name, due, token, rows,
                    list(plan.ratings.anchors))


def item_scale(plan: Plan, e: Employee | None, item: str) -> float:
    """The top score a rater gives for an item: the metric's rating scale, 100 for a period's overall rating."""
    return 100 if item == PERIOD_ITEM or e is None else plan.roles[e.role].metric(item).rule.scale


def item_name(plan: Plan, e: Employee, item: str, round_key: str) -> str:
    if item == PERIOD_ITEM:
        return words("period_item", period_zh=period_zh(round_key))
    return plan.roles[e.role].metric(item).name


def _why(group: str) -> str:
    return {"supervisor": "花名册没有上级邮箱，或上级是本人", "committee": "方案 ratings.committee 没有其他成员",
            "cross": "方案 ratings.cross 没有人评他", "self": ""}.get(group, "")


def excuse(ws: Workspace, plan: Plan, roster: list[Employee], round_key: str, rater: str, reason: str) -> str:
    """Take a rater out of the round (on leave, left): their group's score is then the mean of the others'.
    Recorded in the audit trail with the reason; the rater's name."""
    key = check_round(round_key)
    store = open_store(ws.root)
    form = store.forms(key).get(rater)
    if form is None:
        raise KpiError([Problem("rater_unknown", f"{key}没有{rater}的评分表 / no form of {rater} in {key}")])
    with store.transaction():
        store.set_form_status(key, rater, "excused")
        store.append_audit("ratings --excuse", [(key, rater, "评分表", form.status, f"免评：{reason}", "")])
    if is_month(key):
        refresh_groups(ws, plan, roster, key, {row[0] for row in form.rows})
    return form.name
