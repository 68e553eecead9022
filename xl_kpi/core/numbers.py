"""Spreadsheet-compatible arithmetic.

Excel, WPS and LibreOffice round half away from zero, and compare and show
numbers at 15 significant digits: ``INT(0.29*100)`` is 29 there while Python's
``int`` gives 28, ``75.00000000000001 <= 75`` is TRUE in a cell, and
``1.4+20.2+15.5+2.9`` is 40. Every comparison, floor and rounding the engine
does goes through here (:func:`snap` first), and the Excel formulas compiled
by the rules use the matching spelling (:func:`floor_expr`), so both sides
snap binary noise away in the same way.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

# Digits kept before flooring: 1e-9 is far below any step a plan uses and far
# above binary noise, and ROUND(x, 9) means the same in Excel, LibreOffice and here.
SNAP_DIGITS = 9
CENT = Decimal("0.01")


SIGNIFICANT_DIGITS = 15
# Beyond this no number means money or a count, and 15 significant digits no longer reach the cent.
MAX_NUMBER = 1e15


def snap(x: float) -> float:
    """``x`` as a spreadsheet compares and shows it: rounded to 15 significant digits.
    Every comparison in the engine takes its operands through here."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(format(x, ".15g"))


def fsum_snapped(values) -> float:
    """A spreadsheet's SUM: the exact sum, as the cell then compares and shows it."""
    return snap(math.fsum(values))


def to_decimal(x: float | int | Decimal) -> Decimal:
    """The decimal a spreadsheet shows for ``x`` (15 significant digits)."""
    if isinstance(x, Decimal):
        return x
    return Decimal(format(x, ".15g"))


def round_half_up(x: float | int | Decimal, digits: int = 0) -> Decimal:
    """Excel's ROUND: half away from zero, on the 15-digit value."""
    return to_decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def round_float(x: float, digits: int) -> float:
    return float(round_half_up(x, digits))


def floor_tol(x: float) -> int:
    """``INT(ROUND(x, 9))``: floor that tolerates binary error."""
    return math.floor(round_half_up(x, SNAP_DIGITS))


def floor_expr(expr: str) -> str:
    """The Excel spelling of :func:`floor_tol`."""
    return f"INT(ROUND({expr},{SNAP_DIGITS}))"


def money(x: float | int | Decimal) -> Decimal:
    """Round money to the cent like Excel's ROUND(x, 2)."""
    return round_half_up(x, 2)


def clamp(x: float, lo: float | None, hi: float | None) -> float:
    """MIN(hi, MAX(lo, x)), comparing as a spreadsheet does."""
    x = snap(x)
    if lo is not None and x < lo:
        return lo
    if hi is not None and x > hi:
        return hi
    return x


def num(x: float) -> str:
    """A number as a formula literal or in a sentence: 0.1, 2500, 1e-05 avoided."""
    if isinstance(x, Decimal):
        x = float(x)
    if float(x).is_integer():
        return str(int(x))
    text = format(x, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text
