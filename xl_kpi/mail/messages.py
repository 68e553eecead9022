"""``xl-kpi send``: every message of the month, built (sending is ``smtp``).

Each employee gets their own scorecard (values only, optionally
password-protected), each manager their team's summary, HR the payroll summary.
Settings come from ``mail.yaml`` in the workspace and the environment; the SMTP
password only from the environment or a keyring, never from a file. A send log
in the month's folder makes a second run send only what has not gone out.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ..core.dates import working_days_after
from ..core.errors import KpiError, Problem
from ..month.closed import summary_changed
from ..month.guard import read_anchor
from ..month.record import TEAM_PREFIXES, plan_applies
from ..month.scored import Scored
from ..payroll.rollup import rollup
from ..payroll.summary import summary_path, write_summary
from ..period.gather import covered, month_records, report_of, team_scope
from ..period.report import report_bytes
from ..store import open_store
from ..system import parallel
from ..workbook import texts
from ..workspace import Workspace
from ..workspace.months import month_workbooks
from ..workspace.roster import EMAIL, Employee
from .attachments import improvement_form, scorecard_copy, team_summary
from .config import MailConfig

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass
class Outgoing:
    key: str  # what the send log remembers: kind and recipient
    kind: str  # employee, password, manager, hr
    to: list[str]
    message: EmailMessage


@dataclass
class Mailing:
    messages: list[Outgoing] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        by = {}
        for m in self.messages:
            by.setdefault(m.kind, []).append(m)
        names = {"employee": "员工成绩单", "password": "附件密码", "manager": "上级团队汇总", "hr": "人力资源部工资汇总",
                 "appeal": "申诉结果", "form": "评分表", "remind": "评分表提醒"}
        lines = [f"{names[k]}: {len(v)} 封 → " + ", ".join(", ".join(m.to) for m in v[:5]) + (" …" if len(v) > 5 else "")
                 for k, v in by.items()]
        lines.append(f"共 {len(self.messages)} 封 / {len(self.messages)} mail(s) in all"
                     + (f"；跳过 {len(self.skipped)} 项 / {len(self.skipped)} skipped" if self.skipped else ""))
        return "\n".join(self.notes + lines)


def _clean_header(value: str, what: str) -> str:
    if any(ch in value for ch in "\r\n\0"):
        raise ValueError(f"{what}含有换行符，已拒绝（邮件头注入） / {what} contains a line break: refused "
                         "(header injection)")
    return value


def _address(name: str, email: str) -> Address:
    _clean_header(name, "姓名 / name")
    _clean_header(email, "邮箱 / address")
    if not EMAIL.match(email):
        raise ValueError(f"邮箱格式不正确：“{email}” / malformed address")
    local, _, domain = email.partition("@")
    return Address(display_name=name, username=local, domain=domain)


def _message(config: MailConfig, to: list[Address], subject: str, text: str, html: str | None,
             attachments: list[tuple[str, bytes]]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = _clean_header(subject.strip(), "主题 / subject")
    msg["From"] = _address(config.sender.name, config.sender.address)
    msg["To"] = to
    msg["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = make_msgid(domain=config.sender.address.partition("@")[2])
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, data in attachments:
        msg.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=filename)
    return msg


def id_password(id_number: str | None, digits: int) -> str | None:
    """The attachment password of ``id_number`` mode: the last ``digits`` characters of the 身份证号 (a check
    character X included), or None when the roster holds no such number."""
    text = id_number or ""
    return text[-digits:] if len(re.sub(r"\D", "", text)) >= digits else None


def encrypt(data: bytes, password: str) -> bytes:
    """An xlsx that Excel, WPS and LibreOffice open only with the password (msoffcrypto-tool)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def build(ws: Workspace, month: str, config: MailConfig, today: dt.date | None = None,
          password_source=secrets.token_urlsafe, jobs: int = 1, progress=None) -> Mailing:
    """Every message of the month, or a KpiError when the month has not been rolled up. The employees'
    attachments (a workbook each, encrypted) are built on ``jobs`` worker processes."""
    if not summary_path(ws, month).exists():
        raise KpiError([Problem("not_rolled_up", f"{month}尚未汇总，不发送；请先运行 xl-kpi rollup --month {month} / "
                                f"{month} has not been rolled up: nothing is sent", file=str(summary_path(ws, month)))])
    edited = summary_changed(ws, month)
    if edited is not None:  # never mail a closed month's summary that is not the one written at the close
        raise KpiError([edited])
    kpi_plan = ws.plan()
    roster = ws.roster(kpi_plan)
    result = rollup(ws, kpi_plan, roster, month)
    store = open_store(ws.root)
    out = Mailing()
    if _stale(ws, month) and store.closed(month) is None:  # a workbook changed after the roll-up: HR gets it as it is now
        write_summary(result, summary_path(ws, month))
        out.notes.append("有工作簿晚于工资汇总，已按现有工作簿重新汇总 / a workbook is newer than the payroll "
                         "summary: it was rolled up again")
    tpl = str(ws.root / "templates")
    deadline = texts.date_zh(working_days_after(today or dt.date.today(), kpi_plan.appeal.days))
    ctx = dict(plan=kpi_plan, month=month, month_zh=texts.month_zh(month), appeal_deadline=deadline,
               sender=config.sender)
    sent: list[Scored] = []  # scorecards stay packed: a team's are unpacked when its mail is built
    ready = []  # (scored month, attachment password): what a worker needs for one mail
    for s in result.entries:
        e = s.employee
        if s.card is None or s.card.score is None or s.problems:
            out.skipped.append(Problem("not_scored", f"{e.name}的考核表有问题，未发送 / has problems: not sent",
                                       employee=e.id))
            continue
        sent.append(s)
        # drawn here, once a month (a resumed send mails the one that opens the file): HR's record has one writer
        password = (store.password(month, e.id, lambda: password_source(9))
                    if config.attachments.password == "random" and e.email else None)
        ready.append((s, password))
    for part in parallel.run(_employee_part, parallel.chunks(ready, jobs), jobs, progress, parallel.employees,
                             shared=(config, month, ctx, tpl)):
        for messages, problem in part:
            out.messages += messages
            out.skipped += [problem] if problem else []
    reports = _Reports(ws, kpi_plan, roster, month)
    plans = [f for f in store.followups(open_only=True) if f["employee"].startswith(TEAM_PREFIXES)]
    for manager, members in _teams(sent).items():
        team = [(s.employee, s.card) for s in members]
        try:
            to = [_address("", manager)]
            name, report_name = f"团队汇总-{month}.xlsx", f"绩效报告-{month}-团队.xlsx"
            # 改进计划: a form for each member whose result calls for one
            weak = [(e, c) for e, c in team if kpi_plan.needs_improvement(c.score, c.grade)]
            forms = [(f"改进计划-{month}-{e.id}-{e.name}.xlsx", improvement_form(kpi_plan, e, c, month)) for e, c in weak]
            mctx = dict(ctx, team=team, attachment=name, report=report_name, improvement=[e for e, _ in weak],
                        team_plans=[f for f in plans if any(plan_applies(f, e) for e, _ in team)])
            msg = _message(config, to, texts.render("mail/manager.subject.j2", tpl, **mctx),
                           texts.render("mail/manager.txt.j2", tpl, **mctx), texts.render("mail/manager.html.j2", tpl, **mctx),
                           [(name, team_summary(kpi_plan, team, month)), (report_name, reports.team(manager))] + forms)
            out.messages.append(Outgoing(f"manager:{manager}:{month}", "manager", [manager], msg))
        except ValueError as exc:
            out.skipped.append(Problem("address_invalid", str(exc)))
    out.messages += _appeal_mails(config, ws, kpi_plan, result, month, ctx, tpl)
    total = sum(s.card.pay.total for s in sent)
    name, report_name = summary_path(ws, month).name, f"绩效报告-{month}.xlsx"
    # a closed month: the audit chain's head printed on the signed summary, kept in HR's mail too (outside the record)
    anchor = read_anchor(summary_path(ws, month)) if store.closed(month) is not None else None
    hctx = dict(ctx, count=len(sent), total=total, attachment=name, report=report_name,
                skipped=[p.employee for p in out.skipped if p.employee], anchor=anchor, password_note="")
    to = [_address("", a) for a in config.hr]  # the payroll goes to HR's configured addresses and nowhere else
    files = [(name, summary_path(ws, month).read_bytes()), (report_name, reports.everyone())]
    if config.attachments.password != "none":  # everyone's pay: locked like each person's own (HR has no 身份证号)
        password = store.password(month, HR_KEY, lambda: password_source(12))
        files = [(n, encrypt(data, password)) for n, data in files]
        hctx["password_note"] = "附件的打开密码另行发送"
        pctx = dict(ctx, employee=Employee(HR_KEY, config.sender.name, "", "", None, None, "", ""), password=password)
        out.messages.append(Outgoing(f"password:{HR_KEY}:{month}", "password", list(config.hr),
                                     _message(config, to, texts.render("mail/password.subject.j2", tpl, **pctx),
                                              texts.render("mail/password.txt.j2", tpl, **pctx), None, [])))
    msg = _message(config, to, texts.render("mail/hr.subject.j2", tpl, **hctx), texts.render("mail/hr.txt.j2", tpl, **hctx),
                   texts.render("mail/hr.html.j2", tpl, **hctx), files)
    out.messages.append(Outgoing(f"hr:{month}", "hr", list(config.hr), msg))
    return out


