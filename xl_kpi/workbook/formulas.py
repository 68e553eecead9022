"""Formula cells of a workbook, read straight from its sheet XML, and compared by meaning.

Every spreadsheet app rewrites formulas when it saves: LibreOffice drops quotes a sheet
name does not need and lower-cases functions it does not know, Excel writes shared
formulas over repeated rows, ``_xlfn.``/``_xludf.`` prefixes and calls to an add-in's
function as an external reference (``[1]!KPI_SCORE``). So a formula is compared as a
stream of tokens normalised for all of that, and for nothing that changes a result.
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError
from openpyxl.formula.translate import Translator, TranslatorError

from ..core.udf_calls import NAMES as UDF_NAMES
from .derive import Template, sheet_parts

_NS = rb"(?:[\w.-]+:)?"  # writers other than Excel may prefix the elements (<x:c>)
_CELL = re.compile(rb"<" + _NS + rb"c\b([^>]*?)(?:/>|>(.*?)</" + _NS + rb"c>)", re.S)
_F = re.compile(rb"<" + _NS + rb"f\b([^>]*?)(?:/>|>(.*?)</" + _NS + rb"f>)", re.S)
_V = re.compile(rb"<" + _NS + rb"v>(.*?)</" + _NS + rb"v>", re.S)
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_PREFIXES = ("_XLFN.", "_XLUDF.", "_XLL.", "_XLWS.")
_UDF_NAMES = frozenset(UDF_NAMES)
ADDIN_FILE = "xl_kpi.xlam"


@dataclass(frozen=True)
class FormulaCell:
    formula: str  # as the file holds it, XML-unescaped, without "="; shared formulas expanded
    cached: str | None = None  # the result the spreadsheet stored, as text
    kind: str = "n"  # the cell's type: n (number), str, b, e (error), s (shared string)


def _attrs(raw: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(raw))


def _text(raw: bytes | None) -> str:
    return html.unescape(raw.decode("utf-8")) if raw else ""


@lru_cache(maxsize=65536)
def _translate(formula: str, origin: str, dest: str) -> str:
    """A shared formula's text at another cell of its range, relative references shifted as Excel does."""
    try:
        return Translator("=" + formula, origin=origin).translate_formula(dest)[1:]
    except TranslatorError:
        return formula


def sheet_formulas(xml: bytes) -> dict[str, FormulaCell]:
    """coordinate → formula cell, for every formula cell of one sheet part."""
    out: dict[str, FormulaCell] = {}
    masters: dict[bytes, tuple[str, str]] = {}
    shared: list[tuple[str, bytes, FormulaCell]] = []
    for attrs, body in _CELL.findall(xml):
        if not body or b"<" not in body:
            continue
        f = _F.search(body)
        if f is None:
            continue
        a, fa = _attrs(attrs), _attrs(f.group(1))
        coord = a.get(b"r", b"").decode()
        v = _V.search(body)
        cell = FormulaCell(_text(f.group(2)), _text(v.group(1)) if v else None, a.get(b"t", b"n").decode())
        if fa.get(b"t") == b"shared":
            si = fa.get(b"si", b"")
            if cell.formula:
                masters[si] = (coord, cell.formula)
            else:
                shared.append((coord, si, cell))
                continue
        out[coord] = cell
    for coord, si, cell in shared:
        if si in masters:
            origin, text = masters[si]
            out[coord] = FormulaCell(_translate(text, origin, coord), cell.cached, cell.kind)
    return out


# --------------------------------------------------------------------------- normalising


def _split_ref(ref: str) -> tuple[str, str]:
    """``'It''s'!$A$1`` → ("IT'S", "A1"): the sheet without quotes, the address without $."""
    sheet, bang, addr = ref.rpartition("!")
    if not bang:
        return "", ref.replace("$", "").upper()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet.upper(), addr.replace("$", "").upper()


def _function(value: str, addin_refs: frozenset[str]) -> str:
    """A function token's name without the prefixes a save adds; the add-in's book reference
    is dropped only for our own functions, so a call into another book stays different."""
    book, bang, name = value[:-1].rpartition("!")
    name = name.upper()
    for p in _PREFIXES:
        if name.startswith(p):
            name = name[len(p):]
    if bang and name in _UDF_NAMES and (book in addin_refs or book.strip("'").lower().endswith(ADDIN_FILE)):
        book = ""
    return (book.upper() + "!" if book else "") + name + "("


def _token(t: Token, addin_refs: frozenset[str]) -> str | None:
    if t.type == Token.WSPACE:
        return None
    if t.type == Token.FUNC and t.subtype == Token.OPEN:
        return _function(t.value, addin_refs)
    if t.type == Token.OPERAND:
        if t.subtype == Token.RANGE:
            sheet, addr = _split_ref(t.value)
            return f"{sheet}!{addr}" if sheet else addr
        if t.subtype == Token.NUMBER:
            try:
                return repr(float(t.value))
            except ValueError:
                return t.value
        if t.subtype in (Token.LOGICAL, Token.ERROR):
            return t.value.upper()
    return t.value


