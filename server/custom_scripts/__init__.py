"""xlwings Server loads the scripts of this module: the 绩效KPI ribbon's scripts."""
from xl_kpi.addin import generate, rollup, score, send

__all__ = ["generate", "rollup", "score", "send"]
