"""The month-end roll-up: payroll summary to the cent, every problem class found
and placed, workbooks untouched, cohort rank bonuses with ties, quotas."""
import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_kpi.core.cohort import check_quotas, rank_bonuses
from xl_kpi.core.plan import Grade
from xl_kpi.core.rules import Rank
from xl_kpi.system.libreoffice import recalc
from xl_kpi.month.generator import Generator
from xl_kpi.month.generate import generate
from xl_kpi.payroll.rollup import rollup
from xl_kpi.payroll.summary import summary_path, write_summary
from xl_kpi.store import open_store
from xl_kpi.workspace.roster import Employee
from xl_kpi.workspace import Workspace

from helpers import cell_of

MONTH = "2026-10"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "ws"
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "demo", str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return Workspace(root)


def fresh_copy(demo: Workspace, tmp_path: Path) -> Workspace:
    dest = tmp_path / "ws"
    shutil.copytree(demo.root, dest)
    (dest / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx").unlink(missing_ok=True)
    return Workspace(dest)


@pytest.mark.libreoffice
def test_summary_recalculated_by_libreoffice_equals_json_to_the_cent(demo, tmp_path):
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "rollup", "--month", MONTH, "--json",
                           "--dir", str(demo.root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    records = {r["employee_id"]: r for r in json.loads(done.stdout)}
    assert len(records) == 12
    for r in records.values():
        parts = [Decimal(r[k]) for k in ("base_salary", "performance_pay", "commission", "awards")]
        assert sum(parts) - Decimal(r["deductions"]) == Decimal(r["total_pay"])
    (out,) = recalc([summary_path(demo, MONTH)], tmp_path / "lo")
    ws = load_workbook(out, data_only=True)["工资汇总"]
    rows = [row for row in ws.iter_rows(min_row=3, values_only=True) if row[0]]
    people = [r for r in rows if r[0] in records]
    assert len(people) == 12
    for r in people:
        rec = records[r[0]]
        assert (r[4], r[5], r[6]) == (rec["score"], rec["grade"], rec["coefficient"])
        assert Decimal(str(round(r[12], 2))) == Decimal(rec["total_pay"]), r[0]
        assert [Decimal(str(v)) for v in r[7:12]] == [Decimal(rec[k]) for k in
                                                      ("base_salary", "performance_pay", "commission", "awards",
                                                       "deductions")]
    (grand,) = [r for r in rows if r[0] == "合计"]
    for col in range(7, 13):
        assert round(grand[col], 2) == round(sum(r[col] for r in people), 2)
    total = sum(Decimal(r["total_pay"]) for r in records.values())
    assert Decimal(str(round(grand[12], 2))) == total


def test_cohort_bonus_is_applied_before_the_grade(demo, tmp_path):
    """The built-in plan has no rank bonus (the seed's TOP榜单 is a per-platform list HR enters);
    a plan that ranks 文案编辑 by 阅读量 gets it added before grading."""
    ws = fresh_copy(demo, tmp_path)
    plan_file = ws.root / "plan.yaml"
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace(
        "cohort_bonuses: []", 'cohort_bonuses:\n  - {id: top_reads, name: 阅读量TOP榜, role: copywriter, metric: reads, '
                             'rule: "rank(1=8, 2=6, 3=3)", ties: shared}'), encoding="utf-8")
    plan = ws.plan()
    assert [b.id for b in plan.cohort_bonuses] == ["top_reads"]
    generate(ws, plan, ws.roster(plan), MONTH)  # the month follows the new plan, typed values kept
    result = rollup(ws, plan, ws.roster(plan), MONTH)
    ranking = {r.employee: r for r in result.bonuses["top_reads"]}
    assert (ranking["E010"].rank, ranking["E010"].points) == (1, 8) and ranking["E011"].points == 6
    e011 = next(s for s in result.entries if s.employee.id == "E011")
    bonus = next(a for a in e011.card.adjustments if a.item == "top_reads")
    assert bonus.points == 6 and "第2名" in bonus.explanation
    assert e011.card.score == pytest.approx(87.67 + 6)
    assert e011.card.grade == "优秀"  # 87.67 alone is 良好: the bonus counts before grading
    # the mailed copy shows the sheet's total, the bonus and the final total
    import io

    from xl_kpi.mail.attachments import scorecard_copy

    sheet = load_workbook(io.BytesIO(scorecard_copy(plan, e011.employee, e011.card, MONTH))).active
    lines = {r[0]: r[2] for r in sheet.iter_rows(values_only=True) if r[0]}
    assert lines["表内总分"] == pytest.approx(87.67) and lines["名次奖励（阅读量TOP榜）"] == 6
    assert lines["最终总分"] == pytest.approx(93.67) and "总分" not in lines
    # so does the payroll: 表内总分, 名次奖励, 绩效得分, and pay from the final total
    write_summary(result, summary_path(ws, MONTH))
    pay = load_workbook(summary_path(ws, MONTH))["工资汇总"]
    header = [c.value for c in pay[2]]
    row = next(r for r in pay.iter_rows(min_row=3, values_only=True) if r[0] == "E011")
    line = dict(zip(header, row))
    assert (line["表内总分"], line["名次奖励"], line["绩效得分"], line["等级"]) == (pytest.approx(87.67), 6,
                                                                         pytest.approx(93.67), "优秀")
    # and the employee's own workbook says the bonus comes at roll-up, on 说明 and beside the total
    book = load_workbook(ws.month_dir(MONTH) / f"{e011.employee.file_stem}.xlsx")
    assert "名次奖励（阅读量TOP榜）在人力资源部汇总全月后" in book["说明"]["A1"].value
    total = cell_of(book, "total_score")
    assert book["考核表"].cell(total.row, 1).value == "总分（不含名次奖励，汇总时加入）"


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.xlsx"))}


def test_every_problem_class_is_found_and_placed(demo, tmp_path):
    ws = fresh_copy(demo, tmp_path)
    plan = ws.plan()
    roster = ws.roster(plan)
    folder = ws.month_dir(MONTH)
    people = {e.id: e for e in roster}
    # another month's workbook in this folder
    Generator(ws, plan, "2026-09", "native").write(people["E002"])
    shutil.move(ws.month_dir("2026-09") / "E002-李娜.xlsx", folder / "E002-李娜-9月.xlsx")
    # two workbooks for one employee
    shutil.copyfile(folder / "E003-王磊.xlsx", folder / "E003-王磊-副本.xlsx")
    # someone not on the roster
    Generator(ws, plan, MONTH, "native").write(Employee("E099", "路人", "电商部", "wechat", None, None, "", ""))
    # a roster employee without a workbook
    (folder / "E005-陈静.xlsx").unlink()
    # a changed formula, a changed rule, an invalid input
    for emp, change in (("E006-刘洋", "formula"), ("E007-杨帆", "rule"), ("E008-黄丽", "input")):
        path = folder / f"{emp}.xlsx"
        wb = load_workbook(path)
        score = cell_of(wb, "score_replies")
        if change == "formula":
            score.value = "=8"
        elif change == "rule":
            wb[score.parent.title][f"I{score.row}"] = "bands(<2500:0; >=2500:8)"
        else:  # a figure the filler owns (one HR imported is the import's: test_trust)
            store = open_store(ws.root)
            with store.conn:
                store.conn.execute("DELETE FROM imports WHERE employee = 'E008' AND slot = 'actual_replies'")
            cell_of(wb, "actual_replies").value = "很多"
        wb.save(path)
    # a workbook that is not a workbook any more
    (folder / "E010-吴倩.xlsx").write_bytes(b"\x00 not a zip")
    # a cached result that disagrees with the rule engine (as if someone typed over it in Excel)
    path = folder / "E009-周杰.xlsx"
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet2.xml"
    xml = files[sheet].decode()
    xml, n = re.subn(r'<c r="H6"( s="\d+")?(?: t="\w+")?>(<f>.*?</f>)<v>[^<]*</v>', r'<c r="H6"\1>\2<v>99</v>', xml,
                     count=1)
    assert n == 1
    files[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)

    before = digest(folder)
    result = rollup(ws, plan, roster, MONTH)
    write_summary(result, summary_path(ws, MONTH))
    after = {k: v for k, v in digest(folder).items() if not k.startswith("工资汇总")}
    assert after == before  # the filled workbooks are only read

    found = {(p.type, p.employee): p for p in result.all_problems}
    assert found[("wrong_month", "E002")].file.endswith("E002-李娜-9月.xlsx")
    assert found[("wrong_month", "E002")].cell
    assert "2个工作簿" in found[("duplicate_workbook", "E003")].message
    assert found[("not_on_roster", "E099")].file.endswith("E099-路人.xlsx")
    assert ("workbook_missing", "E005") in found
    p = found[("formula_changed", "E006")]
    assert (p.sheet, p.cell) == ("考核表", "H6") and "现为“=8”" in p.message and "生成时为“=IF(" in p.message
    p = found[("rule_changed", "E007")]
    assert (p.sheet, p.cell) == ("考核表", "I6")
    p = found[("input_invalid", "E008")]
    assert (p.sheet, p.cell) == ("考核表", "G6") and "不是数字" in p.message
    p = found[("workbook_unreadable", "E010")]
    assert p.file.endswith("E010-吴倩.xlsx")
    assert next(s for s in result.entries if s.employee.id == "E010").problems == [p]
    p = found[("cached_mismatch", "E009")]
    assert (p.sheet, p.cell) == ("考核表", "H6") and "99" in p.message
    # problems are listed in the summary, and the employee's row is marked
    summary = load_workbook(summary_path(ws, MONTH))
    listed = {(r[0], r[5]) for r in summary["问题"].iter_rows(min_row=3, values_only=True)}
    for key, problem in found.items():  # in Chinese only: the English half stays in the CLI
        assert (key[1], problem.message.split(" / ")[0]) in listed
    rows = list(summary["工资汇总"].iter_rows(min_row=3))
    total_row = next(i for i, r in enumerate(rows) if r[0].value == "合计")
    e008 = next(i for i, r in enumerate(rows) if r[0].value == "E008")
    assert e008 > total_row  # held in the 待核 section, below and outside every total
    assert rows[e008][0].fill.fgColor.rgb.endswith("FFC7CE") and "不是数字" in rows[e008][7].value


def test_strict_fails_without_writing(demo, tmp_path):
    ws = fresh_copy(demo, tmp_path)
    (ws.month_dir(MONTH) / "E005-陈静.xlsx").unlink()
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "rollup", "--month", MONTH, "--strict",
                           "--dir", str(ws.root)], capture_output=True, text=True)
    assert done.returncode == 2 and "E005" in done.stderr
    assert not summary_path(ws, MONTH).exists()


