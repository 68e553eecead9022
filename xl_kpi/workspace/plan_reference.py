"""docs/plan.md: every key of plan.yaml and every rule type, rendered from the plan models and
templates/docs (plan_keys.yaml for the words, plan.md.j2 for the page), so it cannot drift: a test
compares the file with what this renders, and every model key must have its words.

    python -m xl_kpi.workspace.plan_reference > docs/plan.md
"""
from __future__ import annotations

import types
import typing
from decimal import Decimal

import yaml
from pydantic import BaseModel

from ..core import commission
from ..core import plan as plan_models
from ..core import raters
from ..core.numbers import num
from ..core.rules import parse_rule
from ..workbook import texts

MODELS = [plan_models.Plan, plan_models.Role, plan_models.Category, plan_models.Metric, plan_models.OutsideFigure,
          plan_models.InputItem,
          plan_models.ReportItem, commission.Commission, commission.CommissionBand, plan_models.Adjustment,
          plan_models.CohortBonus, plan_models.Pool, plan_models.Review, plan_models.PeriodBonus, plan_models.Grade, plan_models.Promotion,
          raters.Ratings, raters.Anchor, plan_models.Appeal]


def keys() -> dict:
    return yaml.safe_load((texts.SHIPPED / "docs" / "plan_keys.yaml").read_text(encoding="utf-8"))


def kind(annotation) -> str:
    """A field's type in words."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return "编号 id" if args[0] is str else kind(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if all(isinstance(a, type) and issubclass(a, BaseModel) for a in inner) and len(inner) > 1:
            return "规则 rule"
        return " 或 ".join(kind(a) for a in inner) + ("（可为 null）" if len(inner) < len(args) else "")
    if origin is typing.Literal:
        return " / ".join(f"`{a}`" for a in args)
    if origin is list:
        return f"列表 list of {kind(args[0])}"
    if origin is dict:
        return "键值表 mapping"
    names = {str: "文字 text", float: "数字 number", int: "整数 integer", bool: "true / false",
             Decimal: "金额 money (yuan)"}
    if annotation in names:
        return names[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
    return str(annotation)


def default(field) -> str:
    if field.is_required():
        return "必填 required"
    value = field.default
    if isinstance(value, BaseModel):
        return "见下 see below"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return num(value)
    if value == "":
        return '""'
    if value in ([], {}):
        return str(value)
    return f"`{value}`"


def model_rows(model, words: dict) -> list[dict]:
    def type_of(field):
        is_id = any(getattr(m, "pattern", None) for m in field.metadata)  # Ident: the pattern lives in metadata
        return "编号 id" if is_id else kind(field.annotation)

    return [{"key": name, "type": type_of(field), "default": default(field), **words[name]}
            for name, field in model.model_fields.items()]


def rule_examples(rules: dict) -> dict:
    """Each rule type's worked example, described by the rule's own describe() (never retyped)."""
    return {kind_: {**spec, "describe": parse_rule(spec["example"]["rule"]).describe(spec["example"]["unit"])}
            for kind_, spec in rules.items()}


def render() -> str:
    k = keys()
    sections = [{"name": m.__name__, **k["models"][m.__name__]["_"], "rows": model_rows(m, k["models"][m.__name__])}
                for m in MODELS]
    return texts.render("docs/plan.md.j2", models=sections, rules=rule_examples(k["rules"])).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - the command that refreshes docs/plan.md
    import sys

    sys.stdout.write(render())
