"""What every sheet of the monthly form shares: where things are (the rule column, the 加减分 log's rows),
the slots filled per employee, defined names, and the yellow input cells with their validation."""
from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Protection
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ..core.numbers import num
from ..core.plan import Metric
from . import texts
from .style import BOX, INPUT_FILL, head

ADJ_ROWS = 30  # rows of the 加减分 log


UNLOCKED = Protection(locked=False)


WRAP = Alignment(wrap_text=True, vertical="center")


META_SHEET = "_xl_kpi"


TYPED_PREFIXES = ("actual_", "week", "rating_", "input_", "poolpts_")  # names of cells a person may type in


RULE_COLUMN = "I"  # 考核表: the column holding each metric's rule text (hidden: it prints in words in J)


COMMISSION_RULE = f"{RULE_COLUMN}3"


# 加减分 log columns a person fills: column → (field, kind)
ADJ_COLUMNS = {"A": ("date", "text"), "B": ("item", "text"), "C": ("count", "number"),
               "D": ("chosen", "number"), "F": ("note", "text")}


@dataclass(frozen=True)
class Slot:
    sheet: str
    coord: str
    kind: str = "text"  # text or number
    typed: bool = False  # a person's input, kept on regeneration


@dataclass
class Layout:
    workbook: Workbook
    slots: dict[str, Slot] = field(default_factory=dict)

    def slot(self, key: str, ws, coord: str, kind: str = "text", typed: bool = False):
        self.slots[key] = Slot(ws.title, coord, kind, typed)
        ws[coord] = "§"  # a placeholder so the cell is written; derive replaces it
        return ws[coord]


def number_format(m_unit: str) -> str:
    return "0.00%" if m_unit == "%" else "General"


def define_name(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"'{sheet}'!{absolute(ref)}")


def absolute(ref: str) -> str:
    def one(c):
        col = "".join(ch for ch in c if ch.isalpha())
        return f"${col}${c[len(col):]}"
    return ":".join(one(c) for c in ref.split(":"))


def boxed_head(ws, row: int, labels: list[str], col: int = 1) -> None:
    head(ws, row, labels, col, boxed=True)


def input_cell(cell, m: Metric | None = None) -> None:
    cell.fill, cell.protection, cell.border = INPUT_FILL, UNLOCKED, BOX
    if m is not None:
        cell.number_format = number_format(m.unit)


def add_validation(ws, coord: str, lo, hi, unit: str, label: str, title: str, whole: bool = False) -> None:
    """Decimal (or whole) between lo and hi, with an input message saying the unit and range."""
    def shown(x):
        return f"{num(x * 100)}%" if unit == "%" else num(x)

    kind = "whole" if whole else "decimal"
    if whole and lo is None and hi is None:
        dv = DataValidation(type=kind, operator="between", formula1="-999999999999999", formula2="999999999999999")
    elif lo is not None and hi is not None:
        dv = DataValidation(type=kind, operator="between", formula1=num(lo), formula2=num(hi))
    elif lo is not None:
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=num(lo))
    elif hi is not None:
        dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=num(hi))
    else:
        dv = DataValidation(type=kind, operator="between", formula1="-1E+300", formula2="1E+300")
    if lo is not None and hi is not None:
        span = texts.phrase("range_between", lo=shown(lo), hi=shown(hi))
    elif lo is not None or hi is not None:
        span = texts.phrase("range_min", lo=shown(lo)) if lo is not None else texts.phrase("range_max", hi=shown(hi))
    else:
        span = ""
    words = dict(label=label, unit="百分比，如87%" if unit == "%" else unit, range=span, whole=whole)
    dv.promptTitle, dv.prompt = title, texts.phrase("input_prompt", **words)[:255]
    dv.errorTitle, dv.error = texts.phrase("input_error_title"), texts.phrase("input_error", **words)[:255]
    dv.showInputMessage = dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(coord)
