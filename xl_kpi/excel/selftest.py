"""``xl-kpi addin selftest``: the first run in a real Excel made to count. ``自检.xlsx`` opened in HR's Excel
with the add-in checks what only Excel can show (the add-in loads, its functions compute right after the
file opens without re-entering a cell, the config is read, the ribbon reaches Python, a saved workbook's
formulas read back unchanged, Excel rather than WPS), writes each result with its evidence into the
workbook and saves it; HR mails it back and ``--read`` gives the verdict. The add-in's part is the VBA
module XlKpiSelfTest (templates/addin), Python's part ``selftest`` below (run by the add-in via RunPython).
"""
from __future__ import annotations

import io
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment

from .. import __version__
from ..core.errors import KpiError, Problem
from ..workbook.cells import META_SHEET
from ..workbook.derive import stable_bytes
from ..workbook.formulas import workbook_formulas
from ..workbook.style import BOLD, box, fit_row, head, print_a4, put
from . import udfs

FILE_NAME = "自检.xlsx"
SHEET, FUNCTIONS = "自检", "函数"
PASS, FAIL, NOT_RUN = "通过", "未通过", "未运行"
# (id, what HR reads, what to do when it fails): the add-in finds a check's row by its id in column E
CHECKS = (
    ("loaded", "加载项已加载", "Excel 没有加载 xl_kpi.xlam：运行 xl-kpi addin install，再重新打开 Excel"),
    ("host", "由 Microsoft Excel 打开（不是 WPS），版本与位数",
     "用 Excel 打开（右键 → 打开方式 → Excel）；WPS 不能运行加载项"),
    ("udfs", "加载项函数在打开后即可计算，无需重新输入", "运行 xl-kpi addin doctor；仍不通过时把本文件发给系统管理员"),
    ("config", "加载项读到配置文件", "运行 xl-kpi addin install（配置文件的位置见 xl-kpi addin doctor）"),
    ("python", "功能区按钮能调用 Python", "运行 xl-kpi addin doctor，检查加载项使用的 Python"),
    ("saved", "Excel 保存后的公式不被判为改动", "把本文件发给系统管理员"),
)
FIRST_ROW = 3
STAMP_ROW = FIRST_ROW + len(CHECKS) + 1  # when the add-in ran the checks
# the add-in functions tried: formula, the value it must show (worked out by the same engine in Python)
GRADES = [["优秀", 90, 1.2], ["良好", 80, 1], ["一般", 60, 0.8], ["不合格", 0, 0]]  # in E2:G5 of 函数
CALLS = (
    ('KPI_SCORE(95,"ratio(max=10)",100)', lambda: udfs.KPI_SCORE(95, "ratio(max=10)", 100)),
    ("KPI_GRADE(86,$E$2:$G$5)", lambda: udfs.KPI_GRADE(86, GRADES)),
    ("KPI_PAY(3000,1.2)", lambda: udfs.KPI_PAY(3000, 1.2)),
)


