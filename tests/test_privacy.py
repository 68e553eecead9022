"""Pay reaches only the person it belongs to and HR (issue 27): every attachment of every message of the
demo's month is read, and each person's pay figures are looked for in every other mail."""
import email
import email.policy
import email.utils
import io
import json
import subprocess
import sys
from decimal import Decimal

from openpyxl import load_workbook

from xl_kpi.workspace import Workspace

MONTH = "2026-10"
MONEY_LABELS = ("责任底薪", "绩效工资", "业绩提成", "应发合计", "奖励金额", "扣款")


def cells(data: bytes) -> list:
    wb = load_workbook(io.BytesIO(data))
    return [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def test_no_pay_figure_reaches_anyone_but_its_owner_and_hr(demo_root, tmp_path):
    outbox = tmp_path / "outbox"
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "send", "--month", MONTH, "--dry-run", str(outbox),
                           "--dir", str(demo_root)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    rolled = subprocess.run([sys.executable, "-m", "xl_kpi", "rollup", "--month", MONTH, "--json", "--dir",
                             str(demo_root)], capture_output=True, text=True, timeout=600)
    records = json.loads(rolled.stdout)
    pay = {r["employee_id"]: Decimal(r["total_pay"]) for r in records if r.get("total_pay")}
    assert len(pay) == 12
    ws = Workspace(demo_root)
    people = {e.email.lower(): e.id for e in ws.roster(ws.plan())}
    seen = {"manager": 0, "employee": 0, "hr": 0}
    for path in sorted(outbox.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        kind = path.name.split("-")[1]  # 001-employee-…, 013-manager-…, 015-hr-…
        seen[kind] += 1
        if kind == "hr":
            continue  # HR's copy has everything
        mine = {people[a.lower()] for _, a in email.utils.getaddresses([str(msg["To"])]) if a.lower() in people}
        texts = [msg.get_body(("plain",)).get_content()]
        for part in msg.iter_attachments():
            data = part.get_content()
            assert data[:4] == b"PK\x03\x04", f"{path.name}: {part.get_filename()} is not a readable workbook"
            texts += [str(c) for c in cells(data)]
        own = {pay[e] for e in mine} if kind == "employee" else set()
        for emp, figure in pay.items():
            if figure in own:  # (two people may be paid the same)
                continue
            shown = [t for t in texts if t in (f"{figure:.2f}", f"{figure:,.2f}", str(float(figure)), f"{figure:g}")]
            assert not shown, f"{path.name} ({msg['To']}) shows {emp}'s pay {figure}"
        if kind == "manager":
            labels = [t for t in texts if any(label in t for label in MONEY_LABELS)]
            assert not labels, f"{path.name}: a manager's mail names pay: {labels[:3]}"
    assert seen == {"manager": 2, "employee": 12, "hr": 1}


def test_attachments_are_encrypted_unless_hr_writes_none(tmp_path, capsys):
    """A new workspace mails pay encrypted (a password per person); a mail.yaml without the setting does too;
    none is only what HR writes, and check says so (the demo writes it, to be looked at)."""
    from helpers import run_cli
    from xl_kpi.mail.config import MailConfig, load_config
    from xl_kpi.workspace import init_workspace

    ws, _ = init_workspace(tmp_path / "ws")
    assert load_config(ws).attachments.password == "random" and MailConfig().attachments.password == "random"
    assert "attachments.password 为 none" not in run_cli(capsys, "check", "--dir", ws.root)
    text = (ws.root / "mail.yaml").read_text(encoding="utf-8").replace("password: random", "password: none")
    (ws.root / "mail.yaml").write_text(text, encoding="utf-8")
    assert "attachments.password 为 none" in run_cli(capsys, "check", "--dir", ws.root)


def test_hrs_payroll_is_locked_too_with_its_password_mailed_apart(demo_root, tmp_path_factory):
    """With passwords on, the payroll summary and the full 绩效报告 (everyone's pay) go to HR encrypted, and
    the password reaches HR's addresses in a mail of its own, as each person's does."""
    import io

    import msoffcrypto
    import yaml

    from conftest import demo_copy
    from xl_kpi import mail
    from xl_kpi.workspace import Workspace

    root = demo_copy(demo_root, tmp_path_factory, "hr-locked")
    config = yaml.safe_load((root / "mail.yaml").read_text(encoding="utf-8"))
    config["attachments"]["password"] = "random"
    (root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    ws = Workspace(root)
    mailing = mail.build(ws, MONTH, mail.load_config(ws))
    hr = next(o for o in mailing.messages if o.kind == "hr")
    (told,) = [o for o in mailing.messages if o.key == f"password:HR:{MONTH}"]
    assert told.to == hr.to and "附件的打开密码另行发送" in hr.message.get_body(("plain",)).get_content()
    password = told.message.get_body(("plain",)).get_content().split("打开密码是：")[1].split()[0]
    for part in hr.message.iter_attachments():
        data = part.get_content()
        assert not data.startswith(b"PK"), part.get_filename()  # not readable without the password
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=password)
        plain = io.BytesIO()
        office.decrypt(plain)
        assert cells(plain.getvalue()), part.get_filename()
