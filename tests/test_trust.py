"""The payroll trusts only what each owner enters. Each attack a dishonest employee, a careless HR clerk or
an outsider tried now gets a located problem or the right result; the tests read like that list."""
import re
import zipfile

import pytest
import yaml
from openpyxl import load_workbook

from xl_kpi.core.errors import KpiError
from xl_kpi.month.generate import generate
from xl_kpi.month.imports import import_file
from xl_kpi.payroll.rollup import rollup
from xl_kpi.store import open_store
from xl_kpi.workspace import data_file, init_workspace

from excel_shapes import rewrite_cell
from helpers import cell_of
from test_workbooks import write_csv

MONTH = "2026-10"


@pytest.fixture
def month(tmp_path):
    """The sample month generated and filled from the sample export, as HR does it."""
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    generate(ws, plan, roster, MONTH)
    import_file(ws, plan, roster, data_file(f"actuals-{MONTH}.csv"), MONTH)
    return ws, plan, roster


def edit(ws, employee, change):
    path = next(ws.month_dir(MONTH).glob(f"{employee}-*.xlsx"))
    wb = load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def roll(ws, plan, roster):
    result = rollup(ws, plan, roster, MONTH)
    return {s.employee.id: s for s in result.entries}, result


# --------------------------------------------------------------------------- wrong pay, nothing reported


@pytest.mark.parametrize("name, typed, owner_value, words", [
    ("base_salary", 50000, 5000, "责任底薪：表内为 50000，花名册为 5000"),
    ("performance_pay_base", 25000, 2500, "绩效工资基数：表内为 25000，花名册为 2500"),
    ("target_reads", 1, 100000, "阅读量目标：表内为 1，方案为 100000"),
    ("baseline_exposure", 0, 50000, "品牌曝光度基准：表内为 0，方案为 50000"),
])
def test_an_employee_who_edits_what_hr_owns_is_paid_by_the_owner_and_reported(month, name, typed, owner_value, words):
    ws, plan, roster = month
    before, _ = roll(ws, plan, roster)
    edit(ws, "E002", lambda wb: setattr(cell_of(wb, name), "value", typed))
    after, result = roll(ws, plan, roster)
    (p,) = after["E002"].problems
    assert p.type == "owned_value_changed" and words in p.message and p.sheet == "考核表"
    assert after["E002"].card.pay == before["E002"].card.pay  # computed from the owner's values
    assert result.held(after["E002"])


def test_a_figure_hr_imported_counts_as_imported_whatever_the_workbook_shows(month):
    ws, plan, roster = month
    before, _ = roll(ws, plan, roster)
    edit(ws, "E002", lambda wb: setattr(cell_of(wb, "actual_exposure"), "value", 99999))
    after, result = roll(ws, plan, roster)
    (p,) = after["E002"].problems
    assert p.type == "imported_value_changed" and p.cell == cell_of(load_workbook(after["E002"].path),
                                                                     "actual_exposure").coordinate
    assert "表内为 99999，导入 actuals-2026-10.csv:7为 52171" in p.message
    assert after["E002"].card.pay == before["E002"].card.pay and result.held(after["E002"])


def test_the_rated_person_sees_their_own_rating_and_the_others_weighted_never_one_raters(month):
    ws, plan, roster = month
    path = next(ws.month_dir(MONTH).glob("E010-*.xlsx"))
    wb = load_workbook(path)
    assert "rating_content_quality_supervisor" not in wb.defined_names  # no rater's own score in the file
    others = cell_of(wb, "rating_content_quality_others")
    assert others.value == 91 and others.protection.locked  # 他评, from the supervisor's imported 91
    assert not cell_of(wb, "rating_content_quality_self").protection.locked


