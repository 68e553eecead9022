"""A condition written in the plan over the month's outside figures (外部数据: ranks, competitors' figures),
such as ``"sina_rank <= 1"`` or ``"sichuan_top3_share >= 90% and rival_lead_share >= 95%"``: HR imports the
facts and the tool decides (a team pool's sign, below). Comparisons (< <= > >= == !=), and / or / not,
parentheses, + - * /, numbers and percents (90% is 0.9); names are the plan's figure ids."""
from __future__ import annotations

import ast
import operator
import re

from .numbers import snap

_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class ConditionError(ValueError):
    """A condition that cannot be read, in Chinese and English."""


def parse(text: str) -> ast.Expression:
    """The condition's syntax tree; ConditionError for anything but the forms above."""
    try:
        tree = ast.parse(_PERCENT.sub(r"(\1/100)", text.strip()), mode="eval")
    except SyntaxError:
        raise ConditionError(f"条件“{text}”写法有误 / cannot read the condition “{text}”") from None
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
                                 ast.Compare, ast.BinOp, ast.Name, ast.Load, ast.Constant, *_COMPARE, *_ARITH)) \
                or isinstance(node, ast.Constant) and (isinstance(node.value, bool)
                                                       or not isinstance(node.value, (int, float))):
            raise ConditionError(f"条件“{text}”中有不支持的写法（只能用比较、and/or/not、四则运算、数字和外部数据的编号） / "
                                 f"the condition “{text}” uses something other than comparisons, and/or/not, "
                                 f"arithmetic, numbers and figure ids")
    return tree


def names(text: str) -> list[str]:
    """The figure ids a condition reads, in order of appearance."""
    return list(dict.fromkeys(n.id for n in ast.walk(parse(text)) if isinstance(n, ast.Name)))


def unread(texts: list[str], figures: dict[str, float]) -> list[str]:
    """The figure ids these conditions read that ``figures`` lacks, each once: what HR has yet to import."""
    return [n for n in dict.fromkeys(n for text in texts for n in names(text)) if n not in figures]


def holds(text: str, figures: dict[str, float]) -> bool:
    """Whether the condition holds for these figures (every name given); numbers compare as a spreadsheet
    shows them (15 significant digits)."""
    return bool(_value(parse(text).body, figures))


def _value(node, figures):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(figures[node.id])
    if isinstance(node, ast.BoolOp):
        values = (bool(_value(v, figures)) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.UnaryOp):
        inner = _value(node.operand, figures)
        return (not inner) if isinstance(node.op, ast.Not) else -inner
    if isinstance(node, ast.BinOp):
        a, b = _value(node.left, figures), _value(node.right, figures)
        if isinstance(node.op, ast.Div) and b == 0:
            raise ConditionError("条件中除以0 / division by zero in a condition")
        return _ARITH[type(node.op)](a, b)
    left = _value(node.left, figures)
    for op, right_node in zip(node.ops, node.comparators):
        right = _value(right_node, figures)
        if not _COMPARE[type(op)](snap(left), snap(right)):
            return False
        left = right
    return True
