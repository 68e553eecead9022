"""A workspace: the folder HR works in (plan.yaml, roster.xlsx, workbooks/)."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .core.errors import KpiError, Problem
from .core.plan import Plan, load_plan_text, plan_warnings
from .roster import Employee, load_roster

PLAN, ROSTER, WORKBOOKS, MAIL = "plan.yaml", "roster.xlsx", "workbooks", "mail.yaml"
SAMPLE_MONTH = "2026-10"


def data_file(name: str) -> Path:
    """A file shipped in the package's data folder."""
    return Path(str(resources.files("xl_kpi") / "data" / name))


def read_plan(path: Path) -> Plan:
    return load_plan_text(_plan_text(path), str(path))


def _plan_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise KpiError([Problem("file_missing", "找不到方案文件 / plan file not found", file=str(path))]) from None
    except UnicodeDecodeError as exc:
        raise KpiError([Problem("encoding", f"方案文件须为UTF-8编码 / the plan must be UTF-8 ({exc.reason})",
                                file=str(path))]) from None


def builtin_plan() -> Plan:
    return read_plan(data_file(PLAN))


def inside(root: Path, *parts: str) -> Path:
    """``root/parts``, proven to stay inside ``root``: every path xl_kpi writes is built here, so no name
    from a roster, plan or import (``../``, an absolute path, a link) can lead out of the workspace."""
    path = Path(root).joinpath(*parts)
    if not path.resolve().is_relative_to(Path(root).resolve()):
        raise KpiError([Problem("path_outside", f"路径会离开工作区, 已拒绝 / the path leads out of the workspace: "
                                f"{'/'.join(parts)}", file=str(root))])
    return path


@dataclass
class Workspace:
    root: Path

    @property
    def plan_path(self) -> Path:
        return self.root / PLAN

    @property
    def roster_path(self) -> Path:
        return self.root / ROSTER

    @property
    def workbooks(self) -> Path:
        return self.root / WORKBOOKS

    def month_dir(self, month: str) -> Path:
        return inside(self.root, WORKBOOKS, month)

    def plan(self) -> Plan:
        return read_plan(self.plan_path)

    def plan_warnings(self) -> list[Problem]:
        """What in plan.yaml is possible but probably not meant, with its line."""
        return plan_warnings(_plan_text(self.plan_path), str(self.plan_path))

    def roster(self, plan: Plan) -> list[Employee]:
        return load_roster(self.roster_path, plan)


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
    from .plan_reference import render  # the plan reference plan.yaml points to, always this version's

    (ws.root / PLAN_REFERENCE).write_text(render(), encoding="utf-8")
    return ws, kept


# --------------------------------------------------------------------------- the examples


def _examples_root() -> Path:
    """The example plans that ship with xl_kpi: the package's copy, or the repository's examples/."""
    try:
        return Path(str(resources.files("xl_kpi.examples")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "examples"


@dataclass
class Example:
    name: str
    title: str
    summary: str
    months: list[str]
    review: str | None


def examples() -> dict[str, Example]:
    """Every example, by folder name."""
    import yaml

    out = {}
    for manifest in sorted(_examples_root().glob("*/example.yaml")):
        meta = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        out[manifest.parent.name] = Example(manifest.parent.name, meta["title"], meta["summary"],
                                            [str(m) for m in meta["months"]], meta.get("review"))
    return out


def example_dir(name: str) -> Path:
    known = examples()
    if name not in known:
        listed = "、".join(f"{n}（{e.title}）" for n, e in known.items())
        raise KpiError([Problem("example_unknown", f"没有名为“{name}”的示例；可选：{listed} / no example named “{name}”; "
                                f"there are: {', '.join(known)}")])
    return _examples_root() / name


def example_steps(name: str, workspace: Path) -> list[str]:
    """The commands that run an example's months and review, in order."""
    ex = examples()[name]
    steps = []
    for month in ex.months:
        steps.append(f"xl-kpi generate --month {month}")
        steps += [f"xl-kpi import data/{month}/{f.name} --month {month}"
                  for f in sorted((workspace / "data" / month).glob("*.csv"))]
        steps.append(f"xl-kpi rollup --month {month}")
    if ex.review:
        steps.append(f"xl-kpi review --period {ex.review}")
    return steps


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
