"""Formula cells of a workbook, read straight from its sheet XML, to tell whether
someone changed what xl_kpi generated."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import unescape

from .derive import Template, sheet_parts

_CELL = re.compile(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_F = re.compile(r"<f(?:\s[^>]*)?>(.*?)</f>", re.S)
_V = re.compile(r"<v>(.*?)</v>", re.S)


def normalize(formula: str) -> str:
    """Formula text compared loosely: no $, spaces or case differences, no leading =."""
    return re.sub(r"[\s$]", "", unescape(formula, {"&quot;": '"', "&apos;": "'"})).lstrip("=").upper()


def cells(xml: str) -> dict[str, tuple[str, str | None]]:
    """coordinate → (formula, cached value) for every formula cell of a sheet's XML."""
    out = {}
    for coord, body in _CELL.findall(xml):
        if body and "<f" in body:
            f = _F.search(body)
            v = _V.search(body)
            out[coord] = (f.group(1) if f else "", v.group(1) if v and v.group(1) != "" else None)
    return out


def workbook_formulas(path: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist() if n.startswith("xl/")}
    out = {}
    for sheet, part in sheet_parts(files).items():
        if part in files:
            for coord, fv in cells(files[part].decode("utf-8")).items():
                out[(sheet, coord)] = fv
    return out


def template_formulas(template: Template) -> dict[tuple[str, str], str]:
    xml = template.sheet_xml()
    out = {}
    for sheet, part in template.parts.items():
        for coord, (f, _) in cells(xml.get(part, "")).items():
            out[(sheet, coord)] = f
    return out
