"""Computed metrics: 投诉率 = complaints / interactions, ROI = (revenue - cost) / cost.

An expression over the role's figures with numbers, ``+ - * /`` and parentheses, nothing else: parsed
here (never ``eval``), evaluated in Python the way a spreadsheet does, compiled to the cell formula,
and written out in words for the explanation. A division by zero is an error the caller turns into a
located problem, or the value the plan declares (``if_zero``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .numbers import MAX_NUMBER, num, snap

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?%?)|(?P<name>[a-z][a-z0-9_]*)|(?P<op>[-+*/()]))")
_WORDS = {"+": " + ", "-": " − ", "*": " × ", "/": " ÷ "}


class ExprError(ValueError):
    """A computed metric's expression that cannot be read; the message is ``中文 / English``."""


class DivisionByZero(ArithmeticError):
    def __init__(self, divisor: str):
        super().__init__(divisor)
        self.divisor = divisor  # the text of the divisor that is zero


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Neg:
    operand: object


@dataclass(frozen=True)
class Bin:
    op: str
    left: object
    right: object


class _Parser:
    def __init__(self, text: str):
        self.text, self.pos = text, 0
        self.tokens = []
        while self.pos < len(text.rstrip()):
            m = _TOKEN.match(text, self.pos)
            if not m or m.end() == self.pos:
                bad = text[self.pos:].strip()[:1]
                raise ExprError(f"“{bad}”不能用在计算式中（只能用指标编号、数字、+ - * / 和括号） / "
                                f"“{bad}” is not allowed (metric ids, numbers, + - * / and parentheses only)")
            self.tokens.append((m.lastgroup, m.group(m.lastgroup)))
            self.pos = m.end()
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        if not self.tokens:
            raise ExprError("计算式为空 / the expression is empty")
        node = self.sum()
        if self.i != len(self.tokens):
            raise ExprError(f"计算式在“{self.peek()[1]}”处多余 / unexpected “{self.peek()[1]}”")
        return node

    def sum(self):
        node = self.product()
        while self.peek() in (("op", "+"), ("op", "-")):
            node = Bin(self.take()[1], node, self.product())
        return node

    def product(self):
        node = self.unary()
        while self.peek() in (("op", "*"), ("op", "/")):
            node = Bin(self.take()[1], node, self.unary())
        return node

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return Neg(self.unary())
        kind, value = self.take()
        if kind == "num":
            return Num(float(value[:-1]) / 100 if value.endswith("%") else float(value))
        if kind == "name":
            return Name(value)
        if (kind, value) == ("op", "("):
            node = self.sum()
            if self.take() != ("op", ")"):
                raise ExprError("括号不成对 / unbalanced parentheses")
            return node
        raise ExprError("计算式不完整 / the expression is incomplete" if kind is None
                        else f"“{value}”的位置不对 / “{value}” is out of place")


def parse(text: str):
    return _Parser(text).parse()


def names(node) -> list[str]:
    """The figures an expression uses, in order of first use."""
    out: list[str] = []

    def walk(n):
        if isinstance(n, Name) and n.id not in out:
            out.append(n.id)
        elif isinstance(n, Neg):
            walk(n.operand)
        elif isinstance(n, Bin):
            walk(n.left)
            walk(n.right)

    walk(node)
    return out


def evaluate(node, values: dict[str, float]) -> float:
    """The value, as a spreadsheet computes it (each step at 15 significant digits);
    raises DivisionByZero naming the divisor."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name):
        return values[node.id]
    if isinstance(node, Neg):
        return -evaluate(node.operand, values)
    a, b = evaluate(node.left, values), evaluate(node.right, values)
    if node.op == "/":
        if snap(b) == 0:
            raise DivisionByZero(source(node.right))
        result = a / b
    else:
        result = a + b if node.op == "+" else a - b if node.op == "-" else a * b
    if not math.isfinite(result) or abs(result) > MAX_NUMBER:
        raise OverflowError(source(node))
    return snap(result)


def _wrap(node, parent: str, right: bool) -> bool:
    """Parentheses where the written form needs them."""
    if not isinstance(node, Bin):
        return False
    level = {"+": 1, "-": 1, "*": 2, "/": 2}
    return level[node.op] < level[parent] or (right and level[node.op] == level[parent] and parent in "-/")


def _render(node, leaf, op_text) -> str:
    if isinstance(node, Num):
        return leaf(node)
    if isinstance(node, Name):
        return leaf(node)
    if isinstance(node, Neg):
        inner = _render(node.operand, leaf, op_text)
        return f"-({inner})" if isinstance(node.operand, Bin) else f"-{inner}"
    left, right = _render(node.left, leaf, op_text), _render(node.right, leaf, op_text)
    if _wrap(node.left, node.op, False):
        left = f"({left})"
    if _wrap(node.right, node.op, True):
        right = f"({right})"
    return f"{left}{op_text(node.op)}{right}"


def source(node) -> str:
    """The expression as the plan writes it."""
    return _render(node, lambda n: num(n.value) if isinstance(n, Num) else n.id, lambda op: f" {op} ")


def divisors(node) -> list:
    out = []
    if isinstance(node, Neg):
        out += divisors(node.operand)
    elif isinstance(node, Bin):
        out += divisors(node.left) + divisors(node.right)
        if node.op == "/":
            out.append(node.right)
    return out


def formula(node, refs: dict[str, str], if_zero: float | None) -> str:
    """The cell formula: the expression over the figures' cells, with the plan's value (or #N/A)
    where a divisor is zero, as Python has it."""
    def leaf(n):
        return num(n.value) if isinstance(n, Num) else refs[n.id]

    body = _render(node, leaf, lambda op: op)
    tests = [f"({_render(d, leaf, lambda op: op)})=0" for d in divisors(node)]
    if not tests:
        return body
    zero = num(if_zero) if if_zero is not None else "NA()"
    test = tests[0] if len(tests) == 1 else f"OR({','.join(tests)})"
    return f"IF({test},{zero},{body})"


def words(node, shown: dict[str, str]) -> str:
    """The expression with each figure's value as its cell shows it: ``12 ÷ 1034``."""
    return _render(node, lambda n: num(n.value) if isinstance(n, Num) else shown[n.id], lambda op: _WORDS[op])


def words_formula(node, shown_exprs: dict[str, str]) -> str:
    """The Excel spelling of :func:`words`: a text expression (figures as text expressions)."""
    parts: list[str] = []

    def lit(text: str):
        if parts and parts[-1].startswith('"') and parts[-1].endswith('"'):
            parts[-1] = parts[-1][:-1] + text.replace('"', '""') + '"'
        else:
            parts.append('"' + text.replace('"', '""') + '"')

    marker = "\x00"
    text = _render(node, lambda n: num(n.value) if isinstance(n, Num) else marker + n.id + marker,
                   lambda op: _WORDS[op])
    for i, piece in enumerate(text.split(marker)):
        if i % 2:
            parts.append(shown_exprs[piece])
        elif piece:
            lit(piece)
    return "&".join(parts) or '""'
