"""Returned forms and workbooks from the mailbox (stdlib imaplib): the folder opened read-only, only the
messages since the round's forms went out, each fetched without marking it read; nothing is ever deleted
or moved."""
from __future__ import annotations

import datetime as dt
import imaplib
import socket
import ssl
from typing import Iterator

from ..core.errors import KpiError, Problem
from ..ratings.sources import Incoming, from_message
from .config import MailConfig, imap_password


def _connect(config: MailConfig) -> imaplib.IMAP4:
    c = config.imap
    context = ssl.create_default_context(cafile=c.ca_file or None)  # certificates are always verified
    if c.security == "ssl":
        return imaplib.IMAP4_SSL(c.host, c.port, ssl_context=context, timeout=c.timeout)
    conn = imaplib.IMAP4(c.host, c.port, timeout=c.timeout)
    if c.security == "starttls":
        conn.starttls(ssl_context=context)
    return conn


def fetch(config: MailConfig, since: dt.date) -> Iterator[Incoming | tuple[str, str]]:
    """Every attachment of the messages in the configured folder since ``since`` (what collect takes)."""
    c = config.imap
    if not c.host or not c.username:
        raise KpiError([Problem("imap_missing", "mail.yaml 中没有收件服务器（imap: host、username） / no imap host or user in "
                                "mail.yaml", file="mail.yaml")])
    password = imap_password(config)
    if not password:
        raise KpiError([Problem("imap_password", "没有收件邮箱的密码：请设置环境变量 XL_KPI_IMAP_PASSWORD，或用系统钥匙串保存 "
                                f"（服务名 xl_kpi，用户名 {c.username}） / no mailbox password: set XL_KPI_IMAP_PASSWORD "
                                "or keep it in the system keyring")])
    try:
        conn = _connect(config)
    except (OSError, socket.timeout, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise KpiError([Problem("imap_unreachable", f"无法连接收件服务器 {c.host}:{c.port}（{exc}） / cannot reach the "
                                "mailbox server")]) from None
    try:
        try:
            conn.login(c.username, password)
        except imaplib.IMAP4.error as exc:
            raise KpiError([Problem("imap_login", f"收件服务器拒绝了登录（{exc}）；请检查用户名与密码（或授权码） / the "
                                    "mailbox refused the login")]) from None
        typ, _ = conn.select(_quoted(c.folder), readonly=True)  # read-only: no flag is set, nothing is expunged
        if typ != "OK":
            raise KpiError([Problem("imap_folder", f"收件箱中没有文件夹“{c.folder}” / no folder {c.folder}")])
        typ, found = conn.search(None, "SINCE", since.strftime("%d-%b-%Y"))
        for number in (found[0].split() if typ == "OK" and found and found[0] else []):
            typ, parts = conn.fetch(number, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
            where = f"{c.username}@{c.host}/{c.folder}#{number.decode()}"
            if typ != "OK" or raw is None:
                yield where, "邮件无法读取 / the message cannot be fetched"
                continue
            yield from from_message(raw, where, report_empty=False)
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
