"""Formula cells of a workbook, read straight from its sheet XML, to tell whether
someone changed what xl_kpi generated."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import unescape

from .derive import Template, sheet_parts

# A formula cell as xl_kpi writes it and as Excel keeps it: <c r=".."…><f>…</f>[<v>…</v>]</c>
_FCELL = re.compile(r'<c r="([A-Z]+\d+)"[^>]*?>(?:<f>(.*?)</f>|<f [^>]*?(?:/>|>(.*?)</f>))(?:<v>(.*?)</v>|<v/>)?', re.S)


def normalize(formula: str) -> str:
    """Formula text compared loosely: no $, spaces or case differences, no leading =."""
    return re.sub(r"[\s$]", "", unescape(formula, {"&quot;": '"', "&apos;": "'"})).lstrip("=").upper()


def cells(xml: str) -> dict[str, tuple[str, str | None]]:
    """coordinate → (formula, cached value) for every formula cell of a sheet's XML
    (a shared formula's dependent cells carry no text of their own: "")."""
    return {coord: (f or g or "", v or None) for coord, f, g, v in _FCELL.findall(xml)}


_PLAIN_F = re.compile(rb"<f>(.*?)</f>", re.S)


def workbook_formulas(path: Path) -> dict[tuple[str, str], tuple[str, str | None]]:
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist() if n.startswith("xl/")}
    out = {}
    for sheet, part in sheet_parts(files).items():
        if part in files:
            for coord, fv in cells(files[part].decode("utf-8")).items():
                out[(sheet, coord)] = fv
    return out


def untouched(path: Path, expected: dict[str, list[bytes]]) -> bool:
    """True when every sheet holds exactly the generated formulas, none with a cached value:
    the common case, settled by comparing raw formula texts (no parsing of cells)."""
    with zipfile.ZipFile(path) as z:
        for part, formulas in expected.items():
            try:
                xml = z.read(part)
            except KeyError:
                return False
            if _PLAIN_F.findall(xml) != formulas or xml.count(b"</f><v></v>") != len(formulas):
                return False
    return True


def template_formula_bytes(template: Template) -> dict[str, list[bytes]]:
    """Each sheet part's formula texts in order, as :func:`untouched` compares them."""
    return {part: _PLAIN_F.findall(xml.encode("utf-8")) for part, xml in template.sheet_xml().items()}


def template_formulas(template: Template) -> dict[tuple[str, str], str]:
    xml = template.sheet_xml()
    out = {}
    for sheet, part in template.parts.items():
        for coord, (f, _) in cells(xml.get(part, "")).items():
            out[(sheet, coord)] = f
    return out
