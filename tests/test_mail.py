"""Sending the month by mail to a real SMTP server (aiosmtpd on 127.0.0.1)."""
import contextlib
import email
import email.policy
import io
import shutil
import socket
import subprocess
import sys

import msoffcrypto
import pytest
import yaml
from aiosmtpd.controller import Controller
from openpyxl import load_workbook

from xl_kpi import mail
from xl_kpi.core.errors import KpiError
from xl_kpi.store import open_store
from xl_kpi.workspace import Workspace

from conftest import demo_copy

MONTH = "2026-10"


class Recorder:
    """An SMTP handler that keeps every message; ``refuse`` maps an address to a reply code."""

    def __init__(self):
        self.messages = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_running():
    """A real local SMTP server (aiosmtpd) recording what it receives: (handler, port)."""
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_running() as server:
        yield server


@pytest.fixture(scope="module")
def demo(demo_root, tmp_path_factory):
    return demo_copy(demo_root, tmp_path_factory, "mail")


@pytest.fixture
def ws(demo, tmp_path, smtp):
    root = tmp_path / "ws"
    shutil.copytree(demo, root)
    config = yaml.safe_load((root / "mail.yaml").read_text(encoding="utf-8"))
    config["smtp"].update(host="127.0.0.1", port=smtp[1], security="none", username="", retries=2, backoff=0)
    config["hr"] = ["hr@example.com", "payroll@example.com"]
    (root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return Workspace(root)


def send(ws, resend=False):
    config = mail.load_config(ws)
    mailing = mail.build(ws, MONTH, config)
    log = mail.SendLog(open_store(ws.root), MONTH)
    return mail.send(mailing, config, log, resend, sleep=lambda s: None), mailing


def attachments(msg) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in msg.iter_attachments()}


