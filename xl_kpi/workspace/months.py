"""The month folders (``workbooks/YYYY-MM/``): each employee's workbook, whose a file is, which files are
workbooks at all, and the name of a backup."""
from __future__ import annotations

import datetime as dt
import functools
import os
from pathlib import Path

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


def month_workbooks(folder: Path) -> list[Path]:
    """The employee workbooks of a month folder (not backups, summaries, reports or Excel's lock files)."""
    return sorted(p for p in folder.glob("*.xlsx")
                  if not p.name.startswith(("~$", SUMMARY_PREFIX, REPORT_PREFIX, ".")) and ".bak-" not in p.name)


def backup_name(path: Path) -> Path:
    """``<name>.bak-<time>.xlsx``, never one that exists already (two --force runs in one second)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup, n = path.with_name(f"{path.stem}.bak-{stamp}.xlsx"), 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.stem}.bak-{stamp}-{n}.xlsx")
    return backup
