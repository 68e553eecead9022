"""The plan HR edits: roles, categories, metrics, adjustments, grades, pay.

The models, validated with pydantic; ``plan_load`` reads plan.yaml into them and locates every
problem by file, line and field path, in Chinese and English.
"""
from __future__ import annotations

import calendar
import functools
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator

from . import condition, expr
from .commission import Commission
from .errors import bilingual
from .model import Ident, Model, Money, no_duplicates
from .numbers import num
from .raters import Ratings
from .rules import RATER_NAMES, AdjustRule, MetricRule, Rank, Rating, coerce_rule

# the months a metric of each period is typed and scored in: the cycle's last month
CYCLE_END = {"month": tuple(range(1, 13)), "quarter": (3, 6, 9, 12), "half": (6, 12), "year": (12,)}
CYCLE_MONTHS = {"month": 1, "quarter": 3, "half": 6, "year": 12}
PERIOD_NAMES = {"month": "月度", "quarter": "季度", "half": "半年", "year": "年度"}
MAX_WEEKS = 5  # report weeks a month can have


class Metric(Model):
    id: Ident
    name: str
    unit: str = ""  # "%" means a fraction shown as percent (87% is 0.87)
    period: Literal["month", "quarter", "half", "year"] = "month"
    direction: Literal["higher", "lower"] = "higher"
    source: Literal["input", "weekly_sum", "rating", "cohort_rank"] = "input"
    rule: Annotated[MetricRule, BeforeValidator(coerce_rule)]
    target: float | None = None
    baseline: float | None = None
    baseline_from: Literal["plan", "previous"] = "plan"  # previous: the previous cycle's actual (last month; last quarter for period: quarter)
    min: float | None = 0  # the range an actual may take
    max: float | None = None
    # a computed metric: its actual is this expression over the role's inputs and metrics
    # (ids, numbers, + - * / and parentheses), e.g. "complaints / interactions"
    compute: str | None = None
    if_zero: float | None = None  # the actual when a divisor is 0 (otherwise a problem to fix)
    # growth: the rule scores (actual − baseline) / baseline, the baseline being the previous period's
    # actual (baseline_from: previous) or the plan's; 粉丝增长10% is measure: growth with a target of 10%
    measure: Literal["value", "growth"] = "value"
    # an outside figure HR imports each month for the department (行业平均, 竞品) as the target or baseline
    target_figure: Ident | None = None
    baseline_figure: Ident | None = None
    note: str = ""

    @property
    def percent(self) -> bool:
        return self.unit == "%"

    @property
    def rule_unit(self) -> str:
        """The unit of what the rule scores: a growth is a percent whatever the figure's unit."""
        return "%" if self.measure == "growth" else self.unit

    @property
    def expression(self):
        """The parsed ``compute`` (None for a metric people fill)."""
        return expr.parse(self.compute) if self.compute else None

    def applies_in(self, month: int | None) -> bool:
        """A quarterly (half-year, yearly) metric, the satisfaction survey, counts in its cycle's last month."""
        return month is None or month in CYCLE_END[self.period]

    @model_validator(mode="after")
    def _check(self):
        rule = self.rule
        if self.measure == "growth":
            if self.baseline is None and self.baseline_from != "previous":
                raise bilingual("baseline_missing", "增长率指标需要基准：baseline 或 baseline_from: previous",
                                "a growth needs a baseline: baseline or baseline_from: previous")
            if rule.type not in ("ratio", "bands"):
                raise bilingual("rule_contradiction", "增长率指标须用 ratio 或 bands 规则（增长率本身已与基准相比）",
                                "a growth is scored with ratio or bands (it is already against the baseline)")
        if "target" in rule.needs and self.target is None and self.target_figure is None:
            raise bilingual("target_missing", "规则{rule}需要目标值 target", "rule {rule} needs a target",
                            rule=rule.type)
        if "baseline" in rule.needs and self.baseline is None and self.baseline_figure is None:
            raise bilingual("baseline_missing", "规则{rule}需要基准值 baseline", "rule {rule} needs a baseline",
                            rule=rule.type)
        rule_dir = getattr(rule, "dir", None)
        if rule_dir and {"up": "higher", "down": "lower"}[rule_dir] != self.direction:
            raise bilingual("rule_contradiction", "规则方向dir={d}与指标方向direction={m}矛盾",
                            "rule dir={d} contradicts metric direction={m}", d=rule_dir, m=self.direction)
        if (self.source == "rating") != isinstance(rule, Rating):
            raise bilingual("rule_contradiction", "来源为rating的指标须用rating规则，反之亦然",
                            "a rating source needs a rating rule and vice versa")
        if (self.source == "cohort_rank") != isinstance(rule, Rank):
            raise bilingual("rule_contradiction", "来源为cohort_rank的指标须用rank规则，反之亦然",
                            "a cohort_rank source needs a rank rule and vice versa")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise bilingual("rule_contradiction", "取值下限min高于上限max", "min is above max")
        for key in ("target", "baseline"):  # 2 meant as 2%: a fraction above the metric's own cap of 100%
            value = getattr(self, key)
            if self.percent and self.max is not None and self.max <= 1 and value is not None and value > self.max:
                raise bilingual("percent_as_number", "{what}写成了{v}，即{pct}%，超过此指标的上限{cap}%；百分比指标写小数："
                                "{v}%应写成 {key}：{frac}", "{key} {v} is {pct}%, above the metric's cap of {cap}%: "
                                "a percent is written as a fraction, {v}% is {key}: {frac}",
                                what="目标" if key == "target" else "基准", key=key, v=num(value),
                                pct=num(value * 100), cap=num(self.max * 100), frac=num(value / 100))
        if self.compute is not None:
            if self.source != "input":
                raise bilingual("rule_contradiction", "计算指标（compute）不能同时取自{s}", "a computed metric cannot "
                                "also come from {s}", s=self.source)
            try:
                expr.parse(self.compute)
            except expr.ExprError as exc:
                zh, _, en = str(exc).partition(" / ")
                raise bilingual("compute_invalid", "计算式“{c}”有误：{why}", "compute “{c}”: {reason}", c=self.compute,
                                why=zh, reason=en) from None
        return self


