"""After the payroll: month close records, appeals and their corrections, improvement plans."""
from __future__ import annotations

import json
import sqlite3

from .rows import CloseRecord, stamp


class CloseTables:
    """Closes, appeals, corrections and improvement plans."""

    conn: sqlite3.Connection

    def record_close(self, month: str, state: str, plan_hash: str, workbooks: dict, payroll: list, accepted: list,
                     user: str, note: str = "") -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO closes (month, state, plan_hash, workbooks, payroll, accepted, user, at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (month, state, plan_hash, json.dumps(workbooks, ensure_ascii=False, sort_keys=True),
                 json.dumps(payroll, ensure_ascii=False), json.dumps(accepted, ensure_ascii=False), user, stamp(), note))
        return cur.lastrowid

    def closes(self, month: str) -> list[CloseRecord]:
        rows = self.conn.execute("SELECT id, month, state, plan_hash, workbooks, payroll, accepted, user, at, note "
                                 "FROM closes WHERE month = ? ORDER BY id", (month,))
        return [CloseRecord(r[0], r[1], r[2], r[3], json.loads(r[4]), json.loads(r[5]), json.loads(r[6]), *r[7:])
                for r in rows]

    def closed(self, month: str) -> CloseRecord | None:
        """The month's close record in force: its latest, unless that is a reopening."""
        records = self.closes(month)
        return records[-1] if records and records[-1].state != "reopened" else None

    def add_appeal(self, month: str, employee: str, kind: str, target: str, reason: str, claimed: float | None,
                   filed_on: str, user: str) -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO appeals (month, employee, kind, target, reason, claimed, filed_on, filed_by, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')", (month, employee, kind, target, reason, claimed, filed_on, user))
        return cur.lastrowid

    def appeals(self, month: str | None = None, number: int | None = None) -> list[dict]:
        sql, args = "SELECT * FROM appeals", []
        if month is not None:
            sql, args = sql + " WHERE month = ?", [month]
        if number is not None:
            sql, args = sql + (" AND" if args else " WHERE") + " id = ?", args + [number]
        cur = self.conn.execute(sql + " ORDER BY id", args)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def decide_appeal(self, number: int, status: str, decision: str, user: str, value_before=None, value_after=None,
                      pay_before: str | None = None, pay_after: str | None = None) -> None:
        with self.conn:
            self.conn.execute("UPDATE appeals SET status = ?, decision = ?, decided_by = ?, decided_at = ?, "
                              "value_before = ?, value_after = ?, pay_before = ?, pay_after = ? WHERE id = ?",
                              (status, decision, user, stamp(), value_before, value_after, pay_before, pay_after, number))

    def record_correction(self, appeal: int, month: str, employee: str, amount: str, payroll_month: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO corrections (appeal, month, employee, amount, payroll_month, at) "
                              "VALUES (?, ?, ?, ?, ?, ?)", (appeal, month, employee, amount, payroll_month, stamp()))

    def corrections(self, payroll_month: str) -> list[tuple[int, str, str, str]]:
        """(appeal, month corrected, employee, amount) settled by this month's payroll."""
        return list(self.conn.execute("SELECT appeal, month, employee, amount FROM corrections WHERE payroll_month = ? "
                                      "ORDER BY id", (payroll_month,)))

    def add_followup(self, month: str, employee: str, goals: str, measures: str, due: str, user: str) -> int:
        with self.conn:
            cur = self.conn.execute("INSERT INTO followups (month, employee, goals, measures, due, status, created_by, "
                                    "created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
                                    (month, employee, goals, measures, due, user, stamp()))
        return cur.lastrowid

    def followups(self, employee: str | None = None, open_only: bool = False) -> list[dict]:
        sql, args = "SELECT * FROM followups WHERE 1 = 1", []
        if employee is not None:
            sql, args = sql + " AND employee = ?", [employee]
        if open_only:
            sql += " AND status = 'open'"
        cur = self.conn.execute(sql + " ORDER BY id", args)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row)) for row in cur]

    def close_followup(self, number: int, note: str) -> bool:
        with self.conn:
            cur = self.conn.execute("UPDATE followups SET status = 'closed', note = ?, closed_at = ? WHERE id = ? "
                                    "AND status = 'open'", (note, stamp(), number))
        return cur.rowcount == 1

    # ---------------------------------------------------------------- pay an earlier release rolled up

    def add_earlier_pay(self, month: str, employee: str, version: str, lines: dict, source: str) -> None:
        """Inside the caller's transaction (an upgrade's): the first one kept stands."""
        self.conn.execute("INSERT OR IGNORE INTO earlier_pay VALUES (?, ?, ?, ?, ?)",
                          (month, employee, version, json.dumps(lines, ensure_ascii=False, sort_keys=True), source))

    def earlier_pay(self, month: str) -> dict[str, tuple[str, dict, str]]:
        """employee → (release, lines, source) of the pay an earlier release rolled up for the month."""
        return {e: (v, json.loads(lines), source) for e, v, lines, source in self.conn.execute(
            "SELECT employee, version, lines, source FROM earlier_pay WHERE month = ?", (month,))}
