"""绩效报告 over the demo's three months (2026-08 to 2026-10): every figure of its 趋势 and 个人 tables
equals what ``rollup --json`` prints for each month, a month without workbooks is a gap and never a
zero, the weekly sums equal the imported weeks, and it covers a team when asked."""
import csv
import json
import math
import subprocess
import sys
import zipfile

import pytest
from openpyxl import load_workbook

from xl_kpi.cli import main
from xl_kpi.workspace import Workspace, builtin_plan, data_file

from conftest import demo_copy
from helpers import run_cli

MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10"]  # July has no workbooks: a gap
LABELS = ["7月", "8月", "9月", "10月"]


def run(capsys, *argv, code=0) -> str:
    return run_cli(capsys, *argv, code=code)


@pytest.fixture(scope="module")
def demo(demo_root, tmp_path_factory):
    return demo_copy(demo_root, tmp_path_factory, "report")


@pytest.fixture(scope="module")
def payrolls(demo):
    """month → 工号 → the record ``rollup --json`` prints (July: no workbooks)."""
    out = {}
    for month in MONTHS[1:]:
        done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "rollup", "--month", month, "--json", "--dir",
                               str(demo)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        out[month] = {r["employee_id"]: r for r in json.loads(done.stdout)}
        # the month's 绩效报告 (the demo wrote October's) sits beside the workbooks and is no one's workbook
        assert not [p for r in out[month].values() for p in r["problems"]]
    return out


@pytest.fixture(scope="module")
def report(demo):
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "report", "--month", "2026-10", "--months", "4",
                           "--dir", str(demo)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "缺少 / missing (gaps): 2026-07" in done.stdout
    path = demo / "workbooks" / "2026-10" / "绩效报告-2026-10.xlsx"
    return path, load_workbook(path)


def tables(ws, first_label: str):
    """Each table of a sheet whose header row reads (name, 7月, 8月, 9月, 10月): name → its rows, in order;
    the role a table belongs to comes from the heading above it."""
    out, role = [], None
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, str) and v.endswith("：各月平均、最好与最差"):
                role = v.split("：")[0]
            if row[j + 1:j + 1 + len(LABELS)] == LABELS and v is not None:
                body = {}
                for r in rows[i + 1:]:
                    if r[j] is None:
                        break
                    body[r[j]] = r[j + 1:j + 1 + len(LABELS)]
                out.append((role, v, body))
    return out


def test_every_figure_of_the_trends_equals_the_months_rollup_json(report, payrolls):
    plan = builtin_plan()
    _, wb = report
    found = tables(wb["趋势"], "")
    checked = 0
    for role_name, name, body in found:
        rid = next(r for r, role in plan.roles.items() if role.name == role_name)
        for k, month in enumerate(MONTHS):
            people = [r for r in payrolls.get(month, {}).values() if r["role"] == rid]
            if name == "得分":
                want = {"平均总分": _mean(r["score"] for r in people),
                        **{c.name: _mean(r["categories"].get(c.id) for r in people) for c in plan.roles[rid].categories},
                        "考核人数": sum(1 for r in people if r["score"] is not None) if people else None}
            else:
                metric = next(m for m in plan.roles[rid].metrics if m.name == name)
                values = [r["metrics"][metric.id]["actual"] for r in people]
                values = [v for v in values if v is not None]
                best, worst = (min, max) if metric.direction == "lower" else (max, min)
                want = {"平均": _mean(values), "最好": best(values) if values else None,
                        "最差": worst(values) if values else None}
            for label, value in want.items():
                shown = body[label][k]
                if value is None:
                    assert shown is None, (role_name, name, label, month)  # a gap, never 0
                else:
                    assert shown == pytest.approx(value, rel=1e-12), (role_name, name, label, month)
                    checked += 1
    metrics = sum(len(role.metrics) for role in plan.roles.values())
    assert len(found) == metrics + len(plan.roles) and checked > 3 * 3 * metrics


def _mean(values):
    got = [v for v in values if v is not None]
    return math.fsum(got) / len(got) if got else None