def test_a_rating_typed_into_the_rated_persons_own_workbook_does_not_count(month):
    ws, plan, roster = month
    store = open_store(ws.root)  # the supervisor has not rated yet
    with store.conn:
        store.conn.execute("DELETE FROM imports WHERE employee = 'E010' AND slot = 'rating_content_quality_supervisor'")
    edit(ws, "E010", lambda wb: setattr(cell_of(wb, "rating_content_quality_others"), "value", 100))
    after, result = roll(ws, plan, roster)
    p = next(p for p in after["E010"].problems if p.type == "rating_not_owned")
    assert p.cell and "他评" in p.message and "不计入" in p.message
    assert result.held(after["E010"])
    # the supervisor's rating imported by HR (from the supervisor's form) counts and is no problem
    import_file(ws, plan, roster, write_csv(ws.root / "r.csv", [("E010", "内容质量评分（原创性/可读性/排版）", 100, "",
                                                                  "主管评定")]), MONTH)
    after, result = roll(ws, plan, roster)
    assert after["E010"].problems == [] and not result.held(after["E010"])


def test_a_changed_roster_figure_reaches_the_payroll(month):
    ws, plan, roster = month
    wb = load_workbook(ws.roster_path)
    sheet = wb.active
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "E002")
    row[4].value = 5600  # 责任底薪 raised by HR after generate
    wb.save(ws.roster_path)
    roster = ws.roster(plan)
    after, _ = roll(ws, plan, roster)
    assert after["E002"].card.pay.base_salary == 5600
    assert any("花名册为 5600" in p.message for p in after["E002"].problems)  # the workbook still shows 5000
    generate(ws, plan, [e for e in roster if e.id == "E002"], MONTH)
    after, _ = roll(ws, plan, roster)
    assert after["E002"].problems == [] and after["E002"].card.pay.base_salary == 5600


def test_a_per_employee_target_comes_from_hrs_import(month, tmp_path):
    ws, plan, roster = month
    import_file(ws, plan, roster, write_csv(tmp_path / "t.csv", [("E010", "阅读量", 60000, "", "目标")]), MONTH)
    record = open_store(ws.root).imported(MONTH, "E010")["E010"]["target_reads"]
    assert (record.value, record.line) == (60000, 2) and record.source.endswith("t.csv")
    after, _ = roll(ws, plan, roster)
    assert after["E010"].problems == [] and after["E010"].card.metrics["reads"].target == 60000
    edit(ws, "E010", lambda wb: setattr(cell_of(wb, "target_reads"), "value", 1000))
    after, _ = roll(ws, plan, roster)
    (p,) = after["E010"].problems
    assert "表内为 1000，导入 t.csv:2为 60000" in p.message
    assert after["E010"].card.metrics["reads"].target == 60000


@pytest.mark.parametrize("formula", ["=1", '=HYPERLINK("http://example.com","99999999")', "=[1]Sheet1!A1"])
def test_an_input_cell_holding_a_formula_is_a_problem_never_its_cached_value(month, formula):
    ws, plan, roster = month
    path = edit(ws, "E004", lambda wb: setattr(cell_of(wb, "actual_replies"), "value", formula))
    rewrite_cell(path, "考核表", cell_of(load_workbook(path), "actual_replies").coordinate,
                 lambda xml: re.sub(r"<v>[^<]*</v>|<v/>|(?=</c>)", "<v>99999999</v>", xml, count=1))
    after, _ = roll(ws, plan, roster)
    s = after["E004"]
    assert [p.type for p in s.problems] == ["input_formula"] and s.problems[0].cell == "G6"
    assert s.card.pay is None  # no pay from a computed input


def test_deleting_the_hidden_sheet_does_not_switch_the_check_off(month):
    ws, plan, roster = month
    path = edit(ws, "E006", lambda wb: wb.remove(wb["_xl_kpi"]))
    with zipfile.ZipFile(path) as z:
        assert "_xl_kpi" not in z.read("xl/workbook.xml").decode()
    edit(ws, "E006", lambda wb: setattr(cell_of(wb, "score_replies"), "value", "=8"))
    after, _ = roll(ws, plan, roster)
    assert [p.type for p in after["E006"].problems] == ["formula_changed"]


