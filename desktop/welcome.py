"""The first start of an installed copy: no data yet, so the clerk chooses how to begin.

Three ways, on one page (:class:`WelcomeDialog`):

- 试用演示县 — the fictional demo county, to learn the program;
- 新建空白县 — an empty county and the Excel import templates, numbered in the order to fill
  them, saved into a folder the clerk picks;
- 连接教育局服务器 — the bureau's shared PostgreSQL database: the address is tried at once and,
  when it answers, remembered so the next start opens it directly: the address in the user's
  settings, the password in the OS keyring (:mod:`desktop.server_login`), never in a file.

Only the default data file (no ``--db``) gets this page, and only while it holds no school and
no county was started in it; a database named with ``--db`` keeps the plain demo question
(:func:`desktop.app.prepare_store`). In headless mode (tests, selftest) the page is not shown:
the choice in :data:`headless_choice` is taken and logged through ``desktop.messages``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.engine import StoreError
from db.store import Store, local_actor
from desktop import messages, server_login

#: QSettings key of the bureau server's address (without password) chosen on the welcome page.
SERVER_KEY = server_login.SERVER_KEY
SERVER_HINT = "postgresql+psycopg://用户名:密码@服务器地址:5432/edubridge"

#: Import templates of a blank county, in the order to fill them (name → file title).
TEMPLATES = (
    ("schools", "学校"),
    ("clusters", "集团与教共体"),
    ("teachers", "教师"),
    ("exemptions", "免于交流"),
    ("needs", "学科需求"),
    ("visits", "帮扶活动"),
)


@dataclass(frozen=True)
class Start:
    """How the clerk chose to begin: ``kind`` is "demo", "blank" or "server"."""

    kind: str
    folder: Path | None = None
    store: Store | None = None


#: What the welcome page answers in headless mode (tests, selftest): the demo, as before.
headless_choice = Start("demo")


def saved_server() -> str | None:
    """The bureau server chosen on an earlier first start, ready to open (password from the
    keyring or asked; see :func:`desktop.server_login.saved_server`), if any."""
    return server_login.saved_server()


def forget_server(reason: str) -> bool:
    """The saved server did not answer: offer to stop using it. True when it was forgotten."""
    if not messages.ask(None, "无法连接教育局服务器",
                        f"{reason}\n\n是否不再连接这台服务器，改为打开本机数据？（服务器上的数据不受影响；"
                        "以后可以在欢迎页重新连接。）"):
        return False
    server_login.forget()
    return True


def write_templates(folder: Path) -> list[Path]:
    """Save the numbered import templates into ``folder``; returns the files written."""
    from reports import exporters

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, (kind, title) in enumerate(TEMPLATES, start=1):
        path = folder / f"{number} {title}.xlsx"
        exporters.TEMPLATES[kind].write(path)
        written.append(path)
    return written


def start_blank_county(store: Store, folder: Path) -> list[Path]:
    """Write the templates, then mark ``store`` as a county of its own (the page will not return)."""
    from db.settings import start_county

    written = write_templates(folder)
    start_county(store, str(folder))
    return written


def connect_server(url: str) -> Store:
    """Open the bureau's database at ``url`` (migrated if new); raises StoreError with the reason."""
    url = url.strip()
    if not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise StoreError(f"服务器地址应以 postgresql+psycopg:// 开头，例如 {SERVER_HINT}")
    return Store.open(url, actor=local_actor())


class WelcomeDialog(QDialog):
    """The page itself; :attr:`choice` holds the clerk's :class:`Start` once accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choice: Start | None = None
        self.setWindowTitle("欢迎使用 EduBridge")
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(10)
        title = QLabel("欢迎使用 EduBridge 城乡教共体管理")
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(QLabel("这台电脑上还没有数据。请选择如何开始："))

        self.demo_button = QCommandLinkButton(
            "试用演示县", "载入一个虚构的县（学校、集团、教师、帮扶活动都是编造的），先熟悉软件。")
        self.blank_button = QCommandLinkButton(
            "新建空白县",
            "从空白开始：选择一个文件夹，程序在其中放好 6 张 Excel 导入模板（学校、集团与教共体、教师……），"
            "按编号顺序填好后在各页面导入。")
        self.server_button = QCommandLinkButton(
            "连接教育局服务器", "局里有共用的数据库服务器时，填写管理员给的地址，与同事共用一份数据。")
        for button in (self.demo_button, self.blank_button, self.server_button):
            layout.addWidget(button)

        self.server_box = QWidget()
        row = QHBoxLayout(self.server_box)
        row.setContentsMargins(36, 0, 0, 0)
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText(SERVER_HINT)
        self.connect_button = QPushButton("连接")
        row.addWidget(self.server_edit, 1)
        row.addWidget(self.connect_button)
        self.server_box.setVisible(False)
        layout.addWidget(self.server_box)

        layout.addStretch(1)
        bottom = QHBoxLayout()
        from db.engine import default_database_path

        where = QLabel(f"本机数据保存在：{default_database_path()}")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom.addWidget(where, 1)
        quit_button = QPushButton("退出")
        bottom.addWidget(quit_button)
        layout.addLayout(bottom)

        self.demo_button.clicked.connect(lambda: self._choose(Start("demo")))
        self.blank_button.clicked.connect(self._choose_blank)
        self.server_button.clicked.connect(self._show_server)
        self.connect_button.clicked.connect(self._connect)
        self.server_edit.returnPressed.connect(self._connect)
        quit_button.clicked.connect(self.reject)

    def _choose(self, choice: Start) -> None:
        self.choice = choice
        self.accept()

    def _choose_blank(self) -> None:
        folder = messages.choose_folder(self, "选择存放 Excel 导入模板的文件夹")
        if folder is not None:
            self._choose(Start("blank", folder=folder))

    def _show_server(self) -> None:
        self.server_box.setVisible(True)
        self.server_edit.setFocus()

    def _connect(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            store = connect_server(self.server_edit.text())
        except StoreError as exc:
            QGuiApplication.restoreOverrideCursor()
            messages.error(self, "无法连接服务器", str(exc))
            return
        QGuiApplication.restoreOverrideCursor()
        self._choose(Start("server", store=store))


def ask_start(parent: QWidget | None = None) -> Start | None:
    """Show the welcome page; None when the clerk quits."""
    if messages.headless:
        messages.record("welcome", "欢迎使用 EduBridge", headless_choice.kind)
        return headless_choice
    dialog = WelcomeDialog(parent)
    dialog.exec()
    return dialog.choice


def first_run(store: Store, parent: Any = None) -> Store | None:
    """Welcome the clerk to an empty default store; returns the store to open (None: quit).

    The demo and a blank county fill ``store``; a server connection replaces it (``store`` is
    disposed, the address saved for the next start).
    """
    from desktop.demo_dialog import fill_demo_with_dialog

    choice = ask_start(parent)
    if choice is None:
        return None
    if choice.kind == "server" and choice.store is not None:
        if not server_login.remember(choice.store.engine.url):
            messages.info(parent, "连接教育局服务器", "这台电脑没有可用的系统密码库（钥匙串），密码不会保存："
                          "以后每次启动时会询问服务器密码。")
        store.dispose()
        return choice.store
    if choice.kind == "blank" and choice.folder is not None:
        written = start_blank_county(store, choice.folder)
        messages.info(parent, "新建空白县",
                      f"已在 {choice.folder} 中放好 {len(written)} 张导入模板：\n"
                      + "\n".join(p.name for p in written)
                      + "\n\n请按编号顺序填写，然后在相应页面用“导入”读入。")
        return store
    fill_demo_with_dialog(store, parent)
    return store
