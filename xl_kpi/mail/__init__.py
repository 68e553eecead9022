"""Sending the month's results: ``config`` (mail.yaml), ``attachments`` (the values-only workbooks that are
mailed), ``messages`` (every message of the month) and ``smtp`` (sending them, with the send log)."""
from .config import MailConfig, load_config
from .messages import Mailing, build
from .smtp import STOP_AFTER, SendLog, send, write_eml

__all__ = ["STOP_AFTER", "MailConfig", "Mailing", "SendLog", "build", "load_config", "send", "write_eml"]
