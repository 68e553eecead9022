"""--jobs N spreads the employees over worker processes: the month's files and JSON are the same, byte for
byte, as with --jobs 1, and a worker that dies is reported with the employees it held, never a hang."""
import os
import shutil

import pytest

from xl_kpi.system import parallel
from xl_kpi.cli import main
from xl_kpi.core.errors import KpiError
from xl_kpi.workspace.roster import Employee, write_roster
from xl_kpi.store import open_store
from xl_kpi.workspace import Workspace, data_file, init_workspace

MONTH = "2026-10"


@pytest.fixture
def base(tmp_path):
    """A workspace of 36 people (the sample roster three times) and their month's data, its sheet-protection
    password drawn, ready to be copied for each run."""
    ws, _ = init_workspace(tmp_path / "base")
    plan = ws.plan()
    sample = ws.roster(plan)
    people = [Employee(f"{e.id}{k}", e.name, e.department, plan.roles[e.role].name, None, None,
                       e.email.replace("@", f"{k}@"), e.manager_email) for k in "ABC" for e in sample]
    write_roster(ws.roster_path, people)
    rows = data_file(f"actuals-{MONTH}.csv").read_text(encoding="utf-8").splitlines()
    (ws.root / "data.csv").write_text("\n".join([rows[0]] + [r.replace(r[:4], r[:4] + k, 1) for k in "ABC"
                                                             for r in rows[1:]]), encoding="utf-8")
    open_store(ws.root).protect_password()
    return ws.root


def month_of(base, tmp_path, jobs: int, capsys) -> tuple[dict[str, bytes], str, str]:
    """The month run with ``jobs`` workers: every file of the month folder, and what score --json and
    rollup --json printed."""
    root = tmp_path / f"jobs{jobs}"
    shutil.copytree(base, root)
    args = ["--month", MONTH, "--dir", str(root), "--jobs", str(jobs)]
    assert main(["generate", *args]) == 0
    assert main(["import", str(root / "data.csv"), *args]) == 0
    capsys.readouterr()
    assert main(["score", *args, "--json"]) == 0
    scores = capsys.readouterr().out
    assert main(["rollup", *args, "--json"]) == 0
    payroll = capsys.readouterr().out
    files = {p.name: p.read_bytes() for p in sorted(Workspace(root).month_dir(MONTH).iterdir())}
    return files, scores, payroll


def test_two_workers_give_the_same_bytes_as_one(base, tmp_path, capsys):
    one = month_of(base, tmp_path, 1, capsys)
    two = month_of(base, tmp_path, 2, capsys)
    assert len(one[0]) == 36 + 1  # the workbooks and the payroll summary
    assert one[0].keys() == two[0].keys()
    for name in one[0]:
        assert one[0][name] == two[0][name], name
    assert one[1] == two[1] and one[2] == two[2]
    assert '"score"' in one[1] and '"total_pay"' in one[2]
    for command in (["review", "--period", "2026-Q4"], ["report", "--month", MONTH]):  # they roll months up too
        said = []
        for jobs in ("1", "2"):
            assert main([*command, "--json", "--dir", str(tmp_path / "jobs1"), "--jobs", jobs]) == 0
            said.append(capsys.readouterr().out)
        assert said[0] == said[1] and len(said[0]) > 1000


def test_chunks_keep_the_order_and_cover_everything():
    items = list(range(103))
    parts = parallel.chunks(items, 2)
    assert [x for p in parts for x in p] == items and len(parts) == 8
    assert parallel.chunks([], 4) == [] and parallel.chunks([1], 4) == [[1]]


def _square(shared, part):
    return [x * x for x in part]


def _dies_on_13(shared, part):
    if 13 in part:
        os._exit(3)  # a worker killed mid-month (out of memory, say)
    return part


def test_results_come_back_in_order_with_progress():
    seen = []
    parts = parallel.chunks(list(range(40)), 2)
    out = parallel.run(_square, parts, 2, progress=seen.append)
    assert [x for p in out for x in p] == [x * x for x in range(40)]
    assert sum(seen) == 40


def test_a_dying_worker_is_reported_with_its_employees_not_a_hang():
    people = [Employee(f"E{i:03d}", f"员工{i}", "部", "ops", None, None, "", "") for i in range(40)]
    parts = parallel.chunks(list(range(40)), 2)
    with pytest.raises(KpiError) as caught:
        list(parallel.run(_dies_on_13, parts, 2, label=lambda part: parallel.employees([people[i] for i in part])))
    (problem,) = caught.value.problems
    assert problem.type == "worker_died" and "--jobs 1" in problem.message
    held = next(p for p in parts if 13 in p)
    assert f"E{held[0]:03d}–E{held[-1]:03d}" in problem.message


def test_what_finished_before_a_worker_died_still_comes_back_in_order():
    parts = parallel.chunks(list(range(40)), 2)
    got = []
    with pytest.raises(KpiError) as caught:
        for result in parallel.run(_dies_on_13, parts, 2, label=lambda part: f"<{part[0]}>"):
            got.append(result)
    assert got == sorted(got) and all(13 not in part for part in got)
    message = caught.value.problems[0].message
    assert all(f"<{part[0]}>" in message for part in parts if part not in got)  # the rest is named, nothing dropped


def test_parts_stay_small_whatever_the_roster():
    parts = parallel.chunks(list(range(100_000)), 2)
    assert max(len(p) for p in parts) <= parallel.MAX_CHUNK and sum(map(len, parts)) == 100_000
