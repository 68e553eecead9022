"""xlwings Server loads the scripts of this module: the 绩效KPI ribbon's scripts."""
from xl_kpi.addin import collect, generate, rollup, score, send

__all__ = ["collect", "generate", "rollup", "score", "send"]
