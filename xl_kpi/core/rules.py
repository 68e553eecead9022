"""Rule types: each knows its points, its Excel formula, its explanation.

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

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from .errors import bilingual, bilingual_message
from .numbers import MAX_NUMBER, clamp, floor_expr, floor_tol, num, round_float, snap
from .typed import parse_typed

RATER_NAMES = {"self": "自评", "supervisor": "主管评定", "committee": "考核小组", "cross": "跨团队"}


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

    def to_text(self) -> str:
        body = ", ".join(f"{k}={num(v) if isinstance(v, (int, float)) else v}" for k, v in self._params())
        return f"{self.type}({body})"


# --------------------------------------------------------------------------- metric rules


class Step(Rule):
    """每增加100次曝光得0.1分, 最高5分 / 投诉率每降低1%得1分, 最高10分."""

    type: Literal["step"] = "step"
    dir: Literal["up", "down"] = "up"
    per: float = Field(gt=0)
    pts: float = Field(gt=0)
    cap: float = Field(gt=0)
    base: float | None = None  # a fixed baseline; otherwise the baseline cell

    @property
    def needs(self):  # type: ignore[override]
        return () if self.base is not None else ("baseline",)

    @model_validator(mode="after")
    def _check(self):
        if self.cap < self.pts:
            raise bilingual("rule_contradiction", "封顶分{cap}小于每档分{pts}, 永远得不到分",
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

    def to_text(self) -> str:
        if self.lo is None and self.hi is None:
            span = "*"
        elif self.lo is None:
            span = ("<=" if self.hi_inc else "<") + num(self.hi)
        elif self.hi is None:
            span = (">=" if self.lo_inc else ">") + num(self.lo)
        else:
            span = f"{'[' if self.lo_inc else '('}{num(self.lo)},{num(self.hi)}{']' if self.hi_inc else ')'}"
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

    def to_text(self):
        return f"bands({'; '.join(b.to_text() for b in self.bands)})"


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


class Rating(Rule):
    """Rated by several raters: the weighted rating over the scale × max points."""

    type: Literal["rating"] = "rating"
    max: float = Field(gt=0)
    scale: float = Field(default=100, gt=0)
    weights: dict[str, float] = Field(default_factory=dict)  # rater → percent

    @model_validator(mode="after")
    def _check(self):
        unknown = sorted(set(self.weights) - set(RATER_NAMES))
        if unknown:
            raise bilingual("rater_unknown", "未知的评分人{r}, 可用: {ok}", "unknown rater {r}, use one of {ok}",
                            r=",".join(unknown), ok=",".join(RATER_NAMES))
        total = sum(self.weights.values())
        if self.weights and abs(total - 100) > 1e-9:
            raise bilingual("weights_sum", "评分人权重合计应为100, 实为{t}", "rater weights must sum to 100, got {t}",
                            t=num(total))
        return self

    def combine(self, ratings: dict[str, float | None]) -> float:
        """The weighted rating; every rater of the rule must have rated."""
        total = 0.0
        for rater, w in self.weights.items():
            r = ratings.get(rater)
            if r is None:
                raise InputError(f"缺少{RATER_NAMES[rater]}评分", f"the {rater} rating is missing")
            if not 0 <= r <= self.scale:
                raise InputError(f"{RATER_NAMES[rater]}评分{num(r)}超出0–{num(self.scale)}",
                                 f"{rater} rating {num(r)} is outside 0–{num(self.scale)}")
            total += w * r
        return snap(total / 100)

    def combine_formula(self, refs: dict[str, str]) -> str:
        return "(" + "+".join(f"{num(w)}*{refs[r]}" for r, w in self.weights.items()) + ")/100"

    def points(self, x):
        a = _need(x.actual, "评分", "rating")
        return self.max * clamp(a / self.scale, 0, 1)

    def formula(self, r):
        return f"{num(self.max)}*MIN(1,MAX(0,{r.actual}/{num(self.scale)}))"

    def explain(self, x, unit=""):
        return f"综合评分{shown(x.actual)}/{num(self.scale)}，得{shown(self.points(x))}分"

    def explain_formula(self, r, points, unit=""):
        return f'"综合评分"&{shown_expr(r.actual)}&"/{num(self.scale)}，得"&ROUND({points},2)&"分"'

    def describe(self, unit=""):
        who = "、".join(f"{RATER_NAMES[r]}{num(w)}%" for r, w in self.weights.items())
        return f"评分（{who}）÷{num(self.scale)}×{num(self.max)}分"

    def max_points(self):
        return self.max

    def _params(self):
        return [(k, v) for k, v in super()._params() if k != "weights"] + list(self.weights.items())


class Rank(Rule):
    """TOP1: 8分, TOP2: 6分, TOP3: 3分; the actual is the rank (1 = best)."""

    type: Literal["rank"] = "rank"
    pts: dict[int, float] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        if any(k < 1 for k in self.pts):
            raise bilingual("rank_invalid", "名次必须从1开始", "ranks start at 1")
        object.__setattr__(self, "pts", dict(sorted(self.pts.items())))
        return self

    def _rank(self, x: Inputs) -> int:
        r = _need(x.actual, "名次", "rank")
        if r < 1 or r != int(r):
            raise InputError(f"名次{num(r)}不是正整数", f"rank {num(r)} is not a positive whole number")
        return int(r)

    def points(self, x):
        return self.pts.get(self._rank(x), 0.0)

    def formula(self, r):
        expr = "0"
        for k, v in reversed(self.pts.items()):
            expr = f"IF({r.actual}={k},{num(v)},{expr})"
        return f"IF(OR({r.actual}<1,{r.actual}<>INT({r.actual})),NA(),{expr})"

    def explain(self, x, unit=""):
        return f"第{self._rank(x)}名，得{shown(self.points(x))}分"

    def explain_formula(self, r, points, unit=""):
        return f'"第"&{r.actual}&"名，得"&ROUND({points},2)&"分"'

    def describe(self, unit=""):
        return "，".join(f"第{k}名{num(v)}分" for k, v in self.pts.items())

    def max_points(self):
        return max(self.pts.values())

    def _params(self):
        return list(self.pts.items())


# --------------------------------------------------------------------------- adjustment rules


class Event(Rule):
    """Per event: 1个错别字减0.5分, 重大差错扣1—5分 (HR picks), 10万+稿件奖励2分, 最佳网红20分."""

    type: Literal["deduct", "bonus", "award"]
    pts: float | None = Field(default=None, gt=0)
    min: float | None = Field(default=None, gt=0)
    max: float | None = Field(default=None, gt=0)
    limit: int | None = Field(default=None, ge=1)  # at most this many a month

    @property
    def needs(self):  # type: ignore[override]
        return ("chosen",) if self.pts is None else ()

    @model_validator(mode="after")
    def _check(self):
        fixed, ranged = self.pts is not None, self.min is not None or self.max is not None
        if fixed == ranged or (ranged and (self.min is None or self.max is None)):
            raise bilingual("rule_contradiction", "须给出固定分值pts, 或范围min与max(二选一)",
                            "give either a fixed pts or both min and max")
        if ranged and self.min > self.max:
            raise bilingual("rule_contradiction", "分值下限{lo}高于上限{hi}", "min {lo} is above max {hi}",
                            lo=num(self.min), hi=num(self.max))
        return self

    @property
    def sign(self) -> int:
        return -1 if self.type == "deduct" else 1

    def _count(self, x: Inputs) -> int:
        n = _need(x.actual, "次数", "count")
        if n < 0 or n != int(n):
            raise InputError(f"次数{num(n)}不是非负整数", f"count {num(n)} is not a whole number ≥ 0")
        if self.limit is not None and n > self.limit:
            raise InputError(f"次数{num(n)}超过每月上限{self.limit}", f"count {num(n)} exceeds the limit {self.limit}")
        return int(n)

    def _each(self, x: Inputs) -> float:
        if self.pts is not None:
            return self.pts
        c = _need(x.chosen, "分值(请在范围内选择)", "points (pick one in the range)")
        if not self.min <= c <= self.max:
            raise InputError(f"分值{num(c)}超出{num(self.min)}–{num(self.max)}",
                             f"points {num(c)} outside {num(self.min)}–{num(self.max)}")
        return c

    def points(self, x):
        return self.sign * self._count(x) * self._each(x)

    def formula(self, r):
        n = r.actual
        bad = [f"{n}<0", f"{n}<>INT({n})"]
        if self.limit is not None:
            bad.append(f"{n}>{self.limit}")
        if self.pts is not None:
            each = num(self.pts)
        else:
            c = r.chosen
            bad += [f'{c}=""', f"{c}<{num(self.min)}", f"{c}>{num(self.max)}"]
            each = c
        sign = "-" if self.sign < 0 else ""
        return f"IF(OR({','.join(bad)}),NA(),{sign}{n}*{each})"

    def explain(self, x, unit=""):
        n, each = self._count(x), self._each(x)
        verb = "扣" if self.sign < 0 else "加"
        return f"{n}次×{shown(each)}分，{verb}{shown(abs(self.points(x)))}分"

    def explain_formula(self, r, points, unit=""):
        verb = "扣" if self.sign < 0 else "加"
        each = text(shown(self.pts)) if self.pts is not None else shown_expr(r.chosen)
        return f'{r.actual}&"次×"&{each}&"分，{verb}"&ROUND(ABS({points}),2)&"分"'

    def describe(self, unit=""):
        verb = "扣" if self.sign < 0 else "加"
        each = f"{num(self.pts)}分" if self.pts is not None else f"{num(self.min)}–{num(self.max)}分（由考核人酌定）"
        limit = f"，每月最多{self.limit}次" if self.limit else ""
        return f"每次{verb}{each}{limit}"

    def max_points(self):
        return self.pts if self.pts is not None else self.max


class Veto(Rule):
    """一票否决: one occurrence zeroes the score or forces the lowest grade."""

    type: Literal["veto"] = "veto"
    effect: Literal["zero", "lowest_grade"] = "lowest_grade"

    def points(self, x):
        _need(x.actual, "次数", "count")
        return 0.0

    def formula(self, r):
        return "0"

    def triggered(self, x: Inputs) -> bool:
        return (x.actual or 0) >= 1

    def explain(self, x, unit=""):
        return self.describe() if self.triggered(x) else "未触发一票否决"

    def explain_formula(self, r, points, unit=""):
        return f'IF({r.actual}>=1,{text(self.describe())},"未触发一票否决")'

    def describe(self, unit=""):
        return "一票否决：" + ("总分记0分" if self.effect == "zero" else "等级定为最低档")

    def max_points(self):
        return 0.0

    def to_text(self):
        return f"veto(effect={self.effect})"


# --------------------------------------------------------------------------- text form

MetricRule = Annotated[Union[Step, Bands, Ratio, Rating, Rank], Field(discriminator="type")]
AdjustRule = Annotated[Union[Event, Rank, Veto], Field(discriminator="type")]
AnyRule = Annotated[Union[Step, Bands, Ratio, Rating, Rank, Event, Veto], Field(discriminator="type")]
_ANY = TypeAdapter(AnyRule)

_FULLWIDTH = str.maketrans("（）：；，＝＜＞【】", "():;,=<>[]")
_TEXT = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.S)
_SPAN = re.compile(r"^(?:(<=|<|>=|>)\s*(\S+)|([\[(])\s*([^,]+?)\s*,\s*([^\])]+?)\s*([\])])|\*)$")


def _number(text: str) -> float:
    """A number in a rule's text, in the seed's own forms too: 10%, 2W, 4万, 1.5千."""
    text = text.strip()
    try:
        value = float(parse_typed(text)[0])
    except ValueError:
        raise ValueError(f"“{text}”不是数字 / “{text}” is not a number") from None
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise ValueError(f"“{text}”超出允许范围(绝对值不超过1e15) / “{text}” is beyond ±1e15")
    return value


def _band(text: str) -> dict:
    span, sep, pts = text.rpartition(":")
    m = _SPAN.match(span.strip())
    if not sep or not m:
        raise ValueError(f"档位“{text}”应写成如 [2500,3000):3 或 <2500:0 / "
                         f"band “{text}” should look like [2500,3000):3 or <2500:0")
    op, v, lb, lo, hi, rb = m.groups()
    band: dict = {"pts": _number(pts)}
    if op:
        key = "hi" if op[0] == "<" else "lo"
        band[key], band[key + "_inc"] = _number(v), op.endswith("=")
    elif lb:
        band.update(lo=_number(lo), lo_inc=lb == "[", hi=_number(hi), hi_inc=rb == "]")
    return band


def text_to_dict(text: str) -> dict:
    """Split a rule's text form into the dict its model validates."""
    m = _TEXT.match(text.translate(_FULLWIDTH))
    if not m:
        raise ValueError(f"规则“{text}”应写成 类型(参数), 如 step(per=100, pts=0.1, cap=5) / "
                         f"rule “{text}” should look like type(params), e.g. step(per=100, pts=0.1, cap=5)")
    kind, body = m.groups()
    parts = [p.strip() for p in re.split(r"[;,]" if kind != "bands" else r";", body) if p.strip()]
    if kind == "bands":
        return {"type": kind, "bands": [_band(p) for p in parts]}
    data: dict = {"type": kind}
    for p in parts:
        key, sep, value = p.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValueError(f"参数“{p}”应写成 名称=值 / parameter “{p}” should be name=value")
        if kind == "rank":
            data.setdefault("pts", {})[int(_number(key))] = _number(value)
        elif kind == "rating" and key in RATER_NAMES:
            data.setdefault("weights", {})[key] = _number(value)
        elif key in ("dir", "effect"):
            data[key] = value
        else:
            data[key] = _number(value)
    return data


def coerce_rule(value):
    """Pydantic before-validator: a rule may be written as its text form."""
    return text_to_dict(value) if isinstance(value, str) else value


@lru_cache(maxsize=4096)
def parse_rule(text: str) -> Rule:
    """A rule from its text form; cached, since every UDF call parses its rule cell."""
    try:
        return _ANY.validate_python(text_to_dict(text))
    except ValidationError as exc:
        e = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in e["loc"][1:])
        msg = bilingual_message(e)
        raise ValueError(f"{msg} ({field})" if field else msg) from None
