"""The add-in's worksheet functions as formulas name them: the names a UDF-mode workbook calls (each one
implemented in ``xl_kpi.excel.udfs``), and how a formula calls one."""
from __future__ import annotations

NAMES = ("KPI_SCORE", "KPI_EXPLAIN", "KPI_ADJUST", "KPI_CATEGORY", "KPI_TOTAL", "KPI_GRADE", "KPI_COEF", "KPI_PAY",
         "KPI_COMMISSION")


def call(name: str, *args: str) -> str:
    """A formula calling a UDF; trailing empty arguments are left out."""
    args = list(args)
    while args and args[-1] in ("", None):
        args.pop()
    return f"{name}({','.join(args)})"
