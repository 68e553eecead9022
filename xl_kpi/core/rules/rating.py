"""``rating``: ratings of several raters, weighted by rater (180度：自评、主管评定、考核小组、跨团队)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..errors import bilingual
from ..numbers import clamp, num, snap
from .base import GROUP_NAMES, RATER_NAMES, InputError, Rule, _need, shown, shown_expr


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
            raise bilingual("rater_unknown", "未知的评分人{r}，可用：{ok}", "unknown rater {r}, use one of {ok}",
                            r=",".join(unknown), ok=",".join(RATER_NAMES))
        total = sum(self.weights.values())
        if self.weights and abs(total - 100) > 1e-9:
            raise bilingual("weights_sum", "评分人权重合计应为100，实为{t}", "rater weights must sum to 100, got {t}",
                            t=num(total))
        return self

    def cells(self, shown: str) -> list[str]:
        """The rating cells of the rated person's workbook: one per rater group (group), or their own 自评
        and the others' weighted rating, 他评 (item: no other rater's score reaches the person rated)."""
        if shown == "group":
            return list(self.weights)
        return [k for k, w in self.parts(["others"]).items() if w]

    def parts(self, keys) -> dict[str, float]:
        """The weights of the cells given: the rater groups', or 自评's and 他评's (the rest)."""
        if "others" not in keys:
            return dict(self.weights)
        own = self.weights.get("self", 0)
        return {"self": own, "others": 100 - own}

    def combine(self, ratings: dict[str, float | None]) -> float:
        """The weighted rating of every rater group, or of 自评 and 他评; each must have rated."""
        total = 0.0
        for rater, w in self.parts(ratings).items():
            if not w:
                continue
            total += w * self._given(ratings, rater)
        return snap(total / 100)

    def others(self, ratings: dict[str, float | None]) -> float:
        """他评: the weighted rating of the rater groups other than 自评 (what an item workbook shows)."""
        weights = {r: w for r, w in self.weights.items() if r != "self"}
        total = sum(w * self._given(ratings, r) for r, w in weights.items())
        return snap(total / sum(weights.values()))

    def _given(self, ratings: dict, rater: str) -> float:
        r = ratings.get(rater)
        if r is None:
            raise InputError(f"缺少{GROUP_NAMES[rater]}评分", f"the {rater} rating is missing")
        if not 0 <= r <= self.scale:
            raise InputError(f"{GROUP_NAMES[rater]}评分{num(r)}超出0–{num(self.scale)}",
                             f"{rater} rating {num(r)} is outside 0–{num(self.scale)}")
        return r

    def combine_formula(self, refs: dict[str, str]) -> str:
        return "(" + "+".join(f"{num(w)}*{refs[r]}" for r, w in self.parts(refs).items() if w) + ")/100"

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
