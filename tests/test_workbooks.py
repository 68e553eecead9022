"""Monthly workbooks: generation, LibreOffice agreement, regeneration, import, score."""
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_kpi.core.errors import KpiError
from xl_kpi.system.libreoffice import recalc, render_png
from xl_kpi.month.generate import generate
from xl_kpi.month.imports import import_file
from xl_kpi.workspace.months import month_workbooks
from xl_kpi.month.score import score_month
from xl_kpi.store import open_store
from xl_kpi.workspace import init_workspace

from helpers import cell_of, fill_randomly

MONTH = "2026-10"


@pytest.fixture
def space(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    return ws, plan, ws.roster(plan)


@pytest.mark.libreoffice
@pytest.mark.parametrize("mode", ["native"])
def test_native_workbooks_recalculated_by_libreoffice_equal_python(space, tmp_path, mode):
    ws, plan, roster = space
    rnd = random.Random(7)
    people = roster * 2  # every role, twice, with different random inputs
    paths = []
    for n, e in enumerate(people):
        generate(ws, plan, [e], MONTH, mode)
        src = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
        path = tmp_path / f"{n:02d}-{e.id}.xlsx"
        src.rename(path)
        fill_randomly(path, plan, e.role, rnd)
        paths.append((e, path))
    outs = recalc([p for _, p in paths], tmp_path / "out")
    from xl_kpi.month.score import score_file

    for (e, path), out in zip(paths, outs):
        want = score_file(path, plan, e, MONTH)
        assert want.problems == [], want.problems
        wb = load_workbook(out, data_only=True)
        card = want.card
        for mid, m in card.metrics.items():
            if m.counted:
                assert cell_of(wb, f"score_{mid}").value == pytest.approx(m.points, abs=1e-9), (e.id, mid)
        assert cell_of(wb, "total_score").value == pytest.approx(card.score, abs=1e-9)
        assert cell_of(wb, "grade").value == card.grade
        assert cell_of(wb, "coefficient").value == pytest.approx(card.coefficient)
        assert round(cell_of(wb, "total_pay").value, 2) == float(card.pay.total), e.id


def test_udf_workbooks_call_the_add_in_with_the_right_cells(space):
    ws, plan, roster = space
    e = next(x for x in roster if x.role == "copywriter")
    generate(ws, plan, [e], MONTH, "udf")
    wb = load_workbook(ws.month_dir(MONTH) / f"{e.file_stem}.xlsx")
    score = cell_of(wb, "score_posts")
    r = score.row
    # 内容发布量 counts 篇: whole numbers only, in the sheet as in the engine
    assert score.value == f'=IF(IF(ISNUMBER(G{r}),AND(G{r}=INT(G{r}),G{r}>=0),FALSE),KPI_SCORE(G{r},I{r},E{r},F{r}),"")'
    assert wb[score.parent.title][f"I{r}"].value == "ratio(max=10)"
    assert "KPI_GRADE(" in cell_of(wb, "grade").value and "KPI_COEF(" in cell_of(wb, "coefficient").value
    adj = wb["加减分"]
    assert "KPI_ADJUST(IF(C4=\"\",1,C4),$L$4,D4)" in adj["E4"].value
    native = ws.month_dir(MONTH)
    generate(ws, plan, [e], MONTH, "native", force=True)
    wb = load_workbook(native / f"{e.file_stem}.xlsx")
    assert "KPI_" not in str(cell_of(wb, "score_posts").value)


def test_generated_workbook_is_protected_named_and_print_ready(space):
    ws, plan, roster = space
    e = next(x for x in roster if x.role == "wechat")
    generate(ws, plan, [e], MONTH, "native", password="s3cret")
    wb = load_workbook(ws.month_dir(MONTH) / f"{e.file_stem}.xlsx")
    sheet = wb["考核表"]
    assert sheet.protection.sheet and sheet.protection.password
    actual = cell_of(wb, "actual_replies")
    assert actual.protection.locked is False
    assert cell_of(wb, "score_replies").protection.locked is not False
    assert cell_of(wb, "actual_purchase_rate").number_format == "0.00%"
    dvs = [dv for dv in sheet.data_validations.dataValidation if actual.coordinate in str(dv.sqref)]
    assert dvs and dvs[0].prompt == "请输入回复条数（条），不小于0。"
    assert dvs[0].error == "回复条数应为整数（条），不小于0。"
    rate = cell_of(wb, "actual_purchase_rate")
    (dv,) = [dv for dv in sheet.data_validations.dataValidation if rate.coordinate in str(dv.sqref)]
    assert dv.prompt == "请输入购买率（百分比，如87%），0%至100%之间。"
    assert int(sheet.page_setup.paperSize) == 9 and sheet.print_title_rows  # 9 = A4
    for name in ("total_score", "grade", "coefficient", "total_pay", "target_likes", "baseline_replies"):
        assert name in wb.defined_names
    assert "周报" in wb.sheetnames and "加减分" in wb.sheetnames
    assert cell_of(wb, "actual_moments_posts").value.startswith("=IF(COUNT('周报'!")


def test_regenerating_keeps_everything_typed(space, tmp_path):
    ws, plan, roster = space
    e = next(x for x in roster if x.role == "copywriter")
    generate(ws, plan, [e], MONTH, "native")
    import_file(ws, plan, roster, write_csv(tmp_path / "t.csv", [(e.id, "阅读量", 80000, "", "目标")]), MONTH)
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    cell_of(wb, "actual_posts").value = 17
    cell_of(wb, "rating_content_quality_self").value = 88
    cell_of(wb, "target_posts").value = 5  # typed into HR's locked cell: not the filler's to set
    wb["加减分"]["B4"], wb["加减分"]["C4"], wb["加减分"]["F4"] = "错别字", 2, "两处"
    wb.save(path)
    report = generate(ws, plan, [e], MONTH, "native")
    assert report.problems == [] and report.kept_inputs >= 5
    wb = load_workbook(path)
    assert cell_of(wb, "actual_posts").value == 17
    assert cell_of(wb, "rating_content_quality_self").value == 88
    assert cell_of(wb, "target_reads").value == 80000  # HR's imported target stays
    assert cell_of(wb, "target_posts").value == 20  # the owner's value (the plan) is restored
    assert [wb["加减分"][c].value for c in ("B4", "C4", "F4")] == ["错别字", 2, "两处"]


def test_corrupt_workbook_is_reported_and_left_alone(space):
    ws, plan, roster = space
    e = roster[0]
    generate(ws, plan, [e], MONTH)
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    path.write_bytes(b"not a zip at all")
    report = generate(ws, plan, [e], MONTH)
    assert [p.type for p in report.problems] == ["workbook_unreadable"]
    assert path.read_bytes() == b"not a zip at all"
    report = generate(ws, plan, [e], MONTH, force=True)
    assert report.backups and report.backups[0].read_bytes() == b"not a zip at all"
    assert load_workbook(path)


def test_baseline_comes_from_last_months_workbook(space):
    ws, plan, roster = space
    e = next(x for x in roster if x.role == "ops")
    generate(ws, plan, [e], "2026-09", "native")
    prev = ws.month_dir("2026-09") / f"{e.file_stem}.xlsx"
    wb = load_workbook(prev)
    cell_of(wb, "actual_exposure").value = 61000
    wb.save(prev)
    generate(ws, plan, [e], MONTH, "native")
    wb = load_workbook(ws.month_dir(MONTH) / f"{e.file_stem}.xlsx")
    base = cell_of(wb, "baseline_exposure")
    assert base.value == 61000
    assert "上月实际" in wb["考核表"][f"K{base.row}"].value
    assert cell_of(wb, "baseline_word_of_mouth").value == 200  # no actual last month: the plan's default
    assert wb["考核表"][f"K{cell_of(wb, 'baseline_word_of_mouth').row}"].value == "方案默认"


def write_csv(path: Path, rows, encoding="utf-8", header=("工号", "指标", "数值", "周", "类型")):
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_import_fills_workbooks_and_score_reads_them(space, tmp_path):
    ws, plan, roster = space
    f = write_csv(tmp_path / "d.csv", [
        ("E004", "回复条数", 3200, "", "实际"), ("E004", "response_time", 58, "", ""),
        ("E004", "购买率", "22%", "", "实际"), ("E004", "purchase_amount", "45,000", "", "实际"),
        *[("E004", item, v, w, "实际") for item, v in (("moments_posts", 23), ("点赞数", 550), ("评论数", 105))
          for w in (1, 2, 3, 4)],
        ("E004", "likes", 4400, "", "目标"),
    ], encoding="gbk")
    report = import_file(ws, plan, roster, f, MONTH, "native")
    assert report.rows == 17 and report.employees == 1
    (s,) = [x for x in score_month(ws, plan, roster, MONTH) if x.employee.id == "E004"]
    assert s.problems == []
    assert s.card.metrics["purchase_rate"].actual == pytest.approx(0.22)
    assert s.card.metrics["moments_posts"].actual == 92
    assert s.card.metrics["likes"].target == 4400 and s.card.metrics["likes"].points == pytest.approx(2)
    assert s.card.grade and s.card.pay.commission == 475


def test_import_matches_names_whatever_the_width_of_their_brackets(space, tmp_path):
    """The plan writes 内容质量评分（原创性/可读性/排版）; exports often use half-width brackets and spaces."""
    ws, plan, roster = space
    assert "内容质量评分（原创性/可读性/排版）" in [m.name for m in plan.roles["copywriter"].metrics]
    f = write_csv(tmp_path / "d.csv", [("E010", "内容质量评分(原创性/可读性/排版)", 91, "", "自评"),
                                       ("E010", "内容质量评分 (原创性/可读性/排版)", 88, "", "主管评定")])
    report = import_file(ws, plan, roster, f, MONTH, "native")
    assert report.rows == 2 and report.skipped == []


@pytest.mark.parametrize("row, message", [
    (("E999", "replies", 1, "", ""), "不在花名册"),
    (("E004", "exposure", 1, "", ""), "不是微信咨询的指标"),
    (("E004", "replies", "很多", "", ""), "不是数字"),
    (("E004", "purchase_rate", 87, "", ""), "应写87%或0.87"),
    (("E004", "replies", "87%", "", ""), "不是百分比指标"),
    (("E004", "replies", -3, "", ""), "超出允许范围"),
    (("E004", "likes", 5, "", ""), "按周填写"),
    (("E004", "likes", 5, 6, ""), "1–4"),
    (("E004", "replies", 5, "", "猜测"), "类型"),
    (("E004", "replies", 1.4, "", ""), "计数（条），应为整数"),
    (("E004", "moments_posts", "2.5", 1, ""), "应为整数"),
    (("E004", "purchase_amount", "1.234,5", "", ""), "千位分隔"),
    (("E004", "purchase_amount", "约4万", "", ""), "不是数字"),
])
def test_import_rejects_each_class_of_bad_row(space, tmp_path, row, message):
    ws, plan, roster = space
    f = write_csv(tmp_path / "bad.csv", [("E004", "replies", 3000, "", ""), row])
    with pytest.raises(KpiError) as info:
        import_file(ws, plan, roster, f, MONTH)
    (p,) = info.value.problems
    assert message in p.message and p.line == 3 and p.file.endswith("bad.csv")
    assert not ws.month_dir(MONTH).exists()  # nothing written
    report = import_file(ws, plan, roster, f, MONTH, skip_bad=True)
    assert report.rows == 1 and len(report.skipped) == 1


def test_import_reads_numbers_as_people_write_them(space, tmp_path):
    """Exports and hand-made files carry 3,199, 4.8万, 2W, 1.2千, 69秒, 87%, full-width digits and spaces."""
    ws, plan, roster = space
    f = write_csv(tmp_path / "d.csv", [
        ("E004", "回复条数", "3,199", "", ""), ("E004", "response_time", " 69秒 ", "", ""),
        ("E004", "购买率", "８７％", "", ""), ("E004", "purchase_amount", "4.8万", "", ""),
        ("E004", "likes", "2W", 1, ""), ("E004", "likes", "1.2千", 2, ""), ("E004", "likes", "２００", 3, ""),
        ("E004", "likes", "1,000", 4, ""), ("E005", "purchase_amount", "2w", "", ""),
    ])
    import_file(ws, plan, roster, f, MONTH)
    wb = load_workbook(ws.month_dir(MONTH) / "E004-赵敏.xlsx")
    got = [cell_of(wb, n).value for n in ("actual_replies", "actual_response_time", "actual_purchase_rate",
                                          "actual_purchase_amount", "week1_likes", "week2_likes", "week3_likes",
                                          "week4_likes")]
    assert got == [3199, 69, 0.87, 48000, 20000, 1200, 200, 1000]
    assert cell_of(load_workbook(ws.month_dir(MONTH) / "E005-陈静.xlsx"), "actual_purchase_amount").value == 20000


def test_regenerating_turns_numbers_typed_as_text_into_numbers(space):
    """Typed as text in WPS or pasted, 4.8万 is kept and becomes 48000, so the sheet computes it too."""
    ws, plan, roster = space
    e = next(x for x in roster if x.id == "E004")
    generate(ws, plan, [e], MONTH)
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    cell_of(wb, "actual_purchase_amount").value = "4.8万"
    cell_of(wb, "actual_replies").value = "很多"
    wb.save(path)
    generate(ws, plan, [e], MONTH)
    wb = load_workbook(path)
    assert cell_of(wb, "actual_purchase_amount").value == 48000
    assert cell_of(wb, "actual_replies").value == "很多"  # not a number: kept as typed, reported by score


def test_import_mapping_file_reads_a_platform_export(space, tmp_path):
    ws, plan, roster = space
    (ws.root / "mapping.yaml").write_text("columns: {员工编号: 工号, 数据项: 指标, 数据值: 数值}\n"
                                          "metrics: {阅读数: reads, 发文数: posts}\n", encoding="utf-8")
    f = write_csv(tmp_path / "公众号.csv", [("E010", "阅读数", 120000), ("E010", "发文数", 18)],
                  header=("员工编号", "数据项", "数据值"))
    report = import_file(ws, plan, roster, f, MONTH)
    assert report.rows == 2
    wb = load_workbook(ws.month_dir(MONTH) / "E010-吴倩.xlsx")
    assert cell_of(wb, "actual_reads").value == 120000 and cell_of(wb, "actual_posts").value == 18


def test_score_json_and_problems_by_cell(space, tmp_path):
    ws, plan, roster = space
    generate(ws, plan, roster, MONTH, "native")
    path = ws.month_dir(MONTH) / "E004-赵敏.xlsx"
    wb = load_workbook(path)
    cell_of(wb, "actual_replies").value = "三千"
    wb.save(path)
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "score", "--month", MONTH, "--json",
                           "--dir", str(ws.root)], capture_output=True, text=True)
    assert done.returncode == 2
    data = json.loads(done.stdout)
    assert len(data) == 12
    rec = next(r for r in data if r["employee_id"] == "E004")
    assert set(rec) >= {"employee_id", "name", "role", "metrics", "adjustments", "score", "grade", "coefficient",
                        "total_pay", "problems"}
    bad = next(p for p in rec["problems"] if p["loc"] == "actual_replies")
    assert (bad["sheet"], bad["cell"]) == ("考核表", cell_of(wb, "actual_replies").coordinate)
    assert "不是数字" in bad["message"]


