"""``xl-kpi status``: where a round stands, form by form: sent, returned (and when), missing, refused or
excused, from HR's record and the send log."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..store import open_store
from ..workspace import Workspace
from .rounds import check_round

STATES = {"returned": "已收回", "incomplete": "已收回（有未评项）", "missing": "未交", "refused": "被拒收，待重交",
          "excused": "已免评"}


@dataclass
class FormStatus:
    rater: str
    name: str
    email: str
    asked: int  # (person, item) rows on the form
    sent: bool
    state: str  # a key of STATES
    returned_at: str  # when the counted return arrived ('' when none)
    note: str  # the latest refusal or what was left out

    @property
    def state_zh(self) -> str:
        return STATES[self.state]


def form_key(rater: str, round_key: str) -> str:
    """The send log's key of a rater's form."""
    return f"form:{rater}:{round_key}"


def round_status(ws: Workspace, round_key: str) -> list[FormStatus]:
    """Every form of the round with its state, in the order of the record."""
    key = check_round(round_key)
    store = open_store(ws.root)
    sent = store.sent(key)
    latest: dict[str, object] = {}
    for r in store.returns(key):
        if r.kind == "form" and r.rater and (r.status == "counted" or latest.get(r.rater) is None
                                             or latest[r.rater].status != "counted"):
            latest[r.rater] = r
    given = {}
    for rater, emp, item, grp, *_ in store.ratings(key):
        given.setdefault(rater, set()).add((emp, item, grp))
    out = []
    for f in store.forms(key).values():
        r = latest.get(f.rater)
        if f.status == "excused":
            state = "excused"
        elif r is None:
            state = "missing"
        elif r.status == "refused":
            state = "refused"
        else:
            state = "returned" if len(given.get(f.rater, ())) >= len(f.rows) else "incomplete"
        out.append(FormStatus(f.rater, f.name, f.email, len(f.rows), form_key(f.rater, key) in sent, state,
                              r.received_at or "" if r is not None and r.status == "counted" else "",
                              r.message if r is not None else ""))
    return out


def state_counts(ws: Workspace, round_key: str) -> list[tuple[str, int]]:
    """(state in Chinese, how many forms) for the states the round's forms are in (none: no round)."""
    return counts_of(round_status(ws, round_key))


def counts_of(statuses: list[FormStatus]) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for s in statuses:
        counts[s.state] = counts.get(s.state, 0) + 1
    return [(STATES[k], counts[k]) for k in STATES if k in counts]


def missing(statuses: list[FormStatus]) -> list[FormStatus]:
    """The forms still to come: not returned, refused, or returned with rows left blank."""
    return [s for s in statuses if s.state in ("missing", "refused", "incomplete")]


def sent_since(ws: Workspace, round_key: str) -> dt.date:
    """The day the round's forms first went out (else were built): mail older than that is no return."""
    store = open_store(ws.root)
    sent = store.conn.execute("SELECT MIN(at) FROM sends WHERE month = ? AND kind = 'form' AND status = 'sent'",
                              (round_key,)).fetchone()[0]
    built = store.conn.execute("SELECT MIN(built_at) FROM rating_forms WHERE round = ?", (round_key,)).fetchone()[0]
    when = sent or built
    return dt.date.fromisoformat(when[:10]) if when else dt.date.today() - dt.timedelta(days=62)
