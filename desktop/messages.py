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

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

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
    """Something failed (a file, the database); the text says what and where.

    A long text (an import refused for 40 rows) opens :class:`ProblemList` instead of a
    message box, which would grow taller than the screen and push its OK button off it.
    """
    if headless:
        _record("error", title, text)
        return
    lines = text.splitlines()
    if len(lines) > LONG_MESSAGE_LINES:
        ProblemList(parent, title, lines[0], lines[1:]).exec()
        return
    QMessageBox.critical(parent, title, text)


#: More lines than this and a message is shown as a list that scrolls.
LONG_MESSAGE_LINES = 12


class ProblemList(QDialog):
    """A summary over a list of problems that can be searched, copied and saved as Excel."""

    def __init__(self, parent: QWidget | None, title: str, summary: str, problems: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.problems = [line for line in problems if line.strip()]
        layout = QVBoxLayout(self)
        heading = QLabel(summary)
        heading.setWordWrap(True)
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.search = QLineEdit(placeholderText="查找（行号、列名或文字）")
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget()
        self.list.addItems(self.problems)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.count = QLabel()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("复制全部")
        save = QPushButton("另存为 Excel…")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(save, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_all)
        save.clicked.connect(lambda: self.save_xlsx())
        buttons.rejected.connect(self.reject)
        for widget in (heading, self.search, self.list, self.count, buttons):
            layout.addWidget(widget)
        self._filter("")
        screen = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(900, int(screen.width() * 0.8)), min(600, int(screen.height() * 0.8)))

    def _filter(self, text: str) -> None:
        shown = 0
        for row in range(self.list.count()):
            item = self.list.item(row)
            hidden = bool(text) and text not in item.text()
            item.setHidden(hidden)
            shown += not hidden
        self.count.setText(f"共 {len(self.problems)} 条" + (f"，显示 {shown} 条" if text else ""))

    def copy_all(self) -> None:
        QGuiApplication.clipboard().setText("\n".join([self.windowTitle(), *self.problems]))

    def save_xlsx(self, path: Path | None = None) -> Path | None:
        """Write the problems to a workbook (one per row) for the person who fixes the file."""
        from reports.xlsx import Column, Sheet, write_table

        path = path or save_file(self, "保存问题清单", "Excel 文件 (*.xlsx)", f"{self.windowTitle()}.xlsx")
        if path is None:
            return None
        rows = [(number, line) for number, line in enumerate(self.problems, 1)]
        write_table(path, [Sheet("问题清单", [Column("序号", width=8), Column("问题", width=100)], rows)])
        return path


def open_path(path: Path) -> None:
    """Open a file with the program the system associates with it (an attachment, a PDF)."""
    if headless:
        _record("open_path", "打开", str(path))
        return
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def exported(parent: QWidget | None, title: str, text: str, path: Path) -> None:
    """A file was written: say so, and offer to open it or the folder it is in."""
    if headless:
        _record("exported", title, f"{text}（{path}）")
        return
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Close, parent)
    open_file_button = box.addButton("打开文件", QMessageBox.ButtonRole.ActionRole)
    open_folder_button = box.addButton("打开所在文件夹", QMessageBox.ButtonRole.ActionRole)
    box.exec()
    if box.clickedButton() is open_file_button:
        open_path(path)
    elif box.clickedButton() is open_folder_button:
        open_path(Path(path).parent)


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
