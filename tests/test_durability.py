"""HR's record as durable as what it guards, nothing valid refused, nothing wrong accepted (issue 28), each
case through the CLI as people and machines produce it."""
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from conftest import demo_copy
from helpers import run_cli
from python_calamine import CalamineWorkbook

from xl_kpi.workspace import init_workspace

MONTH = "2026-10"


@pytest.fixture(scope="module")
def demo(demo_root, tmp_path_factory):
    return demo_copy(demo_root, tmp_path_factory, "durability")


@pytest.fixture
def ws(demo, tmp_path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(demo, root)
    return root


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    import csv

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xl_kpi", *map(str, args)], capture_output=True, text=True, timeout=300)


# --------------------------------------------------------------------------- valid input, as spreadsheets show it


def test_values_a_cell_shows_rounded_are_imported_as_shown(tmp_path, capsys):
    """2999.9999999999995 条, 1.0000000000000002 for a percent capped at 100%, rank 0.9999999999999999 and
    150% where nothing caps it: accepted and scored as the same values typed plainly."""
    scores = {}
    for form, (replies, rate, rank, growth) in {"raw": ("2999.9999999999995", "1.0000000000000002", "0.9999999999999999",
                                                         "150%"),
                                                 "plain": ("3000", "1", "1", "150%")}.items():
        root, _ = init_workspace(tmp_path / form)
        run_cli(capsys, "import", write_csv(tmp_path / f"{form}-gen.csv", ["x"], []), "--month", MONTH,
                "--dir", root.root, code=2)  # (an unrecognised file changes nothing)
        run_cli(capsys, "generate", "--month", MONTH, "--jobs", "1", "--dir", root.root)
        run_cli(capsys, "import", write_csv(tmp_path / f"{form}.csv", ["工号", "指标", "数值"],
                                            [["E004", "回复条数", replies], ["E004", "购买率", rate],
                                             ["E002", "粉丝增长率", growth]]), "--month", MONTH, "--jobs", "1",
                "--dir", root.root)
        run_cli(capsys, "import", write_csv(tmp_path / f"{form}-adj.csv", ["工号", "日期", "项目", "名次"],
                                            [["E010", "2026-10-31", "TOP榜单", rank]]), "--month", MONTH, "--jobs", "1",
                "--dir", root.root)
        out = run_cli(capsys, "score", "--month", MONTH, "--json", "--jobs", "1", "--dir", root.root, code=2)
        scores[form] = json.loads(out.replace(str(root.root), "WS"))  # the same month in two folders
    assert scores["raw"] == scores["plain"]
    by = {r["employee_id"]: r for r in scores["raw"]}
    assert by["E004"]["metrics"]["replies"]["actual"] == 3000 and by["E002"]["metrics"]["fan_growth"]["actual"] == 1.5
    assert [a["points"] for a in by["E010"]["adjustments"]] == [8]  # TOP1


def test_a_count_with_decimals_says_why(tmp_path, capsys):
    root, _ = init_workspace(tmp_path / "ws")
    run_cli(capsys, "generate", "--month", MONTH, "--jobs", "1", "--dir", root.root)
    out = run_cli(capsys, "import", write_csv(tmp_path / "a.csv", ["工号", "指标", "数值"], [["E004", "回复条数", "2999.5"]]),
                  "--month", MONTH, "--dir", root.root, code=2, stderr=True)
    assert "a.csv:2" in out and "不是2999.5" in out  # the number that was refused, not 3000


def test_a_percent_target_written_as_a_number_is_refused_at_its_line(tmp_path, capsys):
    root, _ = init_workspace(tmp_path / "ws")
    plan = root.plan_path.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(plan.splitlines(), 1) if "target: 0.02, max: 1" in t)
    root.plan_path.write_text(plan.replace("target: 0.02, max: 1", "target: 2, max: 1"), encoding="utf-8")
    out = run_cli(capsys, "check", "--dir", root.root, code=2, stderr=True)
    assert f"plan.yaml:{line}" in out and "0.02" in out


