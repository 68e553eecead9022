"""Digests of everything the demo month writes, through the CLI only, so two versions of the code can be
compared (a refactoring must leave them equal byte for byte):

    python tools/demo_digest.py OUT.txt [WORKDIR]

Every workbook, payroll summary and report of the demo (and a team report, a quarter's review, a month
generated in UDF mode and the add-in file), ``score --json`` and ``rollup --json`` of its
last month, and each message of the mail dry run (its text parts and attachments: the headers hold the
time and a random Message-ID, so they are left out). The workspace's sheet-protection password is fixed
before the demo runs (it is drawn at random otherwise), so two runs give the same bytes.
"""
from __future__ import annotations

import email
import hashlib
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MONTH = "2026-10"
PASSWORD = "demo-digest-password"


def xl_kpi(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "xl_kpi.cli", *args], capture_output=True, text=True, cwd=cwd)
    if done.returncode not in (0, 2):
        raise SystemExit(f"xl-kpi {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parts_digest(path: Path) -> str:
    """The zip's parts but the time of saving (docProps/core.xml): for a file written without stable bytes."""
    with zipfile.ZipFile(path) as z:
        return digest(b"".join(n.encode() + z.read(n) for n in sorted(z.namelist()) if n != "docProps/core.xml"))


def main(out: Path, work: Path) -> None:
    ws = work / "ws"
    xl_kpi("init", str(ws))
    xl_kpi("check", "--dir", str(ws))  # creates HR's record
    with sqlite3.connect(ws / "xl_kpi.db") as db:
        db.execute("INSERT OR REPLACE INTO settings VALUES ('protect_password', ?)", (PASSWORD,))
    xl_kpi("demo", str(ws))
    # beyond the demo: a team's report, a quarter's review, a month in UDF mode, the add-in file
    xl_kpi("report", "--month", MONTH, "--team", "E001", "--jobs", "1", "--dir", str(ws))
    xl_kpi("review", "--period", "2026-Q3", "--jobs", "1", "--dir", str(ws))
    xl_kpi("generate", "--month", "2026-11", "--formulas", "udf", "--jobs", "1", "--dir", str(ws))
    xl_kpi("addin", "build", "--out", str(ws / "workbooks"))
    lines = []
    for path in sorted(p for p in (ws / "workbooks").rglob("*") if p.suffix in (".xlsx", ".xlam")):
        lines.append(f"{digest(path.read_bytes())}  {path.relative_to(ws)}")
        lines.append(f"{parts_digest(path)}  {path.relative_to(ws)} parts")
    for command in ("score", "rollup"):
        text = xl_kpi(command, "--month", MONTH, "--json", "--jobs", "1", "--dir", str(ws))
        lines.append(f"{digest(text.encode())}  {command} --json")
    for eml in sorted((ws / "outbox").glob("*.eml")):
        msg = email.message_from_bytes(eml.read_bytes())
        lines.append(f"{digest(str(msg['Subject']).encode())}  {eml.name} subject")
        for i, part in enumerate(msg.walk()):
            if part.is_multipart():
                continue
            name = part.get_filename() or part.get_content_type()
            lines.append(f"{digest(part.get_payload(decode=True))}  {eml.name} part {i} {name}")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} digests → {out}")


if __name__ == "__main__":
    target = Path(sys.argv[1])
    if len(sys.argv) > 2:
        main(target, Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(target, Path(tmp))