def build() -> bytes:
    """The 自检.xlsx HR opens in Excel with the add-in: every check 未运行 until the add-in runs them."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    put(ws, 1, 1, f"xl_kpi 加载项自检（xl_kpi {__version__}）：用装有加载项的 Excel 打开本文件，等待提示后保存，发回人力资源部").font = BOLD
    head(ws, 2, ["项目", "结果", "证据", "未通过时"])
    widths = dict(zip("ABCD", (46, 10, 60, 50)))
    for col, width in widths.items():
        ws.column_dimensions[col].width = width
    for i, (key, label, fix) in enumerate(CHECKS):
        r = FIRST_ROW + i
        for col, value in enumerate((label, NOT_RUN, "", fix, key), start=1):
            put(ws, r, col, value).alignment = Alignment(wrap_text=True, vertical="top")
        fit_row(ws, r, {1: widths["A"], 4: widths["D"]})
    box(ws, 2, 1, FIRST_ROW + len(CHECKS) - 1, 4)
    put(ws, STAMP_ROW, 1, "运行时间")
    ws.column_dimensions["E"].hidden = True  # the ids the add-in looks for
    print_a4(ws)  # landscape, the four columns on one page
    fs = wb.create_sheet(FUNCTIONS)
    head(fs, 1, ["公式", "应得", "实得", "", "等级", "最低分", "系数"])
    for i, (formula, value) in enumerate(CALLS, start=2):
        put(fs, i, 1, formula)  # shown as text
        put(fs, i, 2, value())
        fs.cell(i, 3).value = "=" + formula  # #NAME? until the add-in's functions bind
    for r, row in enumerate(GRADES, start=2):
        for c, value in enumerate(row, start=5):
            fs.cell(r, c, value)
    fs.column_dimensions["A"].width = 40
    meta = wb.create_sheet(META_SHEET)
    for r, (k, v) in enumerate((("meta_mode", "udf"), ("meta_selftest", "1"), ("meta_version", __version__)), start=1):
        meta.cell(r, 1, k)
        meta.cell(r, 2, v)
    meta.sheet_state = "veryHidden"
    buf = io.BytesIO()
    wb.save(buf)
    return stable_bytes(buf.getvalue())


def expected_formulas() -> dict[tuple[str, str], str]:
    """(sheet, cell) → the add-in formula 自检.xlsx carries there."""
    return {(FUNCTIONS, f"C{i}"): formula for i, (formula, _) in enumerate(CALLS, start=2)}


# ---------------------------------------------------------------- run by the add-in (RunPython)

def selftest(book, save_copy=None) -> None:
    """Python's part, called by the add-in's self-test: Python answers (its version and place), and a copy
    Excel saves of this workbook has the formulas xl_kpi wrote (``save_copy(path)``: Excel's SaveCopyAs)."""
    sheet = book.sheets[SHEET]
    _put(sheet, "python", PASS, f"Python {sys.version.split()[0]}，xl_kpi {__version__}，{sys.executable}")
    save_copy = save_copy or (lambda path: book.api.SaveCopyAs(str(path)))
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / FILE_NAME
        try:
            save_copy(copy)
            found = workbook_formulas(copy)  # read as the payroll's check reads a returned workbook
        except Exception as exc:  # whatever Excel or the file says: it is the evidence
            _put(sheet, "saved", FAIL, f"无法保存或读取副本：{exc}")
            return
    changed = [f"{s}!{c}" for (s, c), f in expected_formulas().items() if not found.same((s, c), f)]
    _put(sheet, "saved", FAIL if changed else PASS,
         f"公式被判为改动：{'、'.join(changed)}" if changed else f"{len(expected_formulas())}个加载项公式保存后与生成时相同")


def selftest_caller(book=None) -> None:
    """``RunPython "import xl_kpi.addin as a; a.selftest()"``: the calling workbook."""
    import xlwings as xw

    selftest(book or xw.Book.caller())


def _put(sheet, key: str, result: str, evidence: str) -> None:
    row = FIRST_ROW + [k for k, *_ in CHECKS].index(key)
    sheet.range(f"B{row}").value = result
    sheet.range(f"C{row}").value = evidence


# ---------------------------------------------------------------- read back at HR's desk

@dataclass
class Result:
    label: str
    result: str
    evidence: str
    fix: str

    @property
    def passed(self) -> bool:
        return self.result == PASS


def read(path: Path) -> tuple[list[Result], str]:
    """Each check of a returned 自检.xlsx and when the add-in ran them; KpiError for a file that is not one."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        rows = list(wb[SHEET].iter_rows(min_row=1, max_row=STAMP_ROW, max_col=5, values_only=True))
    except Exception as exc:  # not a workbook, or not 自检.xlsx
        raise KpiError([Problem("selftest_unreadable", f"不是 xl-kpi addin selftest 生成的自检文件：{exc} / not a "
                                "self-test workbook", file=str(path))]) from None
    found = {row[4]: row for row in rows[FIRST_ROW - 1:] if len(row) >= 5 and row[4]}
    if set(found) != {k for k, *_ in CHECKS}:
        raise KpiError([Problem("selftest_unreadable", "自检表的项目不全，不是本版本生成的自检文件；请重新运行 xl-kpi addin "
                                "selftest / the self-test sheet lacks checks", file=str(path), sheet=SHEET)])
    results = [Result(label, str(found[key][1] or NOT_RUN), str(found[key][2] or ""), fix) for key, label, fix in CHECKS]
    stamp = rows[STAMP_ROW - 1][1] if len(rows) >= STAMP_ROW and len(rows[STAMP_ROW - 1]) > 1 else None
    return results, "" if stamp is None else str(stamp)


def verdict(results: list[Result], stamp: str) -> tuple[bool, list[str]]:
    """Whether every check passed, and the lines to print."""
    if all(r.result == NOT_RUN for r in results):
        return False, ["自检尚未运行：文件没有在装有 xl_kpi 加载项的 Excel 中打开过（或打开后没有保存）。请在 Excel 中打开，"
                       "等待“自检完成”的提示后保存再发回。 / the checks never ran: open it in Excel with the add-in, "
                       "wait for the message, save it and send it back"]
    lines = [f"{'✓' if r.passed else '✗'} {r.label}：{r.result}" + (f"（{r.evidence}）" if r.evidence else "")
             + ("" if r.passed else f"\n    处理：{r.fix}") for r in results]
    ok = all(r.passed for r in results)
    lines.append(("全部通过" if ok else f"{sum(not r.passed for r in results)}项未通过")
                 + (f"（运行于 {stamp}）" if stamp else "") + (" / all checks passed" if ok else " / some checks failed"))
    return ok, lines