def test_rank_bonuses_with_ties():
    rule = Rank(pts={1: 8, 2: 6, 3: 3})
    values = [("a", 100), ("b", 100), ("c", 90), ("d", 80), ("e", 80)]
    shared = {r.employee: (r.rank, r.points) for r in rank_bonuses(values, rule, "shared")}
    assert shared == {"a": (1, 8), "b": (1, 8), "c": (3, 3), "d": (4, 0), "e": (4, 0)}
    split = {r.employee: r.points for r in rank_bonuses(values, rule, "split")}
    assert split == {"a": 7, "b": 7, "c": 3, "d": 0, "e": 0}
    lower = {r.employee: r.rank for r in rank_bonuses([("x", 3), ("y", 1), ("z", 2)], rule, lower_is_better=True)}
    assert lower == {"y": 1, "z": 2, "x": 3}
    three_way = {r.employee: r.points for r in rank_bonuses([("a", 5), ("b", 5), ("c", 5)], rule, "split")}
    assert three_way == {"a": pytest.approx(17 / 3)} | {"b": pytest.approx(17 / 3), "c": pytest.approx(17 / 3)}


def test_forced_distribution_quotas():
    grades = [Grade(name="优秀", min=90, coefficient=1.2, quota=20), Grade(name="良好", min=80, coefficient=1),
              Grade(name="不合格", min=0, coefficient=0)]
    scored = [("a", "优秀", 95), ("b", "优秀", 91), ("c", "优秀", 99), ("d", "良好", 85), ("e", "良好", 82),
              ("f", "良好", 80), ("g", "不合格", 50), ("h", "不合格", 40), ("i", "良好", 88), ("j", "良好", 81)]
    (q,) = check_quotas(grades, scored)
    assert (q.allowed, q.count, q.over) == (2, 3, True)
    assert q.margin == ["b"]  # the lowest 优秀 is the one beyond the quota
    (q,) = check_quotas(grades, scored[1:])
    assert (q.allowed, q.count, q.over, q.margin) == (1, 2, True, ["b"])
    (q,) = check_quotas(grades, [("a", "优秀", 95)] + [(str(i), "良好", 85) for i in range(4)])
    assert not q.over and q.margin == []


