"""Numbers as people type them: ``3,199``, ``4.8万``, ``2W``, ``1.2千``, ``69秒``, ``87%``, ``８７％``.

Platform exports and cells typed as text carry thousands separators, the 万/千 multipliers,
units and full-width characters. Each form becomes its exact number (decimal arithmetic, so
``4.8万`` is 48000, not 47999.99…); anything else is refused with a message saying why.
Count metrics (条, 次, 个, 篇, 人 …) take whole numbers only.
"""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from .numbers import MAX_NUMBER

# units whose values are counted, never measured: a whole number or nothing
COUNT_UNITS = frozenset("条 次 个 篇 人 件 项 单 名 位 家 张 本 期 场 场次 台 套".split())
MULTIPLIERS = {"万": Decimal(10000), "w": Decimal(10000), "千": Decimal(1000), "k": Decimal(1000),
               "亿": Decimal(100000000)}
# other spellings of a unit after the number (the unit itself always works)
UNIT_ALIASES = {"秒": ("s", "sec", "秒钟"), "分钟": ("min", "分"), "元": ("块", "rmb"), "小时": ("h", "时")}
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")  # exports may write 1.5E+05
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


class TypedNumberError(ValueError):
    """Why a text is not a number; the message is ``中文 / English``, ``reason`` the Chinese reason alone
    (for "回复条数" + reason)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def is_count(unit: str) -> bool:
    return unit in COUNT_UNITS


def _strip_unit(s: str, unit: str) -> str:
    for u in sorted((unit, *UNIT_ALIASES.get(unit, ())), key=len, reverse=True):
        if u and s.lower().endswith(u.lower()):
            return s[: -len(u)].rstrip()
    return s


def parse_typed(text: str, unit: str = "") -> tuple[Decimal, bool]:
    """(the number, whether it was written with %) of a text as a person typed it.
    ``unit`` is the metric's unit, which may follow the number (``69秒``, ``4.8万元``)."""
    raw = text
    s = unicodedata.normalize("NFKC", str(text)).strip().replace(" ", "").replace("−", "-")
    if unit in ("元", ""):
        s = s.lstrip("¥")
    if unit and unit != "%":
        s = _strip_unit(s, unit)
    pct = s.endswith("%")
    if pct:
        s = s[:-1]
    factor = MULTIPLIERS.get(s[-1:].lower(), Decimal(1)) if s else Decimal(1)
    if factor != 1:
        s = s[:-1]
    if "," in s:
        if not _GROUPED.fullmatch(s):
            raise TypedNumberError(f"“{raw}”的逗号不是千位分隔（应写成3,199或3199） / “{raw}”: commas must group "
                                   f"thousands (3,199), not mark decimals", f"不是数字：“{raw}”（逗号只能分隔千位）")
        s = s.replace(",", "")
    if not _NUMBER.fullmatch(s):
        raise TypedNumberError(f"“{raw}”不是数字 / “{raw}” is not a number", f"不是数字：“{raw}”")
    try:
        value = Decimal(s) * factor
    except InvalidOperation:
        raise TypedNumberError(f"“{raw}”不是数字 / “{raw}” is not a number", f"不是数字：“{raw}”") from None
    return (value / 100 if pct else value), pct


def typed_number(value, unit: str = "") -> float:
    """A cell or field value as a number: numbers as they are, texts through :func:`parse_typed`;
    ``%`` only on percent metrics."""
    if isinstance(value, bool):
        raise TypedNumberError(f"“{value}”不是数字 / “{value}” is not a number", f"不是数字：“{value}”")
    if isinstance(value, (int, float, Decimal)):
        return _bounded(float(value), value)
    number, pct = parse_typed(value, unit)
    if pct and unit != "%":
        raise TypedNumberError(f"“{value}”带%, 但此项不是百分比指标 / “{value}” has a %, but this is not a percent "
                               f"metric", f"不是数字：“{value}”（此项不是百分比指标）")
    return _bounded(float(number), value)


def _bounded(x: float, typed) -> float:
    """No NaN, no infinity, nothing beyond what money and counts can mean (±1e15, 15 significant digits)."""
    if not math.isfinite(x):
        raise TypedNumberError(f"“{typed}”不是有限数字 / “{typed}” is not a finite number", "不是有限数字")
    if abs(x) > MAX_NUMBER:
        raise TypedNumberError(f"“{typed}”超出允许范围（绝对值不超过1e15） / “{typed}” is beyond ±1e15",
                               f"{typed}超出允许范围（绝对值不超过1e15）")
    return x
