"""The saved bureau server: its address in the settings, its password only in the OS keyring.

Runs against keyring backends chosen here: an in-memory one (a machine with a keyring) and
keyring's own ``fail`` backend (a machine without one: the password is asked each start).
"""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError
from PySide6.QtCore import QSettings

from desktop import messages, server_login, welcome

URL = "postgresql+psycopg://clerk:S3cret-pw@db.bureau.local:5432/edubridge"
ADDRESS = "postgresql+psycopg://clerk@db.bureau.local:5432/edubridge"


class MemoryKeyring(KeyringBackend):
    """A keyring kept in this process (what the OS keyring does, without an OS)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def clean_settings(gui):
    server_login.forget()
    yield
    QSettings().remove(server_login.SERVER_KEY)
    QSettings().remove(server_login.NEEDS_PASSWORD_KEY)


@pytest.fixture
def memory_keyring():
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


@pytest.fixture
def no_keyring():
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def _settings_text() -> str:
    settings = QSettings()
    settings.sync()
    return Path(settings.fileName()).read_text(encoding="utf-8", errors="replace")


def test_the_password_goes_to_the_keyring_and_never_into_the_settings_file(clean_settings, memory_keyring):
    assert server_login.remember(URL) is True
    assert QSettings().value(server_login.SERVER_KEY) == ADDRESS
    assert "S3cret-pw" not in _settings_text()
    assert memory_keyring.items == {(server_login.SERVICE, ADDRESS): "S3cret-pw"}
    assert welcome.saved_server() == URL  # the next start opens it without asking
    assert not [m for m in messages.log if m.kind == "password"]


def test_without_a_keyring_the_password_is_asked_each_start_not_written(clean_settings, no_keyring, monkeypatch):
    assert server_login.remember(URL) is False
    assert "S3cret-pw" not in _settings_text()
    monkeypatch.setattr(server_login, "headless_password", "S3cret-pw")
    assert welcome.saved_server() == URL
    assert [m.kind for m in messages.log].count("password") == 1
    assert "S3cret-pw" not in _settings_text()
    monkeypatch.setattr(server_login, "headless_password", None)  # cancelled: local data this time
    assert welcome.saved_server() is None
    assert server_login.saved_address() == ADDRESS  # still saved: asked again next start


def test_an_address_saved_with_its_password_by_an_older_version_is_rewritten(clean_settings, memory_keyring):
    QSettings().setValue(server_login.SERVER_KEY, URL)
    assert server_login.saved_address() == ADDRESS
    assert "S3cret-pw" not in _settings_text()
    assert welcome.saved_server() == URL


def test_a_server_without_password_is_opened_without_asking(clean_settings, no_keyring):
    server_login.remember(ADDRESS)
    assert welcome.saved_server() == ADDRESS
    assert not [m for m in messages.log if m.kind == "password"]


def test_forgetting_the_server_removes_its_password_from_the_keyring(clean_settings, memory_keyring):
    server_login.remember(URL)
    messages.headless_answer = True
    assert welcome.forget_server("连接被拒绝") is True
    assert memory_keyring.items == {} and welcome.saved_server() is None
