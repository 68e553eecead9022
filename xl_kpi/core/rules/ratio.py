"""``ratio``: completion against a target, clamped (完成率 × 满分)."""
from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..errors import bilingual
from ..numbers import clamp, num
from .base import InputError, Inputs, Refs, Rule, _need, fmt, shown, shown_expr


class Ratio(Rule):
    """完成率: max × clamp(actual / target, floor, ceil); for lower-is-better, target / actual."""

    type: Literal["ratio"] = "ratio"
    max: float = Field(gt=0)
    floor: float = Field(default=0, ge=0)
    ceil: float = Field(default=1, gt=0)
    dir: Literal["up", "down"] = "up"
    needs: ClassVar[tuple[str, ...]] = ("target",)

    @model_validator(mode="after")
    def _check(self):
        if self.floor > self.ceil:
            raise bilingual("rule_contradiction", "完成率下限{f}高于上限{c}",
                            "floor {f} is above ceiling {c}", f=num(self.floor), c=num(self.ceil))
        return self

    def _rate(self, x: Inputs) -> float:
        a, t = _need(x.actual, "实际值", "actual"), _need(x.target, "目标值", "target")
        if t <= 0:
            raise InputError("目标值必须大于0", "target must be above 0")
        if self.dir == "down" and a <= 0:
            return self.ceil
        rate = a / t if self.dir == "up" else t / a
        if not math.isfinite(rate):  # the sheet's division overflows to an error too
            raise InputError("完成率超出可计算范围", "the completion rate overflows")
        return clamp(rate, self.floor, self.ceil)

    def points(self, x):
        return self.max * self._rate(x)

    def _rate_formula(self, r: Refs) -> str:
        a, t = r.actual, r.target
        if self.dir == "up":
            return f"MIN({num(self.ceil)},MAX({num(self.floor)},{a}/{t}))"
        return f"IF({a}<=0,{num(self.ceil)},MIN({num(self.ceil)},MAX({num(self.floor)},{t}/{a})))"

    def formula(self, r):
        # a target of 0 or less has no score, as in Python
        return f"IF({r.target}<=0,NA(),{num(self.max)}*{self._rate_formula(r)})"

    def explain(self, x, unit=""):
        rate = self._rate(x)
        verb = "完成" if self.dir == "up" else "实际"
        return (f"{verb}{shown(x.actual, unit)}/目标{shown(x.target, unit)}，完成率按{shown(rate, '%')}计，"
                f"得{shown(self.points(x))}分")

    def explain_formula(self, r, points, unit=""):
        verb = "完成" if self.dir == "up" else "实际"
        return (f'"{verb}"&{shown_expr(r.actual, unit)}&"/目标"&{shown_expr(r.target, unit)}&"，完成率按"&'
                f'{shown_expr(self._rate_formula(r), "%")}&"计，得"&ROUND({points},2)&"分"')

    def describe(self, unit=""):
        way = "实际÷目标" if self.dir == "up" else "目标÷实际"
        return f"完成率（{way}，取{fmt(self.floor, '%')}–{fmt(self.ceil, '%')}）×{num(self.max)}分"

    def max_points(self):
        return self.max * self.ceil
