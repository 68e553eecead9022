"""Month close, appeals and the audit trail, driven through the CLI on a copy of the demo workspace:
a closed month cannot be regenerated or re-imported without a reopen, a change after the close is
reported, an accepted appeal on a closed month is a recorded amendment with its pay difference settled
in the next payroll, a late appeal is refused with the day the window ended, and the audit trail
records every change and notices when it is tampered with."""
import csv
import datetime as dt
import io
import json
import shutil
import sqlite3

import pytest
import yaml
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from xl_kpi.workspace import data_file

from conftest import demo_copy
from helpers import cell_of, run_cli
from test_mail import Recorder, free_port

MONTH = "2026-10"


def run(capsys, *argv, code=0) -> str:
    """What the command printed (its output and its messages)."""
    return run_cli(capsys, *argv, code=code, stderr=True)


def run_json(capsys, *argv, code=0):
    return json.loads(run_cli(capsys, *argv, code=code))


@pytest.fixture(scope="module")
def demo(demo_root, tmp_path_factory):
    return demo_copy(demo_root, tmp_path_factory, "close")


@pytest.fixture
def ws(demo, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(demo, root)
    return root


@pytest.fixture
def smtp(ws):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    config = yaml.safe_load((ws / "mail.yaml").read_text(encoding="utf-8"))
    config["smtp"].update(host="127.0.0.1", port=controller.port, security="none", username="", retries=1, backoff=0)
    (ws / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    try:
        yield handler
    finally:
        controller.stop()


def book(ws, month, stem):
    return ws / "workbooks" / month / f"{stem}.xlsx"


# --------------------------------------------------------------------------- close


def test_a_closed_month_is_locked_and_changes_after_it_are_reported(ws, capsys):
    summary = ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx"
    out = run(capsys, "close", "--month", MONTH, "--dir", ws)
    assert "已结账" in out and "12 个工作簿" in out
    shown = run(capsys, "close", "--show", "--month", MONTH, "--dir", ws)
    assert "结账" in shown and "81,876.36" in shown
    assert not summary.stat().st_mode & 0o222  # read-only (the write bits; Windows' read-only attribute)
    assert all(sheet.protection.sheet for sheet in load_workbook(summary).worksheets)

    refused = run(capsys, "generate", "--month", MONTH, "--dir", ws, code=2)
    assert "已于" in refused and "结账，不能再生成工作簿" in refused and f"close --reopen --month {MONTH}" in refused
    refused = run(capsys, "import", data_file(f"actuals-{MONTH}.csv"), "--month", MONTH, "--dir", ws, code=2)
    assert "不能再导入数据" in refused

    before = summary.read_bytes()
    run(capsys, "rollup", "--month", MONTH, "--dir", ws)  # still reads; the closed summary stays as it was
    assert summary.read_bytes() == before

    path = book(ws, MONTH, "E002-李娜")
    wb = load_workbook(path)
    cell_of(wb, "actual_reads").value = 150000
    wb.save(path)
    e002 = next(r for r in run_json(capsys, "rollup", "--month", MONTH, "--json", "--dir", ws, code=2)
                if r["employee_id"] == "E002")
    assert e002["status"] == "held"
    assert any(p["type"] == "changed_after_close" and p["file"].endswith("E002-李娜.xlsx") for p in e002["problems"])
    scored = run_json(capsys, "score", "--month", MONTH, "--json", "--dir", ws, code=2)
    assert any(p["type"] == "changed_after_close" for r in scored if r["employee_id"] == "E002" for p in r["problems"])
    assert summary.read_bytes() == before

    assert "重开须写明原因" in run(capsys, "close", "--reopen", "--month", MONTH, "--dir", ws, code=2)
    run(capsys, "close", "--reopen", "--month", MONTH, "--reason", "补录阅读量", "--dir", ws)
    assert summary.stat().st_mode & 0o200
    run(capsys, "generate", "--month", MONTH, "--dir", ws)  # open again
    shown = run(capsys, "close", "--show", "--month", MONTH, "--dir", ws)
    assert "重开" in shown and "补录阅读量" in shown


def test_a_month_with_open_problems_closes_only_when_they_are_accepted(ws, capsys):
    path = book(ws, MONTH, "E003-王磊")
    wb = load_workbook(path)
    cell_of(wb, "actual_reads").value = 1  # not what HR imported
    wb.save(path)
    out = run(capsys, "close", "--month", MONTH, "--dir", ws, code=2)
    assert "还有" in out and "待核问题，不能结账" in out and "阅读量" in out
    out = run(capsys, "close", "--month", MONTH, "--accept-problems", "--dir", ws)
    assert "接受的问题" in out
    from xl_kpi.store import open_store

    record = open_store(ws).closed(MONTH)
    assert record.state == "closed" and len(record.accepted) >= 1 and len(record.workbooks) == 12


def test_the_ribbons_generate_refuses_a_closed_month(ws, capsys, monkeypatch):
    import xlwings as xw

    from xl_kpi.excel import ribbon as addin
    from test_addin_scripts import actions_by_func, payload

    run(capsys, "close", "--month", MONTH, "--dir", ws)
    monkeypatch.setenv("XL_KPI_WORKSPACE", str(ws))
    caller = xw.Book(json=payload(book(ws, MONTH, "E004-赵敏")))
    addin.generate(caller, MONTH)
    shown = actions_by_func(caller)["alert"][-1]["args"][0]
    assert "结账，不能再生成工作簿" in shown and "--reopen" in shown


# --------------------------------------------------------------------------- appeals


def test_an_accepted_appeal_on_a_closed_month_is_a_recorded_amendment(ws, capsys, smtp):
    run(capsys, "close", "--month", MONTH, "--dir", ws)
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)  # the results go out: the window opens today
    today = dt.date.today()
    out = run(capsys, "appeal", "add", "--month", MONTH, "--employee", "E002", "--metric", "品牌曝光度",
              "--reason", "第三方监测漏计一场直播的曝光", "--claimed", "5.5万", "--dir", ws)
    assert "第1号申诉" in out
    late = today + dt.timedelta(days=30)
    out = run(capsys, "appeal", "add", "--month", MONTH, "--employee", "E003", "--metric", "reads", "--reason", "漏算",
              "--filed", late, "--dir", ws, code=2)
    assert "申诉期已于" in out and "结束" in out and "不予受理" in out

    out = run(capsys, "appeal", "decide", "1", "--accept", "--dir", ws)
    # 每增加100次曝光得0.1分, 最高5分: 52171 → 2.1分, 55000 → 5分; 品牌知名度 30% of 15 points: +30 × 2.9 / 15
    # = +5.8, 78.32 → 84.12: 一般 (0.8) → 良好 (1.0), 绩效工资 2500 × 0.2 = 500 more
    assert "补发 500.00" in out
    wb = load_workbook(book(ws, MONTH, "E002-李娜"))
    assert cell_of(wb, "actual_exposure").value == 55000
    assert "申诉第1号已于" in wb["说明"]["A1"].value and "55000" in wb["说明"]["A1"].value
    from xl_kpi.store import open_store

    store = open_store(ws)
    states = [r.state for r in store.closes(MONTH)]
    assert states == ["closed", "amended"] and store.closed(MONTH).state == "amended"
    closed, amended = store.closes(MONTH)
    pay = {r.state: next(x for x in r.payroll if x["employee_id"] == "E002")["total_pay"] for r in (closed, amended)}
    assert pay == {"closed": "7000.00", "amended": "7500.00"}  # both states kept
    run(capsys, "rollup", "--month", MONTH, "--dir", ws)  # the amended workbook is the closed one now: no problem
    assert store.corrections("2026-11") == [(1, MONTH, "E002", "500.00")]

    smtp.messages.clear()
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)  # only the decision goes out now
    [(to, msg)] = smtp.messages
    assert to == ["li.na@example.com"] and msg["Subject"] == "2026年10月绩效申诉结果 - 李娜"
    text = msg.get_body(("plain",)).get_content()
    assert "已受理" in text and "补发 500.00 元，随2026年11月工资发放" in text and "84.12" in text

    # the next payroll settles it
    run(capsys, "generate", "--month", "2026-11", "--dir", ws)
    run(capsys, "import", data_file(f"actuals-{MONTH}.csv"), "--month", "2026-11", "--dir", ws)
    november = run_json(capsys, "rollup", "--month", "2026-11", "--json", "--dir", ws, code=2)  # week 5 not filled
    e002 = next(r for r in november if r["employee_id"] == "E002")
    assert e002["correction"] == "500.00" and e002["status"] == "paid"
    sheet = load_workbook(ws / "workbooks" / "2026-11" / "工资汇总-2026-11.xlsx")["补发扣回"]
    rows = list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))
    assert rows[0][:6] == (1, "2026年10月", "E002", "李娜", "补发", 500)


