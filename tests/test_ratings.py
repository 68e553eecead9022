"""Rating rounds through the CLI on the demo, with 180度 (cross-team) raters added to its plan: a form per
rater, mailed to a real SMTP server (aiosmtpd), filled with openpyxl and saved by LibreOffice, returned as
.eml files in a folder and through a real IMAP server (Dovecot, started here), collected, and scored as the
weighted average worked out by hand; the missing rater reminded once."""
import email
import email.policy
import io
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from email.message import EmailMessage

import pytest
import yaml
from openpyxl import load_workbook

from xl_kpi.core.errors import KpiError
from xl_kpi.payroll.rollup import rollup
from xl_kpi.ratings.collect import collect
from xl_kpi.ratings.rounds import build_round
from xl_kpi.ratings.sources import Incoming, from_folder
from xl_kpi.store import open_store
from xl_kpi.workbook.rating_form import FORM_META, read_form
from xl_kpi.workspace import Workspace

from conftest import demo_copy
from helpers import cell_of
from test_mail import free_port, smtp_running

MONTH = "2026-10"
RULE = "rating(max=10, scale=100, self=20, supervisor=50, cross=30)"
CROSS = {"E004": ["E010", "E011"], "E005": ["E010"]}
# who rates whom in the demo with cross raters: (rated, item, group) per rater
ASKED = {
    "E001": {("E010", "content_quality", "supervisor"), ("E011", "content_quality", "supervisor")},
    "E002": {("E001", "team_management", "committee")},
    "E003": {("E001", "team_management", "committee")},
    "E010": {("E001", "team_management", "committee"), ("E010", "content_quality", "self")},
    "E011": {("E011", "content_quality", "self")},
    "E004": {("E010", "content_quality", "cross"), ("E011", "content_quality", "cross")},
    "E005": {("E010", "content_quality", "cross")},
}


def score_for(rater: str, emp: str, item: str, group: str) -> float:
    """What each rater gives: different for every rater and person, so a mix-up shows."""
    return 60 + (sum(map(ord, rater)) * 7 + int(emp[1:]) * 3) % 37 + (0.5 if group == "cross" else 0)


