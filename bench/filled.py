"""A workspace of n employees filled as a month fills them: the sample's roles, and the sample's export
imported for all of them (so HR's record holds the raters' ratings, as after a real import)."""
import csv
from pathlib import Path

from xl_kpi.month.imports import import_file
from xl_kpi.workspace import SAMPLE_MONTH, data_file, init_workspace
from xl_kpi.workspace.roster import Employee, write_roster


def build_filled(root: Path, n: int) -> list[Employee]:
    """A workspace of n employees (the sample's roles and inputs, repeated), every workbook made by importing
    the sample's export for all of them, as HR does (the raters' ratings in it become HR's record)."""
    ws, _ = init_workspace(root)
    plan = ws.plan()
    sample = ws.roster(plan)
    staff = []
    for i in range(n):
        src = sample[i % len(sample)]
        staff.append(Employee(f"B{i:05d}", f"员工{i}", src.department, src.role, None, None, "", ""))
    write_roster(ws.roster_path, [Employee(e.id, e.name, e.department, plan.roles[e.role].name, None, None, "", "")
                                  for e in staff])
    with open(data_file(f"actuals-{SAMPLE_MONTH}.csv"), encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    export = root / f"actuals-{SAMPLE_MONTH}.csv"
    with open(export, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        for i, e in enumerate(staff):
            out.writerows([e.id, *r[1:]] for r in rows if r[0] == sample[i % len(sample)].id)
    report = import_file(ws, plan, ws.roster(plan), export, SAMPLE_MONTH, jobs=2)
    assert not report.generate.problems, report.generate.problems[:3]
    return staff