def test_a_name_holding_bak_is_read_back(tmp_path, capsys):
    from xl_kpi.workspace.roster import write_roster

    root, _ = init_workspace(tmp_path / "ws")
    plan = root.plan()
    people = root.roster(plan)
    people[3] = people[3].__class__(people[3].id, "赵.bak-20261010-101010", *[getattr(people[3], f) for f in (
        "department", "role", "base_salary", "performance_pay_base", "email", "manager_email")])
    write_roster(root.roster_path, [p.__class__(p.id, p.name, p.department, plan.roles[p.role].name, p.base_salary,
                                                p.performance_pay_base, p.email, p.manager_email) for p in people])
    run_cli(capsys, "generate", "--month", MONTH, "--jobs", "1", "--dir", root.root)
    records = json.loads(run_cli(capsys, "score", "--month", MONTH, "--json", "--jobs", "1", "--dir", root.root, code=2))
    e004 = next(r for r in records if r["employee_id"] == "E004")
    assert not any(p["type"] == "workbook_missing" for p in e004["problems"])
    run_cli(capsys, "generate", "--month", MONTH, "--employee", "E004", "--force", "--dir", root.root)
    backups = list((root.month_dir(MONTH) / "备份").glob("*.xlsx"))  # a backup is in its own folder
    assert len(backups) == 1 and len(list(root.month_dir(MONTH).glob("E004-*.xlsx"))) == 1