def cli(root, *args, env=None, check=True):
    done = subprocess.run([sys.executable, "-m", "xl_kpi", *args, "--dir", str(root)], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    if check:
        assert done.returncode in (0, 2), done.stderr
    return done


def fill(data: bytes, rater: str, scores=score_for, blank=()) -> bytes:
    """A form filled as a rater fills it in Excel (openpyxl): a score and a comment on every row."""
    wb = load_workbook(io.BytesIO(data))
    facts = {r[0].value: r[1].value for r in wb[FORM_META].iter_rows() if r[0].value != "row"}
    rows = [(r[1].value, r[2].value, r[3].value) for r in wb[FORM_META].iter_rows() if r[0].value == "row"]
    sheet = wb["评分表"]
    for n, (emp, item, group) in enumerate(rows):
        at = int(facts["form_first_row"]) + n
        if (emp, item, group) not in blank:
            sheet.cell(at, 8).value = scores(rater, emp, item, group)
        sheet.cell(at, 9).value = "认真负责，沟通及时。"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def reply(sender: str, name: str, data: bytes) -> bytes:
    """The rater's reply as Outlook saves it: their address, the filled form attached."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "hr@example.com", "回复：评分表"
    msg["Date"] = email.utils.formatdate(localtime=True)
    msg.set_content("已填好，请查收。")
    msg.add_attachment(data, maintype="application", subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       filename=name)
    return bytes(msg)


# ---------------------------------------------------------------------------------------------- a real IMAP server


@pytest.fixture(scope="module")
def dovecot():
    """Dovecot on 127.0.0.1 with one mailbox (hr / secret), in a folder of its own."""
    if shutil.which("dovecot") is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (.ci/run installs dovecot-imapd)")
        pytest.skip("dovecot is not installed")
    base = tempfile.mkdtemp(prefix="xl-kpi-imap-", dir="/tmp")  # the mail user must reach it: not under a 0700 folder
    user = pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.getuid())
    port = free_port()
    for d in ("run", "state", "mail"):
        os.makedirs(f"{base}/{d}")
    own = "" if os.geteuid() == 0 else f"default_login_user = {user.pw_name}\ndefault_internal_user = {user.pw_name}\n"
    conf = f"""base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
{own}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{base}/mail/%u
first_valid_uid = {user.pw_uid}
first_valid_gid = {user.pw_gid}
passdb {{
  driver = static
  args = password=secret
}}
userdb {{
  driver = static
  args = uid={user.pw_uid} gid={user.pw_gid} home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""
    (conf_path := f"{base}/dovecot.conf") and open(conf_path, "w").write(conf)
    os.chown(f"{base}/mail", user.pw_uid, user.pw_gid)
    os.chmod(base, 0o755)
    subprocess.run(["dovecot", "-c", conf_path], check=True)
    import imaplib

    for _ in range(50):
        try:
            imaplib.IMAP4("127.0.0.1", port).logout()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield port
    finally:
        subprocess.run(["dovecot", "-c", conf_path, "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def imap_client(port):
    import imaplib

    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login("hr", "secret")
    return conn


# ---------------------------------------------------------------------------------------------- the round, by the CLI


@pytest.fixture(scope="module")
def smtp_server():
    with smtp_running() as server:
        yield server


def with_cross_raters(root):
    text = (root / "plan.yaml").read_text(encoding="utf-8")
    text = text.replace('rule: "rating(max=10, scale=100, self=30, supervisor=70)"', f'rule: "{RULE}"')
    text = text.replace("  cross: {}", f"  cross: {yaml.safe_dump(CROSS, default_flow_style=True).strip()}")
    assert RULE in text and "E005: [E010]" in text
    (root / "plan.yaml").write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def round_(demo_root, tmp_path_factory, smtp_server, dovecot):
    """The demo with cross raters: forms built and mailed, returned by mail and collected."""
    root = demo_copy(demo_root, tmp_path_factory, "ratings")
    with_cross_raters(root)
    cli(root, "generate", "--month", MONTH, "--force")
    config = yaml.safe_load((root / "mail.yaml").read_text(encoding="utf-8"))
    config["smtp"].update(host="127.0.0.1", port=smtp_server[1], security="none", username="", retries=0, backoff=0)
    config["imap"] = {"host": "127.0.0.1", "port": dovecot, "security": "none", "username": "hr"}
    (root / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    built = cli(root, "ratings", "--month", MONTH)
    sent = cli(root, "send", "--ratings", MONTH, "--yes")
    mails = {tuple(to)[0]: msg for to, msg in smtp_server[0].messages}
    return Workspace(root), built, sent, mails


def test_a_form_per_rater_holding_exactly_the_people_they_rate(round_):
    ws, built, _, _ = round_
    assert built.returncode == 0, built.stdout + built.stderr
    store = open_store(ws.root)
    forms = store.forms(MONTH)
    assert {r: set(f.rows) for r, f in forms.items()} == ASKED
    for rater, f in forms.items():  # the file says the same as the record, its identity hidden
        form = read_form((ws.root / f.file).read_bytes(), f.file)
        assert (form.rater, form.round, form.token) == (rater, MONTH, f.token)
        assert {(r.employee, r.item, r.group) for r in form.rows} == ASKED[rater]
        assert {r.shown_employee for r in form.rows} == {e for e, _, _ in ASKED[rater]}


def test_forms_go_out_one_mail_per_rater_in_the_send_log(round_):
    ws, _, sent, mails = round_
    assert sent.returncode == 0, sent.stdout + sent.stderr
    roster = {e.id: e for e in ws.roster(ws.plan())}
    assert set(mails) == {roster[r].email for r in ASKED}
    msg = mails[roster["E004"].email]
    assert "评分表" in msg["Subject"] and "2026年11月3日" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content()
    assert "吴倩（E010）" in body and "郑浩（E011）" in body and "English" not in body
    (attachment,) = list(msg.iter_attachments())
    assert read_form(attachment.get_content(), "f.xlsx").rater == "E004"
    again = cli(ws.root, "send", "--ratings", MONTH, "--yes")  # the log: nothing twice
    assert "已发送 0 封，此前已发送 7 封" in again.stdout


@pytest.fixture(scope="module")
def returned(round_, dovecot, tmp_path_factory):
    """Every rater but E005 answers: E001–E003 by replies saved as .eml files, E010 and E011 by a form
    LibreOffice saved, E004 through the mailbox; then collect from the folder and from the mailbox."""
    from xl_kpi.system.libreoffice import recalc

    ws, _, _, mails = round_
    roster = {e.id: e for e in ws.roster(ws.plan())}
    folder = tmp_path_factory.mktemp("replies")
    lo_in, lo_out = tmp_path_factory.mktemp("lo_in"), tmp_path_factory.mktemp("lo_out")
    for rater in ("E010", "E011"):
        (attachment,) = list(mails[roster[rater].email].iter_attachments())
        (lo_in / f"{rater}.xlsx").write_bytes(fill(attachment.get_content(), rater))
    saved = {p.stem: p.read_bytes() for p in recalc(sorted(lo_in.glob("*.xlsx")), lo_out)}  # saved by LibreOffice
    for rater in ("E001", "E002", "E003", "E010", "E011"):
        (attachment,) = list(mails[roster[rater].email].iter_attachments())
        data = saved.get(rater) or fill(attachment.get_content(), rater)
        (folder / f"回复-{rater}.eml").write_bytes(reply(roster[rater].email, attachment.get_filename(), data))
    conn = imap_client(dovecot)
    (attachment,) = list(mails[roster["E004"].email].iter_attachments())
    conn.append("INBOX", None, None, reply(roster["E004"].email, attachment.get_filename(),
                                           fill(attachment.get_content(), "E004")))
    conn.append("INBOX", None, None, b"From: news@example.com\r\nSubject: hello\r\n\r\nnot a return\r\n")
    conn.logout()
    from_folder_run = cli(ws.root, "collect", str(folder), "--month", MONTH)
    from_imap_run = cli(ws.root, "collect", "--imap", "--month", MONTH, env={"XL_KPI_IMAP_PASSWORD": "secret"})
    return ws, from_folder_run, from_imap_run


def test_collect_counts_every_return_from_the_folder_and_the_mailbox(returned, dovecot):
    ws, folder_run, imap_run = returned
    assert folder_run.returncode == 0 and "计入5份" in folder_run.stdout, folder_run.stdout + folder_run.stderr
    assert imap_run.returncode == 0 and "计入1份" in imap_run.stdout, imap_run.stdout + imap_run.stderr
    store = open_store(ws.root)
    given = {(r, e, i, g): v for r, e, i, g, v, _ in store.ratings(MONTH)}
    assert given == {(r, e, i, g): score_for(r, e, i, g) for r in ASKED if r != "E005" for e, i, g in ASKED[r]}
    assert all(c == "认真负责，沟通及时。" for *_, c in store.ratings(MONTH))
    kept = sorted((ws.root / "returns" / MONTH).iterdir())
    assert len(kept) == 6  # each file as it arrived
    counted = [r for r in store.returns(MONTH) if r.status == "counted"]
    assert {r.sender for r in counted} == {e.email for e in ws.roster(ws.plan()) if e.id in ASKED and e.id != "E005"}
    conn = imap_client(dovecot)  # the mailbox as it was: nothing deleted, nothing marked read
    conn.select("INBOX", readonly=True)
    assert len(conn.search(None, "ALL")[1][0].split()) == 2 and conn.search(None, "SEEN")[1] == [b""]
    conn.logout()
    again = cli(ws.root, "collect", "--imap", "--month", MONTH, env={"XL_KPI_IMAP_PASSWORD": "secret"})
    assert "已收过1份" in again.stdout and "计入0份" in again.stdout


def test_the_scores_are_the_weighted_average_worked_out_by_hand(returned):
    ws, _, _ = returned
    plan = ws.plan()
    result = {s.employee.id: s for s in rollup(ws, plan, ws.roster(plan), MONTH).entries}
    # 郑浩 (E011): 自评 20%, 主管 50%, 跨团队 30% (E004 alone rates him)
    s, p, c = (score_for("E011", "E011", "", "self"), score_for("E001", "E011", "", "supervisor"),
               score_for("E004", "E011", "", "cross"))
    metric = result["E011"].card.metrics["content_quality"]
    assert metric.actual == pytest.approx((20 * s + 50 * p + 30 * c) / 100, abs=1e-12)
    assert metric.points == pytest.approx(10 * (20 * s + 50 * p + 30 * c) / 100 / 100, abs=1e-12)
    # 张明 (E001): 考核小组 = the mean of E002, E003, E010
    committee = [score_for(r, "E001", "", "committee") for r in ("E002", "E003", "E010")]
    assert result["E001"].card.metrics["team_management"].actual == pytest.approx(sum(committee) / 3, abs=1e-12)
    # 吴倩 (E010): E005 has not rated, so 跨团队 and 他评 are not there yet: held, never scored on a part
    e010 = result["E010"]
    assert e010.card.score is None and [p.cell for p in e010.problems if "他评" in p.message], e010.problems
    # what she sees: her own 自评 and 他评, never one rater's score
    wb = load_workbook(ws.month_dir(MONTH) / "E011-郑浩.xlsx")
    assert cell_of(wb, "rating_content_quality_others").value == pytest.approx((50 * p + 30 * c) / 80, abs=1e-12)
    assert "rating_content_quality_supervisor" not in wb.defined_names


def test_the_missing_rater_is_reminded_once(returned, smtp_server):
    ws, _, _ = returned
    status = cli(ws.root, "status", "--month", MONTH)
    assert "未交" in status.stdout and "已收回6份" in status.stdout.replace("，", "").replace(" ", "")
    before = len(smtp_server[0].messages)
    first = cli(ws.root, "remind", "--month", MONTH, "--yes")
    assert first.returncode == 0, first.stderr
    reminders = smtp_server[0].messages[before:]
    assert [to for to, _ in reminders] == [[e.email for e in ws.roster(ws.plan()) if e.id == "E005"]]
    assert "提醒" in reminders[0][1]["Subject"] and list(reminders[0][1].iter_attachments())
    second = cli(ws.root, "remind", "--month", MONTH, "--yes")  # the same day: none again
    assert len(smtp_server[0].messages) == before + 1 and "已发送 0 封" in second.stdout


def test_hr_alone_holds_each_raters_score_and_the_report_counts_the_forms(returned, tmp_path):
    ws, _, _ = returned
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root)
    status = cli(root, "status", "--month", MONTH)
    summary = root / "returns" / f"评分汇总-{MONTH}.xlsx"
    assert str(summary) in status.stdout.replace("\n", "")
    book = load_workbook(summary)
    rows = list(book["评分汇总"].iter_rows(min_row=4, values_only=True))
    committee = sorted(r[5] for r in rows if r[0] == "E001" and r[3] == "考核小组")
    assert committee == sorted(score_for(r, "E001", "", "committee") for r in ("E002", "E003", "E010"))
    states = {r[0]: r[5] for r in book["收回情况"].iter_rows(min_row=4, values_only=True)}
    assert states["E005"] == "未交" and list(states.values()).count("已收回") == 6
    shown = cli(root, "report", "--month", MONTH, "--json")
    assert {f["state"]: f["count"] for f in json.loads(shown.stdout)["forms"]} == {"已收回": 6, "未交": 1}
    assert cli(root, "report", "--month", MONTH).returncode in (0, 2)
    overview = load_workbook(root / "workbooks" / MONTH / f"绩效报告-{MONTH}.xlsx")["总览"]
    cells = [c for row in overview.iter_rows(values_only=True) for c in row if c is not None]
    assert "评分表状态" in cells and cells[cells.index("未交") + 1] == 1


def test_excusing_the_missing_rater_completes_the_group_from_the_others(returned, tmp_path):
    ws, _, _ = returned
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root)
    done = cli(root, "ratings", "--month", MONTH, "--excuse", "E005", "--reason", "休假")
    assert done.returncode == 0, done.stderr
    copy = Workspace(root)
    plan = copy.plan()
    result = {s.employee.id: s for s in rollup(copy, plan, copy.roster(plan), MONTH).entries}
    s, p, c = (score_for("E010", "E010", "", "self"), score_for("E001", "E010", "", "supervisor"),
               score_for("E004", "E010", "", "cross"))
    assert result["E010"].card.metrics["content_quality"].actual == pytest.approx((20 * s + 50 * p + 30 * c) / 100)
    trail = open_store(root).conn.execute("SELECT after FROM audit WHERE command = 'ratings --excuse'").fetchall()
    assert trail == [("免评：休假",)]


def test_an_imported_actual_raised_in_the_employees_own_workbook_names_the_import_line(returned, tmp_path):
    ws, _, _ = returned
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root)
    path = next((root / "workbooks" / MONTH).glob("E004-*.xlsx"))
    wb = load_workbook(path)
    cell_of(wb, "actual_replies").value = 4200
    wb.save(path)
    done = cli(root, "rollup", "--month", MONTH)
    out = done.stdout + done.stderr
    assert done.returncode == 2 and "表内为 4200" in out and "actuals-2026-10.csv:27" in out, out


# ---------------------------------------------------------------------------------------------- hostile returns


@pytest.fixture
def fresh(round_, tmp_path):
    """A copy of the round before any return."""
    ws = round_[0]
    root = tmp_path / "ws"
    shutil.copytree(ws.root, root, ignore=shutil.ignore_patterns("returns"))
    copy = Workspace(root)
    store = open_store(root)
    with store.conn:
        store.conn.execute("DELETE FROM ratings")
        store.conn.execute("DELETE FROM returns")
    plan = copy.plan()
    return copy, plan, copy.roster(plan)


def form_of(ws, rater):
    return (ws.root / open_store(ws.root).forms(MONTH)[rater].file).read_bytes()


def with_identity(data: bytes, **facts) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    for row in wb[FORM_META].iter_rows():
        if row[0].value in facts:
            row[1].value = facts[row[0].value]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(fresh, *incoming):
    ws, plan, roster = fresh
    return collect(ws, plan, roster, MONTH, list(incoming))


def test_a_form_of_another_month_is_refused(fresh):
    ws, plan, roster = fresh
    build_round(ws, plan, roster, "2026-09")
    september = (ws.root / open_store(ws.root).forms("2026-09")["E002"].file).read_bytes()
    (o,) = run(fresh, Incoming("E002.xlsx", fill(september, "E002"))).outcomes
    assert o.status == "refused" and "这是2026-09的评分表，不是2026-10的" in o.problems[0].message
    assert open_store(ws.root).ratings(MONTH) == []


def test_another_raters_identity_pasted_in_is_refused(fresh):
    ws, _, _ = fresh
    store = open_store(ws.root)
    e003 = store.forms(MONTH)["E003"]
    mine = fill(form_of(ws, "E002"), "E002")
    (o,) = run(fresh, Incoming("a.xlsx", with_identity(mine, form_rater="E003"))).outcomes  # the name alone
    assert o.status == "refused" and "身份信息被改动过" in o.problems[0].message
    stolen = with_identity(mine, form_rater="E003", form_token=e003.token)  # the whole identity, sent by E002
    (o,) = run(fresh, Incoming("b.xlsx", stolen, sender="li.na@example.com")).outcomes
    assert o.status == "refused" and "不是评分人王磊" in o.problems[0].message
    assert store.ratings(MONTH) == []


def test_a_rater_rating_someone_not_on_their_form_counts_only_their_own(fresh):
    ws, _, _ = fresh
    wb = load_workbook(io.BytesIO(fill(form_of(ws, "E004"), "E004")))
    sheet = wb["评分表"]
    last = max(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 2).value)
    sheet.cell(last + 1, 2).value, sheet.cell(last + 1, 8).value = "E009", 100  # a row added below
    meta = wb[FORM_META]
    row = next(r for r in meta.iter_rows() if r[0].value == "row" and r[1].value == "E011")
    row[1].value = "E012"  # and a row's hidden identity turned to someone else
    out = io.BytesIO()
    wb.save(out)
    (o,) = run(fresh, Incoming("E004.xlsx", out.getvalue())).outcomes
    assert o.status == "counted"
    kinds = sorted(p.type for p in o.problems)
    assert kinds == ["form_row_missing", "rating_not_on_form", "rating_not_on_form"], o.problems
    assert [(e, g) for _, e, _, g, *_ in open_store(ws.root).ratings(MONTH)] == [("E010", "cross")]


def test_what_is_no_form_at_all_is_refused_with_what_to_do(fresh, tmp_path):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", b"<workbook/>")
        z.writestr("xl/huge.xml", b"\0" * (60 * 1024 * 1024))
    outcomes = run(fresh, Incoming("bomb.xlsx", bomb.getvalue()), Incoming("empty.xlsx", b""),
                   Incoming("csv.xlsx", "工号,评分\nE001,90\n".encode()),
                   Incoming("other.xlsx", _plain_workbook())).outcomes
    words = [o.problems[0].message for o in outcomes]
    assert all(o.status == "refused" for o in outcomes)
    assert "解压后超过" in words[0] and "空文件" in words[1] and "不是Excel工作簿" in words[2] and "不是xl_kpi发出的" in words[3]
    ws = fresh[0]
    kept = sorted(p.name for p in (ws.root / "returns" / MONTH).iterdir())
    assert len(kept) == 4 and (ws.root / "returns" / MONTH / kept[1]).read_bytes() == b""  # kept as it arrived


def _plain_workbook() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def test_a_blank_score_leaves_that_row_out_and_a_second_return_replaces_the_first(fresh):
    ws, _, _ = fresh
    blank = {("E011", "content_quality", "cross")}
    (first,) = run(fresh, Incoming("E004.xlsx", fill(form_of(ws, "E004"), "E004", blank=blank))).outcomes
    assert first.status == "counted" and [p.type for p in first.problems] == ["rating_blank"]
    assert "郑浩（E011）" in first.problems[0].message and first.problems[0].cell
    second = fill(form_of(ws, "E004"), "E004", scores=lambda *a: 77)
    (again,) = run(fresh, Incoming("E004-v2.xlsx", second)).outcomes
    store = open_store(ws.root)
    assert again.status == "counted" and not again.problems
    assert [(e, v) for _, e, _, _, v, _ in store.ratings(MONTH)] == [("E010", 77), ("E011", 77)]
    assert [r.status for r in store.returns(MONTH)] == ["replaced", "counted"]  # both kept, in the trail too
    trail = store.conn.execute("SELECT before, after FROM audit WHERE command = 'collect' ORDER BY id").fetchall()
    given = "%g" % score_for("E004", "E010", "", "cross")
    assert {("", given), (given, "77"), ("", "77")} <= set(trail)


def with_zip_comment(data: bytes, text: str) -> bytes:
    """The same workbook in other bytes (as a second save of it would be)."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.comment = text.encode()
    return out.getvalue()


def test_two_thousand_returns_in_one_folder_each_get_an_outcome_and_none_counts_twice(fresh, tmp_path):
    ws, plan, roster = fresh
    folder = tmp_path / "inbox"
    folder.mkdir()
    raters = [r for r in ASKED if r != "E005"]
    filled = {r: fill(form_of(ws, r), r) for r in raters}
    last, junk = {}, 0
    for i in range(2000):
        name = folder / f"{i:04d}.xlsx"
        if i % 5 == 4:  # what is no form: a CSV, a blank workbook, an empty file; each different
            name.write_bytes([f"工号,评分\nE{i:03d},90\n".encode(), with_zip_comment(_plain_workbook(), str(i)),
                              b"" if i == 4 else b"\0" * i][(i // 5) % 3])
            junk += 1
        else:  # a rater's form, saved again and again: the last one counts, the others are replaced
            rater = raters[i % len(raters)]
            name.write_bytes(with_zip_comment(filled[rater], str(i)))
            last[rater] = name.name
    name = folder / "9999-copy.xlsx"  # the very bytes of a form already collected: once only
    name.write_bytes((folder / "0000.xlsx").read_bytes())
    report = collect(ws, plan, roster, MONTH, from_folder(folder))
    assert len(report.outcomes) == 2001
    assert report.count("refused") == junk and report.count("duplicate") == 1
    assert report.count("counted") == 2000 - junk
    store = open_store(ws.root)
    assert len(store.ratings(MONTH)) == sum(len(ASKED[r]) for r in raters)  # one set per rater
    counted = {r.rater: r.original for r in store.returns(MONTH) if r.status == "counted"}
    assert counted == last
    assert len(list((ws.root / "returns" / MONTH).iterdir())) == 2000  # every file kept once, as it arrived


def test_two_collect_runs_at_once_count_each_form_once(fresh, tmp_path):
    ws, _, _ = fresh
    folder = tmp_path / "inbox"
    folder.mkdir()
    for r in ("E001", "E002", "E003"):
        (folder / f"{r}.xlsx").write_bytes(fill(form_of(ws, r), r))
    runs = [subprocess.Popen([sys.executable, "-m", "xl_kpi", "collect", str(folder), "--month", MONTH, "--dir",
                              str(ws.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in runs]
    assert all(p.returncode in (0, 2) for p in runs) and not any("Traceback" in e for _, e in outs), outs
    store = open_store(ws.root)
    assert [r.status for r in store.returns(MONTH)] == ["counted"] * 3
    assert sum("已收过3份" in o for o, _ in outs) == 1


# ---------------------------------------------------------------------------------------------- encrypted, period


def test_forms_sent_encrypted_come_back_encrypted_and_are_opened(fresh):
    from xl_kpi import mail
    from xl_kpi.mail.forms import build_forms, decrypt, unlocker
    from xl_kpi.mail.messages import encrypt

    ws, plan, roster = fresh
    config_path = ws.root / "mail.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["attachments"] = {"password": "random"}
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    config = mail.load_config(ws)
    mailing = build_forms(ws, MONTH, config)
    kinds = sorted(m.kind for m in mailing.messages)
    assert kinds.count("form") == 7 and kinds.count("password") == 7
    out = next(m for m in mailing.messages if m.kind == "form" and m.to == ["zhao.min@example.com"])
    (attachment,) = list(out.message.iter_attachments())
    locked = attachment.get_content()
    password = open_store(ws.root).password(MONTH, "E004", lambda: "unused")
    assert decrypt(locked, "wrong") is None
    filled = encrypt(fill(decrypt(locked, password), "E004"), password)  # saved in Excel, password kept
    report = collect(ws, plan, roster, MONTH, [Incoming("E004.xlsx", filled, sender="zhao.min@example.com")],
                     unlock=unlocker(ws, MONTH, config))
    assert [o.status for o in report.outcomes] == ["counted"]
    assert len(open_store(ws.root).ratings(MONTH)) == 2


def test_a_period_round_feeds_the_review(fresh):
    from xl_kpi.period.review import read_ratings

    ws, plan, roster = fresh
    report = build_round(ws, plan, roster, "2026-Q4")
    forms = open_store(ws.root).forms("2026-Q4")
    assert report.written and all(item == "period" for f in forms.values() for _, item, _ in f.rows)
    returns = [Incoming(f"{r}.xlsx", fill((ws.root / f.file).read_bytes(), r)) for r, f in forms.items()]
    result = collect(ws, plan, roster, "2026-Q4", returns)
    assert result.count("counted") == len(forms)
    ratings, problems, _ = read_ratings(ws, plan, "2026-Q4", roster)
    e002 = [(g, score_for(r, "E002", "period", g)) for r, f in forms.items() for e, _, g in f.rows if e == "E002"]
    groups = {}
    for g, v in e002:
        groups.setdefault(g, []).append(v)
    want = sum(plan.rater_weights[g] * sum(v) / len(v) for g, v in groups.items()) / 100
    assert ratings["E002"] == pytest.approx(want, abs=1e-9)


def test_a_round_of_a_closed_month_or_a_bad_round_says_so(fresh):
    ws, plan, roster = fresh
    with pytest.raises(KpiError) as exc:
        build_round(ws, plan, roster, "2026-13")
    assert "评分轮次应为月份" in str(exc.value)


def test_the_ribbon_checks_a_form_a_rater_is_filling(fresh):
    import xlwings as xw

    from test_addin_scripts import actions_by_func, payload
    from xl_kpi.excel import ribbon

    ws, _, _ = fresh
    path = ws.root / "form.xlsx"
    blank = ("E011", "content_quality", "cross")
    path.write_bytes(fill(form_of(ws, "E004"), "E004", blank={blank}))
    meta = load_workbook(path)[FORM_META]
    rows = [(r[1].value, r[2].value, r[3].value) for r in meta.iter_rows() if r[0].value == "row"]
    first = int(next(r[1].value for r in meta.iter_rows() if r[0].value == "form_first_row"))
    row = first + rows.index(blank)
    book = xw.Book(json=payload(path))
    message, problems = ribbon.run_score(book)
    assert "还有1处需要填写" in message and [p.cell for p in problems] == [f"H{row}"]
    marked = [(a["start_row"], a["start_column"]) for a in actions_by_func(book)["setRangeColor"]
              if a["args"] == [ribbon.BAD_COLOR]]
    assert marked == [(row - 1, 7)]  # the remote book counts rows and columns from 0
    assert [a["args"][1] for a in actions_by_func(book)["addNote"]] == [ribbon.NOTE_PREFIX + "未评分"]
    path.write_bytes(fill(form_of(ws, "E004"), "E004"))
    message, problems = ribbon.run_score(xw.Book(json=payload(path)))
    assert problems == [] and "评分表已填好：共2项" in message
