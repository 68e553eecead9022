"""One writer at a time: commands that write a month hold the workspace's lock.

Two runs at once (an import while generate rewrites the same workbooks) could each read a workbook
before the other wrote it, and one's values would be lost. The lock is the OS's own (filelock: fcntl
on POSIX, msvcrt on Windows), released if the process dies; a note beside it says who holds it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import socket
import sys
from pathlib import Path

from filelock import FileLock, Timeout

from ..core.errors import KpiError, Problem

LOCK, WHO = ".xl_kpi.lock", ".xl_kpi.lock.who"
WAIT_SECONDS = float(os.environ.get("XL_KPI_LOCK_WAIT", "10"))


def _holder() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name on some systems (a bare container): the pid still says who
        user = "?"
    command = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))
    return f"{user}@{socket.gethostname()} pid {os.getpid()}, {dt.datetime.now():%Y-%m-%d %H:%M:%S}: {command}"


@contextlib.contextmanager
def workspace_lock(root: Path, wait: float | None = None):
    """Hold the workspace's lock; after ``wait`` seconds, a KpiError saying who holds it."""
    root = Path(root)
    lock = FileLock(root / LOCK)
    try:
        lock.acquire(timeout=WAIT_SECONDS if wait is None else wait)
    except Timeout:
        try:
            who = (root / WHO).read_text(encoding="utf-8").strip()
        except OSError:
            who = "未知 / unknown"
        raise KpiError([Problem("workspace_busy", f"工作区正被另一个命令使用，请稍后再试；占用者：{who} / the workspace "
                                f"is in use by another command: {who}", file=str(root))]) from None
    try:
        (root / WHO).write_text(_holder(), encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            (root / WHO).unlink()
        lock.release()
