"""Loading plan.yaml: every problem located by file, line and field path (in Chinese and English), the
checks that need the whole plan, and the warnings ``check`` shows."""
from __future__ import annotations

import re
import types
import typing

import yaml
from pydantic import BaseModel, ValidationError

from . import strict_yaml
from .errors import KpiError, Problem, problems_from_validation
from .numbers import num
from .plan import Plan


def cross_problems(plan: Plan) -> list[tuple[tuple, str, str]]:
    """(location, type, message) of what validates field by field but cannot work as a whole: names in
    review that name nothing, a percent step that can never score."""
    out = []
    items = {a.id for a in plan.adjustments}
    for key in ("award_items", "top3_items", "major_error_items"):
        for i, item in enumerate(getattr(plan.review, key)):
            if item not in items:
                out.append((("review", key, i), "unknown_id",
                            f"review.{key} 中的“{item}”不是方案中的加减分项目（有：{'、'.join(sorted(items)) or '无'}） / "
                            f"review.{key} names “{item}”, which is not an adjustment of the plan"))
    for i, pool in enumerate(plan.pools):
        if pool.role not in plan.roles:
            out.append((("pools", i, "role"), "unknown_id", f"积分池{pool.name}的 role “{pool.role}”不是方案中的岗位 / "
                        f"pool {pool.id} names an unknown role"))
        if pool.lead is not None and pool.lead not in plan.roles:
            out.append((("pools", i, "lead"), "unknown_id", f"积分池{pool.name}的 lead “{pool.lead}”不是方案中的岗位 / "
                        f"pool {pool.id} names an unknown lead role"))
    figures = {f.id for f in plan.figures}
    for rid, role in plan.roles.items():
        for ci, cat in enumerate(role.categories):
            for mi, m in enumerate(cat.metrics):
                for key in ("target_figure", "baseline_figure"):
                    if getattr(m, key) is not None and getattr(m, key) not in figures:
                        out.append((("roles", rid, "categories", ci, "metrics", mi, key), "unknown_id",
                                    f"{m.name}的 {key} “{getattr(m, key)}”不是方案 figures 中的外部数据 / "
                                    f"{m.id}.{key} names an unknown outside figure"))
    grades = {g.name for g in plan.grades}
    for name in plan.review.bonus.by_grade:
        if name not in grades:
            out.append((("review", "bonus", "by_grade", name), "unknown_id",
                        f"review.bonus.by_grade 中的“{name}”不是方案中的等级（有：{'、'.join(g.name for g in plan.grades)}） / "
                        f"review.bonus.by_grade names “{name}”, which is not a grade"))
    for i, role in enumerate(plan.review.adjusted_roles):
        if role not in plan.roles:
            out.append((("review", "adjusted_roles", i), "unknown_id",
                        f"review.adjusted_roles 中的“{role}”不是方案中的岗位（有：{'、'.join(plan.roles)}） / "
                        f"review.adjusted_roles names “{role}”, which is not a role of the plan"))
    for rid, role in plan.roles.items():
        for ci, cat in enumerate(role.categories):
            for mi, m in enumerate(cat.metrics):
                per = getattr(m.rule, "per", None)
                if m.percent and per is not None and per >= 1:
                    out.append((("roles", rid, "categories", ci, "metrics", mi, "rule"), "percent_step",
                                f"{m.name}是百分比指标，per={num(per)} 表示每{num(per * 100)}个百分点才得分，永远得不到分；"
                                f"每1%请写 per=1% / {m.id} is a percent metric: per={num(per)} is {num(per * 100)} "
                                f"percentage points, which never scores; write per=1% for one point"))
    return out


def warnings_of(plan: Plan) -> list[tuple[tuple, str, str]]:
    """(location, type, message) of what is possible but probably not meant: `check` shows them."""
    out = []
    for rid, role in plan.roles.items():
        total = sum(c.weight for c in role.categories)
        if abs(total - 100) > 1e-9:
            out.append((("roles", rid, "categories"), "weights_sum",
                        f"{role.name}的类别权重合计为{num(total)}，不是100：满分也将是{num(total)}分 / the category "
                        f"weights of {rid} sum to {num(total)}, not 100: so will a full score"))
        for ci, cat in enumerate(role.categories):
            for mi, m in enumerate(cat.metrics):
                if "target" in m.rule.needs and m.target is not None and m.target <= 0:
                    out.append((("roles", rid, "categories", ci, "metrics", mi, "target"), "target_zero",
                                f"{m.name}的目标为{num(m.target)}，完成率无法计算，除非为个人另行导入目标，该指标没有得分 / "
                                f"{m.id} has a target of {num(m.target)}: no rate, no points unless one is imported"))
    return out + releases_warnings(plan)


TEAM_WORDS = ("团队", "势力榜", "小组", "全组", "部门")
ONE_A_MONTH = re.compile(r"每月(?:评|选|评选)?\s*[1一]\s*[项名人个次]")


