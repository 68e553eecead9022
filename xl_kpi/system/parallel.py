"""Employees spread over worker processes (stdlib ``concurrent.futures``): a step's per-employee work
runs in chunks of the roster, and the results come back in roster order, so the output is the same
whatever the number of workers. A failure is reported with its employee; a worker that dies is
reported with the employees it held, never a hung pool."""
from __future__ import annotations

import ctypes
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Callable, Iterator, Sequence

from ..core.errors import KpiError, Problem

CHUNKS_PER_JOB = 4  # small enough to balance the workers, large enough that each builds its templates once
MAX_CHUNK = 500  # a part's results cross to the parent together: bounded, so memory does not grow with the roster


def max_jobs() -> int:
    """The most workers a step uses: one per core (more only wait for each other and multiply memory)."""
    return default_jobs()


def default_jobs() -> int:
    """One worker per core the process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # Windows, macOS
        return max(1, os.cpu_count() or 1)


def chunks(items: Sequence, jobs: int) -> list[list]:
    """The items in consecutive runs, about CHUNKS_PER_JOB a worker and at most MAX_CHUNK each."""
    if not items:
        return []
    n = max(1, min(len(items), jobs * CHUNKS_PER_JOB))
    size = min(-(-len(items) // n), MAX_CHUNK)
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


_shared = None  # in a worker process: what every part of the step needs (the plan, the roster, …)


def _share(shared, parent: int) -> None:
    global _shared
    _die_with(parent)
    _shared = shared


def _die_with(parent: int) -> None:
    """A worker ends the moment its parent does: it must write nothing after the command was killed (the
    workspace's lock went with the parent). Linux kills it through the kernel (PR_SET_PDEATHSIG); elsewhere a
    watcher thread looks for the parent twice a second."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG
            if os.getppid() != parent:  # the parent died before the request took hold
                os._exit(1)
            return
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _with_shared(work: Callable, part):
    return work(_shared, part)


def run(work: Callable, parts: list, jobs: int, progress: Callable | None = None, label=str, shared=None) -> Iterator:
    """``work(shared, part)`` for every part, on ``jobs`` processes (in this one when jobs is 1), yielded
    in the parts' order as soon as each is due, so a caller can stream them. ``shared`` goes to each worker
    once, not with every part (a roster of 100,000 is megabytes). ``progress(n)`` is told how many items
    each finished part held. A dead worker: every part that did finish is still yielded, then a KpiError
    names the employees (``label(part)``) of the parts that did not."""
    if jobs <= 1 or len(parts) <= 1:
        for part in parts:
            yield work(shared, part)
            if progress:
                progress(len(part))
        return
    done: dict[int, object] = {}  # finished out of order, waiting for their turn
    lost: list[int] = []  # parts whose worker died (one dead worker breaks the whole pool)
    due = 0
    with ProcessPoolExecutor(max_workers=min(jobs, len(parts)), initializer=_share,
                             initargs=(shared, os.getpid())) as pool:
        futures = {pool.submit(_with_shared, work, part): i for i, part in enumerate(parts)}
        for future in as_completed(futures):
            i = futures.pop(future)
            try:
                done[i] = future.result()
            except BrokenProcessPool:
                lost.append(i)
                continue
            if progress:
                progress(len(parts[i]))
            while due in done and not lost:
                yield done.pop(due)
                due += 1
    yield from (done[i] for i in sorted(done))
    if lost:
        held = "、".join(label(parts[i]) for i in sorted(lost))
        raise KpiError([Problem("worker_died", f"工作进程意外退出（内存不足？），未完成：{held}；可用 --jobs 1 重试 / a worker "
                                f"process died (out of memory?) and these were not done: {held}; try --jobs 1")])


def employees(part) -> str:
    """工号 of a part's first and last employee, for a message."""
    ids = [_employee_id(x) for x in (part[0], part[-1])]
    return ids[0] if ids[0] == ids[1] else f"{ids[0]}–{ids[1]}"


def _employee_id(item) -> str:
    """The 工号 of a part's item: an employee, a scored month, or a tuple led by either."""
    for x in (item, item[0] if isinstance(item, tuple) and item else None):
        x = getattr(x, "employee", x)
        if getattr(x, "id", None):
            return x.id
    return str(item)
