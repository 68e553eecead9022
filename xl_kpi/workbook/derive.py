"""Per-employee workbooks derived from a role template by patching its XML.

openpyxl takes ~20 ms to build a workbook; cutting the template's sheet XML
into fixed pieces around the slot cells once, then joining the pieces with
each employee's cells and zipping, takes about a millisecond. The output is
deterministic: fixed member order and zip dates.
"""
from __future__ import annotations

import io
import re
import shutil
import typing
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape

from . import zipped
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
    from xml.sax.saxutils import unescape

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
    key: str
    coord: str
    style: str
    kind: str


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
        by_part: dict[str, list[tuple[str, Slot]]] = {}
        for key, slot in layout.slots.items():
            by_part.setdefault(parts[slot.sheet], []).append((key, slot))
        self.static = {n: b for n, b in files.items() if n not in by_part}
        if "docProps/core.xml" in self.static:  # openpyxl stamps the time of saving: fix it, for identical output
            self.static["docProps/core.xml"] = _STAMP_RE.sub(rb"\g<1>2020-01-01T00:00:00Z\g<2>",
                                                             self.static["docProps/core.xml"])
        self.pieces: dict[str, tuple[list[str], list[_Piece]]] = {}
        for part, slots in by_part.items():
            self.pieces[part] = self._cut(files[part].decode("utf-8"), slots)
        self.packed = {n: zipped.deflate(n, b) for n, b in self.static.items()}  # compressed once, not per employee

    @staticmethod
    def _cut(xml: str, slots: list[tuple[str, Slot]]):
        found = []
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
        """Each sheet part's XML as the template has it (slots empty)."""
        out = {}
        for name in self.names:
            if name in self.pieces:
                out[name] = "".join(self.pieces[name][0])
            elif name.startswith("xl/worksheets/sheet"):
                out[name] = self.static[name].decode("utf-8")
        return out

    def render(self, values: dict[str, object]) -> bytes:
        members = []
        for name in self.names:
            if name in self.pieces:
                texts, pieces = self.pieces[name]
                out = [texts[0]]
                for piece, text in zip(pieces, texts[1:]):
                    out.append(cell_xml(piece.coord, piece.style, values.get(piece.key), piece.kind))
                    out.append(text)
                members.append(zipped.deflate(name, "".join(out).encode("utf-8")))
            else:
                members.append(self.packed[name])
        return zipped.write(members)


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