class OutsideFigure(Model):
    """外部数据: a figure from outside the department (行业平均阅读量, 竞品粉丝数), imported each month."""

    id: Ident
    name: str
    kind: Literal["行业", "竞品", "排名"]  # 排名: a rank or a share the department's team reached (新浪势力榜名次)
    unit: str = ""


class InputItem(Model):
    """原始数据: a figure people fill or import that computed metrics use (投诉次数, 互动次数)."""

    id: Ident
    name: str
    unit: str = ""
    min: float | None = 0
    max: float | None = None


class Category(Model):
    id: Ident
    name: str
    weight: float = Field(gt=0, le=100)
    metrics: list[Metric] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        if all(m.period != "month" for m in self.metrics):
            raise bilingual("category_empty", "类别{c}须至少有一个月度指标（只有季度、半年或年度指标的类别在其余月份无从计分）；"
                            "请把这些指标并入有月度指标的类别，其权重在非季末月份按该类别其余指标折算",
                            "category {c} needs a monthly metric (one of periodic metrics only has nothing to score in the "
                            "other months): put them into a category with a monthly metric", c=self.id)
        return self

    def possible(self, month: int | None = None) -> float:
        return sum(m.rule.max_points() for m in self.metrics if m.applies_in(month))


class ReportItem(Model):
    """A line of the weekly report (周报); a weekly_sum metric of the same id sums its weeks."""

    id: Ident
    name: str
    unit: str = ""
    target: float | None = None  # per week


