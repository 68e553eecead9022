"""What HR imported: every value with its file and line, and HR's 加减分 rows."""
from __future__ import annotations

import itertools
import sqlite3
from typing import Iterable, Iterator

from .rows import Imported, batches, stamp


class ImportedTables:
    """HR's imports and 加减分 rows."""

    conn: sqlite3.Connection

    def record_imports(self, month: str, source: str, rows: list[tuple[str, str, float, int | None]]) -> None:
        """(employee, slot, value, line) rows of one imported file, all or none."""
        now = stamp()
        with self.conn:
            self.conn.executemany("INSERT INTO imports (month, employee, slot, value, source, line, imported_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  [(month, e, slot, v, source, line, now) for e, slot, v, line in rows])

    def add_values(self, month: str, rows: list[tuple[str, str, float, str, int | None]]) -> None:
        """(employee, slot, value, source, line) rows, inside the caller's transaction."""
        now = stamp()
        self.conn.executemany("INSERT INTO imports (month, employee, slot, value, source, line, imported_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)", [(month, *row, now) for row in rows])

    def last_import(self) -> int:
        """The id of the latest imported value (0 before any): the imports after it are a later command's."""
        return self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM imports").fetchone()[0]

    def add_imports(self, month: str, source: str, rows: Iterable[tuple[str, str, float, int | None]]) -> None:
        """(employee, slot, value, line) rows streamed in, inside the caller's transaction (``with store.conn``)."""
        now = stamp()
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
        for part, among in batches(sorted(employees)):
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
        for part, among in batches(people):
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
        groups: list[tuple[list, str]] = [([], "1 = 1")]
        if employee is not None:
            groups = [([employee], "employee = ?")]
        elif employees is not None:  # a worker's employees
            groups = list(batches(sorted(employees)))
        out: dict[str, dict[str, Imported]] = {}
        for ids, among in groups:
            for e, slot, value, source, line in self.conn.execute(f"{sql} AND {among} ORDER BY id", head + ids):
                out.setdefault(e, {})[slot] = Imported(value, source, line)
        return out

    def replace_adjustments(self, month: str, source: str, rows: dict[str, list[tuple[int | None, object]]]) -> None:
        """HR's 加减分 rows of one imported file: employee → [(line, AdjustmentEntry)]; each named employee's
        rows of the month are replaced by the file's, all in one transaction."""
        with self.conn:
            for employee, entries in rows.items():
                self.conn.execute("DELETE FROM adjustments WHERE month = ? AND employee = ?", (month, employee))
                self.add_adjustments(month, employee, entries, source)

    def add_adjustments(self, month: str, employee: str, entries: list[tuple[int | None, object]], source: str) -> None:
        """(line, AdjustmentEntry) rows of one employee, inside the caller's transaction."""
        now = stamp()
        self.conn.executemany(
            "INSERT INTO adjustments (month, employee, item, count, chosen, note, date, source, line, imported_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(month, employee, a.item, a.count, a.chosen, a.note, a.date, source, line, now) for line, a in entries])

    def adjustments(self, month: str) -> dict[str, list[tuple]]:
        """employee → [(item, count, chosen, note, date, source, line)] HR recorded for the month."""
        out: dict[str, list[tuple]] = {}
        for row in self.conn.execute("SELECT employee, item, count, chosen, note, date, source, line FROM adjustments "
                                     "WHERE month = ? ORDER BY id", (month,)):
            out.setdefault(row[0], []).append(row[1:])
        return out
