"""Whole-file comparison, as XlsxWriter's tests do: a generated workbook, part by
part, against a reviewed reference. A layout change shows up here as a diff to
review; after reviewing it, refresh the reference with
XL_KPI_UPDATE_REFERENCES=1 python3 -m pytest tests/test_reference_files.py"""
import os
import zipfile
from pathlib import Path

import pytest

from xl_kpi.month.generate import generate
from xl_kpi.workspace import init_workspace

REFERENCE = Path(__file__).parent / "reference"
CASES = [("E004", "native"), ("E010", "udf")]


@pytest.mark.parametrize("employee, mode", CASES)
def test_generated_workbook_matches_the_reference(tmp_path, employee, mode):
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    e = next(x for x in ws.roster(plan) if x.id == employee)
    generate(ws, plan, [e], "2026-10", mode, password="reference")  # a workspace draws a random one
    folder = REFERENCE / f"{employee}-{mode}"
    with zipfile.ZipFile(ws.month_dir("2026-10") / f"{e.file_stem}.xlsx") as z:
        parts = {n: z.read(n) for n in z.namelist()}
    if os.environ.get("XL_KPI_UPDATE_REFERENCES"):
        for name, data in parts.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
    expected = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert sorted(parts) == expected
    for name in expected:
        assert parts[name] == (folder / name).read_bytes(), f"{name} differs from tests/reference/{folder.name}"