def test_a_rejected_appeal_keeps_the_numbers_and_says_why(ws, capsys, smtp):
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)
    run(capsys, "appeal", "add", "--month", MONTH, "--employee", "E010", "--item", "错别字", "--reason", "非本人稿件",
        "--claimed", "0", "--dir", ws)
    assert "驳回须写明理由" in run(capsys, "appeal", "decide", "1", "--reject", "--dir", ws, code=2)
    before = book(ws, MONTH, "E010-吴倩").read_bytes()
    run(capsys, "appeal", "decide", "1", "--reject", "--reason", "经核实为本人稿件", "--dir", ws)
    assert book(ws, MONTH, "E010-吴倩").read_bytes() == before
    listed = run(capsys, "appeal", "list", "--month", MONTH, "--dir", ws)
    assert "驳回" in listed and "经核实为本人稿件" in listed
    assert "已于" in run(capsys, "appeal", "decide", "1", "--accept", "--value", "0", "--dir", ws, code=2)
    smtp.messages.clear()
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)
    [(to, msg)] = smtp.messages
    assert to == ["wu.qian@example.com"] and "驳回理由：经核实为本人稿件" in msg.get_body(("plain",)).get_content()


def test_an_accepted_appeal_on_an_open_month_corrects_an_item(ws, capsys):
    """吴倩's 2 错别字 (−0.5 each) were one: accepted with the count 1, the month not closed, no 补发 line."""
    before = run_json(capsys, "rollup", "--month", MONTH, "--json", "--dir", ws)
    run(capsys, "appeal", "add", "--month", MONTH, "--employee", "E010", "--item", "typo", "--reason", "一处为引文原文",
        "--dir", ws)
    assert "须给出更正后的值" in run(capsys, "appeal", "decide", "1", "--accept", "--dir", ws, code=2)
    run(capsys, "appeal", "decide", "1", "--accept", "--value", "1", "--dir", ws)
    after = run_json(capsys, "rollup", "--month", MONTH, "--json", "--dir", ws)
    score = {r["employee_id"]: r["score"] for r in before}, {r["employee_id"]: r["score"] for r in after}
    assert score[1]["E010"] == pytest.approx(score[0]["E010"] + 0.5)
    from xl_kpi.store import open_store

    assert open_store(ws).corrections("2026-11") == [] and open_store(ws).closes(MONTH) == []


