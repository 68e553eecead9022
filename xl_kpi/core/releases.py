"""The releases of xl_kpi, oldest first, and what each one wrote: how a workspace made by an earlier one
is recognised and brought up to this one (month/upgrade.py). Each release that changes what is written
(workbooks, xl_kpi.db, plan keys, mail) is added here, with its line in CHANGELOG.md."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Release:
    version: str
    date: str  # YYYY-MM-DD
    schema: int  # xl_kpi.db's schema (PRAGMA user_version); 0: the release kept no database
    workbook_version: bool  # its workbooks say which version wrote them (the hidden sheet's meta_version)
    pay_changes: tuple[str, ...] = ()  # what it pays differently for the same inputs, as HR reads it


RELEASES = (
    Release("0.1.0", "2026-11-26", 0, False),
    Release("0.2.0", "2026-11-27", 4, False, (
        "比较与取整按表格软件的15位有效数字（如75.00000000000001按75计，档位边界与周合计随之不同）",
        "计数指标只接受整数，带小数的实际值不再得分",
        "季度指标的基准取上季度实际值，一票否决计入年度重大差错",
        "加减分以人力资源部导入的记录为准，工作簿中填写的人力资源部项目不再计入",
    )),
    Release("0.3.0", "2026-12-02", 6, True),
    Release("0.3.1", "2026-12-02", 6, True),
)
CURRENT = RELEASES[-1]


def key(version: str) -> tuple[int, ...]:
    """A version as a tuple that sorts as releases follow each other (0.10.0 after 0.9.0)."""
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def by_version(version: str) -> Release | None:
    return next((r for r in RELEASES if r.version == version), None)


def pay_changes_since(version: str) -> list[tuple[str, str]]:
    """(release, change) of every release after ``version`` that pays differently for the same inputs."""
    return [(r.version, c) for r in RELEASES if key(r.version) > key(version) for c in r.pay_changes]
