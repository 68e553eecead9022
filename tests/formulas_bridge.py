"""Compute UDF-mode workbooks with the `formulas` package, the add-in's UDFs
registered as its functions: an engine that is not ours runs the formulas."""
import re

import formulas
import numpy as np
import schedula

from xl_kpi import udfs


def _py(v):
    if v is schedula.EMPTY or (isinstance(v, str) and v == ""):
        return None
    if isinstance(v, formulas.functions.XlError):
        return str(v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _arg(a):
    if hasattr(a, "value") and not isinstance(a, np.ndarray):  # a Ranges object: its values
        a = a.value
    if isinstance(a, np.ndarray):
        rows = [[_py(v) for v in row] for row in a.tolist()] if a.ndim == 2 else [[_py(v) for v in a.tolist()]]
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    return _py(a)


def _wrap(f):
    def call(*args):
        result = f(*(_arg(a) for a in args))
        return "" if result is None else result
    return call


def register() -> None:
    functions = formulas.get_functions()
    for f in udfs.UDFS:
        functions[f.__name__] = formulas.functions.wrap_ranges_func(_wrap(f))


_KEY = re.compile(r"^'\[[^\]]+\](.+)'!([A-Z]+\d+)$")


def compute(path) -> dict[tuple[str, str], object]:
    """Every cell's computed value: (SHEET in upper case, coordinate) → value."""
    register()
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, value in solution.items():
        m = _KEY.match(key)
        if m:
            v = value.value[0, 0] if hasattr(value, "value") else value
            out[(m.group(1).upper(), m.group(2))] = _py(v)
    return out
