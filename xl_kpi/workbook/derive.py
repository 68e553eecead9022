"""Per-employee workbooks derived from a role template by patching its XML.

openpyxl takes ~20 ms to build a workbook; cutting the template's sheet XML
into fixed pieces around the slot cells once, then joining the pieces with
each employee's cells and zipping, takes about a millisecond. The output is
deterministic: fixed member order and zip dates.
"""
from __future__ import annotations

import html
import io
import re
import shutil
import typing
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, unescape

from . import evaluate, zipped
from .cells import Layout, Slot

ZIP_DATE = zipped.ZIP_DATE
_SHEET_RE = re.compile(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="([^"]+)"')
_REL_RE = re.compile(r'<Relationship [^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"|<Relationship [^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')
_STYLE_RE = re.compile(r'\ss="(\d+)"')
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_STAMP_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def sheet_parts(files: dict[str, bytes]) -> dict[str, str]:
    """Sheet title → its XML part inside the zip."""
    wb = files["xl/workbook.xml"].decode("utf-8")
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    targets = {}
    for m in _REL_RE.finditer(rels):
        rid, target = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        targets[rid] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return {unescape(name, {"&quot;": '"'}): targets[rid] for name, rid in _SHEET_RE.findall(wb)}


def cell_xml(coord: str, style: str, value, kind: str) -> str:
    s = f' s="{style}"' if style else ""
    if value is None or value == "":
        return f'<c r="{coord}"{s}/>'
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{coord}"{s}><v>{repr(float(value)) if isinstance(value, float) else value}</v></c>'
    text = escape(_BAD_XML.sub("", str(value)))
    return f'<c r="{coord}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


@dataclass
class _Piece:
    key: str  # a slot's key; for a formula cell, FORMULA + sheet + "!" + coordinate
    coord: str
    style: str
    kind: str  # a slot's kind, or "formula"
    formula: str = ""  # a formula cell's <f>…</f>, as the template has it


FORMULA = "="
_FORMULA_CELL = re.compile(r'<c r="([A-Z]+\d+)"(?: s="(\d+)")?>(<f>[^<]*</f>)<v></v></c>')


def formula_xml(coord: str, style: str, f: str, value) -> str:
    """A formula cell with the value it computes (evaluate.py), as a spreadsheet saves it."""
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{coord}"{s}>{f}<v></v></c>'
    if isinstance(value, bool):
        return f'<c r="{coord}"{s} t="b">{f}<v>{int(value)}</v></c>'
    if isinstance(value, float):
        return f'<c r="{coord}"{s}>{f}<v>{repr(value)}</v></c>'
    kind = "e" if isinstance(value, evaluate.Error) else "str"
    return f'<c r="{coord}"{s} t="{kind}">{f}<v>{escape(_BAD_XML.sub("", value))}</v></c>'


