"""The add-in's worksheet functions under the module name installed add-ins and xlwings Server projects call
(``UDF MODULES`` = ``xl_kpi.udfs``); they live in ``xl_kpi.excel.udfs``."""
from .excel.udfs import (
                         ERROR_PREFIX,
                         KPI_ADJUST,
                         KPI_CATEGORY,
                         KPI_COEF,
                         KPI_COMMISSION,
                         KPI_EXPLAIN,
                         KPI_GRADE,
                         KPI_PAY,
                         KPI_SCORE,
                         KPI_TOTAL,
                         MODULE,
                         UDFS,
)

__all__ = ["ERROR_PREFIX", "KPI_ADJUST", "KPI_CATEGORY", "KPI_COEF", "KPI_COMMISSION", "KPI_EXPLAIN", "KPI_GRADE",
           "KPI_PAY", "KPI_SCORE", "KPI_TOTAL", "MODULE", "UDFS"]
