"""xlwings Server loads the custom functions of this module: xl_kpi's UDFs, unchanged.

xlwings Server sets XLWINGS_ON_SERVER=true before importing xlwings, so the
same @xw.func decorators that are inert on the desktop register them here.
"""
from xl_kpi.udfs import UDFS

globals().update({f.__name__: f for f in UDFS})
__all__ = [f.__name__ for f in UDFS]
