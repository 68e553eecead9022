"""Score 1,000 filled workbooks: xl_kpi (calamine + defined names) vs an openpyxl
reader baseline that reads the same inputs, in the same run.

    python bench/score.py [N]
"""
import sys
import tempfile
import time
from pathlib import Path

from baseline import openpyxl_read

from filled import build_filled

from xl_kpi.month.generator import Generator
from xl_kpi.month.score import score_file
from xl_kpi.workspace import SAMPLE_MONTH, Workspace

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        staff = build_filled(root, N)
        ws = Workspace(root)
        plan = ws.plan()
        gen = Generator(ws, plan, SAMPLE_MONTH, "native")  # scored against HR's record, as score does
        paths = [ws.month_dir(SAMPLE_MONTH) / f"{e.file_stem}.xlsx" for e in staff]

        t0 = time.perf_counter()
        scored = [score_file(p, plan, e, SAMPLE_MONTH, gen) for p, e in zip(paths, staff)]
        ours = N / (time.perf_counter() - t0)
        assert all(s.card.score is not None for s in scored), [s.problems[:2] for s in scored][:2]

        base_n = max(20, N // 10)
        t0 = time.perf_counter()
        for p in paths[:base_n]:
            openpyxl_read(p)
        base = base_n / (time.perf_counter() - t0)
    print(f"xl_kpi score:      {ours:8.1f} workbooks/s ({N} workbooks, read and scored)")
    print(f"openpyxl reader:   {base:8.1f} workbooks/s ({base_n} workbooks, read only)")
    print(f"ratio: {ours / base:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
