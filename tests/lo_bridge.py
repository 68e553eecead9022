"""Route the add-in's UDFs to Python inside LibreOffice, so an engine that is not
ours computes UDF-mode workbooks: a StarBasic function per UDF (Calc calls Basic
functions for unknown names) invokes a Python script that calls xl_kpi.udfs."""
import inspect
import site
import sys
from pathlib import Path

from xl_kpi import udfs

ROOT = Path(__file__).resolve().parent.parent


def basic_module() -> str:
    lines = [
        "Function PyCall(fname As String, args As Variant) As Variant",
        "  Dim oSP As Object, oScript As Object",
        '  oSP = createUnoService("com.sun.star.script.provider.MasterScriptProviderFactory").createScriptProvider("")',
        '  oScript = oSP.getScript("vnd.sun.star.script:kpi_bridge.py$call?language=Python&location=user")',
        "  PyCall = oScript.invoke(Array(fname, args), Array(), Array())",
        "End Function",
        "",
    ]
    for f in udfs.UDFS:
        params = list(inspect.signature(f).parameters.values())
        sig = ", ".join(("Optional " if p.default is not p.empty else "") + p.name for p in params)
        lines.append(f"Function {f.__name__}({sig})")
        names = []
        for p in params:
            if p.default is not p.empty:
                lines.append(f"  If IsMissing({p.name}) Then {p.name} = Empty")
            names.append(p.name)
        lines.append(f'  {f.__name__} = PyCall("{f.__name__}", Array({", ".join(names)}))')
        lines.append("End Function")
        lines.append("")
    return "\n".join(lines)


def python_script() -> str:
    paths = [str(ROOT)] + [p for p in sys.path if p.endswith("site-packages")] + site.getsitepackages()
    return f'''import sys
sys.path[:0] = {paths!r}
from xl_kpi import udfs


def _py(v):
    if isinstance(v, tuple):
        return [_py(x) for x in v]
    if v == "":
        return None
    return v


def call(name, args):
    f = getattr(udfs, name)
    args = [_py(a) for a in args]
    args = [a if not (isinstance(a, list) and a and not isinstance(a[0], list)) else [a] for a in args]
    result = f(*args)
    return "" if result is None else result


g_exportedScripts = (call,)
'''
