"""What every rule type shares: the inputs it scores, the cells that stand for them, the base class.

Rule types: each knows its points, its Excel formula, its explanation.

One class per rule type, and each class holds, side by side, the three
things that must never drift apart:

* ``points(inputs)``: the score in Python (the reference);
* ``formula(refs)``: the Excel formula computing the same points from cells
  (classic functions only, so Excel, WPS and LibreOffice 7.4 all agree);
* ``explain(inputs)`` / ``describe()``: the same rule in Chinese words, and
  ``explain_formula(refs, points)``: the text formula that writes the same
  explanation in the sheet (numbers as the cells show them, two decimals).

A rule is also a compact text (``bands(<2500:0; [2500,3000):3; >=3000:5)``),
the form a workbook cell holds and a UDF parses; ``to_text`` and
:func:`parse_rule` are inverses.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from ..numbers import num, round_float, snap

RATER_NAMES = {"self": "自评", "supervisor": "主管评定", "committee": "考核小组", "cross": "跨团队"}
GROUP_NAMES = RATER_NAMES | {"others": "他评"}  # 他评: the groups other than 自评, weighted (an item workbook's cell)


class InputError(ValueError):
    """An input a rule cannot score; the message is ``中文 / English``."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Inputs:
    """What one rule is applied to. For adjustments ``actual`` is the count (or rank)."""

    actual: float | None
    target: float | None = None
    baseline: float | None = None
    chosen: float | None = None  # points HR picked within a range

    def __post_init__(self):
        # compared as a spreadsheet compares them: at 15 significant digits
        for name in ("actual", "target", "baseline", "chosen"):
            value = getattr(self, name)
            if isinstance(value, float):
                object.__setattr__(self, name, snap(value))


@dataclass(frozen=True)
class Refs:
    """Cell references (or expressions) that stand for :class:`Inputs` in a formula."""

    actual: str
    target: str | None = None
    baseline: str | None = None
    chosen: str | None = None


def fmt(x: float, unit: str = "") -> str:
    """A plan's constant as a person reads it; percent metrics are fractions shown as %."""
    if unit == "%":
        return num(round(x * 100, 9)) + "%"
    return num(x) + unit


def shown(x: float, unit: str = "") -> str:
    """A measured value as its cell shows it (two decimals, no trailing zeros): the text of
    ``ROUND(x,2)&""`` in Excel and LibreOffice; percent metrics as ``ROUND(x*100,2)&"%"``."""
    if unit == "%":
        return num(round_float(x * 100, 2)) + "%"
    return num(round_float(x, 2)) + unit


def shown_expr(expr: str, unit: str = "") -> str:
    """The Excel spelling of :func:`shown`: a text expression."""
    if unit == "%":
        return f'ROUND({expr}*100,2)&"%"'
    return f"ROUND({expr},2)" + (f"&{text(unit)}" if unit else '&""')


def in_unit(v, unit: str) -> str:
    """A number of the metric's unit as the rule text shows it: 0.01 of a percent metric is 1%."""
    if unit == "%" and isinstance(v, (int, float)) and not isinstance(v, bool):
        return num(snap(v * 100)) + "%"
    return num(v) if isinstance(v, (int, float)) else str(v)


def text(s: str) -> str:
    """A string literal in a formula."""
    return '"' + s.replace('"', '""') + '"'


def _need(value: float | None, zh: str, en: str) -> float:
    if value is None:
        raise InputError(f"缺少{zh}", f"{en} is missing")
    return value


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    needs: ClassVar[tuple[str, ...]] = ()  # inputs besides actual: "target", "baseline", "chosen"

    def points(self, x: Inputs) -> float:
        raise NotImplementedError

    def formula(self, r: Refs) -> str:
        raise NotImplementedError

    def explain(self, x: Inputs, unit: str = "") -> str:
        raise NotImplementedError

    def explain_formula(self, r: Refs, points: str, unit: str = "") -> str:
        """A text expression giving ``explain`` from the cells; ``points`` is the cell of the points."""
        raise NotImplementedError

    def describe(self, unit: str = "") -> str:
        raise NotImplementedError

    def max_points(self) -> float:
        raise NotImplementedError

    def _params(self) -> list[tuple[str, object]]:
        """``key=value`` pairs of the text form, defaults left out."""
        out = []
        for name, info in type(self).model_fields.items():
            value = getattr(self, name)
            if name != "type" and value != info.default:
                out.append((name, value))
        return out

    # params in the metric's own unit: a percent metric's are written as HR writes them (per=1%, not per=0.01)
    UNIT_PARAMS: ClassVar[tuple[str, ...]] = ()

    def to_text(self, unit: str = "") -> str:
        body = ", ".join(f"{k}={in_unit(v, unit) if k in self.UNIT_PARAMS else num(v) if isinstance(v, (int, float)) else v}"
                         for k, v in self._params())
        return f"{self.type}({body})"
