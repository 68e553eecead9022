"""Notes people write outside the input cells: text typed beside the form, and cell comments (批注).

Regenerating builds a workbook anew from the role's template, so anything a person wrote where the
template has nothing would be gone; these are found first, so that regeneration can list them and
leave the workbook alone.
"""
from __future__ import annotations

import html
import posixpath
import re
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook

from .cells import META_SHEET
from .derive import Template, sheet_parts

_TEXT = re.compile(r"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_LABEL_NOISE = re.compile(r"[\s_:：]+")
_CELL = re.compile(r'<c r="([A-Z]+\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.S)
_COMMENT_REF = re.compile(rb'<(?:\w+:)?comment\b[^>]*?\sref="([A-Z]+\d+)"')
_REL = re.compile(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*>')
# cells the ribbon's 评分 writes: regenerating clears them on purpose, 评分 writes them again
OUTPUT_NAMES = ("score_result",)


def template_cells(template: Template) -> set[tuple[str, str]]:
    """(sheet, cell) of every cell the template gives content: texts, formulas, slots."""
    xml = template.sheet_xml()
    out = set()
    for sheet, part in template.parts.items():
        for coord, body in _CELL.findall(xml.get(part, "")):
            if body:
                out.add((sheet, coord))
    out.update((slot.sheet, slot.coord) for slot in template.slots.values())
    return out


def _letters(col: int) -> str:
    s = ""
    col += 1
    while col:
        col, r = divmod(col - 1, 26)
        s = chr(65 + r) + s
    return s


def template_words(template: Template) -> set[str]:
    """Every text the template writes, as :func:`label_key` compares them: the words of the form wherever they
    stand (an earlier release placed its labels elsewhere, and worded its signature lines a little apart)."""
    out = set()
    for xml in template.sheet_xml().values():
        out |= {label_key(html.unescape(t)) for t in _TEXT.findall(xml)}
    return out


def label_key(text: str) -> str:
    """A label without the spacing, colons and blanks to sign on that releases wrote differently."""
    return _LABEL_NOISE.sub("", text)


def stray_notes(path: Path, known: set[tuple[str, str]], outputs: set[tuple[str, str]],
                grids: dict | None = None, labels: set[str] = frozenset()) -> list[str]:
    """What a person wrote that regenerating would drop, as ``Sheet!A1 “text”`` and ``批注 Sheet!A1``
    (``grids``: the sheets' cells as already read). ``labels``: texts that are the form's own wherever they
    stand (for a workbook an earlier release wrote, whose cells are not where today's template has them)."""
    found = []
    if grids is None:
        wb = CalamineWorkbook.from_path(str(path))
        grids = {sheet: wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False) for sheet in wb.sheet_names
                 if sheet != META_SHEET}
    for sheet, rows in grids.items():
        if sheet == META_SHEET:
            continue
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                where = (sheet, f"{_letters(c)}{r + 1}")
                if value not in ("", None) and where not in known and where not in outputs \
                        and label_key(str(value)) not in labels:
                    found.append(f"{sheet}!{where[1]} “{str(value)[:20]}”")
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")}
        names = set(z.namelist())
        for sheet, part in sheet_parts(files).items():
            rels = f"{posixpath.dirname(part)}/_rels/{posixpath.basename(part)}.rels"
            if rels not in names:
                continue
            for target in _REL.findall(z.read(rels)):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(part), target.decode())).lstrip("/")
                if posixpath.basename(target).startswith("comment") and target in names:
                    found += [f"批注 {sheet}!{ref.decode()}" for ref in _COMMENT_REF.findall(z.read(target))]
    return found
