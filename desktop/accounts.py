"""Accounts in the GUI: the sign-in dialog at start, creating the first administrator,
changing one's password, managing accounts (an administrator, ``desktop.users_dialog``),
and who is signed in (status bar, 账户 menu).

A database without any user opens in set-up mode, as the command line does: the person at
the computer is its administrator, the status bar says so, and 账户 → 创建管理员账户…
ends set-up mode (from then on EduBridge asks for a name and password at every start).
Nothing is asked at start in set-up mode, so a first run with the demo opens at once.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QWidget,
)

from db.engine import StoreError
from db.guard import ROLE_NAMES
from db.store import Store
from desktop import messages
from desktop.form_dialog import FormDialog

SETUP_TEXT = "设置模式：尚未设置账户"


class SignInDialog(FormDialog):
    """Name and password; on 确定 the store works as that user (``store.actor``)."""

    def __init__(self, store: Store, username: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__("登录 EduBridge", f"数据文件：{store.location}", parent)
        self.store = store
        self.username = self.line("用户名：", "signInName")
        self.password = self.line("密码：", "signInPassword", secret=True)
        if username:
            self.username.setText(username)
            self.password.setFocus()

    def attempt(self) -> None:
        from db.users import sign_in

        if not self.username.text().strip() or not self.password.text():
            raise StoreError("请输入用户名和密码")
        try:
            sign_in(self.store, self.username.text().strip(), self.password.text())
        finally:
            self.password.clear()


class CreateAdminDialog(FormDialog):
    """The first administrator of a database in set-up mode; signs in as them."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__("创建管理员账户",
                         "创建后，每次打开这个数据文件都需要登录；管理员可在“账户 → 账户管理”中"
                         "为业务员、校长和评估人员开设账户。", parent)
        self.store = store
        self.username = self.line("用户名：", "adminName")
        self.password = self.line("密码：", "adminPassword", secret=True)
        self.again = self.line("再次输入密码：", "adminPasswordAgain", secret=True)

    def attempt(self) -> None:
        from db.users import add_user, sign_in

        if self.password.text() != self.again.text():
            raise StoreError("两次输入的密码不一致")
        add_user(self.store, self.username.text(), "admin", self.password.text(), display_name="管理员")
        sign_in(self.store, self.username.text().strip(), self.password.text())


class PasswordDialog(FormDialog):
    """Change the signed-in user's password (the old one is asked)."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__("修改密码", f"用户：{store.actor.username}", parent)
        self.store = store
        self.old = self.line("原密码：", "oldPassword", secret=True)
        self.new = self.line("新密码：", "newPassword", secret=True)
        self.again = self.line("再次输入新密码：", "newPasswordAgain", secret=True)

    def attempt(self) -> None:
        from db.users import change_password

        if self.new.text() != self.again.text():
            raise StoreError("两次输入的新密码不一致")
        change_password(self.store, self.store.actor.username, self.old.text(), self.new.text())


def status_text(store: Store) -> str:
    actor = store.actor
    if actor.setup:
        return SETUP_TEXT
    return f"用户：{actor.username}（{ROLE_NAMES.get(actor.role, actor.role)}）"


def install(window: QMainWindow) -> QLabel:
    """The 账户 menu and the status-bar label of ``window`` (a MainWindow); returns the label.

    Everything reads ``window.context.store`` when used, so a database opened later (文件 →
    打开) is the one shown and changed; the window calls ``label.update_account()`` then.
    """

    def store() -> Store:
        return window.context.store  # type: ignore[attr-defined]  # a MainWindow (naming it: an import cycle)

    label = QLabel()
    label.setObjectName("statusUser")
    window.statusBar().addPermanentWidget(label)
    menu = QMenu("账户(&A)", window)
    menus = window.menuBar().actions()
    window.menuBar().insertMenu(menus[-1], menu)  # before 帮助
    password = QAction("修改密码(&P)…", window)
    create = QAction("创建管理员账户(&C)…", window)
    manage = QAction("账户管理(&U)…", window)
    manage.setObjectName("manageUsers")
    menu.addAction(password)
    menu.addAction(manage)
    menu.addAction(create)

    def update() -> None:
        actor = store().actor
        label.setText(status_text(store()))
        label.setToolTip("尚无账户：任何打开此文件的人都是管理员。请在“账户”菜单中创建管理员账户。"
                         if actor.setup else "")
        password.setEnabled(not actor.setup)
        manage.setVisible(actor.role == "admin" and not actor.setup)
        create.setVisible(actor.setup)

    def change() -> None:
        if PasswordDialog(store(), window).exec() == QDialog.DialogCode.Accepted:
            messages.info(window, "修改密码", "密码已修改。")

    def make_admin() -> None:
        if CreateAdminDialog(store(), window).exec() == QDialog.DialogCode.Accepted:
            update()
            messages.info(window, "创建管理员账户",
                          f"已创建管理员 {store().actor.username} 并登录；以后打开此数据文件需要登录。")

    def manage_users() -> None:
        from desktop.users_dialog import UsersDialog

        UsersDialog(store(), window).exec()

    password.triggered.connect(change)
    manage.triggered.connect(manage_users)
    create.triggered.connect(make_admin)
    update()
    label.update_account = update  # type: ignore[attr-defined]
    label.setAlignment(Qt.AlignmentFlag.AlignVCenter)
    return label


def sign_in_at_start(store: Store, username: str | None) -> bool:
    """Before the window: the sign-in dialog when the database has users. False: cancelled."""
    if not store.has_users():
        return True
    if messages.headless:  # tests and selftest: no one to type a password
        return False
    return SignInDialog(store, username).exec() == QDialog.DialogCode.Accepted


def warn_if_audit_broken(store: Store, parent: QWidget | None = None) -> None:
    from db.audit import ANCHORS_FILE, startup_check
    from db.engine import default_database_path

    verdict = startup_check(store.engine, default_database_path().with_name(ANCHORS_FILE), store.location)
    if not verdict.ok:
        messages.warn(parent, "审计日志被改动", f"{verdict.message()}。\n请在“审计日志”页核对完整性，并报告管理员。")