class Adjustment(Model):
    """A 加减分 item: per-event deduction or bonus, award, rank bonus or veto."""

    id: Ident
    name: str
    rule: Annotated[AdjustRule, BeforeValidator(coerce_rule)]
    applies_to: Literal["score", "pay"] = "score"  # pay: the points are yuan (奖励/扣款)
    # hr: only rows HR imports count (the workbook's log shows them); form: the person filling may add rows
    entered_by: Literal["hr", "form"] = "hr"
    # limits across the department: 最佳网红 每月评1项 is per_month: 1; an award that requires another
    # (年度优秀员工 from the month's 明星员工) is given only to someone who has that one too
    per_month: int | None = Field(default=None, ge=1)
    per_year: int | None = Field(default=None, ge=1)
    requires: Ident | None = None
    # where the required item must have been given: the same month, the quarter or the year so far
    # (年度优秀员工在月明星员工中产生: any month of the year)
    requires_within: Literal["month", "quarter", "year"] = "month"
    # given only when this condition over the month's outside figures holds (core/condition.py), such as
    # "wechat_sichuan_top3 >= 90%": HR imports the figures, the roll-up decides
    when: str | None = None
    to_team: bool = False  # 团队表彰: a 加减分 row may name a role (the team) and every member gets it
    note: str = ""

    _condition = field_validator("when")(lambda text: _readable_condition(text))


class CohortBonus(Model):
    """名次奖励 among peers of a role, by one metric (TOP榜单: TOP1 8, TOP2 6, TOP3 3)."""

    id: Ident
    name: str
    role: Ident
    metric: Ident
    rule: Annotated[Rank, BeforeValidator(coerce_rule)]
    ties: Literal["shared", "split"] = "shared"  # shared: tied take the same best rank; split: share the points


class PeriodBonus(Model):
    """季度绩效奖金 and the like, paid on a period's grade: the employee's base × a ratio by grade, or a
    fixed amount by grade; periods says which reviews pay (year alone: 一年一兑现)."""

    pays: Literal["none", "ratio", "fixed"] = "none"
    periods: list[Literal["quarter", "half", "year"]] = ["quarter"]
    base: Literal["base_salary", "performance_pay_base"] | float = "base_salary"  # ratio: what it multiplies
    by_grade: dict[str, float] = {}  # grade name → ratio (pays: ratio) or yuan (pays: fixed); missing: 0


def _readable_condition(text: str | None) -> str | None:
    if text is not None:
        try:
            condition.parse(text)
        except condition.ConditionError as exc:
            raise bilingual("condition", *str(exc).replace("{", "{{").replace("}", "}}").split(" / ", 1)) from None
    return text


class Pool(Model):
    """团队积分池: points a team gets (新浪势力榜 ±3 a month, 微博/微信 ±10 a year) that its lead splits among
    the members; the split is typed in the 积分分配 sheet of the lead's workbook or imported (工号, 池, 分值)
    and must add up to the pool exactly."""

    id: Ident
    name: str
    role: Ident  # the team: the employees of this role
    lead: Ident | None = None  # the role whose workbooks carry the 积分分配 sheet (month pools every month, year pools in December)
    amount: float = Field(gt=0)
    period: Literal["month", "year"] = "month"  # month: into the month's score; year: into the annual composite
    sign: Literal["either", "plus", "minus"] = "either"  # the pool is ±amount, +amount or −amount
    # conditions over the month's outside figures (core/condition.py): the tool decides the pool's sign, the
    # lead only splits it; neither holding: no pool that month
    plus_when: str | None = None
    minus_when: str | None = None

    _condition = field_validator("plus_when", "minus_when")(lambda text: _readable_condition(text))

    def totals(self) -> list[float]:
        return {"either": [self.amount, -self.amount], "plus": [self.amount], "minus": [-self.amount]}[self.sign]

    def conditions(self) -> list[tuple[float, str]]:
        """(the pool's total, the condition giving it) for each condition the plan writes."""
        return [(t, text) for t, text in ((self.amount, self.plus_when), (-self.amount, self.minus_when)) if text]

    def decided(self, figures: dict[str, float]) -> float:
        """The pool's total under its conditions for these figures (every figure they read): +amount, −amount,
        or 0 when neither holds."""
        return next((total for total, text in self.conditions() if condition.holds(text, figures)), 0.0)


