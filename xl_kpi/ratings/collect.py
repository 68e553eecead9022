"""``xl-kpi collect``: returned rating forms and employees' own workbooks into HR's record. Every file is
kept under returns/<round>/ as it arrived; whose and which form it is comes from its hidden identity (never
its name), checked against the record; a form's scores go in with the sender, the time and the file's hash,
each change in the audit trail. A second return of a form replaces the first; the same bytes twice count
once; what cannot count is refused with a message naming the file and what to do."""
from __future__ import annotations

import hashlib
import io
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..core.rules import RATER_NAMES
from ..month.closed import refuse_if_closed
from ..month.imports import import_file
from ..store import open_store
from ..store.ratings import FormRecord
from ..system.files import atomic_write
from ..workbook.cells import META_SHEET
from ..workbook.rating_form import ReturnedForm, is_form, read_form, score_of
from ..workbook.reader import check_expansion, read_workbook
from ..workbook.texts import zh
from ..workspace import Workspace
from ..workspace.folder import inside
from ..workspace.roster import Employee
from .groups import refresh_groups
from .rounds import check_round, is_month, item_scale
from .sources import Incoming
from .summary import write_round_summary

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted xlsx (or an old .xls) is an OLE compound file
STATUS_ZH = {"counted": "已计入", "refused": "拒收", "duplicate": "已收过（未重复计入）"}


class Refusal(Exception):
    """A returned file that cannot count: the message says why and what to do."""


@dataclass
class Outcome:
    where: str
    kept: str  # under returns/<round>/, as it arrived ('' when nothing arrived to keep)
    kind: str  # form, workbook, unknown
    who: str  # the rater's key or the employee's 工号
    status: str  # counted, refused, duplicate
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CollectReport:
    round: str
    outcomes: list[Outcome] = field(default_factory=list)
    summary_file: Path | None = None  # the round's 评分汇总, for HR only

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> str:
        c, r, d = self.count("counted"), self.count("refused"), self.count("duplicate")
        flagged = sum(bool(o.problems) for o in self.outcomes if o.status == "counted")
        return (f"{self.round}：收到{len(self.outcomes)}份，计入{c}份（其中{flagged}份有未计入的项），拒收{r}份，已收过{d}份 / "
                f"{len(self.outcomes)} received: {c} counted ({flagged} with rows left out), {r} refused, {d} seen before")


@dataclass
class _Round:
    ws: Workspace
    plan: Plan
    roster: list[Employee]
    key: str
    unlock: Callable[[bytes, str], bytes | None] | None
    store: object = None
    people: dict = field(default_factory=dict)
    rated: set = field(default_factory=set)  # the employees whose scores changed
    next_no: int = 1


def collect(ws: Workspace, plan: Plan, roster: list[Employee], round_key: str,
            incoming: Iterable[Incoming | tuple[str, str]], unlock=None, progress=None) -> CollectReport:
    """Every returned file into the round (``incoming``: files, or (where, why) for what could not be read)."""
    key = check_round(round_key)
    if is_month(key):
        refuse_if_closed(ws, key, "收回评分表或工作簿")
    ctx = _Round(ws, plan, roster, key, unlock, open_store(ws.root), {e.id: e for e in roster})
    folder = inside(ws.root, "returns", key)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := re.match(r"(\d+)-", p.name))]
    ctx.next_no = max(numbers, default=0) + 1
    report = CollectReport(key)
    for item in incoming:
        if isinstance(item, tuple):
            report.outcomes.append(Outcome(item[0], "", "unknown", "", "refused",
                                           [Problem("return_unreadable", item[1], file=item[0])]))
        else:
            report.outcomes.append(_one(ctx, item, folder))
        if progress:
            progress(1)
    if ctx.rated and is_month(key):
        refresh_groups(ws, plan, roster, key, ctx.rated)
    report.summary_file = write_round_summary(ws, plan, roster, key)
    return report


def _one(ctx: _Round, inc: Incoming, folder: Path) -> Outcome:
    digest = hashlib.sha256(inc.data).hexdigest()
    first = ctx.store.seen(ctx.key, digest)
    if first is not None:  # these very bytes came before: counted once, or refused for the same reason
        if first.status == "refused":
            return Outcome(inc.where, first.kept, first.kind, first.rater or first.employee, "refused",
                           [Problem("return_refused", f"与已收到的 {first.kept} 相同：{first.message} / the same file as "
                                    f"{first.kept}, refused then", file=inc.where)])
        return Outcome(inc.where, first.kept, first.kind, first.rater or first.employee, "duplicate")
    kept = _keep(ctx, inc, folder)
    rel = kept.relative_to(ctx.ws.root).as_posix()
    kind, who = "unknown", ""
    try:
        data = _opened(ctx, inc)
        if is_form(data):
            kind = "form"
            form = read_form(data, inc.name)
            who = form.rater
            return _form(ctx, inc, form, rel, digest)
        kind = "workbook"
        return _workbook(ctx, inc, data, kept, rel, digest)
    except (Refusal, ValueError) as exc:
        return _refused(ctx, inc, digest, rel, kind, (who, ""), [Problem("return_refused", str(exc), file=rel)])
    except KpiError as exc:  # an employee's workbook the import refused
        return _refused(ctx, inc, digest, rel, kind, ("", who), exc.problems)


