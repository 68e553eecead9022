"""A workspace: the folder HR works in (plan.yaml, roster.xlsx, workbooks/)."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..core.errors import KpiError, Problem
from ..core.plan import Plan
from ..core.plan_load import load_plan_text, plan_warnings
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
        raise KpiError([Problem("path_outside", f"路径会离开工作区，已拒绝 / the path leads out of the workspace: "
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