def test_hrs_mail_of_a_closed_month_keeps_the_head_printed_on_the_summary(ws, capsys, smtp):
    """The record is anchored outside it twice: on the signed summary and in HR's mail of the closed month."""
    from xl_kpi.month.guard import read_anchor

    run(capsys, "close", "--month", MONTH, "--dir", ws)
    number, digest = read_anchor(ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx")
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)
    hr = next(m for to, m in smtp.messages if "工资汇总" in m["Subject"])
    body = hr.get_body(("plain",)).get_content()
    assert f"结账时的审计链：第{number}条，{digest}" in body and f"xl-kpi audit --verify {number}:{digest}" in body
    assert "审计链完整" in run(capsys, "audit", "--verify", f"{number}:{digest}", "--dir", ws)


# --------------------------------------------------------------------------- improvement plans


def test_improvement_plans_reach_the_manager_and_next_months_workbook(ws, capsys, smtp):
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)
    weak = {r["employee_id"]: r for r in run_json(capsys, "rollup", "--month", MONTH, "--json", "--dir", ws)
            if r["grade"] == "不合格"}
    assert weak  # the demo's October has 不合格 results
    manager = next(m for to, m in smtp.messages if to == ["zhang.ming@example.com"] and "团队绩效汇总" in m["Subject"])
    forms = {p.get_filename(): p.get_content() for p in manager.iter_attachments() if p.get_filename().startswith("改进计划")}
    assert {name.split("-")[3] for name in forms} == set(weak)  # 改进计划-2026-10-E006-刘洋.xlsx
    form = load_workbook(io.BytesIO(next(iter(forms.values()))))["改进计划"]
    assert form["A9"].value == "序号" and form["B9"].value == "改进目标"
    assert "需要制定改进计划的员工" in manager.get_body(("plain",)).get_content()

    emp = sorted(weak)[0]
    run(capsys, "plan-followup", "add", "--month", MONTH, "--employee", emp, "--goals", "回复条数达到3000",
        "--measures", "每日早晚各巡检一次社群", "--due", "2026-12-31", "--dir", ws)
    assert "回复条数达到3000" in run(capsys, "plan-followup", "list", "--open", "--dir", ws)
    run(capsys, "generate", "--month", "2026-11", "--dir", ws)
    stem = next(p.stem for p in (ws / "workbooks" / "2026-11").glob(f"{emp}-*.xlsx"))
    note = load_workbook(book(ws, "2026-11", stem))["说明"]["A1"].value
    assert "改进计划第1号（2026-10起）：目标：回复条数达到3000" in note and "2026年12月31日" in note
    run(capsys, "plan-followup", "close", "1", "--note", "11月已达标", "--dir", ws)
    run(capsys, "generate", "--month", "2026-11", "--dir", ws)
    assert "改进计划" not in load_workbook(book(ws, "2026-11", stem))["说明"]["A1"].value


