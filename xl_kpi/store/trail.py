"""What each command changed, appended to the audit trail (store/audit.py keeps it append-only):
the values HR's record holds before and after an import, the workbooks a command wrote, each mail."""
from __future__ import annotations

from pathlib import Path

from .audit import file_digest
from .db import Store

Snapshot = tuple[int, dict[str, list[tuple]]]


def snapshot(store: Store, month: str) -> Snapshot:
    """HR's record of a month as it stands: the last imported value's id (imports are only ever added), and
    each employee's 加减分 rows."""
    adjustments = {e: [(item, count, chosen) for item, count, chosen, *_ in rows]
                   for e, rows in store.adjustments(month).items()}
    return store.last_import(), adjustments


def record_import(store: Store, month: str, before: Snapshot, file: Path, workbooks: dict[str, Path]) -> None:
    """One entry per value the import changed in HR's record (a 加减分 row set as a whole), with the hash of
    the employee's workbook after it; streamed, so a file of millions of values is never held at once."""
    after = snapshot(store, month)
    digests: dict[str, str] = {}

    def digest(emp: str) -> str:  # each workbook hashed once, however many of its values changed
        if emp not in digests:
            digests.clear()  # changes come by employee: one hash kept at a time
            digests[emp] = file_digest(workbooks[emp]) if emp in workbooks else ""
        return digests[emp]

    def rows():
        for emp, slot, old, new in store.import_changes(month, before[0]):
            yield month, emp, slot, old, new, digest(emp)
        for emp in sorted(set(after[1]) | set(before[1])):
            old, new = before[1].get(emp, []), after[1].get(emp, [])
            if old != new:
                yield month, emp, "加减分", _rows(old), _rows(new), digest(emp)

    store.audit(f"import {Path(file).name}", rows())


def _rows(rows: list[tuple]) -> str:
    return "；".join(f"{item}×{'' if count is None else f'{count:g}'}{'' if chosen is None else f'（{chosen:g}分）'}"
                    for item, count, chosen in rows)


def record_written(store: Store, command: str, month: str, written: dict[str, Path]) -> None:
    """A workbook (re)written for each employee: its hash after."""
    store.audit(command, [(month, emp, "工作簿", "", path.name, file_digest(path)) for emp, path in written.items()])
