"""A rating round's mail: each rater's form (``send --ratings``) and reminders of those still missing
(``remind``), encrypted as the scorecards are, in the same send log; and the key that opens a returned form
that went out encrypted."""
from __future__ import annotations

import datetime as dt
import io
import secrets

from ..core.errors import KpiError, Problem
from ..core.raters import due_date
from ..ratings.rounds import check_round, round_zh
from ..ratings.status import form_key, missing, round_status
from ..store import open_store
from ..workbook import texts
from ..workspace import Workspace
from .config import MailConfig
from .messages import Mailing, Outgoing, _address, _message, encrypt, id_password


def build_forms(ws: Workspace, round_key: str, config: MailConfig, reminder: bool = False,
                today: dt.date | None = None, password_source=secrets.token_urlsafe) -> Mailing:
    """Every open form of the round (``reminder``: those still missing whose form went out), one mail each."""
    key = check_round(round_key)
    plan = ws.plan()
    roster = {e.id: e for e in ws.roster(plan)}
    store = open_store(ws.root)
    forms = store.forms(key)
    if not forms:
        raise KpiError([Problem("no_forms", f"{key}还没有评分表；请先运行 xl-kpi ratings --month/--period {key} / no forms "
                                f"for {key} yet: run xl-kpi ratings first")])
    today = today or dt.date.today()
    due = due_date(key, plan.ratings.due_day)
    ctx = dict(round_zh=round_zh(key), due=texts.date_zh(due), sender=config.sender, reminder=reminder,
               overdue=today > due)
    tpl = str(ws.root / "templates")
    out = Mailing()
    statuses = {s.rater: s for s in round_status(ws, key)}
    wanted = {s.rater for s in missing(statuses.values())} if reminder else set(forms)
    sent = store.sent(key)
    for rater, form in forms.items():
        if rater not in wanted or form.status != "open":
            continue
        if reminder and form_key(rater, key) not in sent:
            out.skipped.append(Problem("form_not_sent", f"{form.name}的评分表尚未发出，不提醒；请先 xl-kpi send --ratings "
                                       f"{key} / the form has not gone out yet: not reminded", employee=rater))
            continue
        try:
            out.messages += _form_mail(ws, config, store, key, form, roster, dict(ctx, note=statuses[rater].note[:80]
                                                                                 if statuses[rater].state != "missing"
                                                                                 else ""),
                                       tpl, today, password_source)
        except ValueError as exc:
            out.skipped.append(Problem("address_invalid", str(exc), employee=rater))
    return out


def _form_mail(ws: Workspace, config: MailConfig, store, key: str, form, roster: dict, ctx: dict, tpl: str,
               today: dt.date, password_source) -> list[Outgoing]:
    if not form.email:
        raise ValueError(f"{form.name}没有邮箱，评分表未发送 / no address: not sent")
    to = [_address(form.name, form.email)]
    data = (ws.root / form.file).read_bytes()
    name = f"{key}-评分表-{form.name}.xlsx"
    rule, note, extra = config.attachments.password, "", []
    person = roster.get(form.rater)
    if rule == "id_number":
        password = id_password(person.id_number if person else None, config.attachments.id_digits)
        if password is None:
            raise ValueError(f"{form.name}不在花名册上或缺少身份证号，评分表无法加密，未发送 / no id number: not sent")
        data = encrypt(data, password)
        note = f"打开密码为身份证号后{config.attachments.id_digits}位"
    elif rule == "random":
        password = store.password(key, form.rater, lambda: password_source(9))
        data = encrypt(data, password)
        note = "打开密码另行发送"
        if not ctx["reminder"]:
            pctx = dict(ctx, rater=form, password=password)
            extra.append(Outgoing(f"password:{form.rater}:{key}", "password", [form.email],
                                  _message(config, to, texts.render("mail/rating_password.subject.j2", tpl, **pctx),
                                           texts.render("mail/rating_password.txt.j2", tpl, **pctx), None, [])))
    people = _people(form, roster)
    fctx = dict(ctx, rater=form, attachment=name, password_note=note, people=people, count=len(form.rows))
    subject = "mail/rating_remind.subject.j2" if ctx["reminder"] else "mail/rating_form.subject.j2"
    msg = _message(config, to, texts.render(subject, tpl, **fctx), texts.render("mail/rating_form.txt.j2", tpl, **fctx),
                   texts.render("mail/rating_form.html.j2", tpl, **fctx), [(name, data)])
    # a reminder a day at most: the day is in its key, so a resumed run sends none twice
    mail_key = f"remind:{form.rater}:{key}:{today.isoformat()}" if ctx["reminder"] else form_key(form.rater, key)
    return [Outgoing(mail_key, "remind" if ctx["reminder"] else "form", [form.email], msg)] + extra


def _people(form, roster: dict) -> list[str]:
    """The people a form rates, as the mail lists them: 李娜（E002）, once each."""
    seen = []
    for emp, *_ in form.rows:
        e = roster.get(emp)
        label = f"{e.name}（{emp}）" if e else emp
        if label not in seen:
            seen.append(label)
    return seen


def unlocker(ws: Workspace, round_key: str, config: MailConfig):
    """What opens a returned form that went out encrypted: the password it was sent with, found by the
    sender (or, from a folder, by trying the round's raters'). None when the round sent nothing encrypted."""
    rule = config.attachments.password
    if rule == "none":
        return None
    key = check_round(round_key)
    plan = ws.plan()
    roster = {e.id: e for e in ws.roster(plan)}
    store = open_store(ws.root)
    forms = store.forms(key)

    def password_of(rater: str) -> str | None:
        if rule == "id_number":
            return id_password(roster[rater].id_number if rater in roster else None, config.attachments.id_digits)
        row = store.conn.execute("SELECT 1 FROM passwords WHERE month = ? AND employee = ?", (key, rater)).fetchone()
        return store.password(key, rater, lambda: "") if row else None

    def unlock(data: bytes, sender: str) -> bytes | None:
        raters = [r for r, f in forms.items() if sender and f.email.lower() == sender.lower()] or list(forms)
        for rater in raters:
            password = password_of(rater)
            if password and (opened := decrypt(data, password)) is not None:
                return opened
        return None

    return unlock


def decrypt(data: bytes, password: str) -> bytes | None:
    """The xlsx inside an encrypted file, or None when the password does not open it."""
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, FileFormatError, InvalidKeyError, ParseError

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=password)
        out = io.BytesIO()
        office.decrypt(out)
        return out.getvalue()
    except (DecryptionError, InvalidKeyError, FileFormatError, ParseError, ValueError, KeyError, OSError):
        return None
