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


def _profile(root: Path, basic_modules: dict[str, str] | None = None) -> str:
    user = root / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
    if basic_modules:  # StarBasic functions that formulas may call (to stand in for add-in UDFs)
        lib = user / "basic" / "Standard"
        lib.mkdir(parents=True, exist_ok=True)
        for name, xml in basic_modules.items():
            (lib / f"{name}.xba").write_text(xml, encoding="utf-8")
    return root.resolve().as_uri()


def convert(paths: list[Path], outdir: Path, to: str = "xlsx", basic_modules: dict[str, str] | None = None,
            timeout: float = 600) -> list[Path]:
    """Convert (and so recalculate) many files in one soffice call; returns the outputs in order."""
    exe = soffice()
    if exe is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xl_kpi_lo_") as prof:
        uri = _profile(Path(prof), basic_modules)
        cmd = [exe, f"-env:UserInstallation={uri}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", to, "--outdir", str(outdir), *map(str, paths)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    ext = to.split(":")[0]
    outs = [outdir / (Path(p).stem + "." + ext) for p in paths]
    missing = [o for o in outs if not o.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing[0]}: {done.stdout}{done.stderr}")
    return outs


def recalc(paths: list[Path], outdir: Path, basic_modules: dict[str, str] | None = None) -> list[Path]:
    return convert(paths, outdir, "xlsx", basic_modules)


def render_png(path: Path, outdir: Path, first_page_only: bool = True, dpi: int = 110) -> list[Path]:
    """A workbook's printed pages as PNG pictures (soffice → PDF → pdftoppm)."""
    pdf = convert([path], outdir, "pdf")[0]
    prefix = outdir / pdf.stem
    args = ["pdftoppm", "-png", "-r", str(dpi)] + (["-f", "1", "-l", "1"] if first_page_only else [])
    subprocess.run(args + [str(pdf), str(prefix)], check=True, capture_output=True)
    return sorted(outdir.glob(pdf.stem + "*.png"))
