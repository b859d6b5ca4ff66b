"""The bureau server's saved connection: the address in the settings, the password in the OS keyring.

The welcome page remembers the server so the next start opens it directly. The address
(``postgresql+psycopg://用户@主机:5432/库``) goes into QSettings *without* its password; the
password goes into the operating system's keyring through the ``keyring`` library (Windows
Credential Manager, macOS Keychain, the Secret Service of a Linux desktop). On a machine
without a usable keyring backend the password is not kept at all — it is asked at each
start — and never written to a file. A settings value from an older version that still
carries its password is rewritten without it on the next start.
"""

from __future__ import annotations

import contextlib

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget
from sqlalchemy.engine import URL, make_url

from desktop import messages

#: QSettings keys: the address without password, and whether it needs one.
SERVER_KEY = "database/server_url"
NEEDS_PASSWORD_KEY = "database/server_needs_password"
#: The keyring "service" the password is filed under (the user name is the address).
SERVICE = "EduBridge 教育局服务器"
#: What :func:`ask_password` returns in headless mode (tests): None = cancelled.
headless_password: str | None = None


def _bare(url: URL) -> str:
    """The address as saved: everything but the password."""
    return url._replace(password=None).render_as_string(hide_password=False)  # URL.set() ignores None


def _keyring_get(address: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError

    try:
        return keyring.get_password(SERVICE, address)
    except KeyringError:  # no backend (fail.Keyring), a locked or broken one: ask instead
        return None


def _keyring_set(address: str, password: str) -> bool:
    """Keep ``password`` in the OS keyring; False when this machine has none (it is then asked)."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, address, password)
    except KeyringError:
        return False
    return True


def forget_password(address: str) -> None:
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    with contextlib.suppress(PasswordDeleteError, KeyringError):  # nothing stored, or no keyring
        keyring.delete_password(SERVICE, address)


def remember(url: str | URL) -> bool:
    """Save the server for the next start; True when its password is in the keyring (or it has none)."""
    parsed = make_url(url)
    address = _bare(parsed)
    settings = QSettings()
    settings.setValue(SERVER_KEY, address)
    settings.setValue(NEEDS_PASSWORD_KEY, parsed.password is not None)
    if parsed.password is None:
        return True
    return _keyring_set(address, str(parsed.password))


def saved_address() -> str | None:
    """The saved address, without password (an old value with one is moved to the keyring first)."""
    value = QSettings().value(SERVER_KEY)
    if not value:
        return None
    parsed = make_url(str(value))
    if parsed.password is not None:  # saved by an older version: never leave it in the file
        remember(parsed)
    return _bare(parsed)


def ask_password(address: str, parent: QWidget | None = None) -> str | None:
    """Ask the server password (hidden input); None when cancelled."""
    if messages.headless:
        messages.record("password", "连接教育局服务器", address)
        return headless_password
    text, ok = QInputDialog.getText(parent, "连接教育局服务器",
                                    f"请输入数据库密码：\n{make_url(address).render_as_string(hide_password=True)}",
                                    QLineEdit.EchoMode.Password)
    return text if ok else None


def saved_server(parent: QWidget | None = None) -> str | None:
    """The saved server as a URL to open (password from the keyring, or asked); None: none saved
    or the password prompt was cancelled (the local data is opened this time)."""
    address = saved_address()
    if address is None:
        return None
    if not QSettings().value(NEEDS_PASSWORD_KEY, False, type=bool):
        return address
    password = _keyring_get(address)
    if password is None:
        password = ask_password(address, parent)
        if password is None:
            messages.info(parent, "连接教育局服务器", "未输入密码：本次打开本机数据，下次启动时会再询问。")
            return None
        _keyring_set(address, password)  # kept when this machine has a keyring; asked again otherwise
    return make_url(address).set(password=password).render_as_string(hide_password=False)


def forget() -> None:
    """Stop using the saved server (its password leaves the keyring too)."""
    address = saved_address()
    if address is not None:
        forget_password(address)
    settings = QSettings()
    settings.remove(SERVER_KEY)
    settings.remove(NEEDS_PASSWORD_KEY)
