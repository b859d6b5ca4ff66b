"""The one module that shows message boxes and file dialogs.

Widgets never call ``QMessageBox`` or ``QFileDialog`` themselves; they call
:func:`info`, :func:`warn`, :func:`error`, :func:`ask`, :func:`open_file`,
:func:`save_file` and :func:`choose_folder`. That gives tests one seam to patch and lets ``edubridge selftest``
and the test suite run without a modal dialog blocking the event loop.

Headless mode: set :data:`headless` to True (``set_headless(True)``). Then nothing is
shown; every call is logged (``logging`` and :data:`log`, a list of
:class:`Shown` records tests can inspect), :func:`ask` returns
:data:`headless_answer` and the file dialogs return :data:`headless_path`
(None → "cancelled").

Dangers: a real dialog runs a nested event loop; never call these functions from a
worker thread (see ``desktop.worker``) — only from the GUI thread.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

_log = logging.getLogger(__name__)

#: When True nothing is shown: calls are logged and get the headless answers below.
headless: bool = False
#: What :func:`ask` returns in headless mode.
headless_answer: bool = False
#: What :func:`open_file` / :func:`save_file` return in headless mode (None = cancelled).
headless_path: Path | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Shown:
    """One message or dialog that was (or, headless, would have been) shown."""

    kind: str  # "info", "warn", "error", "ask", "open_file", "save_file", "choose_folder", "welcome"
    title: str
    text: str


#: Every message of this process in headless mode, oldest first (tests clear it).
log: list[Shown] = []


def set_headless(value: bool = True) -> None:
    """Switch headless mode on or off for the whole process."""
    global headless
    headless = value


def _record(kind: str, title: str, text: str) -> None:
    log.append(Shown(kind, title, text))
    _log.info("%s: %s — %s", kind, title, text)


def info(parent: QWidget | None, title: str, text: str) -> None:
    """An informative message with an OK button."""
    if headless:
        _record("info", title, text)
        return
    QMessageBox.information(parent, title, text)


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """Something the clerk must fix (bad input), with an OK button."""
    if headless:
        _record("warn", title, text)
        return
    QMessageBox.warning(parent, title, text)


def error(parent: QWidget | None, title: str, text: str) -> None:
    """Something failed (a file, the database); the text says what and where."""
    if headless:
        _record("error", title, text)
        return
    QMessageBox.critical(parent, title, text)


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """A yes/no question; True for 是. Headless: :data:`headless_answer`."""
    if headless:
        _record("ask", title, text)
        return headless_answer
    answer = QMessageBox.question(
        parent, title, text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def about(parent: QWidget | None, title: str, text: str) -> None:
    """The About box (rich text allowed)."""
    if headless:
        _record("about", title, text)
        return
    QMessageBox.about(parent, title, text)


def open_file(parent: QWidget | None, title: str, filters: str = "", folder: str = "") -> Path | None:
    """Ask for an existing file; None when cancelled.

    ``filters`` in Qt syntax, e.g. ``"Excel 文件 (*.xlsx *.xls)"``.
    """
    if headless:
        _record("open_file", title, filters)
        return headless_path
    path, _ = QFileDialog.getOpenFileName(parent, title, folder, filters)
    return Path(path) if path else None


def save_file(parent: QWidget | None, title: str, filters: str = "", suggested: str = "") -> Path | None:
    """Ask where to save; None when cancelled. ``suggested`` is a file name or path."""
    if headless:
        _record("save_file", title, filters)
        return headless_path
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return Path(path) if path else None


def choose_folder(parent: QWidget | None, title: str, folder: str = "") -> Path | None:
    """Ask for a folder (created by the dialog if the user wishes); None when cancelled."""
    if headless:
        _record("choose_folder", title, folder)
        return headless_path
    path = QFileDialog.getExistingDirectory(parent, title, folder)
    return Path(path) if path else None


def record(kind: str, title: str, text: str) -> None:
    """Log a dialog of another module that headless mode did not show (e.g. the welcome page)."""
    _record(kind, title, text)
