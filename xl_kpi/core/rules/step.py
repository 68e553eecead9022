"""``step``: points per step over (or under) a baseline, up to a cap (每增加100次曝光得0.1分，最高5分)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..errors import bilingual
from ..numbers import clamp, floor_expr, floor_tol, num, snap
from .base import Inputs, Rule, _need, fmt, shown, shown_expr, text


class Step(Rule):
    """每增加100次曝光得0.1分, 最高5分 / 投诉率每降低1%得1分, 最高10分."""

    type: Literal["step"] = "step"
    dir: Literal["up", "down"] = "up"
    per: float = Field(gt=0)
    pts: float = Field(gt=0)
    cap: float = Field(gt=0)
    base: float | None = None  # a fixed baseline; otherwise the baseline cell
    UNIT_PARAMS = ("per", "base")

    @property
    def needs(self):  # type: ignore[override]
        return () if self.base is not None else ("baseline",)

    @model_validator(mode="after")
    def _check(self):
        if self.cap < self.pts:
            raise bilingual("rule_contradiction", "封顶分{cap}小于每档分{pts}，永远得不到分",
                            "cap {cap} is below the points per step {pts}", cap=num(self.cap), pts=num(self.pts))
        return self

    def _base(self, x: Inputs) -> float:
        return self.base if self.base is not None else _need(x.baseline, "基准值", "baseline")

    def _steps(self, x: Inputs) -> int:
        a, b = _need(x.actual, "实际值", "actual"), self._base(x)
        return floor_tol(((a - b) if self.dir == "up" else (b - a)) / self.per)

    def points(self, x):
        return clamp(self.pts * self._steps(x), 0, self.cap)

    def formula(self, r):
        b = num(self.base) if self.base is not None else r.baseline
        delta = f"({r.actual}-{b})" if self.dir == "up" else f"({b}-{r.actual})"
        return f"MIN({num(self.cap)},MAX(0,{num(self.pts)}*{floor_expr(f'{delta}/{num(self.per)}')}))"

    def explain(self, x, unit=""):
        a, b, steps = x.actual, self._base(x), self._steps(x)
        word = "增加" if self.dir == "up" else "降低"
        if steps <= 0:
            return f"{shown(a, unit)}，较基准{shown(b, unit)}{word}不足{fmt(self.per, unit)}，得0分"
        p = self.points(x)
        capped = "（封顶）" if p >= self.cap and snap(self.pts * steps) > self.cap else ""
        return f"{shown(a, unit)}，较基准{shown(b, unit)}{word}{steps}个{fmt(self.per, unit)}，得{shown(p)}分{capped}"

    def explain_formula(self, r, points, unit=""):
        word = "增加" if self.dir == "up" else "降低"
        fixed = self.base is not None
        b = text(shown(self.base, unit)) if fixed else shown_expr(r.baseline, unit)
        base = num(self.base) if fixed else r.baseline
        delta = f"({r.actual}-{base})" if self.dir == "up" else f"({base}-{r.actual})"
        steps = floor_expr(f"{delta}/{num(self.per)}")  # the same steps as formula()
        head = f"{shown_expr(r.actual, unit)}&\"，较基准\"&{b}&\"{word}"
        per = fmt(self.per, unit)
        capped = f'IF(AND({points}>={num(self.cap)},{num(self.pts)}*{steps}>{num(self.cap)}),"（封顶）","")'
        return (f'IF({steps}<=0,{head}不足{per}，得0分",'
                f'{head}"&{steps}&"个{per}，得"&ROUND({points},2)&"分"&{capped})')

    def describe(self, unit=""):
        word = "增加" if self.dir == "up" else "降低"
        base = f"（基准{fmt(self.base, unit)}）" if self.base is not None else ""
        return f"每比基准{word}{fmt(self.per, unit)}得{num(self.pts)}分，最高{num(self.cap)}分{base}"

    def max_points(self):
        return self.cap
