"""Copies of HR's record in the workspace's ``backups/`` folder, made with SQLite's backup API (a consistent
copy even while the record is open): before an upgrade changes it, and kept rotating."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

FOLDER = "backups"
KEEP = 30  # the newest copies kept; older ones are removed when a new one is made


def backup(conn: sqlite3.Connection, root: Path, reason: str) -> Path:
    """A copy of the open record as ``backups/xl_kpi-<time>-<reason>.db``; returns its path."""
    folder = Path(root) / FOLDER
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    path = folder / f"xl_kpi-{stamp}-{reason}.db"
    copy = sqlite3.connect(path)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    _rotate(folder)
    return path


def backups(root: Path) -> list[Path]:
    """The copies in the workspace, oldest first."""
    folder = Path(root) / FOLDER
    return sorted(folder.glob("xl_kpi-*.db")) if folder.is_dir() else []


def _rotate(folder: Path) -> None:
    for old in backups(folder.parent)[:-KEEP]:
        old.unlink(missing_ok=True)
