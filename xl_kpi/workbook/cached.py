"""The value a formula computes, written beside it in a file openpyxl saved (openpyxl writes formulas with
no value): a phone's preview, WeChat's file viewer, pandas and calamine then show the number without
recalculating, and every spreadsheet computes the same one."""
from __future__ import annotations

import io
import re
import zipfile

from .derive import sheet_parts


def with_cached(data: bytes, values: dict[tuple[str, str], float | str]) -> bytes:
    """The file with each formula cell (sheet, coordinate) given its value."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        files = {n: src.read(n) for n in src.namelist()}
        parts = sheet_parts(files)
        for (sheet, coord), value in values.items():
            files[parts[sheet]] = _put(files[parts[sheet]], coord, value)
        for item in src.infolist():
            z.writestr(item, files[item.filename])
    return out.getvalue()


def _put(xml: bytes, coord: str, value) -> bytes:
    cell = re.compile(rb'(<c r="' + coord.encode() + rb'"[^>]*?)(>\s*<f>.*?</f>)\s*(?:<v\s*/>|<v>[^<]*</v>)?\s*(</c>)',
                      re.S)
    shown = (str(value) if isinstance(value, str) else "%.16g" % float(value)).encode()
    text = b' t="str"' if isinstance(value, str) else b""
    new, found = cell.subn(lambda m: m.group(1) + text + m.group(2) + b"<v>" + shown + b"</v>" + m.group(3), xml,
                           count=1)
    if not found:
        raise ValueError(f"{coord}: no formula cell to give a value")
    return new
