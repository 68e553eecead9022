"""The registry of import kinds: a file read once and recognised by its header; the wide form (a row an
employee, a column a metric) imports what the long form does; a file no kind recognises gets one message
listing every kind and its columns."""
import csv
import json

from helpers import run_cli

from xl_kpi.month.imports import KINDS
from xl_kpi.workspace import data_file, init_workspace

MONTH = "2026-10"


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_a_wide_file_imports_what_the_long_one_does(tmp_path, capsys):
    plan_ws = {}
    rows = _rows(data_file(f"actuals-{MONTH}.csv"))
    monthly = [r for r in rows if not r["周"] and r["类型"] in ("", "实际")]
    rest = [r for r in rows if r not in monthly]  # weeks and ratings stay long: the wide form holds actuals
    assert monthly and rest
    for form in ("long", "wide"):
        ws, _ = init_workspace(tmp_path / form)
        run_cli(capsys, "generate", "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        header = list(rows[0])
        _write(tmp_path / f"{form}-rest.csv", header, [[r[h] for h in header] for r in rest])
        if form == "long":
            data = _write(tmp_path / "long.csv", header, [[r[h] for h in header] for r in monthly])
        else:
            metrics = sorted({r["指标"] for r in monthly})
            people = sorted({r["工号"] for r in monthly})
            value = {(r["工号"], r["指标"]): r["数值"] for r in monthly}
            data = _write(tmp_path / "wide.csv", ["工号", "姓名", *metrics],
                          [[e, f"某{e}", *(value.get((e, m), "") for m in metrics)] for e in people])
        out = run_cli(capsys, "import", data, "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        assert f"已导入 {len(monthly)} 行" in out
        run_cli(capsys, "import", tmp_path / f"{form}-rest.csv", "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        plan_ws[form] = json.loads(run_cli(capsys, "score", "--month", MONTH, "--json", "--dir", ws.root, "--jobs", "1"))
    assert plan_ws["wide"] == plan_ws["long"]
    assert all(r["score"] is not None and not r["problems"] for r in plan_ws["wide"])


def test_a_wide_file_is_checked_like_a_long_one(tmp_path, capsys):
    ws, _ = init_workspace(tmp_path / "ws")
    run_cli(capsys, "generate", "--month", MONTH, "--dir", ws.root, "--jobs", "1")
    bad = _write(tmp_path / "wide.csv", ["工号", "回复条数", "阅读量"], [["E004", "3,199", ""], ["E002", "", "九万"]])
    out = run_cli(capsys, "import", bad, "--month", MONTH, "--dir", ws.root, code=2, stderr=True)
    assert "wide.csv:3" in out and "九万" in out  # the row of the bad cell, the value as typed


def test_an_unrecognised_file_lists_every_kind(tmp_path, capsys):
    ws, _ = init_workspace(tmp_path / "ws")
    odd = _write(tmp_path / "odd.csv", ["编号", "得分"], [["E001", "3"]])
    out = run_cli(capsys, "import", odd, "--month", MONTH, "--dir", ws.root, code=2, stderr=True)
    assert "无法识别" in out and "odd.csv:1" in out and "编号、得分" in out
    for kind in KINDS:
        assert kind.name in out and kind.shown.split("（")[0] in out


def test_the_file_is_read_once(tmp_path, capsys, monkeypatch):
    from xl_kpi.month.imports import table

    opened = []
    real = table._grid
    monkeypatch.setattr(table, "_grid", lambda path: opened.append(path) or real(path))
    ws, _ = init_workspace(tmp_path / "ws")
    run_cli(capsys, "generate", "--month", MONTH, "--dir", ws.root, "--jobs", "1")
    for name in (f"actuals-{MONTH}.csv", f"adjustments-{MONTH}.csv"):
        opened.clear()
        run_cli(capsys, "import", data_file(name), "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        assert len(opened) == 1, opened


def test_a_targets_file_sets_what_long_rows_of_type_target_set(tmp_path, capsys):
    scores = {}
    for form in ("long", "targets"):
        ws, _ = init_workspace(tmp_path / form)
        run_cli(capsys, "generate", "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        run_cli(capsys, "import", data_file(f"actuals-{MONTH}.csv"), "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        if form == "long":
            f = _write(tmp_path / "t.csv", ["工号", "指标", "数值", "类型"],
                       [["E002", "阅读量", "120000", "目标"], ["E003", "reads", "80000", "目标"]])
        else:
            f = _write(tmp_path / "t2.csv", ["工号", "指标", "目标", "基准"],
                       [["E002", "阅读量", "120000", ""], ["E003", "reads", "80000", ""]])
        assert "已导入 2 行" in run_cli(capsys, "import", f, "--month", MONTH, "--dir", ws.root, "--jobs", "1")
        scores[form] = json.loads(run_cli(capsys, "score", "--month", MONTH, "--json", "--dir", ws.root, "--jobs", "1"))
    assert scores["targets"] == scores["long"]
    by_id = {r["employee_id"]: r for r in scores["targets"]}
    assert by_id["E002"]["metrics"]["reads"]["target"] == 120000 and by_id["E003"]["metrics"]["reads"]["target"] == 80000
