"""No traceback, whatever people type: hypothesis drives import values, plan numbers and roster text
through check, generate, import, score and rollup. Every command ends with exit status 0 or 2 and
its problems listed; any other exception is a traceback a user would see, and fails the test."""
import csv
import os

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from xl_kpi.cli import main
from xl_kpi.workspace import init_workspace

MONTH = "2026-10"
nasty_text = st.one_of(
    st.text(alphabet=st.sampled_from(list("张明=+-@/\\:*?\"<>|.~$ \t\r\n%,，万wW0123456789eE#!'\x00\u3000")), max_size=70),
    st.sampled_from(["CON", "..", "../../x", '=HYPERLINK("http://x","点我")', "张" * 300]))
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
                    st.sampled_from(["1e400", "4.8万", "１，２３４", "-0", "", " ", "1.234,5", "87%", "2W", "nan"]))
value = st.one_of(numbers, nasty_text)


maybe = st.one_of(st.none(), numbers)  # None: the plan's own value, so later commands run too
REACHED = []


@settings(max_examples=int(os.environ.get("XL_KPI_FUZZ_EXAMPLES", "20")), deadline=None, database=None,
          derandomize=bool(os.environ.get("CI")), suppress_health_check=list(HealthCheck))
@given(base=maybe, target=maybe, rule_max=maybe, name=st.one_of(st.none(), nasty_text),
       dept=st.one_of(st.none(), nasty_text),
       rows=st.lists(st.tuples(st.sampled_from(["E002", "E004", "E010", "E999", ""]),
                               st.sampled_from(["exposure", "回复条数", "purchase_rate", "reads", "likes", "?"]),
                               value, st.sampled_from(["", "1", "5", "x"]), st.sampled_from(["", "目标", "基准", "自评"])),
                     max_size=8))
def test_no_input_makes_a_traceback(tmp_path_factory, capsys, base, target, rule_max, name, dept, rows):
    root = tmp_path_factory.mktemp("fuzz") / "ws"
    ws, _ = init_workspace(root)
    plan = yaml.safe_load(ws.plan_path.read_text(encoding="utf-8"))
    ops = plan["roles"]["ops"]
    reads = ops["categories"][0]["metrics"][2]
    if base is not None:
        ops["base_salary"] = base
    if target is not None:
        reads["target"] = target
    if rule_max is not None:
        reads["rule"] = f"ratio(max={rule_max})"
    ws.plan_path.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    wb = load_workbook(ws.roster_path)
    # a roster file cannot hold what openpyxl refuses to write (control characters), so neither does this one
    for cell, text in ((wb.active["B3"], name), (wb.active["C3"], dept)):
        if text is not None:
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
            cell.data_type = "s"
    wb.save(ws.roster_path)
    with (root / "data.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("工号", "指标", "数值", "周", "类型"), *rows])
    d = ["--dir", str(root)]
    for args in (["check"], ["generate", "--month", MONTH], ["import", str(root / "data.csv"), "--month", MONTH],
                 ["import", str(root / "data.csv"), "--month", MONTH, "--skip-bad"], ["score", "--month", MONTH],
                 ["rollup", "--month", MONTH]):
        assert main(args + d) in (0, 2), args
    capsys.readouterr()
    REACHED.append((root / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx").exists())


def test_the_fuzzing_reached_the_payroll():
    """Runs after the fuzz test: some of its cases got all the way to a payroll summary."""
    assert any(REACHED), "no fuzz case got past check: the fuzzing proves little"


# --------------------------------------------------------------------------- the record, files and numbers


ATTACKS = ["delete_record", "empty_record", "scribble_record", "bad_head", "fifo_workbook", "link_workbook",
           "log_dates", "ulp_counts", "appeal_value", "many_jobs"]


@settings(max_examples=int(os.environ.get("XL_KPI_FUZZ_EXAMPLES", "20")), deadline=None, database=None,
          derandomize=bool(os.environ.get("CI")), suppress_health_check=list(HealthCheck))
@given(attack=st.sampled_from(ATTACKS), offset=st.integers(0, 400_000), text=nasty_text, n=st.integers(0, 9999),
       ulps=st.integers(-4, 4), number=numbers)
def test_attacks_on_the_record_and_files_end_in_a_message(demo_root, tmp_path_factory, attack, offset, text, n, ulps,
                                                           number):
    """Each attack ends with exit status 0 or 2 and no traceback, within a minute (no hang); what is valid
    (a count a few ulps off a whole number) is taken as the cell shows it; a lost record is never made anew."""
    import math
    import shutil
    import sqlite3
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("attack") / "ws"
    shutil.copytree(demo_root, root)
    db, folder = root / "xl_kpi.db", root / "workbooks" / MONTH
    args = [["rollup", "--month", MONTH]]
    if attack in ("delete_record", "empty_record"):
        for f in root.glob("xl_kpi.db*"):
            f.unlink()
        if attack == "empty_record":
            db.write_bytes(b"")
    elif attack == "scribble_record":
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        data = bytearray(db.read_bytes())
        at = offset % max(1, len(data) - 16)
        data[at:at + 16] = os.urandom(16)
        db.write_bytes(bytes(data))
    elif attack == "bad_head":
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (text,))
        args = [["check"], ["audit"]]
    elif attack == "fifo_workbook":
        (folder / "E004-赵敏.xlsx").unlink()
        os.mkfifo(folder / "E004-赵敏.xlsx")
        args = [["rollup", "--month", MONTH], ["score", "--month", MONTH], ["generate", "--month", MONTH]]
    elif attack == "link_workbook":
        outside = root.parent / "outside.xlsx"
        (folder / "E004-赵敏.xlsx").rename(outside)
        (folder / "E004-赵敏.xlsx").symlink_to(outside)
        args = [["rollup", "--month", MONTH], ["generate", "--month", MONTH]]
    elif attack == "log_dates":
        with (root / "adj.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([("工号", "日期", "项目", "数量"), ("E011", text, "错别字", number)])
        args = [["import", str(root / "adj.csv"), "--month", MONTH]]
    elif attack == "ulp_counts":
        value = float(n) + ulps * math.ulp(float(n) or 1.0)
        with (root / "a.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows([("工号", "指标", "数值"), ("E004", "回复条数", repr(value))])
        args = [["import", str(root / "a.csv"), "--month", MONTH]]
    elif attack == "appeal_value":
        args = [["appeal", "add", "--month", MONTH, "--employee", "E004", "--metric", "回复条数", "--reason", text or "x"],
                ["appeal", "decide", "1", "--accept", "--value", str(number)]]
    elif attack == "many_jobs":
        args = [["score", "--month", MONTH, "--jobs", str(n * 100)]]
    for a in args:
        done = subprocess.run([sys.executable, "-m", "xl_kpi", *a, "--dir", str(root)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode in (0, 2) and "Traceback" not in done.stderr, (attack, a, done.stderr[-2000:])
        if attack == "ulp_counts":  # a whole number a few ulps off is the whole number every spreadsheet shows
            assert done.returncode == 0, done.stderr
            stored = sqlite3.connect(db).execute("SELECT value FROM imports ORDER BY id DESC LIMIT 1").fetchone()[0]
            assert stored == n
    if attack in ("delete_record", "empty_record"):
        assert not db.exists() or db.stat().st_size == 0  # never made anew
