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
from filled import build_filled

from xl_kpi.workspace import SAMPLE_MONTH, Workspace

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] != "--child" else 10_000


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
        build_filled(root, N)
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