HR_KEY = "HR"  # whose attachment password HR's own mail uses (kept in the record like an employee's)


def _stale(ws: Workspace, month: str) -> bool:
    """Whether any workbook of the month was saved after its payroll summary."""
    done = summary_path(ws, month).stat().st_mtime
    return any(p.stat().st_mtime > done for p in month_workbooks(ws.month_dir(month)))


def _appeal_mails(config, ws: Workspace, plan, result, month: str, ctx: dict, tpl: str) -> list[Outgoing]:
    """Each decided appeal of the month to its employee: the decision, and when accepted the result as it
    stands now (a values-only copy) with the 补发/扣回 of a closed month."""
    store = open_store(ws.root)
    people = {s.employee.id: s for s in result.entries}
    corrections = {number: Decimal(amount) for number, corrected, _, amount in store.corrections(months_after(month))
                   if corrected == month}
    out = []
    for a in store.appeals(month):
        s = people.get(a["employee"])
        if a["status"] == "open" or s is None or not s.employee.email:
            continue
        e, card = s.employee, s.card
        actx = dict(ctx, employee=e, appeal=a, card=card, correction=corrections.get(a["id"]),
                    payroll_month_zh=texts.month_zh(months_after(month)))
        files = []
        if a["status"] == "accepted" and card is not None and card.score is not None:
            files.append((f"{e.id}-{e.name}-{month}-考核结果（申诉更正）.xlsx", scorecard_copy(plan, e, card, month)))
        msg = _message(config, [_address(e.name, e.email)], texts.render("mail/appeal.subject.j2", tpl, **actx),
                       texts.render("mail/appeal.txt.j2", tpl, **actx), texts.render("mail/appeal.html.j2", tpl, **actx),
                       files)
        out.append(Outgoing(f"appeal:{a['id']}:{month}", "appeal", [e.email], msg))
    return out


