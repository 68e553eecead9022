"""A workbook still exactly as xl_kpi wrote it is read without a spreadsheet parser (rendered.py) and
its container written with each template part compressed once (zipped.py). Both must give what the
general path gives: the same values as python-calamine reads, the same bytes as Python's zipfile
writes; and any file that differs from the template, by a byte, must go the general way."""
import dataclasses
import io
import re
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook

from xl_kpi.month.generator import Generator
from xl_kpi.workbook import zipped
from xl_kpi.workbook.reader import read_workbook
from xl_kpi.workbook.rendered import _shape, read_as_written
from xl_kpi.workspace import init_workspace

MONTH = "2026-10"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    ws, _ = init_workspace(tmp_path_factory.mktemp("as_written") / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    gen = Generator(ws, plan, MONTH, roster=roster)
    return gen, roster, tmp_path_factory.mktemp("files")


def same(a, b) -> bool:
    skip = {"grids", "as_written"}
    return all(getattr(a, f.name) == getattr(b, f.name) for f in dataclasses.fields(a) if f.name not in skip)


values = st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                   st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))


@pytest.mark.parametrize("simple", [True, False])  # the named values put in directly, or read off the cells
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_read_as_written_equals_the_full_reader(setup, simple, data):
    gen, roster, folder = setup
    e = data.draw(st.sampled_from(roster))
    template = gen.template(e.role)
    shape = _shape(template)
    was, shape.simple = shape.simple, simple
    filled, _ = gen.values(e, None, None)
    for key in data.draw(st.lists(st.sampled_from(sorted(template.slots)), max_size=12)):
        filled[key] = data.draw(values)
    path = folder / f"{e.id}.xlsx"
    path.write_bytes(template.render(filled))
    try:
        fast, full = read_as_written(path, template), read_workbook(path)
    finally:
        shape.simple = was
    if fast is None:  # only a text a spreadsheet reads differently (a carriage return) goes the long way
        assert any(isinstance(v, str) and "\r" in v for v in filled.values())
    else:
        assert fast.as_written and same(fast, full)


@given(st.lists(st.tuples(st.from_regex(r"[a-z]{1,8}/[a-z]{1,8}\.xml", fullmatch=True), st.binary(max_size=300)),
                min_size=1, max_size=5, unique_by=lambda m: m[0]))
def test_the_zip_is_the_one_zipfile_writes(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, body in files:
            info = zipfile.ZipInfo(name, zipped.ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, body, compresslevel=1)
    ours = zipped.write([zipped.deflate(name, body) for name, body in files])
    assert ours == buf.getvalue()
    assert [(m.name.decode(), zipped.inflate(m)) for m in zipped.members(ours)] == files


def test_any_other_file_goes_the_long_way(setup):
    gen, roster, folder = setup
    e = roster[0]
    template = gen.template(e.role)
    filled, _ = gen.values(e, None, None)
    path = folder / "other.xlsx"
    path.write_bytes(template.render(filled))
    assert read_as_written(path, template) is not None
    original = path.read_bytes()

    def changed(name: str, edit) -> bytes:  # the same file with one member edited, written by zipfile
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(original)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for info in src.infolist():
                body = src.read(info.filename)
                if info.filename == name and name != "-":
                    assert edit(body) != body, name  # the edit took
                    body = edit(body)
                z.writestr(info, body, compresslevel=1)  # the way zipped.py compresses: only the edit differs
        return out.getvalue()

    assert changed("-", None) == original  # rewritten unedited, the file is byte for byte the same
    salary = template.slots["base_salary"]
    part = template.parts[salary.sheet]
    cell = f'<c r="{salary.coord}"'.encode()
    scored_sheet, scored = next(k for k in template.formulas)  # the first formula cell of the template
    scored_part = template.parts[scored_sheet]
    cases = {
        "a fixed part changed": changed("xl/styles.xml", lambda b: b.replace(b"<fonts ", b"<fonts  ", 1)),
        "the text round the slots changed": changed(part, lambda b: b.replace(b"<sheetData>", b"<sheetData> ", 1)),
        "a slot typed as a formula": changed(part, lambda b: re.sub(rb"(" + cell + rb"[^>]*>)", rb"\1<f>1+1</f>", b)),
        # a formula cell now holds the value it computes: emptied, or another formula, it is not as written
        "a formula cell emptied": changed(scored_part, lambda b: re.sub(
            rb'(<c r="' + scored.encode() + rb'"(?: s="\d+")?)(?: t="\w+")?><f>.*?</f><v>[^<]*</v></c>', rb"\1/>", b,
            count=1)),
        "a formula changed": changed(scored_part, lambda b: re.sub(
            rb'(<c r="' + scored.encode() + rb'"[^>]*?>)<f>.*?</f>', rb"\1<f>10</f>", b, count=1)),
        "cut short": original[:-100],
        "not a zip": b"hello",
    }
    for what, body in cases.items():
        path.write_bytes(body)
        assert read_as_written(path, template) is None, what
    path.write_bytes(original)
    wb = load_workbook(path)  # opened and saved by a spreadsheet library
    wb.save(path)
    assert read_as_written(path, template) is None
    assert read_workbook(path).values["employee_id"] == e.id
