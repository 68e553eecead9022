"""The ribbon on a rating form and on the round's returns: 评分 checks a form a rater is filling (every score
given, a number within the scale) and marks what is missing; 收回 runs ``collect`` on the mailbox or the
folder mail.yaml names."""
from __future__ import annotations

from ..core.errors import Problem
from ..mail import load_config
from ..mail.forms import unlocker
from ..mail.imap import fetch
from ..ratings.collect import collect
from ..ratings.rounds import is_month
from ..ratings.sources import from_folder
from ..ratings.status import sent_since
from ..workbook.rating_form import FORM_META, form_from_grids, score_of, words
from ..workbook.texts import message, zh
from ..workspace import Workspace


def is_form_book(book) -> bool:
    return FORM_META in [s.name for s in book.sheets]


def _grid(sheet) -> list:
    last = sheet.used_range.last_cell
    return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value


def form_rows(book) -> list:
    """The rows of the open form (what 评分 clears its marks from)."""
    return form_from_grids(_grid(book.sheets[FORM_META]), _grid(book.sheets[words("sheet")])).rows


def check_form(book) -> tuple[str, list[Problem]]:
    """Every row of the open form: a score within its scale; the cells to fix, or how many are done."""
    sheet = book.sheets[words("sheet")]
    form = form_from_grids(_grid(book.sheets[FORM_META]), _grid(sheet))
    problems = []
    for r in form.rows:
        try:
            scale = float(r.scale)
        except (TypeError, ValueError):
            scale = 100.0
        value, why = score_of(r, scale)
        if value is None:
            problems.append(Problem("rating_invalid", why, sheet=sheet.name, cell=r.cell))
    if problems:
        return message("form_to_fix", count=len(problems), total=len(form.rows),
                       lines="\n".join(f"{p.cell}：{zh(p.message)}" for p in problems[:10])), problems
    return message("form_done", total=len(form.rows)), []


def collect_returns(ws: Workspace | None, round_key: str | None) -> str:
    """收回: the round's returns from the configured mailbox, else the configured folder; what came of it."""
    if ws is None or round_key is None:
        return message("no_round")
    config = load_config(ws)
    if config.imap.host:
        incoming = fetch(config, sent_since(ws, round_key))
    elif config.returns_folder:
        incoming = from_folder(ws.root / config.returns_folder)
    else:
        return message("no_returns_source")
    plan = ws.plan()
    report = collect(ws, plan, ws.roster(plan), round_key, incoming, unlocker(ws, round_key, config))
    refused = [f"{o.where}：{zh(o.problems[0].message)}" for o in report.outcomes if o.status == "refused"][:10]
    return "\n".join([zh(report.summary())] + refused)


def round_of_book(book, month: str | None) -> str | None:
    """The round a book belongs to: a form's own, else the month of the workbook."""
    if is_form_book(book):
        try:
            return form_from_grids(_grid(book.sheets[FORM_META]), []).round or None
        except ValueError:
            return None
    return month if month and is_month(month) else None