def test_a_team_improvement_plan_reaches_every_member_and_the_manager(ws, capsys, smtp):
    """优化策略 of a team: a plan for 张明's team (E001) and one for a role are listed on each member's 说明 and
    in the manager's mail, never on anyone else's."""
    from xl_kpi.workspace import Workspace

    w = Workspace(ws)
    roster = w.roster(w.plan())
    lead = next(e for e in roster if e.id == "E001")
    members = {e.id for e in roster if e.manager_email.lower() == lead.email.lower()}
    wechat = {e.id for e in roster if e.role == "wechat"}
    assert members and wechat and members != wechat
    run(capsys, "plan-followup", "add", "--month", MONTH, "--team", "E001", "--goals", "团队互动量回升10%",
        "--measures", "每周复盘选题", "--due", "2026-12-31", "--dir", ws)
    run(capsys, "plan-followup", "add", "--month", MONTH, "--role", "wechat", "--goals", "原创稿件占比过半",
        "--measures", "每人每周一篇原创", "--due", "2026-12-31", "--dir", ws)
    shown = run(capsys, "plan-followup", "list", "--open", "--dir", ws)
    assert "团队：张明（E001）" in shown and "岗位：" in shown
    assert "给出 --employee、--role 或 --team 之一" in run(
        capsys, "plan-followup", "add", "--month", MONTH, "--goals", "x", "--measures", "y", "--due", "2026-12-31",
        "--dir", ws, code=2)
    run(capsys, "generate", "--month", "2026-11", "--dir", ws)
    for e in roster:
        note = load_workbook(book(ws, "2026-11", e.file_stem))["说明"]["A1"].value or ""
        assert ("团队改进计划第1号（2026-10起）：目标：团队互动量回升10%" in note) == (e.id in members), e.id
        assert ("团队改进计划第2号" in note) == (e.id in wechat), e.id
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)
    mail = next(m for to, m in smtp.messages if to == [lead.email] and "团队绩效汇总" in m["Subject"])
    body = mail.get_body(("plain",)).get_content()
    assert "进行中的团队改进计划" in body and "第1号（2026-10起）：目标：团队互动量回升10%" in body


# --------------------------------------------------------------------------- the audit trail


def test_the_audit_trail_records_every_change(ws, capsys, smtp):
    run(capsys, "close", "--month", MONTH, "--dir", ws)
    run(capsys, "send", "--month", MONTH, "--yes", "--dir", ws)
    run(capsys, "appeal", "add", "--month", MONTH, "--employee", "E002", "--metric", "exposure", "--reason", "漏计",
        "--claimed", "55000", "--dir", ws)
    run(capsys, "appeal", "decide", "1", "--accept", "--dir", ws)
    out = run(capsys, "audit", "--month", MONTH, "--csv", "--dir", ws)
    rows = list(csv.DictReader(io.StringIO(out)))
    commands = {r["命令"].split()[0] for r in rows}
    assert {"generate", "import", "close", "send", "appeal"} <= commands
    generated = [r for r in rows if r["命令"] == "generate"]
    assert len(generated) == 12 and all(len(r["文件哈希"]) == 12 for r in generated)
    imported = [r for r in rows if r["命令"] == f"import actuals-{MONTH}.csv" and r["工号"] == "E002"]
    assert any(r["字段"] == "actual_exposure" and r["新值"] == "52171" for r in imported)
    decided = [r for r in rows if r["命令"] == "appeal decide"]
    assert decided[0]["原值"] == "52171" and decided[0]["新值"] == "55000" and decided[0]["工号"] == "E002"
    assert all(r["操作人"] for r in rows)
    assert "审计记录完整" in run(capsys, "check", "--dir", ws)
    per_person = run(capsys, "audit", "--employee", "E002", "--csv", "--dir", ws)
    assert "E010" not in per_person


@pytest.mark.parametrize("tamper, found", [
    ("UPDATE audit SET after = '99999' WHERE id = 20", "第20条记录的内容被改动"),
    ("DELETE FROM audit WHERE id = 20", "第21条之前的记录被删除或改动"),
    ("DELETE FROM audit WHERE id > (SELECT MAX(id) - 3 FROM audit)", "被删除"),
])
def test_a_tampered_audit_trail_is_caught_by_check(ws, capsys, tamper, found):
    run(capsys, "close", "--month", MONTH, "--dir", ws)
    with sqlite3.connect(ws / "xl_kpi.db") as conn:
        conn.execute(tamper)
    out = run(capsys, "check", "--dir", ws, code=2)
    assert "审计记录被改动或删除" in out and found in out
    assert found in run(capsys, "audit", "--dir", ws, code=2)
