"""The workspace's SQLite database ``xl_kpi.db`` (stdlib sqlite3, WAL): what xl_kpi generated and
what HR imported for each month. Workbooks are the forms people fill; this is what they are
checked against, and it lives outside the employee's reach."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from ..core.errors import KpiError, Problem
from .audit import FIELDS, GENESIS, Entry, broken, entry_hash, os_user
from .audit import text as audit_text
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


@dataclass(frozen=True)
class CloseRecord:
    id: int
    month: str
    state: str
    plan_hash: str
    workbooks: dict
    payroll: list
    accepted: list
    user: str
    at: str
    note: str


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

    def last_import(self) -> int:
        """The id of the latest imported value (0 before any): the imports after it are a later command's."""
        return self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM imports").fetchone()[0]

    def add_imports(self, month: str, source: str, rows: Iterable[tuple[str, str, float, int | None]]) -> None:
        """(employee, slot, value, line) rows streamed in, inside the caller's transaction (``with store.conn``)."""
        now = _now()
        self.conn.executemany("INSERT INTO imports (month, employee, slot, value, source, line, imported_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)", ((month, e, slot, v, source, line, now)
                                                               for e, slot, v, line in rows))

    def import_conflicts(self, month: str, after: int) -> list[tuple[str, str, int, float, int, float]]:
        """Imported rows after id ``after`` that fill a cell an earlier row of the same import filled with
        another value: (employee, slot, line, value, first line, first value), in file order."""
        return self.conn.execute(
            "WITH new AS (SELECT * FROM imports WHERE month = ? AND id > ?), "
            "first AS (SELECT employee, slot, MIN(id) AS id FROM new GROUP BY employee, slot HAVING COUNT(*) > 1) "
            "SELECT n.employee, n.slot, n.line, n.value, f.line, f.value FROM first JOIN imports f ON f.id = first.id "
            "JOIN new n ON n.employee = first.employee AND n.slot = first.slot AND n.value <> f.value ORDER BY n.id",
            (month, after)).fetchall()

    def drop_imports(self, month: str, after: int, lines: Iterable[int]) -> None:
        """Rows after id ``after`` from these lines of the file taken out again (the file's bad rows)."""
        self.conn.executemany("DELETE FROM imports WHERE month = ? AND id > ? AND line = ?",
                              [(month, after, line) for line in lines])

    def imports_after(self, month: str, after: int, employees: set[str]) -> dict[str, dict[str, float]]:
        """employee → slot → value of the imported rows after id ``after`` (one import's values) for these
        employees; the later row wins."""
        out: dict[str, dict[str, float]] = {}
        for part, among in _among(sorted(employees)):
            for e, slot, value in self.conn.execute(
                    f"SELECT employee, slot, value FROM imports WHERE month = ? AND id > ? AND {among} ORDER BY id",
                    (month, after, *part)):
                out.setdefault(e, {})[slot] = value
        return out

    def import_changes(self, month: str, after: int) -> Iterator[tuple[str, str, float | None, float]]:
        """(employee, slot, value before, value now) of every cell whose latest imported value the imports
        after id ``after`` changed, by employee and slot; read a few hundred employees at a time."""
        people = [e for (e,) in self.conn.execute("SELECT DISTINCT employee FROM imports WHERE month = ? AND id > ? "
                                                  "ORDER BY employee", (month, after))]
        for part, among in _among(people):
            rows = self.conn.execute(  # in the order of the index: each cell's values oldest first
                f"SELECT employee, slot, id, value FROM imports WHERE month = ? AND {among} ORDER BY employee, slot, id",
                (month, *part)).fetchall()
            for (employee, slot), values in itertools.groupby(rows, key=lambda r: (r[0], r[1])):
                was = now = None
                for _, _, id_, value in values:
                    if id_ <= after:
                        was = value
                    else:
                        now = value
                if now is not None and now != was:
                    yield employee, slot, was, now

    def imported(self, month: str, employee: str | None = None, employees: set[str] | None = None,
                 prefix: str | None = None) -> dict[str, dict[str, Imported]]:
        """employee → slot → the latest value HR imported for it (for one employee, or a worker's share;
        ``prefix``: only the slots whose names start so, such as pool_)."""
        sql, head = "SELECT employee, slot, value, source, line FROM imports WHERE month = ?", [month]
        if prefix is not None:
            sql, head = sql + " AND substr(slot, 1, ?) = ?", head + [len(prefix), prefix]
        batches: list[tuple[list, str]] = [([], "1 = 1")]
        if employee is not None:
            batches = [([employee], "employee = ?")]
        elif employees is not None:  # a worker's employees
            batches = list(_among(sorted(employees)))
        out: dict[str, dict[str, Imported]] = {}
        for ids, among in batches:
            for e, slot, value, source, line in self.conn.execute(f"{sql} AND {among} ORDER BY id", head + ids):
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

    # ---------------------------------------------------------------- month close and appeals

    def record_close(self, month: str, state: str, plan_hash: str, workbooks: dict, payroll: list, accepted: list,
                     user: str, note: str = "") -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO closes (month, state, plan_hash, workbooks, payroll, accepted, user, at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (month, state, plan_hash, json.dumps(workbooks, ensure_ascii=False, sort_keys=True),
                 json.dumps(payroll, ensure_ascii=False), json.dumps(accepted, ensure_ascii=False), user, _now(), note))
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
                              (status, decision, user, _now(), value_before, value_after, pay_before, pay_after, number))

    def record_correction(self, appeal: int, month: str, employee: str, amount: str, payroll_month: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO corrections (appeal, month, employee, amount, payroll_month, at) "
                              "VALUES (?, ?, ?, ?, ?, ?)", (appeal, month, employee, amount, payroll_month, _now()))

    def corrections(self, payroll_month: str) -> list[tuple[int, str, str, str]]:
        """(appeal, month corrected, employee, amount) settled by this month's payroll."""
        return list(self.conn.execute("SELECT appeal, month, employee, amount FROM corrections WHERE payroll_month = ? "
                                      "ORDER BY id", (payroll_month,)))

    # ---------------------------------------------------------------- improvement plans (改进计划)

    def add_followup(self, month: str, employee: str, goals: str, measures: str, due: str, user: str) -> int:
        with self.conn:
            cur = self.conn.execute("INSERT INTO followups (month, employee, goals, measures, due, status, created_by, "
                                    "created_at) VALUES (?, ?, ?, ?, ?, 'open', ?, ?)",
                                    (month, employee, goals, measures, due, user, _now()))
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
                                    "AND status = 'open'", (note, _now(), number))
        return cur.rowcount == 1

    # ---------------------------------------------------------------- the audit trail

    def audit(self, command: str, rows: Iterable[tuple], user: str | None = None) -> None:
        """Append (month, employee, field, before, after, file_hash) rows (a list or a stream), chained, in one
        transaction."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        rows = itertools.chain([first], rows)
        user = user or os_user()
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")  # one writer extends the chain at a time
            last = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            prev = last[0] if last else GENESIS
            for month, employee, field_, before, after, file_hash in rows:
                values = dict(at=_now(), user=user, command=command, month=month, employee=employee, field=field_,
                              before=audit_text(before), after=audit_text(after), file_hash=file_hash)
                digest = entry_hash(prev, values)
                cur = self.conn.execute("INSERT INTO audit (at, user, command, month, employee, field, before, after, "
                                        "file_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                        (*[values[f] for f in FIELDS], prev, digest))
                prev = digest
            self.conn.execute("INSERT INTO settings VALUES ('audit_head', ?) ON CONFLICT(key) DO UPDATE SET "
                              "value = excluded.value", (f"{cur.lastrowid}:{prev}",))

    def audit_entries(self, month: str | None = None, employee: str | None = None) -> list[Entry]:
        sql, args = "SELECT * FROM audit WHERE 1 = 1", []
        if month is not None:
            sql, args = sql + " AND month = ?", [month]
        if employee is not None:
            sql, args = sql + " AND employee = ?", args + [employee]
        return [Entry(*row) for row in self.conn.execute(sql + " ORDER BY id", args)]

    def audit_problems(self) -> list[str]:
        """Why the audit trail cannot be trusted (empty when it is whole)."""
        row = self.conn.execute("SELECT value FROM settings WHERE key = 'audit_head'").fetchone()
        head = None
        if row:
            number, _, digest = row[0].partition(":")
            head = (int(number), digest)
        return broken(self.audit_entries(), head)

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


def _among(ids: list[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """The employees in batches below SQLite's parameter limit, each with its ``employee IN (?, …)``."""
    for i in range(0, len(ids), size):
        part = ids[i:i + size]
        yield part, f"employee IN ({', '.join('?' * len(part))})"


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
