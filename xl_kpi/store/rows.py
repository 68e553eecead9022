"""What the record's tables give back, and the helpers every table shares."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator


def stamp() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Generated:
    employee: str
    role: str
    mode: str
    file: str
    formulas: str  # the fingerprint of the formulas it was written with (m1:…, a formula set of the record)
    version: str = ""  # the release that wrote it
    plan: str = ""  # the meaning of the plan it was written from


@dataclass(frozen=True)
class Imported:
    value: float
    source: str
    line: int | None


@dataclass(frozen=True)
class CloseRecord:
    id: int
    month: str
    state: str
    plan_hash: str
    workbooks: dict
    payroll: list
    accepted: list
    user: str
    at: str
    note: str


def batches(ids: list[str], size: int = 500) -> Iterator[tuple[list[str], str]]:
    """The employees in batches below SQLite's parameter limit, each with its ``employee IN (?, …)``."""
    for i in range(0, len(ids), size):
        part = ids[i:i + size]
        yield part, f"employee IN ({', '.join('?' * len(part))})"
