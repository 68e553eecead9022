"""One whole month for N employees through the CLI, step by step: generate, import (one long CSV),
score --json and rollup, each timed end to end with its peak memory, beside the openpyxl baseline of
the same step measured in the same run on a sample of the workbooks. Writes bench/RESULTS.md.

    python bench/month.py 10000 [--jobs N] [--keep DIR]

The workspace repeats the built-in sample (its 12 people, roles and October data) N/12 times.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MONTH = "2026-10"
STEPS = ("generate", "import", "score", "rollup")
TARGET_RATE, TARGET_MB = 2000, 500
BASELINE_SAMPLE = 200


def build(root: Path, n: int) -> Path:
    """A workspace of n employees and the month's data export for all of them; returns the CSV."""
    from xl_kpi.workspace.roster import Employee, write_roster
    from xl_kpi.workspace import data_file, init_workspace

    ws, _ = init_workspace(root)
    plan = ws.plan()
    sample = ws.roster(plan)
    staff = [(f"B{i:06d}", sample[i % len(sample)]) for i in range(n)]
    write_roster(ws.roster_path, [Employee(eid, f"员工{eid[1:]}", src.department, plan.roles[src.role].name, None, None,
                                           f"{eid.lower()}@example.com", "lead@example.com") for eid, src in staff])
    with open(data_file(f"actuals-{MONTH}.csv"), encoding="utf-8") as f:
        rows = list(csv.reader(f))
    by_emp: dict[str, list] = {}
    for r in rows[1:]:
        by_emp.setdefault(r[0], []).append(r[1:])
    export = root / "export.csv"
    with open(export, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(rows[0])
        for eid, src in staff:
            w.writerows([eid, *r] for r in by_emp[src.id])
    return export


def child(argv: list[str]) -> None:
    """Run one CLI step in this process and report its time and peak memory (own and workers')."""
    from xl_kpi.cli import main

    t0 = time.perf_counter()
    with open(os.devnull, "w") as null:
        stdout, sys.stdout = sys.stdout, null
        try:
            code = main(argv)
        finally:
            sys.stdout = stdout
    seconds = time.perf_counter() - t0
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"code": code, "seconds": seconds, "rss_mb": own.ru_maxrss / 1024,
                      "worker_rss_mb": kids.ru_maxrss / 1024,
                      "cpu": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime}))


def step(name: str, root: Path, export: Path, jobs: int) -> dict:
    argv = {"generate": ["generate"], "import": ["import", str(export)], "score": ["score", "--json"],
            "rollup": ["rollup"]}[name] + ["--month", MONTH, "--dir", str(root), "--jobs", str(jobs)]
    done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline(name: str, root: Path, k: int) -> float:
    """openpyxl doing the same step for k workbooks: workbooks per second."""
    from openpyxl import load_workbook

    from baseline import openpyxl_read
    from xl_kpi.workbook.layout import build_role_template
    from xl_kpi.workbook.texts import titles
    from xl_kpi.workspace import Workspace

    ws = Workspace(root)
    plan = ws.plan()
    roster = ws.roster(plan)[:k]
    paths = [ws.month_dir(MONTH) / f"{e.file_stem}.xlsx" for e in roster]
    out = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    if name == "generate":  # a workbook built with openpyxl and saved, per employee
        from xl_kpi.month.generator import Generator

        for e in roster:
            t = titles(None, **Generator(ws, plan, MONTH)._ctx(e, e.role))
            build_role_template(plan, e.role, MONTH, "native", t).workbook.save(out / f"{e.id}.xlsx")
    elif name == "import":  # load, set the month's figures, save
        for p in paths:
            wb = load_workbook(p)
            for dn in list(wb.defined_names.values())[:20]:
                for sheet, coord in dn.destinations:
                    if dn.name.startswith("actual_"):
                        wb[sheet][coord.replace("$", "").split(":")[0]].value = 1
            wb.save(out / p.name)
    else:  # score and rollup read every named cell of every workbook
        for p in paths:
            openpyxl_read(p)
    rate = len(roster) / (time.perf_counter() - t0)
    shutil.rmtree(out, ignore_errors=True)
    return rate


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    sys.path.insert(0, str(HERE))
    from xl_kpi.system.parallel import default_jobs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=10_000)
    parser.add_argument("--jobs", type=int, default=default_jobs())
    parser.add_argument("--keep", help="build the workspace here and keep it")
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"), help="where the table goes (default: bench/RESULTS.md)")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp()) / "ws"
    t0 = time.perf_counter()
    export = build(root, args.n)
    print(f"workspace of {args.n} employees built in {time.perf_counter() - t0:.1f} s: {root}")
    rows = []
    for name in STEPS:
        got = step(name, root, export, args.jobs)
        base = baseline(name, root, min(args.n, BASELINE_SAMPLE))
        rate = args.n / got["seconds"]
        peak = max(got["rss_mb"], got["worker_rss_mb"])
        rows.append((name, got["seconds"], rate, 1000 * got["cpu"] / args.n, got["rss_mb"], got["worker_rss_mb"], base,
                     rate / base, rate >= TARGET_RATE, peak < TARGET_MB))
        print(f"{name:8} {got['seconds']:8.1f} s {rate:8.0f}/s  cpu {1000 * got['cpu'] / args.n:5.2f} ms/wb  "
              f"rss {got['rss_mb']:6.0f} MB (workers {got['worker_rss_mb']:4.0f})  openpyxl {base:6.0f}/s  "
              f"x{rate / base:5.1f}", flush=True)
    total = sum(r[1] for r in rows)
    print(f"whole month: {total:.1f} s for {args.n} employees ({args.n / total:.0f} employees/s over the four steps)")
    write_results(args, rows, total)
    if not args.keep:
        shutil.rmtree(root.parent, ignore_errors=True)


def write_results(args, rows: list, total: float) -> None:
    lines = [f"# One month for {args.n:,} employees", "",
             f"`python bench/month.py {args.n} --jobs {args.jobs}` on {platform.machine()} with {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, {dt.date.today().isoformat()}. Each step runs through the CLI "
             f"in its own process; the openpyxl baseline does the same step for {BASELINE_SAMPLE} of the workbooks in the "
             f"same run.", "",
             "| step | time | workbooks/s | CPU per workbook | peak memory (parent / largest worker) | openpyxl | × openpyxl | "
             f"{TARGET_RATE:,}/s | < {TARGET_MB} MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, sec, rate, cpu, rss, wrss, base, ratio, fast, small in rows:
        lines.append(f"| {name} | {sec:.1f} s | {rate:,.0f} | {cpu:.2f} ms | {rss:.0f} MB / {wrss:.0f} MB | {base:,.0f}/s | "
                     f"{ratio:.1f}× | {'met' if fast else f'{TARGET_RATE / rate:.1f}× short'} | {'met' if small else 'missed'} |")
    lines += ["", f"The four steps together: {total:.1f} s ({args.n / total:,.0f} employees a second).", ""]
    Path(args.results).write_text("\n".join(lines), encoding="utf-8")
    print(f"written: {args.results}")


if __name__ == "__main__":
    main()