@pytest.mark.libreoffice
def test_a_problem_holds_the_pay_line_unless_accepted(demo, tmp_path):
    """An employee who raises 责任底薪 in their own workbook is paid the roster's figure, and only once HR accepts."""
    ws = fresh_copy(demo, tmp_path)
    path = ws.month_dir(MONTH) / "E002-李娜.xlsx"
    wb = load_workbook(path)
    cell_of(wb, "base_salary").value = 50000
    wb.save(path)

    def run(*extra):
        done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "rollup", "--month", MONTH, "--json",
                               "--dir", str(ws.root), *extra], capture_output=True, text=True)
        return done.returncode, {r["employee_id"]: r for r in json.loads(done.stdout)}, done.stderr

    code, records, err = run()
    assert code == 2 and "考核表!B3" in err and "责任底薪：表内为 50000，花名册为 5000" in err
    assert records["E002"]["status"] == "held" and records["E002"]["base_salary"] == "5000.00"
    summary = load_workbook(summary_path(ws, MONTH))["工资汇总"]
    ids = [r[0] for r in summary.iter_rows(min_row=3, values_only=True)]
    assert ids.index("E002") > ids.index("合计")  # outside the totals
    (out,) = recalc([summary_path(ws, MONTH)], tmp_path / "lo")
    calc = load_workbook(out, data_only=True)["工资汇总"]
    total = next(r[12] for r in calc.iter_rows(min_row=3, values_only=True) if r[0] == "合计")
    paid = sum(Decimal(r["total_pay"]) for r in records.values() if r["status"] == "paid")
    assert Decimal(str(total)).quantize(Decimal("0.01")) == paid

    code, records, _ = run("--accept-problems")
    assert code == 0 and records["E002"]["status"] == "accepted"
    summary = load_workbook(summary_path(ws, MONTH))["工资汇总"]
    row = next(r for r in summary.iter_rows(min_row=3, values_only=True) if r[0] == "E002")
    assert row[7] == 5000 and "责任底薪" in row[13]  # the roster's figure, the problem printed beside it
