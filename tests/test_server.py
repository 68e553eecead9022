"""xlwings Server contract: its own FastAPI app (PyPI xlwings-server), loaded with
the project in server/, serves KPI_SCORE and the score script. It runs in a
subprocess because XLWINGS_ON_SERVER must be set before xlwings is imported."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from xl_kpi.excel.addin_file import buttons
from xl_kpi.month.generate import generate
from xl_kpi.month.score import score_file
from xl_kpi.workspace import init_workspace

from helpers import cell_of

if not os.environ.get("CI"):
    pytest.importorskip("xlwings_server")
ROOT = Path(__file__).resolve().parent.parent


def probe(*args):
    env = dict(os.environ, XLWINGS_ON_SERVER="true", XLWINGS_PROJECT_DIR=str(ROOT / "server"),
               XLWINGS_LICENSE_KEY="noncommercial", XLWINGS_ENVIRONMENT="prod")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "server_probe.py"), *args], capture_output=True,
                          text=True, env=env, cwd=ROOT / "tests", timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_custom_function_call_of_kpi_score():
    rule = "bands(<2500:0; [2500,3000):3; [3000,3500):5; >=3500:8)"
    out = probe("function", json.dumps({"func_name": "KPI_SCORE", "args": [[[3200]], [[rule]]],
                                        "caller_address": "考核表!H6", "formula_name": "KPI_SCORE"}))
    assert out == {"status": 200, "body": {"result": [[5.0]]}}
    out = probe("function", json.dumps({"func_name": "KPI_SCORE", "args": [[["很多"]], [[rule]]],
                                        "caller_address": "考核表!H6", "formula_name": "KPI_SCORE"}))
    assert out["body"]["result"][0][0].startswith("#KPI! 实际值不是数字")


def test_custom_scripts_call_of_score(tmp_path):
    from openpyxl import load_workbook

    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    e = next(x for x in ws.roster(plan) if x.role == "web_editor")
    generate(ws, plan, [e], "2026-10", "native")
    path = ws.month_dir("2026-10") / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    for name, v in (("actual_site_traffic", 25000), ("actual_keyword_rank", 5), ("actual_platform_posts", 66),
                    ("actual_incident_response", 45)):
        cell_of(wb, name).value = v
    wb.save(path)
    want = score_file(path, plan, e, "2026-10").card
    out = probe("score", str(path))
    assert out["status"] == 200
    actions = out["body"]["actions"]
    alert = next(a for a in actions if a["func"] == "alert")
    assert f"总分{want.score:.2f}" in alert["args"][0] and want.grade in alert["args"][0]
    written = [a["values"][0][0] for a in actions if a["func"] == "setValues"]
    assert any(f"{want.score:.2f}" in str(v) for v in written)


def test_served_manifest_has_the_ribbon_buttons():
    out = probe("manifest", "")
    xml = out["body"]
    doc = etree.fromstring(xml.encode("utf-8"))
    ns = {"bt": "http://schemas.microsoft.com/office/officeappbasictypes/1.0",
          "o": "http://schemas.microsoft.com/office/taskpaneappversionoverrides"}
    strings = {s.get("id"): s.get("DefaultValue") for s in doc.iterfind(".//bt:String", ns)}
    assert strings["XlKpiTab.Label"] == "绩效KPI"
    for group in buttons()["groups"]:
        for b in group["buttons"]:
            key = "Kpi" + b["callback"][3:]
            assert strings[f"{key}.Label"] == b["label"] and strings[f"{key}.Tip"] == b["supertip"]
    functions = [f.text for f in doc.iterfind(".//o:FunctionName", ns)]
    assert functions == ["kpi-generate", "kpi-score", "kpi-rollup", "kpi-send", "kpi-collect"]
    js = (ROOT / "server" / "static" / "js" / "ribbon.js").read_text(encoding="utf-8")
    for name, script in zip(functions, ("generate", "score", "rollup", "send", "collect")):
        assert f'Office.actions.associate("{name}", (event) => runKpiScript("{script}", event));' in js