def releases_warnings(plan: Plan) -> list[tuple[tuple, str, str]]:
    """Where a plan written for an earlier release relies on what a later one changed or now does properly,
    each with the edit to make (``check`` shows them; nothing changes on its own)."""
    out = []
    for i, b in enumerate(plan.cohort_bonuses):
        ranked = [a for a in plan.role_adjustments(b.role) if a.rule.type == "rank"]
        if ranked:
            out.append((("cohort_bonuses", i), "rank_twice",
                        f"名次奖励“{b.name}”已在汇总时按{plan.roles[b.role].metric(b.metric).name}排名加分，"
                        f"{plan.roles[b.role].name}的加减分项目“{'、'.join(a.name for a in ranked)}”也按名次加分："
                        f"同一名次会计两次；删去其中一种（名次由数据决定时保留 cohort_bonuses） / {b.id} ranks "
                        f"{b.role} and its 加减分 items rank too: the same rank counts twice; keep one"))
    for i, a in enumerate(plan.adjustments):
        if not plan.pools and any(w in a.name for w in TEAM_WORDS) and a.rule.type in ("bonus", "deduct") \
                and not a.to_team:
            out.append((("adjustments", i), "pool_by_hand",
                        f"“{a.name}”看来是团队的加减分，由人逐个录入；现在可写成 pools:（团队、分值、由谁分配，见"
                        f"docs/plan.md），负责人在工作簿中分配、合计自动核对 / {a.id} looks like a team's points "
                        f"split by hand: pools: do it properly now"))
        if a.rule.type == "award" and a.per_month is None and ONE_A_MONTH.search(a.name + a.note):
            out.append((("adjustments", i), "award_per_month",
                        f"“{a.name}”写明每月只评一项，但没有 per_month：limit 只限每人的次数，同月评给两人不会被发现；"
                        f"请加 per_month: 1，汇总时会检查 / {a.id} is one a month: add per_month: 1 so the roll-up "
                        f"checks it"))
    rated = [rid for rid, r in plan.roles.items() if any(m.source == "rating" and set(m.rule.weights) - {"self"}
                                                         for m in r.metrics)]
    if rated and "ratings" not in (plan.source or {}):
        out.append((("roles", rated[0]), "ratings_shown",
                    "自0.3.0起，被评人的工作簿只显示本人的自评与他评（其余评分人按权重合成），不再逐个显示主管评定、考核小组等"
                    "各组的评分；各组评分由评分表（xl-kpi ratings）或导入交给人力资源部。要保留每组一行，请在方案中写 "
                    "ratings: {shown: group} / since 0.3.0 the rated person's workbook shows their 自评 and the others' "
                    "weighted 他评, not each group's; write ratings: {shown: group} to keep a row per group"))
    return out


def _line_index(node, path=(), out=None) -> dict[tuple, int]:
    """Every YAML node's path → its 1-based line, for error locations."""
    out = {} if out is None else out
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            out[path + (k.value,)] = k.start_mark.line + 1
            _line_index(v, path + (k.value,), out)
            out[path + (k.value,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _line_index(v, path + (i,), out)
    return out


def _line_of(lines: dict[tuple, int], loc: tuple) -> int | None:
    for n in range(len(loc), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in loc[:n])
        if key in lines:
            return lines[key]
    return None


def _model_at(loc: tuple):
    """The plan model a location path ends in (roles.ops.categories.0.metrics.1 → Metric), or None."""
    model, skip = Plan, False
    for part in loc:
        if skip:  # the index of a list, the key of a mapping (a role id)
            skip = False
            continue
        field = model.model_fields.get(str(part)) if _is_model(model) else None
        if field is None:
            return None
        model = field.annotation
        if typing.get_origin(model) in (list, dict):
            skip, model = True, typing.get_args(model)[-1]
        if typing.get_origin(model) in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(model) if a is not type(None)]
            model = options[0] if len(options) == 1 else None
    return model if _is_model(model) else None


def _is_model(x) -> bool:
    return isinstance(x, type) and issubclass(x, BaseModel)


def _with_allowed_keys(p: Problem) -> str:
    """An unknown key's message lists the keys allowed where it stands."""
    model = _model_at(p.loc[:-1]) if p.type == "extra_forbidden" else None
    if model is None:
        return p.message
    allowed = "、".join(model.model_fields)
    return f"未知的键“{p.loc[-1]}”（是否拼写错误？此处可用：{allowed}） / unknown key “{p.loc[-1]}”; allowed here: {allowed}"


def plan_warnings(text: str, filename: str = "plan.yaml") -> list[Problem]:
    """The located warnings of a plan that loads (see :func:`warnings_of`)."""
    plan = load_plan_text(text, filename)
    lines = _line_index(strict_yaml.load(text)[1])
    return [Problem(type_, message, loc, file=filename, line=_line_of(lines, loc))
            for loc, type_, message in warnings_of(plan)]


def load_plan_text(text: str, filename: str = "plan.yaml") -> Plan:
    try:
        data, node, dups = strict_yaml.load(text)
    except strict_yaml.YamlProblem as exc:
        raise KpiError([Problem(exc.type, exc.message, file=filename, line=exc.line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise KpiError([Problem("yaml_syntax", f"YAML格式错误 / YAML syntax error: {getattr(exc, 'problem', exc)}",
                                file=filename, line=mark.line + 1 if mark else None)]) from None
    if not isinstance(data, dict):
        raise KpiError([Problem("plan_empty", "方案文件为空或不是键值表 / the plan is empty or not a mapping",
                                file=filename, line=1)])
    lines = _line_index(node)
    bad = [Problem(d.type, d.message, d.loc, file=filename, line=d.line) for d in dups]
    bad += [Problem("number_range", f"{'.'.join(map(str, loc))}：{why}", loc, file=filename, line=_line_of(lines, loc))
            for loc, why in strict_yaml.number_problems(data)]
    if bad:
        raise KpiError(bad)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        probs = problems_from_validation(exc, file=filename)
        raise KpiError([Problem(p.type, _with_allowed_keys(p), p.loc, file=filename, line=_line_of(lines, p.loc))
                        for p in probs]) from None
    whole = [Problem(type_, message, loc, file=filename, line=_line_of(lines, loc))
             for loc, type_, message in cross_problems(plan)]
    if whole:
        raise KpiError(whole)
    plan._source = data  # what HR wrote: its meaning is compared across releases (month/record.plan_meaning)
    return plan
