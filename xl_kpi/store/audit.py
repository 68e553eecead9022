"""The audit trail: one append-only table of every change a command made (who, when, which month,
employee and field, the value before and after, the file's hash after). Each entry carries the hash of
the one before it and its own, so an entry altered or removed breaks the chain, and the chain's head
kept in the settings catches the last entries cut off."""
from __future__ import annotations

import getpass
import hashlib
import itertools
import json
import sqlite3
from dataclasses import dataclass
from typing import Iterable

from .. import __version__
from .rows import stamp

FIELDS = ("at", "user", "command", "month", "employee", "field", "before", "after", "file_hash")
COLUMNS = ("id", *FIELDS, "prev_hash", "hash", "version")
GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    user: str
    command: str
    month: str
    employee: str
    field: str
    before: str
    after: str
    file_hash: str
    prev_hash: str
    hash: str
    version: str = ""  # the release that wrote it (entries of releases before 0.3.0 have none)


def os_user() -> str:
    """Who ran the command, as the operating system knows them."""
    try:
        return getpass.getuser()
    except Exception:  # no login name (a service account without one)
        return "unknown"


def entry_hash(prev: str, values: dict) -> str:
    """The entry's own hash, over the one before and its fields (and the release that wrote it, for the
    entries that say so: those of earlier releases keep the hash they were written with)."""
    fields = FIELDS + ("version",) if values.get("version") else FIELDS
    body = json.dumps([prev] + [values[f] for f in fields], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def text(value) -> str:
    """A value as the trail keeps it: numbers as written, nothing as an empty string."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def file_digest(path) -> str:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return ""


def broken(entries: list[Entry], head: tuple[int, str] | None) -> list[str]:
    """Why the trail cannot be trusted: an entry whose hash does not match its content (altered), whose
    link to the one before is broken (one removed or reordered), or a head the last entry does not match
    (entries cut off the end). Empty when the trail is whole."""
    out = []
    prev = GENESIS
    for e in entries:
        values = {f: getattr(e, f) for f in FIELDS + ("version",)}
        if e.prev_hash != prev:
            out.append(f"第{e.id}条之前的记录被删除或改动（链接不符） / the entry before #{e.id} was removed or changed")
        if entry_hash(e.prev_hash, values) != e.hash:
            out.append(f"第{e.id}条记录的内容被改动 / entry #{e.id} was altered")
        prev = e.hash
    if head is not None:
        last = (entries[-1].id, entries[-1].hash) if entries else (0, GENESIS)
        if tuple(head) != last:
            out.append(f"审计记录的最后{'几' if entries else ''}条被删除（应以第{head[0]}条结尾） / entries after #{last[0]} "
                       f"were removed (the trail ended at #{head[0]})")
    return out


class AuditTable:
    """The append-only, hash-chained audit trail."""

    conn: sqlite3.Connection

    def audit(self, command: str, rows: Iterable[tuple], user: str | None = None) -> None:
        """Append (month, employee, field, before, after, file_hash) rows (a list or a stream), chained, in one
        transaction."""
        with self.conn:
            self.conn.execute("BEGIN IMMEDIATE")  # one writer extends the chain at a time
            self.append_audit(command, rows, user)

    def append_audit(self, command: str, rows: Iterable[tuple], user: str | None = None) -> None:
        """:meth:`audit` inside the caller's transaction."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return
        user = user or os_user()
        last = self.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        for month, employee, field_, before, after, file_hash in itertools.chain([first], rows):
            values = dict(at=stamp(), user=user, command=command, month=month, employee=employee, field=field_,
                          before=text(before), after=text(after), file_hash=file_hash, version=__version__)
            digest = entry_hash(prev, values)
            cur = self.conn.execute("INSERT INTO audit (at, user, command, month, employee, field, before, after, "
                                    "file_hash, prev_hash, hash, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    (*[values[f] for f in FIELDS], prev, digest, __version__))
            prev = digest
        self.conn.execute("INSERT INTO settings VALUES ('audit_head', ?) ON CONFLICT(key) DO UPDATE SET "
                          "value = excluded.value", (f"{cur.lastrowid}:{prev}",))

    def audit_entries(self, month: str | None = None, employee: str | None = None) -> list[Entry]:
        sql, args = f"SELECT {', '.join(COLUMNS)} FROM audit WHERE 1 = 1", []
        if month is not None:
            sql, args = sql + " AND month = ?", [month]
        if employee is not None:
            sql, args = sql + " AND employee = ?", args + [employee]
        return [Entry(*row) for row in self.conn.execute(sql + " ORDER BY id", args)]

    def audit_problems(self) -> list[str]:
        """Why the audit trail cannot be trusted (empty when it is whole)."""
        row = self.conn.execute("SELECT value FROM settings WHERE key = 'audit_head'").fetchone()
        head = None
        if row:
            number, _, digest = str(row[0]).partition(":")
            if not number.isdigit() or len(digest) != 64:
                return [f"审计记录的链头“{str(row[0])[:40]}”格式不对（应为 编号:哈希），已被改动 / the trail's head is "
                        f"not id:hash: it was altered"]
            head = (int(number), digest)
        return broken(self.audit_entries(), head)

    def audit_head(self) -> tuple[int, str]:
        """(id, hash) of the trail's last entry: what a close prints, to check the record against later."""
        last = self.conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return (last[0], last[1]) if last else (0, GENESIS)

    def verify_head(self, digest: str, whole: bool = True) -> str | None:
        """Why a head taken from paper or mail (a hash, or ``id:hash``) does not hold for this trail, or None
        when the trail holds that entry where the paper says (and, with ``whole``, is whole besides)."""
        number, _, value = digest.strip().rpartition(":")
        found = self.conn.execute("SELECT id FROM audit WHERE hash = ?", (value.lower(),)).fetchone()
        if found is None:
            return (f"审计记录中没有哈希为{value[:16]}…的条目：记录被整体改写或换成了更早的副本 / no entry has that hash: the "
                    f"record was rewritten or replaced by an older copy")
        if number and number.isdigit() and int(number) != found[0]:
            return f"该哈希在第{found[0]}条，纸面上为第{number}条 / that hash is entry #{found[0]}, not #{number}"
        broken_by = self.audit_problems() if whole else []
        return "；".join(broken_by) if broken_by else None
