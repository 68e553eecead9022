"""The workspace's SQLite database ``xl_kpi.db`` (stdlib sqlite3, WAL): what xl_kpi generated and
what HR imported for each month. Workbooks are the forms people fill; this is what they are
checked against, and it lives outside the employee's reach. Each group of tables is a module of its own;
``Store`` is all of them over one connection."""
from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import time
from pathlib import Path

from .. import __version__
from ..core.errors import KpiError, Problem
from .audit import AuditTable
from .backups import backup
from .closes import CloseTables
from .generated import GeneratedTables
from .imported import ImportedTables
from .ratings import RatingTables
from .rows import CloseRecord, Generated, Imported
from .schema import MIGRATIONS
from .sent import SentTables

DB_NAME = "xl_kpi.db"
__all__ = ["DB_NAME", "CloseRecord", "Generated", "Imported", "Store", "open_store"]


class Store(GeneratedTables, ImportedTables, SentTables, CloseTables, RatingTables, AuditTable):
    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn, self.path = conn, path
        self.migrated: tuple[int, Path | None] | None = None  # (the schema it had, its backup) when opened older

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self):
        """One transaction around several writes (each method's own ``with conn`` would commit midway): all of
        them or, if anything fails or the process is killed, none."""
        self.conn.isolation_level = None
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
                _pause_for_tests()
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
        finally:
            self.conn.isolation_level = ""

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
    """The workspace's database, created, or migrated to the current schema (a backup first, then every
    migration in one transaction: a run killed midway leaves the database as it was)."""
    path = Path(root) / DB_NAME
    try:
        conn = sqlite3.connect(path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise KpiError([Problem("store_newer", f"数据库版本{version}高于本程序支持的{len(MIGRATIONS)}，请升级 xl_kpi "
                                    f"（当前为{__version__}） / the database is newer than this xl_kpi {__version__} "
                                    f"(schema {version})", file=str(path))])
        store = Store(conn, path)
        if version < len(MIGRATIONS):
            store.migrated = _migrate(store, Path(root), version)
    except sqlite3.DatabaseError as exc:
        raise KpiError([Problem("store_unreadable", f"数据库无法打开 / cannot open the database: {exc}",
                                file=str(path))]) from None
    return store


def _migrate(store: Store, root: Path, version: int) -> tuple[int, Path | None]:
    """Bring the schema from ``version`` to the current one; (the schema it had, the backup made of it)."""
    saved = backup(store.conn, root, f"schema{version}") if version else None  # a new database has nothing to keep
    with store.transaction() as tx:
        for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(script):
                tx.conn.execute(statement)
            tx.conn.execute(f"PRAGMA user_version = {n}")
        tx.set_setting("written_by", __version__)
        if not version:  # a record this release makes holds nothing older: no upgrade of its data is due
            tx.set_setting("created_by", __version__)
            tx.set_setting("workspace_version", __version__)
    return version, saved


def _statements(script: str):
    """The statements of a migration script, one at a time (executescript would commit on its own)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                yield pending.strip()
            pending = ""


def _pause_for_tests() -> None:
    """XL_KPI_PAUSE_BEFORE_COMMIT=seconds holds an upgrade open before it commits: the test that kills the
    process midway uses it (nothing else sets it)."""
    seconds = float(os.environ.get("XL_KPI_PAUSE_BEFORE_COMMIT") or 0)
    if seconds:
        time.sleep(seconds)
