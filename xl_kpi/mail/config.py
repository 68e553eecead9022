"""``mail.yaml``: the SMTP server, the sender, HR's addresses and the attachments' passwords; overridden by
the environment; the SMTP password only from the environment or the system keyring, never from a file."""
from __future__ import annotations

import os
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..core.errors import KpiError, Problem, problems_from_validation
from ..system.secrets import keyring_secret
from ..workspace import Workspace
from ..workspace.roster import EMAIL

CONFIG = "mail.yaml"


class Smtp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = "localhost"
    port: int = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    timeout: float = Field(default=10, gt=0)  # seconds to connect and for each reply
    ca_file: str = ""  # a company CA to trust besides the system's (certificates are always verified)
    retries: int = Field(default=3, ge=0)
    backoff: float = Field(default=2, ge=0)  # seconds before the first retry, doubled each time


class Sender(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "人力资源部"
    address: str = "hr@example.com"


class Attachments(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # none: plain; id_number: the last digits of the roster's 身份证号; random: a per-person
    # password mailed separately
    # pay is never mailed in the clear unless HR writes none (check warns then)
    password: Literal["none", "id_number", "random"] = "random"
    id_digits: int = Field(default=6, ge=4, le=18)


class Imap(BaseModel):
    """The mailbox rating forms and workbooks come back to (xl-kpi collect --imap)."""
    model_config = ConfigDict(extra="forbid")
    host: str = ""
    port: int = 993
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str = ""
    folder: str = "INBOX"
    timeout: float = Field(default=30, gt=0)
    ca_file: str = ""


class MailConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    smtp: Smtp = Smtp()
    sender: Sender = Sender()
    hr: list[str] = Field(default_factory=lambda: ["hr@example.com"], min_length=1)
    attachments: Attachments = Attachments()
    imap: Imap = Imap()
    returns_folder: str = ""  # where Outlook or Foxmail saves the returned attachments (the ribbon's 收回)


ENV = {"XL_KPI_SMTP_HOST": ("smtp", "host"), "XL_KPI_SMTP_PORT": ("smtp", "port"),
       "XL_KPI_SMTP_USER": ("smtp", "username"), "XL_KPI_SMTP_SECURITY": ("smtp", "security"),
       "XL_KPI_IMAP_HOST": ("imap", "host"), "XL_KPI_IMAP_PORT": ("imap", "port"),
       "XL_KPI_IMAP_USER": ("imap", "username"), "XL_KPI_IMAP_SECURITY": ("imap", "security")}


def load_config(ws: Workspace) -> MailConfig:
    path = ws.root / CONFIG
    data: dict = {}
    if path.exists():
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
        except yaml.YAMLError as exc:
            raise KpiError([Problem("yaml_syntax", f"邮件配置格式错误 / mail config syntax error: {exc}",
                                    file=str(path))]) from None
        if "password" in str(data.get("smtp", {})).lower() or "password" in str(data.get("imap", {})).lower():
            raise KpiError([Problem("password_in_file", "密码不能写在配置文件中，请用环境变量 XL_KPI_SMTP_PASSWORD / "
                                    "never put the password in a file: use XL_KPI_SMTP_PASSWORD", file=str(path))])
    for var, (section, key) in ENV.items():
        if os.environ.get(var):
            data.setdefault(section, {})[key] = os.environ[var]
    try:
        config = MailConfig.model_validate(data)
    except ValidationError as exc:
        raise KpiError(problems_from_validation(exc, file=str(path))) from None
    bad = [a for a in config.hr + [config.sender.address] if not EMAIL.match(a)]
    if bad:
        raise KpiError([Problem("email_invalid", f"邮箱格式不正确 / malformed address: {', '.join(bad)}",
                                file=str(path))])
    return config


def password_owner(config: MailConfig, imap: bool = False) -> str:
    """The keyring entry's name a mailbox's password is kept under: its login (or the sender's address)."""
    return config.imap.username if imap else config.smtp.username or config.sender.address


def smtp_password(config: MailConfig) -> str | None:
    """From XL_KPI_SMTP_PASSWORD, else the system keyring (service xl_kpi), else none."""
    if os.environ.get("XL_KPI_SMTP_PASSWORD"):
        return os.environ["XL_KPI_SMTP_PASSWORD"]
    return keyring_secret(password_owner(config))


def imap_password(config: MailConfig) -> str | None:
    """From XL_KPI_IMAP_PASSWORD, else the system keyring (service xl_kpi, the mailbox's user), else none."""
    if os.environ.get("XL_KPI_IMAP_PASSWORD"):
        return os.environ["XL_KPI_IMAP_PASSWORD"]
    return keyring_secret(config.imap.username) if config.imap.username else None