@lru_cache(maxsize=65536)
def normalize(formula: str, addin_refs: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The formula's meaning as a tuple of tokens; two formulas that compute the same way
    after a save by Excel, WPS or LibreOffice give the same tuple."""
    try:
        tokens = Tokenizer("=" + formula.lstrip("=")).items
    except TokenizerError:
        return ("#UNPARSED", formula)
    return _logicals(tuple(s for s in (_token(t, addin_refs) for t in tokens) if s is not None))


def _logicals(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """LibreOffice saves the constants TRUE and FALSE as the functions TRUE() and FALSE()."""
    out, i = [], 0
    while i < len(tokens):
        if tokens[i] in ("TRUE(", "FALSE(") and i + 1 < len(tokens) and tokens[i + 1] == ")":
            out.append(tokens[i][:-1])
            i += 2
            continue
        out.append(tokens[i])
        i += 1
    return tuple(out)


# --------------------------------------------------------------------------- a workbook's formulas


_EXTREF = re.compile(rb"<" + _NS + rb"externalReference\b[^>]*?r:id=\"([^\"]+)\"")
_REL = re.compile(rb"<Relationship\b[^>]*>")


def _rels(xml: bytes) -> dict[str, str]:
    out = {}
    for rel in _REL.findall(xml):
        a = _attrs(rel)
        out[a.get(b"Id", b"").decode()] = html.unescape(a.get(b"Target", b"").decode())
    return out


def addin_references(files: dict[str, bytes]) -> frozenset[str]:
    """``[n]`` for every external book of the workbook that is our add-in (Excel stores a call
    of an add-in's function as ``[n]!KPI_SCORE`` with an externalLink part per book)."""
    wb_rels = _rels(files.get("xl/_rels/workbook.xml.rels", b""))
    out = set()
    for n, rid in enumerate(_EXTREF.findall(files.get("xl/workbook.xml", b"")), start=1):
        part = wb_rels.get(rid.decode(), "")
        part = part.lstrip("/") if part.startswith("/") else "xl/" + part
        folder, _, name = part.rpartition("/")
        targets = _rels(files.get(f"{folder}/_rels/{name}.rels", b"")).values()
        if any(t.replace("\\", "/").rsplit("/", 1)[-1].lower() == ADDIN_FILE for t in targets):
            out.add(f"[{n}]")
    return frozenset(out)


@dataclass
class WorkbookFormulas:
    cells: dict[tuple[str, str], FormulaCell]  # (sheet, coordinate) → formula cell
    addin_refs: frozenset[str] = frozenset()

    def same(self, key: tuple[str, str], expected: str) -> bool:
        """Whether the cell still holds the expected formula, in meaning."""
        cell = self.cells.get(key)
        if cell is None:
            return False
        return cell.formula == expected or normalize(cell.formula, self.addin_refs) == normalize(expected)


def workbook_formulas(path: Path) -> WorkbookFormulas:
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist() if n.startswith("xl/") and n.endswith((".xml", ".rels"))}
    cells = {}
    for sheet, part in sheet_parts(files).items():
        if part in files:
            for coord, cell in sheet_formulas(files[part]).items():
                cells[(sheet, coord)] = cell
    return WorkbookFormulas(cells, addin_references(files))


_PLAIN_F = re.compile(rb"<f>(.*?)</f>", re.S)


def sheet_bytes(path: Path, parts) -> dict[str, bytes]:
    """The XML of these parts of a workbook (those it has)."""
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        return {part: z.read(part) for part in parts if part in names}


def untouched(sheets: dict[str, bytes], expected: dict[str, list[bytes]]) -> bool:
    """True when every sheet (part → XML, as the reader unpacked them) holds exactly the generated
    formulas, none with a cached value: the common case, settled by comparing raw formula texts."""
    for part, formulas in expected.items():
        xml = sheets.get(part)
        if xml is None or _PLAIN_F.findall(xml) != formulas or xml.count(b"</f><v></v>") != len(formulas):
            return False
    return True


def template_formula_bytes(template: Template) -> dict[str, list[bytes]]:
    """Each sheet part's formula texts in order, as :func:`untouched` compares them."""
    return {part: _PLAIN_F.findall(xml.encode("utf-8")) for part, xml in template.sheet_xml().items()}


def template_formulas(template: Template) -> dict[tuple[str, str], str]:
    """(sheet, coordinate) → the formula xl_kpi generates there."""
    xml = template.sheet_xml()
    out = {}
    for sheet, part in template.parts.items():
        for coord, cell in sheet_formulas(xml.get(part, "").encode("utf-8")).items():
            out[(sheet, coord)] = cell.formula
    return out


# --------------------------------------------------------------------------- fingerprints


def meaning_fingerprint(formulas: dict[str, str]) -> str:
    """``m1:`` and a digest of what the formulas (``Sheet!A1`` → formula) compute: their tokens, never the
    bytes an XML writer chose (openpyxl writes 次 as ``&#27425;`` with lxml and as UTF-8 without), so the same
    workbook has the same fingerprint on every machine, with any library version."""
    tokens = [[cell, list(normalize(formulas[cell]))] for cell in sorted(formulas)]
    return "m1:" + hashlib.sha256(json.dumps(tokens, ensure_ascii=False).encode("utf-8")).hexdigest()


def by_cell(formulas: dict[tuple[str, str], str]) -> dict[str, str]:
    """(sheet, coordinate) → formula as ``Sheet!A1`` → formula, the form HR's record keeps."""
    return {f"{sheet}!{coord}": f for (sheet, coord), f in formulas.items()}


def from_cells(formulas: dict[str, str]) -> dict[tuple[str, str], str]:
    """The inverse of :func:`by_cell`."""
    return {tuple(key.rsplit("!", 1)): f for key, f in formulas.items()}


def legacy_fingerprint(path: Path) -> str:
    """The fingerprint releases before 0.3.0 recorded for a workbook's formulas (a digest of the formula
    texts as openpyxl wrote them): matched against an untouched workbook of such a release, it proves the
    file's formulas are the ones that release generated."""
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist() if n.startswith("xl/") and n.endswith((".xml", ".rels"))}
    digest = hashlib.sha256()
    for part in sorted(sheet_parts(files).values()):
        digest.update(part.encode() + b"\0" + b"\0".join(_PLAIN_F.findall(files.get(part, b""))) + b"\1")
    return digest.hexdigest()