def test_every_total_shows_without_recalculating(ws, capsys):
    run_cli(capsys, "rollup", "--month", MONTH, "--jobs", "1", "--dir", ws)
    rows = CalamineWorkbook.from_path(str(ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx")) \
        .get_sheet_by_index(0).to_python()
    header = rows[1]
    lines = [r for r in rows[2:] if str(r[0]).startswith("E")]
    total = [r for r in rows if r[0] == "合计"][0]
    col = header.index("应发合计")
    assert all(isinstance(r[col], float) for r in lines)  # each line's total, a formula, carries its value
    assert round(sum(r[col] for r in lines), 2) == total[col] == 81876.36
    grades = CalamineWorkbook.from_path(str(ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx")) \
        .get_sheet_by_index(1).to_python()
    assert [r for r in grades if r[0] == "合计"][0][-1] == 12


# --------------------------------------------------------------------------- HR's record itself


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_record_is_never_made_anew(ws, capsys, how):
    db = ws / "xl_kpi.db"
    for extra in ("xl_kpi.db-wal", "xl_kpi.db-shm"):
        (ws / extra).unlink(missing_ok=True)
    if how == "deleted":
        db.unlink()
    else:
        db.write_bytes(b"")
    for command in (["check"], ["import", ws / "nothing.csv", "--month", MONTH], ["rollup", "--month", MONTH]):
        out = run_cli(capsys, *command, "--dir", ws, code=2, stderr=True)
        assert "不会新建空记录" in out and "restore" in out
    assert not db.exists() or db.stat().st_size == 0


def copy_record(src: Path, dest: Path) -> None:
    """A whole copy of the record, as HR's copy of a closed file would be."""
    with sqlite3.connect(src) as a, sqlite3.connect(dest) as b:
        a.backup(b)


def swap_in(copy: Path, ws: Path) -> None:
    for extra in ("xl_kpi.db-wal", "xl_kpi.db-shm"):
        (ws / extra).unlink(missing_ok=True)
    (ws / "xl_kpi.db").unlink()
    copy_record(copy, ws / "xl_kpi.db")


def test_an_older_copy_of_the_record_is_found_out(ws, capsys):
    older = ws.parent / "older.db"
    copy_record(ws / "xl_kpi.db", older)  # taken before the close
    assert cli("close", "--month", MONTH, "--dir", ws).returncode == 0
    summary = ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx"
    anchor = [str(c) for r in CalamineWorkbook.from_path(str(summary)).get_sheet_by_index(0).to_python() for c in r
              if "结账时的审计链" in str(c)]
    assert len(anchor) == 1
    swap_in(older, ws)
    done = cli("generate", "--month", MONTH, "--dir", ws)
    assert done.returncode == 2 and "结账前的副本" in done.stderr


def test_the_workbooks_of_a_closed_month_carry_the_head_when_the_summary_is_gone(ws, capsys):
    """The close writes the trail's head into every workbook's hidden sheet (recorded hashes taken after), so
    an older record is found out even when the signed summary was deleted."""
    from xl_kpi.store.audit import GENESIS
    from xl_kpi.workbook.reader import read_workbook

    older = ws.parent / "older.db"
    copy_record(ws / "xl_kpi.db", older)
    assert cli("close", "--month", MONTH, "--dir", ws).returncode == 0
    month = ws / "workbooks" / MONTH
    heads = {read_workbook(p).meta.get("audit_head") for p in month.glob("E*.xlsx")}
    assert len(heads) == 1 and None not in heads and not heads.pop().endswith(GENESIS)
    assert cli("rollup", "--month", MONTH, "--dir", ws).returncode == 0  # the stamped files are the closed ones
    summary = month / f"工资汇总-{MONTH}.xlsx"
    summary.chmod(0o644)
    summary.unlink()
    swap_in(older, ws)
    done = cli("generate", "--month", MONTH, "--dir", ws)
    assert done.returncode == 2 and "结账前的副本" in done.stderr and "E0" in done.stderr


def test_a_rewritten_chain_fails_against_the_head_printed_at_the_close(ws, capsys):
    from xl_kpi.store.audit import GENESIS, entry_hash

    assert cli("close", "--month", MONTH, "--dir", ws).returncode == 0
    summary = ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx"
    text = next(str(c) for r in CalamineWorkbook.from_path(str(summary)).get_sheet_by_index(0).to_python() for c in r
                if "结账时的审计链" in str(c))
    number, digest = text.split("第")[1].split("条，")[0], text.split("条，")[1][:64]
    head = f"{number}:{digest}"
    assert "审计链完整" in cli("audit", "--verify", head, "--dir", ws).stdout
    with sqlite3.connect(ws / "xl_kpi.db") as db:  # someone edits an entry and recomputes the whole chain
        rows = db.execute("SELECT id, at, user, command, month, employee, field, before, after, file_hash, version "
                          "FROM audit ORDER BY id").fetchall()
        db.execute("UPDATE audit SET after = '99999' WHERE id = 3")
        prev = GENESIS
        for row in db.execute("SELECT id, at, user, command, month, employee, field, before, after, file_hash, version "
                              "FROM audit ORDER BY id").fetchall():
            keys = ("at", "user", "command", "month", "employee", "field", "before", "after", "file_hash", "version")
            digest = entry_hash(prev, dict(zip(keys, row[1:])))
            db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", (prev, digest, row[0]))
            prev = digest
        db.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (f"{len(rows)}:{prev}",))
    # the rewritten chain is whole in itself, but not the one printed at the close
    assert cli("audit", "--verify", head, "--dir", ws).returncode == 2
    done = cli("check", "--dir", ws)
    assert done.returncode == 2 and "结账审计链不符" in done.stderr


def test_a_damaged_record_is_a_message(ws, capsys):
    db = ws / "xl_kpi.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'audit'").fetchone()[0]
    data = bytearray(db.read_bytes())
    data[(root - 1) * page:(root - 1) * page + 64] = b"\xff" * 64  # the audit table's first page scribbled over
    db.write_bytes(bytes(data))
    for command in (["check"], ["audit"], ["score", "--month", MONTH], ["rollup", "--month", MONTH]):
        done = cli(*command, "--dir", ws)
        assert done.returncode == 2 and "已损坏" in done.stderr and "restore" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_locked_record_says_who_holds_it(ws, capsys):
    db = ws / "xl_kpi.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.time()
        done = cli("rollup", "--month", MONTH, "--jobs", "1", "--dir", ws)
        assert done.returncode == 2 and "正被占用" in done.stderr and "Traceback" not in done.stderr
        assert time.time() - started < 60
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_read_only_record_is_refused_before_anything_is_written(ws, capsys):
    summary = ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx"
    db = ws / "xl_kpi.db"
    before = summary.read_bytes()
    db.chmod(0o444)
    immutable = os.access(db, os.W_OK) and subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode == 0
    try:  # (root ignores file modes: the immutable flag stops it too)
        if os.access(db, os.W_OK):
            pytest.skip("no way here to make a file read-only for this user")
        out = run_cli(capsys, "rollup", "--month", MONTH, "--dir", ws, code=2, stderr=True)
        assert "只读" in out and summary.read_bytes() == before
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(db)])
        db.chmod(0o644)


