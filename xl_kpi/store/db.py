"""The workspace's SQLite database ``xl_kpi.db`` (stdlib sqlite3, WAL): what xl_kpi generated and
what HR imported for each month. Workbooks are the forms people fill; this is what they are
checked against, and it lives outside the employee's reach. Each group of tables is a module of its own;
``Store`` is all of them over one connection."""
from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from ..core.errors import KpiError, Problem
from .audit import AuditTable
from .closes import CloseTables
from .generated import GeneratedTables
from .imported import ImportedTables
from .rows import CloseRecord, Generated, Imported
from .schema import MIGRATIONS
from .sent import SentTables

DB_NAME = "xl_kpi.db"
__all__ = ["DB_NAME", "CloseRecord", "Generated", "Imported", "Store", "open_store"]


class Store(GeneratedTables, ImportedTables, SentTables, CloseTables, AuditTable):
    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, path

    def close(self) -> None:
        self.conn.close()

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
