"""A line added to a workbook's hidden sheet (``_xl_kpi``) without touching anything else of the file: the
close writes the audit trail's head into every workbook of the month, so the record can be checked against
the workbooks even when the signed summary is gone. The file may come from Excel, WPS or LibreOffice: the
line is appended as a row of inline strings (readable by all of them), every other part is copied as it is,
and the reader takes a key's last line."""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

from .cells import META_SHEET
from .derive import sheet_parts, with_parts

AUDIT_HEAD = "audit_head"  # the key a close writes: "entry:hash" of the audit trail's head then
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\sr="(\d+)"')
_SHEET_DATA = re.compile(rb"<((?:\w+:)?)sheetData\s*/>|</((?:\w+:)?)sheetData>")


def with_meta_line(data: bytes, key: str, value: str) -> bytes:
    """The workbook with ``key`` → ``value`` appended to its hidden sheet; ValueError for a workbook
    without one."""
    def edit(files: dict[str, bytes]) -> None:
        whole = "xl/workbook.xml" in files and "xl/_rels/workbook.xml.rels" in files
        part = sheet_parts(files).get(META_SHEET) if whole else None
        if part is None or part not in files:
            raise ValueError(f"没有隐藏的{META_SHEET}表 / no {META_SHEET} sheet")
        files[part] = _appended(files[part], key, value)
    return with_parts(data, edit)


def _appended(xml: bytes, key: str, value: str) -> bytes:
    """The sheet's XML with a row of two inline strings after its last row, in the writer's own prefix."""
    m = _SHEET_DATA.search(xml)
    if m is None:
        raise ValueError(f"{META_SHEET}表无法读取 / cannot read the {META_SHEET} sheet")
    prefix = (m.group(1) if m.group(1) is not None else m.group(2)).decode()
    row = max((int(n) for n in _ROW_NUMBER.findall(xml)), default=0) + 1
    cells = "".join(f'<{prefix}c r="{col}{row}" t="inlineStr"><{prefix}is><{prefix}t>{escape(text)}</{prefix}t>'
                    f"</{prefix}is></{prefix}c>" for col, text in (("A", key), ("B", value)))
    line = f'<{prefix}row r="{row}">{cells}</{prefix}row>'.encode("utf-8")
    if m.group(1) is not None:  # <sheetData/>
        return xml[:m.start()] + f"<{prefix}sheetData>".encode() + line + f"</{prefix}sheetData>".encode() + xml[m.end():]
    return xml[:m.start()] + line + xml[m.start():]