def test_each_persons_history_equals_the_months_scores(report, payrolls):
    _, wb = report
    rows = list(wb["个人"].iter_rows(min_row=4, values_only=True))
    assert list(rows[0][:7]) == ["工号", "姓名", "岗位", *LABELS]
    people = rows[1:]
    assert {r[0] for r in people} == set(payrolls["2026-10"])
    for r in people:
        assert r[3] is None  # July
        assert list(r[4:7]) == [payrolls[m][r[0]]["score"] for m in MONTHS[1:]]
        assert r[8] == "→".join(payrolls[m][r[0]]["grade"] for m in MONTHS[1:])
    scores = [r[6] for r in people]
    assert scores == sorted(scores, reverse=True)  # by this month's score
    # 名次奖励: the built-in plan ranks nobody, so none shows
    assert {r[9] for r in people} == {"—"}


def test_the_overview_counts_and_pay_against_last_month(report, payrolls):
    from decimal import Decimal

    _, wb = report
    rows = {r[0]: r for r in wb["总览"].iter_rows(min_row=5, max_row=15, max_col=4, values_only=True)}
    october, september = payrolls["2026-10"], payrolls["2026-09"]
    assert rows["考核人数"][1:3] == (12, 12)
    assert rows["应发合计"][1] == pytest.approx(float(sum(Decimal(r["total_pay"]) for r in october.values())))
    assert rows["应发合计"][2] == pytest.approx(float(sum(Decimal(r["total_pay"]) for r in september.values())))
    assert rows["平均分"][1] == pytest.approx(_mean(r["score"] for r in october.values()))
    grades = {r[0]: r[1:3] for r in wb["总览"].iter_rows(min_row=5, max_row=8, min_col=6, max_col=8, values_only=True)}
    for grade, (now, before) in grades.items():
        assert now == sum(r["grade"] == grade for r in october.values())
        assert before == sum(r["grade"] == grade for r in september.values())


def test_the_weekly_sheet_sums_the_imported_weeks(report):
    _, wb = report
    with open(data_file("actuals-2026-10.csv"), encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["周"]]
    sums = {}
    for r in rows:
        sums[(r["指标"], int(r["周"]))] = sums.get((r["指标"], int(r["周"])), 0) + float(r["数值"])
    sheet = list(wb["周报"].iter_rows(values_only=True))
    line = next(r for r in sheet if r[0] == "新增粉丝")
    weeks = 4  # October 2026 has four Mondays
    assert [line[3 + 3 * (w - 1)] for w in range(1, weeks + 1)] == [sums[("新增粉丝", w)] for w in range(1, weeks + 1)]
    assert line[3 + 3 * weeks] == sum(sums[("新增粉丝", w)] for w in range(1, weeks + 1))  # 月合计
    assert line[2] == 100 * 6  # the plan's weekly target, six 微信咨询


def test_the_report_is_read_only_with_native_charts_that_leave_gaps(report):
    path, wb = report
    assert wb.sheetnames == ["总览", "趋势", "对照", "个人", "周报"]
    assert all(ws.protection.sheet for ws in wb.worksheets)
    assert all("2026年7月至2026年10月" in ws.oddHeader.center.text for ws in wb.worksheets)
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart")]
        formulas = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                    and b"<f>" in z.read(n)]
    plan = builtin_plan()
    lines = [c for c in charts if "<lineChart>" in c]
    assert len(lines) == len(plan.roles) + sum(len(r.metrics) for r in plan.roles.values())
    assert all('<dispBlanksAs val="gap"' in c and '<delete val="0"' in c for c in charts)
    assert any("<barChart>" in c for c in charts)
    assert not formulas  # computed values only


def test_a_team_report_covers_the_managers_people(demo, capsys):
    out = json.loads(run(capsys, "report", "--month", "2026-10", "--team", "E001", "--json", "--dir", demo))
    assert {p["id"] for p in out["people"]} == {f"E{n:03d}" for n in range(2, 13)}  # 张明's team, not himself
    assert out["people"][0]["trend"]
    run(capsys, "report", "--month", "2026-10", "--team", "E001", "--months", "3", "--dir", demo)
    assert (demo / "workbooks" / "2026-10" / "绩效报告-2026-10-E001.xlsx").exists()
    assert main(["report", "--month", "2026-10", "--team", "E999", "--dir", str(demo)]) == 2
    assert "E999" in capsys.readouterr().err
    assert main(["report", "--month", "2026-12", "--dir", str(demo)]) == 2  # no workbooks yet
    assert "2026-12还没有工作簿" in capsys.readouterr().err