def test_a_malformed_head_is_a_broken_trail(ws, capsys):
    with sqlite3.connect(ws / "xl_kpi.db") as db:
        db.execute("UPDATE settings SET value = 'garbage' WHERE key = 'audit_head'")
    done = cli("check", "--dir", ws)
    assert done.returncode == 2 and "格式不对" in done.stderr


def test_backups_are_made_and_a_copy_restores_with_what_would_be_lost(ws, capsys):
    run_cli(capsys, "import", Path(__file__).parent.parent / "xl_kpi" / "data" / f"adjustments-{MONTH}.csv",
            "--month", MONTH, "--jobs", "1", "--dir", ws)
    copies = sorted((ws / "backups").glob("xl_kpi-*-import.db"))
    assert copies
    run_cli(capsys, "appeal", "add", "--month", MONTH, "--employee", "E004", "--metric", "回复条数", "--reason", "漏计",
            "--dir", ws)
    listing = run_cli(capsys, "restore", "--dir", ws)
    assert copies[-1].name[:20] in listing
    out = run_cli(capsys, "restore", str(copies[-1]), "--yes", "--dir", ws)
    assert "会失去" in out and "已恢复" in out
    assert sqlite3.connect(ws / "xl_kpi.db").execute("SELECT COUNT(*) FROM appeals").fetchone()[0] == 0
    assert list((ws / "backups").glob("*-beforerestore.db"))  # what it replaced is kept


def test_the_audit_csv_runs_nothing(ws, capsys):
    run_cli(capsys, "appeal", "add", "--month", MONTH, "--employee", "E004", "--metric", "回复条数",
            "--reason", '=HYPERLINK("http://example.com","点我")', "--dir", ws)
    import csv
    import io

    cells = [c for row in csv.reader(io.StringIO(run_cli(capsys, "audit", "--csv", "--dir", ws))) for c in row]
    assert "'=HYPERLINK(\"http://example.com\",\"点我\")" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]  # no cell a spreadsheet would run


def test_a_closed_summary_edited_afterwards_is_caught(ws, capsys):
    from openpyxl import load_workbook

    run_cli(capsys, "close", "--month", MONTH, "--dir", ws)
    summary = ws / "workbooks" / MONTH / f"工资汇总-{MONTH}.xlsx"
    summary.chmod(0o644)
    wb = load_workbook(summary)
    wb.active["H4"] = 50000  # E002's 责任底薪, 5000 → 50000
    wb.save(summary)
    assert "结账后被改动" in run_cli(capsys, "check", "--dir", ws, code=2, stderr=True)
    assert "结账后被改动" in run_cli(capsys, "rollup", "--month", MONTH, "--dir", ws, code=2, stderr=True)
    assert "结账后被改动" in run_cli(capsys, "send", "--month", MONTH, "--dry-run", ws / "out", "--dir", ws, code=2,
                                   stderr=True)


def test_attachment_passwords_are_not_readable_from_a_copy(ws, capsys, tmp_path):
    config = yaml.safe_load((ws / "mail.yaml").read_text(encoding="utf-8"))
    config["attachments"] = {"password": "random"}
    (ws / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    run_cli(capsys, "send", "--month", MONTH, "--dry-run", tmp_path / "out", "--dir", ws)
    import email

    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in (tmp_path / "out").glob("*-password-*.eml")]
    assert mails
    password = mails[0].get_body(("plain",)).get_content().split("：")[-1].strip().split()[0]
    stored = sqlite3.connect(ws / "xl_kpi.db").execute("SELECT password FROM passwords").fetchall()
    assert stored and all(p.startswith("enc:") for (p,) in stored)
    assert password.encode() not in (ws / "xl_kpi.db").read_bytes()
    copy = tmp_path / "copied"
    shutil.copytree(ws, copy)  # another machine: its key is not there
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "elsewhere")}
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "send", "--month", MONTH, "--dry-run", str(tmp_path / "o2"),
                           "--dir", str(copy)], capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "另一台电脑" in done.stderr


