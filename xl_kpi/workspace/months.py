"""The month folders (``workbooks/YYYY-MM/``): each employee's workbook, whose a file is, which files are
workbooks at all, and the name of a backup."""
from __future__ import annotations

import datetime as dt
import functools
import os
import re
import stat
from pathlib import Path

from ..core.errors import Problem
from .folder import WORKBOOKS, Workspace, inside
from .roster import Employee

SUMMARY_PREFIX = "工资汇总"


REPORT_PREFIX = "绩效报告"  # the month's 绩效报告 and its team parts sit beside the workbooks


def workbook_path(ws: Workspace, month: str, e: Employee) -> Path:
    name = f"{e.file_stem}.xlsx"
    folder = _month_folder(ws.root, month)
    if os.sep in name or "/" in name or name.startswith("..") or os.path.islink(folder / name):
        return inside(ws.root, WORKBOOKS, month, name)  # the full check, which refuses a way out
    return folder / name  # a plain name in a folder proven inside: no need to resolve every file


@functools.lru_cache(maxsize=64)
def _month_folder(root: Path, month: str) -> Path:
    return inside(root, WORKBOOKS, month)


def employee_of(stem: str, ids) -> str:
    """The employee a workbook's file name (``<工号>-<姓名>``) belongs to; a 工号 may itself hold "-"
    (the longest roster id the name starts with wins). ``ids`` should be a set or dict: looked up, not scanned."""
    cuts = [i for i, ch in enumerate(stem) if ch == "-"] + [len(stem)]
    for cut in reversed(cuts):
        if stem[:cut] in ids:
            return stem[:cut]
    return stem.split("-", 1)[0]


BACKUPS = "备份"  # a month folder's own backups (--force) live in this folder of it, never among the workbooks
# what releases before 0.3.0 named a backup beside the workbooks (the upgrade moves them into 备份/)
LEGACY_BACKUP = re.compile(r"\.bak-\d{8}-\d{6}(?:-\d+)?\.xlsx$")


def month_workbooks(folder: Path) -> list[Path]:
    """The employee workbooks of a month folder: the regular ``.xlsx`` files in it (not the summary, reports or
    Excel's lock files; backups are in 备份/). A link or anything else that is not a regular file is never
    read (:func:`strange_files` names them)."""
    return sorted(p for p in folder.glob("*.xlsx")
                  if _regular(p) and not p.name.startswith(("~$", SUMMARY_PREFIX, REPORT_PREFIX, ".")))


def strange_files(folder: Path) -> list[Path]:
    """``.xlsx`` names in a month folder that are not regular files: a link (which may lead out of the
    workspace), a FIFO (reading it would wait forever), a folder."""
    return sorted(p for p in folder.glob("*.xlsx") if not _regular(p) and not p.name.startswith("~$"))


def strange_problem(path: Path, employee: str | None = None) -> Problem:
    what = "链接" if path.is_symlink() else "文件夹" if path.is_dir() else "特殊文件（如管道）"
    return Problem("not_a_file", f"{path.name}是{what}，不是普通文件，不读取；请换成工作簿文件本身 / not a regular file "
                   "(a link, folder or pipe): not read; put the workbook itself there", file=str(path), employee=employee)


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def backup_name(path: Path) -> Path:
    """``备份/<name>-<time>.xlsx`` beside the workbook, never one that exists already (two --force runs in one
    second)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = path.parent / BACKUPS
    folder.mkdir(exist_ok=True)
    backup, n = folder / f"{path.stem}-{stamp}.xlsx", 1
    while backup.exists():
        n += 1
        backup = folder / f"{path.stem}-{stamp}-{n}.xlsx"
    return backup
