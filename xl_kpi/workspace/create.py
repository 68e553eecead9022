"""``xl-kpi init``: a new workspace from the built-in plan and sample roster, or from an example."""
from __future__ import annotations

import shutil
from pathlib import Path

from .examples import example_dir
from .folder import MAIL, PLAN, ROSTER, Workspace, data_file

PLAN_REFERENCE = "plan.md"


def init_workspace(root: Path, example: str | None = None) -> tuple[Workspace, list[str]]:
    """Create a workspace from the built-in plan and sample roster, or from one of the examples (its plan,
    roster and months of data under ``data/``); existing files are kept."""
    ws = Workspace(Path(root))
    ws.workbooks.mkdir(parents=True, exist_ok=True)
    source = example_dir(example) if example else None
    kept = []
    for name in (PLAN, ROSTER, MAIL):
        dest = ws.root / name
        if dest.exists():
            kept.append(name)
        elif source is not None and name == ROSTER:
            _roster_from_csv(source / "roster.csv", dest)
        else:
            shutil.copyfile(source / name if source is not None and name == PLAN else data_file(name), dest)
    if source is not None:
        for f in sorted((source / "data").rglob("*.csv")):
            dest = ws.root / "data" / f.relative_to(source / "data")
            if dest.exists():
                kept.append(str(dest.relative_to(ws.root)))
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest)
    from .plan_reference import (
        render,  # the plan reference plan.yaml points to, always this version's
    )

    (ws.root / PLAN_REFERENCE).write_text(render(), encoding="utf-8")
    return ws, kept


MONEY_COLUMNS = ("责任底薪", "绩效工资基数")


def _roster_from_csv(src: Path, dest: Path) -> None:
    """An example's roster.csv as the roster.xlsx HR keeps (pay figures as numbers, everything else as text)."""
    import csv

    from openpyxl import Workbook

    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    wb = Workbook()
    sheet = wb.active
    sheet.title = "花名册"
    money = [i for i, h in enumerate(rows[0]) if h in MONEY_COLUMNS]
    for row in rows:
        sheet.append([float(v) if i in money and v and row is not rows[0] else v or None for i, v in enumerate(row)])
    sheet.freeze_panes = "A2"
    wb.save(dest)
