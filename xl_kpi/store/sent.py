"""The send log (every attempt, by message) and the attachment passwords drawn once per person and month."""
from __future__ import annotations

import secrets
import sqlite3

from ..system.secrets import lock, unlock, workspace_key
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
        """The attachment password of an employee's month: drawn once, the same on every later run; kept
        locked with a key outside the workspace (system/secrets.py), so a copy of the record hands out none."""
        key = workspace_key(self.workspace_id())
        row = self.conn.execute("SELECT password FROM passwords WHERE month = ? AND employee = ?",
                                (month, employee)).fetchone()
        if row:
            plain = unlock(row[0], key, str(self.path))
            if not row[0].startswith("enc:"):  # kept in the open by a release before 0.3.0: locked now
                with self.conn:
                    self.conn.execute("UPDATE passwords SET password = ? WHERE month = ? AND employee = ?",
                                      (lock(plain, key), month, employee))
            return plain
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO passwords VALUES (?, ?, ?, ?)",
                              (month, employee, lock(draw(), key), stamp()))
        return self.password(month, employee, draw)

    def workspace_id(self) -> str:
        """A random name of this workspace's record, drawn once: the name its secrets are kept under."""
        row = self.conn.execute("SELECT value FROM settings WHERE key = 'workspace_id'").fetchone()
        if row:
            return row[0]
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO settings VALUES ('workspace_id', ?)", (secrets.token_hex(16),))
        return self.workspace_id()
