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
