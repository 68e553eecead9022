"""The send log (every attempt, by message) and the attachment passwords drawn once per person and month."""
from __future__ import annotations

import sqlite3

from .rows import stamp


class SentTables:
    """The send log and the attachment passwords."""

    conn: sqlite3.Connection

    def record_send(self, month: str, key: str, kind: str, to: list[str], subject: str, status: str,
                    error: str = "") -> None:
        with self.conn:
            self.conn.execute("INSERT INTO sends (month, key, kind, recipients, subject, status, error, at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (month, key, kind, ", ".join(to), subject, status, error, stamp()))

    def sent(self, month: str) -> set[str]:
        """Keys whose last attempt went out."""
        last: dict[str, str] = {}
        for key, status in self.conn.execute("SELECT key, status FROM sends WHERE month = ? ORDER BY id", (month,)):
            last[key] = status
        return {k for k, s in last.items() if s == "sent"}

    def sends(self, month: str) -> list[tuple[str, str, str, str]]:
        """(key, recipients, status, error) of every attempt, in order."""
        return list(self.conn.execute("SELECT key, recipients, status, error FROM sends WHERE month = ? ORDER BY id",
                                      (month,)))

    def password(self, month: str, employee: str, draw) -> str:
        """The attachment password of an employee's month: drawn once, the same on every later run."""
        row = self.conn.execute("SELECT password FROM passwords WHERE month = ? AND employee = ?",
                                (month, employee)).fetchone()
        if row:
            return row[0]
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO passwords VALUES (?, ?, ?, ?)", (month, employee, draw(), stamp()))
        return self.password(month, employee, draw)