class Review(Model):
    """Quarter, half-year and year reviews (季度/半年/年度考核)."""

    monthly_weight: float = Field(default=80, ge=0, le=100)  # the months' average score
    rating_weight: float = Field(default=20, ge=0, le=100)  # the period's 180-degree rating (0–100)
    min_months_share: float = Field(default=0.5, gt=0, le=1)  # fewer months than this share: no decision
    award_points: float = 4  # 获得月度奖, 年度综合分加4分
    top3_points: float = 2  # 入TOP3加2分
    idle_months: int = 6  # 6个月一次未获得 ...
    idle_points: float = -1  # ... 减1分
    major_error_points: float = -5  # 重大差错 −5 (the seed allows −5…−10)
    # the 加减分 items each annual rule counts (checked against the plan's items when it loads)
    award_items: list[Ident] = []
    top3_items: list[Ident] = []
    major_error_items: list[Ident] = []  # every veto (一票否决) item counts as a major error too
    adjusted_roles: list[Ident] = []  # the roles with annual adjustments (the seed: the editors)
    veto_blocks_promotion: bool = True  # a veto in the period: no 升级 (假设 / assumed)
    bonus: PeriodBonus = PeriodBonus()  # money paid on the period's grade

    @model_validator(mode="after")
    def _check(self):
        if abs(self.monthly_weight + self.rating_weight - 100) > 1e-9:
            raise bilingual("weights_sum", "月度与评分权重合计应为100", "monthly_weight + rating_weight must be 100")
        return self


@functools.lru_cache(maxsize=256)
def mondays(month: str) -> int:
    """The Mondays of a month (YYYY-MM): 4 or 5."""
    year, mon = map(int, month.split("-"))
    days = calendar.monthrange(year, mon)[1]
    return sum(calendar.weekday(year, mon, d) == 0 for d in range(1, days + 1))

class Role(Model):
    name: str
    headcount: int = Field(ge=0)
    base_salary: Money  # 责任底薪
    performance_pay_base: Money  # 绩效工资基数
    categories: list[Category] = Field(min_length=1)
    adjustments: list[Ident] = []
    weekly_report: list[ReportItem] = []
    # how the month's report weeks are cut: four (weeks 1–4) or monday (the weeks whose Monday falls in the
    # month: 4 or 5, as a calendar month has them)
    week_cut: Literal["four", "monday"] = "four"
    inputs: list[InputItem] = []  # the figures computed metrics use
    commission: Commission | None = None

    @property
    def metrics(self) -> list[Metric]:
        return [m for c in self.categories for m in c.metrics]

    def weeks(self, month: str | None) -> int:
        """The month's report weeks: 4, or the number of Mondays in it (4 or 5)."""
        return 4 if self.week_cut == "four" or not month else mondays(month)

    def metric(self, metric_id: str) -> Metric:
        return next(m for m in self.metrics if m.id == metric_id)

    @model_validator(mode="after")
    def _check(self):
        no_duplicates([c.id for c in self.categories], "类别编号", "category id")
        no_duplicates([m.id for m in self.metrics], "指标编号", "metric id")
        no_duplicates([i.id for i in self.weekly_report], "周报项目编号", "weekly report id")
        no_duplicates(self.adjustments, "加减分项目", "adjustment")
        no_duplicates([i.id for i in self.inputs] + [m.id for m in self.metrics], "原始数据与指标编号", "input or metric id")
        figures = {i.id for i in self.inputs} | {m.id for m in self.metrics if m.compute is None}
        computed = {m.id: m.compute for m in self.metrics if m.compute}
        for m in self.metrics:
            names = expr.names(m.expression) if m.compute else []
            nested = [n for n in names if n in computed]
            if nested:
                raise bilingual("compute_nested", "指标{m}的计算式用了计算指标{ids}：计算指标只能由原始数据和填写的指标算出，"
                                "请把它的计算式直接代入，如 {ids} 写成 ({inner})",
                                "metric {m} computes from the computed metric {ids}: write its expression in instead, "
                                "({inner})", m=m.id, ids=nested[0], inner=computed[nested[0]])
            unknown = [n for n in names if n not in figures]
            if unknown:
                raise bilingual("unknown_id", "指标{m}的计算式用了{ids}，它们不是本岗位的原始数据或填写的指标",
                                "metric {m} computes from {ids}, which are not inputs or typed metrics of the role",
                                m=m.id, ids="、".join(unknown))
        report = {i.id for i in self.weekly_report}
        for m in self.metrics:
            if m.source == "weekly_sum" and m.id not in report:
                raise bilingual("weekly_missing", "指标{m}取周报合计，但周报中没有该项目",
                                "metric {m} sums the weekly report, which lacks it", m=m.id)
        if self.commission and self.commission.metric not in {m.id for m in self.metrics}:
            raise bilingual("unknown_id", "提成指标{m}不在本岗位指标中", "commission metric {m} is not a metric of this role",
                            m=self.commission.metric)
        return self


