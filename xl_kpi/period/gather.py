"""The figures of a 绩效报告 gathered: the months' roll-ups, whom the report covers (everyone, a role, a
manager's team, named by the manager, never an address), the weekly reports, and the month's rating forms;
the pure core (:mod:`xl_kpi.core.report`) works them into a :class:`~xl_kpi.core.report.Report`."""
from __future__ import annotations

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..core.report import Report, WeekItem, WeeklyRole, build
from ..core.report import Person as ReportPerson
from ..payroll.rollup import rollup, rollup_json
from ..ratings.status import state_counts
from ..workbook.rendered import try_read
from ..workbook.texts import months_back, phrase
from ..workspace import Workspace
from ..workspace.months import month_workbooks, workbook_path
from ..workspace.roster import Employee


def months_of(month: str, n: int) -> list[str]:
    """The n months that end with ``month``, oldest first."""
    return [months_back(month, k) for k in range(n - 1, -1, -1)]


def covered(plan: Plan, roster: list[Employee], role: str | None = None, team: str | None = None) -> list[Employee]:
    """The people a report covers: everyone, a role's people, or the team of a manager (their 工号, or
    their e-mail when the manager is not on the roster)."""
    people = roster
    if role is not None:
        if role not in plan.roles:
            raise KpiError([Problem("unknown_role", f"岗位“{role}”不在方案中（有：{'、'.join(plan.roles)}） / "
                                    f"unknown role {role}")])
        people = [e for e in people if e.role == role]
    if team is not None:
        lead = next((e for e in roster if e.id == team), None)
        mail = lead.email if lead is not None else (team if "@" in team else "")
        if not mail:
            raise KpiError([Problem("unknown_team", f"花名册中没有工号为“{team}”且有邮箱的直接上级 / no manager {team} "
                                    f"with an e-mail on the roster")])
        people = [e for e in people if e.manager_email.lower() == mail.lower()]
    return people


def _people(roster: list[Employee], people: list[Employee]) -> tuple[list[ReportPerson], dict[str, str]]:
    """Each person with the 工号 of their manager (found by e-mail), and the managers' names; a manager who is
    not on the roster is named as such, never by an address."""
    by_mail = {e.email.lower(): e for e in roster if e.email}
    outside = sorted({e.manager_email.lower() for e in people if e.manager_email and e.manager_email.lower() not in by_mail})
    out, names = [], {}
    for e in people:
        lead = by_mail.get(e.manager_email.lower())
        team = lead.id if lead else e.manager_email.lower()
        if lead:
            names[team] = f"{lead.name}（{lead.id}）"
        elif team:
            names[team] = phrase("report_outside_lead", n=outside.index(team) + 1, many=len(outside) > 1)
        out.append(ReportPerson(e.id, e.name, e.role, team))
    return out, names


def team_scope(plan: Plan, roster: list[Employee], manager: str) -> str:
    """How a team's report names its team: the manager's name and role (工号 or e-mail given)."""
    lead = next((e for e in roster if e.id == manager or e.email and e.email.lower() == manager.lower()), None)
    if lead is None:
        return phrase("report_outside_team")
    role = plan.roles[lead.role].name if lead.role in plan.roles else lead.role
    return phrase("report_team_scope", name=lead.name, role=role)


def _weekly(ws: Workspace, plan: Plan, month: str, people: list[Employee]) -> list[WeeklyRole]:
    """The month's weekly reports, each item's targets and actuals summed over a role's people, and the
    weeks' 数据分析总结."""
    out = []
    for rid, role in plan.roles.items():
        mine = [e for e in people if e.role == rid]
        if not role.weekly_report or not mine:
            continue
        weeks = role.weeks(month)
        data = [(e, try_read(workbook_path(ws, month, e))) for e in mine if workbook_path(ws, month, e).exists()]
        data = [(e, d) for e, d in data if d is not None]
        if not data:
            continue
        items = []
        for item in role.weekly_report:
            def total(kind: str, w: int):
                got = [d.values.get(f"{kind}{w}_{item.id}") for _, d in data]
                got = [v for v in got if isinstance(v, (int, float)) and not isinstance(v, bool)]
                return sum(got) if got else None

            targets = [total("weektarget", w) for w in range(1, weeks + 1)]
            actuals = [total("week", w) for w in range(1, weeks + 1)]
            for values in (targets, actuals):
                got = [v for v in values if v is not None]
                values.append(sum(got) if got else None)
            items.append(WeekItem(item.name, item.unit, targets, actuals))
        notes = [(e.name, w, str(d.values[f"weeknote{w}"]).strip()) for e, d in data for w in range(1, weeks + 1)
                 if str(d.values.get(f"weeknote{w}") or "").strip()]
        out.append(WeeklyRole(rid, role.name, weeks, items, notes))
    return out


def month_records(ws: Workspace, plan: Plan, roster: list[Employee], month: str, n: int = 6,
                  progress=None, jobs: int = 1) -> tuple[list[str], dict[str, list[dict] | None]]:
    """The n months ending with ``month`` and each one's roll-up records (None: no workbooks, a gap)."""
    if n < 1:
        raise KpiError([Problem("months", "--months 至少为1 / --months must be at least 1")])
    months = months_of(month, n)
    records: dict[str, list[dict] | None] = {}
    for m in months:
        folder = ws.month_dir(m)
        records[m] = (rollup_json(rollup(ws, plan, roster, m, jobs=jobs)) if folder.is_dir() and month_workbooks(folder)
                      else None)
        if progress:
            progress()
    if records[month] is None:
        raise KpiError([Problem("no_workbooks", f"{month}还没有工作簿，无法出报告 / no workbooks for {month}",
                                file=str(ws.month_dir(month)))])
    return months, records


def report_of(ws: Workspace, plan: Plan, roster: list[Employee], months: list[str], records: dict,
              people: list[Employee], pay: bool = True, scope: str = "") -> Report:
    """``pay``: False for a manager's copy (no money figure anywhere); ``scope``: whose team it covers."""
    persons, names = _people(roster, people)
    report = build(plan, months, records, persons, _weekly(ws, plan, months[-1], people), names, pay, scope)
    report.forms = state_counts(ws, months[-1])
    return report


def gather(ws: Workspace, plan: Plan, roster: list[Employee], month: str, n: int = 6, role: str | None = None,
           team: str | None = None, progress=None, jobs: int = 1) -> Report:
    """The report of ``month`` and the n−1 months before it, for everyone, a role or a team."""
    people = covered(plan, roster, role, team)
    months, records = month_records(ws, plan, roster, month, n, progress, jobs)
    return report_of(ws, plan, roster, months, records, people, scope=team_scope(plan, roster, team) if team else "")
