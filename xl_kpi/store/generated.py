"""The months HR generated and what each generate wrote: the plan and roster a month came from, each
employee's workbook and the formulas it was written with."""
from __future__ import annotations

import sqlite3

from .rows import Generated, stamp


class GeneratedTables:
    """The months and generated files of HR's record."""

    conn: sqlite3.Connection

    def record_month(self, month: str, plan_hash: str, roster_hash: str) -> None:
        with self.conn:
            self.conn.execute("INSERT INTO months VALUES (?, ?, ?, ?) ON CONFLICT(month) DO UPDATE SET "
                              "plan_hash = excluded.plan_hash, roster_hash = excluded.roster_hash, "
                              "updated_at = excluded.updated_at", (month, plan_hash, roster_hash, stamp()))

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
                [(month, g.employee, g.role, g.mode, g.file, g.formulas, stamp()) for g in rows])

    def generated(self, month: str) -> dict[str, Generated]:
        rows = self.conn.execute("SELECT employee, role, mode, file, formulas FROM generated WHERE month = ?",
                                 (month,))
        return {r[0]: Generated(*r) for r in rows}
