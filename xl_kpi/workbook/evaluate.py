"""The value each formula xl_kpi writes computes, worked out when the file is written, so it is saved with
the formula: a phone's mail preview, WeChat's file viewer, pandas or calamine show the numbers without
recalculating, and every spreadsheet computes the same ones (tests/test_cached_values.py recalculates in
LibreOffice and compares).

The formulas are the few functions the rule engine writes (``FUNCTIONS``), read with openpyxl's tokenizer
and compiled once per formula text into closures; a workbook of the month then evaluates in a few
milliseconds. A formula with anything else (an add-in's UDF, which only Excel with the add-in computes) has
no value worked out, nor has any formula that reads it: it is written without one, as before.
"""
from __future__ import annotations

import math
import re
from decimal import InvalidOperation
from collections.abc import Callable
from functools import lru_cache

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from ..core.numbers import num, round_half_up, snap


class Error(str):
    """A spreadsheet error value (#N/A, #VALUE!, #DIV/0!), passed on by whatever reads it."""


NA, VALUE, DIV0, NUM = Error("#N/A"), Error("#VALUE!"), Error("#DIV/0!"), Error("#NUM!")


class Unknown(Exception):
    """A formula this module does not compute: it is written without a value."""


Cells = Callable[[str, str], object]  # (sheet, coordinate) → the cell's value; None for a blank cell
Node = Callable[[Cells, str], object]  # compiled formula part: (cells, the formula's own sheet) → value


class Range(tuple):
    """The values of a range of cells (row by row), as functions that take ranges see them."""


# ---------------------------------------------------------------- coercions

def number(v):
    """A value in arithmetic: blank is 0, TRUE 1, a numeric text its number, any other text #VALUE!."""
    if isinstance(v, Error):
        return v
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(v.strip()) if v.strip() else VALUE
    except ValueError:
        return VALUE


