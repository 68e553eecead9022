"""Rating rounds in HR's record: each rater's form (whom it rates, its hidden identity), every file returned
(kept as it arrived, with its sender and hash), and the scores each counted form gave."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from ..core.raters import group_score
from .rows import stamp


@dataclass(frozen=True)
class FormRecord:
    round: str
    rater: str
    name: str
    email: str
    token: str
    rows: tuple  # ((employee, item, group), ...)
    file: str
    status: str  # open, excused


@dataclass(frozen=True)
class ReturnRecord:
    id: int
    rater: str
    employee: str
    kind: str
    sender: str
    received_at: str
    kept: str
    original: str
    status: str
    message: str


class RatingTables:
    conn: sqlite3.Connection

    def record_forms(self, round_: str, forms: list[tuple[str, str, str, str, list, str]]) -> None:
        """(rater, name, email, token, rows, file) of a round's forms, inside the caller's transaction; a form
        built again keeps its identity (a rater may already be filling the first one)."""
        now = stamp()
        self.conn.executemany(
            "INSERT INTO rating_forms (round, rater, name, email, token, rows, file, status, built_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?) ON CONFLICT(round, rater) DO UPDATE SET name = excluded.name, "
            "email = excluded.email, rows = excluded.rows, file = excluded.file, built_at = excluded.built_at",
            [(round_, r, n, e, t, json.dumps(rows, ensure_ascii=False), f, now) for r, n, e, t, rows, f in forms])

    def forms(self, round_: str) -> dict[str, FormRecord]:
        return {r[1]: FormRecord(r[0], r[1], r[2], r[3], r[4], tuple(tuple(x) for x in json.loads(r[5])), r[6], r[7])
                for r in self.conn.execute("SELECT round, rater, name, email, token, rows, file, status FROM "
                                           "rating_forms WHERE round = ? ORDER BY rater", (round_,))}

    def form_by_token(self, token: str) -> FormRecord | None:
        r = self.conn.execute("SELECT round, rater, name, email, token, rows, file, status FROM rating_forms "
                              "WHERE token = ?", (token,)).fetchone()
        return FormRecord(r[0], r[1], r[2], r[3], r[4], tuple(tuple(x) for x in json.loads(r[5])), r[6], r[7]) \
            if r else None

    def set_form_status(self, round_: str, rater: str, status: str) -> None:
        self.conn.execute("UPDATE rating_forms SET status = ? WHERE round = ? AND rater = ?", (status, round_, rater))

    def seen(self, round_: str, file_hash: str) -> ReturnRecord | None:
        """The first return of these very bytes in the round (a mailbox read twice, a file saved twice), if any."""
        r = self.conn.execute("SELECT id, rater, employee, kind, sender, received_at, kept, original, status, message "
                              "FROM returns WHERE round = ? AND file_hash = ? ORDER BY id LIMIT 1",
                              (round_, file_hash)).fetchone()
        return ReturnRecord(*r) if r else None

    def add_return(self, round_: str, rater: str, employee: str, kind: str, sender: str, received_at: str,
                   file_hash: str, kept: str, original: str, status: str, message: str) -> int:
        """A returned file, inside the caller's transaction; its id."""
        cur = self.conn.execute(
            "INSERT INTO returns (round, rater, employee, kind, sender, received_at, collected_at, file_hash, kept, "
            "original, status, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (round_, rater, employee, kind, sender, received_at, stamp(), file_hash, kept, original, status, message))
        return cur.lastrowid

    def returns(self, round_: str) -> list[ReturnRecord]:
        return [ReturnRecord(*r) for r in self.conn.execute(
            "SELECT id, rater, employee, kind, sender, received_at, kept, original, status, message FROM returns "
            "WHERE round = ? ORDER BY id", (round_,))]

    def replace_ratings(self, round_: str, rater: str, rows: list[tuple[str, str, str, float, str]],
                        return_id: int) -> dict[tuple, float]:
        """A counted form's (employee, item, group, value, comment) rows in place of its earlier return's, inside
        the caller's transaction; the earlier return is marked replaced. The scores they replace, by row."""
        before = {(e, i, g): v for e, i, g, v in self.conn.execute(
            "SELECT employee, item, grp, value FROM ratings WHERE round = ? AND rater = ?", (round_, rater))}
        self.conn.execute("UPDATE returns SET status = 'replaced' WHERE round = ? AND rater = ? AND kind = 'form' "
                          "AND status = 'counted' AND id <> ?", (round_, rater, return_id))
        self.conn.execute("DELETE FROM ratings WHERE round = ? AND rater = ?", (round_, rater))
        self.conn.executemany("INSERT INTO ratings (round, rater, employee, item, grp, value, comment, return_id) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              [(round_, rater, *row, return_id) for row in rows])
        return before

    def ratings(self, round_: str) -> list[tuple[str, str, str, str, float, str]]:
        """(rater, employee, item, group, value, comment) of every counted score of the round."""
        return list(self.conn.execute("SELECT rater, employee, item, grp, value, comment FROM ratings WHERE round = ? "
                                      "ORDER BY employee, item, grp, rater", (round_,)))

    def group_scores(self, round_: str, people: set[str] | None = None) -> dict[tuple, tuple[float, list[str]]]:
        """(employee, item, group) → (the group's score, its raters) for every group whose raters (those not
        excused) have all rated: the mean of their scores."""
        assigned: dict[tuple, list[str]] = {}
        for form in self.forms(round_).values():
            if form.status == "open":
                for row in form.rows:
                    if people is None or row[0] in people:
                        assigned.setdefault(tuple(row), []).append(form.rater)
        given: dict[tuple, dict[str, float]] = {}
        for rater, emp, item, grp, value, _ in self.ratings(round_):
            given.setdefault((emp, item, grp), {})[rater] = value
        out = {}
        for key, raters in sorted(assigned.items()):
            scores = given.get(key, {})
            if all(r in scores for r in raters):
                out[key] = (group_score([scores[r] for r in raters]), raters)
        return out