def test_a_plan_changed_after_generate_is_told_apart_from_tampering(month):
    ws, plan, roster = month
    data = yaml.safe_load(ws.plan_path.read_text(encoding="utf-8"))
    data["roles"]["wechat"]["categories"][0]["metrics"][0]["rule"] = "bands(<2400:0; [2400,3000):3; [3000,3500):5; >=3500:8)"
    ws.plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = ws.plan()
    after, _ = roll(ws, plan, roster)
    wechat = [e.id for e in roster if e.role == "wechat"]
    assert all("方案在生成此工作簿后已修改" in after[e].problems[-1].message for e in wechat)
    assert all(after[e.id].problems == [] for e in roster if e.role != "wechat")


# --------------------------------------------------------------------------- duplicates, and plans that would hang or crash


def check(ws):
    """The problems `xl-kpi check`'s plan loading reports, or [] when the plan loads."""
    try:
        ws.plan()
        return []
    except KpiError as exc:
        return exc.problems


def test_a_copied_role_block_is_a_duplicate_not_a_silent_replacement(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    text = ws.plan_path.read_text(encoding="utf-8")
    block = text[text.index("  web_editor:"):]
    ws.plan_path.write_text(text + block.replace("  web_editor:", "  wechat:", 1), encoding="utf-8")
    (p,) = check(ws)
    assert p.type == "duplicate_key" and "“wechat”重复" in p.message and p.line == text.count("\n") + 1


@pytest.mark.parametrize("tail, kind", [
    ("bomb: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n", "yaml_alias"),
    ("deep: " + "[" * 20000 + "]" * 20000 + "\n", "yaml_depth"),
])
def test_alias_bombs_and_deep_nesting_are_refused_at_once(tmp_path, tail, kind):
    ws, _ = init_workspace(tmp_path / "ws")
    ws.plan_path.write_text(ws.plan_path.read_text(encoding="utf-8") + tail, encoding="utf-8")
    (p,) = check(ws)
    assert p.type == kind and p.line


@pytest.mark.parametrize("old, new, words", [
    ('rule: "ratio(max=10)", target: 85', 'rule: "ratio(max=1e308)", target: 85', "超出允许范围"),
    ("base_salary: 8000 ", "base_salary: 1.0e+30 ", "roles.manager.base_salary"),
    ("performance_pay_base: 4000 ", "performance_pay_base: .nan ", "不是有限数字"),
])
def test_numbers_no_payroll_can_mean_are_located_errors(tmp_path, old, new, words):
    ws, _ = init_workspace(tmp_path / "ws")
    text = ws.plan_path.read_text(encoding="utf-8")
    assert old in text
    ws.plan_path.write_text(text.replace(old, new, 1), encoding="utf-8")
    problems = check(ws)
    assert problems and any(words in p.message for p in problems) and all(p.line for p in problems)


def test_the_same_cell_twice_in_one_import_is_an_error_unless_the_value_is_the_same(month, tmp_path):
    ws, plan, roster = month
    f = write_csv(tmp_path / "d.csv", [("E004", "replies", 100000, "", ""), ("E004", "回复条数", 5, "", ""),
                                       ("E005", "replies", 3000, "", ""), ("E005", "replies", "3,000", "", "")])
    with pytest.raises(KpiError) as info:
        import_file(ws, plan, roster, f, MONTH)
    (p,) = info.value.problems
    assert p.type == "import_duplicate" and p.line == 3 and "第2行" in p.message


def test_one_mailbox_for_two_employees_is_refused(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    wb = load_workbook(ws.roster_path)
    wb.active["G4"] = wb.active["G3"].value.upper()  # E003 given E002's address
    wb.save(ws.roster_path)
    with pytest.raises(KpiError) as info:
        ws.roster(ws.plan())
    (p,) = info.value.problems
    assert p.type == "roster_email_shared" and p.cell == "G4" and "第3行" in p.message


def test_the_same_rater_twice_is_an_error(month):
    from xl_kpi.period.review import read_ratings

    ws, plan, roster = month
    (ws.root / "reviews").mkdir()
    (ws.root / "reviews" / "2026-Q4.csv").write_text("工号,评分人,评分\nE002,自评,90\nE002,自评,60\n", encoding="utf-8")
    _, problems, _ = read_ratings(ws, plan, "2026-Q4", roster)
    assert any(p.type == "rating_duplicate" and p.line == 3 for p in problems)


# --------------------------------------------------------------------------- written outside the workspace, text that turns formula


def set_roster(ws, changes: dict[str, object]):
    wb = load_workbook(ws.roster_path)
    for coord, value in changes.items():
        wb.active[coord] = value
        if isinstance(value, str) and value.startswith("="):
            wb.active[coord].data_type = "s"  # text, as a person pastes it (openpyxl would make it a formula)
    wb.save(ws.roster_path)


@pytest.mark.parametrize("coord, value, words", [
    ("B3", "x/../../../../../OUTSIDE/pwn", "/"), ("A3", "../E002", "/"), ("B3", "C:\\Windows\\pwn", "\\\\"),
    ("B3", "张" * 300, "超过64个字符"), ("A3", "CON", "保留"), ("B3", ".hidden", "开头"), ("B3", "~$李娜", "开头"),
    ("B3", "李娜?", "?"),
])
def test_names_that_would_leave_the_workspace_or_break_a_file_name_are_refused(tmp_path, coord, value, words):
    ws, _ = init_workspace(tmp_path / "ws")
    set_roster(ws, {coord: value})
    with pytest.raises(KpiError) as info:
        ws.roster(ws.plan())
    (p,) = info.value.problems
    assert p.type == "roster_file_name" and p.cell == coord and words in p.message
    assert not (tmp_path / "OUTSIDE").exists()


def test_every_path_is_proven_inside_the_workspace(tmp_path):
    from xl_kpi.workspace import inside

    assert inside(tmp_path, "workbooks", "2026-10", "E001-张明.xlsx") == tmp_path / "workbooks/2026-10/E001-张明.xlsx"
    for parts in (("workbooks", "..", "..", "x.xlsx"), ("/etc/passwd",)):
        with pytest.raises(KpiError):
            inside(tmp_path, *parts)


def test_an_id_with_a_dash_is_found_the_same_way_by_every_command(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    set_roster(ws, {"A3": "E-002", "A4": "E-002-1"})  # two ids, one the other's prefix
    plan = ws.plan()
    roster = ws.roster(plan)
    generate(ws, plan, roster, MONTH)
    import_file(ws, plan, roster, data_file(f"actuals-{MONTH}.csv"), MONTH, skip_bad=True)
    f = write_csv(tmp_path / "d.csv", [("E-002", "品牌曝光度", 61000, "", ""), ("E-002-1", "品牌曝光度", 52000, "", "")])
    import_file(ws, plan, roster, f, MONTH)
    after, result = roll(ws, plan, roster)
    assert not [p for p in result.problems if p.type in ("not_on_roster", "duplicate_workbook")]
    assert after["E-002"].card.metrics["exposure"].actual == 61000
    assert after["E-002-1"].card.metrics["exposure"].actual == 52000


def test_text_from_people_is_never_a_formula_in_any_workbook(tmp_path):
    from xl_kpi import mail

    ws, _ = init_workspace(tmp_path / "ws")
    link = '=HYPERLINK("http://example.com/x","点我查看工资")'
    set_roster(ws, {"B2": "=1+1", "C2": link, "C3": link})
    plan = ws.plan()
    roster = ws.roster(plan)
    generate(ws, plan, roster, MONTH)
    import_file(ws, plan, roster, data_file(f"actuals-{MONTH}.csv"), MONTH)
    (ws.month_dir(MONTH) / f"={'A' * 3}.xlsx").write_bytes(b"not a workbook")  # a file name in 问题
    result = rollup(ws, plan, roster, MONTH, accept_problems=True)
    from xl_kpi.payroll.summary import summary_path, write_summary

    written = [write_summary(result, summary_path(ws, MONTH))]
    mailing = mail.build(ws, MONTH, mail.load_config(ws))
    outbox = tmp_path / "attachments"
    outbox.mkdir()
    from xl_kpi.store import open_store

    for i, out in enumerate(mailing.messages):
        for part in out.message.iter_attachments():
            if part.get_filename().endswith(".xlsx"):
                written.append(outbox / f"{i}.xlsx")
                data = part.get_payload(decode=True)
                if not data.startswith(b"PK"):  # encrypted (a new workspace's default): opened as the person does
                    import io

                    import msoffcrypto

                    office = msoffcrypto.OfficeFile(io.BytesIO(data))
                    owner = "HR" if out.kind == "hr" else out.key.split(":")[1]  # HR's own password, or the person's
                    office.load_key(password=open_store(ws.root).password(MONTH, owner, lambda: "never drawn here"))
                    plain = io.BytesIO()
                    office.decrypt(plain)
                    data = plain.getvalue()
                written[-1].write_bytes(data)
    written += sorted(ws.month_dir(MONTH).glob("E00[12]-*.xlsx"))
    assert len(written) > 3
    for path in written:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    xml = z.read(name).decode()
                    formulas = re.findall(r"<f[^>]*>(.*?)</f>", xml)
                    assert not any("HYPERLINK" in f or f == "1+1" or "AAA" in f for f in formulas), (path, name)
    summary = load_workbook(written[0])
    assert any(c.value == link for row in summary["工资汇总"].iter_rows() for c in row)


@pytest.mark.parametrize("value, words", [("1e25", "超出允许范围"), ("nan", "不是数字"), ("inf", "不是数字"),
                                          ("-1e16", "超出允许范围")])
def test_numbers_beyond_what_pay_can_mean_are_refused_on_import(month, tmp_path, value, words):
    ws, plan, roster = month
    with pytest.raises(KpiError) as info:
        import_file(ws, plan, roster, write_csv(tmp_path / "d.csv", [("E002", "exposure", value, "", "")]), MONTH)
    (p,) = info.value.problems
    assert words in p.message and p.line == 2


def test_a_huge_number_typed_in_a_cell_is_a_located_problem_not_a_crash(month):
    ws, plan, roster = month
    store = open_store(ws.root)  # the figure is the filler's own to type: no import of it
    with store.conn:
        store.conn.execute("DELETE FROM imports WHERE employee = 'E002' AND slot = 'actual_exposure'")
    edit(ws, "E002", lambda wb: setattr(cell_of(wb, "actual_exposure"), "value", 1e25))
    after, _ = roll(ws, plan, roster)
    (p,) = after["E002"].problems
    assert p.cell and "超出允许范围" in p.message and after["E002"].card.pay is None


# --------------------------------------------------------------------------- one writer at a time


def test_a_second_writer_waits_then_says_who_holds_the_workspace(month):
    import os
    import subprocess
    import sys

    ws, _, _ = month
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from xl_kpi.system.lock import workspace_lock\n"
        f"with workspace_lock(Path({str(ws.root)!r})):\n    print('held', flush=True); time.sleep(30)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "generate", "--month", MONTH, "--dir", str(ws.root)],
                              capture_output=True, text=True, env=dict(os.environ, XL_KPI_LOCK_WAIT="1"))
        assert done.returncode == 2 and "工作区正被另一个命令使用" in done.stderr and f"pid {holder.pid}" in done.stderr
    finally:
        holder.kill()
        holder.wait()
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "generate", "--month", MONTH, "--dir", str(ws.root)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # a dead holder's lock is gone with it


def test_import_and_generate_at_once_lose_nothing(month, tmp_path):
    import subprocess
    import sys

    ws, plan, roster = month
    rows = [(e.id, m.id, 40 + i, "", "") for i, e in enumerate(roster) for m in plan.roles[e.role].metrics
            if m.source == "input" and not m.percent and m.max is None]
    f = write_csv(tmp_path / "d.csv", rows)
    cli = [sys.executable, "-m", "xl_kpi.cli"]
    runs = [subprocess.Popen(cli + ["import", str(f), "--month", MONTH, "--dir", str(ws.root)], stderr=subprocess.PIPE),
            subprocess.Popen(cli + ["generate", "--month", MONTH, "--dir", str(ws.root)], stderr=subprocess.PIPE)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0], [r.stderr.read().decode() for r in runs]
    by_id = {e.id: e for e in roster}
    for emp, metric, value, _, _ in rows:
        wb = load_workbook(next(ws.month_dir(MONTH).glob(f"{emp}-*.xlsx")), read_only=True)
        (sheet, coord), = wb.defined_names[f"actual_{metric}"].destinations
        assert wb[sheet][coord.replace("$", "")].value == value, (by_id[emp].name, metric)


# --------------------------------------------------------------------------- no traceback, no hang, bounded memory


def cli(*args, cwd=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "xl_kpi.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_a_workbook_that_unpacks_to_a_gigabyte_is_refused_by_name(month):
    ws, plan, roster = month
    path = next(ws.month_dir(MONTH).glob("E003-*.xlsx"))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (60 * 1024 * 1024))  # 60 MB of zeros: a few dozen KB packed
    assert path.stat().st_size < 2 * 1024 * 1024
    after, result = roll(ws, plan, roster)
    (p,) = after["E003"].problems
    assert p.type == "workbook_unreadable" and "解压后超过50MB" in p.message and p.file.endswith(path.name)


@pytest.mark.parametrize("setup, args, words", [
    (lambda root: (root / "plan.yaml").unlink() or (root / "plan.yaml").mkdir(), ["check"], "plan.yaml"),
    (lambda root: (root / "workbooks" / MONTH).write_text("x"), ["generate", "--month", MONTH], MONTH),
    (lambda root: (root / "drafts").write_text("x"), ["send", "--month", MONTH, "--dry-run", "{root}/drafts"], "drafts"),
])
def test_file_system_errors_are_located_messages_not_tracebacks(tmp_path, setup, args, words):
    root = tmp_path / "ws"
    assert cli("init", str(root)).returncode == 0
    if args[0] == "send":
        assert cli("demo", str(root)).returncode == 0
    setup(root)
    done = cli(*(a.format(root=root) for a in args), "--dir", str(root))
    assert done.returncode == 2 and "Traceback" not in done.stderr and words in done.stderr, done.stderr


def test_init_on_a_file_is_a_message(tmp_path):
    (tmp_path / "kpi").write_text("a file, not a folder")
    done = cli("init", str(tmp_path / "kpi"))
    assert done.returncode == 2 and "Traceback" not in done.stderr and "kpi" in done.stderr


# --------------------------------------------------------------------------- notes people write


def test_notes_outside_the_input_cells_are_never_dropped_silently(month):
    from openpyxl.comments import Comment

    ws, plan, roster = month
    e = next(x for x in roster if x.id == "E004")

    def write_notes(wb):
        sheet = wb["考核表"]
        sheet.protection.sheet = False  # a person unprotects the sheet to write beside the form
        sheet["N30"] = "备注: 第三周系统故障, 数据偏低"
        sheet["G6"].comment = Comment("已与主管确认", "赵敏")

    path = edit(ws, "E004", write_notes)
    before = path.read_bytes()
    report = generate(ws, plan, [e], MONTH)
    (p,) = report.problems
    assert p.type == "would_lose_note" and "考核表!N30 “备注: 第三周系统故障" in p.message and "批注 考核表!G6" in p.message
    assert path.read_bytes() == before  # left untouched
    report = generate(ws, plan, [e], MONTH, force=True)
    (backup,) = report.backups
    assert load_workbook(backup)["考核表"]["N30"].value.startswith("备注")


# --------------------------------------------------------------------------- 加减分: HR's rows, the filler's rows


def adjustments_csv(tmp_path, rows):
    return write_csv(tmp_path / "adj.csv", rows, header=("工号", "日期", "项目", "数量", "分值", "说明"))


def test_an_employee_cannot_award_themselves_and_hrs_rows_always_count(month, tmp_path):
    ws, plan, roster = month
    import_file(ws, plan, roster, adjustments_csv(tmp_path, [("E004", "2026-10-08", "运营推广执行出错", 1, "", "")]), MONTH)
    rows = open_store(ws.root).adjustments(MONTH)["E004"]
    assert [(r[0], r[1], r[6]) for r in rows] == [("execution_error", 1, 2)] and rows[0][5].endswith("adj.csv")
    before, _ = roll(ws, plan, roster)
    assert before["E004"].problems == [] and before["E004"].card.adjustment_points == -1

    def award_myself(wb):  # 明星员工 typed into the employee's own log, under HR's row
        wb["加减分"]["B5"], wb["加减分"]["C5"] = "明星员工", 1
    edit(ws, "E004", award_myself)
    after, _ = roll(ws, plan, roster)
    (p,) = after["E004"].problems
    assert (p.type, p.sheet, p.cell) == ("adjustment_unregistered", "加减分", "B5") and "明星员工" in p.message
    assert after["E004"].card.pay == before["E004"].card.pay  # not counted

    def delete_hrs_row(wb):
        for col in "ABCDEF":
            wb["加减分"][f"{col}4"] = None
    edit(ws, "E004", delete_hrs_row)
    after, _ = roll(ws, plan, roster)
    assert "adjustment_missing" in {p.type for p in after["E004"].problems}
    assert after["E004"].card.adjustment_points == -1  # HR's record still counts


def test_items_the_plan_lets_the_filler_enter_count_from_the_workbook(month):
    ws, _, roster = month
    data = yaml.safe_load(ws.plan_path.read_text(encoding="utf-8"))
    typo = next(a for a in data["adjustments"] if a["id"] == "typo")
    typo["entered_by"] = "form"
    ws.plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = ws.plan()
    generate(ws, plan, roster, MONTH)

    def self_report(wb):
        wb["加减分"]["B4"], wb["加减分"]["C4"] = "错别字", 2
    edit(ws, "E010", self_report)
    after, _ = roll(ws, plan, roster)
    assert after["E010"].problems == []
    assert {a.item: a.points for a in after["E010"].card.adjustments}["typo"] == -1


def test_hrs_import_keeps_the_fillers_own_rows(month, tmp_path):
    ws, _, roster = month
    data = yaml.safe_load(ws.plan_path.read_text(encoding="utf-8"))
    next(a for a in data["adjustments"] if a["id"] == "typo")["entered_by"] = "form"
    ws.plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = ws.plan()
    edit(ws, "E010", lambda wb: wb["加减分"].__setitem__("B4", "错别字"))
    import_file(ws, plan, roster, adjustments_csv(tmp_path, [("E010", "", "10万+稿件", 2, "", "两篇")]), MONTH)
    log = load_workbook(next(ws.month_dir(MONTH).glob("E010-*.xlsx")))["加减分"]
    assert [log[f"B{r}"].value for r in (4, 5, 6)] == ["10万+稿件", "错别字", None]
    after, _ = roll(ws, plan, roster)
    points = {a.item: a.points for a in after["E010"].card.adjustments}
    assert after["E010"].problems == [] and (points["viral_100k"], points["typo"]) == (4, -0.5)


def test_the_record_knows_whose_workbook_a_file_is_and_what_the_month_was_made_from(month):
    from xl_kpi.month.record import plan_hash, roster_hash

    ws, plan, roster = month
    assert open_store(ws.root).month(MONTH) == (plan_hash(plan), roster_hash(roster))

    def pose_as_someone_else(wb):  # the hidden sheet now claims the file is E005's
        wb["_xl_kpi"]["B1"] = "E005"
    edit(ws, "E004", pose_as_someone_else)
    after, result = roll(ws, plan, roster)
    assert not [p for p in result.all_problems if p.type == "duplicate_workbook"]
    assert after["E004"].card is not None and after["E005"].card is not None


def test_a_formula_in_the_logs_count_is_a_problem_and_later_rows_stay_placed(month):
    ws, plan, roster = month
    data = yaml.safe_load(ws.plan_path.read_text(encoding="utf-8"))
    next(a for a in data["adjustments"] if a["id"] == "typo")["entered_by"] = "form"
    ws.plan_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    plan = ws.plan()
    generate(ws, plan, roster, MONTH)

    def log(wb):
        sheet = wb["加减分"]
        sheet["B4"], sheet["C4"] = "错别字", "=99"  # computed count
        sheet["B5"], sheet["C5"] = "错别字", -1  # a bad count below it
    edit(ws, "E010", log)
    after, _ = roll(ws, plan, roster)
    found = {(p.type, p.cell) for p in after["E010"].problems}
    assert ("input_formula", "C4") in found and ("input_invalid", "C5") in found
