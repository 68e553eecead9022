"""A month survives what changes around it: workspaces made by every earlier release (tests/fixtures/releases)
upgraded and rolled up with no pay line held, every typed value and 加减分 row kept and pay equal to the
cent; a month generated without lxml and rolled up with it (and the reverse); an upgrade killed midway."""
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_cli
from python_calamine import CalamineWorkbook

import xl_kpi
from xl_kpi.core.releases import CURRENT, RELEASES, key
from xl_kpi.store.schema import MIGRATIONS
from xl_kpi.workbook.cells import TYPED_PREFIXES
from xl_kpi.workbook.formulas import workbook_formulas
from xl_kpi.workbook.reader import read_workbook, written_by
from xl_kpi.workspace import Workspace, data_file, init_workspace
from xl_kpi.workspace.months import month_workbooks

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "releases"
EARLIER = [r.version for r in RELEASES[:-1]]


def workspace(tmp_path, release: str) -> Path:
    root = tmp_path / f"ws-{release}"
    shutil.copytree(FIXTURES / release, root)
    for f in root.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)  # a closed month's summary is read-only where it was made
    return root


def months(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "workbooks").iterdir() if p.is_dir())


def summary_pay(root: Path, month: str) -> dict[str, str]:
    """工号 → 应发合计 of the month's payroll summary as the release wrote it (the parts added up: its total is
    a formula no spreadsheet has computed)."""
    rows = CalamineWorkbook.from_path(str(root / "workbooks" / month / f"工资汇总-{month}.xlsx")) \
        .get_sheet_by_index(0).to_python(skip_empty_area=False)
    header = [str(c) for c in rows[1]]
    col = {name: header.index(name) for name in ("工号", "责任底薪", "绩效工资", "业绩提成", "奖励", "扣款")}
    out = {}
    for row in rows[2:]:
        emp = str(row[col["工号"]])
        if emp == "合计":
            break
        if emp.startswith("E"):
            parts = [row[col[n]] for n in ("责任底薪", "绩效工资", "业绩提成", "奖励")]
            out[emp] = f"{sum(parts) - row[col['扣款']]:.2f}"
    return out


def typed(root: Path, month: str) -> dict[str, dict]:
    """Every workbook's typed values and 加减分 rows, by file (other raters' ratings apart: typed in the
    rated person's workbook before 0.3.0, HR's record holds them after the upgrade)."""
    out = {}
    for path in month_workbooks(root / "workbooks" / month):
        data = read_workbook(path)
        computed = set(workbook_formulas(path).cells)  # a weekly sum's cell shows its value: computed, not typed
        values = {k: v for k, v in data.values.items()  # a week's target is HR's (and new in 0.2.0), not typed
                  if k.startswith(TYPED_PREFIXES) and not k.startswith("weektarget") and v is not None
                  and data.where(k) not in computed}
        out[path.name] = (values, [r for r in data.adjustments if r.get("item")])
    return out


def others_ratings(typed_month: dict) -> dict[tuple[str, str], float]:
    """(employee, slot) → a rating under another rater's name that the workbooks show, taken out of them."""
    out = {}
    for name, (values, _) in typed_month.items():
        for slot in [k for k in values if k.startswith("rating_") and not k.endswith("_self")]:
            out[name.split("-")[0], slot] = values.pop(slot)
    return out


def rollup(capsys, root: Path, month: str) -> list[dict]:
    out = run_cli(capsys, "rollup", "--month", month, "--json", "--jobs", "1", "--dir", root)
    return json.loads(out)