class Grade(Model):
    name: str
    min: float = Field(ge=0)  # the lowest total of this grade
    coefficient: float = Field(ge=0)  # 绩效系数
    quota: float | None = Field(default=None, gt=0, le=100)  # 强制分布: at most this % of employees


class Promotion(Model):
    """升降级: ≥up 升级, keep–<up 保级, <keep 降级 (annual composite)."""

    up: float = 90
    keep: float = 80


class Appeal(Model):
    days: int = Field(default=3, ge=0)  # 申诉期
    contact: str = ""


class Plan(Model):
    name: str
    department: str
    month_deadline_day: int = Field(default=5, ge=1, le=28)  # 每月初提交上月数据
    rater_weights: dict[str, float] = {"self": 20, "supervisor": 50, "committee": 30}
    grades: list[Grade] = Field(min_length=1)
    promotion: Promotion = Promotion()
    score_floor: float = 0
    score_cap: float | None = None
    adjustments: list[Adjustment] = []
    roles: dict[Ident, Role] = Field(min_length=1)
    cohort_bonuses: list[CohortBonus] = []
    figures: list[OutsideFigure] = []  # 外部数据 (行业, 竞品) a metric's target or baseline may come from
    pools: list[Pool] = []  # 团队积分池 split by a team's lead
    review: Review = Review()
    ratings: Ratings = Ratings()  # rating rounds: who rates whom, the anchors, when forms are due
    appeal: Appeal = Appeal()
    # 改进计划: a total below this calls for an improvement plan (none: the lowest grade does)
    improvement_below: float | None = None
    _source: dict | None = PrivateAttr(default=None)  # plan.yaml as HR wrote it, read as data

    @property
    def source(self) -> dict | None:
        return self._source

    def needs_improvement(self, score: float | None, grade: str | None) -> bool:
        if score is None:
            return False
        if self.improvement_below is not None:
            return score < self.improvement_below
        return grade == min(self.grades, key=lambda g: g.min).name

    @model_validator(mode="before")
    @classmethod
    def _fill_rater_weights(cls, data):
        """A rating rule without weights takes the plan's rater weights."""
        if not isinstance(data, dict):
            return data
        weights = data.get("rater_weights") or {"self": 20, "supervisor": 50, "committee": 30}
        for role in (data.get("roles") or {}).values():
            for cat in (role or {}).get("categories") or []:
                for m in (cat or {}).get("metrics") or []:
                    if isinstance(m, dict):
                        try:
                            rule = coerce_rule(m.get("rule"))
                        except ValueError:
                            continue  # the metric's own validation reports it, at the rule's line
                        if isinstance(rule, dict) and rule.get("type") == "rating" and not rule.get("weights"):
                            m["rule"] = {**rule, "weights": dict(weights)}
        return data

    @model_validator(mode="after")
    def _check(self):
        unknown = set(self.rater_weights) - set(RATER_NAMES)
        if unknown or abs(sum(self.rater_weights.values()) - 100) > 1e-9:
            raise bilingual("weights_sum", "rater_weights须为{ok}中的评分人，权重合计100",
                            "rater_weights must name raters among {ok} and sum to 100", ok=",".join(RATER_NAMES))
        mins = [g.min for g in self.grades]
        if len(set(mins)) != len(mins):
            raise bilingual("band_overlap", "两个等级的最低分相同", "two grades have the same minimum")
        if min(mins) > self.score_floor:
            raise bilingual("band_gap", "低于{v}分的总分没有等级", "totals below {v} have no grade", v=num(min(mins)))
        no_duplicates([g.name for g in self.grades], "等级名称", "grade name")
        no_duplicates([a.id for a in self.adjustments], "加减分编号", "adjustment id")
        known = {a.id for a in self.adjustments}
        for rid, role in self.roles.items():
            missing = [a for a in role.adjustments if a not in known]
            if missing:
                raise bilingual("unknown_id", "岗位{r}引用了未定义的加减分项目：{ids}",
                                "role {r} names undefined adjustments: {ids}", r=rid, ids=", ".join(missing))
        for i, b in enumerate(self.cohort_bonuses):
            if b.role not in self.roles or b.metric not in {m.id for m in self.roles[b.role].metrics}:
                raise bilingual("unknown_id", "名次奖励{b}引用了不存在的岗位或指标 {r}.{m}",
                                "cohort bonus {b} names an unknown role or metric {r}.{m}", b=b.id, r=b.role, m=b.metric)
        no_duplicates([b.id for b in self.cohort_bonuses], "名次奖励编号", "cohort bonus id")
        for a in self.adjustments:
            if a.requires is not None and a.requires not in known:
                raise bilingual("unknown_id", "加减分项目{a}的 requires 指向不存在的项目{r}",
                                "adjustment {a} requires an unknown item {r}", a=a.id, r=a.requires)
        figures = {f.id for f in self.figures}
        conditioned = [(f"积分池{p.id}", f"pool {p.id}", [text for _, text in p.conditions()]) for p in self.pools]
        conditioned += [(f"加减分项目{a.id}", f"adjustment {a.id}", [a.when]) for a in self.adjustments if a.when]
        for zh, en, texts in conditioned:
            unknown = [n for text in texts for n in condition.names(text) if n not in figures]
            if unknown:
                raise bilingual("unknown_id", "{owner}的条件用到未定义的外部数据：{ids}（在 figures 中定义）",
                                "the conditions of {owner_en} name undefined figures: {ids} (define them under figures)",
                                owner=zh, owner_en=en, ids=", ".join(dict.fromkeys(unknown)))
        object.__setattr__(self, "grades", sorted(self.grades, key=lambda g: -g.min))
        return self

    def adjustment(self, adj_id: str) -> Adjustment:
        return next(a for a in self.adjustments if a.id == adj_id)

    def pool(self, pool_id: str) -> Pool:
        return next(p for p in self.pools if p.id == pool_id)

    def pools_led(self, role_id: str, month: str) -> list[Pool]:
        """The pools this role's workbooks split this month: month pools every month, year pools in
        December (the year's split is made at its end)."""
        return [p for p in self.pools if p.lead == role_id and (p.period == "month" or month[5:7] == "12")]

    def figure(self, figure_id: str) -> OutsideFigure:
        return next(f for f in self.figures if f.id == figure_id)

    def role_adjustments(self, role_id: str) -> list[Adjustment]:
        return [self.adjustment(a) for a in self.roles[role_id].adjustments]