def text(v) -> str:
    """A value joined with ``&``: a number as General shows it (15 significant digits)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return num(snap(v))
    return str(v)


def truth(v):
    if isinstance(v, Error):
        return v
    if isinstance(v, str):
        return VALUE
    return bool(number(v))


def _scalar(v):
    if isinstance(v, Range):
        if len(v) != 1:
            return VALUE
        return v[0]
    return v


def _first_error(*values):
    return next((v for v in values if isinstance(v, Error)), None)


# ---------------------------------------------------------------- operators

def _compare(op: str, a, b):
    err = _first_error(a, b)
    if err:
        return err
    a, b = _comparable(a, b), _comparable(b, a)
    rank = lambda v: 0 if isinstance(v, float) else 1 if isinstance(v, str) else 2  # noqa: E731  Excel's order
    if rank(a) != rank(b):
        a, b = rank(a), rank(b)
    elif isinstance(a, str):
        a, b = a.lower(), b.lower()
    elif isinstance(a, float):
        a, b = snap(a), snap(b)
    return {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def _comparable(v, other):
    """A blank compares as 0 beside a number, as "" beside a text, as FALSE beside a logical."""
    if v is None:
        return "" if isinstance(other, str) else False if isinstance(other, bool) else 0.0
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _arith(op: str, a, b):
    a, b = number(a), number(b)
    err = _first_error(a, b)
    if err:
        return err
    if op == "/":
        if b == 0:
            return DIV0
        result = a / b
        return result if math.isfinite(result) else NUM
    if op == "^":
        try:
            result = a ** b
        except (OverflowError, ZeroDivisionError):
            return DIV0 if a == 0 else NUM
    else:
        result = a + b if op == "+" else a - b if op == "-" else a * b
    return result if isinstance(result, float) and math.isfinite(result) else NUM  # overflow, or a complex root


def _infix(op: str, left: Node, right: Node) -> Node:
    if op == "&":
        def join(cells, sheet):
            a, b = _scalar(left(cells, sheet)), _scalar(right(cells, sheet))
            return _first_error(a, b) or text(a) + text(b)
        return join
    if op in ("=", "<>", "<", ">", "<=", ">="):
        return lambda cells, sheet: _compare(op, _scalar(left(cells, sheet)), _scalar(right(cells, sheet)))
    if op in ("+", "-", "*", "/", "^"):
        return lambda cells, sheet: _arith(op, _scalar(left(cells, sheet)), _scalar(right(cells, sheet)))
    raise Unknown(op)


# ---------------------------------------------------------------- functions

def _numbers(args, direct_text: bool = False) -> list | Error:
    """The numbers among a function's arguments, as SUM, COUNT, MIN and MAX take them: in a range only
    numbers count; an argument given directly is taken as a number."""
    out = []
    for a in args:
        if isinstance(a, Range):
            for v in a:
                if isinstance(v, Error):
                    return v
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    out.append(float(v))
        else:
            n = number(a)
            if isinstance(n, Error):
                return n
            out.append(n)
    return out


def _sum(*args):
    values = _numbers(args)
    return values if isinstance(values, Error) else math.fsum(values)


def _count(*args):
    n = 0
    for a in args:
        for v in (a if isinstance(a, Range) else (a,)):
            n += isinstance(v, (int, float)) and not isinstance(v, bool)
    return float(n)


def _extreme(pick):
    def f(*args):
        values = _numbers(args)
        return values if isinstance(values, Error) else pick(values) if values else 0.0
    return f


def _logical(pick):
    def f(*args):
        found = []
        for a in args:
            for v in (a if isinstance(a, Range) else (a,)):
                if isinstance(v, Error):
                    return v
                if isinstance(a, Range) and (v is None or isinstance(v, str)):
                    continue
                t = truth(v)
                if isinstance(t, Error):
                    return t
                found.append(t)
        return pick(found) if found else VALUE
    return f


def _round(x, digits):
    x, digits = number(x), number(digits)
    err = _first_error(x, digits)
    if err:
        return err
    try:
        return float(round_half_up(x, int(digits)))
    except InvalidOperation:  # more digits than a double holds: nothing to round
        return x


def _int(x):
    x = number(x)
    return x if isinstance(x, Error) else float(math.floor(snap(x)))


def _abs(x):
    x = number(x)
    return x if isinstance(x, Error) else abs(x)


def _n(x):
    if isinstance(x, Error):
        return x
    return float(x) if isinstance(x, (int, float)) else 0.0


def _isnumber(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _match(x, within, kind=1.0):
    if isinstance(x, Error):
        return x
    if number(kind) != 0:
        raise Unknown("MATCH")  # only exact matches are written
    for i, v in enumerate(within, start=1):
        if v is not None and not isinstance(v, Error) and _compare("=", x, v) is True:
            return float(i)
    return NA


_CRITERION = re.compile(r"^(<=|>=|<>|<|>|=)?(.*)$", re.S)


def _criterion(c) -> Callable[[object], bool]:
    op, operand = "=", c
    if isinstance(c, str):
        op, operand = _CRITERION.match(c).groups()
        op = op or "="
        n = number(operand)
        operand = operand if isinstance(n, Error) or not operand.strip() else n
    def test(v):
        if isinstance(v, Error) or v is None:
            return False
        if isinstance(operand, float) != (isinstance(v, (int, float)) and not isinstance(v, bool)):
            return op == "<>"
        return _compare(op, v, operand) is True
    return test


def _countif(within, c):
    test = _criterion(c)
    return float(sum(test(v) for v in within))


def _sumif(within, c, summed=None):
    test = _criterion(c)
    summed = within if summed is None else summed
    return math.fsum(float(s) for v, s in zip(within, summed)
                     if test(v) and isinstance(s, (int, float)) and not isinstance(s, bool))


def _subtotal(kind, *args):
    if number(kind) != 9:
        raise Unknown("SUBTOTAL")
    return _sum(*args)


# name → (function, the arguments it takes as ranges; the others as single values)
FUNCTIONS: dict[str, tuple[Callable, frozenset]] = {
    "SUM": (_sum, frozenset(range(255))), "COUNT": (_count, frozenset(range(255))),
    "MIN": (_extreme(min), frozenset(range(255))), "MAX": (_extreme(max), frozenset(range(255))),
    "AND": (_logical(all), frozenset(range(255))), "OR": (_logical(any), frozenset(range(255))),
    "ROUND": (_round, frozenset()), "INT": (_int, frozenset()), "ABS": (_abs, frozenset()), "N": (_n, frozenset()),
    "ISNUMBER": (_isnumber, frozenset()), "NA": (lambda: NA, frozenset()), "TRUE": (lambda: True, frozenset()),
    "FALSE": (lambda: False, frozenset()), "MATCH": (_match, frozenset({1})),
    "COUNTIF": (_countif, frozenset({0})), "SUMIF": (_sumif, frozenset({0, 2})),
    "SUBTOTAL": (_subtotal, frozenset(range(1, 255))),
}
STRICT = {"ROUND", "INT", "ABS", "N", "MATCH", "COUNTIF", "SUMIF", "SUBTOTAL"}  # an error argument is the result


def _call(name: str, args: list[Node]) -> Node:
    if name == "IF":
        return _if(args)
    if name == "CHOOSE":
        return _choose(args)
    if name not in FUNCTIONS:  # an add-in's UDF: unknown only where it is reached (not in an IF's other branch)
        def unknown(cells, sheet):
            raise Unknown(name)
        return unknown
    f, ranges = FUNCTIONS[name]

    def call(cells, sheet):
        values = [a(cells, sheet) if i in ranges else _scalar(a(cells, sheet)) for i, a in enumerate(args)]
        if name in STRICT:
            err = _first_error(*[v for v in values if not isinstance(v, Range)])
            if err and name != "N":
                return err
        return f(*values)
    return call


def _if(args: list[Node]) -> Node:
    if not 2 <= len(args) <= 3:
        raise Unknown("IF")

    def f(cells, sheet):
        t = truth(_scalar(args[0](cells, sheet)))
        if isinstance(t, Error):
            return t
        if t:
            return _scalar(args[1](cells, sheet))
        return _scalar(args[2](cells, sheet)) if len(args) == 3 else False
    return f


def _choose(args: list[Node]) -> Node:
    def f(cells, sheet):
        i = number(_scalar(args[0](cells, sheet)))
        if isinstance(i, Error):
            return i
        i = int(i)
        return _scalar(args[i](cells, sheet)) if 1 <= i < len(args) else VALUE
    return f


# ---------------------------------------------------------------- parsing

_REF = re.compile(r"^(?:'((?:[^']|'')+)'!|([^'!:]+)!)?\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?$")
_PRECEDENCE = {"&": 1, "=": 0, "<>": 0, "<": 0, ">": 0, "<=": 0, ">=": 0, "+": 2, "-": 2, "*": 3, "/": 3, "^": 4}


def _reference(value: str) -> Node:
    m = _REF.match(value)
    if not m:
        raise Unknown(value)
    quoted, bare, c1, r1, c2, r2 = m.groups()
    named = quoted.replace("''", "'") if quoted else bare
    if c2 is None:
        def one(cells, sheet):
            return cells(named or sheet, f"{c1}{r1}")
        return one
    cols = range(column_index_from_string(c1), column_index_from_string(c2) + 1)
    coords = [f"{get_column_letter(c)}{r}" for r in range(int(r1), int(r2) + 1) for c in cols]
    return lambda cells, sheet: Range(cells(named or sheet, c) for c in coords)


class _Parser:
    def __init__(self, formula: str):
        self.tokens = [t for t in Tokenizer(formula).items if t.type != Token.WSPACE]
        self.i = 0

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        t = self.peek()
        if t is None:
            raise Unknown("end of formula")
        self.i += 1
        return t

    def expression(self, least: int = 0) -> Node:
        node = self.unary()
        while (t := self.peek()) is not None and t.type == Token.OP_IN and _PRECEDENCE.get(t.value, -1) >= least:
            self.take()
            prec = _PRECEDENCE[t.value]
            right = self.expression(prec + (t.value != "^"))
            node = _infix(t.value, node, right)
        return node

    def unary(self) -> Node:
        t = self.peek()
        if t is not None and t.type == Token.OP_PRE:
            self.take()
            inner = self.unary()
            return inner if t.value == "+" else lambda cells, sheet: _arith("-", 0.0, _scalar(inner(cells, sheet)))
        node = self.operand()
        while (t := self.peek()) is not None and t.type == Token.OP_POST:  # 5%
            self.take()
            inner = node
            node = lambda cells, sheet, inner=inner: _arith("/", _scalar(inner(cells, sheet)), 100.0)  # noqa: E731
        return node

    def operand(self) -> Node:
        t = self.take()
        if t.type == Token.OPERAND:
            return self.literal(t)
        if t.type == Token.FUNC and t.subtype == Token.OPEN:
            return _call(t.value[:-1].upper(), self.arguments())
        if t.type == Token.PAREN and t.subtype == Token.OPEN:
            node = self.expression()
            if self.take().type != Token.PAREN:
                raise Unknown(")")
            return node
        raise Unknown(t.value)

    def arguments(self) -> list[Node]:
        args = []
        if (t := self.peek()) is not None and t.type == Token.FUNC and t.subtype == Token.CLOSE:
            self.take()
            return args
        while True:
            args.append(self.expression())
            t = self.take()
            if t.type == Token.FUNC and t.subtype == Token.CLOSE:
                return args
            if t.type != Token.SEP:
                raise Unknown(t.value)

    @staticmethod
    def literal(t: Token) -> Node:
        if t.subtype == Token.NUMBER:
            v = float(t.value)
        elif t.subtype == Token.TEXT:
            v = t.value[1:-1].replace('""', '"')
        elif t.subtype == Token.LOGICAL:
            v = t.value.upper() == "TRUE"
        elif t.subtype == Token.ERROR:
            v = Error(t.value)
        else:
            return _reference(t.value)
        return lambda cells, sheet: v


@lru_cache(maxsize=4096)
def compiled(formula: str) -> Node:
    """A formula's text (with or without ``=``) as a function of the cells; Unknown for what is not
    computed here."""
    p = _Parser(formula if formula.startswith("=") else "=" + formula)
    node = p.expression()
    if p.peek() is not None:
        raise Unknown(p.peek().value)
    return node


# ---------------------------------------------------------------- a workbook's formulas

def evaluate(formulas: dict[tuple[str, str], str], values: Cells, known: dict | None = None,
             reads: dict[tuple[str, str], set] | None = None) -> dict[tuple[str, str], object]:
    """The value of each formula cell (sheet, coordinate) → formula text, given the other cells' values;
    the cells whose formula (or a formula it reads) is not computed here are left out. ``known``: formula
    cells whose value is already known. ``reads``: filled with the cells each formula's value came from
    (through the formulas it reads): the same values there give the same value."""
    done: dict[tuple[str, str], object] = dict(known or {})
    unknown = object()
    stack: list[tuple[str, str]] = []
    track = reads is not None

    def cell(sheet: str, coord: str):
        key = (sheet, coord)
        if key not in formulas:
            if track and stack:
                reads[stack[-1]].add(key)
            return values(sheet, coord)
        if key not in done:
            done[key] = unknown  # a circle reads as unknown
            if track:
                reads[key] = set()
                stack.append(key)
            try:
                done[key] = _scalar(compiled(formulas[key])(cell, sheet))
            except (Unknown, ArithmeticError, ValueError):  # nothing made up where a rule above did not hold
                done[key] = unknown
            finally:
                if track:
                    stack.pop()
        if track and stack:
            reads[stack[-1]] |= reads.get(key, set())
        if done[key] is unknown:
            raise Unknown(f"{sheet}!{coord}")
        return done[key]

    out = {}
    for key in formulas:
        try:
            out[key] = cell(*key)
        except Unknown:
            continue
    return out