@pytest.mark.parametrize("release", EARLIER)
def test_a_workspace_of_an_earlier_release_upgrades_without_loss(tmp_path, capsys, release):
    root = workspace(tmp_path, release)
    paid = {m: summary_pay(root, m) for m in months(root)}
    before = {m: typed(root, m) for m in months(root)}
    text = run_cli(capsys, "upgrade", "--dir", root, stderr=True)
    assert f"由版本{release}升级到{xl_kpi.__version__}" in text
    if key(release) >= (0, 3, 0):  # its raters' ratings are HR's record already: nothing carried again
        assert "他人的评分" not in text and "未经改动的工作簿可逐字核对" not in text
    store = sqlite3.connect(root / "xl_kpi.db")
    assert store.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    for month in months(root):
        records = rollup(capsys, root, month)
        assert [r["status"] for r in records] == ["paid"] * 12, [r["problems"] for r in records if r["problems"]]
        assert {r["employee_id"]: r["total_pay"] for r in records} == paid[month]  # equal to the cent
        assert not any("notices" in r for r in records)
    if release == "0.1.0":  # its 加减分 rows, typed in the workbooks, are HR's record now, each in the audit trail
        rows = store.execute("SELECT employee, item, count FROM adjustments ORDER BY id").fetchall()
        typed_rows = [r for _, (_, adj) in before["2026-10"].items() for r in adj]
        assert len(rows) == len(typed_rows) == 8
        assert store.execute("SELECT COUNT(*) FROM audit WHERE field LIKE '加减分%' AND command LIKE 'upgrade%'"
                             ).fetchone()[0] == 8
    open_months = [m for m in months(root) if not store.execute(
        "SELECT 1 FROM closes WHERE month = ?", (m,)).fetchone()] if release != "0.1.0" else months(root)
    for month in open_months:  # regenerated without --force: nothing typed is lost, nothing is a note
        rated = others_ratings(before[month])
        assert rated and all(v is not None for v in rated.values())
        recorded = {(e, slot): v for e, slot, v in store.execute(
            "SELECT employee, slot, value FROM imports WHERE month = ? AND slot LIKE 'rating_%' AND slot NOT LIKE '%_self'",
            (month,))}
        if key(release) < (0, 3, 0):  # the raters' ratings the workbooks carried are HR's record now
            assert recorded == rated
        else:  # already HR's since 0.3.0: the workbooks show them, locked, as 他评
            assert recorded and set(rated) <= {(e, f"{slot.rsplit('_', 1)[0]}_others") for e, slot in recorded}
        out = run_cli(capsys, "generate", "--month", month, "--jobs", "1", "--dir", root, stderr=True)
        assert "已生成 12 个工作簿" in out and "表外" not in out
        after = typed(root, month)
        shown = others_ratings(after)  # the new workbooks show them, locked, as 他评
        assert {e: v for (e, _), v in shown.items()} == {e: v for (e, _), v in rated.items()}
        assert after == before[month]
        assert all(written_by(read_workbook(p)) == xl_kpi.__version__ for p in month_workbooks(root / "workbooks" / month))
        records = rollup(capsys, root, month)
        assert {r["employee_id"]: r["total_pay"] for r in records} == paid[month]
        assert all(r["status"] == "paid" for r in records)
    assert "审计记录完整" in run_cli(capsys, "check", "--dir", root)


def test_a_closed_month_stays_as_closed(tmp_path, capsys):
    root = workspace(tmp_path, "0.2.0")
    summary = root / "workbooks" / "2026-09" / "工资汇总-2026-09.xlsx"
    closed_bytes = summary.read_bytes()
    run_cli(capsys, "upgrade", "--dir", root)
    records = rollup(capsys, root, "2026-09")
    assert all(r["status"] == "paid" for r in records)
    assert summary.read_bytes() == closed_bytes  # the paid summary is never rewritten
    out = run_cli(capsys, "generate", "--month", "2026-09", "--dir", root, code=2, stderr=True)
    assert "结账" in out
    assert "2026-09" in run_cli(capsys, "close", "--show", "--month", "2026-09", "--dir", root)


def test_the_record_is_copied_before_the_upgrade_and_old_entries_still_verify(tmp_path, capsys):
    root = workspace(tmp_path, "0.2.0")
    entries = sqlite3.connect(root / "xl_kpi.db").execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    text = run_cli(capsys, "upgrade", "--dir", root, stderr=True)
    (copy,) = (root / "backups").glob("xl_kpi-*-schema4.db")
    assert str(copy) in text
    old = sqlite3.connect(copy)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 4
    assert old.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == entries
    db = sqlite3.connect(root / "xl_kpi.db")
    versions = [v for (v,) in db.execute("SELECT version FROM audit ORDER BY id")]
    assert versions[:entries] == [""] * entries and set(versions[entries:]) == {xl_kpi.__version__}
    assert "审计记录完整" in run_cli(capsys, "check", "--dir", root)


