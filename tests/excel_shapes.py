"""Workbooks shaped like a save by Excel, made by rewriting the XML of a workbook xl_kpi wrote.

There is no Excel on these machines, so the tests build what Excel is known to write when a person
saves (platform notes; Microsoft KB 817578): formulas repeated down a column become one shared
formula (`<f t="shared" ref="E4:E33" si="0">` on the first cell, `<f t="shared" si="0"/>` on the
others), quotes a sheet name does not need are dropped, the add-in's functions carry `_xludf.` or
are stored as an external reference `[1]!KPI_SCORE` with an externalLink part naming the add-in, and
every formula cell carries the result Excel computed.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import coordinate_from_string

from xl_kpi.udfs import UDFS
from xl_kpi.workbook.derive import sheet_parts
from xl_kpi.workbook.formulas import sheet_formulas

UDF_NAMES = {f.__name__ for f in UDFS}
ADDIN_PATH = "file:///C:\\Users\\张三\\AppData\\Roaming\\Microsoft\\AddIns\\xl_kpi.xlam"
_CELL = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)><f>(.*?)</f>(?:<v>[^<]*</v>|<v/>)?</c>', re.S)
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def excel_formula(text: str, udf_prefix: str) -> str:
    """The formula as Excel writes it back: redundant sheet quotes dropped, UDFs prefixed."""
    out = []
    for t in Tokenizer("=" + text).items:
        v = t.value
        if t.type == Token.OPERAND and t.subtype == Token.RANGE and v.startswith("'"):
            sheet, _, addr = v.rpartition("!")
            name = sheet[1:-1]
            if re.fullmatch(r"[^\s'!()\-+,;&=<>*/^%\"]+", name):
                v = f"{name}!{addr}"
        elif t.type == Token.FUNC and t.subtype == Token.OPEN and v[:-1] in UDF_NAMES:
            v = udf_prefix + v
        out.append(v)
    return "".join(out)


def _runs(formulas: dict[str, str]) -> dict[str, tuple[str, str]]:
    """coordinate → (master coordinate, range) for cells Excel would store as one shared formula:
    consecutive rows of a column whose formulas are the first one's, shifted."""
    by_col: dict[str, list[int]] = {}
    for coord in formulas:
        col, row = coordinate_from_string(coord)
        by_col.setdefault(col, []).append(row)
    out = {}
    for col, rows in by_col.items():
        rows.sort()
        i = 0
        while i < len(rows):
            master = f"{col}{rows[i]}"
            j = i
            while (j + 1 < len(rows) and rows[j + 1] == rows[j] + 1 and
                   Translator("=" + formulas[master], origin=master).translate_formula(f"{col}{rows[j + 1]}")[1:]
                   == formulas[f"{col}{rows[j + 1]}"]):
                j += 1
            if j > i:
                ref = f"{master}:{col}{rows[j]}"
                for r in rows[i:j + 1]:
                    out[f"{col}{r}"] = (master, ref)
            i = j + 1
    return out


def _cell(coord: str, attrs: str, f: str, cached) -> str:
    attrs = re.sub(r'\st="[^"]*"', "", attrs)
    if cached is None:
        v = ""
    elif isinstance(cached, str):
        attrs += ' t="str"'
        v = f"<v>{escape(cached)}</v>"
    else:
        v = f"<v>{cached!r}</v>"
    return f'<c r="{coord}"{attrs}>{f}{v}</c>'


def _sheet(xml: str, cached: dict[str, object], udf_prefix: str) -> str:
    cells = {m.group(1): m for m in _CELL.finditer(xml)}
    found = {coord: cell.formula for coord, cell in sheet_formulas(xml.encode()).items()}
    rewritten = {coord: excel_formula(f, udf_prefix) for coord, f in found.items()}
    shared = _runs(rewritten)
    ids = {ref: str(i) for i, ref in enumerate(sorted({ref for _, ref in shared.values()}))}

    def repl(m):
        coord, attrs = m.group(1), m.group(2)
        text = escape(rewritten[coord])
        if coord in shared:
            master, ref = shared[coord]
            f = (f'<f t="shared" ref="{ref}" si="{ids[ref]}">{text}</f>' if coord == master
                 else f'<f t="shared" si="{ids[ref]}"/>')
        else:
            f = f"<f>{text}</f>"
        return _cell(coord, attrs, f, cached.get(coord))

    assert cells, "no formula cells found"
    return _CELL.sub(repl, xml)


def _external_link(files: dict[str, bytes], target: str) -> None:
    """An externalLink part naming the add-in, referenced by the workbook as [1]."""
    files["xl/externalLinks/externalLink1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="http://schemas.openxmlformats.'
        f'org/spreadsheetml/2006/main" xmlns:r="{_REL_NS}"><externalBook r:id="rId1"/></externalLink>').encode()
    files["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats'
        f'.org/package/2006/relationships"><Relationship Id="rId1" Type="{_REL_NS}/externalLinkPath" '
        f'Target="{escape(target)}" TargetMode="External"/></Relationships>').encode()
    rels = files["xl/_rels/workbook.xml.rels"].decode()
    files["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", (
        f'<Relationship Id="rIdExt1" Type="{_REL_NS}/externalLink" Target="externalLinks/externalLink1.xml"/>'
        "</Relationships>")).encode()
    wb = files["xl/workbook.xml"].decode()
    files["xl/workbook.xml"] = wb.replace("</sheets>", (
        f'</sheets><externalReferences><externalReference xmlns:r="{_REL_NS}" r:id="rIdExt1"/>'
        "</externalReferences>"), 1).encode()
    types = files["[Content_Types].xml"].decode()
    files["[Content_Types].xml"] = types.replace("</Types>", (
        '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.externalLink+xml"/></Types>')).encode()


def excel_save(src: Path, dest: Path, cached: dict[tuple[str, str], object], udf: str = "_xludf.",
               addin: str = ADDIN_PATH) -> Path:
    """``src`` as Excel would save it. ``udf``: "_xludf." or "[1]!" (with an externalLink part
    whose target is ``addin``); ``cached``: (sheet, cell) → the result Excel shows there."""
    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist()}
    for sheet, part in sheet_parts(files).items():
        own = {coord: v for (s, coord), v in cached.items() if s == sheet}
        xml = files[part].decode("utf-8")
        if "<f>" in xml:
            files[part] = _sheet(xml, own, udf).encode("utf-8")
    if udf.startswith("["):
        _external_link(files, addin)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return dest


def rewrite_cell(path: Path, sheet: str, coord: str, change) -> None:
    """Apply ``change(cell_xml) -> cell_xml`` to one cell of one sheet, in place."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    part = sheet_parts(files)[sheet]
    xml = files[part].decode("utf-8")
    m = re.search(rf'<c r="{coord}"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    assert m, (sheet, coord)
    new = change(m.group(0))
    assert new != m.group(0), "the change changed nothing"
    files[part] = (xml[:m.start()] + new + xml[m.end():]).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
