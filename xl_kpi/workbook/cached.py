"""The value a formula computes, written beside it in a file openpyxl saved (openpyxl writes formulas with
no value): a phone's preview, WeChat's file viewer, pandas and calamine then show the number without
recalculating, and every spreadsheet computes the same one."""
from __future__ import annotations

import re

from .derive import sheet_parts, with_parts


def with_cached(data: bytes, values: dict[tuple[str, str], float | str]) -> bytes:
    """The file with each formula cell (sheet, coordinate) given its value."""
    def edit(files: dict[str, bytes]) -> None:
        parts = sheet_parts(files)
        for (sheet, coord), value in values.items():
            files[parts[sheet]] = _put(files[parts[sheet]], coord, value)
    return with_parts(data, edit)


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
