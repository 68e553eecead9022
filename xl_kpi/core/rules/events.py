"""Rules of the 加减分 log: ``rank`` (TOP1/2/3), ``deduct`` / ``bonus`` / ``award`` per event, ``veto`` (一票否决)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..errors import bilingual
from ..numbers import num
from .base import InputError, Inputs, Rule, _need, shown, shown_expr, text


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


class Event(Rule):
    """Per event: 1个错别字减0.5分, 重大差错扣1—5分 (HR picks), 10万+稿件奖励2分, 最佳网红20分."""

    type: Literal["deduct", "bonus", "award"]
    pts: float | None = Field(default=None, ge=0)  # 0: an honour (季度荣誉表彰), recorded and printed, no points
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
            raise bilingual("rule_contradiction", "须给出固定分值pts，或范围min与max（二选一）",
                            "give either a fixed pts or both min and max")
        if self.pts == 0 and self.type != "award":
            raise bilingual("rule_contradiction", "只有荣誉类奖励（award）可以不计分（pts=0）",
                            "only an award may carry no points (pts=0)")
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
        c = _need(x.chosen, "分值（请在范围内选择）", "points (pick one in the range)")
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

    @property
    def honour(self) -> bool:
        return self.pts == 0

    def explain(self, x, unit=""):
        n, each = self._count(x), self._each(x)
        if self.honour:
            return f"获{n}次（荣誉，不计分）"
        verb = "扣" if self.sign < 0 else "加"
        return f"{n}次×{shown(each)}分，{verb}{shown(abs(self.points(x)))}分"

    def explain_formula(self, r, points, unit=""):
        if self.honour:
            return f'"获"&{r.actual}&"次（荣誉，不计分）"'
        verb = "扣" if self.sign < 0 else "加"
        each = text(shown(self.pts)) if self.pts is not None else shown_expr(r.chosen)
        return f'{r.actual}&"次×"&{each}&"分，{verb}"&ROUND(ABS({points}),2)&"分"'

    def describe(self, unit=""):
        if self.honour:
            return "荣誉，不计分" + (f"，每月最多{self.limit}次" if self.limit else "")
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
