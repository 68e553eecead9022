"""Roll up 10,000 generated and filled workbooks: workbooks per second for
xl_kpi's roll-up against an openpyxl-based reader in the same run, and the
roll-up's peak memory (measured in a child process that does only the roll-up).

    python bench/rollup.py [N]
"""
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baseline import openpyxl_read

from xl_kpi.month.imports.actuals import apply_rows, read_actuals
from xl_kpi.month.generator import Generator
from xl_kpi.month.score import slot_values
from xl_kpi.workspace.roster import Employee, write_roster
from xl_kpi.workspace import SAMPLE_MONTH, data_file, init_workspace, Workspace

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--child" else 10_000


def build(root: Path, n: int) -> None:
    """A workspace of n employees (the sample's roles and inputs, repeated), every workbook filled."""
    ws, _ = init_workspace(root)
    plan = ws.plan()
    sample = ws.roster(plan)
    rows, _ = read_actuals(data_file(f"actuals-{SAMPLE_MONTH}.csv"), plan, sample)
    inputs: dict = {}
    apply_rows(rows, inputs)
    staff = []
    for i in range(n):
        src = sample[i % len(sample)]
        staff.append(Employee(f"B{i:05d}", f"员工{i}", src.department, src.role, None, None, "", ""))
    write_roster(ws.roster_path, [Employee(e.id, e.name, e.department, plan.roles[e.role].name, None, None, "", "")
                                  for e in staff])
    gen = Generator(ws, plan, SAMPLE_MONTH, "native")
    for i, e in enumerate(staff):
        x = inputs[sample[i % len(sample)].id]
        gen.write(e, extra=slot_values(x))


def child(root: Path) -> None:
    from xl_kpi.payroll.rollup import rollup

    ws = Workspace(root)
    plan = ws.plan()
    roster = ws.roster(plan)
    t0 = time.perf_counter()
    result = rollup(ws, plan, roster, SAMPLE_MONTH)
    elapsed = time.perf_counter() - t0
    assert not result.all_problems, result.all_problems[:3]
    print(len(roster) / elapsed)


def main():
    if sys.argv[1:2] == ["--child"]:
        child(Path(sys.argv[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        t0 = time.perf_counter()
        build(root, N)
        print(f"built {N} filled workbooks in {time.perf_counter() - t0:.1f} s")
        done = subprocess.run([sys.executable, __file__, "--child", str(root)], capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr)
        ours = float(done.stdout.strip().splitlines()[-1])
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        files = sorted((root / "workbooks" / SAMPLE_MONTH).glob("B*.xlsx"))[: max(20, N // 50)]
        t0 = time.perf_counter()
        for p in files:
            openpyxl_read(p)
        base = len(files) / (time.perf_counter() - t0)
    print(f"xl_kpi rollup:    {ours:8.1f} workbooks/s ({N} workbooks: read, scored, checked, ranked)")
    print(f"openpyxl reader:  {base:8.1f} workbooks/s ({len(files)} workbooks, read only)")
    print(f"ratio: {ours / base:.1f}x (target >= 10x)")
    print(f"peak memory of the roll-up: {peak_mb:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
