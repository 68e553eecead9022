"""LibreOffice as a headless spreadsheet engine: recalculate and render workbooks.

Used by the tests to prove that the formulas xl_kpi writes compute what the
Python engine computes, and to render pages to pictures. Never ship a file
LibreOffice saved: it rewrites formulas.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

# Recalculate every formula on load, cached values or not (OOXMLRecalcMode 0 = always).
_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


_XLC = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "libraries.dtd">
<library:libraries xmlns:library="http://openoffice.org/2000/library" xmlns:xlink="http://www.w3.org/1999/xlink">
 <library:library library:name="Standard" library:link="false"/>
</library:libraries>
"""
_XLB = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" library:readonly="false" library:passwordprotected="false">
{elements}</library:library>
"""
_XBA = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="{name}" script:language="StarBasic">{code}</script:module>
"""


def _profile(root: Path) -> str:
    """A fresh user profile that recalculates every formula on load."""
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
    return root.resolve().as_uri()


def _add_macros(root: Path, basic_modules: dict[str, str] | None, python_scripts: dict[str, str] | None) -> None:
    """Basic modules (plain source) that formulas may call, and Python scripts they may invoke."""
    from xml.sax.saxutils import escape

    user = root / "user"
    if basic_modules:
        lib = user / "basic" / "Standard"
        lib.mkdir(parents=True, exist_ok=True)
        for kind in ("script", "dialog"):
            (user / "basic" / f"{kind}.xlc").write_text(_XLC.format(kind=kind), encoding="utf-8")
        elements = "".join(f' <library:element library:name="{n}"/>\n' for n in basic_modules)
        (lib / "script.xlb").write_text(_XLB.format(elements=elements), encoding="utf-8")
        (lib / "dialog.xlb").write_text(_XLB.format(elements=""), encoding="utf-8")
        for name, code in basic_modules.items():
            (lib / f"{name}.xba").write_text(_XBA.format(name=name, code=escape(code)), encoding="utf-8")
    for name, source in (python_scripts or {}).items():
        folder = user / "Scripts" / "python"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(source, encoding="utf-8")


def convert(paths: list[Path], outdir: Path, to: str = "xlsx", basic_modules: dict[str, str] | None = None,
            timeout: float = 600, python_scripts: dict[str, str] | None = None) -> list[Path]:
    """Convert (and so recalculate) many files in one soffice call; returns the outputs in order."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xl_kpi_lo_") as prof:
        uri = _profile(Path(prof))
        if basic_modules or python_scripts:
            # Basic libraries are only picked up from an initialised profile: start once, then add them.
            subprocess.run([exe, f"-env:UserInstallation={uri}", "--headless", "--norestore", "--terminate_after_init"],
                           capture_output=True, timeout=timeout)
            _add_macros(Path(prof), basic_modules, python_scripts)
        cmd = [exe, f"-env:UserInstallation={uri}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", to, "--outdir", str(outdir), *map(str, paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    ext = to.split(":")[0]
    outs = [outdir / (Path(p).stem + "." + ext) for p in paths]
    missing = [o for o in outs if not o.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing[0]}: {done.stdout}{done.stderr}")
    return outs


def recalc(paths: list[Path], outdir: Path, basic_modules: dict[str, str] | None = None,
           python_scripts: dict[str, str] | None = None) -> list[Path]:
    return convert(paths, outdir, "xlsx", basic_modules, python_scripts=python_scripts)


def render_png(path: Path, outdir: Path, first_page_only: bool = True, dpi: int = 110) -> list[Path]:
    """A workbook's printed pages as PNG pictures (soffice → PDF → pdftoppm)."""
    pdf = convert([path], outdir, "pdf")[0]
    prefix = outdir / pdf.stem
    args = ["pdftoppm", "-png", "-r", str(dpi)] + (["-f", "1", "-l", "1"] if first_page_only else [])
    subprocess.run(args + [str(pdf), str(prefix)], check=True, capture_output=True)
    return sorted(outdir.glob(pdf.stem + "*.png"))
