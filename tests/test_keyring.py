"""xl-kpi mail password keeps the mailbox password in the system keyring, where send (and the ribbon's 发送,
which starts without the terminal's variables) reads it; a machine without a keyring is told what to do."""
import io
import sys

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from helpers import run_cli
from xl_kpi.mail.config import imap_password, load_config, smtp_password
from xl_kpi.workspace import init_workspace


class MemoryKeyring(KeyringBackend):
    """A keyring backend of the test's own (the Windows Credential Manager is not here)."""
    priority = 1

    def __init__(self):
        super().__init__()
        self.kept = {}

    def get_password(self, service, username):
        return self.kept.get((service, username))

    def set_password(self, service, username, password):
        self.kept[(service, username)] = password

    def delete_password(self, service, username):
        del self.kept[(service, username)]


@pytest.fixture
def ring(monkeypatch):
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("XL_KPI_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("XL_KPI_IMAP_PASSWORD", raising=False)
    yield backend
    keyring.set_keyring(before)


def test_the_password_kept_is_the_one_send_reads_and_can_be_removed(ring, tmp_path, capsys, monkeypatch):
    ws, _ = init_workspace(tmp_path / "ws")
    config = load_config(ws)
    assert smtp_password(config) is None
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret 密码\n"))
    assert "已把" in run_cli(capsys, "mail", "password", "--dir", ws.root)
    owner = config.smtp.username or config.sender.address
    assert ring.kept == {("xl_kpi", owner): "s3cret 密码"} and smtp_password(config) == "s3cret 密码"
    run_cli(capsys, "mail", "password", "--delete", "--dir", ws.root)
    assert ring.kept == {} and smtp_password(config) is None


def test_the_imap_password_needs_the_mailboxs_user(ring, tmp_path, capsys, monkeypatch):
    ws, _ = init_workspace(tmp_path / "ws")
    out = run_cli(capsys, "mail", "password", "--imap", "--dir", ws.root, code=2, stderr=True)
    assert "imap.username 为空" in out and ring.kept == {}
    text = (ws.root / "mail.yaml").read_text(encoding="utf-8") + "\nimap:\n  host: imap.example.com\n  username: hr\n"
    (ws.root / "mail.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.StringIO("inbox-pw\n"))
    run_cli(capsys, "mail", "password", "--imap", "--dir", ws.root)
    assert imap_password(load_config(ws)) == "inbox-pw"


def test_no_keyring_and_no_password_are_messages(ring, tmp_path, capsys, monkeypatch):
    ws, _ = init_workspace(tmp_path / "ws")
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n"))
    assert "没有输入密码" in run_cli(capsys, "mail", "password", "--dir", ws.root, code=2, stderr=True)
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw\n"))
    out = run_cli(capsys, "mail", "password", "--dir", ws.root, code=2, stderr=True)
    assert "XL_KPI_SMTP_PASSWORD" in out and "Traceback" not in out
