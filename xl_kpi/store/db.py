"""The workspace's SQLite database ``xl_kpi.db`` (stdlib sqlite3, WAL): what xl_kpi generated and
what HR imported for each month. Workbooks are the forms people fill; this is what they are
checked against, and it lives outside the employee's reach."""
from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import KpiError, Problem
from .schema import MIGRATIONS

DB_NAME = "xl_kpi.db"


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Generated:
    employee: str
    role: str
    mode: str
    file: str
    formulas: str


@dataclass(frozen=True)
class Imported:
    value: float
    source: str
    line: int | None


class Store:
    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, path

    def close(self) -> None:
        self.conn.close()

    # ---------------------------------------------------------------- months and generated files

    def record_month(self, month: str, plan_hash: str, roster_hash: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO months VALUES (?, ?, ?, ?) ON CONFLICT(month) DO UPDATE SET "
                              "plan_hash = excluded.plan_hash, roster_hash = excluded.roster_hash, "
                              "updated_at = excluded.updated_at", (month, plan_hash, roster_hash, _now()))

    def month(self, month: str) -> tuple[str, str] | None:
        """(plan hash, roster hash) the month was last generated from."""
        row = self.conn.execute("SELECT plan_hash, roster_hash FROM months WHERE month = ?", (month,)).fetchone()
        return tuple(row) if row else None

    def record_generated(self, month: str, rows: list[Generated]) -> None:
        with self.conn:
            self.conn.executemany(
                "INSERT INTO generated VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(month, employee) DO UPDATE SET "
                "role = excluded.role, mode = excluded.mode, file = excluded.file, formulas = excluded.formulas, "
                "written_at = excluded.written_at",
                [(month, g.employee, g.role, g.mode, g.file, g.formulas, _now()) for g in rows])

    def generated(self, month: str) -> dict[str, Generated]:
        rows = self.conn.execute("SELECT employee, role, mode, file, formulas FROM generated WHERE month = ?",
                                 (month,))
        return {r[0]: Generated(*r) for r in rows}

    # ---------------------------------------------------------------- HR's imports

    def record_imports(self, month: str, source: str, rows: list[tuple[str, str, float, int | None]]) -> None:
        """(employee, slot, value, line) rows of one imported file, all or none."""
        now = _now()
        with self.conn:
            self.conn.executemany("INSERT INTO imports (month, employee, slot, value, source, line, imported_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  [(month, e, slot, v, source, line, now) for e, slot, v, line in rows])

    def imported(self, month: str, employee: str | None = None) -> dict[str, dict[str, Imported]]:
        """employee → slot → the latest value HR imported for it."""
        sql = "SELECT employee, slot, value, source, line FROM imports WHERE month = ?"
        args: tuple = (month,)
        if employee is not None:
            sql, args = sql + " AND employee = ?", (month, employee)
        out: dict[str, dict[str, Imported]] = {}
        for e, slot, value, source, line in self.conn.execute(sql + " ORDER BY id", args):
            out.setdefault(e, {})[slot] = Imported(value, source, line)
        return out

    def replace_adjustments(self, month: str, source: str, rows: dict[str, list[tuple[int | None, object]]]) -> None:
        """HR's 加减分 rows of one imported file: employee → [(line, AdjustmentEntry)]; each named employee's
        rows of the month are replaced by the file's, all in one transaction."""
        now = _now()
        with self.conn:
            for employee, entries in rows.items():
                self.conn.execute("DELETE FROM adjustments WHERE month = ? AND employee = ?", (month, employee))
                self.conn.executemany(
                    "INSERT INTO adjustments (month, employee, item, count, chosen, note, date, source, line, "
                    "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(month, employee, a.item, a.count, a.chosen, a.note, a.date, source, line, now)
                     for line, a in entries])

    def adjustments(self, month: str) -> dict[str, list[tuple]]:
        """employee → [(item, count, chosen, note, date, source, line)] HR recorded for the month."""
        out: dict[str, list[tuple]] = {}
        for row in self.conn.execute("SELECT employee, item, count, chosen, note, date, source, line FROM adjustments "
                                     "WHERE month = ? ORDER BY id", (month,)):
            out.setdefault(row[0], []).append(row[1:])
        return out

    # ---------------------------------------------------------------- mail

    def record_send(self, month: str, key: str, kind: str, to: list[str], subject: str, status: str,
                    error: str = "") -> None:
        with self.conn:
            self.conn.execute("INSERT INTO sends (month, key, kind, recipients, subject, status, error, at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                              (month, key, kind, ", ".join(to), subject, status, error, _now()))

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
            self.conn.execute("INSERT OR IGNORE INTO passwords VALUES (?, ?, ?, ?)", (month, employee, draw(), _now()))
        return self.password(month, employee, draw)

    # ---------------------------------------------------------------- settings

    def protect_password(self) -> str:
        """The password that locks HR-owned cells; drawn once per workspace, kept here, never in a workbook."""
        row = self.conn.execute("SELECT value FROM settings WHERE key = 'protect_password'").fetchone()
        if row:
            return row[0]
        password = secrets.token_urlsafe(12)
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO settings VALUES ('protect_password', ?)", (password,))
        return self.conn.execute("SELECT value FROM settings WHERE key = 'protect_password'").fetchone()[0]


def open_store(root: Path) -> Store:
    """The workspace's database, created or migrated to the current schema."""
    path = Path(root) / DB_NAME
    try:
        conn = sqlite3.connect(path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise KpiError([Problem("store_newer", f"数据库版本{version}高于本程序支持的{len(MIGRATIONS)}, 请升级 xl_kpi / "
                                    f"the database is newer than this xl_kpi (schema {version})", file=str(path))])
        for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with conn:
                conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {n}; COMMIT;")
    except sqlite3.DatabaseError as exc:
        raise KpiError([Problem("store_unreadable", f"数据库无法打开 / cannot open the database: {exc}",
                                file=str(path))]) from None
    return Store(conn, path)
