"""What an import kind is, and what every kind is handed: one object per kind of file HR imports (its columns
in Chinese and English, how it is recognised from the header, and ``run``: reading, checking, recording in
HR's record and writing the workbooks)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ...core.plan import Plan
from ...workspace import Workspace
from ...workspace.roster import Employee
from ..generator import GenerateReport
from .table import Source


@dataclass
class ImportReport:
    rows: int = 0
    employees: int = 0
    skipped: list = field(default_factory=list)
    generate: GenerateReport = field(default_factory=GenerateReport)


@dataclass
class ImportJob:
    """One import as every kind sees it: the workspace, plan, roster and month, the file, how to write
    workbooks that do not exist yet, and the workspace's mapping.yaml (headers and metric names renamed)."""
    ws: Workspace
    plan: Plan
    roster: list[Employee]
    file: Path
    month: str
    mode: str = "native"
    skip_bad: bool = False
    jobs: int = 1
    progress: Callable | None = None
    columns: dict[str, str] = field(default_factory=dict)  # mapping.yaml: a platform's header → ours
    metrics: dict[str, str] = field(default_factory=dict)  # mapping.yaml: a platform's metric name → ours


@dataclass(frozen=True)
class ImportKind:
    name: str  # as HR reads it in messages: 数据（长表）, 加减分, …
    columns: dict[str, str]  # header (Chinese or English) → field
    shown: str  # the columns as a message lists them: 工号, 指标, 数值[, 周, 类型]
    recognise: Callable[[Source, ImportJob], bool]
    run: Callable[[ImportJob, Source], ImportReport]


def has(source: Source, columns: dict[str, str], *fields: str) -> bool:
    """Whether the header holds a column for each of these fields."""
    found = source.fields(columns)
    return all(f in found for f in fields)
