"""``bands``: tiers, the first band that holds gives its points (2500≤回复条数<3000：3分)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import bilingual
from ..numbers import num
from .base import Inputs, Rule, _need, fmt, in_unit, shown, shown_expr, text


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    lo: float | None = None
    lo_inc: bool = True
    hi: float | None = None
    hi_inc: bool = False
    pts: float

    def holds(self, a: float) -> bool:
        above = self.lo is None or (a >= self.lo if self.lo_inc else a > self.lo)
        below = self.hi is None or (a <= self.hi if self.hi_inc else a < self.hi)
        return above and below

    def to_text(self, unit: str = "") -> str:
        if self.lo is None and self.hi is None:
            span = "*"
        elif self.lo is None:
            span = ("<=" if self.hi_inc else "<") + in_unit(self.hi, unit)
        elif self.hi is None:
            span = (">=" if self.lo_inc else ">") + in_unit(self.lo, unit)
        else:
            span = (f"{'[' if self.lo_inc else '('}{in_unit(self.lo, unit)},{in_unit(self.hi, unit)}"
                    f"{']' if self.hi_inc else ')'}")
        return f"{span}:{num(self.pts)}"

    def label(self, unit: str = "") -> str:
        if self.lo is None and self.hi is None:
            return "任意值"
        if self.lo is None:
            return ("≤" if self.hi_inc else "<") + fmt(self.hi, unit)
        if self.hi is None:
            return ("≥" if self.lo_inc else ">") + fmt(self.lo, unit)
        return f"{fmt(self.lo, '%' if unit == '%' else '')}–{fmt(self.hi, unit)}"


class Bands(Rule):
    """2500≤回复条数<3000: 3分 … : the first band that holds gives its points."""

    type: Literal["bands"] = "bands"
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        bands = sorted(self.bands, key=lambda b: float("-inf") if b.lo is None else b.lo)
        for b in bands:
            if b.lo is not None and b.hi is not None and not b.lo < b.hi:
                raise bilingual("band_empty", "档位{band}的下限不小于上限", "band {band} is empty",
                                band=b.to_text())
        if bands[0].lo is not None:
            raise bilingual("band_gap", "低于{v}的值不在任何档位", "values below {v} fall in no band",
                            v=num(bands[0].lo))
        if bands[-1].hi is not None:
            raise bilingual("band_gap", "高于{v}的值不在任何档位", "values above {v} fall in no band",
                            v=num(bands[-1].hi))
        for prev, nxt in zip(bands, bands[1:]):
            if prev.hi is None or prev.hi > nxt.lo or (prev.hi == nxt.lo and prev.hi_inc and nxt.lo_inc):
                raise bilingual("band_overlap", "档位{a}与{b}重叠", "bands {a} and {b} overlap",
                                a=prev.to_text(), b=nxt.to_text())
            if prev.hi < nxt.lo or not (prev.hi_inc or nxt.lo_inc):
                raise bilingual("band_gap", "档位{a}与{b}之间有空档", "a gap between bands {a} and {b}",
                                a=prev.to_text(), b=nxt.to_text())
        object.__setattr__(self, "bands", bands)  # stored sorted: the formula relies on it
        return self

    def _band(self, x: Inputs) -> Band:
        a = _need(x.actual, "实际值", "actual")
        return next(b for b in self.bands if b.holds(a))

    def points(self, x):
        return self._band(x).pts

    def formula(self, r):
        expr = num(self.bands[-1].pts)
        for b in reversed(self.bands[:-1]):
            expr = f"IF({r.actual}{'<=' if b.hi_inc else '<'}{num(b.hi)},{num(b.pts)},{expr})"
        return expr

    def explain(self, x, unit=""):
        b = self._band(x)
        return f"{shown(x.actual, unit)}，落在{b.label(unit)}档，得{shown(b.pts)}分"

    def explain_formula(self, r, points, unit=""):
        label = text(self.bands[-1].label(unit))
        for b in reversed(self.bands[:-1]):
            label = f"IF({r.actual}{'<=' if b.hi_inc else '<'}{num(b.hi)},{text(b.label(unit))},{label})"
        return f'{shown_expr(r.actual, unit)}&"，落在"&{label}&"档，得"&ROUND({points},2)&"分"'

    def describe(self, unit=""):
        return "；".join(f"{b.label(unit)}：{num(b.pts)}分" for b in self.bands)

    def max_points(self):
        return max(b.pts for b in self.bands)

    def to_text(self, unit: str = ""):
        return f"bands({'; '.join(b.to_text(unit) for b in self.bands)})"
