"""Copies of HR's record in the workspace's ``backups/`` folder, made with SQLite's backup API (a consistent
copy even while the record is open): before an upgrade changes it, and kept rotating."""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

FOLDER = "backups"
KEEP = 20  # the newest copies kept of each kind (before commands; at closes; before upgrades); older ones go


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
    """Each kind rotates on its own, so a busy month's commands never push out the copy made at a close."""
    kinds: dict[str, list[Path]] = {}
    for path in backups(folder.parent):
        kinds.setdefault(_reason(path), []).append(path)
    for paths in kinds.values():
        for old in paths[:-KEEP]:
            old.unlink(missing_ok=True)


def _reason(path: Path) -> str:
    reason = path.stem.split("-", 4)[-1] if path.stem.count("-") >= 4 else ""
    return "close" if reason == "close" else "schema" if reason.startswith("schema") else "command"


@dataclass
class Summary:
    """What a copy of the record holds, and what restoring it would lose against the record in use."""
    path: Path
    schema: int
    entries: int  # audit entries
    last: str  # when the last one was written, and by which command
    closes: list[str]  # months with a close in force
    lost_entries: int = 0  # entries the record in use has beyond the copy's
    lost_closes: list[str] = field(default_factory=list)
    lost_commands: list[str] = field(default_factory=list)  # the first few of the entries that would be lost
    damaged: str = ""


def summarize(path: Path, current: Path | None = None) -> Summary:
    """A copy described, and compared with the record in use (``current``)."""
    try:
        copy = _facts(path)
    except sqlite3.DatabaseError as exc:
        return Summary(path, 0, 0, "", [], damaged=str(exc))
    out = Summary(path, *copy[:4])
    if current is not None and current.exists():
        try:
            now = _facts(current)
        except sqlite3.DatabaseError:
            return out  # the record in use is damaged: everything in the copy is to be gained
        hashes = copy[4]
        later = [(cmd, at) for h, cmd, at in now[5] if h not in hashes]
        out.lost_entries = len(later)
        out.lost_commands = [f"{at[:16]} {cmd}" for cmd, at in later[:5]]
        out.lost_closes = sorted(set(now[3]) - set(copy[3]))
    return out


def _facts(path: Path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
        schema = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        entries = list(conn.execute("SELECT hash, command, at FROM audit ORDER BY id")) if "audit" in tables else []
        closes = []
        if "closes" in tables:
            state: dict[str, str] = {}
            for month, st in conn.execute("SELECT month, state FROM closes ORDER BY id"):
                state[month] = st
            closes = sorted(m for m, st in state.items() if st != "reopened")
        last = f"{entries[-1][2][:16]} {entries[-1][1]}" if entries else ""
        return schema, len(entries), last, closes, {h for h, _, _ in entries}, entries
    finally:
        conn.close()


def restore(root: Path, copy: Path, current: Path) -> Path:
    """Put a copy in place of the record (SQLite's backup API, so the result is whole); the record it replaces
    is kept as a copy first. Returns that copy."""
    kept = None
    if current.exists() and current.stat().st_size:
        conn = sqlite3.connect(current)
        try:
            kept = backup(conn, root, "beforerestore")
        finally:
            conn.close()
    source, target = sqlite3.connect(f"file:{copy}?mode=ro", uri=True), sqlite3.connect(current)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return kept
