"""Sending the month's messages over SMTP: retries with back-off on temporary failures, a stop after the
server could not be reached several times in a row, and every attempt in the send log of HR's record, so a
second run sends only what has not gone out."""
from __future__ import annotations

import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from .config import MailConfig, smtp_password
from .messages import Mailing, Outgoing

STOP_AFTER = 3  # consecutive messages that could not reach the server: stop, and say how to resume


class SendLog:
    """Every attempt, in the workspace's record (xl_kpi.db), keyed by message: employee, kind and month.
    A key whose last attempt went out is not sent again."""

    def __init__(self, store, month: str):
        self.store, self.month = store, month
        self.sent: set[str] = store.sent(month)

    def record(self, out: Outgoing, status: str, error: str = "") -> None:
        self.store.record_send(self.month, out.key, out.kind, out.to, str(out.message["Subject"]), status, error)
        employee = out.key.split(":")[1] if out.kind in ("employee", "password", "form", "remind") else ""
        self.store.audit("send", [(self.month, employee, f"邮件：{out.message['Subject']}", "", status if not error else
                                   f"{status}：{error}", "")])
        if status == "sent":
            self.sent.add(out.key)


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    skipped_sent: list[str] = field(default_factory=list)  # already in the log
    failed: list[tuple[str, str]] = field(default_factory=list)
    stopped: bool = False  # the server could not be reached STOP_AFTER times in a row
    login_refused: str = ""  # the server refused the login: stopped at once (tries again could lock the account)

    @property
    def message(self) -> str:
        text = (f"已发送 {len(self.sent)} 封，此前已发送 {len(self.skipped_sent)} 封，失败 {len(self.failed)} 封 / "
                f"sent {len(self.sent)}, already sent {len(self.skipped_sent)}, failed {len(self.failed)}")
        if self.stopped:
            text += (f"\n连续{STOP_AFTER}封无法连接邮件服务器，已停止；恢复后再运行同一条 xl-kpi send 命令，只补发未发出的 / "
                     f"could not reach the mail server {STOP_AFTER} times in a row: stopped; run the same xl-kpi send "
                     f"again later, it sends only what has not gone out")
        if self.login_refused:
            text += (f"\n邮件服务器拒绝了登录（{self.login_refused}），已立即停止，没有再试（多次登录失败会锁定邮箱）。请检查 "
                     f"mail.yaml 的 smtp.username，并用 xl-kpi mail password 或环境变量 XL_KPI_SMTP_PASSWORD 设置正确的密码"
                     f"（或邮箱的授权码），再运行同一条 xl-kpi send 命令 / the server refused the login: stopped at once; "
                     f"fix the user name and password, then run the same xl-kpi send again")
        return text


class Connection:
    """One SMTP session, opened on first use and again after a failure."""

    def __init__(self, config: MailConfig, password: str | None):
        self.config, self.password, self.smtp = config, password, None

    def open(self):
        c = self.config.smtp
        # smtplib's own default context checks no certificate; this one checks the chain and the host name
        context = ssl.create_default_context(cafile=c.ca_file or None)
        if c.security == "ssl":
            smtp = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        if c.security == "starttls":
            smtp.starttls(context=context)
        if c.username and self.password:
            smtp.login(c.username, self.password)
        self.smtp = smtp

    def send(self, msg: EmailMessage):
        if self.smtp is None:
            self.open()
        refused = self.smtp.send_message(msg)
        if refused:  # some recipients refused: the message has not fully gone out
            raise smtplib.SMTPRecipientsRefused(refused)

    def reset(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
        self.smtp = None


def _temporary(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, ssl.SSLCertVerificationError):  # a certificate will not fix itself by waiting
        return False
    return isinstance(exc, (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError, OSError))


def send(mailing: Mailing, config: MailConfig, log: SendLog, resend: bool = False, progress=None,
         sleep=time.sleep) -> SendReport:
    report = SendReport()
    conn = Connection(config, smtp_password(config))
    unreachable = 0
    try:
        for out in mailing.messages:
            if out.key in log.sent and not resend:
                report.skipped_sent.append(out.key)
            else:
                outcome = _send_one(conn, out, config, log, report, sleep)
                if outcome == "login":
                    break
                unreachable = unreachable + 1 if outcome == "unreachable" else 0
                if unreachable >= STOP_AFTER:
                    report.stopped = True
                    break
            if progress:
                progress()
    finally:
        conn.reset()
    return report


def _unreachable(exc: Exception, opening: bool = False) -> bool:
    """The server was not reached at all (refused, timed out, no route), as opposed to an SMTP answer; while
    opening, a server that takes the connection and never greets (or drops it) counts as not reached too."""
    if opening and isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    return isinstance(exc, OSError) and not isinstance(exc, (smtplib.SMTPException, ssl.SSLError))


def _login_refused(exc: Exception) -> bool:
    """The server said no to who we are (535), or wants a login it did not get (530)."""
    return isinstance(exc, smtplib.SMTPAuthenticationError) or \
        isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 530


def _send_one(conn: Connection, out: Outgoing, config: MailConfig, log: SendLog, report: SendReport, sleep) -> str:
    """Send one message, retrying what may pass on its own (a 4xx answer, a dropped connection); "sent",
    "failed", "unreachable" (no answer at all: not retried, the next message tries again and three in a row
    stop the run) or "login" (a refused login: stop at once, or the account may be locked)."""
    delay = config.smtp.backoff
    for attempt in range(config.smtp.retries + 1):
        opening = conn.smtp is None
        try:
            conn.send(out.message)
            log.record(out, "sent")
            report.sent.append(out.key)
            return "sent"
        except Exception as exc:  # every SMTP or network failure is logged
            error = f"{type(exc).__name__}: {exc}"
            conn.reset()
            unreachable = _unreachable(exc, opening and not _login_refused(exc))
            if not _temporary(exc) or unreachable or attempt == config.smtp.retries:
                log.record(out, "failed", error)
                report.failed.append((out.key, error))
                if _login_refused(exc):
                    report.login_refused = error
                    return "login"
                return "unreachable" if unreachable else "failed"
            sleep(delay)
            delay *= 2
    return "failed"


def write_eml(mailing: Mailing, folder: Path) -> list[Path]:
    """--dry-run: every message as an .eml file instead of sending it."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, out in enumerate(mailing.messages, start=1):
        safe = re.sub(r"[^\w.@-]+", "_", out.to[0])
        path = folder / f"{i:03d}-{out.kind}-{safe}.eml"
        path.write_bytes(out.message.as_bytes())
        paths.append(path)
    return paths
