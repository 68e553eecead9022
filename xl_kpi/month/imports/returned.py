"""A workbook returned late: the employee filled the file they had (perhaps one an earlier release wrote,
before the month was regenerated) and sent it back. Imported, it is read by its own defined names; the
values its filler owns (what they type: actuals not imported, weekly figures, 原始数据, their own 加减分 rows)
are merged into the month's workbook. A value that differs from one the month's workbook already holds, or
from what HR imported, is refused with the cell and both values: nothing is overwritten."""
from __future__ import annotations

import zipfile
from pathlib import Path

from ...core.errors import KpiError, Problem
from ...core.numbers import num
from ...store import open_store
from ...store.audit import file_digest
from ...workbook.cells import META_SHEET, TYPED_PREFIXES
from ...workbook.reader import WorkbookData, employee_inputs, read_workbook, written_by
from ...workspace.months import workbook_path
from ..generate import write_values
from ..generator import Generator
from ..ownership import same_number
from .adjustments import log_values
from .kinds import ImportJob, ImportKind, ImportReport
from .table import Source


def _is_form(source: Source, job: ImportJob) -> bool:
    """An xlsx with xl_kpi's hidden sheet: one of the month's own workbooks, not a table of values."""
    try:
        with zipfile.ZipFile(source.path) as z:
            return f'name="{META_SHEET}"'.encode() in z.read("xl/workbook.xml")
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def merge_returned(job: ImportJob, source: Source) -> ImportReport:
    path = job.file
    data = _read(path)
    emp, month = str(data.meta.get("meta_employee") or ""), str(data.meta.get("meta_month") or "")
    people = {e.id: e for e in job.roster}
    if month != job.month:
        raise _refused(path, f"这是{month or '未知月份'}的工作簿，不是{job.month}的；请用 --month {month} 导入 / a workbook "
                             f"of {month or 'an unknown month'}, not {job.month}")
    if emp not in people:
        raise _refused(path, f"工作簿属于不在花名册上的“{emp}” / the workbook is {emp}'s, who is not on the roster")
    e = people[emp]
    current_path = workbook_path(job.ws, job.month, e)
    gen = Generator(job.ws, job.plan, job.month, roster=job.roster, people={emp})
    current = gen.read(current_path, e) if current_path.exists() else None
    if current_path.exists() and current is None:
        raise _refused(current_path, "本月的工作簿无法读取，不能合并 / the month's workbook cannot be read")
    imported = open_store(job.ws.root).imported(job.month, employee=emp).get(emp, {})
    slots = gen.template(e.role).slots
    merged, problems = {}, []
    for name, value in data.values.items():
        if value is None or not name.startswith(TYPED_PREFIXES) or name not in slots or not slots[name].typed:
            continue
        ours = current.values.get(name) if current is not None else None
        owner = imported.get(name)
        if owner is not None and not same_number(value, owner.value):
            problems.append(_conflict(data, name, value, owner.value, f"人力资源部导入（{Path(owner.source).name}:"
                                      f"{owner.line}）"))
        elif ours is None and owner is None:
            merged[name] = value
        elif ours is not None and not _same(ours, value):
            problems.append(_conflict(data, name, value, ours, f"本月工作簿{current.where(name)[1]}"))
    rows = _form_rows(job, data, e.role)
    if rows:
        ours = _form_rows(job, current, e.role) if current is not None else []
        if ours and ours != rows:
            problems.append(_refused_problem(path, "退回的工作簿与本月工作簿的自填加减分不同；请在本月工作簿中改正 / its own "
                                                   "加减分 rows differ from the month's workbook"))
        elif not ours:
            hr = [a for a in employee_inputs(current, job.plan, e.role)[0].adjustments] if current is not None else []
            merged.update(log_values(job.plan, [a for a in hr if a not in rows] + rows))
    if problems:
        raise KpiError(problems)
    report = ImportReport(rows=len(merged), employees=1 if merged else 0)
    if merged:
        write_values(job.ws, job.plan, job.roster, job.month, {emp: merged}, job.mode, report.generate,
                     jobs=1)
        open_store(job.ws.root).audit(f"import {path.name}", [
            (job.month, emp, f"{name}（退回的工作簿，版本{written_by(data)}）", "", value, file_digest(current_path))
            for name, value in merged.items() if not name.startswith("adj_")])
    return report


def _read(path: Path) -> WorkbookData:
    try:
        return read_workbook(path)
    except Exception as exc:
        raise _refused(path, f"工作簿无法读取：{exc} / cannot read the workbook") from None


def _form_rows(job: ImportJob, data: WorkbookData, role: str) -> list:
    """The 加减分 rows of items the filler enters on their own form."""
    x, _ = employee_inputs(data, job.plan, role)
    return [a for a in x.adjustments if a.item in {i.id for i in job.plan.adjustments}
            and job.plan.adjustment(a.item).entered_by == "form"]


def _same(a, b) -> bool:
    return same_number(a, b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) else str(a) == str(b)


def _conflict(data: WorkbookData, name: str, value, other, where: str) -> Problem:
    sheet, cell = data.where(name) or (None, None)
    value, other = _shown(value), _shown(other)
    return Problem("returned_conflict", f"退回的工作簿中{sheet}!{cell}为{value}，{where}为{other}；未合并。请确认后在本月"
                   f"工作簿中改正，再重新导入 / the returned workbook holds {value} where the month already has {other}",
                   file=str(data.path), sheet=sheet, cell=cell)


def _shown(v) -> str:
    return num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else f"“{v}”"


def _refused_problem(path: Path, message: str) -> Problem:
    return Problem("returned_refused", message, file=str(path))


def _refused(path: Path, message: str) -> KpiError:
    return KpiError([_refused_problem(path, message)])


KIND = ImportKind("退回的工作簿（本月考核表）", {}, "xl_kpi 生成的考核表（.xlsx，含隐藏的 _xl_kpi 表），合并其中本人填写的值",
                  _is_form, merge_returned)