def test_the_demo_months_flow_baselines(demo):
    """September's exposure is August's baseline's successor: each month measured against the last."""
    ws = Workspace(demo)
    sept = load_workbook(ws.month_dir("2026-09") / "E002-李娜.xlsx")
    aug = load_workbook(ws.month_dir("2026-08") / "E002-李娜.xlsx")
    from helpers import cell_of

    assert cell_of(sept, "baseline_exposure").value == cell_of(aug, "actual_exposure").value
    base = cell_of(sept, "baseline_exposure")
    assert base.offset(column=5).value == "上月实际（2026-08）"  # 基准来源 (column K)
    assert cell_of(aug, "baseline_exposure").offset(column=5).value == "方案默认"  # the first month: the plan's


def test_a_role_report_and_its_json_say_what_the_workbook_says(demo, capsys, report):
    _, wb = report
    out = json.loads(run(capsys, "report", "--month", "2026-10", "--months", "4", "--json", "--dir", demo))
    sheet = {r[0]: r for r in wb["个人"].iter_rows(min_row=5, values_only=True)}
    assert out["months"] == MONTHS and out["present"] == [False, True, True, True]
    for p in out["people"]:
        assert p["scores"] == list(sheet[p["id"]][3:7]) and p["trend"] == sheet[p["id"]][7]
    wechat = json.loads(run(capsys, "report", "--month", "2026-10", "--role", "wechat", "--json", "--dir", demo))
    assert {p["role"] for p in wechat["people"]} == {"微信咨询"} and len(wechat["people"]) == 6
    assert [t["role"] for t in wechat["trends"]] == ["wechat"] and [w["role"] for w in wechat["weekly"]] == ["wechat"]
    assert main(["report", "--month", "2026-10", "--months", "0", "--dir", str(demo)]) == 2
    assert "--months 至少为1" in capsys.readouterr().err


def test_the_compare_sheet_shows_the_completion_each_month_was_scored_with():
    """增加粉丝10% (a growth target) and 领先行业 (an industry figure as the target) over three months: each
    month's completion uses that month's own target, baseline and figure, never another month's, and never
    the raw count over a growth rate (which read 150,000,000%)."""
    from xl_kpi.core.plan_load import load_plan_text
    from xl_kpi.core.report import Person, build

    text = data_file("plan.yaml").read_text(encoding="utf-8").replace(
        '- {id: fan_growth, name: 粉丝增长率, unit: "%", rule: "ratio(max=5)", target: 0.10, min: -1}',
        '- {id: fans, name: 粉丝数, unit: 人, measure: growth, rule: "ratio(max=5)", target: 0.10, '
        'baseline_from: previous}')
    plan = load_plan_text(text)
    role = next(r for r, x in plan.roles.items() if any(m.id == "fans" for m in x.metrics))

    def record(emp, fans, base, reads, industry):
        return {"employee_id": emp, "role": role, "score": 80.0, "grade": "良好",
                "metrics": {"fans": {"actual": fans, "target": 0.10, "baseline": base},
                            "reads": {"actual": reads, "target": industry, "baseline": None}}}

    months = ["2026-08", "2026-09", "2026-10"]
    records = {"2026-08": [record("E1", 9000, 8000, 80000, 100000)],
               "2026-09": [record("E1", 10000, 9000, 88000, 90000), record("E2", 5500, 5000, 91000, 90000)],
               "2026-10": [record("E1", 10800, 10000, 97860, 95000), record("E2", 5720, 5500, 90250, 95000)]}
    report = build(plan, months, records, [Person("E1", "甲", role, ""), Person("E2", "乙", role, "")])
    rows = {c.name: c for c in report.compare[role]}
    fans, reads = rows["粉丝数"], rows["阅读量"]
    # October: E1 grew 8% of the 10% target (0.8), E2 4% (0.4); September: 11.1% (1.111) and 10% (1.0)
    assert fans.rate_this == pytest.approx((0.8 + 0.4) / 2)
    assert fans.rate_last == pytest.approx(((10000 / 9000 - 1) / 0.1 + (5500 / 5000 - 1) / 0.1) / 2)
    assert fans.target == pytest.approx(0.10) and fans.target_unit == "%" and fans.unit == "人"
    # 阅读量 against the industry's figure of each month: October 95,000, September 90,000
    assert reads.rate_this == pytest.approx((97860 / 95000 + 90250 / 95000) / 2)
    assert reads.rate_last == pytest.approx((88000 / 90000 + 91000 / 90000) / 2)