def _refused(ctx: _Round, inc: Incoming, digest: str, rel: str, kind: str, whose: tuple[str, str],
             problems: list[Problem]) -> Outcome:
    """A return that cannot count, in the record with why ((rater, employee) it belongs to, if known)."""
    ctx.store.add_return(ctx.key, *whose, kind, inc.sender, inc.received, digest, rel, inc.name, "refused",
                         "；".join(zh(p.message) for p in problems))
    ctx.store.conn.commit()
    return Outcome(inc.where, rel, kind, whose[0] or whose[1], "refused", problems)


def _keep(ctx: _Round, inc: Incoming, folder: Path) -> Path:
    """The file as it arrived, numbered so nothing is ever overwritten."""
    safe = re.sub(r"[^\w.\-（）()]+", "_", Path(inc.name).name)[-120:] or "附件"
    path = folder / f"{ctx.next_no:05d}-{safe}"
    ctx.next_no += 1
    atomic_write(path, inc.data)
    return path


def _opened(ctx: _Round, inc: Incoming) -> bytes:
    """The file's bytes as an xlsx: opened with the password it was sent with, checked for what no return is
    (empty, not a workbook, a zip bomb)."""
    data = inc.data
    if not data:
        raise Refusal("空文件（0字节），未计入；请重新附上填好的表 / an empty file (0 bytes): attach the filled form again")
    if data.startswith(OLE):
        opened = ctx.unlock(data, inc.sender) if ctx.unlock else None
        if opened is None:
            raise Refusal("文件有打开密码（或是旧的 .xls 格式），无法读取；请用发给您的表填写后原样交回 / the file has a "
                          "password this round did not set (or is an old .xls): return the form you were sent")
        data = opened
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            check_expansion(z, Path(inc.name))
    except zipfile.BadZipFile:
        raise Refusal("不是Excel工作簿（.xlsx）：可能是CSV或其他格式改了扩展名；请用发给您的表填写后原样交回 / not an xlsx "
                      "(perhaps a CSV renamed): return the form you were sent") from None
    return data


# ---------------------------------------------------------------------------------------------- rating forms


def _form(ctx: _Round, inc: Incoming, form: ReturnedForm, rel: str, digest: str) -> Outcome:
    rec = _identity(ctx, form, inc)
    rows, problems = _scores(ctx, rec, form, rel)
    if not rows:
        raise Refusal("评分表中没有可计入的评分：" + "；".join(zh(p.message) for p in problems[:5]) +
                      " / the form holds no score that can count")
    with ctx.store.transaction():
        rid = ctx.store.add_return(ctx.key, rec.rater, "", "form", inc.sender, inc.received, digest, rel, inc.name,
                                   "counted", "；".join(zh(p.message) for p in problems))
        before = ctx.store.replace_ratings(ctx.key, rec.rater, rows, rid)
        ctx.store.append_audit("collect", [(ctx.key, e, f"评分 {item}（{RATER_NAMES[g]}，评分人{rec.name}）",
                                            before.get((e, item, g), ""), v, digest)
                                           for e, item, g, v, _ in rows if before.get((e, item, g)) != v])
    ctx.rated |= {e for e, *_ in rows}
    return Outcome(inc.where, rel, "form", rec.rater, "counted", problems)


def _identity(ctx: _Round, form: ReturnedForm, inc: Incoming) -> FormRecord:
    """The form's record, when the file's identity is one this round gave out and its sender is the rater."""
    if form.round != ctx.key:
        raise Refusal(f"这是{form.round or '未知轮次'}的评分表，不是{ctx.key}的；请在收回{form.round}时再交 / a form of "
                      f"{form.round or 'an unknown round'}, not of {ctx.key}")
    rec = ctx.store.form_by_token(form.token) if form.token else None
    if rec is None or rec.round != ctx.key:
        raise Refusal("评分表的身份码与人力资源部的记录不符（不是本轮发出的表，或被改动过），未计入；请评分人用发给他的表填写 / "
                      "the form's identity is not one this round gave out")
    if rec.rater != form.rater:
        raise Refusal(f"表中写的评分人“{form.rater}”与身份码所属的评分人{rec.name}不符：身份信息被改动过，未计入 / the form's "
                      f"rater does not match its identity")
    if rec.status == "excused":
        raise Refusal(f"{rec.name}已被人力资源部免评，这份评分表不计入 / {rec.rater} was excused from this round")
    _from(inc, rec.email, f"评分人{rec.name}", "评分表须由评分人本人交回")
    return rec


