"""``xl-kpi import``: every kind of file HR imports, in one registry. The file is read once: its header says
which kind it is (the first kind below that recognises it), and that kind reads the rows, checks them,
records them in HR's record and writes the workbooks. A new kind is a module here and a line in KINDS."""
from __future__ import annotations

from pathlib import Path

from ...core.errors import KpiError, Problem
from ...core.plan import Plan
from ...store import open_store
from ...store.trail import record_import, snapshot
from ...workspace import Workspace
from ...workspace.months import employee_of, month_workbooks
from ...workspace.roster import Employee
from ..closed import refuse_if_closed
from . import actuals, adjustments, figures, pools, returned
from .kinds import ImportJob, ImportKind, ImportReport
from .table import Source, load_mapping

KINDS: list[ImportKind] = [returned.KIND, adjustments.KIND, figures.KIND, pools.KIND, actuals.LONG, actuals.TARGETS_KIND,
                           actuals.WIDE_KIND]

__all__ = ["KINDS", "ImportReport", "classify", "import_file"]


def classify(source: Source, job: ImportJob) -> ImportKind:
    """The kind of an opened file, or one message listing every kind and its columns."""
    for kind in KINDS:
        if kind.recognise(source, job):
            return kind
    listed = "；".join(f"{k.name}：{k.shown}" for k in KINDS)
    raise KpiError([Problem("import_unrecognised", f"无法识别要导入的是哪一种文件（表头：{'、'.join(source.names) or '空'}）。"
                            f"可导入的文件有 {listed}。表头不同时可在 mapping.yaml 的 columns 中改名 / cannot tell which kind of "
                            f"file this is (headers: {', '.join(source.names)}); see the kinds above, or rename headers in "
                            f"mapping.yaml", file=source.file, line=1)])


def import_file(ws: Workspace, plan: Plan, roster: list[Employee], file: Path, month: str, mode: str = "native",
                skip_bad: bool = False, jobs: int = 1, progress=None) -> ImportReport:
    """Import one file of any kind into the month (all its rows good, or nothing unless ``skip_bad``), and
    record in the audit trail every value of HR's record it changed."""
    refuse_if_closed(ws, month, "导入数据")
    store = open_store(ws.root)
    before = snapshot(store, month)
    columns, metrics = load_mapping(ws)
    job = ImportJob(ws, plan, roster, Path(file), month, mode, skip_bad, jobs, progress, columns, metrics)
    source = Source(Path(file), columns)
    try:
        report = classify(source, job).run(job, source)
    finally:
        source.close()
    ids = {e.id for e in roster}
    record_import(store, month, before, file, {employee_of(p.stem, ids): p for p in month_workbooks(ws.month_dir(month))})
    return report