# --------------------------------------------------------------------------- close, appeals and the 加减分 log


def test_appeal_values_and_days_are_checked(ws, capsys):
    out = run_cli(capsys, "appeal", "add", "--month", MONTH, "--employee", "E002", "--metric", "品牌曝光度",
                  "--reason", "x", "--filed", "2020-01-01", "--dir", ws, code=2, stderr=True)
    assert "--filed" in out
    run_cli(capsys, "appeal", "add", "--month", MONTH, "--employee", "E004", "--metric", "回复条数", "--reason", "x",
            "--dir", ws)
    for value, why in (("-5", "超出允许范围"), ("1.5", "应为整数")):
        assert why in run_cli(capsys, "appeal", "decide", "1", "--accept", "--value", value, "--dir", ws, code=2,
                              stderr=True)
    roster = ws / "roster.xlsx"  # someone who has since left the roster
    from openpyxl import load_workbook

    wb = load_workbook(roster)
    sheet = wb.active
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "E004":
            sheet.delete_rows(row[0].row)
            break
    wb.save(roster)
    assert "不在花名册" in run_cli(capsys, "appeal", "decide", "1", "--accept", "--value", "3300", "--dir", ws, code=2,
                                 stderr=True)


@pytest.mark.parametrize("day, ok", [("2026-10-31", True), ("2026/10/15", True), ("46309", True), ("下周三", False),
                                     ("2026-10-45", False), ("2026-09-30", False), ("2025-10-01", False)])
def test_a_dates_of_the_log_is_a_day_of_the_month(ws, capsys, tmp_path, day, ok):
    f = write_csv(tmp_path / "adj.csv", ["工号", "日期", "项目", "数量"], [["E011", day, "错别字", "1"]])
    out = run_cli(capsys, "import", f, "--month", MONTH, "--jobs", "1", "--dir", ws, code=0 if ok else 2, stderr=True)
    if not ok:
        assert "adj.csv:2" in out and "日期" in out


# --------------------------------------------------------------------------- files and the mail server


def test_links_and_pipes_in_the_month_folder_are_reported_not_read(ws, capsys, tmp_path):
    folder = ws / "workbooks" / MONTH
    outside = tmp_path / "outside.xlsx"
    shutil.move(folder / "E004-赵敏.xlsx", outside)
    (folder / "E004-赵敏.xlsx").symlink_to(outside)
    shutil.move(folder / "E005-陈静.xlsx", tmp_path / "E005.xlsx")
    os.mkfifo(folder / "E005-陈静.xlsx")
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "rollup", "--month", MONTH, "--json", "--jobs", "1",
                           "--dir", str(ws)], capture_output=True, text=True, timeout=120)
    records = {r["employee_id"]: r for r in json.loads(done.stdout)}
    for emp in ("E004", "E005"):
        assert records[emp]["status"] == "held"
    assert done.stderr.count("不是普通文件") >= 2


@pytest.mark.parametrize("source", ["fifo", "/dev/zero"])
def test_an_import_that_is_not_a_file_is_refused(ws, capsys, tmp_path, source):
    path = tmp_path / "data.csv"
    if source == "fifo":
        os.mkfifo(path)
    else:
        path = Path(source)
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "import", str(path), "--month", MONTH, "--dir", str(ws)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "不是普通文件" in done.stderr


