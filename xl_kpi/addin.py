"""The ribbon's scripts under the module name the add-in's buttons call (``RunPython "import xl_kpi.addin as a;
a.score()"``, and xlwings Server's custom_scripts); they live in ``xl_kpi.excel.ribbon``."""
from .excel.ribbon import collect, generate, rollup, score, send
from .excel.selftest import selftest_caller as selftest

__all__ = ["collect", "generate", "rollup", "score", "selftest", "send"]