def months_after(month: str) -> str:
    return texts.months_back(month, -1)


class _Reports:
    """The month's 绩效报告 for HR and each manager's team part, the months rolled up once for all."""

    def __init__(self, ws: Workspace, plan, roster: list[Employee], month: str):
        self.ws, self.plan, self.roster, self.month = ws, plan, roster, month
        self._records = None

    def _built(self, people: list[Employee], pay: bool = True, scope: str = "") -> bytes:
        if self._records is None:
            self._records = month_records(self.ws, self.plan, self.roster, self.month)
        return report_bytes(report_of(self.ws, self.plan, self.roster, *self._records, people, pay, scope))

    def everyone(self) -> bytes:
        return self._built(self.roster)

    def team(self, manager_email: str) -> bytes:
        """A manager's copy: their team only, scores and grades, no money figure."""
        return self._built(covered(self.plan, self.roster, team=manager_email), pay=False,
                           scope=team_scope(self.plan, self.roster, manager_email))


def _teams(scored: list[Scored]) -> dict[str, list[Scored]]:
    teams: dict[str, list] = {}
    for s in scored:
        e = s.employee
        if e.manager_email and EMAIL.match(e.manager_email):
            teams.setdefault(e.manager_email, []).append(s)
    return teams


def _employee_part(args, part: list[tuple]) -> list[tuple[list[Outgoing], Problem | None]]:
    """One worker's share of the employees' mails: each one's messages, or why it cannot be sent."""
    config, month, ctx, tpl = args
    out = []
    for s, password in part:
        e = s.employee
        try:
            out.append((_employee_mail(config, e, s.card, month, ctx, tpl, lambda p=password: p,
                                       s.raw.weekly if s.raw else None), None))
        except ValueError as exc:
            out.append(([], Problem("address_invalid", str(exc), employee=e.id)))
    return out


def _employee_mail(config, e: Employee, card, month, ctx, tpl, password_of, weekly=None) -> list[Outgoing]:
    if not e.email:
        raise ValueError(f"{e.name}（{e.id}）没有邮箱，未发送 / no address: not sent")
    to = [_address(e.name, e.email)]
    name = f"{e.id}-{e.name}-{month}-考核结果.xlsx"
    data = scorecard_copy(ctx["plan"], e, card, month, weekly)
    rule, note, extra = config.attachments.password, "", []
    if rule == "id_number":
        password = id_password(e.id_number, config.attachments.id_digits)
        if password is None:
            raise ValueError(f"{e.name}（{e.id}）花名册缺少身份证号，无法加密，未发送 / no id number: not sent")
        data = encrypt(data, password)
        note = f"打开密码为身份证号后{config.attachments.id_digits}位"
    elif rule == "random":
        password = password_of()  # drawn once a month, so a resumed send mails the one that opens this file
        data = encrypt(data, password)
        note = "打开密码另行发送"
        pctx = dict(ctx, employee=e, password=password)
        extra.append(Outgoing(f"password:{e.id}:{month}", "password", [e.email],
                              _message(config, to, texts.render("mail/password.subject.j2", tpl, **pctx),
                                       texts.render("mail/password.txt.j2", tpl, **pctx), None, [])))
    ectx = dict(ctx, employee=e, card=card, attachment=name, password_note=note)
    msg = _message(config, to, texts.render("mail/employee.subject.j2", tpl, **ectx),
                   texts.render("mail/employee.txt.j2", tpl, **ectx), texts.render("mail/employee.html.j2", tpl, **ectx),
                   [(name, data)])
    return [Outgoing(f"employee:{e.id}:{month}", "employee", [e.email], msg)] + extra
