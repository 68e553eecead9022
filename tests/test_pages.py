"""The pages HR prints, signs and sends, read as a person reads them: every output kind of the
demo month (one scorecard per role in both formula modes, the payroll summary, each mailed copy
and team summary) rendered by LibreOffice to PDF in one call and read back with pdftotext."""
import email
import re
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xl_kpi.system.libreoffice import convert
from xl_kpi.month.generator import Generator
from xl_kpi.month.score import score_month
from xl_kpi.workspace import Workspace

pytestmark = pytest.mark.libreoffice
MONTH = "2026-10"
RULE_CODE = re.compile(r"\b(bands|step|ratio|rating|rank|deduct|bonus|award|veto|commission)\(")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
HALF_WIDTH_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:?!()]|[,;:?!()][\u4e00-\u9fff]")


def pdftotext(pdf: Path, *mode: str) -> str:
    return subprocess.run(["pdftotext", *mode, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """(workspace, {kind/name: pdf}) for every page kind, rendered in one soffice call."""
    root = tmp_path_factory.mktemp("pages") / "ws"
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "demo", str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ws = Workspace(root)
    plan = ws.plan()
    roster = ws.roster(plan)
    src = tmp_path_factory.mktemp("src")
    files = {}
    one_per_role = {e.role: e for e in reversed(roster)}  # the first employee of each role
    for e in one_per_role.values():
        native = ws.month_dir(MONTH) / f"{e.file_stem}.xlsx"
        files[f"native/{e.id}"] = shutil.copy(native, src / f"native-{e.id}.xlsx")
        Generator(ws, plan, "2026-11", "udf").write(e)
        files[f"udf/{e.id}"] = shutil.copy(ws.month_dir("2026-11") / f"{e.file_stem}.xlsx", src / f"udf-{e.id}.xlsx")
    files["payroll"] = shutil.copy(ws.month_dir(MONTH) / f"工资汇总-{MONTH}.xlsx", src / "payroll.xlsx")
    for eml in sorted((root / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        for i, part in enumerate(msg.iter_attachments()):
            kind = eml.stem.split("-")[1]
            target = src / f"mail-{eml.stem[:3]}-{kind}-{i}.xlsx"
            target.write_bytes(part.get_content())
            name = part.get_filename()  # HR's and each manager's 绩效报告, the 改进计划 forms, the rest
            group = "report" if name.startswith("绩效报告") else "form" if name.startswith("改进计划") else "mail"
            files[f"{group}/{kind}/{eml.stem[:3]}" + (f"/{i}" if group == "form" else "")] = target
    out = convert(list(files.values()), tmp_path_factory.mktemp("pdf"), to="pdf")
    pdfs = {key: pdf for key, pdf in zip(files, out)}
    return ws, plan, roster, pdfs


def test_every_page_reads_as_written_by_a_person(rendered):
    _, _, _, pdfs = rendered
    assert {k.split("/")[0] for k in pdfs} == {"native", "udf", "payroll", "mail", "report", "form"}
    for key, pdf in pdfs.items():
        text = pdftotext(pdf, "-layout")
        assert "###" not in text, f"{key}: a number too wide for its column"
        assert not RULE_CODE.search(text), f"{key}: rule code on the page: {RULE_CODE.search(text).group(0)}"
        words = set(re.findall(r"[A-Za-z]{2,}", EMAIL.sub("", text))) - {"TOP"}
        if key.startswith("udf/"):
            words -= {"NAME"}  # #NAME?: LibreOffice has no add-in to compute =KPI_*()
        assert not words, f"{key}: English on the page: {sorted(words)[:10]}"
        assert not HALF_WIDTH_IN_CHINESE.search(text), f"{key}: {HALF_WIDTH_IN_CHINESE.search(text).group(0)!r}"
        assert "第1页" in text.replace(" ", ""), f"{key}: no page footer"


def test_native_scorecards_explain_every_scored_metric(rendered):
    ws, plan, roster, pdfs = rendered
    cards = {s.employee.id: s.card for s in score_month(ws, plan, roster, MONTH)}
    for key, pdf in pdfs.items():
        if not key.startswith("native/"):
            continue
        flat = re.sub(r"\s", "", pdftotext(pdf, "-raw"))
        card = cards[key.split("/")[1]]
        explained = [m.explanation for m in card.metrics.values() if m.points is not None]
        explained += [a.explanation for a in card.adjustments]  # the 加减分 sheet's 得分说明 column
        assert explained, key
        for text in explained:
            assert re.sub(r"\s", "", text) in flat, f"{key}: {text}"
        assert f"{card.score:.2f}" in flat and f"{card.pay.total:,.2f}" in flat
        book = load_workbook(ws.month_dir(MONTH) / next(e.file_stem + ".xlsx" for e in roster if e.id == key[7:]))
        assert pages(pdf) == sum(sheet.sheet_state == "visible" for sheet in book.worksheets)  # one page a sheet


def test_the_payroll_is_a_document_one_signs(rendered):
    ws, plan, roster, pdfs = rendered
    text = pdftotext(pdfs["payroll"], "-layout")
    flat = re.sub(r"\s", "", text)
    for who in ("制表人", "审核人", "批准人", "日期"):
        assert who + "：" in flat
    assert "2026年10月绩效工资汇总表" in flat and "第1页共3页" in flat
    assert pages(pdfs["payroll"]) == 3  # 工资汇总, 等级分布, 排名: no 问题 page in a month without problems
    assert "各岗位排名" in flat
    ranked = [line.split() for line in text.splitlines() if re.match(r"\s*微信咨询\s+\d", line)]
    grades = [r[4] for r in ranked]
    order = [g.name for g in sorted(plan.grades, key=lambda g: -g.min)]
    assert grades == sorted(grades, key=order.index)  # grade first: a 不合格 never above an 优秀


def test_the_report_prints_with_its_titles_charts_and_period(rendered):
    _, _, _, pdfs = rendered
    reports = {k: v for k, v in pdfs.items() if k.startswith("report/")}
    assert {k.split("/")[1] for k in reports} == {"hr", "manager"}
    hr = next(v for k, v in reports.items() if k.startswith("report/hr/"))
    flat = re.sub(r"\s", "", pdftotext(hr, "-layout"))
    for title in ("电商部绩效报告（2026年10月）", "电商部绩效趋势（2026年5月至2026年10月）", "电商部2026年10月对照分析",
                  "电商部个人绩效历史", "电商部2026年10月周报汇总", "微信咨询：本月4个报告周"):
        assert title in flat, title
    assert flat.count("电商部绩效报告2026年5月至2026年10月") == pages(hr)  # the period atop every page
    assert "缺少工作簿的月份：2026年5月、2026年6月、2026年7月" in flat
    for kind, pdf in reports.items():
        assert "###" not in pdftotext(pdf, "-layout"), kind


def test_mailed_copies_and_team_summaries(rendered):
    ws, plan, roster, pdfs = rendered
    cards = {s.employee.id: s.card for s in score_month(ws, plan, roster, MONTH)}
    people = [k for k in pdfs if k.startswith("mail/employee/")]
    assert len(people) == len(roster)
    for key in people:
        flat = re.sub(r"\s", "", pdftotext(pdfs[key], "-raw"))
        e = roster[int(key.rsplit("/", 1)[1]) - 1]
        assert e.name in flat and f"{cards[e.id].pay.total:,.2f}" in flat
    teams = [k for k in pdfs if k.startswith("mail/manager/")]
    assert teams
    for key in teams:
        flat = re.sub(r"\s", "", pdftotext(pdfs[key], "-raw"))
        assert "团队绩效汇总" in flat and "直接上级：" in flat


def test_no_hash_marks_at_the_pay_a_real_month_can_reach(rendered, tmp_path):
    """A 责任底薪 of 5,000,000 and a 绩效工资基数 of 4,000,000 (应发合计 9,800,000.00): every money
    column of the scorecard, the payroll and the mailed copy still shows the number."""
    from xl_kpi.mail.attachments import scorecard_copy
    from xl_kpi.month.generate import generate
    from xl_kpi.payroll.rollup import rollup
    from xl_kpi.payroll.summary import summary_path, write_summary

    ws, _, _, _ = rendered
    big = Workspace(tmp_path / "ws")
    shutil.copytree(ws.root, big.root)
    roster_file = big.root / "roster.xlsx"
    book = load_workbook(roster_file)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "E001":
            row[header.index("责任底薪")].value, row[header.index("绩效工资基数")].value = 5000000, 4000000
    book.save(roster_file)
    plan = big.plan()
    roster = big.roster(plan)
    generate(big, plan, roster, MONTH)  # the typed values are kept
    result = rollup(big, plan, roster, MONTH)
    write_summary(result, summary_path(big, MONTH))
    e001 = next(s for s in result.entries if s.employee.id == "E001")
    assert float(e001.card.pay.total) == 9800000
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(scorecard_copy(plan, e001.employee, e001.card, MONTH))
    files = [big.month_dir(MONTH) / f"{e001.employee.file_stem}.xlsx", summary_path(big, MONTH), copy]
    for pdf in convert(files, tmp_path / "pdf", to="pdf"):
        text = pdftotext(pdf, "-layout")
        assert "###" not in text and "9,800,000.00" in text, pdf.name


def test_no_page_prints_in_a_fallback_serif(rendered):
    """Bold text carries the workbook's own font name: a Font without one made LibreOffice print titles and
    totals in its serif fallback (DejaVu Serif) beside the sans body text."""
    _, _, _, pdfs = rendered
    for key, pdf in pdfs.items():
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "Serif" not in fonts, (key, fonts)


def test_the_half_year_review_prints_every_missing_month_whole(rendered, tmp_path):
    """缺少月份 printed as 2026-07、2026- (the row was too short): each month now on its own line, the row as
    tall as its longest text."""
    ws, _, _, _ = rendered
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "review", "--period", "2026-H2", "--dir", str(ws.root)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (pdf,) = convert([ws.workbooks / "期间考核-2026-H2.xlsx"], tmp_path, to="pdf")
    text = pdftotext(pdf, "-layout")
    missing = ["2026-07", "2026-11", "2026-12"]  # the demo has August to October
    for line_no, line in enumerate(text.splitlines()):
        if line.lstrip().startswith("E001"):
            block = text.splitlines()[line_no:line_no + 3]
            assert [m for m in missing if any(m in b.split("缺少或未能")[0] for b in block)] == missing, block
    assert not re.search(r"2026-\s*$", text, re.M)  # no month cut at its hyphen


def test_the_adjustment_items_print_whole(rendered):
    """The 加减分 sheet's 规则说明 were cut at the column's edge and 金额（元 wrapped with ）alone: each item's
    words and the money heading now print whole on every native scorecard."""
    _, plan, roster, pdfs = rendered
    roles = {e.id: e.role for e in roster}
    for key, pdf in pdfs.items():
        if not key.startswith("native/"):
            continue
        text = pdftotext(pdf, "-layout")
        assert "金额（元）" in text, key
        flat = re.sub(r"\s", "", text)
        for a in plan.role_adjustments(roles[key.split("/")[1]]):
            words = re.sub(r"\s", "", a.rule.describe() + (f"（{a.note}）" if a.note else ""))
            # a cut cell loses its end; a wrapped one prints it (its lines come back between the neighbours')
            assert words[-5:] in flat, (key, a.name, words)


def test_report_tables_print_whole_with_a_long_name(rendered, tmp_path):
    """The report's 较上月 was cut on the team table, its headers wrapped onto the first row and long names
    were cut: with a long name on the roster, every text of every table prints whole, each header on one line."""
    ws, _, _, _ = rendered
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root)
    roster = load_workbook(root / "roster.xlsx")
    long_name = "阿不都热合曼·买买提江"
    next(r for r in roster.active.iter_rows() if r[0].value == "E005")[1].value = long_name
    roster.save(root / "roster.xlsx")
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "report", "--month", MONTH, "--dir", str(root)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    path = root / "workbooks" / MONTH / f"绩效报告-{MONTH}.xlsx"
    (pdf,) = convert([path], tmp_path, to="pdf")
    layout = pdftotext(pdf, "-layout")
    flat = re.sub(r"\s", "", layout)
    wb = load_workbook(path)
    checked = 0
    for sheet in wb.worksheets:
        merged = {c for rng in sheet.merged_cells.ranges for row in sheet[rng.coord] for c in row}
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell not in merged and not sheet.column_dimensions[
                        cell.column_letter].hidden:
                    assert re.sub(r"\s", "", cell.value) in flat, (sheet.title, cell.coordinate, cell.value)
                    checked += 1
    assert long_name in flat and "▲7.49（+11.5%）" in flat and checked > 100
    for header in ("团队（直接上级）", "较上月", "本月达成率", "等级变化"):  # one line each, never wrapped
        assert any(header in line for line in layout.splitlines()), header
