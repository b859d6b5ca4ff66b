"""账户管理 (admin): every account with its role, school and state; add one, reset a
password, unlock after failed sign-ins, deactivate or reactivate.

Every change goes through :mod:`db.users` (checked and audited like any write); a refusal
is shown in the dialog's own error line, and the list is read again after each change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.engine import StoreError
from db.guard import ROLE_NAMES
from db.models import utcnow
from db.store import Store
from db.users import UserInfo
from desktop.form_dialog import FormDialog
from desktop.models.record_table import Col, RecordTableModel
from desktop.widgets import fit_columns, setup_table
from policy import vocab


def state_text(user: UserInfo, now: dt.datetime | None = None) -> str:
    if not user.active:
        return "已停用"
    if user.locked_until is not None and user.locked_until > (now or utcnow()):
        local = user.locked_until.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
        return f"已锁定（至 {local}）"
    return "正常"


class UsersModel(RecordTableModel):
    COLUMNS = (
        Col("用户名", lambda u: u.username),
        Col("姓名", lambda u: u.display_name),
        Col("角色", lambda u: ROLE_NAMES.get(u.role, u.role)),
        Col("学校", lambda u: f"{u.school_name}（{u.school_code}）" if u.school_code else "—"),
        Col("状态", state_text),
    )


class AddUserDialog(FormDialog):
    """A new account: name, role, the school of a principal, the password twice."""

    def __init__(self, store: Store, schools: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__("新增用户", "校长账户只能登记、修改本校的活动和总结；评估人员只能查看和导出。", parent)
        self.store = store
        self.username = self.line("用户名：", "newUserName")
        self.display_name = self.line("姓名：", "newUserDisplayName")
        self.role = QComboBox()
        self.role.setObjectName("newUserRole")
        for role in vocab.USER_ROLES:
            self.role.addItem(vocab.USER_ROLE_NAMES[role], role)
        self.form.addRow("角色：", self.role)
        self.school = QComboBox()
        self.school.setObjectName("newUserSchool")
        self.school.addItem("（请选择学校）", None)
        for code, name in schools:
            self.school.addItem(f"{name}（{code}）", code)
        self.form.addRow("学校：", self.school)
        self.password = self.line("密码：", "newUserPassword", secret=True)
        self.again = self.line("再次输入密码：", "newUserPasswordAgain", secret=True)
        self.role.currentIndexChanged.connect(self._role_changed)
        self._role_changed()

    def _role_changed(self) -> None:
        principal = self.role.currentData() == "principal"
        self.school.setEnabled(principal)
        if not principal:
            self.school.setCurrentIndex(0)

    def attempt(self) -> None:
        from db.users import add_user

        role = self.role.currentData()
        if not self.username.text().strip():
            raise StoreError("请输入用户名")
        if role == "principal" and self.school.currentData() is None:
            raise StoreError("校长账户须选择所在学校")
        if self.password.text() != self.again.text():
            raise StoreError("两次输入的密码不一致")
        add_user(self.store, self.username.text(), role, self.password.text(), self.school.currentData(),
                 self.display_name.text().strip() or None)


class ResetPasswordDialog(FormDialog):
    """An administrator sets a new password for someone who forgot theirs."""

    def __init__(self, store: Store, username: str, parent: QWidget | None = None) -> None:
        super().__init__("重设密码", f"为用户“{username}”设置新密码，并请其登录后自行修改。", parent)
        self.store = store
        self.username = username
        self.new = self.line("新密码：", "resetPassword", secret=True)
        self.again = self.line("再次输入新密码：", "resetPasswordAgain", secret=True)

    def attempt(self) -> None:
        from db.users import change_password

        if self.new.text() != self.again.text():
            raise StoreError("两次输入的新密码不一致")
        change_password(self.store, self.username, None, self.new.text())


class UsersDialog(QDialog):
    """The list of accounts and what an administrator does with them."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("账户管理")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.model = UsersModel(self)
        self.view = setup_table(QTableView())
        self.view.setObjectName("usersTable")
        self.view.setModel(self.model)
        layout.addWidget(self.view, 1)
        self.error = QLabel()
        self.error.setObjectName("usersError")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.done_text = QLabel()
        self.done_text.setObjectName("usersDone")
        layout.addWidget(self.error)
        layout.addWidget(self.done_text)
        row = QHBoxLayout()
        self.add_button = self._button(row, "新增用户…", "usersAdd", self.add_user)
        self.reset_button = self._button(row, "重设密码…", "usersReset", self.reset_password)
        self.unlock_button = self._button(row, "解锁", "usersUnlock", self.unlock)
        self.active_button = self._button(row, "停用", "usersActive", self.toggle_active)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        close.rejected.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.refresh()

    def _button(self, row: QHBoxLayout, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        row.addWidget(button)
        return button

    def refresh(self, select: str | None = None) -> None:
        from db.users import list_users

        chosen = self.selected()
        current = select or (chosen.username if chosen else None)
        self.model.set_rows(list_users(self.store))
        fit_columns(self.view)
        for index, user in enumerate(self.model.rows()):
            if user.username == current:
                self.view.selectRow(index)
        self._selection_changed()

    def selected(self) -> UserInfo | None:
        rows = self.view.selectionModel().selectedRows() if self.view.selectionModel() else []
        return self.model.row_at(rows[0].row()) if rows else None

    def _selection_changed(self) -> None:
        user = self.selected()
        for button in (self.reset_button, self.unlock_button, self.active_button):
            button.setEnabled(user is not None)
        if user is not None:
            self.unlock_button.setEnabled(user.locked_until is not None and user.locked_until > utcnow())
            self.active_button.setText("停用" if user.active else "启用")

    def _report(self, text: str | None, error: str | None = None) -> None:
        self.error.setText(error or "")
        self.error.setVisible(bool(error))
        self.done_text.setText(text or "")

    def _run(self, action: Callable[[], None], done: str, username: str) -> None:
        try:
            action()
        except StoreError as exc:
            self._report(None, str(exc))
            return
        self._report(done)
        self.refresh(username)

    def add_user(self) -> None:
        from db.users import school_choices

        dialog = AddUserDialog(self.store, school_choices(self.store), self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            name = dialog.username.text().strip()
            self._report(f"已新增用户“{name}”")
            self.refresh(name)

    def reset_password(self) -> None:
        user = self.selected()
        if user is None:
            return
        if ResetPasswordDialog(self.store, user.username, self).exec() == QDialog.DialogCode.Accepted:
            self._report(f"已重设用户“{user.username}”的密码")
            self.refresh(user.username)

    def unlock(self) -> None:
        from db.users import unlock

        user = self.selected()
        if user is not None:
            self._run(lambda: unlock(self.store, user.username), f"已解锁用户“{user.username}”", user.username)

    def toggle_active(self) -> None:
        from db.users import set_active

        user = self.selected()
        if user is not None:
            verb = "启用" if not user.active else "停用"
            self._run(lambda: set_active(self.store, user.username, not user.active), f"已{verb}用户“{user.username}”",
                      user.username)
