"""Generate 1,000 workbooks: xl_kpi (template once, derive per employee) vs a plain
openpyxl from-scratch baseline, in the same run.

    python bench/generate.py [N]
"""
import sys
import tempfile
import time
from pathlib import Path

from xl_kpi.month.generator import Generator
from xl_kpi.workspace.roster import Employee
from xl_kpi.workbook.layout import build_role_template
from xl_kpi.workspace import init_workspace

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
MONTH = "2026-10"


def people(plan, n):
    roles = list(plan.roles)
    return [Employee(f"B{i:05d}", f"员工{i}", plan.department, roles[i % len(roles)], None, None,
                     f"u{i}@example.com", "m@example.com") for i in range(n)]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        ws, _ = init_workspace(Path(tmp) / "ws")
        plan = ws.plan()
        staff = people(plan, N)
        gen = Generator(ws, plan, MONTH, "native")
        t0 = time.perf_counter()
        for e in staff:
            gen.write(e)
        ours = N / (time.perf_counter() - t0)

        base_n = max(20, N // 10)  # the baseline is slow; time a tenth of the run
        out = Path(tmp) / "baseline"
        out.mkdir()
        t = gen.base_titles  # the words every template of the month is built with
        t0 = time.perf_counter()
        for e in staff[:base_n]:
            build_role_template(plan, e.role, MONTH, "native", t).workbook.save(out / f"{e.id}.xlsx")
        base = base_n / (time.perf_counter() - t0)
    print(f"xl_kpi generate:       {ours:8.1f} workbooks/s ({N} workbooks)")
    print(f"openpyxl from scratch: {base:8.1f} workbooks/s ({base_n} workbooks)")
    print(f"ratio: {ours / base:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