def test_an_upgrade_killed_midway_leaves_the_workspace_as_it_was(tmp_path, capsys):
    root = workspace(tmp_path, "0.2.0")
    db = root / "xl_kpi.db"
    before = sqlite3.connect(db).execute("SELECT COUNT(*), MAX(id) FROM audit").fetchone()
    env = {**__import__("os").environ, "XL_KPI_PAUSE_BEFORE_COMMIT": "60"}
    proc = subprocess.Popen([sys.executable, "-m", "xl_kpi", "upgrade", "--dir", str(root)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not list((root / "backups").glob("*.db")) and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # the migration's statements are done; it waits before COMMIT
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    old = sqlite3.connect(db)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 4  # the old state, whole
    assert old.execute("SELECT COUNT(*), MAX(id) FROM audit").fetchone() == before
    old.close()
    run_cli(capsys, "upgrade", "--dir", root)  # and the next run does it
    for month in ("2026-08", "2026-10"):
        assert all(r["status"] == "paid" for r in rollup(capsys, root, month))


LXML_HIDDEN = ("import sys; sys.modules['lxml'] = None; sys.modules['lxml.etree'] = None; import openpyxl.xml; "
               "assert not openpyxl.xml.LXML; from xl_kpi.cli import main; raise SystemExit(main(sys.argv[1:]))")


def xl_kpi_cli(*args, lxml: bool) -> subprocess.CompletedProcess:
    code = "import sys; from xl_kpi.cli import main; raise SystemExit(main(sys.argv[1:]))" if lxml else LXML_HIDDEN
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("generated_with_lxml", [False, True], ids=["generated-without-lxml", "generated-with-lxml"])
def test_a_month_rolls_up_on_a_machine_with_other_libraries(tmp_path, generated_with_lxml):
    pytest.importorskip("lxml")
    ws, _ = init_workspace(tmp_path / "ws")
    month = "2026-10"
    for step in (["generate", "--month", month], ["import", data_file(f"actuals-{month}.csv"), "--month", month],
                 ["import", data_file(f"adjustments-{month}.csv"), "--month", month]):
        done = xl_kpi_cli(*step, "--jobs", "1", "--dir", ws.root, lxml=generated_with_lxml)
        assert done.returncode == 0, done.stderr
    done = xl_kpi_cli("rollup", "--month", month, "--json", "--jobs", "1", "--dir", ws.root,
                      lxml=not generated_with_lxml)
    assert done.returncode == 0, done.stderr
    assert all(r["status"] == "paid" and not r["problems"] for r in json.loads(done.stdout))


def test_with_and_without_lxml_the_bytes_differ_and_the_meaning_does_not(tmp_path):
    """The difference the fingerprints of meaning exist for: openpyxl writes 次 as &#27425; with lxml."""
    pytest.importorskip("lxml")
    from xl_kpi.workbook.formulas import by_cell, legacy_fingerprint, meaning_fingerprint, workbook_formulas

    paths = []
    for lxml in (True, False):
        ws, _ = init_workspace(tmp_path / f"ws-{lxml}")
        sqlite3.connect(ws.root / "xl_kpi.db").close()
        assert xl_kpi_cli("check", "--dir", ws.root, lxml=True).returncode == 0
        with sqlite3.connect(ws.root / "xl_kpi.db") as db:
            db.execute("UPDATE settings SET value = 'same' WHERE key = 'protect_password'")
            db.execute("INSERT OR IGNORE INTO settings VALUES ('protect_password', 'same')")
        assert xl_kpi_cli("generate", "--month", "2026-10", "--employee", "E004", "--dir", ws.root, lxml=lxml).returncode == 0
        paths.append(next(ws.month_dir("2026-10").glob("E004-*.xlsx")))
    assert legacy_fingerprint(paths[0]) != legacy_fingerprint(paths[1])  # what releases before 0.3.0 compared
    meanings = [meaning_fingerprint(by_cell({k: c.formula for k, c in workbook_formulas(p).cells.items()}))
                for p in paths]
    assert meanings[0] == meanings[1]


def test_a_late_return_of_an_earlier_releases_workbook_is_merged_or_refused(tmp_path, capsys):
    from openpyxl import load_workbook

    from helpers import cell_of

    root = workspace(tmp_path, "0.1.0")
    old = tmp_path / "returned.xlsx"
    shutil.copy(root / "workbooks" / "2026-10" / "E004-赵敏.xlsx", old)
    run_cli(capsys, "generate", "--month", "2026-10", "--jobs", "1", "--dir", root)  # upgraded and regenerated
    current = root / "workbooks" / "2026-10" / "E004-赵敏.xlsx"
    wb = load_workbook(current)  # the person's newer file lost one weekly figure …
    cell_of(wb, "weeknote1").value = None
    cell_of(wb, "week2_likes").value = None
    wb.save(current)
    wb = load_workbook(old)  # … which the late return holds, with a note of the week
    cell_of(wb, "week2_likes").value = 140
    wb.save(old)
    assert written_by(read_workbook(old)) == "0.1.0"
    assert "已导入 1 行" in run_cli(capsys, "import", old, "--month", "2026-10", "--dir", root)
    assert read_workbook(current).values["week2_likes"] == 140
    wb = load_workbook(old)
    cell_of(wb, "week3_likes").value = 1  # another value than the month's workbook holds: refused, nothing written
    wb.save(old)
    kept = current.read_bytes()
    out = run_cli(capsys, "import", old, "--month", "2026-10", "--dir", root, code=2, stderr=True)
    assert "returned.xlsx" in out and "未合并" in out
    assert current.read_bytes() == kept
    out = run_cli(capsys, "import", old, "--month", "2026-09", "--dir", root, code=2, stderr=True)
    assert "这是2026-10的工作簿" in out


def test_pay_an_earlier_release_computed_otherwise_is_named_not_held(tmp_path, capsys):
    root = workspace(tmp_path, "0.2.0")
    run_cli(capsys, "upgrade", "--dir", root)
    with sqlite3.connect(root / "xl_kpi.db") as db:  # as if 0.2.0 had paid 赵敏 otherwise
        (lines,) = db.execute("SELECT lines FROM earlier_pay WHERE month = '2026-10' AND employee = 'E004'").fetchone()
        lines = json.loads(lines)
        lines["total_pay"], lines["commission"] = "6231.06", f"{float(lines['commission']) + 100:.2f}"
        db.execute("UPDATE earlier_pay SET lines = ?, version = '0.1.0' WHERE month = '2026-10' AND employee = 'E004'",
                   (json.dumps(lines),))
    records = {r["employee_id"]: r for r in rollup(capsys, root, "2026-10")}
    assert records["E004"]["status"] == "paid"  # named, not held
    (notice,) = records["E004"]["notices"]
    assert "赵敏" in notice["message"] and "业绩提成" in notice["message"] and "应发合计由6,231.06变为6,131.06" in \
        notice["message"] and "0.2.0：" in notice["message"]  # the reason: what 0.2.0 changed
    assert all("notices" not in r for e, r in records.items() if e != "E004")


def test_plans_of_earlier_releases_load_and_check_says_what_to_edit(tmp_path, capsys):
    root = workspace(tmp_path, "0.1.0")
    out = run_cli(capsys, "check", "--dir", root, stderr=True)
    assert "plan.yaml:40 cohort_bonuses.0" in out and "同一名次会计两次" in out
    assert "per_month: 1" in out and "最佳网红" in out
    assert "明星员工写明" not in out  # 明星员工 is not one a month: no warning
    root2 = workspace(tmp_path, "0.2.0")
    assert "同一名次" not in run_cli(capsys, "check", "--dir", root2, stderr=True)


def test_a_record_newer_than_this_release_is_refused(tmp_path, capsys):
    ws, _ = init_workspace(tmp_path / "ws")
    with sqlite3.connect(ws.root / "xl_kpi.db") as db:
        db.execute("PRAGMA user_version = 99")
    out = run_cli(capsys, "check", "--dir", ws.root, code=2, stderr=True)
    assert "高于本程序" in out and xl_kpi.__version__ in out


def test_a_workspace_that_lost_its_record_is_not_given_a_new_one(tmp_path, capsys):
    root = workspace(tmp_path, "0.2.0")
    (root / "xl_kpi.db").unlink()
    out = run_cli(capsys, "rollup", "--month", "2026-10", "--dir", root, code=2, stderr=True)
    assert "不会新建空记录" in out and "restore" in out
    assert not (root / "xl_kpi.db").exists()


def test_one_version_number_and_its_history():
    assert CURRENT.version == xl_kpi.__version__ and CURRENT.schema == len(MIGRATIONS)
    assert [r.version for r in RELEASES] == sorted((r.version for r in RELEASES), key=lambda v: tuple(map(int, v.split("."))))
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} >= set(EARLIER)  # every upgrade path has its fixture
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert all(f"## {r.version}" in changelog for r in RELEASES)
    done = subprocess.run([sys.executable, "-m", "xl_kpi", "--version"], capture_output=True, text=True)
    assert done.stdout.strip() == f"xl-kpi {xl_kpi.__version__}"


def test_a_new_workspace_is_up_to_date_from_the_start(tmp_path, capsys):
    ws, _ = init_workspace(tmp_path / "ws")
    run_cli(capsys, "generate", "--month", "2026-10", "--jobs", "1", "--dir", ws.root)
    out = run_cli(capsys, "check", "--dir", ws.root, stderr=True)
    assert "升级" not in out
    assert not (ws.root / "backups").exists()
    path = next(Workspace(ws.root).month_dir("2026-10").glob("E001-*.xlsx"))
    assert read_workbook(path).meta["meta_version"] == xl_kpi.__version__


@pytest.mark.parametrize("schema", range(1, len(MIGRATIONS)))
def test_the_record_migrates_from_every_earlier_schema(tmp_path, schema):
    from xl_kpi.store import open_store
    from xl_kpi.store.rows import Generated

    conn = sqlite3.connect(tmp_path / "xl_kpi.db")
    for n, script in enumerate(MIGRATIONS[:schema], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {n}")
    conn.execute("INSERT INTO settings VALUES ('protect_password', 'kept')")
    conn.commit()
    conn.close()
    store = open_store(tmp_path)
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    assert store.protect_password() == "kept"
    was, copy = store.migrated
    assert was == schema and sqlite3.connect(copy).execute("PRAGMA user_version").fetchone()[0] == schema
    store.record_generated("2026-10", [Generated("E001", "ops", "native", "E001-张明.xlsx", "m1:x", "0.3.0", "p")],
                           {"m1:x": {"考核表!H6": "1+1"}})
    assert store.generated("2026-10")["E001"].version == "0.3.0" and store.formula_set("m1:x") == {"考核表!H6": "1+1"}
    store.audit("test", [("2026-10", "E001", "x", "", "1", "")])
    assert not store.audit_problems()


@pytest.mark.parametrize("release", EARLIER)
def test_backups_an_earlier_release_kept_beside_the_workbooks_move_into_the_backup_folder(tmp_path, capsys, release):
    """Releases before 0.3.0 wrote <name>.bak-<time>.xlsx beside the workbooks; this one reads every .xlsx there
    as a workbook, so the upgrade moves them into 备份/ first (else each would be a second workbook)."""
    root = workspace(tmp_path, release)
    month = months(root)[-1]
    original = next((root / "workbooks" / month).glob("E004-*.xlsx"))
    legacy = original.with_name(f"{original.stem}.bak-20261102-093000.xlsx")
    shutil.copy2(original, legacy)
    text = run_cli(capsys, "upgrade", "--dir", root, stderr=True)
    assert "1个旧版本的备份文件" in text
    assert not legacy.exists() and (legacy.parent / "备份" / legacy.name).read_bytes() == original.read_bytes()
    records = rollup(capsys, root, month)
    assert not [p for r in records for p in r["problems"] if p["type"] == "duplicate_workbook"]
