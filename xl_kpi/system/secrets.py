"""Secrets that must not travel with a copy of the workspace: the key that locks the attachment passwords HR's
record keeps, held by the user's system keyring (Windows Credential Manager, macOS Keychain, the Secret
Service), or where a machine has none, in a key file in the user's own settings folder, outside the
workspace. ``XL_KPI_ATTACHMENT_KEY`` gives the key directly (a server without either)."""
from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from ..core.errors import KpiError, Problem

SERVICE = "xl_kpi"
ENV_KEY = "XL_KPI_ATTACHMENT_KEY"


def _keyring():
    """The system keyring, or None where there is none that works (a bare Linux server)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    return None if isinstance(backend, fail.Keyring) else keyring


def keyring_secret(name: str) -> str | None:
    """A secret the user keeps in the system keyring under xl_kpi (the SMTP password), or None where there is
    none or no keyring that works."""
    ring = _keyring()
    if ring is None:
        return None
    try:
        return ring.get_password(SERVICE, name)
    except Exception:  # a keyring that is there but locked or broken: as if it held nothing
        return None


def keep_in_keyring(name: str, secret: str | None) -> None:
    """Keep (or with None, remove) a secret in the system keyring under xl_kpi; a KpiError where there is no
    keyring that works, saying what to do instead."""
    ring = _keyring()
    if ring is None:
        raise KpiError([Problem("no_keyring", "这台电脑没有可用的系统密钥库（Windows 凭据管理器、macOS 钥匙串或 Secret "
                                "Service），请改用环境变量 XL_KPI_SMTP_PASSWORD / XL_KPI_IMAP_PASSWORD / no working system "
                                "keyring here: use the environment variable instead")])
    try:
        if secret is None:
            ring.delete_password(SERVICE, name)
        else:
            ring.set_password(SERVICE, name, secret)
    except Exception as exc:  # a locked or refusing keyring: said, never a traceback
        raise KpiError([Problem("keyring_failed", f"系统密钥库拒绝了操作：{exc} / the keyring refused: {exc}")]) from None


def key_folder() -> Path:
    """The user's own settings folder for xl_kpi's key files (never inside a workspace)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "xl_kpi" / "keys"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "xl_kpi" / "keys"


def workspace_key(workspace_id: str, create: bool = True) -> bytes | None:
    """The key of a workspace's attachment passwords: made once, then the same on this user's machine."""
    if os.environ.get(ENV_KEY):
        return os.environ[ENV_KEY].encode()
    name = f"attachments:{workspace_id}"
    ring = _keyring()
    if ring is not None:
        found = ring.get_password(SERVICE, name)
        if found is None and create:
            found = Fernet.generate_key().decode()
            ring.set_password(SERVICE, name, found)
        return found.encode() if found else None
    path = key_folder() / f"{workspace_id}.key"
    if path.exists():
        return path.read_bytes().strip()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # readable by this user alone
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key


def lock(text: str, key: bytes) -> str:
    return "enc:" + Fernet(key).encrypt(text.encode()).decode()


def unlock(stored: str, key: bytes | None, where: str) -> str:
    """A secret as stored (``enc:…``; a plain one from a release before 0.3.0 is returned as it is)."""
    if not stored.startswith("enc:"):
        return stored
    try:
        if key is None:
            raise InvalidToken
        return Fernet(key).decrypt(stored[4:].encode()).decode()
    except (InvalidToken, ValueError, base64.binascii.Error):
        raise KpiError([Problem("secret_locked", "附件密码是在另一台电脑或另一个用户下生成的，这里没有它的密钥，无法取出；请在"
                                "原来的电脑上发送，或设置环境变量 XL_KPI_ATTACHMENT_KEY 为原来的密钥 / the attachment "
                                "passwords were drawn under another user or PC: their key is not here", file=where)]) from None