class Template:
    """A role's workbook with holes where employee values go."""

    def __init__(self, layout: Layout):
        buf = io.BytesIO()
        layout.workbook.save(buf)
        with zipfile.ZipFile(buf) as z:
            self.names = z.namelist()
            files = {n: z.read(n) for n in self.names}
        parts = sheet_parts(files)
        self.parts = parts  # sheet title → part
        self.slots = layout.slots
        self.formulas: dict[tuple[str, str], str] = {}  # (sheet, coordinate) → formula text, for evaluate.py
        holes: dict[str, list[tuple[str, Slot]]] = {}
        for key, slot in layout.slots.items():
            holes.setdefault(parts[slot.sheet], []).append((key, slot))
        cut = {}
        for sheet, part in parts.items():
            formula_pieces = self._formula_pieces(files[part].decode("utf-8"), sheet)
            if holes.get(part) or formula_pieces:
                cut[part] = self._cut(files[part].decode("utf-8"), holes.get(part, []), formula_pieces)
        self.pieces: dict[str, tuple[list[str], list[_Piece]]] = cut
        self.static = {n: b for n, b in files.items() if n not in cut}
        if "docProps/core.xml" in self.static:  # openpyxl stamps the time of saving: fix it, for identical output
            self.static["docProps/core.xml"] = _STAMP_RE.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>",
                                                             self.static["docProps/core.xml"])
        self.packed = {n: zipped.deflate(n, b) for n, b in self.static.items()}  # compressed once, not per employee
        self._at = {(slot.sheet, slot.coord): (key, slot.kind) for key, slot in self.slots.items()}
        self._blank: dict[tuple[str, str], object] | None = None  # the template's own cell values
        self._empty = None  # each formula's value with every slot empty, and the slots it read
        self._empty_xml: dict[str, tuple[object, str]] = {}  # piece key → that value and its cell's XML

    def _formula_pieces(self, xml: str, sheet: str) -> list[tuple[int, int, _Piece]]:
        """The formula cells of a sheet part: each becomes a hole its value goes into."""
        out = []
        for m in _FORMULA_CELL.finditer(xml):
            coord, style, f = m.groups()
            self.formulas[(sheet, coord)] = html.unescape(f[3:-4])  # openpyxl writes 次 as &#27425; with lxml
            out.append((m.start(), m.end(), _Piece(FORMULA + sheet + "!" + coord, coord, style or "", "formula", f)))
        return out

    @staticmethod
    def _cut(xml: str, slots: list[tuple[str, Slot]], formula_pieces: list):
        found = list(formula_pieces)
        for key, slot in slots:
            m = re.search(rf'<c r="{slot.coord}"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
            if m is None:
                raise RuntimeError(f"slot {key} ({slot.sheet}!{slot.coord}) is missing from the template")
            style = _STYLE_RE.search(m.group(0)[: m.group(0).find(">") + 1])
            found.append((m.start(), m.end(), _Piece(key, slot.coord, style.group(1) if style else "", slot.kind)))
        found.sort(key=lambda t: t[0])
        texts, pieces, pos = [], [], 0
        for start, end, piece in found:
            texts.append(xml[pos:start])
            pieces.append(piece)
            pos = end
        texts.append(xml[pos:])
        return texts, pieces

    def sheet_xml(self) -> dict[str, str]:
        """Each sheet part's XML as the template has it (slots left out, formulas without values)."""
        out = {}
        for name in self.names:
            if name in self.pieces:
                texts, pieces = self.pieces[name]
                holes = [formula_xml(p.coord, p.style, p.formula, None) if p.kind == "formula" else "" for p in pieces]
                out[name] = texts[0] + "".join(h + t for h, t in zip(holes, texts[1:]))
            elif name.startswith("xl/worksheets/sheet"):
                out[name] = self.static[name].decode("utf-8")
        return out

    def render(self, values: dict[str, object]) -> bytes:
        computed = self.computed(values)
        members = []
        for name in self.names:
            if name in self.pieces:
                texts, pieces = self.pieces[name]
                out = [texts[0]]
                for piece, text in zip(pieces, texts[1:]):
                    if piece.kind == "formula":
                        out.append(self._formula_cell(piece, computed.get(piece.key)))
                    else:
                        out.append(cell_xml(piece.coord, piece.style, values.get(piece.key), piece.kind))
                    out.append(text)
                members.append(zipped.deflate(name, "".join(out).encode("utf-8")))
            else:
                members.append(self.packed[name])
        return zipped.write(members)

    def _formula_cell(self, piece: _Piece, value) -> str:
        """The cell's XML; the one worked out once when its value is the empty template's (most cells)."""
        empty = self.empty_formula(piece)
        if value is empty[0] or type(value) is type(empty[0]) and value == empty[0]:
            return empty[1]
        return formula_xml(piece.coord, piece.style, piece.formula, value)

    def empty_formula(self, piece: _Piece) -> tuple[object, str]:
        """A formula cell's value in the empty template (no slot filled) and its XML."""
        if not self._empty_xml:
            values = self.computed({})
            self._empty_xml = {p.key: (values.get(p.key), formula_xml(p.coord, p.style, p.formula, values.get(p.key)))
                               for _, pieces in self.pieces.values() for p in pieces if p.kind == "formula"}
        return self._empty_xml[piece.key]

    def computed(self, values: dict[str, object]) -> dict[str, object]:
        """Each formula cell's value (by its piece key) with the slots holding ``values``. A formula that
        reads no slot filled here has the value it has in the empty template (most 加减分 rows are empty)."""
        if self._empty is None:
            reads: dict[tuple[str, str], set] = {}
            results = evaluate.evaluate(self.formulas, self._cell_of({}), reads=reads)
            self._empty = (results, {k: frozenset(self._at[c][0] for c in cells if c in self._at)
                                     for k, cells in reads.items()})
        results, slot_reads = self._empty
        filled = {k for k, v in values.items() if v is not None and v != ""}
        known = {k: v for k, v in results.items() if slot_reads[k].isdisjoint(filled)}
        got = evaluate.evaluate(self.formulas, self._cell_of(values), known=known)
        return {FORMULA + sheet + "!" + coord: v for (sheet, coord), v in got.items()}

    def _cell_of(self, values: dict[str, object]):
        blank, at = self._blank_values(), self._at

        def cell(sheet: str, coord: str):
            hole = at.get((sheet, coord))
            if hole is None:
                return blank.get((sheet, coord))
            return as_written(values.get(hole[0]), hole[1])
        return cell

    def _blank_values(self) -> dict[tuple[str, str], object]:
        """The template's fixed cells (labels, the grade table, the 加减分 items), read once."""
        if self._blank is None:
            self._blank = {}
            for part, (texts, _) in self.pieces.items():
                sheet = next(s for s, p in self.parts.items() if p == part)
                for coord, kind, body in _VALUE_CELL.findall("".join(texts)):
                    self._blank[(sheet, coord)] = _fixed_value(kind, body)
            for sheet, part in self.parts.items():
                if part in self.static:
                    for coord, kind, body in _VALUE_CELL.findall(self.static[part].decode("utf-8")):
                        self._blank[(sheet, coord)] = _fixed_value(kind, body)
        return self._blank


_VALUE_CELL = re.compile(r'<c r="([A-Z]+\d+)"([^>]*)>(<v>[^<]*</v>|<is><t[^>]*>[^<]*</t></is>)</c>')
_KIND = re.compile(r' t="(\w+)"')


def _fixed_value(attrs: str, body: str):
    kind = m.group(1) if (m := _KIND.search(attrs)) else "n"
    text = html.unescape(re.sub(r"<[^>]+>", "", body))
    if kind in ("inlineStr", "str", "s"):
        return text
    if kind == "b":
        return text == "1"
    return float(text) if text else None


def as_written(value, kind: str):
    """A slot's value as the cell cell_xml writes holds it: blank, a number, or a text."""
    if value is None or value == "":
        return None
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return _BAD_XML.sub("", str(value))


def with_parts(data: bytes, edit: typing.Callable[[dict[str, bytes]], None]) -> bytes:
    """The xlsx with ``edit`` applied to its parts (name → bytes, changed in place); every part written back
    in its order with its own zip entry (name, date, compression), so what is not edited stays as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as z:
        files = {n: src.read(n) for n in src.namelist()}
        edit(files)
        for item in src.infolist():
            z.writestr(item, files[item.filename], item.compress_type)
    return out.getvalue()


def stable_bytes(data: bytes, rows: dict[str, typing.IO[bytes]] | None = None) -> bytes:
    """An openpyxl-saved file with the moment of saving taken out (the docProps stamps and every zip
    entry's date), so the same content always gives the same bytes, whoever computed it and when.
    ``rows``: sheet part → its rows' XML, streamed into the part's empty sheetData (stream.py)."""
    rows = rows or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                body = _STAMP_RE.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>", body)
            info = zipfile.ZipInfo(item.filename, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            if item.filename not in rows:
                z.writestr(info, body)
                continue
            head, found, tail = body.partition(b"<sheetData></sheetData>")
            if not found:
                raise ValueError(f"{item.filename}: no empty sheetData to fill")
            with z.open(info, "w") as part:
                part.write(head + b"<sheetData>")
                rows[item.filename].seek(0)
                shutil.copyfileobj(rows[item.filename], part)
                part.write(b"</sheetData>" + tail)
    return out.getvalue()