def _from(inc: Incoming, email: str, who: str, rule: str) -> None:
    """A return mailed by someone other than its owner is refused (a folder's files have no sender)."""
    if inc.sender and email and inc.sender.lower() != email.lower():
        raise Refusal(f"发件人{inc.sender}不是{who}（{email}）：{rule}，未计入 / sent by {inc.sender}, not by {email}")


def _scores(ctx: _Round, rec: FormRecord, form: ReturnedForm, rel: str):
    """(employee, item, group, value, comment) rows that count, and a problem for each row that does not."""
    asked, seen = set(rec.rows), set()
    rows, problems = [], []

    def problem(kind: str, cell: str, words: str) -> None:
        problems.append(Problem(kind, words, file=rel, sheet="评分表", cell=cell))

    for r in form.rows:
        key = (r.employee, r.item, r.group)
        person = ctx.people.get(r.employee)
        who = f"{person.name}（{r.employee}）" if person else r.employee
        if key not in asked or key in seen:
            problem("rating_not_on_form", r.cell, f"{who}不在您这份评分表的名单中（表被改动过），未计入 / not on your form")
            continue
        seen.add(key)
        if _text(r.shown_employee) != r.employee:
            problem("form_row_changed", r.cell, f"此行的工号被改为“{_text(r.shown_employee)}”（应为{r.employee}），未计入；"
                    f"请用发给您的表填写 / the row's 工号 was changed")
            continue
        value, why = score_of(r, item_scale(ctx.plan, ctx.people.get(r.employee), r.item))
        if value is None:
            blank = r.value is None
            problem("rating_blank" if blank else "rating_invalid", r.cell,
                    f"{who}：{zh(why)}，未计入；请改正后再交回整张表（后交的表替换先交的） / {why.split(' / ')[-1]}: not "
                    f"counted")
            continue
        rows.append((r.employee, r.item, r.group, value, r.comment[:500]))
    for e, item, g in sorted(asked - seen):
        problem("form_row_missing", "", f"{e}的{item}（{RATER_NAMES[g]}）不在交回的表中（名单被改动过）；请用发给您的表填写 / "
                "a row of the form is missing")
    for who, score, cell in form.extra:
        if score is not None:
            problem("rating_not_on_form", cell, f"“{who or '未写工号'}”不在您的评分名单中，未计入 / not on your form")
    return rows, problems


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return "" if v is None else str(v).strip()


# ---------------------------------------------------------------------------------------------- employees' workbooks


def _workbook(ctx: _Round, inc: Incoming, data: bytes, kept: Path, rel: str, digest: str) -> Outcome:
    """An employee's own workbook sent back: merged as a late return (what its filler owns; a value that
    differs from HR's is refused with the cell), after checking the sender is that employee."""
    if not is_month(ctx.key):
        raise Refusal("期间轮次只收评分表 / a period round takes rating forms only")
    with tempfile.TemporaryDirectory() as tmp:
        path = kept if data is inc.data else Path(tmp) / "opened.xlsx"
        if path != kept:
            path.write_bytes(data)
        if f'name="{META_SHEET}"'.encode() not in zipfile.ZipFile(path).read("xl/workbook.xml"):
            raise Refusal("不是xl_kpi发出的评分表或考核工作簿，未计入 / neither a rating form nor a workbook xl_kpi wrote")
        emp = str(read_workbook(path).meta.get("meta_employee") or "")
        person = ctx.people.get(emp)
        if person is None:
            raise Refusal(f"工作簿属于不在花名册上的“{emp}” / the workbook is {emp}'s, who is not on the roster")
        _from(inc, person.email, person.name, "工作簿须由本人交回")
        try:
            import_file(ctx.ws, ctx.plan, ctx.roster, path, ctx.key)
        except KpiError as exc:
            raise KpiError([Problem(p.type, p.message, p.loc, rel, p.line, p.sheet, p.cell, emp) for p in exc.problems]) \
                from None
    ctx.store.add_return(ctx.key, "", emp, "workbook", inc.sender, inc.received, digest, rel, inc.name, "counted", "")
    ctx.store.conn.commit()
    return Outcome(inc.where, rel, "workbook", emp, "counted")