def attachment(msg):
    (part,) = list(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def test_every_message_arrives_with_the_right_content(ws, smtp):
    handler, _ = smtp
    report, mailing = send(ws)
    assert report.failed == [] and len(report.sent) == 15 == len(handler.messages)
    plan = ws.plan()
    roster = {e.email: e for e in ws.roster(plan)}
    employees = [(to, m) for to, m in handler.messages if m["Subject"].startswith("2026年10月绩效考核结果")]
    assert sorted(to[0] for to, _ in employees) == sorted(roster)
    for (to,), msg in employees:
        e = roster[to]
        assert msg["Subject"] == f"2026年10月绩效考核结果 - {e.name}"
        assert str(msg["To"]) == f"{e.name} <{e.email}>"
        text = msg.get_body(("plain",)).get_content()
        assert "总分" in text and "申诉" in text and "hr@example.com" in text
        assert msg.get_body(("html",)) is not None
        name, data = attachment(msg)
        assert name == f"{e.id}-{e.name}-{MONTH}-考核结果.xlsx"
        wb = load_workbook(io.BytesIO(data))
        cells = {str(c.value) for ws_ in wb.worksheets for row in ws_.iter_rows() for c in row if c.value is not None}
        assert e.id in cells and e.name in cells
        others = {x.id for x in roster.values() if x.id != e.id} | {x.name for x in roster.values() if x.id != e.id}
        assert not cells & others, f"{e.id}'s scorecard mentions someone else"
        assert not any(str(c.value).startswith("=") for ws_ in wb.worksheets for row in ws_.iter_rows() for c in row)
    wechat = next(m for (to,), m in employees if roster[to].role == "wechat")
    weekly = load_workbook(io.BytesIO(attachment(wechat)[1]))["周报"]
    rows = {r[0]: r for r in weekly.iter_rows(min_row=2, values_only=True)}
    assert rows["发圈数量"][7] == sum(rows["发圈数量"][3:7])  # the month is the sum of the weeks
    managers = [(to, m) for to, m in handler.messages if "团队绩效汇总" in m["Subject"]]
    assert sorted(to[0] for to, _ in managers) == ["boss@example.com", "zhang.ming@example.com"]
    hr = [(to, m) for to, m in handler.messages if "工资汇总" in m["Subject"]]
    assert len(hr) == 1 and sorted(hr[0][0]) == ["hr@example.com", "payroll@example.com"]
    assert sorted(attachments(hr[0][1])) == [f"工资汇总-{MONTH}.xlsx", f"绩效报告-{MONTH}.xlsx"]
    everyone = load_workbook(io.BytesIO(attachments(hr[0][1])[f"绩效报告-{MONTH}.xlsx"]))["个人"]
    assert {r[0] for r in everyone.iter_rows(min_row=5, values_only=True)} == {e.id for e in roster.values()}
    # each manager gets the report of their own team: 张明's eleven, and the boss's one (张明)
    for (to,), msg in managers:
        team = load_workbook(io.BytesIO(attachments(msg)[f"绩效报告-{MONTH}-团队.xlsx"]))["个人"]
        ids = {r[0] for r in team.iter_rows(min_row=5, values_only=True)}
        assert ids == {e.id for e in roster.values() if e.manager_email == to}
        assert "绩效报告" in msg.get_body(("plain",)).get_content()
    # the payroll goes to HR only
    assert all(not name.startswith("工资汇总") for to, m in handler.messages if to[0] not in ("hr@example.com",)
               for name in attachments(m))


def test_a_failing_server_and_a_second_run_send_exactly_the_missing(ws, smtp):
    handler, _ = smtp
    handler.refuse = {"li.na@example.com": "451 4.3.0 try again later", "wang.lei@example.com": "550 5.1.1 no such user"}
    report, _ = send(ws)
    failed = dict(report.failed)
    assert set(failed) == {f"employee:E002:{MONTH}", f"employee:E003:{MONTH}"}
    assert len(report.sent) == 13 and len(handler.messages) == 13
    log = open_store(ws.root).sends(MONTH)
    assert [s for _, _, s, _ in log].count("failed") == 2 and [s for _, _, s, _ in log].count("sent") == 13
    handler.refuse, handler.messages = {}, []
    report, _ = send(ws)
    assert sorted(report.sent) == [f"employee:E002:{MONTH}", f"employee:E003:{MONTH}"]
    assert len(report.skipped_sent) == 13 and len(handler.messages) == 2
    handler.messages = []
    report, _ = send(ws, resend=True)
    assert len(report.sent) == 15 == len(handler.messages)


def test_temporary_failures_are_retried(ws, smtp):
    handler, _ = smtp
    calls = {"n": 0}
    original = handler.handle_RCPT

    async def flaky(server, session, envelope, address, rcpt_options):
        if address == "li.na@example.com" and calls["n"] < 2:
            calls["n"] += 1
            return "421 4.7.0 busy"
        return await original(server, session, envelope, address, rcpt_options)

    handler.handle_RCPT = flaky
    report, _ = send(ws)
    assert report.failed == [] and f"employee:E002:{MONTH}" in report.sent and calls["n"] == 2


def test_encrypted_attachments_need_the_password(ws, smtp):
    handler, _ = smtp
    config = yaml.safe_load((ws.root / "mail.yaml").read_text(encoding="utf-8"))
    config["attachments"]["password"] = "random"
    (ws.root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    report, _ = send(ws)
    # 12 scorecards, 12 passwords, 2 teams, HR's payroll and its password
    assert report.failed == [] and len(handler.messages) == 28
    passwords = {to[0]: m.get_body(("plain",)).get_content() for to, m in handler.messages
                 if "附件密码" in m["Subject"]}
    cards = [(to[0], m) for to, m in handler.messages if "绩效考核结果 -" in m["Subject"]]
    for to, msg in cards:
        _, data = attachment(msg)
        password = passwords[to].split("打开密码是：")[1].split()[0]
        assert password not in msg.get_body(("plain",)).get_content()
        with pytest.raises(Exception):
            load_workbook(io.BytesIO(data))
        wrong = msoffcrypto.OfficeFile(io.BytesIO(data))
        wrong.load_key(password="000000")
        with pytest.raises(Exception):
            wrong.decrypt(io.BytesIO())
        right = msoffcrypto.OfficeFile(io.BytesIO(data))
        right.load_key(password=password)
        out = io.BytesIO()
        right.decrypt(out)
        assert load_workbook(out)["考核结果"]["B2"].value


def test_id_number_passwords_and_rows_without_a_usable_address(ws):
    wb = load_workbook(ws.roster_path)
    sheet = wb.active
    sheet["I1"] = "身份证号"
    for row in range(2, sheet.max_row + 1):
        sheet[f"I{row}"] = f"11010519900101{row:04d}"
    sheet["G3"] = None  # 李娜 has no address
    wb.save(ws.roster_path)
    config = yaml.safe_load((ws.root / "mail.yaml").read_text(encoding="utf-8"))
    config["attachments"]["password"] = "id_number"
    (ws.root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    mailing = mail.build(ws, MONTH, mail.load_config(ws))
    assert [p.employee for p in mailing.skipped] == ["E002"] and "没有邮箱" in mailing.skipped[0].message
    msg = next(o.message for o in mailing.messages if o.key == f"employee:E001:{MONTH}")
    _, data = attachment(msg)
    f = msoffcrypto.OfficeFile(io.BytesIO(data))
    f.load_key(password="010002")
    out = io.BytesIO()
    f.decrypt(out)
    assert load_workbook(out)["考核结果"]["B2"].value == "E001"
    assert "身份证号后6位" in msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("name, address", [
    ("张明\r\nBcc: spy@evil.example", "zhang.ming@example.com"),
    ("张明", "zhang.ming@example.com\r\nBcc: spy@evil.example"),
    ("张明\nX-Injected: 1", "zhang.ming@example.com"),
])
def test_header_injection_is_refused(name, address):
    with pytest.raises(ValueError, match="换行|格式"):
        mail.messages._address(name, address)


def test_injection_through_the_roster_is_refused_and_reported(ws):
    wb = load_workbook(ws.roster_path)
    wb.active["B2"] = "张明\r\nBcc: spy@evil.example"
    wb.save(ws.roster_path)
    with pytest.raises(KpiError) as info:  # refused with the roster, before any mail is built
        mail.build(ws, MONTH, mail.load_config(ws))
    (p,) = info.value.problems
    assert (p.type, p.cell) == ("roster_file_name", "B2") and "\\n \\r" in p.message and "\r" not in p.message


def test_nothing_is_sent_before_the_roll_up_and_passwords_stay_out_of_files(ws):
    (ws.month_dir(MONTH) / f"工资汇总-{MONTH}.xlsx").unlink()
    with pytest.raises(KpiError, match="尚未汇总"):
        mail.build(ws, MONTH, mail.load_config(ws))
    (ws.root / "mail.yaml").write_text("smtp: {host: x, password: secret}\n", encoding="utf-8")
    with pytest.raises(KpiError, match="密码不能写在配置文件中"):
        mail.load_config(ws)


def test_dry_run_writes_eml_files(ws, tmp_path):
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "send", "--month", MONTH, "--dry-run",
                           str(tmp_path / "out"), "--dir", str(ws.root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) == 15
    msg = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert msg["Subject"].startswith("2026年10月绩效考核结果")
    assert open_store(ws.root).sends(MONTH) == []  # nothing was sent, nothing logged


@pytest.fixture
def tls_files(tmp_path):
    """A self-signed certificate for 127.0.0.1, as a company's own mail server might have."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def test_starttls_verifies_the_server_certificate(ws, tls_files, monkeypatch):
    import ssl

    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        config = yaml.safe_load((ws.root / "mail.yaml").read_text(encoding="utf-8"))
        config["smtp"].update(port=controller.port, security="starttls", retries=0)
        (ws.root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        report, _ = send(ws)  # the self-signed certificate is not trusted: nothing goes out in clear
        assert len(report.failed) == 15 and not handler.messages
        assert "CERTIFICATE_VERIFY_FAILED" in report.failed[0][1]
        config["smtp"]["ca_file"] = str(cert)
        (ws.root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        report, _ = send(ws)
        assert report.failed == [] and len(handler.messages) == 15
    finally:
        controller.stop()


def test_a_shared_mailbox_cannot_deliver_one_persons_pay_to_another(ws, smtp):
    """The send log is keyed by employee: two people are two messages, whatever their addresses."""
    handler, _ = smtp
    report, mailing = send(ws)
    keys = [o.key for o in mailing.messages if o.kind == "employee"]
    assert len(keys) == len(set(keys)) == 12 and all(k.startswith("employee:E0") for k in keys)


def test_random_passwords_are_drawn_once_and_reused_on_resume(ws, smtp):
    handler, _ = smtp
    config = yaml.safe_load((ws.root / "mail.yaml").read_text(encoding="utf-8"))
    config["attachments"]["password"] = "random"
    (ws.root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    handler.refuse = {"li.na@example.com": "451 4.3.0 try again later"}
    send(ws)
    first = {to[0]: m.get_body(("plain",)).get_content() for to, m in handler.messages if "附件密码" in m["Subject"]}
    assert "zhang.ming@example.com" in first and "li.na@example.com" not in first
    handler.refuse, handler.messages = {}, []
    report, _ = send(ws)  # the resumed run: 李娜 gets her scorecard and password now, both from the same draw
    got = {to[0]: m for to, m in handler.messages}
    assert set(got) == {"li.na@example.com"} and len(handler.messages) == 2
    card = next(m for to, m in handler.messages if "绩效考核结果 -" in m["Subject"])
    password = next(m for to, m in handler.messages if "附件密码" in m["Subject"]).get_body(("plain",)).get_content()
    office = msoffcrypto.OfficeFile(io.BytesIO(attachment(card)[1]))
    office.load_key(password=password.split("打开密码是：")[1].split()[0])
    office.decrypt(io.BytesIO())
    assert open_store(ws.root).password(MONTH, "E001", lambda: "new") in first["zhang.ming@example.com"]


def test_the_payroll_attached_is_never_older_than_the_workbooks(ws):
    import os
    import time

    from xl_kpi.cli import main

    summary = ws.month_dir(MONTH) / f"工资汇总-{MONTH}.xlsx"
    fixed = ws.root / "更正.csv"  # HR imports a corrected export after the roll-up
    fixed.write_text("工号,指标,数值,周,类型\nE002,exposure,99000,,实际\n", encoding="utf-8")
    assert main(["import", str(fixed), "--month", MONTH, "--dir", str(ws.root)]) == 0
    old = summary.stat().st_mtime
    os.utime(summary, (old - 60, old - 60))
    time.sleep(0.01)
    mailing = mail.build(ws, MONTH, mail.load_config(ws))
    assert any("重新汇总" in n for n in mailing.notes)
    hr = next(o for o in mailing.messages if o.kind == "hr").message
    rows = load_workbook(io.BytesIO(attachments(hr)[f"工资汇总-{MONTH}.xlsx"]))["工资汇总"]
    e002 = next(r for r in rows.iter_rows(values_only=True) if r[0] == "E002")
    card = next(o for o in mailing.messages if o.key == f"employee:E002:{MONTH}").message
    assert f"{e002[4]:.2f}" in card.get_body(("plain",)).get_content()  # the mail and the payroll say the same


def test_an_unreachable_server_stops_after_three_and_says_how_to_resume(ws):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    config = yaml.safe_load((ws.root / "mail.yaml").read_text(encoding="utf-8"))
    config["smtp"].update(port=port, retries=1)
    (ws.root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    report, mailing = send(ws)
    assert report.stopped and len(report.failed) == mail.STOP_AFTER < len(mailing.messages)
    assert "再运行同一条 xl-kpi send" in report.message
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", "send", "--month", MONTH, "--yes", "--dir",
                           str(ws.root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"xl-kpi send --month {MONTH}" in done.stderr


def test_the_mails_built_on_two_workers_are_those_built_on_one(demo, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(demo, root)
    ws = Workspace(root)
    config = mail.load_config(ws)
    said = []
    for jobs in (1, 2):
        advanced = []
        mailing = mail.build(ws, MONTH, config, jobs=jobs, progress=advanced.append)
        assert sum(advanced) == sum(1 for m in mailing.messages if m.kind == "employee")  # progress a mail at a time
        said.append([(m.key, m.to, m.message["Subject"], sorted(attachments(m.message).items())) for m in mailing.messages])
    assert said[0] == said[1] and len(said[0]) > 12
