"""The months HR generated and what each generate wrote: the plan and roster a month came from, each
employee's workbook, the release and plan it was written with, and the formulas by meaning (a formula set
is recorded once, for every workbook written with it)."""
from __future__ import annotations

import json
import sqlite3

from .rows import Generated, stamp

GENERATED_COLUMNS = "employee, role, mode, file, formulas, version, plan"


class GeneratedTables:
    """The months and generated files of HR's record."""

    conn: sqlite3.Connection

    def record_month(self, month: str, plan_hash: str, roster_hash: str) -> None:
        with self.conn:
            self.add_month(month, plan_hash, roster_hash)

    def add_month(self, month: str, plan_hash: str, roster_hash: str) -> None:
        """:meth:`record_month` inside the caller's transaction."""
        self.conn.execute("INSERT INTO months VALUES (?, ?, ?, ?) ON CONFLICT(month) DO UPDATE SET "
                          "plan_hash = excluded.plan_hash, roster_hash = excluded.roster_hash, "
                          "updated_at = excluded.updated_at", (month, plan_hash, roster_hash, stamp()))

    def month(self, month: str) -> tuple[str, str] | None:
        """(plan hash, roster hash) the month was last generated from."""
        row = self.conn.execute("SELECT plan_hash, roster_hash FROM months WHERE month = ?", (month,)).fetchone()
        return tuple(row) if row else None

    def record_generated(self, month: str, rows: list[Generated], sets: dict[str, dict] | None = None) -> None:
        """What a run wrote, and the formula sets (fingerprint → formulas) it was written with."""
        with self.conn:
            for fingerprint, formulas in (sets or {}).items():
                self.add_formula_set(fingerprint, formulas, rows[0].version if rows else "", "generate")
            self.add_generated(month, rows)

    def add_generated(self, month: str, rows: list[Generated]) -> None:
        """:meth:`record_generated` inside the caller's transaction."""
        self.conn.executemany(
            f"INSERT INTO generated (month, {GENERATED_COLUMNS}, written_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(month, employee) DO UPDATE SET role = excluded.role, mode = excluded.mode, file = excluded.file, "
            "formulas = excluded.formulas, version = excluded.version, plan = excluded.plan, "
            "written_at = excluded.written_at",
            [(month, g.employee, g.role, g.mode, g.file, g.formulas, g.version, g.plan, stamp()) for g in rows])

    def generated(self, month: str) -> dict[str, Generated]:
        rows = self.conn.execute(f"SELECT {GENERATED_COLUMNS} FROM generated WHERE month = ?", (month,))
        return {r[0]: Generated(*r) for r in rows}

    def add_formula_set(self, fingerprint: str, formulas: dict[str, str], version: str, origin: str) -> None:
        """A set of formulas (``Sheet!A1`` → formula) under its fingerprint, inside the caller's transaction;
        the first recording of a set stands."""
        self.conn.execute("INSERT OR IGNORE INTO formula_sets VALUES (?, ?, ?, ?, ?)",
                          (fingerprint, json.dumps(formulas, ensure_ascii=False, sort_keys=True), version, origin,
                           stamp()))

    def formula_set(self, fingerprint: str) -> dict[str, str] | None:
        row = self.conn.execute("SELECT formulas FROM formula_sets WHERE fingerprint = ?", (fingerprint,)).fetchone()
        return json.loads(row[0]) if row else None

    def setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        """Inside the caller's transaction."""
        self.conn.execute("INSERT INTO settings VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                          (key, value))