def test_a_zip_bomb_is_refused_without_unpacking_it(ws, capsys, tmp_path):
    import struct
    import zipfile

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(ws / "workbooks" / MONTH / "E004-赵敏.xlsx") as src, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, src.read(item.filename))
        with z.open("xl/media/big.bin", "w") as big:  # 300 MB of zeros, written a megabyte at a time
            for _ in range(300):
                big.write(bytes(1 << 20))
    data = bytearray(bomb.read_bytes())  # forge the declared size: 300 MB said to be 100 bytes
    for marker, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(b"xl/media/big.bin")
        while at >= 0:
            head = at - (30 if marker == b"PK\x03\x04" else 46)
            if data[head:head + 4] == marker:
                struct.pack_into("<I", data, head + offset, 100)
            at = data.find(b"xl/media/big.bin", at + 1)
    bomb.write_bytes(bytes(data))
    code = ("import resource, sys; from xl_kpi.workbook.reader import read_workbook\n"
            "try:\n    read_workbook(sys.argv[1])\nexcept ValueError as e:\n    print(e)\n"
            "print(next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')) // 1024)")
    done = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, timeout=60)
    said, peak_mb = done.stdout.strip().splitlines()
    assert "不读取" in said and int(peak_mb) < 300


class Silent(threading.Thread):
    """A server that takes the connection and never says a word."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held = []

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)


def test_a_silent_mail_server_stops_the_send_after_three_messages(ws):
    server = Silent()
    server.start()
    config = yaml.safe_load((ws / "mail.yaml").read_text(encoding="utf-8"))
    config["smtp"].update(host="127.0.0.1", port=server.port, security="none", username="", timeout=1, retries=3,
                          backoff=1)
    (ws / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    started = time.time()
    done = cli("send", "--month", MONTH, "--yes", "--dir", ws)
    assert done.returncode == 2 and f"xl-kpi send --month {MONTH}" in done.stderr
    assert time.time() - started < 60  # three messages of one second each, not retried at length
    server.sock.close()


def test_a_refused_login_stops_at_once(ws):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    tries = []

    def refuse(server, session, envelope, mechanism, auth_data):
        tries.append(mechanism)
        return AuthResult(success=False, handled=False)  # the server answers 535 itself

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=refuse, auth_require_tls=False)
    controller.start()
    try:
        config = yaml.safe_load((ws / "mail.yaml").read_text(encoding="utf-8"))
        config["smtp"].update(host="127.0.0.1", port=port, security="none",
                              username="hr@example.com", retries=3, backoff=0)
        (ws / "mail.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "xl_kpi", "send", "--month", MONTH, "--yes", "--dir", str(ws)],
                              capture_output=True, text=True, env={**os.environ, "XL_KPI_SMTP_PASSWORD": "wrong"})
        assert done.returncode == 2 and "拒绝了登录" in done.stdout + done.stderr
        assert tries and len(tries) == len(set(tries))  # one login (smtplib tries each mechanism once), not one a message
    finally:
        controller.stop()


def test_jobs_are_capped_at_the_cores(ws, capsys):
    from xl_kpi.system.parallel import max_jobs

    out = run_cli(capsys, "score", "--month", MONTH, "--jobs", "1000", "--dir", ws, stderr=True)
    assert f"按{max_jobs()}个工作进程运行" in out


def test_workers_die_with_their_parent(tmp_path):
    from xl_kpi.workspace.roster import Employee, write_roster

    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    sample = ws.roster(plan)
    write_roster(ws.roster_path, [Employee(f"K{i:05d}", f"员工{i}", s.department, plan.roles[s.role].name, None, None,
                                           "", "") for i, s in ((i, sample[i % 12]) for i in range(2500))])
    assert cli("check", "--dir", ws.root).returncode == 0
    proc = subprocess.Popen([sys.executable, "-m", "xl_kpi", "generate", "--month", MONTH, "--jobs", "2", "--dir",
                             str(ws.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    folder = ws.month_dir(MONTH)
    deadline = time.time() + 120
    while (not folder.is_dir() or len(list(folder.glob("*.xlsx"))) < 100) and time.time() < deadline:
        time.sleep(0.1)
    proc.kill()
    proc.wait()
    time.sleep(1)
    written = len(list(folder.glob("*.xlsx")))
    time.sleep(2)
    assert len(list(folder.glob("*.xlsx"))) == written < 2500  # nothing written after the parent died
    alive = subprocess.run(["pgrep", "-f", str(ws.root)], capture_output=True, text=True).stdout.split()
    assert not alive
