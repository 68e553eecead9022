"""HR's record kept as durable as what it guards, before any command works on a workspace:

* a record that is missing or emptied where the workspace already has recorded months is never made anew
  (say so, and how to restore it);
* a damaged record (``PRAGMA quick_check``), one another program holds locked, or one that cannot be
  written is a message before anything is written, never a traceback or half a month;
* a record replaced by an older copy, or rewritten, is found out against what a close printed on the
  payroll summary HR signed (the audit trail's head then);
* a copy goes to ``backups/`` before every command that writes it;
* an earlier release's workspace is brought up to this one (``upgrade``).
"""
from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import Callable

from python_calamine import CalamineWorkbook

from ..core.errors import KpiError, Problem
from ..store import open_store
from ..store.backups import backup
from ..store.db import DB_NAME
from ..workbook.reader import written_by
from ..workbook.rendered import try_read
from ..workbook.stamp import AUDIT_HEAD
from ..workspace import Workspace
from ..workspace.months import SUMMARY_PREFIX, month_workbooks
from .upgrade import bring_up_to_date, month_folders

ANCHOR = re.compile(r"结账时的审计链：第(\d+)条，([0-9a-f]{64})")
HEAD = re.compile(r"(\d+):([0-9a-f]{64})")


def prepare(ws: Workspace, writes: bool, command: str, say: Callable[[str], None]) -> None:
    """Everything a command needs of HR's record before it starts (see the module's words)."""
    db = ws.root / DB_NAME
    if not db.exists() or db.stat().st_size == 0:
        refuse_lost(ws, db)
    else:
        check_readable(db)
        if writes:
            refuse_read_only(db)
    bring_up_to_date(ws, say)
    if db.exists() and writes:  # (check and audit say it themselves, so the record can still be looked at)
        problems = anchor_problems(ws)
        if problems:
            raise KpiError(problems)
        backup(open_store(ws.root).conn, ws.root, command.replace("-", ""))


def refuse_lost(ws: Workspace, db: Path) -> None:
    """A workspace whose months a release with HR's record wrote, without the record (deleted, or emptied to
    0 bytes): refused with what to do; only release 0.1.0's months come without one."""
    for month in month_folders(ws):
        for path in month_workbooks(ws.month_dir(month)):
            data = try_read(path)
            if data is not None and written_by(data) != "0.1.0":
                state = "是空的（0字节）" if db.exists() else "不见了"
                raise KpiError([Problem("store_missing", f"工作区已有HR的记录管理的月份（如{month}的{path.name}），但 {DB_NAME} "
                                        f"{state}；不会新建空记录（导入、加减分、结账与审计记录都在其中）。请用 xl-kpi restore "
                                        f"从 backups/ 的副本恢复，或放回别处保存的 {DB_NAME} / {DB_NAME} is missing or "
                                        f"empty in a workspace whose months it recorded: restore it (xl-kpi restore); a "
                                        f"new empty record is never made", file=str(db))])


def check_readable(db: Path) -> None:
    """A damaged record, or one another program holds, is said so before anything else happens."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        raise KpiError([store_problem(exc, db)]) from None
    except sqlite3.DatabaseError as exc:
        raise KpiError([damaged(db, str(exc))]) from None
    if result and result[0] != "ok":
        raise KpiError([damaged(db, result[0])])


def damaged(db: Path, why: str) -> Problem:
    return Problem("store_damaged", f"HR的记录已损坏（{why[:80]}），未做任何改动。请用 xl-kpi restore 查看 backups/ 中的"
                   f"副本并恢复 / HR's record is damaged: nothing was changed; restore a copy with xl-kpi restore",
                   file=str(db))


def store_problem(exc: sqlite3.Error, db: Path) -> Problem:
    """An SQLite error as HR reads it: locked by someone (named where the workspace lock says who), not
    writable, or damaged."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        who = db.parent / ".xl_kpi.lock.who"
        holder = who.read_text(encoding="utf-8").strip() if who.exists() else "另一个程序（如打开了数据库的工具）"
        return Problem("store_locked", f"HR的记录正被占用，等待10秒后仍未释放；占用者：{holder}。请等它结束或关闭它后再运行 / "
                       f"HR's record is locked by {holder}: try again when it is done", file=str(db))
    if "readonly" in text or "read-only" in text:
        return Problem("store_read_only", "HR的记录是只读的，不能写入；请检查文件属性或权限 / HR's record is read-only",
                       file=str(db))
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return damaged(db, text)
    return Problem("store_error", f"HR的记录无法使用：{text} / HR's record cannot be used", file=str(db))


def refuse_read_only(db: Path) -> None:
    """A record (or its folder) that cannot be written is refused before anything is written: the command
    would otherwise write workbooks or the summary, then fail to record them."""
    if not os.access(db, os.W_OK) or not os.access(db.parent, os.W_OK):
        raise KpiError([Problem("store_read_only", "HR的记录（或其所在文件夹）是只读的，本命令需要写入，未做任何改动；请取消只读"
                                "属性或换有权限的账户运行 / HR's record (or its folder) is read-only: nothing was done",
                                file=str(db))])


def anchor_problems(ws: Workspace) -> list[Problem]:
    """Each closed month's summary prints the trail's head at the close, and its workbooks carry it in their
    hidden sheet: a record without that entry was rewritten or replaced by another copy; one without the
    close itself is older than the close."""
    store = open_store(ws.root)
    out = []
    for month in month_folders(ws):
        path, anchor = month_anchor(ws, month)
        if anchor is None:
            continue
        if not store.closes(month):
            out.append(Problem("store_older", f"{path.name}上印着{month}已结账（审计链第{anchor[0]}条），HR的记录中却没有这次结账："
                               f"记录被换成了结账前的副本。请用 xl-kpi restore 恢复结账后的副本 / {path.name} says {month} "
                               f"was closed, HR's record does not: it was replaced by an older copy", file=str(path)))
            continue
        why = store.verify_head(f"{anchor[0]}:{anchor[1]}", whole=False)  # a broken chain is check's to name
        if why:
            out.append(Problem("store_rewritten", f"HR的记录与{path.name}上印的结账审计链不符：{why}；请用 xl-kpi restore "
                               f"恢复 / HR's record does not hold the head printed at the close", file=str(path)))
    return out


def month_anchor(ws: Workspace, month: str) -> tuple[Path, tuple[int, str] | None]:
    """The trail's head a close left for ``month``: printed on the payroll summary, or else written into the
    workbooks' hidden sheet (the first workbook that has it), with the file it was read from."""
    path = ws.month_dir(month) / f"{SUMMARY_PREFIX}-{month}.xlsx"
    anchor = read_anchor(path) if path.is_file() and not path.is_symlink() else None
    if anchor is not None:
        return path, anchor
    for book in month_workbooks(ws.month_dir(month)):
        data = try_read(book)
        m = HEAD.fullmatch(str(data.meta.get(AUDIT_HEAD) or "")) if data is not None else None
        if m:
            return book, (int(m.group(1)), m.group(2))
        if data is not None and data.meta.get("meta_employee"):
            break  # one of xl_kpi's workbooks tells: a close writes them all
    return path, None


def read_anchor(path: Path) -> tuple[int, str] | None:
    """(entry, hash) a close printed on the payroll summary, if any."""
    try:
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # a summary that cannot be read: the roll-up says so
        return None
    for row in rows:
        for cell in row:
            m = ANCHOR.search(str(cell)) if cell else None
            if m:
                return int(m.group(1)), m.group(2)
    return None