def test_demo_workbooks_score_the_same_in_python_and_cli(tmp_path):
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "demo", str(tmp_path / "d")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(month_workbooks(tmp_path / "d" / "workbooks" / MONTH)) == 12
    assert (tmp_path / "d" / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx").exists()
    assert "优秀" in done.stdout and "应发合计" in done.stdout


@pytest.mark.libreoffice
def test_scorecard_page_renders_readable_chinese(space, tmp_path):
    ws, plan, roster = space
    generate(ws, plan, roster[:1], MONTH, "native")
    pngs = render_png(ws.month_dir(MONTH) / f"{roster[0].file_stem}.xlsx", tmp_path / "png")
    assert pngs and pngs[0].stat().st_size > 10_000
    # the PDF's text layer holds the Chinese (a missing CJK font would still draw boxes, so check the font too)
    pdf = next((tmp_path / "png").glob("*.pdf"))
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "WenQuanYi" in fonts or "Noto" in fonts or "CJK" in fonts, fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "填写说明" in text and roster[0].name in text


def test_import_from_xlsx_with_english_headers(space, tmp_path):
    from openpyxl import Workbook

    ws, plan, roster = space
    wb = Workbook()
    sheet = wb.active
    sheet.append(["employee_id", "metric", "value", "week", "kind"])
    sheet.append(["E012", "site_traffic", 31000, None, "actual"])
    sheet.append(["E012", "keyword_rank", 2, None, None])
    sheet.append(["E012", "site_traffic", 40000, None, "target"])
    wb.save(tmp_path / "export.xlsx")
    report = import_file(ws, plan, roster, tmp_path / "export.xlsx", MONTH, "native")
    assert report.rows == 3
    book = load_workbook(ws.month_dir(MONTH) / "E012-孙悦.xlsx")
    assert cell_of(book, "actual_site_traffic").value == 31000
    assert cell_of(book, "actual_keyword_rank").value == 2
    assert cell_of(book, "target_site_traffic").value == 40000


def test_output_is_deterministic(space, tmp_path):
    """The same employee, inputs and protection password give the same bytes, whenever and however often
    generated; each workspace locks HR's cells with its own password."""
    ws, plan, roster = space
    e = roster[3]
    generate(ws, plan, [e], MONTH, "native")
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    first = path.read_bytes()
    generate(ws, plan, [e], MONTH, "native")  # regenerating an untouched workbook changes nothing
    assert path.read_bytes() == first
    other, _ = init_workspace(tmp_path / "other")
    generate(other, plan, [e], MONTH, "native")
    theirs = other.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    assert theirs.read_bytes() != first  # another workspace, another password
    generate(other, plan, [e], MONTH, "native", password=open_store(ws.root).protect_password())
    assert theirs.read_bytes() == first


def test_a_plan_change_that_would_drop_typed_values_leaves_the_workbook_alone(space):
    import yaml

    ws, plan, roster = space
    e = next(x for x in roster if x.role == "web_editor")
    generate(ws, plan, [e], MONTH, "native")
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    cell_of(wb, "actual_platform_posts").value = 61
    wb.save(path)
    before = path.read_bytes()
    data = yaml.safe_load(ws.plan_path.read_text(encoding="utf-8"))
    data["roles"]["web_editor"]["categories"][1]["metrics"][0]["id"] = "platform_articles"  # renamed in the plan
    ws.plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    new_plan = ws.plan()
    report = generate(ws, new_plan, [e], MONTH, "native")
    (p,) = report.problems
    assert p.type == "would_lose_input" and "考核表!G" in p.message and "--force" in p.message
    assert path.read_bytes() == before
    report = generate(ws, new_plan, [e], MONTH, "native", force=True)
    assert report.backups and report.backups[0].read_bytes() == before


def test_a_workbook_that_cannot_be_replaced_is_reported(space, monkeypatch):
    import xl_kpi.system.files as files

    ws, plan, roster = space
    e = roster[0]
    generate(ws, plan, [e], MONTH)

    def locked(src, dst):
        raise PermissionError(13, "in use")

    monkeypatch.setattr(files.os, "replace", locked)  # what Windows does to a file open in Excel
    report = generate(ws, plan, [e], MONTH)
    assert [p.type for p in report.problems] == ["file_locked"] and report.written == []
    assert not list(ws.month_dir(MONTH).glob(".tmp-*"))  # no temporary file left behind


def test_hr_rewords_the_workbook_in_the_workspace_templates(space):
    ws, plan, roster = space
    own = ws.root / "templates" / "workbook"
    own.mkdir(parents=True)
    (own / "instructions.txt.j2").write_text("{{ employee.name }}：请在五号前交表。", encoding="utf-8")
    e = roster[0]
    generate(ws, plan, [e], MONTH)
    wb = load_workbook(ws.month_dir(MONTH) / f"{e.file_stem}.xlsx")
    assert wb["说明"]["A1"].value == f"{e.name}：请在五号前交表。"
    assert wb["考核表"]["A1"].value.endswith("绩效考核表")  # the other templates are still the shipped ones


def test_the_baseline_source_says_when_it_was_set_for_the_employee(space, tmp_path):
    ws, plan, roster = space
    f = write_csv(tmp_path / "b.csv", [("E002", "exposure", 70000, "", "基准"), ("E002", "reads", 50000, "", "目标")])
    import_file(ws, plan, roster, f, MONTH, "native")
    wb = load_workbook(ws.month_dir(MONTH) / "E002-李娜.xlsx")
    exposure, mouth = cell_of(wb, "baseline_exposure"), cell_of(wb, "baseline_word_of_mouth")
    assert exposure.value == 70000 and wb["考核表"][f"K{exposure.row}"].value == "单独设定"
    assert wb["考核表"][f"K{mouth.row}"].value == "方案默认"  # a changed target is not a changed baseline
    generate(ws, plan, roster[1:2], MONTH, "native")  # and it stays so on regeneration
    wb = load_workbook(ws.month_dir(MONTH) / "E002-李娜.xlsx")
    assert cell_of(wb, "baseline_exposure").value == 70000 and cell_of(wb, "target_reads").value == 50000
    assert wb["考核表"][f"K{exposure.row}"].value == "单独设定"


def test_forcing_twice_keeps_both_backups(space):
    ws, plan, roster = space
    e = roster[0]
    generate(ws, plan, [e], MONTH)
    path = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
    wb = load_workbook(path)
    cell_of(wb, "actual_hospital_visits").value = 140
    wb.save(path)
    typed = path.read_bytes()
    first = generate(ws, plan, [e], MONTH, force=True).backups[0]
    second = generate(ws, plan, [e], MONTH, force=True).backups[0]
    assert first != second and first.read_bytes() == typed


def test_the_rule_column_shows_rules_as_hr_wrote_them(space):
    """A percent metric's rule reads per=1% (as plan.yaml says), not per=0.01, and still checks clean."""
    ws, plan, roster = space
    people = [next(x for x in roster if x.role == role) for role in ("ops", "wechat")]
    generate(ws, plan, people, "2026-10")
    rules = [c.value for path in month_workbooks(ws.month_dir("2026-10")) for c in load_workbook(path)["考核表"]["I"]
             if isinstance(c.value, str) and "(" in c.value]
    assert "step(dir=down, per=1%, pts=1, cap=10)" in rules and "step(per=1%, pts=0.5, cap=10)" in rules
    assert "bands(<10%:0; [10%,20%):3; [20%,30%):5; >=30%:8)" in rules
    assert not any("0.01" in r or "0.1:" in r for r in rules)
    from xl_kpi.payroll.rollup import rollup

    checked = rollup(ws, plan, roster, "2026-10").entries  # the roll-up compares each rule cell with the plan
    mine = [s for s in checked if s.path is not None]
    assert len(mine) == 2 and not [p for s in mine for p in s.problems if p.type == "rule_changed"]


def test_no_chart_covers_the_signatures(space):
    """E010's 类别得分 chart covered 人力资源部签字: for every role, the chart's bottom (its anchor row plus its
    height over the rows' heights, read from the file's drawing and sheet XML) lies above the signature row."""
    import re
    import zipfile

    ws, plan, roster = space
    people = list({e.role: e for e in roster}.values())
    generate(ws, plan, people, "2026-10")
    for e in people:
        path = ws.month_dir("2026-10") / f"{e.file_stem}.xlsx"
        sheet = load_workbook(path)["考核表"]
        signed = next(c.row for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "人力资源部签字" in c.value)
        with zipfile.ZipFile(path) as z:
            drawing = z.read(next(n for n in z.namelist() if n.startswith("xl/drawings/drawing")))
        # (prefixed xdr: or not, as the writer chose)
        top = int(re.search(rb"<(?:xdr:)?from>.*?<(?:xdr:)?row>(\d+)</", drawing, re.S).group(1))  # 0-based
        height_pt = int(re.search(rb'<(?:xdr:)?ext cx="\d+" cy="(\d+)"', drawing).group(1)) / 12700
        row, covered = top + 1, 0.0
        while covered < height_pt:
            covered += sheet.row_dimensions[row].height or 15
            row += 1
        assert row - 1 < signed, (e.role, row - 1, signed)
