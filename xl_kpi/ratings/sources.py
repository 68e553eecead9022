"""Where returned files come from: a folder of saved attachments, ``.eml`` files (what Outlook and Foxmail
save), or messages fetched from a mailbox (mail/imap.py hands them over as raw bytes). Each attachment is an
Incoming: its name, its bytes, who sent it and when."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

MAX_FILE = 64 * 1024 * 1024  # a returned form or workbook is well under 1 MB; beyond this it is not read
RETURNED = (".xlsx", ".xlsm", ".xls", ".csv", ".zip")  # what people attach when they mean to return a form


@dataclass
class Incoming:
    name: str  # the attachment's or the file's name
    data: bytes
    sender: str = ""  # the mail's From address ('' from a folder)
    received: str = ""  # when it arrived, ISO
    origin: str = ""  # where it was found: a file, or a message and its attachment

    @property
    def where(self) -> str:
        return self.origin or self.name


def from_folder(folder: Path) -> Iterator[Incoming | tuple[str, str]]:
    """Every returned file in the folder and below: attachments saved as files, and the attachments of every
    .eml file. What cannot be read is yielded as (where, why), never skipped in silence."""
    for path in sorted(Path(folder).rglob("*")):
        if path.is_symlink() or not path.is_file():
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                yield str(path), "不是普通文件（链接或管道），未读取 / not a regular file: not read"
            continue
        if path.suffix.lower() not in RETURNED + (".eml",) or path.name.startswith(("~$", ".")):
            continue
        if path.stat().st_size > MAX_FILE:
            yield str(path), f"文件超过{MAX_FILE // 1024 // 1024}MB，未读取 / over {MAX_FILE // 1024 // 1024} MB: not read"
            continue
        data = path.read_bytes()
        when = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat(timespec="seconds")
        if path.suffix.lower() == ".eml":
            yield from from_message(data, str(path))
        else:
            yield Incoming(path.name, data, received=when, origin=str(path))


def from_message(raw: bytes, where: str, report_empty: bool = True) -> Iterator[Incoming | tuple[str, str]]:
    """The attachments of one mail (and of mails forwarded inside it), with its sender and date; a mail with
    none is reported (``report_empty``: a saved .eml meant as a return, not any mail of a mailbox)."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        sender = email.utils.parseaddr(str(msg.get("From", "")))[1].lower()
        received = _date(msg.get("Date"))
    except Exception as exc:  # a mail the parser cannot take apart
        yield where, f"邮件无法解析：{exc} / the mail cannot be parsed"
        return
    found = False
    for part in msg.walk():
        if part.get_content_type() == "message/rfc822":
            continue  # walk() goes into the forwarded mail's own parts
        name = part.get_filename()
        if not name or part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if Path(name).suffix.lower() in RETURNED:
            found = True
            yield Incoming(os.path.basename(name), data, sender, received, f"{where}｜{name}")
    if not found and report_empty:
        yield where, "邮件中没有Excel附件 / the mail has no workbook attached"


def _date(value) -> str:
    try:
        return email.utils.parsedate_to_datetime(str(value)).isoformat(timespec="seconds") if value else ""
    except (TypeError, ValueError):
        return ""
